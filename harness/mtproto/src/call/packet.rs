//! Call packet encryption of the current protocol (spec §9.3, [vc]) and its replay rule.
//!
//! ```text
//! msg_key_large = SHA256(substr(key, 88 + x, 32) + decrypted_body)        (no padding)
//! msg_key       = msg_key_large[8..24]
//! sha256_a      = SHA256(msg_key + substr(key, x, 36))
//! sha256_b      = SHA256(substr(key, 40 + x, 36) + msg_key)
//! aes_key       = sha256_a[0..8] + sha256_b[8..24] + sha256_a[24..32]
//! aes_iv        = sha256_b[0..4] + sha256_a[8..16] + sha256_b[24..28]       (16 bytes)
//! packet        = msg_key ‖ AES-256-CTR(decrypted_body, aes_key, aes_iv)
//! x = 0 from the caller, 8 from the callee, + 128 on the signaling channel
//! ```
//!
//! The receiver recomputes msg_key over the decrypted body and discards the packet on a
//! mismatch (constant-time compare). Replays: each sender numbers its messages from 1; the
//! receiver remembers seqs above the highest received minus 64 and discards a packet whose
//! first seq is at or below that bound or already seen ([`ReplayWindow`]). The byte layout of
//! seqs inside `decrypted_body` is tgcalls' and not fixed by spec §9.3: [`super::seq`]
//! reads it and runs the window on it.
//!
//! [vc]: https://core.telegram.org/api/end-to-end/video-calls

use aes::Aes256;
use cipher::{KeyIvInit, StreamCipher};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::Zeroize;

use crate::error::CallError;
use crate::secret::{ChatKey, Role};

type Ctr = ctr::Ctr128BE<Aes256>;

/// Which call channel a packet belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Channel {
    /// Media transport.
    Transport,
    /// Signaling (x + 128).
    Signaling,
}

/// `x` for packets sent by `sender` (the caller is the [`Role::Originator`]) on `channel`.
pub const fn x(sender: Role, channel: Channel) -> usize {
    let base = match sender {
        Role::Originator => 0,
        Role::Acceptor => 8,
    };
    match channel {
        Channel::Transport => base,
        Channel::Signaling => base | 128,
    }
}

fn key_slice<const N: usize>(key: &ChatKey, at: usize) -> [u8; N] {
    key.as_bytes()
        .get(at..)
        .and_then(|s| s.first_chunk::<N>())
        .copied()
        .unwrap_or([0; N])
}

fn msg_key(key: &ChatKey, x: usize, body: &[u8]) -> [u8; 16] {
    let large: [u8; 32] = Sha256::new()
        .chain_update(key_slice::<32>(key, 88usize.saturating_add(x)))
        .chain_update(body)
        .finalize()
        .into();
    large
        .get(8..24)
        .and_then(|s| s.first_chunk::<16>())
        .copied()
        .unwrap_or([0; 16])
}

/// `(aes_key, aes_iv)` for `msg_key` (the 16-byte IV of the current protocol).
pub fn derive(key: &ChatKey, x: usize, msg_key: &[u8; 16]) -> ([u8; 32], [u8; 16]) {
    let mut a: [u8; 32] = Sha256::new()
        .chain_update(msg_key)
        .chain_update(key_slice::<36>(key, x))
        .finalize()
        .into();
    let mut b: [u8; 32] = Sha256::new()
        .chain_update(key_slice::<36>(key, 40usize.saturating_add(x)))
        .chain_update(msg_key)
        .finalize()
        .into();
    let mut aes_key = [0u8; 32];
    let mut aes_iv = [0u8; 16];
    for (i, o) in aes_key.iter_mut().enumerate() {
        let src = if (8..24).contains(&i) { &b } else { &a };
        *o = src.get(i).copied().unwrap_or(0);
    }
    for (i, o) in aes_iv.iter_mut().enumerate() {
        *o = match i {
            0..4 => b.get(i),
            4..12 => a.get(i.saturating_add(4)),
            _ => b.get(i.saturating_add(12)),
        }
        .copied()
        .unwrap_or(0);
    }
    a.zeroize();
    b.zeroize();
    (aes_key, aes_iv)
}

fn apply(key: &ChatKey, x: usize, msg_key: &[u8; 16], data: &mut [u8]) {
    let (mut aes_key, mut aes_iv) = derive(key, x, msg_key);
    Ctr::new((&aes_key).into(), (&aes_iv).into()).apply_keystream(data);
    aes_key.zeroize();
    aes_iv.zeroize();
}

/// Encrypt `body` from `sender` on `channel`: `msg_key ‖ AES-256-CTR(body)`.
pub fn encrypt(key: &ChatKey, sender: Role, channel: Channel, body: &[u8]) -> Vec<u8> {
    let x = x(sender, channel);
    let mk = msg_key(key, x, body);
    let mut packet = Vec::with_capacity(body.len().saturating_add(16));
    packet.extend_from_slice(&mk);
    packet.extend_from_slice(body);
    if let Some(data) = packet.get_mut(16..) {
        apply(key, x, &mk, data);
    }
    packet
}

/// Decrypt a packet that `receiver`'s peer sent on `channel`; the body only if its msg_key
/// matches.
pub fn decrypt(
    key: &ChatKey,
    receiver: Role,
    channel: Channel,
    packet: &[u8],
) -> Result<Vec<u8>, CallError> {
    let x = x(receiver.peer(), channel);
    let Some((mk, data)) = packet
        .split_first_chunk::<16>()
        .filter(|(_, d)| !d.is_empty())
    else {
        return Err(CallError::TooShort { len: packet.len() });
    };
    let mut body = data.to_vec();
    apply(key, x, mk, &mut body);
    if bool::from(msg_key(key, x, &body).ct_eq(mk)) {
        Ok(body)
    } else {
        crate::wipe::vec(&mut body);
        Err(CallError::MsgKeyMismatch)
    }
}

/// The receiver's replay state for one sender's seqs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReplayWindow {
    max: u32,
    /// Bit `i` set: `max - i` received (bit 0 is `max` itself once anything arrived).
    seen: u64,
}

/// The first seq a sender may not use: the call ends before 2^30.
pub const SEQ_LIMIT: u32 = 1 << 30;

impl ReplayWindow {
    /// Nothing received yet.
    pub const fn new() -> Self {
        Self { max: 0, seen: 0 }
    }

    /// The highest seq received.
    pub fn max(&self) -> u32 {
        self.max
    }

    /// Accept `seq` (the packet's first) once: `SeqOutOfRange` for 0 or ≥ 2^30, `SeqTooOld` at or
    /// below `max − 64`, `SeqRepeated` if seen. An error changes nothing.
    pub fn check(&mut self, seq: u32) -> Result<(), CallError> {
        if seq == 0 || seq >= SEQ_LIMIT {
            return Err(CallError::SeqOutOfRange { seq });
        }
        if seq > self.max {
            let shift = seq.saturating_sub(self.max);
            self.seen = if shift >= 64 { 0 } else { self.seen << shift };
            self.seen |= 1;
            self.max = seq;
            return Ok(());
        }
        let back = self.max.saturating_sub(seq);
        if back >= 64 {
            return Err(CallError::SeqTooOld { seq });
        }
        let bit = 1u64 << back;
        // The mutant remembers only the newest seq, as an earlier tgcalls
        // `registerIncomingCounter` did (its pruning predicate was inverted).
        if self.seen & bit != 0 && (back == 0 || !mutant!(CallNewestOnlyWindow)) {
            return Err(CallError::SeqRepeated { seq });
        }
        self.seen |= bit;
        Ok(())
    }
}
