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
//! [e2e]: https://core.telegram.org/api/end-to-end
//! [dml]: https://core.telegram.org/constructor/decryptedMessageLayer

use crate::codec::Reader;
use crate::crypto::kdf::Direction;
use crate::envelope::{self, MAX_PADDING, MIN_PADDING, check_padding};
use crate::error::{EnvelopeError, SecretError};
use crate::tl::Tl;
use crate::tl::generated::secret::types::DecryptedMessageLayer;

use super::key::ChatKey;

/// The fewest `random_bytes` a `decryptedMessageLayer` may carry ([dml]: at least 15 bytes).
///
/// [dml]: https://core.telegram.org/constructor/decryptedMessageLayer
pub const MIN_RANDOM_BYTES: usize = 15;

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
        zeroize::Zeroize::zeroize(&mut plaintext);
        return Err(EnvelopeError::NotBlockAligned { len }.into());
    }
    let packet = envelope::seal(key.as_auth_key(), sender.send_direction(), &plaintext);
    zeroize::Zeroize::zeroize(&mut plaintext);
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
    let inner = r.take(len).unwrap_or(&[]);
    let layer = DecryptedMessageLayer::from_bytes(inner)?;
    if layer.random_bytes.len() < MIN_RANDOM_BYTES && !mutant!(AcceptShortRandomBytes) {
        return Err(SecretError::RandomBytesTooShort {
            len: layer.random_bytes.len(),
        });
    }
    Ok(layer)
}
