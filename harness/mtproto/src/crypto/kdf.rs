//! Message key and AES key/IV derivation: MTProto 2.0 (spec §2.2) and the legacy 1.0 KDF still
//! needed for `auth.bindTempAuthKey` (spec §2.3, §4.6).
//!
//! MTProto 2.0 ([desc]):
//!
//! ```text
//! msg_key_large = SHA256(substr(auth_key, 88+x, 32) + plaintext + random_padding)
//! msg_key       = substr(msg_key_large, 8, 16)
//! sha256_a      = SHA256(msg_key + substr(auth_key, x, 36))
//! sha256_b      = SHA256(substr(auth_key, 40+x, 36) + msg_key)
//! aes_key       = substr(sha256_a, 0, 8) + substr(sha256_b, 8, 16) + substr(sha256_a, 24, 8)
//! aes_iv        = substr(sha256_b, 0, 8) + substr(sha256_a, 8, 16) + substr(sha256_b, 24, 8)
//! ```
//!
//! "where x = 0 for messages from client to server and x = 8 for those from server to client."
//!
//! [desc]: https://core.telegram.org/mtproto/description
//! [desc-v1]: https://core.telegram.org/mtproto/description_v1

use sha1::Sha1;
use sha2::{Digest, Sha256};
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::auth_key::AuthKey;

/// Who sent a message, which fixes `x` in the key derivation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Client to server, x = 0.
    ClientToServer,
    /// Server to client, x = 8.
    ServerToClient,
}

impl Direction {
    /// The `x` of spec §2.2.
    pub const fn x(self) -> usize {
        match self {
            Self::ClientToServer => 0,
            Self::ServerToClient => 8,
        }
    }

    /// The other direction.
    pub const fn reverse(self) -> Self {
        match self {
            Self::ClientToServer => Self::ServerToClient,
            Self::ServerToClient => Self::ClientToServer,
        }
    }
}

/// The AES-256-IGE key and IV for one message. Zeroized on drop.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct MessageKeys {
    /// `aes_key`.
    pub aes_key: [u8; 32],
    /// `aes_iv`, used unchanged as the IGE `y0 ‖ x0` (spec §1.1).
    pub aes_iv: [u8; 32],
}

impl core::fmt::Debug for MessageKeys {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("MessageKeys { .. }")
    }
}

/// `substr(auth_key, base + x, N)`. Every caller's `base + x + N` is at most 136 of 256 bytes; the
/// fallback keeps this function free of any panic path all the same.
fn key_part<const N: usize>(key: &AuthKey, base: usize, direction: Direction) -> &[u8; N] {
    #[cfg(feature = "mutants")]
    let direction = if crate::mutants::on(crate::mutants::Mutant::SwapX) {
        direction.reverse()
    } else {
        direction
    };
    key.as_bytes()
        .get(base.wrapping_add(direction.x())..)
        .and_then(|s| s.first_chunk::<N>())
        .unwrap_or_else(|| key.as_bytes().first_chunk::<N>().unwrap_or(&[0; N]))
}

/// Incremental `msg_key_large`: feed the plaintext (header, body and padding) in pieces.
#[derive(Clone)]
pub struct MsgKeyHasher(Sha256);

impl MsgKeyHasher {
    /// Start the hash with `substr(auth_key, 88+x, 32)`.
    pub fn new(key: &AuthKey, direction: Direction) -> Self {
        let mut h = Sha256::new();
        h.update(key_part::<32>(key, 88, direction));
        Self(h)
    }

    /// Feed more plaintext.
    pub fn update(&mut self, plaintext: &[u8]) {
        self.0.update(plaintext);
    }

    /// `msg_key_large`.
    pub fn finalize(self) -> [u8; 32] {
        self.0.finalize().into()
    }
}

/// `msg_key_large = SHA256(substr(auth_key, 88+x, 32) + plaintext + random_padding)`.
pub fn msg_key_large(key: &AuthKey, direction: Direction, plaintext: &[u8]) -> [u8; 32] {
    let mut h = MsgKeyHasher::new(key, direction);
    h.update(plaintext);
    h.finalize()
}

/// `msg_key = substr(msg_key_large, 8, 16)`: "the middle 128 bits" of the SHA-256.
pub fn msg_key_from_large(large: &[u8; 32]) -> [u8; 16] {
    let mut out = [0u8; 16];
    out.copy_from_slice(large.get(8..24).unwrap_or(&[0; 16]));
    out
}

/// `msg_key` of a whole padded plaintext.
pub fn msg_key(key: &AuthKey, direction: Direction, plaintext: &[u8]) -> [u8; 16] {
    msg_key_from_large(&msg_key_large(key, direction, plaintext))
}

/// The quick-ack token for a message: the first 32 bits of `msg_key_large` read little-endian,
/// with bit 31 set ([transports] "the first 32 bits of SHA256 ... with the MSB set"; spec §6.3).
///
/// [transports]: https://core.telegram.org/mtproto/mtproto-transports
pub fn quick_ack_token(msg_key_large: &[u8; 32]) -> u32 {
    let first = msg_key_large.first_chunk::<4>().copied().unwrap_or([0; 4]);
    u32::from_le_bytes(first) | 0x8000_0000
}

/// `aes_key` and `aes_iv` for `msg_key` under MTProto 2.0 (spec §2.2).
pub fn derive(key: &AuthKey, direction: Direction, msg_key: &[u8; 16]) -> MessageKeys {
    let mut a: [u8; 32] = Sha256::new()
        .chain_update(msg_key)
        .chain_update(key_part::<36>(key, 0, direction))
        .finalize()
        .into();
    let mut b: [u8; 32] = Sha256::new()
        .chain_update(key_part::<36>(key, 40, direction))
        .chain_update(msg_key)
        .finalize()
        .into();
    let mut keys = MessageKeys {
        aes_key: [0; 32],
        aes_iv: [0; 32],
    };
    concat3(&mut keys.aes_key, &a, &b, &a);
    concat3(&mut keys.aes_iv, &b, &a, &b);
    a.zeroize();
    b.zeroize();
    keys
}

/// `out = p[0..8] + q[8..24] + r[24..32]`, the shape shared by `aes_key` and `aes_iv`.
fn concat3(out: &mut [u8; 32], p: &[u8; 32], q: &[u8; 32], r: &[u8; 32]) {
    for (i, o) in out.iter_mut().enumerate() {
        let src = match i {
            0..8 => p,
            8..24 => q,
            _ => r,
        };
        *o = src.get(i).copied().unwrap_or(0);
    }
}

/// The legacy MTProto 1.0 derivation (spec §2.3, [desc-v1]). Deprecated for messages; still used
/// for the inner message of `auth.bindTempAuthKey` (spec §4.6).
pub mod v1 {
    use super::*;

    /// `msg_key = substr(SHA1(plaintext_without_padding), 4, 16)`: the padding is **not** hashed.
    pub fn msg_key(plaintext_without_padding: &[u8]) -> [u8; 16] {
        let d: [u8; 20] = Sha1::digest(plaintext_without_padding).into();
        let mut out = [0u8; 16];
        out.copy_from_slice(d.get(4..20).unwrap_or(&[0; 16]));
        out
    }

    /// `aes_key` and `aes_iv` under MTProto 1.0:
    ///
    /// ```text
    /// sha1_a = SHA1(msg_key + substr(auth_key, x, 32))
    /// sha1_b = SHA1(substr(auth_key, 32+x, 16) + msg_key + substr(auth_key, 48+x, 16))
    /// sha1_c = SHA1(substr(auth_key, 64+x, 32) + msg_key)
    /// sha1_d = SHA1(msg_key + substr(auth_key, 96+x, 32))
    /// aes_key = substr(sha1_a, 0, 8) + substr(sha1_b, 8, 12) + substr(sha1_c, 4, 12)
    /// aes_iv  = substr(sha1_a, 8, 12) + substr(sha1_b, 0, 8) + substr(sha1_c, 16, 4)
    ///           + substr(sha1_d, 0, 8)
    /// ```
    pub fn derive(key: &AuthKey, direction: Direction, msg_key: &[u8; 16]) -> MessageKeys {
        let sha1 = |parts: &[&[u8]]| -> [u8; 20] {
            let mut h = Sha1::new();
            for p in parts {
                h.update(p);
            }
            h.finalize().into()
        };
        let mut a = sha1(&[msg_key, key_part::<32>(key, 0, direction)]);
        let mut b = sha1(&[
            key_part::<16>(key, 32, direction),
            msg_key,
            key_part::<16>(key, 48, direction),
        ]);
        let mut c = sha1(&[key_part::<32>(key, 64, direction), msg_key]);
        let mut d = sha1(&[msg_key, key_part::<32>(key, 96, direction)]);
        let pieces_key: [(&[u8; 20], core::ops::Range<usize>); 3] =
            [(&a, 0..8), (&b, 8..20), (&c, 4..16)];
        let pieces_iv: [(&[u8; 20], core::ops::Range<usize>); 4] =
            [(&a, 8..20), (&b, 0..8), (&c, 16..20), (&d, 0..8)];
        let mut keys = MessageKeys {
            aes_key: [0; 32],
            aes_iv: [0; 32],
        };
        gather(&mut keys.aes_key, &pieces_key);
        gather(&mut keys.aes_iv, &pieces_iv);
        for digest in [&mut a, &mut b, &mut c, &mut d] {
            digest.zeroize();
        }
        keys
    }

    fn gather(out: &mut [u8; 32], pieces: &[(&[u8; 20], core::ops::Range<usize>)]) {
        let bytes = pieces
            .iter()
            .flat_map(|(src, r)| src.get(r.clone()).unwrap_or(&[]).iter());
        for (o, b) in out.iter_mut().zip(bytes) {
            *o = *b;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key_0_255() -> AuthKey {
        AuthKey::new(core::array::from_fn(|i| i as u8))
    }

    fn msg_key_0_15() -> [u8; 16] {
        core::array::from_fn(|i| i as u8)
    }

    /// Spec §11.2 (grammers known answers).
    #[test]
    fn v2_known_answers_both_directions() {
        let key = key_0_255();
        let k = derive(&key, Direction::ClientToServer, &msg_key_0_15());
        assert_eq!(
            hex::encode(k.aes_key),
            "704ed09c8b41668ae8f99d244738f71dbddc44469b6bbd4aa8573dd042bd059e"
        );
        assert_eq!(
            hex::encode(k.aes_iv),
            "4d266000a550edabbf4c7ce40fd0043cc92230184cd317a5cc9c2482fd3b9318"
        );
        let k = derive(&key, Direction::ServerToClient, &msg_key_0_15());
        assert_eq!(
            hex::encode(k.aes_key),
            "217725799b245806458174a1fcfbc883906807b15033fdd0ea2b4d69cf9c364e"
        );
        assert_eq!(
            hex::encode(k.aes_iv),
            "669a6538917a4fa56ca32360a431c9160be4ad887140980dab91ce7bdc47ffbc"
        );
    }

    /// Spec §11.2, MTProto 1.0 KDF (computed values).
    #[test]
    fn v1_known_answers_both_directions() {
        let key = key_0_255();
        let k = v1::derive(&key, Direction::ClientToServer, &msg_key_0_15());
        assert_eq!(
            hex::encode(k.aes_key),
            "17d7295ca9213d1ab656acdb1ad48b2ea7f3a8f7095098d5508b900bbd5fccfc"
        );
        assert_eq!(
            hex::encode(k.aes_iv),
            "2d7d16a65a84108e9805656caa474501cc580aa2edc33abfd0bfad785464d1c6"
        );
        let k = v1::derive(&key, Direction::ServerToClient, &msg_key_0_15());
        assert_eq!(
            hex::encode(k.aes_key),
            "bb17b07eb91110647098b069bd1a9b6fe5c4bcc3c31f8e67e831d07a61085f68"
        );
        assert_eq!(
            hex::encode(k.aes_iv),
            "5197fc1e25b41fe36f18b5a3a8b2b36cb2cb061f1f157b3514fe42e74fb58359"
        );
    }

    /// Spec §11.2: msg_key and quick-ack token of the "Hello, world!" message.
    #[test]
    fn msg_key_and_quick_ack_known_answer() {
        let key = key_0_255();
        let mut pt = b"Hello, world! This data should remain secure!".to_vec();
        pt.resize(64, 0);
        let large = msg_key_large(&key, Direction::ClientToServer, &pt);
        assert_eq!(
            hex::encode(msg_key_from_large(&large)),
            "a81729d46db54019a2bfd7f744f9b96c"
        );
        assert_eq!(quick_ack_token(&large), 0xcd57_1d02);
        let mut inc = MsgKeyHasher::new(&key, Direction::ClientToServer);
        for part in pt.chunks(7) {
            inc.update(part);
        }
        assert_eq!(inc.finalize(), large);
    }

    #[test]
    fn directions_derive_different_keys() {
        let key = key_0_255();
        let a = derive(&key, Direction::ClientToServer, &[5; 16]);
        let b = derive(&key, Direction::ServerToClient, &[5; 16]);
        assert_ne!(a.aes_key, b.aes_key);
        assert_ne!(a.aes_iv, b.aes_iv);
        assert_ne!(
            msg_key(&key, Direction::ClientToServer, &[0; 48]),
            msg_key(&key, Direction::ServerToClient, &[0; 48])
        );
    }
}
