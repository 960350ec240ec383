//! Where the seq sits in a call packet, and the two ends of one call channel (spec §9.3, [vc]).
//!
//! Spec §9.3 says only `decrypted_body = seq1 ‖ body1 ‖ seq2 ‖ body2 …`. The byte layout
//! is tgcalls' (`tgcalls/EncryptedConnection.cpp`, `ReadSeq` / `CounterFromSeq` /
//! `computeNextSeq` / `registerIncomingCounter` / `handleIncomingPacket`):
//!
//! ```text
//! decrypted_body = seq (4 bytes, big-endian) ‖ type (1 byte) ‖ message … [‖ seq ‖ type ‖ … ]
//! seq            = flags (bits 31, 30) | counter (bits 29..0)
//!                  bit 31: the packet holds this one message only; bit 30: it must be acked
//! counter        = 1, 2, 3, … per sender and channel; the sender stops after 2^30 − 1
//! packet         = msg_key (16) ‖ AES-256-CTR(decrypted_body): at least 16 + 4 + 1 = 21 bytes
//! ```
//!
//! The receiver checks msg_key first, then takes the **first** seq of the body, masks the two
//! flag bits off, and runs the counter through the replay window ([`ReplayWindow`]): a counter
//! at or below the highest received minus 64, or one already received, discards the packet.
//! The counter is 30 bits wide, so the "abort the call at 2^30" of [vc] is the sender's rule:
//! [`Outgoing`] refuses to number a message past 2^30 − 1 (`SeqLimitReached`), and the call ends.
//!
//! tgcalls does not reject a counter of 0 (an honest sender never uses it; its window takes 0
//! once while the highest counter is below 64). This reference refuses it (`SeqOutOfRange`,
//! which ends the call: a packet with a valid msg_key and counter 0 comes from a peer that does
//! not follow [vc], where seqs start at 1); the vectors leave 0 alone, as the sources do not
//! agree. Counters never wrap: a sender past the limit ends the call instead.
//!
//! [vc]: https://core.telegram.org/api/end-to-end/video-calls

use zeroize::Zeroize;

use super::packet::{self, Channel, ReplayWindow, SEQ_LIMIT};
use crate::error::CallError;
use crate::secret::{ChatKey, Role};

/// Bit 31 of a seq: the packet holds this message only (tgcalls `kSingleMessagePacketSeqBit`).
pub const SINGLE_MESSAGE_BIT: u32 = 1 << 31;
/// Bit 30 of a seq: the message must be acknowledged (tgcalls `kMessageRequiresAckSeqBit`).
pub const REQUIRES_ACK_BIT: u32 = 1 << 30;
/// The counter bits of a seq.
pub const COUNTER_MASK: u32 = SEQ_LIMIT - 1;
/// The last counter a sender may use, 2^30 − 1.
pub const MAX_COUNTER: u32 = COUNTER_MASK;
/// The shortest packet worth decrypting: msg_key, one seq and one type byte.
pub const MIN_PACKET_LEN: usize = 16 + 4 + 1;

/// The counter of a seq: the seq without its two flag bits.
pub fn counter(seq: u32) -> u32 {
    if mutant!(UnmaskedCallSeq) {
        return seq;
    }
    seq & COUNTER_MASK
}

/// The first seq of a decrypted body (big-endian), if it has one.
pub fn first_seq(body: &[u8]) -> Option<u32> {
    body.first_chunk::<4>().map(|b| u32::from_be_bytes(*b))
}

/// A packet that passed msg_key and the replay window.
#[derive(Clone, PartialEq, Eq)]
pub struct Received {
    /// The first seq as sent, flag bits included.
    pub seq: u32,
    /// Its counter.
    pub counter: u32,
    /// The whole decrypted body, first seq included. Wiped when the `Received` is dropped, as
    /// every plaintext the crate decrypts is.
    pub body: Vec<u8>,
}

/// The body's length only: it is a decrypted plaintext.
impl core::fmt::Debug for Received {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Received")
            .field("seq", &self.seq)
            .field("counter", &self.counter)
            .field("body_len", &self.body.len())
            .finish()
    }
}

impl Drop for Received {
    fn drop(&mut self) {
        self.body.zeroize();
    }
}

/// The receiving end of one direction of a call channel: packets from the peer of `receiver`.
#[derive(Clone, Debug)]
pub struct Incoming {
    key: ChatKey,
    receiver: Role,
    channel: Channel,
    window: ReplayWindow,
}

impl Incoming {
    /// Nothing received yet.
    pub fn new(key: ChatKey, receiver: Role, channel: Channel) -> Self {
        Self {
            key,
            receiver,
            channel,
            window: ReplayWindow::new(),
        }
    }

    /// The highest counter received.
    pub fn max_counter(&self) -> u32 {
        self.window.max()
    }

    /// Take one packet, in this order: `TooShort` below [`MIN_PACKET_LEN`] bytes (nothing is
    /// decrypted), `MsgKeyMismatch` (constant time, [`packet::decrypt`]), then the first seq's
    /// counter through the window: `SeqOutOfRange` (0; ends the call), `SeqTooOld` (≤ highest −
    /// 64), `SeqRepeated`. The packet is discarded on each (spec §9.3: discard on a msg_key
    /// mismatch, a seq ≤ max − 64 or one already seen); an error changes nothing.
    pub fn receive(&mut self, bytes: &[u8]) -> Result<Received, CallError> {
        if bytes.len() < MIN_PACKET_LEN {
            return Err(CallError::TooShort { len: bytes.len() });
        }
        let mut body = packet::decrypt(&self.key, self.receiver, self.channel, bytes)?;
        let Some(seq) = first_seq(&body) else {
            body.zeroize();
            return Err(CallError::TooShort { len: bytes.len() });
        };
        let counter = counter(seq);
        if let Err(e) = self.window.check(counter) {
            body.zeroize();
            return Err(e);
        }
        Ok(Received { seq, counter, body })
    }
}

/// The sending end of one direction of a call channel: numbers the messages.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Outgoing {
    counter: u32,
}

impl Outgoing {
    /// Nothing sent yet: the first message gets counter 1.
    pub const fn new() -> Self {
        Self { counter: 0 }
    }

    /// A sender that has already numbered `sent` messages (for traces that start near the
    /// limit); `SeqLimitReached` past [`MAX_COUNTER`].
    pub fn resume(sent: u32) -> Result<Self, CallError> {
        if sent > MAX_COUNTER {
            return Err(CallError::SeqLimitReached);
        }
        Ok(Self { counter: sent })
    }

    /// The last counter used (0 before the first message).
    pub fn counter(&self) -> u32 {
        self.counter
    }

    /// The next counter: 1, 2, 3, …; `SeqLimitReached` once [`MAX_COUNTER`] has been used, and
    /// the call must end ([vc]: "abort the call at 2^30"; tgcalls: "Outgoing packet limit
    /// reached").
    ///
    /// [vc]: https://core.telegram.org/api/end-to-end/video-calls
    pub fn next_counter(&mut self) -> Result<u32, CallError> {
        if self.counter >= MAX_COUNTER {
            return Err(CallError::SeqLimitReached);
        }
        self.counter = self.counter.saturating_add(1);
        Ok(self.counter)
    }

    /// Number one message and seal it alone in a packet: `seq = counter | flags` (only the
    /// two flag bits of `flags` are kept), body `seq ‖ message`.
    pub fn seal(
        &mut self,
        key: &ChatKey,
        sender: Role,
        channel: Channel,
        flags: u32,
        message: &[u8],
    ) -> Result<Vec<u8>, CallError> {
        let seq = self.next_counter()? | (flags & !COUNTER_MASK);
        let mut body = Vec::with_capacity(message.len().saturating_add(4));
        body.extend_from_slice(&seq.to_be_bytes());
        body.extend_from_slice(message);
        let out = packet::encrypt(key, sender, channel, &body);
        body.zeroize();
        Ok(out)
    }
}
