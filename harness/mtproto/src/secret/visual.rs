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
//! ## The 12×12 picture ([`pixels`])
//!
//! "36 bytes split into 2-bit groups → 12×12 pixels, colours FFFFFF, D5E6F3, 2D5775, 2F99C9"
//! (spec §8.5). Spec §8.5 does not fix the bit order; TDLib's API documentation calls the
//! `key_hash` "36 little-endian bytes" to be split into 2-bit groups and drawn "from left to
//! right, top to bottom" ([td-api]), and the Android client's identicon reads pixel *k* from bit
//! offset `2k`: byte `2k / 8`, shifted right by `2k mod 8`, i.e. the **least significant** pair of
//! each byte first:
//!
//! ```text
//! index(k) = (key_hash[k / 4] >> (2 · (k mod 4))) & 3      k = 0..143
//! row = k / 12, column = k mod 12;  colour = [FFFFFF, D5E6F3, 2D5775, 2F99C9][index]
//! ```
//!
//! Reading the pairs most-significant first gives a different picture from the same bytes, so
//! two clients that disagree on the order would show a mismatch on an un-attacked chat; the
//! visualisation vectors carry the 144 indices to pin the order down.
//!
//! [e2e-pfs]: https://core.telegram.org/api/end-to-end/pfs
//! [td-sc]: https://github.com/tdlib/td/blob/master/td/telegram/SecretChatActor.cpp
//! [td-api]: https://core.telegram.org/tdlib/docs/classtd_1_1td__api_1_1secret_chat.html

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
    let slice = if mutant!(KeyHashWrongSlice) {
        4..20
    } else {
        0..16
    };
    a.copy_from_slice(sha1.get(slice).unwrap_or(&[0; 16]));
    b.copy_from_slice(sha256.get(..20).unwrap_or(&[0; 20]));
    out
}

/// Pixels per side of the key picture.
pub const GRID: usize = 12;

/// The four colours of the key picture as `0xRRGGBB`, indexed by a pixel's 2-bit value
/// (spec §8.5: "FFFFFF, D5E6F3, 2D5775, 2F99C9").
pub const COLOURS: [u32; 4] = [0x00FF_FFFF, 0x00D5_E6F3, 0x002D_5775, 0x002F_99C9];

/// The 12×12 picture of a `key_hash` as colour indices (0..=3 into [`COLOURS`]), `[row][column]`,
/// rows top to bottom, columns left to right; pixel `k = 12 · row + column` is the 2-bit group
/// `(key_hash[k / 4] >> (2 · (k mod 4))) & 3` (least significant pair first, see the module docs).
pub fn pixels(key_hash: &[u8; KEY_HASH_LEN]) -> [[u8; GRID]; GRID] {
    let mut out = [[0u8; GRID]; GRID];
    let mut pairs = key_hash
        .iter()
        .flat_map(|&b| [b & 3, (b >> 2) & 3, (b >> 4) & 3, b >> 6]);
    for row in &mut out {
        for px in row.iter_mut() {
            *px = pairs.next().unwrap_or(0);
        }
    }
    out
}

/// [`pixels`] as 144 characters `0`..`3`, row by row: the form the visualisation vectors use.
pub fn pixels_string(key_hash: &[u8; KEY_HASH_LEN]) -> String {
    pixels(key_hash)
        .iter()
        .flatten()
        .map(|&i| char::from(b'0'.wrapping_add(i)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pixels_take_the_low_pair_of_each_byte_first() {
        let mut h = [0u8; KEY_HASH_LEN];
        // Byte 0 = 0b11_10_01_00: pixels 0..4 are 0, 1, 2, 3 (low pair first).
        h[0] = 0b1110_0100;
        // Byte 35 = 0b01_00_00_00: the last pixel (row 11, column 11) is 1.
        h[35] = 0b0100_0000;
        let p = pixels(&h);
        assert_eq!(&p[0][..5], &[0, 1, 2, 3, 0]);
        assert_eq!(p[11][11], 1);
        assert_eq!(p[11][10], 0);
        let s = pixels_string(&h);
        assert_eq!(s.len(), 144);
        assert!(s.starts_with("01230"));
        assert!(s.ends_with("01"));
    }

    #[test]
    fn every_bit_of_the_hash_reaches_exactly_one_pixel() {
        for bit in 0..KEY_HASH_LEN * 8 {
            let mut h = [0u8; KEY_HASH_LEN];
            h[bit / 8] = 1 << (bit % 8);
            let p = pixels(&h);
            let set: Vec<_> = p
                .iter()
                .flatten()
                .enumerate()
                .filter(|(_, v)| **v != 0)
                .collect();
            assert_eq!(set.len(), 1);
            assert_eq!(set[0].0, bit / 2);
            assert_eq!(*set[0].1, 1 << (bit % 2));
        }
    }
}
