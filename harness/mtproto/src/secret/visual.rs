//! Key visualisation of secret chats (spec §8.5).
//!
//! The visualisation is the first 128 bits of SHA1 of the chat's original key followed by the
//! first 160 bits of SHA256 of the key in use when the chat moved to layer 46 ([e2e-pfs]):
//!
//! ```text
//! key_hash = SHA1(original_key)[0..16] ‖ SHA256(layer46_key)[0..20]     (36 bytes)
//! ```
//!
//! A chat created at layer 46 or later uses its original key for both halves. Clients draw the
//! 36 bytes as a 12×12 grid of 2-bit colours or print the first 32 as hex ([td-sc]); both sides of
//! an un-attacked chat see the same bytes, and a man in the middle, who holds a different key
//! with each side, cannot make them agree. The `key_fingerprint` is not the visualisation.
//!
//! [e2e-pfs]: https://core.telegram.org/api/end-to-end/pfs
//! [td-sc]: https://github.com/tdlib/td/blob/master/td/telegram/SecretChatActor.cpp

use sha1::Sha1;
use sha2::{Digest, Sha256};

use super::key::ChatKey;

/// Bytes in a secret-chat key visualisation.
pub const KEY_HASH_LEN: usize = 36;

/// The 36-byte `key_hash` of spec §8.5. `layer46_key` is the key in use when the chat moved to
/// layer 46, or `None` for a chat created at layer 46 or later (the original key then serves both
/// halves).
pub fn key_hash(original: &ChatKey, layer46_key: Option<&ChatKey>) -> [u8; KEY_HASH_LEN] {
    let sha1 = Sha1::digest(original.as_bytes());
    let sha256 = Sha256::digest(layer46_key.unwrap_or(original).as_bytes());
    let mut out = [0u8; KEY_HASH_LEN];
    let (a, b) = out.split_at_mut(16);
    a.copy_from_slice(sha1.get(..16).unwrap_or(&[0; 16]));
    b.copy_from_slice(sha256.get(..20).unwrap_or(&[0; 20]));
    out
}
