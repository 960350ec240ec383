//! Secret-chat message encryption (spec §8.2): MTProto 2.0 with the chat key.
//!
//! ```text
//! inner     = decryptedMessageLayer#1be31789 random_bytes:bytes layer:int in_seq_no:int
//!             out_seq_no:int message:DecryptedMessage
//! plaintext = length (int32, LE) ‖ inner ‖ padding (12..1024 random bytes, total ≡ 0 mod 16)
//! packet    = key_fingerprint (8) ‖ msg_key (16) ‖ AES-256-IGE(plaintext)
//! msg_key_large = SHA256(substr(key, 88 + x, 32) + plaintext), msg_key = msg_key_large[8..24]
//! x = 0 for messages from the chat's originator, 8 for the other direction
//! ```
//!
//! x is 0 for messages from the party that created the chat, 8 the other way ([e2e]); the key
//! derivation and the
//! receiver checks are the cloud envelope's ([`envelope::open_directed`]): the fingerprint
//! selects the key (`UnknownKeyFingerprint`), then block alignment and size, then the msg_key
//! recomputed over the full decrypted data (padding included) and compared in constant time before any field is
//! read. After it: the length field (at most what is left, a multiple of 4 as TDLib requires),
//! the padding within 12..=1024 bytes, the layer as a strict TL value, and `random_bytes` of at
//! least 15 bytes, a message with fewer being ignored ([dml], spec §8.2).
//!
//!
//! ## MTProto 1.0 (layers below 73)
//!
//! "Once both sides ≥ layer 73: only MTProto 2.0 …; below layer 73, try v1 then v2" (spec §8.2).
//! This side speaks layer 73 or later and only ever sends MTProto 2.0; [`decrypt_any`] still
//! reads a 1.0 packet from an older peer:
//!
//! ```text
//! plaintext = length (int32, LE) ‖ inner ‖ padding (0..15 bytes, total ≡ 0 mod 16)
//! msg_key   = SHA1(length ‖ inner)[4..20]          (padding not hashed, spec §2.3)
//! aes_key, aes_iv = the 1.0 KDF of spec §2.3 with x = 0 in **both** directions
//! ```
//!
//! The x: spec §2.3 gives the 1.0 KDF with x by direction for cloud messages, but TDLib's
//! end-to-end transport uses x = 0 for every 1.0 packet and x = 0 / 8 by role only for 2.0
//! ([td-transport]: `write_e2e_crypto`/`read_e2e_crypto`), as the pre-2.0 clients did; a 1.0
//! packet with x = 8 would be read by no client. The receiver checks follow TDLib: the packet is
//! whole blocks, the length is non-negative, a multiple of 4 and leaves exactly the padding that
//! rounds it up to a block, and the msg_key matches — all folded into one failure, as TDLib
//! folds a bad length into the msg_key comparison. 2.0 is tried first (TDLib's order; a packet
//! cannot pass both but with negligible probability); when 1.0 fails too the 2.0 error is the
//! answer, so a tampered packet reports as before. Whether a 1.0 message is *allowed* depends
//! on the chat (its layer, and the 2.0 messages already seen): that is [`super::chat`]'s rule.
//!
//! [e2e]: https://core.telegram.org/api/end-to-end
//! [dml]: https://core.telegram.org/constructor/decryptedMessageLayer
//! [td-transport]: https://github.com/tdlib/td/blob/master/td/mtproto/Transport.cpp

use subtle::ConstantTimeEq;

use crate::codec::Reader;
use crate::crypto::ige::{aes256_ige_decrypt, aes256_ige_encrypt};
use crate::crypto::kdf::{self, Direction};
use crate::envelope::{self, MAX_PADDING, MIN_PADDING, check_padding};
use crate::error::{EnvelopeError, SecretError};
use crate::tl::Tl;
use crate::tl::generated::secret::types::DecryptedMessageLayer;

use super::key::ChatKey;

/// The fewest `random_bytes` a `decryptedMessageLayer` may carry ([dml]: at least 15 bytes).
///
/// [dml]: https://core.telegram.org/constructor/decryptedMessageLayer
pub const MIN_RANDOM_BYTES: usize = 15;

/// The layer from which a message must be encrypted with MTProto 2.0 (spec §8.2; TDLib's
/// `SecretChatLayer::Mtproto2`).
pub const MTPROTO2_LAYER: i32 = 73;

/// Which encryption a received packet passed under.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Version {
    /// MTProto 1.0 (layers below 73 only).
    V1,
    /// MTProto 2.0.
    V2,
}

/// Which party of a secret chat (or call) this side is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// The party that created the chat (sent `requestEncryption`); sends with x = 0.
    Originator,
    /// The party that accepted it; sends with x = 8.
    Acceptor,
}

impl Role {
    /// The other party.
    pub const fn peer(self) -> Self {
        match self {
            Self::Originator => Self::Acceptor,
            Self::Acceptor => Self::Originator,
        }
    }

    /// The KDF direction of the messages this party sends: x = 0 for the originator, x = 8 for
    /// the acceptor (the [`Direction`] names are the cloud protocol's, the `x` is what matters).
    pub const fn send_direction(self) -> Direction {
        match self {
            Self::Originator => Direction::ClientToServer,
            Self::Acceptor => Direction::ServerToClient,
        }
    }
}

/// The KDF direction of messages `receiver` reads: its peer's (spec §8.2: x by sender).
pub(crate) fn incoming_direction(receiver: Role) -> Direction {
    if mutant!(SwapSecretX) {
        return receiver.send_direction();
    }
    receiver.peer().send_direction()
}

/// Encrypt a serialized `decryptedMessageLayer` (`inner`, a multiple of 4 bytes) from `sender`
/// with caller-supplied `padding` (12..=1024 bytes, making the plaintext a multiple of 16).
///
/// Inputs a receiver would reject are refused with the receiver's names: `LengthNotAligned`,
/// `PaddingTooShort` / `PaddingTooLong`, `NotBlockAligned`.
pub fn encrypt(
    key: &ChatKey,
    sender: Role,
    inner: &[u8],
    padding: &[u8],
) -> Result<Vec<u8>, SecretError> {
    let len = i32::try_from(inner.len()).map_err(|_| EnvelopeError::LengthOutOfRange {
        declared: i64::try_from(inner.len()).unwrap_or(i64::MAX),
        available: i32::MAX as usize,
    })?;
    if !inner.len().is_multiple_of(4) {
        return Err(EnvelopeError::LengthNotAligned {
            declared: i64::from(len),
        }
        .into());
    }
    check_padding(padding.len())?;
    let mut plaintext =
        Vec::with_capacity(inner.len().saturating_add(padding.len()).saturating_add(4));
    plaintext.extend_from_slice(&len.to_le_bytes());
    plaintext.extend_from_slice(inner);
    plaintext.extend_from_slice(padding);
    if !plaintext.len().is_multiple_of(16) {
        let len = plaintext.len();
        crate::wipe::vec(&mut plaintext);
        return Err(EnvelopeError::NotBlockAligned { len }.into());
    }
    let packet = envelope::seal(key.as_auth_key(), sender.send_direction(), &plaintext);
    crate::wipe::vec(&mut plaintext);
    Ok(packet?)
}

/// The padding length for a message of `inner_len` bytes: the smallest of 12..=27 that makes the
/// plaintext a multiple of 16, plus `16 · extra_blocks` (capped so the padding stays ≤ 1024).
pub fn padding_len(inner_len: usize, extra_blocks: usize) -> usize {
    let base = inner_len.saturating_add(4).saturating_add(MIN_PADDING);
    let fill = (16usize.wrapping_sub(base % 16)) % 16;
    let max_extra = (MAX_PADDING.saturating_sub(MIN_PADDING).saturating_sub(fill)) / 16;
    MIN_PADDING
        .saturating_add(fill)
        .saturating_add(extra_blocks.min(max_extra).saturating_mul(16))
}

/// Decrypt a packet that `receiver`'s peer sent under `key`, with every check of spec §8.2, and
/// decode its layer. The seq_no rules (§8.3) are [`super::seq`]'s.
pub fn decrypt(
    key: &ChatKey,
    receiver: Role,
    packet: &[u8],
) -> Result<DecryptedMessageLayer, SecretError> {
    let verified =
        // The mutant reads with the receiver's own x (x by own role instead of by sender).
        envelope::open_directed(key.as_auth_key(), incoming_direction(receiver), packet)?;
    let plaintext = verified.as_bytes();
    let mut r = Reader::new(plaintext);
    let declared = r.int().map_err(|_| EnvelopeError::TooShort {
        len: plaintext.len(),
        min: 4,
    })?;
    let available = r.left();
    let len = usize::try_from(declared)
        .ok()
        .filter(|&l| l <= available)
        .ok_or(EnvelopeError::LengthOutOfRange {
            declared: i64::from(declared),
            available,
        })?;
    if !len.is_multiple_of(4) {
        return Err(EnvelopeError::LengthNotAligned {
            declared: i64::from(declared),
        }
        .into());
    }
    check_padding(available.saturating_sub(len))?;
    decode_layer(r.take(len).unwrap_or(&[]))
}

/// The layer's TL value, then its `random_bytes` length (both versions).
fn decode_layer(inner: &[u8]) -> Result<DecryptedMessageLayer, SecretError> {
    let layer = DecryptedMessageLayer::from_bytes(inner)?;
    if layer.random_bytes.len() < MIN_RANDOM_BYTES && !mutant!(AcceptShortRandomBytes) {
        return Err(SecretError::RandomBytesTooShort {
            len: layer.random_bytes.len(),
        });
    }
    Ok(layer)
}

/// Encrypt `inner` with MTProto 1.0 as an older (layer < 73) peer would (see the module docs):
/// `padding` must be the 0..=15 bytes that make `4 + inner` whole blocks. This side never sends
/// 1.0; the function exists for tests and the vector generator.
pub fn encrypt_v1(key: &ChatKey, inner: &[u8], padding: &[u8]) -> Result<Vec<u8>, SecretError> {
    let len = i32::try_from(inner.len()).map_err(|_| SecretError::BadRequest {
        what: "message too long",
    })?;
    let total = inner.len().saturating_add(4).saturating_add(padding.len());
    if !inner.len().is_multiple_of(4) || padding.len() >= 16 || !total.is_multiple_of(16) {
        return Err(SecretError::BadRequest {
            what: "MTProto 1.0 needs a body of whole words and 0..=15 bytes of padding to a block",
        });
    }
    let mut plaintext = Vec::with_capacity(total);
    plaintext.extend_from_slice(&len.to_le_bytes());
    plaintext.extend_from_slice(inner);
    let msg_key = kdf::v1::msg_key(&plaintext);
    plaintext.extend_from_slice(padding);
    let keys = kdf::v1::derive(key.as_auth_key(), Direction::ClientToServer, &msg_key);
    let sealed = aes256_ige_encrypt(&keys.aes_key, &keys.aes_iv, &mut plaintext);
    let mut packet = Vec::with_capacity(total.saturating_add(24));
    packet.extend_from_slice(&key.fingerprint());
    packet.extend_from_slice(&msg_key);
    packet.extend_from_slice(&plaintext);
    crate::wipe::vec(&mut plaintext);
    sealed.map_err(|_| EnvelopeError::NotBlockAligned { len: total })?;
    Ok(packet)
}

/// Decrypt an MTProto 1.0 packet under `key` (x = 0), with the 1.0 receiver checks of the module
/// docs; `None` when it is not a valid 1.0 packet (the caller reports its 2.0 error instead).
fn decrypt_v1(key: &ChatKey, packet: &[u8]) -> Option<Result<DecryptedMessageLayer, SecretError>> {
    let mut r = Reader::new(packet);
    let (fp, msg_key) = (r.take_array::<8>()?, r.take_array::<16>()?);
    if !bool::from(fp.ct_eq(&key.fingerprint())) {
        return None;
    }
    let mut data = r.take(r.left())?.to_vec();
    if data.is_empty() {
        return None;
    }
    let keys = kdf::v1::derive(key.as_auth_key(), Direction::ClientToServer, &msg_key);
    aes256_ige_decrypt(&keys.aes_key, &keys.aes_iv, &mut data).ok()?;
    let declared = data.first_chunk::<4>().map(|b| i32::from_le_bytes(*b))?;
    // The length must leave exactly the padding to the next block; with a bad one the whole
    // data is hashed, so it fails the msg_key comparison like TDLib's (no separate answer).
    let unpadded = usize::try_from(declared)
        .ok()
        .filter(|l| l.is_multiple_of(4))
        .and_then(|l| l.checked_add(4))
        .filter(|u| *u <= data.len() && data.len().saturating_sub(*u) < 16);
    let expected = kdf::v1::msg_key(data.get(..unpadded.unwrap_or(data.len())).unwrap_or(&[]));
    let result = match (bool::from(expected.ct_eq(&msg_key)), unpadded) {
        (true, Some(u)) => Some(decode_layer(data.get(4..u).unwrap_or(&[]))),
        _ => None,
    };
    crate::wipe::vec(&mut data);
    result
}

/// Decrypt a packet from `receiver`'s peer: MTProto 2.0 ([`decrypt`]) first, then 1.0 when 2.0
/// fails after the key was selected; if both fail, the 2.0 error. Returns the layer and the
/// version it passed under. Whether a 1.0 message is allowed is the chat's decision.
pub fn decrypt_any(
    key: &ChatKey,
    receiver: Role,
    packet: &[u8],
) -> Result<(DecryptedMessageLayer, Version), SecretError> {
    match decrypt(key, receiver, packet) {
        Ok(layer) => Ok((layer, Version::V2)),
        // Not a valid 2.0 packet for this key (an authenticated 2.0 message that fails its TL
        // decoding is not retried).
        Err(e @ SecretError::Envelope(_)) => {
            match decrypt_v1(key, packet) {
                Some(Ok(layer)) => Ok((layer, Version::V1)),
                // An authenticated 1.0 message whose layer does not decode: its own error.
                Some(Err(v1)) => Err(v1),
                None => Err(e),
            }
        }
        Err(e) => Err(e),
    }
}
