//! Encrypted messages as one side sends them: msg_id and seq_no generation, padding, and the
//! deliberate breakage of [`Mutation`]. Each broken message keeps every other check passing — a
//! correct msg_key around a bad plaintext ([`mtproto::envelope::seal`]) — so only the check
//! under test can reject it.

use mtproto::codec::{put_int, put_long};
use mtproto::envelope::{self, Message};
use mtproto::session::{MsgIdGenerator, MsgIdKind, SeqNoGenerator};
use mtproto::{AuthKey, Direction};

use crate::case::Mutation;
use crate::clock;
use crate::error::{Result, WireError};
use crate::rng::Rng;
use crate::tl;

/// One side's sending state of a session.
#[derive(Debug)]
pub struct Sealer {
    /// The key.
    pub auth_key: AuthKey,
    /// Which way this side sends.
    pub direction: Direction,
    /// The server salt written into messages.
    pub salt: i64,
    /// The session.
    pub session_id: i64,
    /// Seconds to add to the local clock for msg_ids (the client's offset to the server).
    pub time_offset: i64,
    ids: MsgIdGenerator,
    seq: SeqNoGenerator,
    /// msg_ids of the valid messages sent, in order.
    pub sent: Vec<i64>,
    rng: Rng,
}

/// A sealed packet.
#[derive(Clone, Debug)]
pub struct Sealed {
    /// The packet (auth_key_id ‖ msg_key ‖ encrypted_data).
    pub packet: Vec<u8>,
    /// The msg_id inside.
    pub msg_id: i64,
    /// The seq_no inside.
    pub seq_no: i32,
}

impl Sealer {
    /// A sender for `session_id`.
    pub fn new(
        auth_key: AuthKey,
        direction: Direction,
        salt: i64,
        session_id: i64,
        time_offset: i64,
        rng: Rng,
    ) -> Self {
        Self {
            auth_key,
            direction,
            salt,
            session_id,
            time_offset,
            ids: MsgIdGenerator::new(),
            seq: SeqNoGenerator::new(),
            sent: Vec::new(),
            rng,
        }
    }

    /// The next msg_id of `kind`.
    pub fn next_msg_id(&mut self, kind: MsgIdKind) -> Result<i64> {
        let (s, n) = clock::now_parts(self.time_offset);
        self.ids
            .next(s, n, kind)
            .ok_or_else(|| WireError::protocol("msg_id", "msg_id space exhausted"))
    }

    fn next_seq(&mut self, content_related: bool) -> Result<i32> {
        self.seq
            .next(content_related)
            .ok_or_else(|| WireError::protocol("seq_no", "seq_no space exhausted"))
    }

    /// Random padding of 12..=1024 bytes (12 + up to 47) that aligns `body_len`.
    fn padding(&mut self, body_len: usize) -> Vec<u8> {
        let base = 32 + body_len + 12;
        let align = (16 - base % 16) % 16;
        let extra = 16 * usize::from(self.rng.bytes::<1>()[0] % 3);
        self.rng.vec(12 + align + extra)
    }

    /// Seal `body` with the next msg_id of `kind`: a valid message, or one broken by `mutation`.
    pub fn seal(
        &mut self,
        body: &[u8],
        kind: MsgIdKind,
        mutation: Option<Mutation>,
    ) -> Result<Sealed> {
        let content_related = tl::content_related(body);
        let mut msg_id = self.next_msg_id(kind)?;
        let seq_no = match mutation {
            // A refused message is not counted: the generator does not advance for it.
            Some(m) if m.is_seq_no() => {
                let s = self
                    .seq
                    .clone()
                    .next(content_related)
                    .ok_or_else(|| WireError::protocol("seq_no", "seq_no space exhausted"))?;
                match m {
                    Mutation::SeqNoTooLow => s - 2,
                    Mutation::SeqNoTooHigh => s + 2,
                    Mutation::SeqNoEvenForContent => s & !1,
                    _ => s | 1,
                }
            }
            _ => self.next_seq(content_related)?,
        };
        let mut session_id = self.session_id;
        let salt = if mutation == Some(Mutation::WrongSalt) {
            self.salt ^ 0x0101_0101
        } else {
            self.salt
        };
        let low = |id: i64| id & 3;
        match mutation {
            Some(Mutation::WrongSessionId) => session_id = session_id.wrapping_add(1),
            Some(Mutation::EvenMsgId) => msg_id &= !3,
            Some(Mutation::OddClientMsgId) => msg_id = (msg_id & !3) | 1,
            Some(Mutation::MsgIdTooOld) | Some(Mutation::MsgIdTooNew) => {
                let shift: i64 = if mutation == Some(Mutation::MsgIdTooOld) {
                    -400
                } else {
                    60
                };
                let secs = clock::now_secs(self.time_offset).saturating_add(shift);
                let frac = i64::from(self.rng.bytes::<2>()[0]) << 8;
                msg_id = (secs << 32) | (frac & !3) | low(msg_id) | 4;
            }
            Some(Mutation::DuplicateMsgId) => {
                msg_id = *self.sent.first().ok_or_else(|| {
                    WireError::protocol("duplicate msg_id", "no valid message was sent before")
                })?;
            }
            _ => {}
        }
        let packet = match mutation {
            Some(Mutation::ContainerInnerIdNotLower) => {
                let inner_id = self.next_msg_id(kind)?;
                let c = tl::container(&[(inner_id, seq_no, body)]);
                self.plain(&c, msg_id, 0, session_id, salt)?
            }
            Some(Mutation::ContainerNested) => {
                let inner_id = msg_id;
                let mid = self.next_msg_id(kind)?;
                let outer = self.next_msg_id(kind)?;
                msg_id = outer;
                let c1 = tl::container(&[(inner_id, seq_no, body)]);
                let c2 = tl::container(&[(mid, 0, &c1)]);
                self.plain(&c2, outer, 0, session_id, salt)?
            }
            Some(Mutation::PaddingTooShort) => {
                // A container around the body, with empty acks added until fewer than 12 bytes
                // of padding align the plaintext.
                let inner_id = msg_id;
                let mut extra = Vec::new();
                let mut ack = Vec::new();
                mtproto::session::msgs_ack_body(&[], &mut ack);
                let (c, pad) = loop {
                    let mut msgs: Vec<(i64, i32, &[u8])> = vec![(inner_id, seq_no, body)];
                    for id in &extra {
                        msgs.push((*id, 0, &ack));
                    }
                    let c = tl::container(&msgs);
                    let pad = (16 - (32 + c.len()) % 16) % 16;
                    if pad < 12 || extra.len() > 3 {
                        break (c, pad);
                    }
                    extra.push(self.next_msg_id(kind)?);
                };
                msg_id = self.next_msg_id(kind)?;
                self.raw(
                    msg_id,
                    0,
                    session_id,
                    salt,
                    &c,
                    i64::try_from(c.len()).unwrap_or(0),
                    pad,
                )?
            }
            Some(Mutation::PaddingTooLong) => {
                let pad = 1024 + 12 + (16 - (32 + body.len() + 1036) % 16) % 16;
                let declared = i64::try_from(body.len()).unwrap_or(0);
                self.raw(msg_id, seq_no, session_id, salt, body, declared, pad)?
            }
            Some(Mutation::LengthNotAligned) => {
                let pad = self.padding(body.len()).len();
                let declared = i64::try_from(body.len()).unwrap_or(0) - 2;
                self.raw(msg_id, seq_no, session_id, salt, body, declared, pad)?
            }
            Some(Mutation::LengthBeyondPlaintext) => {
                let pad = self.padding(body.len()).len();
                let declared = i64::try_from(body.len() + pad + 16).unwrap_or(0);
                self.raw(msg_id, seq_no, session_id, salt, body, declared, pad)?
            }
            Some(Mutation::WrongDirection) => {
                let padding = self.padding(body.len());
                let m = Message {
                    salt,
                    session_id,
                    msg_id,
                    seq_no,
                    body,
                };
                envelope::encrypt(&self.auth_key, self.direction.reverse(), &m, &padding)
                    .map_err(|e| WireError::protocol("seal", e))?
            }
            Some(Mutation::TamperedPadding) => {
                // At least one whole block of padding, so the flipped last block is padding only.
                let mut pad = self.padding(body.len()).len();
                if pad < 16 {
                    pad += 16;
                }
                let declared = i64::try_from(body.len()).unwrap_or(0);
                self.raw(msg_id, seq_no, session_id, salt, body, declared, pad)?
            }
            _ => self.plain(body, msg_id, seq_no, session_id, salt)?,
        };
        let mut packet = packet;
        match mutation {
            Some(Mutation::WrongAuthKeyId) => flip(&mut packet, 0),
            Some(Mutation::FlipMsgKey) => flip(&mut packet, 8),
            // IGE: a changed last ciphertext block changes the last plaintext block only.
            Some(Mutation::TamperedPadding) => {
                let last = packet.len().saturating_sub(1);
                flip(&mut packet, last);
            }
            Some(Mutation::UnalignedLength) => packet.extend_from_slice(&[0u8; 4]),
            Some(Mutation::TooShort) => packet.truncate(24 + 32),
            _ => {}
        }
        if mutation.is_none() {
            self.sent.push(msg_id);
        }
        Ok(Sealed {
            packet,
            msg_id,
            seq_no,
        })
    }

    /// Seal `body` validly under a msg_id the caller chose (a replay, a reordered message);
    /// the msg_id is recorded as sent.
    pub fn seal_at(&mut self, body: &[u8], msg_id: i64) -> Result<Sealed> {
        let seq_no = self.next_seq(tl::content_related(body))?;
        let (session_id, salt) = (self.session_id, self.salt);
        let packet = self.plain(body, msg_id, seq_no, session_id, salt)?;
        self.sent.push(msg_id);
        Ok(Sealed {
            packet,
            msg_id,
            seq_no,
        })
    }

    /// Every valid msg_id sent so far, in sending order.
    pub fn sent_ids(&self) -> &[i64] {
        &self.sent
    }

    /// A valid envelope around `body` with the given header fields.
    fn plain(
        &mut self,
        body: &[u8],
        msg_id: i64,
        seq_no: i32,
        session_id: i64,
        salt: i64,
    ) -> Result<Vec<u8>> {
        let padding = self.padding(body.len());
        let m = Message {
            salt,
            session_id,
            msg_id,
            seq_no,
            body,
        };
        envelope::encrypt(&self.auth_key, self.direction, &m, &padding)
            .map_err(|e| WireError::protocol("seal", e))
    }

    /// A plaintext with a chosen declared length and padding length, sealed with a correct
    /// msg_key.
    #[allow(clippy::too_many_arguments)]
    fn raw(
        &mut self,
        msg_id: i64,
        seq_no: i32,
        session_id: i64,
        salt: i64,
        body: &[u8],
        declared: i64,
        pad: usize,
    ) -> Result<Vec<u8>> {
        let mut p = Vec::with_capacity(32 + body.len() + pad);
        put_long(&mut p, salt);
        put_long(&mut p, session_id);
        put_long(&mut p, msg_id);
        put_int(&mut p, seq_no);
        put_int(&mut p, i32::try_from(declared).unwrap_or(i32::MAX));
        p.extend_from_slice(body);
        let padding = self.rng.vec(pad);
        p.extend_from_slice(&padding);
        envelope::seal(&self.auth_key, self.direction, &p)
            .map_err(|e| WireError::protocol("seal", e))
    }
}

fn flip(packet: &mut [u8], at: usize) {
    if let Some(b) = packet.get_mut(at) {
        *b ^= 0x01;
    }
}
