//! The 2048-bit authorization key, its `auth_key_id` and `aux_hash` (spec §2.1, §4).
//!
//! "auth_key_id: 64 lower-order bits of SHA1(auth_key)" ([desc]), that is the last 8 bytes of the
//! digest, kept on the wire as they are; `aux_hash` is the 64 higher-order bits, the first 8
//! bytes ([auth]). A key is exactly 256 bytes: a shorter one (a DH result whose leading zero bytes
//! were dropped, a known bug class) is rejected, never padded or truncated.
//!
//! [desc]: https://core.telegram.org/mtproto/description
//! [auth]: https://core.telegram.org/mtproto/auth_key

use core::fmt;

use sha1::{Digest, Sha1};
use zeroize::Zeroize;

use crate::error::KeyError;

/// Bytes in an auth key.
pub const AUTH_KEY_LEN: usize = 256;

/// A 256-byte authorization key. Zeroized on drop; `Debug` shows only its id.
#[derive(Clone)]
pub struct AuthKey {
    bytes: [u8; AUTH_KEY_LEN],
    id: [u8; 8],
    aux_hash: [u8; 8],
}

impl AuthKey {
    /// A key from exactly 256 bytes.
    pub fn new(bytes: [u8; AUTH_KEY_LEN]) -> Self {
        let digest: [u8; 20] = match bytes.split_first() {
            // The key as a minimal big-endian integer: 255 bytes when the first is zero.
            Some((0, rest)) if mutant!(DropLeadingZero) => Sha1::digest(rest).into(),
            _ => Sha1::digest(bytes).into(),
        };
        let (head, rest) = digest.split_first_chunk::<8>().unwrap_or((&[0; 8], &[]));
        let aux_hash = *head;
        let id = rest.last_chunk::<8>().copied().unwrap_or([0; 8]);
        Self {
            bytes,
            id,
            aux_hash,
        }
    }

    /// A key from a slice, which must be exactly 256 bytes long.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, KeyError> {
        <[u8; AUTH_KEY_LEN]>::try_from(bytes)
            .map(Self::new)
            .map_err(|_| KeyError::WrongLength { len: bytes.len() })
    }

    /// The key bytes.
    pub fn as_bytes(&self) -> &[u8; AUTH_KEY_LEN] {
        &self.bytes
    }

    /// `auth_key_id` as its 8 wire bytes, `SHA1(auth_key)[12..20]`.
    pub fn id(&self) -> [u8; 8] {
        self.id
    }

    /// `auth_key_id` as the TL `long` those bytes encode.
    pub fn id_long(&self) -> i64 {
        i64::from_le_bytes(self.id)
    }

    /// `auth_key_aux_hash`, `SHA1(auth_key)[0..8]` (used by `dh_gen_*` nonce hashes).
    pub fn aux_hash(&self) -> [u8; 8] {
        self.aux_hash
    }
}

impl Drop for AuthKey {
    fn drop(&mut self) {
        self.bytes.zeroize();
    }
}

impl fmt::Debug for AuthKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthKey")
            .field("id", &format_args!("{:02x?}", self.id))
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Spec §11.2: auth_key = 0x00..0xff.
    #[test]
    fn id_and_aux_hash_known_answer() {
        let bytes: [u8; 256] = core::array::from_fn(|i| i as u8);
        let key = AuthKey::new(bytes);
        assert_eq!(hex::encode(key.id()), "32d1586ea457dfc8");
        assert_eq!(hex::encode(key.aux_hash()), "4916d6bdb7f78e68");
        assert_eq!(key.id_long(), i64::from_le_bytes(key.id()));
        assert!(!format!("{key:?}").contains("00, 01, 02, 03, 04"));
    }

    #[test]
    fn wrong_lengths_are_rejected() {
        for len in [0usize, 1, 255, 257, 512] {
            assert_eq!(
                AuthKey::from_slice(&vec![1u8; len]).unwrap_err(),
                KeyError::WrongLength { len }
            );
        }
        assert!(AuthKey::from_slice(&[1u8; 256]).is_ok());
    }
}
