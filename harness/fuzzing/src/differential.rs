//! Differential fuzzing of another implementation against the reference.
//!
//! Each entry point takes the raw fuzzer bytes and the implementation under test as a closure,
//! builds one input from the bytes, runs the reference on it, runs the closure on the same
//! input, and compares: both must accept or both reject, and where both accept, the fields must be
//! equal. A disagreement comes back as a [`Disagreement`] naming the reference's verdict (its
//! error name from the shared vocabulary, or what it accepted) and the implementation's;
//! [`Disagreement::unless_known`] panics (how a fuzzer reports) unless the reference's error is one
//! the caller lists as a divergence it already knows about.
//!
//! | entry point | what the closure gets | what it answers when it accepts |
//! |---|---|---|
//! | [`envelope_decrypt`] | [`EnvelopeInput`]: key, receiver, its session_id, packet | [`Message`] |
//! | [`envelope_open`] | the same (R1–R4 only: auth_key_id, length, msg_key) | the plaintext |
//! | [`session_feed`] | per step: `now`, `msg_id` (a client receiver, clock synced) | `()` |
//! | [`dh_params`] | `dh_prime` bytes and `g` | `()` |
//! | [`pq_factor`] | `pq` as sent (big-endian) | `(p, q)`, big-endian, minimal |
//! | [`transport_decode`] | a server-to-client stream of one framing, no tag | the frames |
//! | [`tl_decode`] | TL bytes (one boxed `mtproto` object) | the bytes it read |
//!
//! The closure's rejection is `Err(reason)`, free text: only accept/reject is compared, never
//! the reason. The inputs are built so they reach deep checks: an envelope's packet is a correct
//! msg_key around a plaintext whose every header field the fuzzer chooses; a `dh_prime` is the
//! one Telegram sends, one bit or length off, or random; a pq a product of two primes or not.
//!
//! Adding a target to one's own `fuzz/` (with `mtproto-fuzzing` as a dependency):
//!
//! ```ignore
//! #![no_main]
//! use mtproto_fuzzing::differential::{self, Message};
//! libfuzzer_sys::fuzz_target!(|data: &[u8]| {
//!     differential::envelope_decrypt(data, |i| my_lib::decrypt(&i.auth_key, &i.packet).map(Message::from))
//!         .unless_known(&[]);
//! });
//! ```

use core::fmt;

use arbitrary::{Arbitrary, Unstructured};
use mtproto::auth_key::AuthKey;
use mtproto::codec::Reader;
use mtproto::crypto::dh;
use mtproto::envelope::{self, Receiver};
use mtproto::handshake::pq;
use mtproto::session::{ClientConfig, ClientReceiver};
use mtproto::tl::generated::mtproto as mt;
use mtproto::tl::{Ctx, Tl};
use mtproto::transport::{self, Decoder, Frame, Kind};
use mtproto::{Direction, ProtocolError};

/// The reference's verdict and the implementation's, on one input, when they differ.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Disagreement {
    /// The entry point.
    pub target: &'static str,
    /// The reference's error name when it rejected (`None`: it accepted).
    pub reference_error: Option<String>,
    /// What the reference did, for a person.
    pub reference: String,
    /// What the implementation did.
    pub implementation: String,
    /// The input, for a person (hex where it is bytes).
    pub input: String,
}

impl fmt::Display for Disagreement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: the reference {}, the implementation {} (input: {})",
            self.target, self.reference, self.implementation, self.input
        )
    }
}

/// Extension for an entry point's result: panic on a disagreement unless it is a known one.
pub trait UnlessKnown {
    /// Panic on a disagreement, unless the reference rejected with one of `known` (error names
    /// of the vocabulary: divergences already recorded as vectors). `"accepted"` in `known`
    /// excuses the implementation rejecting what the reference accepts.
    fn unless_known(self, known: &[&str]);
}

impl UnlessKnown for Result<(), Disagreement> {
    fn unless_known(self, known: &[&str]) {
        if let Err(d) = self {
            let key = d.reference_error.as_deref().unwrap_or("accepted");
            if !known.contains(&key) {
                panic!("{d}");
            }
        }
    }
}

/// An envelope to decrypt: the key, the receiver (a client reads server-to-client packets), the
/// receiver's session_id and the packet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvelopeInput {
    /// The 256-byte auth key.
    pub auth_key: [u8; 256],
    /// Who receives the packet.
    pub receiver: Receiver,
    /// The receiver's session_id (R6).
    pub session_id: i64,
    /// The packet: auth_key_id, msg_key, encrypted data.
    pub packet: Vec<u8>,
}

/// A decrypted message's fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// `salt`.
    pub salt: i64,
    /// `session_id`.
    pub session_id: i64,
    /// `msg_id`.
    pub msg_id: i64,
    /// `seq_no`.
    pub seq_no: i32,
    /// The message body (as long as its length field says).
    pub body: Vec<u8>,
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Compare a reference verdict with the implementation's.
fn compare<T: PartialEq + fmt::Debug>(
    target: &'static str,
    reference: Result<T, String>,
    implementation: Result<T, String>,
    input: impl FnOnce() -> String,
) -> Result<(), Disagreement> {
    match (&reference, &implementation) {
        (Ok(a), Ok(b)) if a == b => Ok(()),
        (Err(_), Err(_)) => Ok(()),
        _ => Err(Disagreement {
            target,
            reference_error: reference.as_ref().err().cloned(),
            reference: match &reference {
                Ok(v) => format!("accepted {v:?}"),
                Err(e) => format!("rejected with {e}"),
            },
            implementation: match &implementation {
                Ok(v) => format!("accepted {v:?}"),
                Err(e) => format!("rejected ({e})"),
            },
            input: input(),
        }),
    }
}

/// The plaintext header fields the fuzzer chooses for an envelope.
#[derive(Debug, Arbitrary)]
struct Plain {
    salt: i64,
    /// Use the receiver's session_id (most inputs) or `other_session`.
    same_session: u8,
    other_session: i64,
    msg_id: i64,
    seq_no: i32,
    /// Declare the body's length (most inputs) or `declared`.
    true_length: u8,
    declared: i32,
    body: Vec<u8>,
    padding_len: u16,
    padding_byte: u8,
    /// Keep a body length that is not a multiple of 4 (rarely).
    odd_body: u8,
    /// Flip bit `flip` of the packet (rarely).
    flip_sel: u8,
    flip: u16,
}

/// Build an envelope input from fuzzer bytes: a key, a receiver, a session, and a packet that is
/// either the rest of the bytes (after the right auth_key_id) or a correct msg_key around a
/// plaintext of fuzzer-chosen fields, optionally with one bit flipped.
pub fn envelope_input(data: &[u8]) -> Option<EnvelopeInput> {
    let mut u = Unstructured::new(data);
    let seed = <[u8; 32]>::arbitrary(&mut u).ok()?;
    let mut auth_key = [0u8; 256];
    for (i, b) in auth_key.iter_mut().enumerate() {
        *b = seed[i % 32] ^ (i as u8).wrapping_mul(0x9d);
    }
    let key = AuthKey::new(auth_key);
    let receiver = if bool::arbitrary(&mut u).ok()? {
        Receiver::Client
    } else {
        Receiver::Server
    };
    let session_id = i64::arbitrary(&mut u).ok()?;
    let raw = u8::arbitrary(&mut u).ok()? < 16;
    let packet = if raw {
        let mut p = key.id().to_vec();
        p.extend_from_slice(u.take_rest());
        p
    } else {
        let f = Plain::arbitrary(&mut u).ok()?;
        let mut body = f.body;
        body.truncate(2048);
        if f.odd_body < 240 {
            body.truncate(body.len() - body.len() % 4);
        }
        let mut pt = Vec::with_capacity(32 + body.len() + 1024);
        pt.extend_from_slice(&f.salt.to_le_bytes());
        let sid = if f.same_session < 224 {
            session_id
        } else {
            f.other_session
        };
        pt.extend_from_slice(&sid.to_le_bytes());
        pt.extend_from_slice(&f.msg_id.to_le_bytes());
        pt.extend_from_slice(&f.seq_no.to_le_bytes());
        let len = if f.true_length < 224 {
            i32::try_from(body.len()).unwrap_or(i32::MAX)
        } else {
            f.declared
        };
        pt.extend_from_slice(&len.to_le_bytes());
        pt.extend_from_slice(&body);
        // Mostly a padding that makes the plaintext block-aligned; sometimes any length.
        let pad = if f.padding_len < 0xe000 {
            let min = 12 + (16 - (pt.len() + 12) % 16) % 16;
            min + 16 * (usize::from(f.padding_len) % 66)
        } else {
            usize::from(f.padding_len) % 1100
        };
        pt.extend((0..pad).map(|i| f.padding_byte.wrapping_add(i as u8)));
        let mut p = envelope::seal(&key, receiver.direction(), &pt).ok()?;
        if f.flip_sel >= 232 {
            let bit = usize::from(f.flip) % (p.len() * 8);
            p[bit / 8] ^= 1 << (bit % 8);
        }
        p
    };
    Some(EnvelopeInput {
        auth_key,
        receiver,
        session_id,
        packet,
    })
}

/// Decrypt an envelope (spec R1–R6): the reference's [`envelope::decrypt`] against `iut`.
pub fn envelope_decrypt(
    data: &[u8],
    iut: impl FnOnce(&EnvelopeInput) -> Result<Message, String>,
) -> Result<(), Disagreement> {
    let Some(input) = envelope_input(data) else {
        return Ok(());
    };
    let key = AuthKey::new(input.auth_key);
    let reference = envelope::decrypt(&key, input.receiver, input.session_id, &input.packet)
        .map(|m| Message {
            salt: m.salt,
            session_id: m.session_id,
            msg_id: m.msg_id,
            seq_no: m.seq_no,
            body: m.body().to_vec(),
        })
        .map_err(|e| e.name().to_owned());
    let got = iut(&input);
    compare("envelope_decrypt", reference, got, || {
        format!(
            "receiver {:?}, session_id {}, key {}…, packet {}",
            input.receiver,
            input.session_id,
            hex(&input.auth_key[..8]),
            hex(&input.packet)
        )
    })
}

/// Open an envelope (spec R1–R4: auth_key_id, block alignment, msg_key; no plaintext rules):
/// the reference's [`envelope::open`] against `iut`, which answers the whole plaintext. For
/// libraries whose decryption primitive stops there (the header checks live elsewhere).
pub fn envelope_open(
    data: &[u8],
    iut: impl FnOnce(&EnvelopeInput) -> Result<Vec<u8>, String>,
) -> Result<(), Disagreement> {
    let Some(input) = envelope_input(data) else {
        return Ok(());
    };
    let key = AuthKey::new(input.auth_key);
    let reference = envelope::open(&key, input.receiver, &input.packet)
        .map(|v| v.as_bytes().to_vec())
        .map_err(|e| e.name().to_owned());
    let got = iut(&input);
    compare("envelope_open", reference, got, || {
        format!(
            "receiver {:?}, key {}…, packet {}",
            input.receiver,
            hex(&input.auth_key[..8]),
            hex(&input.packet)
        )
    })
}

/// Feed a client's session receiver a series of msg_ids (spec R7–R9: parity, replay window,
/// time window with a synced clock): the reference's [`ClientReceiver::check_msg_id`] against
/// `iut`, step by step. `iut` is called once per step, in order, on one receiver of its own
/// (created by the caller before the call).
pub fn session_feed(
    data: &[u8],
    mut iut: impl FnMut(i64, i64) -> Result<(), String>,
) -> Result<(), Disagreement> {
    let mut u = Unstructured::new(data);
    let Ok(start) = u32::arbitrary(&mut u) else {
        return Ok(());
    };
    let now0 = 1_600_000_000i64 + i64::from(start % 400_000_000);
    let mut receiver = ClientReceiver::new(
        0,
        ClientConfig {
            clock_synced: true,
            ..ClientConfig::default()
        },
    );
    let mut now = now0;
    let mut last = now0 << 32;
    let mut steps = Vec::new();
    while let (Ok(dt), Ok(kind), Ok(delta)) = (
        u8::arbitrary(&mut u),
        u8::arbitrary(&mut u),
        i32::arbitrary(&mut u),
    ) {
        now += i64::from(dt % 8);
        let msg_id = match kind % 4 {
            // Ahead of the last, by a fuzzer-chosen amount (odd or even).
            0 | 1 => last.wrapping_add(i64::from(delta.unsigned_abs())),
            // Behind the last (replays and old ids).
            2 => last.wrapping_sub(i64::from(delta.unsigned_abs() % 4096) * 4),
            // Seconds away from now.
            _ => ((now + i64::from(delta % 400)) << 32) | i64::from(kind & 0xfc),
        };
        steps.push((now, msg_id));
        let reference = receiver
            .check_msg_id(now, msg_id)
            .map_err(|e| e.name().to_owned());
        if reference.is_ok() {
            last = last.max(msg_id);
        }
        let got = iut(now, msg_id);
        compare("session_feed", reference, got, || {
            format!("steps (now, msg_id) {steps:?}")
        })?;
        if steps.len() >= 64 {
            break;
        }
    }
    Ok(())
}

/// The `dh_prime` Telegram sends (RFC-style 2048-bit safe prime with generator 3), big-endian.
const TELEGRAM_PRIME: &str = "c71caeb9c6b1c9048e6c522f70f13f73980d40238e3e21c14934d037563d930f48198a0aa7c14058229493d22530f4dbfa336f6e0ac925139543aed44cce7c3720fd51f69458705ac68cd4fe6b6b13abdc9746512969328454f18faf8c595f642477fe96bb2a941d5bcd1d4ac8cc49880708fa9b378e3c4f3a9060bee67cf9a4a4a695811051907e162753b56b0f6b410dba74d8a84b2a14b3144e0ef1284754fd17ed950d5965b4b9dd46582db1178d169c6bc465b0d6ff9ca3928fef5b9ae4e418fc15e83ebea0f87fa9ff5eed70050ded2849f47bf959d956850ce929851f0d8115f635b105ee2e4e15d04b2454bf6f4fadf034b10403119cd8e3b92fcc5b";

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .filter_map(|i| u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok())
        .collect()
}

/// Check DH parameters (p, g) as step 3 of the handshake must: the reference's
/// [`dh::check_params`] against `iut`. `p` is Telegram's prime, the same with a bit flipped or a
/// byte added or removed, or fuzzer bytes; `g` is 0..=9.
pub fn dh_params(
    data: &[u8],
    iut: impl FnOnce(&[u8], i64) -> Result<(), String>,
) -> Result<(), Disagreement> {
    let mut u = Unstructured::new(data);
    let (Ok(mode), Ok(g), Ok(at)) = (
        u8::arbitrary(&mut u),
        u8::arbitrary(&mut u),
        u16::arbitrary(&mut u),
    ) else {
        return Ok(());
    };
    let g = i64::from(g % 10);
    let mut p = unhex(TELEGRAM_PRIME);
    match mode % 5 {
        0 => {}
        1 => {
            let bit = usize::from(at) % 2048;
            p[bit / 8] ^= 1 << (bit % 8);
        }
        2 => p.insert(0, 0),
        3 => {
            p.pop();
        }
        _ => p = u.take_rest().to_vec(),
    }
    let seed = [7u8; 32];
    let reference = dh::check_params(&p, g, &seed, None)
        .map(|_| ())
        .map_err(|e| e.name().to_owned());
    let got = iut(&p, g);
    compare("dh_params", reference, got, || {
        format!("p {}, g {g}", hex(&p))
    })
}

/// Factor `pq` (handshake step 3): the reference's [`pq::factorize_be`] against `iut`. `pq` is
/// the fuzzer's bytes (up to 9), or a product of two primes made from them.
pub fn pq_factor(
    data: &[u8],
    iut: impl FnOnce(&[u8]) -> Result<(Vec<u8>, Vec<u8>), String>,
) -> Result<(), Disagreement> {
    let mut u = Unstructured::new(data);
    let (Ok(mode), Ok(a), Ok(b)) = (
        u8::arbitrary(&mut u),
        u32::arbitrary(&mut u),
        u32::arbitrary(&mut u),
    ) else {
        return Ok(());
    };
    let pq_bytes = if mode < 160 {
        let p = next_prime(u64::from(a | 0x8000_0000) >> (mode % 8));
        let q = next_prime(u64::from(b | 0x8000_0000) >> (mode % 5));
        pq::minimal_be(p.saturating_mul(q))
    } else {
        let rest = u.take_rest();
        rest[..rest.len().min(9)].to_vec()
    };
    let reference = pq::factorize_be(&pq_bytes).map_err(|e| e.name().to_owned());
    let got = iut(&pq_bytes);
    compare("pq_factor", reference, got, || {
        format!("pq {}", hex(&pq_bytes))
    })
}

fn next_prime(mut n: u64) -> u64 {
    while !pq::is_prime_u64(n) {
        n = n.wrapping_add(1);
    }
    n
}

/// Decode a server-to-client stream of `kind` (no tag: the connection's first bytes were sent by
/// the client): the reference's [`transport::decode_all`] against `iut`. The stream is the
/// fuzzer's bytes, or valid frames made from them, cut short or followed by a few more bytes.
pub fn transport_decode(
    data: &[u8],
    kind: Kind,
    iut: impl FnOnce(&[u8]) -> Result<Vec<Frame>, String>,
) -> Result<(), Disagreement> {
    let mut u = Unstructured::new(data);
    let Ok(mode) = u8::arbitrary(&mut u) else {
        return Ok(());
    };
    let stream = if mode < 128 {
        u.take_rest().to_vec()
    } else {
        let mut enc = transport::Encoder::without_tag(kind, Direction::ServerToClient);
        let mut s = Vec::new();
        while let Ok(len) = u8::arbitrary(&mut u) {
            let n = usize::from(len % 64) * 4 + 4;
            let Ok(payload) = u.bytes(n.min(u.len())) else {
                break;
            };
            let payload = payload.to_vec();
            if payload.is_empty() || payload.len() % 4 != 0 {
                break;
            }
            let frame = Frame::Payload {
                data: payload,
                quick_ack: false,
            };
            if enc.encode(frame.as_packet(), &[], &mut s).is_err() {
                break;
            }
        }
        match mode % 3 {
            0 => {
                let cut = usize::from(mode) % (s.len() + 1);
                s.truncate(s.len() - cut.min(s.len()));
            }
            1 => s.extend_from_slice(&[0x01, 0x02, 0x03][..usize::from(mode % 4).min(3)]),
            _ => {}
        }
        s
    };
    let mut decoder = Decoder::without_tag(kind, Direction::ServerToClient);
    let reference = transport::decode_all(&mut decoder, &stream).map_err(|e| e.name().to_owned());
    let got = iut(&stream);
    compare("transport_decode", reference, got, || {
        format!("{} stream {}", kind.as_str(), hex(&stream))
    })
}

/// Decode one boxed object of the `mtproto` TL schema: the reference's reader against `iut`,
/// which answers how many bytes the object took (trailing bytes are not an error).
pub fn tl_decode(
    data: &[u8],
    iut: impl FnOnce(&[u8]) -> Result<usize, String>,
) -> Result<(), Disagreement> {
    let mut r = Reader::new(data);
    let reference = mt::Object::read(&mut r, &mut Ctx::new())
        .map(|_| r.offset())
        .map_err(|e| e.name().to_owned());
    let got = iut(data);
    compare("tl_decode", reference, got, || {
        format!("bytes {}", hex(data))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs() -> Vec<Vec<u8>> {
        (0u32..400)
            .map(|i| {
                (0..300u32)
                    .map(|j| (i.wrapping_mul(2_654_435_761) ^ j.wrapping_mul(40_503)) as u8)
                    .map(|b| b.rotate_left(i % 8))
                    .collect()
            })
            .collect()
    }

    fn reference_decrypt(i: &EnvelopeInput) -> Result<Message, String> {
        envelope::decrypt(
            &AuthKey::new(i.auth_key),
            i.receiver,
            i.session_id,
            &i.packet,
        )
        .map(|m| Message {
            salt: m.salt,
            session_id: m.session_id,
            msg_id: m.msg_id,
            seq_no: m.seq_no,
            body: m.body().to_vec(),
        })
        .map_err(|e| e.name().to_owned())
    }

    #[test]
    fn the_reference_agrees_with_itself_and_inputs_reach_acceptance() {
        let mut accepted = 0;
        for d in inputs() {
            envelope_decrypt(&d, |i| {
                let r = reference_decrypt(i);
                accepted += usize::from(r.is_ok());
                r
            })
            .unless_known(&[]);
        }
        assert!(accepted > 20, "only {accepted} envelopes decrypted");
    }

    #[test]
    fn a_decrypter_without_the_session_check_is_caught() {
        let mut caught = 0;
        for d in inputs() {
            let r = envelope_decrypt(&d, |i| {
                envelope::decrypt_any_session(&AuthKey::new(i.auth_key), i.receiver, &i.packet)
                    .map(|m| Message {
                        salt: m.salt,
                        session_id: m.session_id,
                        msg_id: m.msg_id,
                        seq_no: m.seq_no,
                        body: m.body().to_vec(),
                    })
                    .map_err(|e| e.name().to_owned())
            });
            if let Err(e) = r {
                assert_eq!(e.reference_error.as_deref(), Some("SessionIdMismatch"));
                caught += 1;
            }
        }
        assert!(caught > 0, "no session_id mismatch was drawn");
    }

    #[test]
    fn a_factoriser_that_accepts_any_pq_is_caught_and_known_lists_excuse() {
        let mut caught = 0;
        for d in inputs() {
            let r = pq_factor(&d, |pq| {
                pq::factorize_be(pq).or_else(|_| Ok((vec![1], pq.to_vec())))
            });
            if let Err(e) = r.clone() {
                caught += 1;
                r.unless_known(&[e.reference_error.as_deref().unwrap_or("accepted")]);
            }
        }
        assert!(caught > 0);
    }

    #[test]
    fn dh_transport_tl_and_session_agree_with_the_reference() {
        for d in inputs().iter().take(40) {
            dh_params(d, |p, g| {
                dh::check_params(p, g, &[7u8; 32], None)
                    .map(|_| ())
                    .map_err(|e| e.name().to_owned())
            })
            .unless_known(&[]);
        }
        for d in inputs() {
            for kind in Kind::ALL {
                transport_decode(&d, kind, |s| {
                    transport::decode_all(
                        &mut Decoder::without_tag(kind, Direction::ServerToClient),
                        s,
                    )
                    .map_err(|e| e.name().to_owned())
                })
                .unless_known(&[]);
            }
            tl_decode(&d, |b| {
                let mut r = Reader::new(b);
                mt::Object::read(&mut r, &mut Ctx::new())
                    .map(|_| r.offset())
                    .map_err(|e| e.name().to_owned())
            })
            .unless_known(&[]);
            let mut own = ClientReceiver::new(
                0,
                ClientConfig {
                    clock_synced: true,
                    ..ClientConfig::default()
                },
            );
            session_feed(&d, |now, id| {
                own.check_msg_id(now, id).map_err(|e| e.name().to_owned())
            })
            .unless_known(&[]);
        }
    }

    #[test]
    fn an_opener_without_the_msg_key_check_is_caught() {
        let (mut agreed, mut caught) = (0, 0);
        for d in inputs() {
            let r = envelope_open(&d, |i| {
                let key = AuthKey::new(i.auth_key);
                match envelope::open(&key, i.receiver, &i.packet) {
                    Ok(v) => Ok(v.as_bytes().to_vec()),
                    // A broken opener: a msg_key mismatch is let through as garbage.
                    Err(e) if e.name() == "MsgKeyMismatch" => Ok(vec![0; 16]),
                    Err(e) => Err(e.name().to_owned()),
                }
            });
            match r {
                Ok(()) => agreed += 1,
                Err(e) => {
                    assert_eq!(e.reference_error.as_deref(), Some("MsgKeyMismatch"));
                    caught += 1;
                }
            }
        }
        assert!(agreed > 0 && caught > 0, "agreed {agreed}, caught {caught}");
    }

    #[test]
    fn a_transport_decoder_that_ignores_truncation_is_caught() {
        let mut caught = 0;
        for d in inputs() {
            let r = transport_decode(&d, Kind::Intermediate, |s| {
                let mut dec = Decoder::without_tag(Kind::Intermediate, Direction::ServerToClient);
                let mut input = s;
                let mut out = Vec::new();
                while let Ok(Some(p)) = dec.next(&mut input) {
                    out.push(p.to_frame());
                }
                Ok(out)
            });
            caught += usize::from(r.is_err());
        }
        assert!(caught > 0);
    }
}
