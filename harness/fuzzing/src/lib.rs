//! The fuzz harness of the `mtproto` reference: the entry points of the cargo-fuzz targets in
//! `fuzz/`, their oracles and plain models, the byte layouts of their inputs ([`layout`]), and the
//! stable replay of the committed seeds and regressions (`tests/replay.rs`, run by `cargo test`).
//! Each entry point takes the raw fuzzer bytes, so a seed replays identically under libFuzzer and
//! under `cargo test`.
//!
//! Every entry point checks meaning, not only "did not crash": round trips, differential equality
//! with an independent implementation (RustCrypto `ige`, a naive trial-division factoriser, a
//! plain session model), and invariants of whatever an input decodes to. A violated oracle
//! panics, which is how a fuzzer reports; a rejected input is fine. [`TARGETS`] lists every entry
//! point by the name of its fuzz target.
//!
//! This crate depends on the plain reference: it uses only the reference's public API. The two
//! things that must sit inside the reference are compiled there only under `cfg(fuzzing)` (the
//! rustc cfg cargo-fuzz sets, never a cargo feature): the exponentiation memo
//! (`mtproto::fuzzing::memo`) and `VerifiedPlaintext::assume_verified_for_fuzzing`, which
//! [`envelope_parse`] uses to reach the checks behind msg_key directly.
#![deny(missing_docs)]
#![allow(
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::cast_possible_truncation
)]

use aes::{Aes128, Aes256};
use arbitrary::{Arbitrary, Unstructured};
use cipher::consts::U16;
use cipher::{
    Array, BlockCipherDecrypt, BlockCipherEncrypt, BlockModeDecrypt, BlockModeEncrypt, KeyInit,
    KeyIvInit,
};

use mtproto::auth_key::AuthKey;
use mtproto::codec::{self, Reader};
use mtproto::crypto::ige::{IgeDecryptor, IgeEncryptor};
use mtproto::envelope::{self, Message, Receiver, unencrypted};

pub mod call;
mod dh;
pub mod differential;
pub mod envelope_model;
pub mod handshake;
pub mod layout;
pub mod mutant_bench;
pub mod rsa;
pub mod secret;
pub mod session;
pub mod session_model;
mod tl;
mod transport;

pub use call::{call_exchange, call_packet};
pub use dh::{dh_checks, pq};
pub use handshake::{handshake_client, handshake_server};
pub use rsa::rsa;
pub use secret::secret_chat;
pub use session::{session_client, session_server};
pub use tl::tl_decode;
pub use transport::{
    transport_abridged, transport_full, transport_intermediate, transport_obfuscated,
    transport_padded,
};

/// A fuzz target: its name (the file under `fuzz/fuzz_targets/`) and its entry point.
pub type Target = (&'static str, fn(&[u8]));

/// Every fuzz target, by name.
pub const TARGETS: &[Target] = &[
    ("ige_differential", ige_differential),
    ("envelope_decrypt", envelope_decrypt),
    ("envelope_roundtrip", envelope_roundtrip),
    ("envelope_parse", envelope_parse),
    ("unencrypted_decode", unencrypted_decode),
    ("tl_bytes", tl_bytes),
    ("tl_decode", tl_decode),
    ("transport_abridged", transport_abridged),
    ("transport_intermediate", transport_intermediate),
    ("transport_padded", transport_padded),
    ("transport_full", transport_full),
    ("transport_obfuscated", transport_obfuscated),
    ("session_client", session_client),
    ("session_server", session_server),
    ("handshake_client", handshake_client),
    ("handshake_server", handshake_server),
    ("dh_checks", dh_checks),
    ("pq", pq),
    ("secret_chat", secret_chat),
    ("call_packet", call_packet),
    ("call_exchange", call_exchange),
    ("rsa", rsa),
];

/// The entry point of the target called `name`.
pub fn target(name: &str) -> Option<fn(&[u8])> {
    TARGETS.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
}

fn receiver(u: &mut Unstructured<'_>) -> arbitrary::Result<Receiver> {
    Ok(if bool::arbitrary(u)? {
        Receiver::Client
    } else {
        Receiver::Server
    })
}

/// The fixed key used when an input does not pick its own: 0x00..0xff.
fn fixed_key() -> AuthKey {
    AuthKey::new(core::array::from_fn(|i| i as u8))
}

/// A key: the fixed one (its first byte is 0x00) when the kind byte is odd, else arbitrary bytes,
/// whose first byte is forced to 0x00 when bit 1 of the kind is set. A DH result starts with 0x00
/// once in 256 keys; code that treats the key as an integer (and drops the byte) goes wrong only
/// then, so half the arbitrary keys are made to start with it.
fn key(u: &mut Unstructured<'_>) -> arbitrary::Result<AuthKey> {
    let kind = u8::arbitrary(u)?;
    if kind & 1 == 1 {
        return Ok(fixed_key());
    }
    let mut bytes = <[u8; 256]>::arbitrary(u)?;
    if kind & 2 != 0 {
        bytes[0] = 0;
    }
    Ok(AuthKey::new(bytes))
}

/// The reference's `auth_key_id` must be the model's (SHA-1 of all 256 bytes).
fn check_key_id(key: &AuthKey) {
    assert_eq!(
        key.id(),
        envelope_model::auth_key_id(key.as_bytes()),
        "auth_key_id differs from SHA1(all 256 key bytes)[12..20]"
    );
}

/// RustCrypto `ige` 0.2 over `C`: the independent oracle.
fn oracle<C>(key: &[u8], iv: &[u8; 32], data: &[u8], encrypt: bool) -> Vec<u8>
where
    C: BlockCipherEncrypt<BlockSize = U16> + BlockCipherDecrypt<BlockSize = U16> + KeyInit,
{
    let mut out = data.to_vec();
    let Ok(key) = cipher::Key::<C>::try_from(key) else {
        panic!("oracle key of {} bytes", key.len());
    };
    let (blocks, _) = Array::slice_as_chunks_mut(&mut out);
    if encrypt {
        ige::Encryptor::<C>::new(&key, &(*iv).into()).encrypt_blocks(blocks);
    } else {
        ige::Decryptor::<C>::new(&key, &(*iv).into()).decrypt_blocks(blocks);
    }
    out
}

/// Ours, with the buffer split at `cut` (a block boundary) and the chain resumed.
fn ours<C>(cipher: C, iv: &[u8; 32], data: &[u8], cut: usize, encrypt: bool) -> Vec<u8>
where
    C: BlockCipherEncrypt<BlockSize = U16> + BlockCipherDecrypt<BlockSize = U16> + Clone,
{
    let mut out = data.to_vec();
    let (a, b) = out.split_at_mut(cut);
    let ok = if encrypt {
        let mut e = IgeEncryptor::new(cipher, iv);
        e.encrypt(a).and_then(|()| e.encrypt(b))
    } else {
        let mut d = IgeDecryptor::new(cipher, iv);
        d.decrypt(a).and_then(|()| d.decrypt(b))
    };
    assert!(ok.is_ok(), "aligned IGE input rejected");
    out
}

/// Own IGE against RustCrypto `ige`, AES-128 and AES-256, both directions, split at an arbitrary
/// block boundary; unaligned input must be rejected by ours.
pub fn ige_differential(data: &[u8]) {
    let _ = try_ige_differential(data);
}

fn try_ige_differential(data: &[u8]) -> arbitrary::Result<()> {
    let mut u = Unstructured::new(data);
    let aes256 = bool::arbitrary(&mut u)?;
    let encrypt = bool::arbitrary(&mut u)?;
    let iv = <[u8; 32]>::arbitrary(&mut u)?;
    let key = <[u8; 32]>::arbitrary(&mut u)?;
    let cut_blocks = u8::arbitrary(&mut u)? as usize;
    let payload = u.take_rest();
    let aligned = &payload[..payload.len() - payload.len() % 16];
    let cut = (cut_blocks * 16).min(aligned.len());
    let (got, want) = if aes256 {
        let c = Aes256::new(&key.into());
        (
            ours(c, &iv, aligned, cut, encrypt),
            oracle::<Aes256>(&key, &iv, aligned, encrypt),
        )
    } else {
        let k: [u8; 16] = key[..16]
            .try_into()
            .map_err(|_| arbitrary::Error::IncorrectFormat)?;
        let c = Aes128::new(&k.into());
        (
            ours(c, &iv, aligned, cut, encrypt),
            oracle::<Aes128>(&k, &iv, aligned, encrypt),
        )
    };
    assert_eq!(got, want, "IGE differs from RustCrypto ige");
    if !payload.len().is_multiple_of(16) {
        let mut buf = payload.to_vec();
        let c = Aes256::new(&key.into());
        assert!(IgeEncryptor::new(c.clone(), &iv).encrypt(&mut buf).is_err());
        assert!(IgeDecryptor::new(c, &iv).decrypt(&mut buf).is_err());
        assert_eq!(buf, payload, "a rejected buffer was modified");
    }
    Ok(())
}

/// An arbitrary packet for a fixed or arbitrary key and either receiver. Whatever decrypts must
/// satisfy the receiver's rules and re-encrypt to exactly the same packet.
///
/// When bit 1 of the byte after the receiver is set, the rest of the input instead describes a
/// message ([`Built`]) that the independent model ([`envelope_model`]) encrypts with a correct
/// msg_key: the receiver must accept it with exactly its fields when its length field and
/// padding follow R5, refuse it otherwise, and refuse it with any one bit flipped.
pub fn envelope_decrypt(data: &[u8]) {
    let _ = try_envelope_decrypt(data);
}

/// A message for the model to encrypt (`envelope_decrypt`'s second mode).
#[derive(Debug, Arbitrary)]
struct Built {
    salt: i64,
    session_id: i64,
    msg_id: i64,
    seq_no: i32,
    /// Added to the body's length in the length field when in -8..8 (else 0).
    declared_delta: i8,
    /// Padding bytes wanted (mod 1100, so both bounds of 12..=1024 are crossed), rounded up to
    /// whole blocks.
    padding: u16,
    /// Nonzero: flip bit `flip - 1` (mod the packet's bits) and expect a refusal.
    flip: u16,
    body: Vec<u8>,
}

fn built_packet(key: &AuthKey, to: Receiver, b: &Built) {
    let x = if to == Receiver::Server { 0 } else { 8 };
    let mut pad = usize::from(b.padding) % 1100;
    pad += (16 - (32 + b.body.len() + pad) % 16) % 16;
    let padding: Vec<u8> = (0..pad).map(|i| (i as u8) ^ 0xa5).collect();
    let delta = if (-8..8).contains(&b.declared_delta) {
        i32::from(b.declared_delta)
    } else {
        0
    };
    let Ok(declared) = i32::try_from(b.body.len()).map(|l| l + delta) else {
        return;
    };
    let plaintext = envelope_model::plaintext(
        b.salt,
        b.session_id,
        b.msg_id,
        b.seq_no,
        declared,
        &b.body,
        &padding,
    );
    let packet = envelope_model::seal(key.as_bytes(), x, &plaintext);
    // R5 as the model reads it: 0 <= length <= what follows it, a multiple of 4, and 12..=1024
    // bytes of padding after the body.
    let available = plaintext.len() - 32;
    let valid = usize::try_from(declared).ok().filter(|&l| {
        l <= available && l.is_multiple_of(4) && (12..=1024).contains(&(available - l))
    });
    let got = envelope::decrypt_any_session(key, to, &packet);
    match (valid, &got) {
        (Some(len), Ok(m)) => assert_eq!(
            (
                m.salt,
                m.session_id,
                m.msg_id,
                m.seq_no,
                m.body(),
                m.padding()
            ),
            (
                b.salt,
                b.session_id,
                b.msg_id,
                b.seq_no,
                &plaintext[32..32 + len],
                &plaintext[32 + len..]
            ),
            "a correctly built packet decrypted to other fields"
        ),
        (Some(len), Err(e)) => {
            panic!(
                "a correctly built packet (body {len}, padding {}) was refused: {e:?}",
                available - len
            )
        }
        (None, Ok(_)) => {
            panic!("accepted a length field of {declared} with {available} bytes after it (R5)")
        }
        (None, Err(_)) => {}
    }
    if b.flip != 0 {
        let bit = usize::from(b.flip - 1) % (packet.len() * 8);
        let mut flipped = packet;
        flipped[bit / 8] ^= 1 << (bit % 8);
        assert!(
            envelope::decrypt_any_session(key, to, &flipped).is_err(),
            "bit {bit} of a correctly built packet flipped and still accepted"
        );
    }
}

/// The key, receiver and packet of an `envelope_decrypt` input ([`layout::envelope_decrypt`]).
fn envelope_decrypt_input(data: &[u8]) -> arbitrary::Result<(Box<[u8; 256]>, Receiver, Vec<u8>)> {
    let mut u = Unstructured::new(data);
    let key = key(&mut u)?;
    let to = receiver(&mut u)?;
    let mode = u8::arbitrary(&mut u)?;
    let prefix_key_id = mode & 1 == 1;
    if mode & 2 != 0 {
        return Err(arbitrary::Error::IncorrectFormat);
    }
    let rest = u.take_rest();
    // Half the inputs carry the right auth_key_id so they reach the msg_key check.
    let mut packet = Vec::with_capacity(rest.len() + 8);
    if prefix_key_id {
        packet.extend_from_slice(&key.id());
    }
    packet.extend_from_slice(rest);
    Ok((Box::new(*key.as_bytes()), to, packet))
}

fn try_envelope_decrypt(data: &[u8]) -> arbitrary::Result<()> {
    {
        let mut u = Unstructured::new(data);
        let key = key(&mut u)?;
        let to = receiver(&mut u)?;
        if u8::arbitrary(&mut u)? & 2 != 0 {
            check_key_id(&key);
            built_packet(&key, to, &Built::arbitrary(&mut u)?);
            return Ok(());
        }
    }
    let (key, to, packet) = envelope_decrypt_input(data)?;
    let key = AuthKey::new(*key);
    let Ok(m) = envelope::decrypt_any_session(&key, to, &packet) else {
        return Ok(());
    };
    check_decrypted(&m);
    let again = envelope::encrypt(
        &key,
        to.direction(),
        &Message {
            salt: m.salt,
            session_id: m.session_id,
            msg_id: m.msg_id,
            seq_no: m.seq_no,
            body: m.body(),
        },
        m.padding(),
    );
    assert_eq!(
        again.ok(),
        Some(packet),
        "accepted packet does not re-encrypt to itself"
    );
    Ok(())
}

fn check_decrypted(m: &envelope::Decrypted) {
    let body = m.body().len();
    let pad = m.padding().len();
    assert_eq!(body % 4, 0, "accepted a body length not divisible by 4");
    assert!(
        (12..=1024).contains(&pad),
        "accepted {pad} bytes of padding"
    );
    assert_eq!(32 + body + pad, m.plaintext().len());
    assert_eq!(m.plaintext().len() % 16, 0);
}

/// Whether x = 0 and x = 8 read different key bytes. They do not when the key repeats with period 8
/// over the slices the KDF uses (e.g. a constant key): then both directions derive the same
/// msg_key and AES key, and a packet for one receiver is valid for the other. Real keys are random
/// DH results, so this only matters for the oracle, not for the protocol.
fn directions_differ(key: &AuthKey) -> bool {
    let k = key.as_bytes();
    k[88..120] != k[96..128] || k[0..36] != k[8..44] || k[40..76] != k[48..84]
}

/// A structured message for `envelope_roundtrip`.
#[derive(Debug, Arbitrary)]
struct RoundTrip {
    salt: i64,
    session_id: i64,
    msg_id: i64,
    seq_no: i32,
    body: Vec<u8>,
    extra_padding_blocks: u8,
    padding_seed: u8,
    client_sends: bool,
    flip_bit: u16,
}

/// Arbitrary message → encrypt → decrypt must give it back; the other receiver, another session
/// and any flipped bit must be rejected.
pub fn envelope_roundtrip(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let (Ok(key), Ok(rt)) = (key(&mut u), RoundTrip::arbitrary(&mut u)) else {
        return;
    };
    let mut body = rt.body;
    body.truncate(body.len() - body.len() % 4);
    let min_pad = 12 + (16 - (32 + body.len() + 12) % 16) % 16;
    let pad_len =
        (min_pad + 16 * rt.extra_padding_blocks as usize).min(1024 - (1024 - min_pad) % 16);
    let padding: Vec<u8> = (0..pad_len)
        .map(|i| rt.padding_seed.wrapping_add(i as u8))
        .collect();
    let (direction, to, other) = if rt.client_sends {
        (
            mtproto::Direction::ClientToServer,
            Receiver::Server,
            Receiver::Client,
        )
    } else {
        (
            mtproto::Direction::ServerToClient,
            Receiver::Client,
            Receiver::Server,
        )
    };
    let msg = Message {
        salt: rt.salt,
        session_id: rt.session_id,
        msg_id: rt.msg_id,
        seq_no: rt.seq_no,
        body: &body,
    };
    let Ok(packet) = envelope::encrypt(&key, direction, &msg, &padding) else {
        panic!(
            "valid message refused: body {} padding {pad_len}",
            body.len()
        );
    };
    // The independent model builds the same packet from the same fields (a KDF slice or
    // auth_key_id bug shared by encrypt and decrypt shows here, not in the round trip).
    check_key_id(&key);
    let x = if rt.client_sends { 0 } else { 8 };
    let plaintext = envelope_model::plaintext(
        rt.salt,
        rt.session_id,
        rt.msg_id,
        rt.seq_no,
        body.len() as i32,
        &body,
        &padding,
    );
    assert!(
        packet == envelope_model::seal(key.as_bytes(), x, &plaintext),
        "the packet differs from the model's (msg_key, KDF with x = {x}, auth_key_id or IGE)"
    );
    let Ok(m) = envelope::decrypt(&key, to, rt.session_id, &packet) else {
        panic!("own packet rejected");
    };
    assert_eq!(
        (
            m.salt,
            m.session_id,
            m.msg_id,
            m.seq_no,
            m.body(),
            m.padding()
        ),
        (
            rt.salt,
            rt.session_id,
            rt.msg_id,
            rt.seq_no,
            &body[..],
            &padding[..]
        )
    );
    if directions_differ(&key) {
        assert!(envelope::decrypt(&key, other, rt.session_id, &packet).is_err());
    }
    assert!(envelope::decrypt(&key, to, rt.session_id.wrapping_add(1), &packet).is_err());
    let bit = rt.flip_bit as usize % (packet.len() * 8);
    let mut flipped = packet;
    flipped[bit / 8] ^= 1 << (bit % 8);
    assert!(
        envelope::decrypt(&key, to, rt.session_id, &flipped).is_err(),
        "bit {bit} flip accepted"
    );
}

/// The checks behind msg_key (R5), reached directly: a plaintext is parsed as if its msg_key had
/// verified. Only under `cfg(fuzzing)` (set by cargo-fuzz) is that constructor available, so this
/// target exists only in fuzz builds; in other builds the input is sealed with a correct msg_key
/// and opened, which reaches the same checks more slowly.
pub fn envelope_parse(data: &[u8]) {
    let len = data.len() - data.len() % 16;
    let plaintext = &data[..len];
    #[cfg(fuzzing)]
    let parsed =
        envelope::VerifiedPlaintext::assume_verified_for_fuzzing(plaintext.to_vec()).parse();
    #[cfg(not(fuzzing))]
    let parsed = {
        let key = fixed_key();
        match envelope::seal(&key, mtproto::Direction::ClientToServer, plaintext) {
            Ok(p) => envelope::decrypt_any_session(&key, Receiver::Server, &p),
            Err(e) => Err(e),
        }
    };
    if let Ok(m) = parsed {
        check_decrypted(&m);
        let declared = i32::from_le_bytes(plaintext[28..32].try_into().unwrap_or([0; 4]));
        assert_eq!(usize::try_from(declared).ok(), Some(m.body().len()));
    }
}

/// Unencrypted messages: whatever decodes re-encodes to the same bytes.
pub fn unencrypted_decode(data: &[u8]) {
    if let Ok(m) = unencrypted::decode(data) {
        assert_eq!(
            unencrypted::encode(m.msg_id, m.body).ok().as_deref(),
            Some(data)
        );
    }
}

/// TL `bytes`: whatever decodes re-encodes to exactly the bytes it consumed (one encoding each).
pub fn tl_bytes(data: &[u8]) {
    let mut r = Reader::new(data);
    if let Ok(value) = r.tl_bytes() {
        let consumed = r.offset();
        let mut again = Vec::new();
        assert!(codec::put_tl_bytes(&mut again, value).is_ok());
        assert_eq!(again, &data[..consumed], "non-canonical TL bytes accepted");
        assert_eq!(consumed, codec::tl_bytes_len(value.len()));
    }
}
