//! `secret_chat`: two parties of a secret chat (<https://core.telegram.org/api/end-to-end>) behind
//! a relay the input controls.
//!
//! The input is a key seed and up to 256 operations: a side sends a message; the relay delivers
//! a packet in flight (any of them, so out of order), delivers it and keeps it (a duplicate),
//! delivers it with one bit flipped, replays a packet delivered before, drops a packet, delivers
//! arbitrary bytes to a side, or one side starts re-keying (at most once). Replies (resend
//! requests, resends, re-keying steps) go back in flight.
//!
//! Randomness: each send and delivery gets the next of `[c; 32]` from a one-byte counter starting
//! at the key seed. The re-keying secrets follow the `Rekey` operation's byte `x` instead: `a` is
//! [`rekey_secret`]`(x)` and every delivery of the `RequestKey` packet gets
//! [`rekey_randomness`]`(x)`, from which the peer draws `b` (the counter still advances, so all
//! other randomness is as before). Both take one of [`REKEY_SECRETS`] values by `x`, so an
//! exchange's four 2048-bit exponentiations (`g^a`, `g^b`, `g_a^b`, `g_b^a`) take one of 8 pairs
//! of secrets (64 when two requests meet), instead of one of 32768 that shifted with every
//! operation inserted or removed before the re-key, and in a fuzz build they are found in the
//! exponentiation memo (`mtproto::fuzzing::memo`, compiled only under `cfg(fuzzing)`). That holds
//! when the peer processes the `RequestKey` in the delivery that carries it and draws `b` first.
//! When the packet waits behind a gap, `b` comes from the randomness of the delivery that fills
//! the gap, and when messages processed before it in one delivery drew randomness (a resend, an
//! answer), `b` comes from further along the same stream: those exchanges miss the memo (about 3%
//! of this target's exponentiations in a one-minute run). The re-keying logic branches on the
//! secrets only through the `g_a`/`g_b` margin check (failing with probability ~2^-64 for any
//! secret), so no reachable state is lost; the exchange id still takes all of `x`.
//!
//! Invariants: nothing the relay does closes a chat; a flipped bit, arbitrary bytes and a replay
//! are rejected and change no state (the seq_no counts stay put); each side is handed the
//! other's messages in order, without gaps or repeats, with the text that was sent; and once
//! both sides send a last message and everything in flight is delivered in order, each side has
//! received every message of the other, both agree on their counts, key and visualisation, and
//! no re-keying is left half-done.

use arbitrary::{Arbitrary, Unstructured};
use sha1::Digest;

use mtproto::ProtocolError;
use mtproto::secret::chat::{LAYER, SecretChat, Verdict};
use mtproto::secret::message;
use mtproto::secret::rekey::RekeyPhase;
use mtproto::secret::{ChatKey, Role};
use mtproto::tl::Tl;
use mtproto::tl::generated::secret::enums::{DecryptedMessage, DecryptedMessageAction};
use mtproto::tl::generated::secret::types::{
    DecryptedMessage73, DecryptedMessageActionCommitKey, DecryptedMessageActionRequestKey,
    DecryptedMessageLayer, DecryptedMessageService17,
};

const MAX_OPS: usize = 256;

#[derive(Arbitrary, Debug)]
enum Op {
    Send(bool, u16),
    Deliver(u16),
    Duplicate(u16),
    Tamper(u16, u16),
    Replay(u16),
    Drop(u16),
    Garbage(bool, Vec<u8>),
    Rekey(bool, u8),
    Forge(Box<Forged>),
}

/// A message a malicious peer (one holding the chat key) builds and sends: any seq numbers,
/// `random_bytes` length, layer and action, encrypted correctly with the receiver's key.
#[derive(Arbitrary, Debug)]
struct Forged {
    to_a: bool,
    /// The raw out_seq_no is the next in order plus 0, 1, -1, 2 or -2 (this mod 5).
    out_delta: u8,
    /// The raw in_seq_no is the receiver's sent count plus 0, -1, 1, -2, 2 or -3 (this mod 6).
    in_delta: u8,
    /// Bit 0 flips out_seq_no's parity, bit 1 in_seq_no's (when bit 2 is set too).
    parity: u8,
    /// `random_bytes` length: (15 + this) mod 24.
    random_len: u8,
    /// The layer: [`LAYER`] minus this mod 3.
    layer_down: u8,
    action: ForgedAction,
}

#[derive(Arbitrary, Debug)]
enum ForgedAction {
    Text,
    /// RequestKey with `exchange_id` and `g_a = g^rekey_secret(x)`. `race` odd: the
    /// receiver first starts its own re-key (`Rekey(race >> 1)`), so the two requests meet.
    /// `then_commit` nonzero: once it is processed, a CommitKey follows with the right (odd) or
    /// a wrong (even) fingerprint.
    RequestKey {
        x: u8,
        exchange_id: i8,
        race: u8,
        then_commit: u8,
    },
    /// CommitKey for the exchange the receiver accepted (`same`) or another id, with the pending
    /// key's fingerprint (`right`) or `fingerprint`.
    CommitKey {
        same: bool,
        right: bool,
        fingerprint: i64,
    },
}

/// What the model of spec §8.3/§8.4 says the receiver of a forged message must do.
#[derive(Debug, PartialEq, Eq)]
enum Must {
    /// Ignore it (short `random_bytes`, a repeat): rejected, no state change.
    Reject,
    /// Abort the chat (wrong parity, in_seq_no out of bounds, layer lowered, a re-key action
    /// that does not fit, a CommitKey with the wrong fingerprint).
    Close,
    /// Process it in order (it is delivered first).
    Process,
    /// Not decided by this model (a message ahead of a gap).
    Open,
}

struct Flight {
    to_a: bool,
    packet: Vec<u8>,
    droppable: bool,
    /// The randomness its deliveries get instead of the world's next: set only on the packet
    /// that starts re-keying (see [`rekey_randomness`]).
    fresh: Option<[u8; 32]>,
}

/// How many re-keying secrets there are (each `x` picks one by `x % REKEY_SECRETS`): few enough
/// that every pair of them stays in the exponentiation memo of a fuzz build.
const REKEY_SECRETS: u8 = 8;

/// The re-keying secret `a` for the `Rekey` operation's byte `x`: [`REKEY_SECRETS`] values.
fn rekey_secret(x: u8) -> [u8; 256] {
    let mut secret = [(x % REKEY_SECRETS) | 0x80; 256];
    secret[0] = 0x3f;
    secret
}

/// What a delivery of the `RequestKey` packet of operation `x` gets as randomness, so the
/// peer's `b` (the first bytes the chat draws from it) follows `x` too. Never of the form
/// `[c; 32]` that [`World::fresh`] gives, so it repeats no other delivery's randomness.
fn rekey_randomness(x: u8) -> [u8; 32] {
    let mut fresh = [0x5a; 32];
    fresh[0] = x % REKEY_SECRETS;
    fresh[1] = 0xa5;
    fresh
}

struct World {
    a: SecretChat,
    b: SecretChat,
    flying: Vec<Flight>,
    history: Vec<(bool, Vec<u8>)>,
    /// Texts sent and received, indexed by `usize::from(is_a)`: `sent[1]` are A's, `got[1]` what
    /// A was handed.
    sent: [Vec<String>; 2],
    got: [Vec<String>; 2],
    last_out: [i32; 2],
    seed: u8,
    /// Whether each side (index `usize::from(is_a)`) has started its one re-key.
    rekeyed: [bool; 2],
    /// The raw in_seq_no and the layer of the last message each side processed in order.
    last_in: [i32; 2],
    last_layer: [Option<i32>; 2],
    /// Packets each side took into its seq_no state (accepted) and messages it handed over: the
    /// difference is what waits behind a gap.
    taken: [usize; 2],
    given: [usize; 2],
    /// A malicious peer has sent something: the honest sides no longer share one history, so
    /// the end-of-conversation agreement is not asserted and a chat may close.
    forged: bool,
    /// The key a side computed when it accepted a forged RequestKey: (side, exchange_id, key).
    forged_pending: Option<(bool, i64, [u8; 256])>,
    /// Per side: forged messages it took ahead of a gap (the model leaves them open) and may
    /// process later, behind another message: their layer and re-key exchange id, if any.
    queued_forged: [Vec<(i32, Option<i64>)>; 2],
    /// What happened, when the input is traced ([`trace`]).
    log: Option<Vec<Event>>,
}

/// What one side saw of a packet delivered to it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Seen {
    /// Accepted: the out_seq_nos handed over now (none: queued behind a gap) and how many
    /// packets the side sent in answer.
    Accepted {
        /// The out_seq_nos delivered, in order.
        delivered: Vec<i32>,
        /// Replies sent.
        replies: usize,
    },
    /// Rejected with this error; no state changed.
    Rejected(&'static str),
    /// The chat closed with this error.
    Closed(&'static str),
}

/// One event of a traced `secret_chat` input, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// A side sent a message (TL bytes of its `DecryptedMessage`), as this packet.
    Send {
        /// The originator sent it.
        from_a: bool,
        /// The message.
        message: Vec<u8>,
        /// The randomness the side drew for it.
        fresh: [u8; 32],
        /// The packet.
        packet: Vec<u8>,
    },
    /// A packet was delivered to a side.
    Receive {
        /// To the originator.
        to_a: bool,
        /// The packet as delivered.
        packet: Vec<u8>,
        /// The randomness the side drew for it (its replies, a re-key's DH secret).
        fresh: [u8; 32],
        /// The side's verdict.
        seen: Seen,
    },
    /// A side started re-keying.
    Rekey {
        /// The originator started it.
        from_a: bool,
        /// The `exchange_id`.
        exchange_id: i64,
        /// The side's DH secret `a`.
        secret: Box<[u8; 256]>,
        /// The randomness the side drew for the request.
        fresh: [u8; 32],
    },
}

/// A traced `secret_chat` input: the chat key both sides start with and every send, delivery
/// and re-key in order, the final settling included.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trace {
    /// The shared key.
    pub key: [u8; 256],
    /// What happened.
    pub events: Vec<Event>,
}

fn text(random_id: i64, s: &str) -> DecryptedMessage {
    DecryptedMessage::DecryptedMessage73(DecryptedMessage73 {
        no_webpage: false,
        silent: false,
        random_id,
        ttl: 0,
        message: s.into(),
        media: None,
        entities: None,
        via_bot_name: None,
        reply_to_random_id: None,
        grouped_id: None,
    })
}

impl World {
    fn chat(&mut self, a: bool) -> &mut SecretChat {
        if a { &mut self.a } else { &mut self.b }
    }

    fn fresh(&mut self) -> [u8; 32] {
        self.seed = self.seed.wrapping_add(1);
        [self.seed; 32]
    }

    fn send(&mut self, from_a: bool, body: String, droppable: bool) {
        let fresh = self.fresh();
        let n = self.sent[usize::from(from_a)].len() as i64;
        let message = text(n, &body);
        let bytes = self.log.is_some().then(|| message.to_bytes());
        let p = match self.chat(from_a).send(message, 0, &fresh) {
            Ok(p) => p,
            // A malicious peer may have made the chat close.
            Err(_) if self.forged => return,
            Err(e) => panic!("an open chat refuses to send: {e:?}"),
        };
        if let (Some(log), Some(message)) = (self.log.as_mut(), bytes) {
            log.push(Event::Send {
                from_a,
                message,
                fresh,
                packet: p.clone(),
            });
        }
        self.sent[usize::from(from_a)].push(body);
        self.flying.push(Flight {
            to_a: !from_a,
            packet: p,
            droppable,
            fresh: None,
        });
    }

    /// Deliver a packet with the world's next randomness, or with `instead` (the counter
    /// advances either way); whether it was accepted. No delivery may close a chat.
    fn deliver(&mut self, to_a: bool, packet: &[u8], instead: Option<[u8; 32]>) -> bool {
        let next = self.fresh();
        let fresh = instead.unwrap_or(next);
        let before = self.chat(to_a).counts();
        let verdict = self.chat(to_a).receive(packet, 0, &fresh);
        if let Some(log) = self.log.as_mut() {
            let seen = match &verdict {
                Verdict::Accepted {
                    delivered, replies, ..
                } => Seen::Accepted {
                    delivered: delivered.iter().map(|d| d.layer.out_seq_no).collect(),
                    replies: replies.len(),
                },
                Verdict::Rejected(e) => Seen::Rejected(e.name()),
                Verdict::Closed(e) => Seen::Closed(e.name()),
            };
            log.push(Event::Receive {
                to_a,
                packet: packet.to_vec(),
                fresh,
                seen,
            });
        }
        match verdict {
            Verdict::Accepted {
                delivered,
                replies,
                notices,
            } => {
                assert!(
                    notices.is_empty() || self.forged,
                    "both sides speak the same layer"
                );
                let side = usize::from(to_a);
                self.taken[side] += 1;
                self.given[side] += delivered.len();
                for d in delivered {
                    assert_eq!(
                        d.layer.out_seq_no,
                        self.last_out[side] + 2,
                        "delivered out of order, with a gap or twice"
                    );
                    self.last_out[side] = d.layer.out_seq_no;
                    self.last_in[side] = d.layer.in_seq_no / 2;
                    self.last_layer[side] = Some(d.layer.layer);
                    if let DecryptedMessage::DecryptedMessage73(m) = d.layer.message {
                        self.got[side].push(m.message);
                    }
                }
                for r in replies {
                    self.flying.push(Flight {
                        to_a: !to_a,
                        packet: r,
                        droppable: false,
                        fresh: None,
                    });
                }
                self.history.push((to_a, packet.to_vec()));
                true
            }
            Verdict::Rejected(e) => {
                assert!(
                    !e.name().is_empty(),
                    "an error without a vocabulary name: {e:?}"
                );
                assert_eq!(
                    self.chat(to_a).counts(),
                    before,
                    "a rejection changed the seq_no state"
                );
                false
            }
            Verdict::Closed(_) if self.forged => false,
            Verdict::Closed(e) => panic!("the relay closed a chat: {e:?}"),
        }
    }

    fn apply(&mut self, op: Op) {
        let n = self.flying.len();
        match op {
            Op::Send(from_a, x) => self.send(from_a, format!("m{x}"), true),
            Op::Deliver(i) if n > 0 => {
                let f = self.flying.remove(usize::from(i) % n);
                self.deliver(f.to_a, &f.packet, f.fresh);
            }
            Op::Duplicate(i) if n > 0 => {
                let f = &self.flying[usize::from(i) % n];
                let (to_a, p, fresh) = (f.to_a, f.packet.clone(), f.fresh);
                self.deliver(to_a, &p, fresh);
            }
            Op::Tamper(i, bit) if n > 0 => {
                let f = &self.flying[usize::from(i) % n];
                let (to_a, mut p, fresh) = (f.to_a, f.packet.clone(), f.fresh);
                let bit = usize::from(bit) % (p.len() * 8);
                p[bit / 8] ^= 1 << (bit % 8);
                assert!(
                    !self.deliver(to_a, &p, fresh),
                    "a tampered packet was accepted"
                );
            }
            Op::Replay(j) if !self.history.is_empty() => {
                let (to_a, p) = self.history[usize::from(j) % self.history.len()].clone();
                assert!(!self.deliver(to_a, &p, None), "a replay was accepted");
            }
            Op::Drop(i) if n > 0 && self.flying[usize::from(i) % n].droppable => {
                self.flying.remove(usize::from(i) % n);
            }
            Op::Garbage(to_a, bytes) => {
                assert!(
                    !self.deliver(to_a, &bytes, None),
                    "arbitrary bytes were accepted"
                );
            }
            Op::Rekey(from_a, x) if !self.rekeyed[usize::from(from_a)] => {
                let chat = self.chat(from_a);
                if *chat.rekey_phase() == RekeyPhase::Idle
                    && !chat.holds_old_key()
                    && !chat.is_closed()
                {
                    let fresh = self.fresh();
                    let secret = rekey_secret(x);
                    // -2..=2: both signs, so concurrent requests compare signed ids.
                    let exchange_id = i64::from(x % 5) - 2;
                    let p = match self
                        .chat(from_a)
                        .start_rekey(exchange_id, &secret, 0, &fresh)
                    {
                        Ok(p) => p,
                        Err(e) => panic!("an idle chat refuses to re-key: {e:?}"),
                    };
                    self.rekeyed[usize::from(from_a)] = true;
                    if let Some(log) = self.log.as_mut() {
                        log.push(Event::Rekey {
                            from_a,
                            exchange_id,
                            secret: Box::new(secret),
                            fresh,
                        });
                    }
                    self.flying.push(Flight {
                        to_a: !from_a,
                        packet: p,
                        droppable: true,
                        fresh: Some(rekey_randomness(x)),
                    });
                }
            }
            Op::Forge(f) => self.forge(&f),
            _ => {}
        }
    }

    /// A malicious peer's message to one side, judged by [`Forged`]'s model of spec §8.3/§8.4.
    fn forge(&mut self, f: &Forged) {
        let to_a = f.to_a;
        let side = usize::from(to_a);
        if self.chat(to_a).is_closed() {
            return;
        }
        if let ForgedAction::RequestKey { race, .. } = f.action
            && race & 1 == 1
        {
            self.apply(Op::Rekey(to_a, race >> 1));
        }
        self.forged = true;
        let receiver = if to_a {
            Role::Originator
        } else {
            Role::Acceptor
        };
        let sender = receiver.peer();
        // Parities of the sender's numbers: from the originator out odd and in even, from the
        // acceptor the other way round.
        let (in_parity, out_parity) = if sender == Role::Originator {
            (0, 1)
        } else {
            (1, 0)
        };
        let (sent, received) = self.chat(to_a).counts();
        let out_raw = i64::from(received) + [0, 1, -1, 2, -2][usize::from(f.out_delta) % 5];
        let in_raw = i64::from(sent) + [0, -1, 1, -2, 2, -3][usize::from(f.in_delta) % 6];
        let bad_out = f.parity & 1 == 1;
        let bad_in = f.parity & 6 == 6;
        let (Ok(out_seq_no), Ok(in_seq_no)) = (
            i32::try_from(2 * out_raw + (out_parity ^ i64::from(bad_out))),
            i32::try_from(2 * in_raw + (in_parity ^ i64::from(bad_in))),
        ) else {
            return;
        };
        let layer = LAYER - i32::from(f.layer_down % 3);
        let random_len = (15 + usize::from(f.random_len)) % 24;
        let phase = self.chat(to_a).rekey_phase().clone();
        let holds_old = self.chat(to_a).holds_old_key();
        let group = crate::dh::proven().1[0].clone();
        let mut instead = None;
        let action = match &f.action {
            ForgedAction::Text => None,
            ForgedAction::RequestKey { x, exchange_id, .. } => {
                // Eight scripted secrets: the exponentiations repeat (the memo has them).
                instead = Some(rekey_randomness(*x));
                Some(DecryptedMessageAction::DecryptedMessageActionRequestKey(
                    DecryptedMessageActionRequestKey {
                        exchange_id: i64::from(*exchange_id),
                        g_a: group.pow_g(&rekey_secret(*x)).to_vec(),
                    },
                ))
            }
            ForgedAction::CommitKey {
                same,
                right,
                fingerprint,
            } => {
                let pending = self
                    .forged_pending
                    .filter(|p| p.0 == to_a && phase == RekeyPhase::Accepted { exchange_id: p.1 });
                let exchange_id = match (&phase, same) {
                    (RekeyPhase::Accepted { exchange_id }, true) => *exchange_id,
                    (RekeyPhase::Accepted { exchange_id }, false) => exchange_id.wrapping_add(1),
                    _ => 7,
                };
                let key_fingerprint = match pending {
                    Some((_, _, key)) if *right => ChatKey::new(key).fingerprint_long(),
                    _ => *fingerprint,
                };
                Some(DecryptedMessageAction::DecryptedMessageActionCommitKey(
                    DecryptedMessageActionCommitKey {
                        exchange_id,
                        key_fingerprint,
                    },
                ))
            }
        };
        let message = match &action {
            None => text(-1, "forged"),
            Some(a) => DecryptedMessage::DecryptedMessageService17(DecryptedMessageService17 {
                random_id: -2,
                action: a.clone(),
            }),
        };
        let inner = DecryptedMessageLayer {
            random_bytes: vec![0x33; random_len],
            layer,
            in_seq_no,
            out_seq_no,
            message,
        }
        .to_bytes();
        let padding = vec![0x44; message::padding_len(inner.len(), 0)];
        let key = self.chat(to_a).current_key().clone();
        let Ok(packet) = message::encrypt(&key, sender, &inner, &padding) else {
            panic!("the peer's encryption refuses a {}-byte layer", inner.len());
        };

        // The model: spec §8.2 (random_bytes), §8.3 (seq_no), §8.4 (re-keying).
        let must = if random_len < 15 {
            Must::Reject
        } else if bad_out || bad_in {
            Must::Close
        } else if out_raw < i64::from(received) {
            Must::Reject
        } else if out_raw > i64::from(received) {
            Must::Open
        } else if in_raw < 0
            || in_raw > i64::from(sent)
            || in_raw < i64::from(self.last_in[side])
            || self.last_layer[side].is_some_and(|l| layer < l)
        {
            Must::Close
        } else {
            match (&f.action, &phase) {
                (ForgedAction::Text, _) => Must::Process,
                (
                    ForgedAction::RequestKey { .. },
                    RekeyPhase::Idle | RekeyPhase::Requested { .. },
                ) => Must::Process,
                (ForgedAction::RequestKey { .. }, _) => Must::Close,
                (ForgedAction::CommitKey { same, right, .. }, RekeyPhase::Accepted { .. }) => {
                    let known = self.forged_pending.is_some_and(|p| {
                        p.0 == to_a && phase == RekeyPhase::Accepted { exchange_id: p.1 }
                    });
                    if !same || (known && !right) {
                        Must::Close
                    } else if known {
                        Must::Process
                    } else {
                        Must::Open
                    }
                }
                (ForgedAction::CommitKey { .. }, _) => Must::Close,
            }
        };

        let before = self.chat(to_a).counts();
        let key_before = self.chat(to_a).current_key().fingerprint();
        let next = self.fresh();
        let fresh = instead.unwrap_or(next);
        let verdict = self.chat(to_a).receive(&packet, 0, &fresh);
        if let Some(log) = self.log.as_mut() {
            log.push(Event::Receive {
                to_a,
                packet: packet.clone(),
                fresh,
                seen: match &verdict {
                    Verdict::Accepted {
                        delivered, replies, ..
                    } => Seen::Accepted {
                        delivered: delivered.iter().map(|d| d.layer.out_seq_no).collect(),
                        replies: replies.len(),
                    },
                    Verdict::Rejected(e) => Seen::Rejected(e.name()),
                    Verdict::Closed(e) => Seen::Closed(e.name()),
                },
            });
        }
        let what = format!(
            "forged to {}: in {in_seq_no} out {out_seq_no} (sent {sent}, received {received}),              {random_len} random bytes, layer {layer}, {:?}, phase {phase:?}",
            if to_a { "A" } else { "B" },
            f.action
        );
        // Messages wait behind a gap at this side: the model does not see them.
        let queued_behind = self.taken[side] > self.given[side];
        match (&must, verdict) {
            (Must::Reject, Verdict::Rejected(_)) => {
                assert_eq!(
                    self.chat(to_a).counts(),
                    before,
                    "{what}: ignored yet counted"
                );
            }
            (Must::Close, Verdict::Closed(_)) => {
                assert_eq!(
                    self.chat(to_a).current_key().fingerprint(),
                    key_before,
                    "{what}: the chat closed but switched keys first"
                );
            }
            (Must::Open, Verdict::Closed(_) | Verdict::Rejected(_)) => {}
            // Messages queued behind a gap carry in_seq_nos too: an in-order message must not
            // have a larger one than the next queued message (the model does not see them).
            (Must::Process, Verdict::Closed(mtproto::SecretError::InSeqNoInvalid { .. }))
                if queued_behind => {}
            // The messages queued behind the forged one are processed in the same call, after
            // it, and may close the chat on their own account. Only closes that a queued
            // message explains by its numbers are taken, so that a close of the forged message
            // itself still fails here:
            // - a forged message the side took ahead of a gap earlier, now processed: a layer
            //   below the one before it, or a re-key action that fits no exchange (its id);
            // - after a forged RequestKey was taken, the peer's queued re-key messages for any
            //   other exchange: an AcceptKey or CommitKey for the side's own request it displaced
            //   (§8.4 keeps the larger exchange_id; an honest peer never sends both), or the
            //   peer's own RequestKey, which now meets an exchange already under way. The
            //   reference names the incoming id when it refuses a re-key action, so a close of
            //   the forged RequestKey itself names the forged id, which is never taken.
            (
                Must::Process,
                Verdict::Closed(mtproto::SecretError::LayerDecreased {
                    layer: queued,
                    previous,
                }),
            ) if queued_behind
                && queued < previous
                && self.queued_forged[side].iter().any(|q| q.0 == queued) => {}
            (
                Must::Process,
                Verdict::Closed(mtproto::SecretError::RekeyUnexpected { exchange_id }),
            ) if queued_behind
                // Never the forged RequestKey's own id: that close would be the forged message's.
                && !matches!(f.action, ForgedAction::RequestKey { exchange_id: forged, .. }
                    if i64::from(forged) == exchange_id)
                && (self.queued_forged[side]
                    .iter()
                    .any(|q| q.1 == Some(exchange_id))
                    || matches!(f.action, ForgedAction::RequestKey { .. })) => {}
            (
                Must::Process | Must::Open,
                Verdict::Accepted {
                    delivered, replies, ..
                },
            ) => {
                if must == Must::Process {
                    assert_eq!(
                        delivered.first().map(|d| d.layer.out_seq_no),
                        Some(out_seq_no),
                        "{what}: not processed"
                    );
                }
                if delivered.iter().all(|d| d.layer.out_seq_no != out_seq_no) {
                    let exchange_id = match &action {
                        Some(DecryptedMessageAction::DecryptedMessageActionRequestKey(r)) => {
                            Some(r.exchange_id)
                        }
                        Some(DecryptedMessageAction::DecryptedMessageActionCommitKey(c)) => {
                            Some(c.exchange_id)
                        }
                        _ => None,
                    };
                    self.queued_forged[side].push((layer, exchange_id));
                }
                self.taken[side] += 1;
                self.given[side] += delivered.len();
                for d in &delivered {
                    assert_eq!(
                        d.layer.out_seq_no,
                        self.last_out[side] + 2,
                        "{what}: out of order"
                    );
                    self.last_out[side] = d.layer.out_seq_no;
                    self.last_in[side] = d.layer.in_seq_no / 2;
                    self.last_layer[side] = Some(d.layer.layer);
                }
                if must == Must::Process {
                    self.judge_rekey(to_a, f, &phase, holds_old, &key, &replies, &what);
                }
                self.history.push((to_a, packet));
                for r in replies {
                    self.flying.push(Flight {
                        to_a: !to_a,
                        packet: r,
                        droppable: false,
                        fresh: None,
                    });
                }
                if let ForgedAction::RequestKey { then_commit, .. } = f.action
                    && then_commit != 0
                    && must == Must::Process
                {
                    self.forge(&Forged {
                        to_a,
                        out_delta: 0,
                        in_delta: 0,
                        parity: 0,
                        random_len: 0,
                        layer_down: 0,
                        action: ForgedAction::CommitKey {
                            same: true,
                            right: then_commit & 1 == 1,
                            fingerprint: 0x1234,
                        },
                    });
                }
            }
            (_, v) => panic!("{what}: the model says {must:?}, the side gave {v:?}"),
        }
    }

    /// After a forged re-key action was processed: the receiver's answer is the one spec §8.4
    /// asks for (AcceptKey to a RequestKey it must take, with the fingerprint of `g_b^a`, none
    /// to one it must ignore; the pending key after a right CommitKey).
    #[allow(clippy::too_many_arguments)]
    fn judge_rekey(
        &mut self,
        to_a: bool,
        f: &Forged,
        phase: &RekeyPhase,
        holds_old: bool,
        key: &ChatKey,
        replies: &[Vec<u8>],
        what: &str,
    ) {
        let peer = if to_a {
            Role::Acceptor
        } else {
            Role::Originator
        };
        // The receiver's replies as the peer reads them.
        let accepts: Vec<_> = replies
            .iter()
            .filter_map(|r| message::decrypt(key, peer, r).ok())
            .filter_map(|l| match l.message {
                DecryptedMessage::DecryptedMessageService17(DecryptedMessageService17 {
                    action: DecryptedMessageAction::DecryptedMessageActionAcceptKey(a),
                    ..
                }) => Some(a),
                _ => None,
            })
            .collect();
        match &f.action {
            ForgedAction::RequestKey { x, exchange_id, .. } => {
                let theirs = i64::from(*exchange_id);
                let must_accept = match phase {
                    RekeyPhase::Idle => !holds_old,
                    // Concurrent requests: the larger exchange_id, compared signed, wins.
                    RekeyPhase::Requested { exchange_id: ours } => theirs > *ours,
                    _ => false,
                };
                if holds_old && *phase == RekeyPhase::Idle {
                    return;
                }
                assert_eq!(
                    accepts.len(),
                    usize::from(must_accept),
                    "{what}: {} AcceptKey sent (spec §8.4: keep the larger exchange_id, signed)",
                    accepts.len()
                );
                if let Some(a) = accepts.first() {
                    assert_eq!(
                        a.exchange_id, theirs,
                        "{what}: AcceptKey for another exchange"
                    );
                    let group = crate::dh::proven().1[0].clone();
                    let Ok(g_b) = group.check_value(&a.g_b) else {
                        panic!("{what}: AcceptKey with an unsafe g_b");
                    };
                    let new_key = group.pow(&g_b, &rekey_secret(*x));
                    assert_eq!(
                        a.key_fingerprint.to_le_bytes()[..],
                        sha1::Sha1::digest(new_key)[12..20],
                        "{what}: AcceptKey's fingerprint is not SHA1(g_b^a)[12..20]"
                    );
                    self.forged_pending = Some((to_a, theirs, new_key));
                }
            }
            ForgedAction::CommitKey { .. } => {
                if let Some((_, _, new_key)) = self.forged_pending.take() {
                    assert_eq!(
                        self.chat(to_a).current_key().as_bytes(),
                        &new_key,
                        "{what}: a right CommitKey did not switch to the new key"
                    );
                }
            }
            ForgedAction::Text => {}
        }
    }

    /// Each side sends one last message (so trailing holes show), then everything in flight is
    /// delivered in order until nothing is left.
    fn settle(&mut self) {
        self.send(true, "end-a".into(), false);
        self.send(false, "end-b".into(), false);
        let mut steps = 0;
        while !self.flying.is_empty() {
            let f = self.flying.remove(0);
            self.deliver(f.to_a, &f.packet, f.fresh);
            steps += 1;
            assert!(steps < 100_000, "the relay never settles");
        }
    }
}

/// `secret_chat`.
pub fn secret_chat(data: &[u8]) {
    let _ = run(data, false);
}

/// A `secret_chat` input, traced: the same run as the target (its assertions included, so an
/// input the target's oracle refuses panics here too). `None` if the key seed cannot be read
/// (`arbitrary` reads a missing byte as 0, so an empty input is seed 0 and no operations).
pub fn trace(data: &[u8]) -> Option<Trace> {
    run(data, true)
}

fn run(data: &[u8], traced: bool) -> Option<Trace> {
    let (w, key_bytes) = conversation(data, traced)?;
    w.log.map(|events| Trace {
        key: key_bytes,
        events,
    })
}

/// The key visualisation (spec §8.5) against SHA-1 and SHA-256 computed here:
/// `SHA1(original_key)[0..16] ‖ SHA256(layer46_key)[0..20]`, for a chat created at layer 46 or
/// later (the original key both times, as [`SecretChat::new`] shows it) and for one that moved to
/// layer 46 under a later key. Both sides of a chat share the reference's code, so their pictures
/// agreeing says nothing about which bytes were hashed.
fn check_key_hash(original: &[u8; 256], seed: u8) {
    use mtproto::secret::visual::key_hash;
    let model = |layer46: &[u8; 256]| {
        let mut want = sha1::Sha1::digest(original)[..16].to_vec();
        want.extend_from_slice(&sha2::Sha256::digest(layer46)[..20]);
        want
    };
    let chat = SecretChat::new(
        Role::Acceptor,
        ChatKey::new(*original),
        crate::dh::proven().1[0].clone(),
        0,
    );
    assert_eq!(
        chat.visualisation().to_vec(),
        model(original),
        "key visualisation differs from SHA1(key)[0..16] ‖ SHA256(key)[0..20]"
    );
    let later: [u8; 256] = core::array::from_fn(|i| (i as u8).wrapping_mul(31) ^ seed);
    assert_eq!(
        key_hash(&ChatKey::new(*original), Some(&ChatKey::new(later))).to_vec(),
        model(&later),
        "key visualisation differs from SHA1(original)[0..16] ‖ SHA256(layer-46 key)[0..20]"
    );
}

/// [`secret_chat`] with every assertion, giving back the settled world and the chat's first key
/// (`None`: not an input).
fn conversation(data: &[u8], traced: bool) -> Option<(World, [u8; 256])> {
    let mut u = Unstructured::new(data);
    let seed = u8::arbitrary(&mut u).ok()?;
    let group = crate::dh::proven().1[0].clone();
    let key_bytes: [u8; 256] =
        core::array::from_fn(|i| (i as u8).wrapping_mul(29).wrapping_add(seed));
    let key = ChatKey::new(key_bytes);
    check_key_hash(&key_bytes, seed);
    let mut w = World {
        a: SecretChat::new(Role::Originator, key.clone(), group.clone(), 0),
        b: SecretChat::new(Role::Acceptor, key, group, 0),
        flying: Vec::new(),
        history: Vec::new(),
        sent: [Vec::new(), Vec::new()],
        got: [Vec::new(), Vec::new()],
        // Messages from the originator are odd, from the acceptor even.
        last_out: [-1, -2],
        seed,
        rekeyed: [false; 2],
        last_in: [0; 2],
        last_layer: [None; 2],
        taken: [0; 2],
        given: [0; 2],
        forged: false,
        forged_pending: None,
        queued_forged: [Vec::new(), Vec::new()],
        log: traced.then(Vec::new),
    };
    for _ in 0..MAX_OPS {
        if u.is_empty() {
            break;
        }
        let Ok(op) = Op::arbitrary(&mut u) else {
            break;
        };
        w.apply(op);
    }
    w.settle();
    if w.forged {
        // A malicious peer spoke: each forged message was judged when it arrived.
        return Some((w, key_bytes));
    }
    // got[1] is what A received (from B), got[0] what B received.
    assert_eq!(w.got[1], w.sent[0], "B's messages did not all reach A");
    assert_eq!(w.got[0], w.sent[1], "A's messages did not all reach B");
    assert!(!w.a.is_closed() && !w.b.is_closed());
    assert_eq!(w.a.counts(), (w.b.counts().1, w.b.counts().0));
    assert_eq!(
        w.a.current_key().fingerprint(),
        w.b.current_key().fingerprint()
    );
    assert_eq!(w.a.rekey_phase(), &RekeyPhase::Idle);
    assert_eq!(w.b.rekey_phase(), &RekeyPhase::Idle);
    assert_eq!(w.a.visualisation(), w.b.visualisation());
    Some((w, key_bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::{SecretOp, secret_chat as encode};

    fn decode(data: &[u8]) -> (u8, Vec<Op>) {
        let mut u = Unstructured::new(data);
        let seed = u8::arbitrary(&mut u).unwrap();
        let mut ops = Vec::new();
        while !u.is_empty() {
            ops.push(Op::arbitrary(&mut u).unwrap());
        }
        (seed, ops)
    }

    /// A re-key started by either side completes with the secrets the operation's byte picks:
    /// both sides end on a new key, and the same byte gives the same key.
    #[test]
    fn rekeying_completes_with_the_scripted_secrets() {
        let run = |seed: u8, from_a: bool, x: u8| {
            let data = encode(
                seed,
                &[
                    SecretOp::Send { from_a: true, x: 1 },
                    SecretOp::Rekey { from_a, x },
                ],
            );
            let (w, first) = conversation(&data, false).unwrap();
            let initial = ChatKey::new(first);
            assert_ne!(
                w.a.current_key().fingerprint(),
                initial.fingerprint(),
                "seed {seed}, x {x}: no new key"
            );
            w.a.current_key().fingerprint()
        };
        let k = run(3, true, 7);
        assert_eq!(run(3, true, 7), k);
        assert_ne!(run(3, true, 8), k, "another x, another pair of secrets");
        run(200, false, 0);
    }

    /// The layout encoder writes what the target reads, packets of any size included, anywhere.
    #[test]
    fn layout_encoder_matches_the_target() {
        for len in [0usize, 1, 255, 256, 1000] {
            let packet: Vec<u8> = (0..len).map(|i| i as u8).collect();
            let data = encode(
                9,
                &[
                    SecretOp::Send { from_a: true, x: 3 },
                    SecretOp::Tamper(1, 2),
                    SecretOp::Rekey {
                        from_a: false,
                        x: 4,
                    },
                    SecretOp::Garbage {
                        to_a: true,
                        bytes: packet.clone(),
                    },
                    SecretOp::Deliver(7),
                ],
            );
            let (seed, ops) = decode(&data);
            assert_eq!(seed, 9);
            assert!(
                matches!(
                    ops.as_slice(),
                    [Op::Send(true, 3), Op::Tamper(1, 2), Op::Rekey(false, 4), Op::Garbage(true, p), Op::Deliver(7)]
                        if *p == packet
                ),
                "{len}: {ops:?}"
            );
        }
    }
}
