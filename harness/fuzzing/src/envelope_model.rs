//! An independent MTProto 2.0 packet model for the envelope and handshake oracles, written from
//! the protocol's formulas with `sha1`, `sha2` and RustCrypto `ige` (never the reference's KDF),
//! so a bug shared by the reference's encrypt and decrypt (both sides deriving the same wrong key)
//! still shows:
//!
//! ```text
//! auth_key_id   = SHA1(auth_key)[12..20]            (all 256 bytes, leading zeros included)
//! msg_key       = SHA256(auth_key[88+x .. 120+x] ‖ plaintext)[8..24]
//! a             = SHA256(msg_key ‖ auth_key[x .. x+36])
//! b             = SHA256(auth_key[40+x .. 76+x] ‖ msg_key)
//! aes_key       = a[0..8] ‖ b[8..24] ‖ a[24..32];   aes_iv = b[0..8] ‖ a[8..24] ‖ b[24..32]
//! packet        = auth_key_id ‖ msg_key ‖ AES-256-IGE(plaintext)
//! x             = 0 for messages from the client, 8 from the server
//! ```

use aes::Aes256;
use sha1::Sha1;
use sha2::{Digest, Sha256};

/// `auth_key_id`: the low 64 bits of SHA-1 over all 256 key bytes.
pub fn auth_key_id(key: &[u8; 256]) -> [u8; 8] {
    let h = Sha1::digest(key);
    let mut id = [0u8; 8];
    id.copy_from_slice(&h[12..20]);
    id
}

/// `msg_key` of `plaintext` sent with `x` (0 or 8).
pub fn msg_key(key: &[u8; 256], x: usize, plaintext: &[u8]) -> [u8; 16] {
    let large = Sha256::new()
        .chain_update(&key[88 + x..120 + x])
        .chain_update(plaintext)
        .finalize();
    let mut mk = [0u8; 16];
    mk.copy_from_slice(&large[8..24]);
    mk
}

/// `(aes_key, aes_iv)` for `msg_key` and `x`.
pub fn kdf(key: &[u8; 256], x: usize, msg_key: &[u8; 16]) -> ([u8; 32], [u8; 32]) {
    let a = Sha256::new()
        .chain_update(msg_key)
        .chain_update(&key[x..x + 36])
        .finalize();
    let b = Sha256::new()
        .chain_update(&key[40 + x..76 + x])
        .chain_update(msg_key)
        .finalize();
    let mut aes_key = [0u8; 32];
    aes_key[..8].copy_from_slice(&a[..8]);
    aes_key[8..24].copy_from_slice(&b[8..24]);
    aes_key[24..].copy_from_slice(&a[24..]);
    let mut aes_iv = [0u8; 32];
    aes_iv[..8].copy_from_slice(&b[..8]);
    aes_iv[8..24].copy_from_slice(&a[8..24]);
    aes_iv[24..].copy_from_slice(&b[24..]);
    (aes_key, aes_iv)
}

/// The packet for `plaintext` (a multiple of 16 bytes) sent with `x`.
pub fn seal(key: &[u8; 256], x: usize, plaintext: &[u8]) -> Vec<u8> {
    assert!(
        plaintext.len().is_multiple_of(16),
        "model: plaintext not block aligned"
    );
    let mk = msg_key(key, x, plaintext);
    let (aes_key, aes_iv) = kdf(key, x, &mk);
    let mut packet = auth_key_id(key).to_vec();
    packet.extend_from_slice(&mk);
    packet.extend_from_slice(&crate::oracle::<Aes256>(&aes_key, &aes_iv, plaintext, true));
    packet
}

/// The cloud plaintext: `salt ‖ session_id ‖ msg_id ‖ seq_no ‖ length ‖ body ‖ padding`, with
/// `declared` as the length field (normally `body.len()`).
pub fn plaintext(
    salt: i64,
    session_id: i64,
    msg_id: i64,
    seq_no: i32,
    declared: i32,
    body: &[u8],
    padding: &[u8],
) -> Vec<u8> {
    let mut p = Vec::with_capacity(32 + body.len() + padding.len());
    p.extend_from_slice(&salt.to_le_bytes());
    p.extend_from_slice(&session_id.to_le_bytes());
    p.extend_from_slice(&msg_id.to_le_bytes());
    p.extend_from_slice(&seq_no.to_le_bytes());
    p.extend_from_slice(&declared.to_le_bytes());
    p.extend_from_slice(body);
    p.extend_from_slice(padding);
    p
}

#[cfg(test)]
mod tests {
    use super::*;
    use mtproto::auth_key::AuthKey;
    use mtproto::envelope::{self, Message, Receiver};

    /// The model and the reference agree on an ordinary key and on one with a leading zero, for
    /// both directions (so a disagreement in a fuzz run is the reference's or the model's bug,
    /// not a misreading of the formulas).
    #[test]
    fn model_matches_the_reference() {
        for first in [0u8, 0x42] {
            let mut bytes: [u8; 256] = core::array::from_fn(|i| (i as u8).wrapping_mul(7) ^ 0x5c);
            bytes[0] = first;
            let key = AuthKey::new(bytes);
            assert_eq!(key.id(), auth_key_id(&bytes));
            for (direction, x) in [
                (mtproto::Direction::ClientToServer, 0),
                (mtproto::Direction::ServerToClient, 8),
            ] {
                let body = [1u8, 2, 3, 4, 5, 6, 7, 8];
                let padding = [9u8; 24];
                let msg = Message {
                    salt: 1,
                    session_id: 2,
                    msg_id: 3,
                    seq_no: 4,
                    body: &body,
                };
                let packet = envelope::encrypt(&key, direction, &msg, &padding).unwrap();
                let p = plaintext(1, 2, 3, 4, 8, &body, &padding);
                assert_eq!(packet, seal(&bytes, x, &p), "x = {x}");
                let to = if x == 0 {
                    Receiver::Server
                } else {
                    Receiver::Client
                };
                assert!(envelope::decrypt(&key, to, 2, &packet).is_ok());
            }
        }
    }
}
