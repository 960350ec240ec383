//! `fuzz-corpus`: every usable vector case laid out as a seed input of the targets that read that
//! kind of data (`mtproto_fuzzing::layout`), one directory per target.
//!
//! The vector files are read as the vectors crate's typed groups, so a field this command needs
//! is there by the time it runs (the loader refuses a file without it); the only cases that give
//! no seed are the ones whose values a target's layout cannot hold, each named below.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;

use mtproto::crypto::dh;
use mtproto::envelope;
use mtproto::transport::obfuscated::INIT_LEN;
use mtproto::transport::{Encoder, Kind};
use mtproto_fuzzing::TARGETS;
use mtproto_fuzzing::layout::{self, SecretOp, SessionStep};
// The vector families' types (one place, so a move of the vectors crate's modules is one edit).
use mtproto_vectors::TestGroup;
use mtproto_vectors::families::call::Group as CallFamily;
use mtproto_vectors::families::dh::Group as DhFamily;
use mtproto_vectors::families::envelope::Group as EnvelopeFamily;
use mtproto_vectors::families::handshake::Group as HandshakeFamily;
use mtproto_vectors::families::rsa::Group as RsaFamily;
use mtproto_vectors::families::secret::{Group as SecretFamily, Step as SecretStep};
use mtproto_vectors::families::tl::Group as TlFamily;
use mtproto_vectors::load_paths;

use super::{frame_of, name_of, write_err};
use crate::Status;
use crate::cli::{FuzzCorpusArgs, paths_or_default};
use crate::error::HarnessError;

/// A case's class for the sample: its verdict and the error it expects, so a sample holds every
/// kind of rejection the vectors have.
fn class(result: impl core::fmt::Debug, error: Option<&str>) -> String {
    format!("{result:?}/{}", error.unwrap_or(""))
}

/// The seed inputs one vector group gives, by target, each with its case's [`class`].
fn seeds_of(group: &TestGroup, out: &mut BTreeMap<&'static str, Vec<(String, Vec<u8>)>>) {
    let mut put = |t: &'static str, class: String, data: Vec<u8>| {
        out.entry(t).or_default().push((class, data));
    };
    match group {
        TestGroup::Ige(g) => {
            for t in &g.tests {
                // An invalid case's iv may have another length: the layout holds 32 bytes.
                let Ok(iv) = <[u8; 32]>::try_from(t.iv.as_bytes()) else {
                    continue;
                };
                let key = t.key.as_bytes();
                let aes256 = key.len() == 32;
                put(
                    "ige_differential",
                    class(t.result, t.error.as_deref()),
                    layout::ige(aes256, true, &iv, key, 1, t.msg.as_bytes()),
                );
                put(
                    "ige_differential",
                    class(t.result, t.error.as_deref()),
                    layout::ige(aes256, false, &iv, key, 2, t.ct.as_bytes()),
                );
            }
        }
        TestGroup::Envelope(EnvelopeFamily::Decrypt(g)) => {
            let receiver = g.receiver.receiver();
            for t in &g.tests {
                // A KeyWrongLength case's key is not 256 bytes: the layout holds exactly 256.
                let Ok(key) = <[u8; 256]>::try_from(t.auth_key.as_bytes()) else {
                    continue;
                };
                let packet = t.packet.as_bytes();
                put(
                    "envelope_decrypt",
                    class(t.result, t.error.as_deref()),
                    layout::envelope_decrypt(&key, receiver, packet),
                );
                // The plaintext of what decrypts: the checks behind msg_key (envelope_parse), and
                // a key plus message-shaped bytes for the round trip.
                let auth = mtproto::AuthKey::new(key);
                if let Ok(m) = envelope::decrypt_any_session(&auth, receiver, packet) {
                    put(
                        "envelope_parse",
                        class(t.result, t.error.as_deref()),
                        m.plaintext().to_vec(),
                    );
                    let mut rt = vec![0u8];
                    rt.extend_from_slice(&key);
                    rt.extend_from_slice(m.plaintext().get(..64).unwrap_or(m.plaintext()));
                    put(
                        "envelope_roundtrip",
                        class(t.result, t.error.as_deref()),
                        rt,
                    );
                }
            }
        }
        TestGroup::Transport(g) => {
            // The loader accepts only the transport names `Kind` knows.
            let Some(kind) = Kind::from_name(&g.transport) else {
                return;
            };
            let dir = g.direction.direction();
            for t in &g.tests {
                let stream = t.stream.as_bytes();
                let half = u16::try_from(stream.len() / 2).unwrap_or(u16::MAX);
                if !g.obfuscated {
                    let target = match kind {
                        Kind::Abridged => "transport_abridged",
                        Kind::Intermediate => "transport_intermediate",
                        Kind::Padded => "transport_padded",
                        Kind::Full => "transport_full",
                    };
                    put(
                        target,
                        class(t.result, t.error.as_deref()),
                        layout::transport(dir, &[1, half], stream),
                    );
                    continue;
                }
                // Obfuscated: the target takes the plaintext, so the case's frames are framed
                // again. An invalid case has no frames (nothing decoded): no seed.
                let (Some(init), Some(frames)) = (&t.init, &t.frames) else {
                    continue;
                };
                let Ok(init) = <[u8; INIT_LEN]>::try_from(init.as_bytes()) else {
                    continue;
                };
                let mut enc = Encoder::without_tag(kind, dir);
                let mut plain = Vec::new();
                let framed = frames.iter().all(|f| {
                    frame_of(f).is_some_and(|f| enc.encode(f.as_packet(), &[], &mut plain).is_ok())
                });
                if framed {
                    put(
                        "transport_obfuscated",
                        class(t.result, t.error.as_deref()),
                        layout::transport_obfuscated(
                            kind,
                            t.secret.as_ref().map(|s| s.as_bytes()),
                            &init,
                            dir,
                            &[1, half],
                            &plain,
                        ),
                    );
                }
            }
        }
        TestGroup::Tl(TlFamily::Codec(g)) => {
            let is_secret = g.schema == "secret";
            for t in &g.tests {
                let bytes = t.bytes.as_bytes();
                put(
                    "tl_decode",
                    class(t.result, t.error.as_deref()),
                    layout::tl(is_secret, bytes),
                );
                if !is_secret {
                    // As the body of an unencrypted message, and its fields as TL bytes.
                    if let Ok(p) = envelope::unencrypted::encode(0x51e5_7ac4_2770_964a, bytes) {
                        put("unencrypted_decode", class(t.result, t.error.as_deref()), p);
                    }
                    put(
                        "tl_bytes",
                        class(t.result, t.error.as_deref()),
                        bytes.get(4..).unwrap_or(&[]).to_vec(),
                    );
                }
            }
        }
        TestGroup::Session(g) => {
            let server = g.receiver.receiver() == mtproto::Receiver::Server;
            let window = g
                .window_size
                .and_then(|w| usize::try_from(w).ok())
                .unwrap_or(1000);
            let synced = g.clock_synced.unwrap_or(true);
            let target = if server {
                "session_server"
            } else {
                "session_client"
            };
            for t in &g.tests {
                // The layout carries a step's header; containers and per-step clocks stay out.
                let steps: Vec<SessionStep> = t
                    .steps
                    .iter()
                    .filter_map(|s| {
                        Some(SessionStep {
                            msg_id: i64::from_le_bytes(s.msg_id.as_bytes().try_into().ok()?),
                            seq_no: s.seq_no,
                            content_related: s.content_related,
                        })
                    })
                    .collect();
                put(
                    target,
                    class(t.result, t.error.as_deref()),
                    layout::session(window, synced, &steps),
                );
            }
        }
        TestGroup::Dh(DhFamily::Params(g)) => {
            for t in &g.tests {
                if let Some(seed) = layout::dh_params(t.p.as_bytes(), t.g) {
                    put("dh_checks", class(t.result, t.error.as_deref()), seed);
                }
            }
        }
        TestGroup::Dh(DhFamily::Value(g)) => {
            // The target checks values against its two groups only.
            let p = g.p.as_bytes();
            let which = if p == dh::TELEGRAM_DH_PRIME.as_slice() {
                0
            } else if p.first() == Some(&0xff) {
                1
            } else {
                return;
            };
            for t in &g.tests {
                put(
                    "dh_checks",
                    class(t.result, t.error.as_deref()),
                    layout::dh_value(which, t.value.as_bytes()),
                );
            }
        }
        TestGroup::Pq(g) => {
            for t in &g.tests {
                put(
                    "pq",
                    class(t.result, t.error.as_deref()),
                    layout::pq(t.pq.as_bytes()),
                );
            }
        }
        // An honest exchange per case, seeded by its tcId (the fuzzer changes the messages in
        // flight; the seed only varies the randomness): two per group are plenty, and each costs
        // a full 2048-bit exchange when a corpus is loaded.
        TestGroup::Handshake(HandshakeFamily::Handshake(g)) => {
            for t in g.tests.iter().take(2) {
                put(
                    "handshake_client",
                    class(t.result, t.error.as_deref()),
                    layout::handshake(t.tc_id, t.tc_id % 2 == 1),
                );
                put(
                    "handshake_server",
                    class(t.result, t.error.as_deref()),
                    layout::handshake(t.tc_id, t.tc_id % 2 == 0),
                );
            }
        }
        TestGroup::Handshake(HandshakeFamily::HandshakeServer(g)) => {
            for t in g.tests.iter().take(2) {
                put(
                    "handshake_client",
                    class(t.result, t.error.as_deref()),
                    layout::handshake(t.tc_id, t.tc_id % 2 == 1),
                );
                put(
                    "handshake_server",
                    class(t.result, t.error.as_deref()),
                    layout::handshake(t.tc_id, t.tc_id % 2 == 0),
                );
            }
        }
        // Secret-chat and call packets: delivered to a party of the target's chat (whose key is
        // another, so they must be refused without a state change), after one message each way.
        TestGroup::Secret(SecretFamily::Decrypt(g)) => {
            let to_a = g.receiver == "originator";
            for t in &g.tests {
                put(
                    "secret_chat",
                    class(t.result, t.error.as_deref()),
                    garbage(t.tc_id, to_a, t.packet.as_bytes()),
                );
            }
        }
        TestGroup::Secret(SecretFamily::Encrypt(g)) => {
            let to_a = g.sender == "acceptor";
            for t in &g.tests {
                // An invalid case has no packet (the sender refused to build one).
                if let Some(packet) = &t.packet {
                    put(
                        "secret_chat",
                        class(t.result, t.error.as_deref()),
                        garbage(t.tc_id, to_a, packet.as_bytes()),
                    );
                }
            }
        }
        TestGroup::Call(CallFamily::Packet(g)) => {
            let to_a = g.sender == "acceptor";
            for t in &g.tests {
                put(
                    "secret_chat",
                    class(t.result, t.error.as_deref()),
                    garbage(t.tc_id, to_a, t.packet.as_bytes()),
                );
            }
        }
        // seq_no traces: the peer's messages go in flight and are delivered in the trace's order
        // (a gap makes the party ask for a resend); the party's own sends are sent.
        TestGroup::Secret(SecretFamily::SeqTrace(g)) => {
            let we_are_a = g.role == "originator";
            for t in &g.tests {
                put(
                    "secret_chat",
                    class(t.result, t.error.as_deref()),
                    layout::secret_chat(t.tc_id as u8, &secret_trace_ops(we_are_a, &t.steps)),
                );
            }
        }
        // Re-keying: each side starts it once, with everything delivered in order.
        TestGroup::Secret(SecretFamily::Rekey(g)) => {
            for t in &g.tests {
                let n = t.tc_id;
                let mut ops = vec![
                    SecretOp::Send { from_a: true, x: 0 },
                    SecretOp::Rekey {
                        from_a: n % 2 == 1,
                        x: n as u8,
                    },
                ];
                ops.extend((0..8).map(|_| SecretOp::Deliver(0)));
                put(
                    "secret_chat",
                    class(t.result, t.error.as_deref()),
                    layout::secret_chat(n as u8, &ops),
                );
            }
        }
        TestGroup::Rsa(RsaFamily::Fingerprint(g)) => {
            for t in &g.tests {
                // The layout holds an n of up to 319 bytes.
                if let Some(d) = layout::rsa_fingerprint(t.n.as_bytes(), t.e.as_bytes()) {
                    put("rsa", class(t.result, t.error.as_deref()), d);
                }
            }
        }
        TestGroup::Rsa(RsaFamily::Encrypt(g)) => {
            // The target encrypts with the committed keys only: a group under another key gives
            // no seed.
            let Some(key) = mtproto_fuzzing::rsa::public_keys()
                .iter()
                .position(|k| k.n() == g.n.as_bytes())
            else {
                return;
            };
            for t in &g.tests {
                let temp_keys: Vec<[u8; 32]> = t
                    .temp_keys
                    .iter()
                    .filter_map(|k| <[u8; 32]>::try_from(k.as_bytes()).ok())
                    .collect();
                // The layout holds 1 to 4 temp keys of 32 bytes and lengths of one byte.
                if temp_keys.len() != t.temp_keys.len() {
                    continue;
                }
                if let Some(d) = layout::rsa_encrypt(
                    key as u8,
                    t.data.as_bytes(),
                    t.padding.as_bytes(),
                    &temp_keys,
                ) {
                    put("rsa", class(t.result, t.error.as_deref()), d);
                }
            }
        }
        TestGroup::Rsa(RsaFamily::Decrypt(g)) => {
            // The target decrypts with the test server key only.
            if mtproto_fuzzing::rsa::public_keys()[0].n() != g.n.as_bytes() {
                return;
            }
            for t in &g.tests {
                put(
                    "rsa",
                    class(t.result, t.error.as_deref()),
                    layout::rsa_decrypt(t.encrypted_data.as_bytes()),
                );
            }
        }
        // No target reads these families' data: msg_key derivations, encryption transcripts,
        // TL ids, key exchanges, visualisations, emoji, commitments, files, call replays and
        // chat traces; wire scripts (played over a socket, no bytes to seed).
        TestGroup::Kdf(_)
        | TestGroup::Wire(_)
        | TestGroup::Envelope(EnvelopeFamily::Encrypt(_))
        | TestGroup::Tl(TlFamily::Id(_))
        | TestGroup::Secret(
            SecretFamily::KeyExchange(_)
            | SecretFamily::Visualization(_)
            | SecretFamily::File(_)
            | SecretFamily::ChatTrace(_),
        )
        | TestGroup::Call(
            CallFamily::Emoji(_) | CallFamily::Commitment(_) | CallFamily::Replay(_),
        ) => {}
    }
}

/// A `secret_chat` input that delivers `packet` to a party after one message each way.
fn garbage(tc_id: u64, to_a: bool, packet: &[u8]) -> Vec<u8> {
    layout::secret_chat(
        tc_id as u8,
        &[
            SecretOp::Send { from_a: true, x: 0 },
            SecretOp::Send {
                from_a: false,
                x: 1,
            },
            SecretOp::Deliver(0),
            SecretOp::Garbage {
                to_a,
                bytes: packet.to_vec(),
            },
        ],
    )
}

/// A `SecretSeqTraceTest` case as `secret_chat` operations: the peer sends as many messages as
/// the trace receives from it, then each `receive` delivers the peer's message with that
/// `out_seq_no` (its index among those still in flight; a repeat replays it) and each `send` sends.
fn secret_trace_ops(we_are_a: bool, steps: &[SecretStep]) -> Vec<SecretOp> {
    // The peer's n-th message has out_seq_no 2n + 1 from the originator, 2n from the acceptor.
    let index = |s: &SecretStep| s.out_seq_no.and_then(|o| usize::try_from(o / 2).ok());
    let received: Vec<usize> = steps
        .iter()
        .filter(|s| s.op == "receive")
        .filter_map(index)
        .filter(|&n| n < 64)
        .collect();
    let peer_msgs = received.iter().max().map_or(0, |m| m + 1);
    let mut ops: Vec<SecretOp> = (0..peer_msgs)
        .map(|n| SecretOp::Send {
            from_a: !we_are_a,
            x: n as u16,
        })
        .collect();
    // Which of the peer's messages are still in flight, in order.
    let mut flying: Vec<usize> = (0..peer_msgs).collect();
    let mut delivered: Vec<usize> = Vec::new();
    let mut own = 0u16;
    for s in steps {
        match s.op.as_str() {
            "send" => {
                ops.push(SecretOp::Send {
                    from_a: we_are_a,
                    x: 100 + own,
                });
                own += 1;
                // It goes in flight behind the peer's messages: nothing to track.
            }
            "receive" => {
                let Some(n) = index(s) else { continue };
                if let Some(at) = flying.iter().position(|&m| m == n) {
                    flying.remove(at);
                    delivered.push(n);
                    ops.push(SecretOp::Deliver(at as u16));
                } else if let Some(h) = delivered.iter().position(|&m| m == n) {
                    ops.push(SecretOp::Replay(h as u16));
                }
            }
            // Other operations (resend requests, re-key steps) have no `secret_chat` op here.
            _ => {}
        }
    }
    ops
}

/// The first input of every class (in vector order, however many classes there are), then
/// every `len / room`-th of the others until there are `n`; all of them without `n`.
fn spread(v: Vec<(String, Vec<u8>)>, n: Option<usize>) -> Vec<Vec<u8>> {
    let Some(n) = n else {
        return v.into_iter().map(|(_, d)| d).collect();
    };
    let mut classes = std::collections::BTreeSet::new();
    let (mut picked, mut rest) = (Vec::new(), Vec::new());
    for (class, data) in v {
        if classes.insert(class) {
            picked.push(data);
        } else {
            rest.push(data);
        }
    }
    let room = n.saturating_sub(picked.len());
    let step = (rest.len() / room.max(1)).max(1);
    picked.extend(rest.into_iter().step_by(step).take(room));
    picked
}

/// `fuzz-corpus`.
pub fn corpus(args: &FuzzCorpusArgs) -> Result<Status, HarnessError> {
    let files = load_paths(&paths_or_default(&args.paths))
        .map_err(|e| HarnessError::Vectors(e.to_string()))?;
    let mut by_target: BTreeMap<&'static str, Vec<(String, Vec<u8>)>> = BTreeMap::new();
    for group in files.iter().flat_map(|vf| &vf.test_groups) {
        seeds_of(group, &mut by_target);
    }
    // Then, whatever --max-per-target says, the inputs no vector gives (layout::examples).
    let mut examples: BTreeMap<&'static str, Vec<Vec<u8>>> = BTreeMap::new();
    for (name, data) in layout::examples() {
        examples.entry(name).or_default().push(data);
    }
    let mut out = std::io::stdout().lock();
    let mut total = 0usize;
    for (name, _) in TARGETS {
        let mut inputs = spread(
            by_target.remove(name).unwrap_or_default(),
            args.max_per_target,
        );
        inputs.extend(examples.remove(name).unwrap_or_default());
        let dir = args.out.join(name);
        fs::create_dir_all(&dir).map_err(write_err(&dir))?;
        let mut written = 0usize;
        for data in &inputs {
            let path = dir.join(name_of(data));
            if !path.exists() {
                fs::write(&path, data).map_err(write_err(&path))?;
                written += 1;
            }
        }
        total += inputs.len();
        let _ = writeln!(
            out,
            "{name}: {} inputs ({written} new) in {}",
            inputs.len(),
            dir.display()
        );
    }
    let _ = writeln!(
        out,
        "{total} inputs for {} targets from {} vector files",
        TARGETS.len(),
        files.len()
    );
    Ok(Status::Success)
}
