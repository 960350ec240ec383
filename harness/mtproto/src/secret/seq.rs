//! Secret-chat sequence numbers (spec §8.3, [e2e-seq]).
//!
//! Each side counts the messages it sent (`out`) and the messages it received and processed in
//! order (`in`), from 0, and transmits `2 · raw + parity`:
//!
//! | sender | in_seq_no parity | out_seq_no parity |
//! |---|---|---|
//! | the chat's originator | 0 | 1 |
//! | the acceptor | 1 | 0 |
//!
//! A receiver, with C the raw out_seq_no of the last in-order message received and D the raw
//! out_seq_no of its own last message sent, applies in this order (the first failure names the
//! error):
//!
//! 1. `SeqNoParity` — a wrong parity in either field MUST abort the chat at once.
//! 2. `SeqNoRepeated` — out_seq_no ≤ C (or already queued behind a gap): a repeat, dropped
//!    without looking at its content. A relay can replay anything, so nothing changes.
//! 3. `InSeqNoInvalid` — in_seq_no must be non-decreasing, non-negative, and ≤ D+1; the order
//!    is the order of out_seq_no, so a message queued behind a gap is checked against its
//!    neighbours too. Closes the chat.
//! 4. out_seq_no = C + 1: processed, then every queued message it releases.
//! 5. out_seq_no > C + 1: a gap. The message is queued and, for each new hole, the receiver asks
//!    for it with `decryptedMessageActionResend(start_seq_no, end_seq_no)`: start is the
//!    out_seq_no of the last message before the hole + 2, end the out_seq_no of the message
//!    after it − 2 (both in the sender's transmitted numbering, spec §8.3).
//!    At most [`MAX_QUEUED`] messages wait; one more closes the chat (`GapQueueFull`).
//!
//! [e2e-seq]: https://core.telegram.org/api/end-to-end/seq_no

use std::collections::BTreeMap;

use crate::error::SecretError;

use super::message::Role;

/// The most out-of-order messages kept while waiting for a gap to fill.
pub const MAX_QUEUED: usize = 1024;

/// The highest raw counter: transmitted values stay below 2^31.
const MAX_RAW: u32 = (1 << 30) - 1;

/// `(in_seq_no parity, out_seq_no parity)` of the messages `sender` sends.
pub const fn parities(sender: Role) -> (i32, i32) {
    match sender {
        Role::Originator => (0, 1),
        Role::Acceptor => (1, 0),
    }
}

/// A hole to ask the peer to fill: `decryptedMessageActionResend(start_seq_no, end_seq_no)`, in
/// the peer's transmitted numbering.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ResendRequest {
    /// `start_seq_no`.
    pub start_seq_no: i32,
    /// `end_seq_no`.
    pub end_seq_no: i32,
}

/// What an accepted arrival does.
#[derive(Debug, PartialEq, Eq)]
pub enum Arrival<T> {
    /// In order: this message and the queued ones it released, in order, each with its raw
    /// out_seq_no.
    Deliver(Vec<(u32, T)>),
    /// Behind a gap: queued; the request to send if it opened a new hole.
    Queued(Option<ResendRequest>),
}

/// The seq_no state of one side of a chat, holding the messages queued behind gaps.
#[derive(Clone, Debug)]
pub struct SeqState<T> {
    role: Role,
    sent: u32,
    received: u32,
    last_in: u32,
    queue: BTreeMap<u32, (u32, T)>,
}

impl<T> SeqState<T> {
    /// A fresh chat for `role`: nothing sent or received.
    pub fn new(role: Role) -> Self {
        Self {
            role,
            sent: 0,
            received: 0,
            last_in: 0,
            queue: BTreeMap::new(),
        }
    }

    /// Messages sent so far (D + 1).
    pub fn sent(&self) -> u32 {
        self.sent
    }

    /// Messages received in order so far (C + 1).
    pub fn received(&self) -> u32 {
        self.received
    }

    /// The peer's last in-order raw in_seq_no: how many of this side's messages it has
    /// processed.
    pub fn peer_received(&self) -> u32 {
        self.last_in
    }

    /// Messages waiting behind a gap.
    pub fn queued(&self) -> usize {
        self.queue.len()
    }

    /// Assign `(in_seq_no, out_seq_no)` to the next message this side sends (assigned when
    /// the message is created, never changed).
    pub fn next_send(&mut self) -> Result<(i32, i32), SecretError> {
        let (pin, pout) = parities(self.role);
        if self.sent > MAX_RAW {
            return Err(SecretError::BadRequest {
                what: "out_seq_no exhausted",
            });
        }
        let in_seq = transmitted(self.received, pin);
        let out_seq = transmitted(self.sent, pout);
        self.sent = self.sent.saturating_add(1);
        Ok((in_seq, out_seq))
    }

    /// Apply the receiver rules to a message from the peer, in the order of the module docs.
    /// An `Err` leaves the state unchanged.
    pub fn arrive(
        &mut self,
        in_seq_no: i32,
        out_seq_no: i32,
        item: T,
    ) -> Result<Arrival<T>, SecretError> {
        let (pin, pout) = parities(self.role.peer());
        if (in_seq_no.rem_euclid(2) != pin || out_seq_no.rem_euclid(2) != pout)
            && !mutant!(AcceptWrongSeqParity)
        {
            return Err(SecretError::SeqNoParity);
        }
        let repeated = SecretError::SeqNoRepeated { out_seq_no };
        let raw_out = u32::try_from(out_seq_no).map_err(|_| repeated.clone())? / 2;
        if (raw_out < self.received && !mutant!(SecretRepeatAsNew))
            || self.queue.contains_key(&raw_out)
        {
            return Err(repeated);
        }
        let bad_in = SecretError::InSeqNoInvalid { in_seq_no };
        let raw_in = u32::try_from(in_seq_no).map_err(|_| bad_in.clone())? / 2;
        let floor = self
            .queue
            .range(..raw_out)
            .next_back()
            .map_or(self.last_in, |(_, (i, _))| *i);
        // The mutant drops the "in_seq_no ≤ D + 1" bound (the queued neighbours still order).
        let bound = if mutant!(SkipInSeqNoBound) {
            u32::MAX
        } else {
            self.sent
        };
        let ceiling = self
            .queue
            .range(raw_out..)
            .next()
            .map_or(bound, |(_, (i, _))| *i);
        if raw_in < floor || raw_in > ceiling || raw_in > bound {
            return Err(bad_in);
        }
        if raw_out == self.received {
            let mut out = vec![(raw_out, item)];
            self.last_in = raw_in;
            self.received = self.received.saturating_add(1);
            while let Some(entry) = self.queue.first_entry() {
                if *entry.key() != self.received {
                    break;
                }
                let (raw, (i, t)) = entry.remove_entry();
                self.last_in = i;
                self.received = self.received.saturating_add(1);
                out.push((raw, t));
            }
            return Ok(Arrival::Deliver(out));
        }
        if self.queue.len() >= MAX_QUEUED {
            return Err(SecretError::GapQueueFull);
        }
        // The last raw number present before this one: a queued message or the last delivered.
        let before = self
            .queue
            .range(..raw_out)
            .next_back()
            .map(|(r, _)| *r)
            .or_else(|| self.received.checked_sub(1));
        let hole_start = before.map_or(0, |b| b.saturating_add(1));
        let new_hole = self.queue.range(raw_out..).next().is_none() && hole_start < raw_out;
        self.queue.insert(raw_out, (raw_in, item));
        Ok(Arrival::Queued(new_hole.then(|| ResendRequest {
            start_seq_no: transmitted(hole_start, pout),
            end_seq_no: transmitted(raw_out.saturating_sub(1), pout),
        })))
    }

    /// Check a `decryptedMessageActionResend` the peer sent: both ends carry this side's out
    /// parity, start ≤ end, and every message in the range was sent (a request it cannot
    /// satisfy aborts the chat). Returns the raw out_seq_no range.
    pub fn check_resend(
        &self,
        start_seq_no: i32,
        end_seq_no: i32,
    ) -> Result<core::ops::RangeInclusive<u32>, SecretError> {
        let (_, pout) = parities(self.role);
        let bad = SecretError::ResendInvalid {
            start: start_seq_no,
            end: end_seq_no,
        };
        if start_seq_no.rem_euclid(2) != pout || end_seq_no.rem_euclid(2) != pout {
            return Err(bad);
        }
        let (Ok(start), Ok(end)) = (u32::try_from(start_seq_no), u32::try_from(end_seq_no)) else {
            return Err(bad);
        };
        let (start, end) = (start / 2, end / 2);
        if start > end || end >= self.sent {
            return Err(bad);
        }
        Ok(start..=end)
    }
}

/// `2 · raw + parity`, for `raw` ≤ 2^30 − 1.
fn transmitted(raw: u32, parity: i32) -> i32 {
    i32::try_from(raw.min(MAX_RAW))
        .unwrap_or(0)
        .saturating_mul(2)
        .saturating_add(parity)
}
