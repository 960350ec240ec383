//! `rsa`: RSA key fingerprints and RSA_PAD (<https://core.telegram.org/mtproto/auth_key>, "RSA_PAD"
//! and the fingerprint paragraph) against a plain model written here from the page's formulas with
//! `sha1`, `sha2`, RustCrypto `ige` and square-and-multiply:
//!
//! ```text
//! fingerprint       = SHA1(TL string n ‖ TL string e)[12..20]   n, e without leading zero bytes
//! key_aes_encrypted = (temp_key ⊕ SHA256(aes)) ‖ aes,  aes = AES256_IGE(reverse(dwp) ‖ SHA256(temp_key ‖ dwp),
//!                                                                   temp_key, iv = 0)
//! encrypted_data    = key_aes_encrypted ^ e mod n, for the first temp_key with key_aes_encrypted < n
//! server            = 256 bytes? < n? SHA256(temp_key ‖ dwp) matches? — in that order, and only
//!                     then is the p_q_inner_data* object at the front of dwp parsed
//! ```
//!
//! First byte `% 8`:
//!
//! - 0–1, **fingerprint**: one of the three committed keys (the test server key, Telegram's
//!   production and test-DC keys) or arbitrary `n`/`e`, each with 0–3 zero bytes in front;
//!   `fingerprint_of` and `RsaPublicKey::from_n_e(..).fingerprint_bytes()` must give the model's
//!   hash of the numbers' own big-endian bytes, and `from_n_e` must accept exactly the keys the
//!   model calls 2048-bit with an odd exponent above 1.
//! - 2–3, **encrypt** (the client): a committed public key, 1–4 temp keys, any data, and padding
//!   from the input or a fixed pattern up to 192 bytes. The model computes each
//!   `key_aes_encrypted`, takes the first below `n` (the retry rule) and raises it to `e`;
//!   `rsa_pad_encrypt` must return that ciphertext and index, `RetriesExhausted` when no key is
//!   below `n`, `DataTooLong` when data and padding are not ≤ 144 + the rest of 192.
//! - 4–6, **decrypt, scripted** (the server, `inner_data::open` with the test server key): a block
//!   the model builds from a table — one of [`SHAPES`] (the four `p_q_inner_data*` constructors,
//!   an unknown one, objects of exactly 144 and of 148 bytes, a string length written in the
//!   long form), one of [`TEMP_KEYS`] temp keys, the hash right, one bit off, or over
//!   the data alone (the old encoding) — sent as built, plus `n` (out of range), or cut/extended
//!   to a length from the input. The model knows every verdict: `CiphertextWrongSize`, then
//!   `CiphertextOutOfRange`, then `HashMismatch`, and only then the object's parse.
//! - 7, **decrypt, raw**: the rest of the input is `encrypted_data` (the vectors' ciphertexts).
//!   The size and range verdicts are the model's; a block the reference refuses for its hash is
//!   taken as such (a random block passes the hash with probability 2^-256), and when the
//!   reference gets past the hash the model decrypts the block with `d` itself and must find
//!   the hash right and the same parse verdict.
//!
//! Cost: only the decrypt modes need the private exponent (one 2048-bit exponentiation with a
//! 2048-bit `d` per new ciphertext). The scripted mode's blocks are a table of
//! `SHAPES × TEMP_KEYS × 3 hashes` (plus their `+ n` forms, refused before any exponentiation),
//! so after the first few hundred inputs the reference's decryption is found in the
//! exponentiation memo (`mtproto::fuzzing::memo`, fuzz builds only); raw inputs are one in eight,
//! and each new one costs a fresh exponentiation (the block is the input).

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use aes::Aes256;
use cipher::{BlockModeDecrypt, BlockModeEncrypt, KeyIvInit};
use crypto_bigint::modular::{FixedMontyForm, FixedMontyParams};
use crypto_bigint::{Odd, U2048};
use sha1::Sha1;
use sha2::{Digest, Sha256};

use mtproto::crypto::rsa_pad::{self, RsaPrivateKey, RsaPublicKey};
use mtproto::error::{HandshakeError, RsaError};
use mtproto::handshake::inner_data;

/// Telegram's production key and test-DC key (the encrypt vectors' keys).
const PRODUCTION_PEM: &str = include_str!("../../mtproto/tests/data/telegram_production_rsa.pem");
const TEST_DC_PEM: &str = include_str!("../../mtproto/tests/data/telegram_test_dc_rsa.pem");

/// The three committed public keys: the test server's (whose private half the decrypt modes
/// use), Telegram's production key and its test-DC key.
pub fn public_keys() -> &'static [RsaPublicKey; 3] {
    static KEYS: OnceLock<[RsaPublicKey; 3]> = OnceLock::new();
    KEYS.get_or_init(|| {
        let load = |pem: &str| match RsaPublicKey::from_pkcs1_pem(pem) {
            Ok(k) => k,
            Err(e) => panic!("a committed RSA public key does not load: {e:?}"),
        };
        [
            server_key().public().clone(),
            load(PRODUCTION_PEM),
            load(TEST_DC_PEM),
        ]
    })
}

fn server_key() -> &'static RsaPrivateKey {
    crate::handshake::server_key()
}

/// `rsa`.
pub fn rsa(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    match mode % 8 {
        0 | 1 => fingerprint(rest),
        2 | 3 => encrypt(rest),
        4..=6 => scripted_decrypt(rest),
        _ => raw_decrypt(rest),
    }
}

// ---------------------------------------------------------------------------------------------
// The model.

fn strip(b: &[u8]) -> &[u8] {
    let first = b.iter().position(|&x| x != 0).unwrap_or(b.len());
    &b[first..]
}

/// A TL `string`: a one-byte length up to 253, else `0xfe` and three length bytes; zero
/// padding to a multiple of four.
fn model_tl_string(out: &mut Vec<u8>, s: &[u8]) {
    let start = out.len();
    if s.len() <= 253 {
        out.push(s.len() as u8);
    } else {
        out.push(0xfe);
        out.extend_from_slice(&(s.len() as u32).to_le_bytes()[..3]);
    }
    out.extend_from_slice(s);
    while !(out.len() - start).is_multiple_of(4) {
        out.push(0);
    }
}

/// The fingerprint's 8 wire bytes: `SHA1(rsa_public_key n:string e:string)[12..20]`, the numbers
/// without leading zero bytes (the TL strings of a 2^24-byte number cannot be written; no input
/// here comes near).
pub fn model_fingerprint(n: &[u8], e: &[u8]) -> [u8; 8] {
    let mut tl = Vec::new();
    model_tl_string(&mut tl, strip(n));
    model_tl_string(&mut tl, strip(e));
    let h = Sha1::digest(&tl);
    let mut out = [0u8; 8];
    out.copy_from_slice(&h[12..20]);
    out
}

/// Whether `RsaPublicKey::from_n_e` should take `(n, e)`: `n` exactly 2048 bits and odd, `e` odd,
/// above 1 and at most 2048 bits.
fn model_key_ok(n: &[u8], e: &[u8]) -> bool {
    let (n, e) = (strip(n), strip(e));
    n.len() == 256
        && n[0] & 0x80 != 0
        && n[255] & 1 == 1
        && (1..=256).contains(&e.len())
        && e[e.len() - 1] & 1 == 1
        && e != [1]
}

/// `base^exp mod n` by left-to-right square-and-multiply over the exponent's bits.
fn model_pow(base: &[u8; 256], exp: &[u8], n: &[u8]) -> [u8; 256] {
    let Some(odd) = Odd::new(U2048::from_be_slice(n)).into_option() else {
        panic!("the model's modulus is even");
    };
    let params = FixedMontyParams::new_vartime(odd);
    let b = FixedMontyForm::new(&U2048::from_be_slice(base), &params);
    let mut acc = FixedMontyForm::new(&U2048::ONE, &params);
    for byte in strip(exp) {
        for i in (0..8).rev() {
            acc = acc.square();
            if byte >> i & 1 == 1 {
                acc = acc.mul(&b);
            }
        }
    }
    let mut out = [0u8; 256];
    out.copy_from_slice(acc.retrieve().to_be_bytes().as_ref());
    out
}

fn model_ige(key: &[u8; 32], data: &mut [u8], encrypt: bool) {
    let (blocks, _) = cipher::Array::slice_as_chunks_mut(data);
    if encrypt {
        ige::Encryptor::<Aes256>::new(&(*key).into(), &[0u8; 32].into()).encrypt_blocks(blocks);
    } else {
        ige::Decryptor::<Aes256>::new(&(*key).into(), &[0u8; 32].into()).decrypt_blocks(blocks);
    }
}

/// How the model's `key_aes_encrypted` gets its hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum HashKind {
    /// `SHA256(temp_key ‖ data_with_padding)`.
    Right,
    /// That with its first bit flipped.
    BitOff,
    /// `SHA256(temp_key ‖ data)` over the object alone (the old encoding's hash).
    DataOnly,
}

fn model_key_aes_encrypted(
    dwp: &[u8; 192],
    data_len: usize,
    temp_key: &[u8; 32],
    hash: HashKind,
) -> [u8; 256] {
    let mut out = [0u8; 256];
    let mut reversed = *dwp;
    reversed.reverse();
    out[32..224].copy_from_slice(&reversed);
    let mut h: [u8; 32] = match hash {
        HashKind::DataOnly => Sha256::new()
            .chain_update(temp_key)
            .chain_update(&dwp[..data_len.min(192)])
            .finalize()
            .into(),
        _ => Sha256::new()
            .chain_update(temp_key)
            .chain_update(dwp)
            .finalize()
            .into(),
    };
    if hash == HashKind::BitOff {
        h[0] ^= 0x80;
    }
    out[224..].copy_from_slice(&h);
    model_ige(temp_key, &mut out[32..], true);
    let mask = Sha256::digest(&out[32..]);
    for i in 0..32 {
        out[i] = temp_key[i] ^ mask[i];
    }
    out
}

/// The server's reading of a decrypted block: `Some(data_with_padding)` when the hash is right.
fn model_unwrap(kae: &[u8; 256]) -> Option<[u8; 192]> {
    let mask = Sha256::digest(&kae[32..]);
    let temp_key: [u8; 32] = core::array::from_fn(|i| kae[i] ^ mask[i]);
    let mut aes = kae[32..].to_vec();
    model_ige(&temp_key, &mut aes, false);
    let mut dwp = [0u8; 192];
    dwp.copy_from_slice(&aes[..192]);
    dwp.reverse();
    let want = Sha256::new()
        .chain_update(temp_key)
        .chain_update(dwp)
        .finalize();
    (want[..] == aes[192..]).then_some(dwp)
}

/// What the object at the front of `data_with_padding` makes of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Parse {
    /// A `p_q_inner_data*` of this many bytes, at most 144.
    Object(usize),
    /// Not one of the four constructors.
    Constructor(u32),
    /// A string runs past the block, or is written wrongly (TL codec error).
    Codec,
    /// An object longer than 144 bytes.
    TooLong(usize),
}

/// `p_q_inner_data#83c95aec`, `_temp#3c6a84d4`, `_dc#a9f55f95`, `_temp_dc#56fddf88`: whether
/// each has `dc` and `expires_in`.
fn model_constructor(id: u32) -> Option<(bool, bool)> {
    match id {
        0x83c9_5aec => Some((false, false)),
        0x3c6a_84d4 => Some((false, true)),
        0xa9f5_5f95 => Some((true, false)),
        0x56fd_df88 => Some((true, true)),
        _ => None,
    }
}

fn model_parse(dwp: &[u8; 192]) -> Parse {
    let id = u32::from_le_bytes([dwp[0], dwp[1], dwp[2], dwp[3]]);
    let Some((dc, expires)) = model_constructor(id) else {
        return Parse::Constructor(id);
    };
    let mut at = 4usize;
    for _ in 0..3 {
        // A TL string: short form, or 0xfe with a length of at least 254; 0xff is no prefix.
        let (len, header) = match dwp.get(at) {
            None => return Parse::Codec,
            Some(0xff) => return Parse::Codec,
            Some(0xfe) => {
                let Some(b) = dwp.get(at + 1..at + 4) else {
                    return Parse::Codec;
                };
                let len = usize::from(b[0]) | usize::from(b[1]) << 8 | usize::from(b[2]) << 16;
                if len < 254 {
                    return Parse::Codec;
                }
                (len, 4)
            }
            Some(&l) => (usize::from(l), 1),
        };
        let end = at + header + len;
        let padded = end.next_multiple_of(4);
        if padded > 192 || dwp[end..padded].iter().any(|&b| b != 0) {
            return Parse::Codec;
        }
        at = padded;
    }
    at += 16 + 16 + 32 + 4 * usize::from(dc) + 4 * usize::from(expires);
    if at > 192 {
        Parse::Codec
    } else if at > 144 {
        Parse::TooLong(at)
    } else {
        Parse::Object(at)
    }
}

// ---------------------------------------------------------------------------------------------
// Fingerprints.

fn fingerprint(data: &[u8]) {
    let Some((&[src, zn, ze], rest)) = data.split_first_chunk::<3>() else {
        return;
    };
    let (n, e): (Vec<u8>, Vec<u8>) = match src % 4 {
        3 => {
            let Some((len, rest)) = rest.split_first_chunk::<2>() else {
                return;
            };
            let len = usize::from(u16::from_le_bytes(*len)) % 320;
            let (n, e) = rest.split_at(len.min(rest.len()));
            (n.to_vec(), e.to_vec())
        }
        k => {
            let key = &public_keys()[usize::from(k)];
            (key.n().to_vec(), key.e().to_vec())
        }
    };
    let zeros = |k: u8, v: &[u8]| {
        let mut out = vec![0u8; usize::from(k % 4)];
        out.extend_from_slice(v);
        out
    };
    let (n, e) = (zeros(zn, &n), zeros(ze, &e));
    let want = model_fingerprint(&n, &e);
    assert_eq!(
        rsa_pad::fingerprint_of(&n, &e),
        want,
        "fingerprint_of({} bytes of n, {} bytes of e) is not SHA1 of the numbers' own bytes",
        n.len(),
        e.len()
    );
    match RsaPublicKey::from_n_e(&n, &e) {
        Ok(key) => {
            assert!(
                model_key_ok(&n, &e),
                "from_n_e took a key the model refuses"
            );
            assert_eq!(key.fingerprint_bytes(), want, "a loaded key's fingerprint");
            assert_eq!(key.fingerprint(), i64::from_le_bytes(want));
            assert_eq!(key.n(), strip(&n));
            assert_eq!(key.e(), strip(&e));
        }
        Err(err) => {
            assert_eq!(err, RsaError::KeyUnsupported);
            assert!(
                !model_key_ok(&n, &e),
                "from_n_e refused a 2048-bit key with odd e > 1"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The client's RSA_PAD.

fn encrypt(data: &[u8]) {
    let Some((&[key, data_len, pad_byte, count], rest)) = data.split_first_chunk::<4>() else {
        return;
    };
    let key = &public_keys()[usize::from(key % 3)];
    let data_len = usize::from(data_len);
    // The padding-length byte: top bit clear, the rest of 192 bytes as a fixed pattern (the
    // padding a client would add; the input need not carry it); top bit set, the rest of 192
    // plus `(byte & 0x7f) - 64` bytes of the input (a wrong length is `DataTooLong`).
    let rest_len = 192usize.saturating_sub(data_len);
    let from_input = pad_byte & 0x80 != 0;
    let pad_len = if from_input {
        (rest_len + usize::from(pad_byte & 0x7f)).saturating_sub(64)
    } else {
        rest_len
    };
    let count = 1 + usize::from(count % 4);
    let Some((keys, rest)) = rest.split_at_checked(32 * count) else {
        return;
    };
    let temp_keys: Vec<[u8; 32]> = keys
        .chunks_exact(32)
        .map(|c| c.try_into().unwrap_or([0; 32]))
        .collect();
    let Some((msg, rest)) = rest.split_at_checked(data_len) else {
        return;
    };
    let fixed: Vec<u8>;
    let padding = if !from_input {
        fixed = (0..pad_len).map(|k| 0x5a ^ k as u8).collect();
        &fixed[..]
    } else {
        let Some(p) = rest.get(..pad_len) else {
            return;
        };
        p
    };
    let got = rsa_pad::rsa_pad_encrypt(key, msg, padding, &temp_keys);
    let want = if data_len > 144 {
        Err(RsaError::DataTooLong { len: data_len })
    } else if data_len + pad_len != 192 {
        Err(RsaError::DataTooLong {
            len: data_len + pad_len,
        })
    } else {
        let mut dwp = [0u8; 192];
        dwp[..data_len].copy_from_slice(msg);
        dwp[data_len..].copy_from_slice(padding);
        let mut found = Err(RsaError::RetriesExhausted);
        for (i, tk) in temp_keys.iter().enumerate() {
            let kae = model_key_aes_encrypted(&dwp, data_len, tk, HashKind::Right);
            assert_eq!(
                *rsa_pad::key_aes_encrypted(&dwp, tk),
                kae,
                "key_aes_encrypted differs from the model's (temp key {i})"
            );
            // Both are 256 big-endian bytes: byte order is numeric order.
            if kae.as_slice() < key.n() {
                found = Ok((model_pow(&kae, key.e(), key.n()), i));
                break;
            }
        }
        found
    };
    assert_eq!(
        got.map(|(c, i)| (c.to_vec(), i)),
        want.map(|(c, i)| (c.to_vec(), i)),
        "rsa_pad_encrypt and the model disagree ({} temp keys; the model takes the first whose \
         key_aes_encrypted < n, raised to e)",
        temp_keys.len()
    );
}

// ---------------------------------------------------------------------------------------------
// The server's RSA_PAD.

/// Temp keys of the scripted mode.
pub const TEMP_KEYS: usize = 4;

/// Block shapes of the scripted mode.
pub const SHAPES: usize = 8;

/// `data_with_padding` of shape `i`: the object (of the official sample's sizes: an 8-byte `pq`,
/// 4-byte `p` and `q`) then a fixed padding pattern.
fn shape(i: usize) -> [u8; 192] {
    let mut obj = Vec::with_capacity(192);
    let (id, pq_len): (u32, usize) = match i % SHAPES {
        0 => (0xa9f5_5f95, 8),  // p_q_inner_data_dc, 100 bytes
        1 => (0x56fd_df88, 8),  // p_q_inner_data_temp_dc, 104 bytes
        2 => (0x83c9_5aec, 8),  // p_q_inner_data, 96 bytes
        3 => (0x3c6a_84d4, 8),  // p_q_inner_data_temp, 100 bytes
        4 => (0xdead_beef, 8),  // an unknown constructor
        5 => (0xa9f5_5f95, 52), // 144 bytes: the most RSA_PAD carries
        6 => (0xa9f5_5f95, 56), // 148 bytes
        _ => (0xa9f5_5f95, 0),  // pq's length written long (0xfe 08 00 00): non-canonical
    };
    obj.extend_from_slice(&id.to_le_bytes());
    let pq: Vec<u8> = (0..pq_len.max(8)).map(|k| 0x17 ^ k as u8).collect();
    if i % SHAPES == 7 {
        obj.extend_from_slice(&[0xfe, 8, 0, 0]);
        obj.extend_from_slice(&pq);
    } else {
        model_tl_string(&mut obj, &pq);
    }
    model_tl_string(&mut obj, &0x494C_553Bu32.to_be_bytes());
    model_tl_string(&mut obj, &0x5391_1073u32.to_be_bytes());
    obj.extend((0..64).map(|k| 0x40 + k as u8));
    if matches!(i % SHAPES, 0 | 1 | 5 | 6 | 7) {
        obj.extend_from_slice(&2i32.to_le_bytes());
    }
    if i % SHAPES == 1 {
        obj.extend_from_slice(&3600i32.to_le_bytes());
    }
    let mut dwp: [u8; 192] = core::array::from_fn(|k| 0xa0 ^ k as u8);
    dwp[..obj.len()].copy_from_slice(&obj);
    dwp
}

fn temp_key(i: usize) -> [u8; 32] {
    Sha256::digest([b't', (i % TEMP_KEYS) as u8]).into()
}

/// The model's verdict on `encrypted_data` whose decryption it knows (`kae`: the block raised to
/// `d`, or `None` when the reference refused before decrypting is needed).
fn model_open(kae: &[u8; 256]) -> Result<Parse, RsaError> {
    let dwp = model_unwrap(kae).ok_or(RsaError::HashMismatch)?;
    Ok(model_parse(&dwp))
}

/// The reference's verdict in the model's terms.
fn reference_open(encrypted: &[u8]) -> Result<Result<Parse, RsaError>, HandshakeError> {
    Ok(match inner_data::open(server_key(), encrypted) {
        Ok(opened) => Ok(Parse::Object(opened.data_len)),
        Err(HandshakeError::Rsa(RsaError::DataTooLong { len })) => Ok(Parse::TooLong(len)),
        Err(HandshakeError::Rsa(e)) => Err(e),
        Err(HandshakeError::UnexpectedConstructor { id }) => Ok(Parse::Constructor(id)),
        Err(HandshakeError::Codec(_)) => Ok(Parse::Codec),
        Err(other) => return Err(other),
    })
}

/// `encrypted_data`'s size and range verdict (the first two checks).
fn model_size_range(c: &[u8]) -> Option<RsaError> {
    if c.len() != 256 {
        return Some(RsaError::CiphertextWrongSize { len: c.len() });
    }
    (c >= server_key().public().n()).then_some(RsaError::CiphertextOutOfRange)
}

/// `a + b` for 256-byte big-endian numbers, `None` on overflow.
fn add_256(a: &[u8], b: &[u8]) -> Option<[u8; 256]> {
    let mut out = [0u8; 256];
    let mut carry = 0u16;
    for i in (0..256).rev() {
        let s = u16::from(a[i]) + u16::from(b[i]) + carry;
        out[i] = s as u8;
        carry = s >> 8;
    }
    (carry == 0).then_some(out)
}

fn scripted_decrypt(data: &[u8]) {
    let Some((&[shape_i, tk, hash, tamper, l0, l1], _)) = data.split_first_chunk::<6>() else {
        return;
    };
    let key = server_key().public();
    let dwp = shape(usize::from(shape_i));
    let hash = match hash % 3 {
        0 => HashKind::Right,
        1 => HashKind::BitOff,
        _ => HashKind::DataOnly,
    };
    // An honest client's retry rule: the first temp key from `tk` on whose block is below n.
    let Some(kae) = (0..TEMP_KEYS)
        .map(|k| {
            let data_len = match model_parse(&dwp) {
                Parse::Object(l) | Parse::TooLong(l) => l,
                _ => 144,
            };
            model_key_aes_encrypted(&dwp, data_len, &temp_key(usize::from(tk) + k), hash)
        })
        .find(|kae| kae.as_slice() < key.n())
    else {
        return;
    };
    let c = model_pow(&kae, key.e(), key.n());
    let sent: Vec<u8> = match tamper % 4 {
        0 | 1 => c.to_vec(),
        // Out of range: c + n (it decrypts as c mod n = c), or n itself when that overflows.
        2 => add_256(&c, key.n()).map_or_else(|| key.n().to_vec(), |v| v.to_vec()),
        // Another length: cut, or padded with zeros in front (the same number).
        _ => {
            let len = usize::from(u16::from_le_bytes([l0, l1]) % 512);
            if len <= 256 {
                c[256 - len..].to_vec()
            } else {
                let mut v = vec![0u8; len - 256];
                v.extend_from_slice(&c);
                v
            }
        }
    };
    let want = match model_size_range(&sent) {
        Some(e) => Err(e),
        None => model_open(&kae),
    };
    let got = reference_open(&sent);
    assert_eq!(
        got,
        Ok(want),
        "inner_data::open and the model disagree on a {}-byte block (shape {}, hash {hash:?}): \
         256 bytes, then < n, then SHA256(temp_key ‖ data_with_padding), and only then the parse",
        sent.len(),
        shape_i % SHAPES as u8
    );
}

/// The model's `c^d mod n` for the test server key, remembered per process (bounded): only
/// blocks whose hash the reference found right come here, and the fuzzer offers those again.
fn model_decrypt(c: &[u8; 256]) -> [u8; 256] {
    static SEEN: Mutex<Option<HashMap<[u8; 256], [u8; 256]>>> = Mutex::new(None);
    let mut seen = SEEN
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let seen = seen.get_or_insert_with(HashMap::new);
    if let Some(m) = seen.get(c) {
        return *m;
    }
    let key = server_key();
    let m = model_pow(c, &key.d_bytes()[..], key.public().n());
    if seen.len() >= 1024 {
        seen.clear();
    }
    seen.insert(*c, m);
    m
}

fn raw_decrypt(c: &[u8]) {
    let got = reference_open(c);
    if let Some(e) = model_size_range(c) {
        assert_eq!(
            got,
            Ok(Err(e)),
            "inner_data::open on a {}-byte block: the size check, then the range check",
            c.len()
        );
        return;
    }
    // A block refused for its hash is taken at its word (a random block fails the hash with
    // probability 1 - 2^-256); anything else says the hash was right: the model checks.
    if got == Ok(Err(RsaError::HashMismatch)) {
        return;
    }
    let c: [u8; 256] = c.try_into().unwrap_or([0; 256]);
    let want = model_open(&model_decrypt(&c));
    assert_eq!(
        got,
        Ok(want),
        "inner_data::open got past the hash check, but the model's decryption says otherwise \
         (the object parsed before SHA256(temp_key ‖ data_with_padding) was compared?)"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The model's fingerprints of the committed keys are the published ones.
    #[test]
    fn model_fingerprints_of_the_committed_keys() {
        let want = [
            0x35f1_339b_4564_853b_u64,
            0xd09d_1d85_de64_fd85,
            0xb258_98df_208d_2603,
        ];
        for (key, want) in public_keys().iter().zip(want) {
            let fp = model_fingerprint(key.n(), key.e());
            assert_eq!(u64::from_le_bytes(fp), want);
        }
    }

    /// Each scripted shape parses as its comment says.
    #[test]
    fn shapes() {
        let got: Vec<Parse> = (0..SHAPES).map(|i| model_parse(&shape(i))).collect();
        assert_eq!(
            got,
            [
                Parse::Object(100),
                Parse::Object(104),
                Parse::Object(96),
                Parse::Object(100),
                Parse::Constructor(0xdead_beef),
                Parse::Object(144),
                Parse::TooLong(148),
                Parse::Codec,
            ]
        );
    }

    /// The model's RSA and hash agree with themselves: a block it builds with the right hash
    /// decrypts (with `d`) to the same data, and the wrong hashes are refused.
    #[test]
    fn model_round_trip() {
        let key = server_key();
        for hash in [HashKind::Right, HashKind::BitOff, HashKind::DataOnly] {
            let dwp = shape(0);
            let kae = (0..8)
                .map(|k| model_key_aes_encrypted(&dwp, 100, &temp_key(k), hash))
                .find(|k| k.as_slice() < key.public().n())
                .unwrap();
            let c = model_pow(&kae, key.public().e(), key.public().n());
            assert_eq!(model_pow(&c, &key.d_bytes()[..], key.public().n()), kae);
            let want = if hash == HashKind::Right {
                Ok(Parse::Object(100))
            } else {
                Err(RsaError::HashMismatch)
            };
            assert_eq!(model_open(&kae), want, "{hash:?}");
        }
    }
}
