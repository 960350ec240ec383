//! `fuzz-corpus` and `fuzz-to-vector`: the bridge between the vector suites and the fuzz targets
//! in `fuzz/` (issue 8).
//!
//! - `fuzz-corpus` lays every usable vector case out as a seed input of the targets that read
//!   that kind of data (`mtproto_fuzzing::layout`), one directory per target, so `cargo fuzz
//!   run T fuzz/corpus/T` starts from everything the suites know.
//! - `fuzz-to-vector` reads a (minimised) fuzz input back into what it states (a transport
//!   stream, TL bytes, a `pq`, DH parameters or a value, an encrypted packet), asks the reference
//!   for the verdict, and writes a vector case flagged `FuzzFinding` whose group's `source.name` is
//!   `fuzz:TARGET` — to stdout, or appended to a vector file — after checking it loads, lints
//!   against the schemas and passes on the reference. The targets whose inputs are operation
//!   lists are replayed through their own code by the converters of the submodules
//!   (`fuzz/session.rs`: `MsgIdTraceTest`, `fuzz/handshake.rs`: `HandshakeTest`, `fuzz/secret_chat.rs`:
//!   `SecretChatTraceTest`), which also check the reference against the target's oracle step by
//!   step and refuse, by name, what the family cannot express.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use mtproto::Direction;
use mtproto::ProtocolError;
use mtproto::crypto::dh;
use mtproto::envelope::{self, Receiver};
use mtproto::handshake::pq;
use mtproto::tl::Tl;
use mtproto::tl::generated::{mtproto as mt, secret};
use mtproto::transport::obfuscated::INIT_LEN;
use mtproto::transport::{self, Encoder, Frame, Kind};
use mtproto_fuzzing::layout::{self, Parsed, SecretOp, SessionStep};
use mtproto_fuzzing::{TARGETS, target};
use mtproto_iut::ReferenceIut;
use mtproto_vectors::{
    Outcome, RunOptions, lint_paths_with, load_file, load_paths, parse_str, run_file,
};
use serde_json::{Map, Value, json};

use crate::Status;
use crate::cli::{FuzzCorpusArgs, FuzzToVectorArgs, paths_or_default};
use crate::error::HarnessError;

mod handshake;
mod secret_chat;
mod session;

/// Largest fuzz input `fuzz-to-vector` reads (libFuzzer's default `-max_len` is far below).
const MAX_ARTIFACT: u64 = 1 << 20;

/// The flag every case written by `fuzz-to-vector` carries.
pub const FLAG: &str = "FuzzFinding";

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn unhex(v: &Value) -> Option<Vec<u8>> {
    let s = v.as_str()?;
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// FNV-1a, 64 bits: a stable file name per input (duplicates collapse).
fn name_of(data: &[u8]) -> String {
    let h = data.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    format!("{h:016x}")
}

fn write_err(path: &Path) -> impl FnOnce(std::io::Error) -> HarnessError + '_ {
    move |source| HarnessError::Write {
        path: path.to_path_buf(),
        source,
    }
}

fn kind_named(name: &str) -> Option<Kind> {
    Kind::from_name(name)
}

fn direction_named(name: &str) -> Option<Direction> {
    match name {
        "clientToServer" => Some(Direction::ClientToServer),
        "serverToClient" => Some(Direction::ServerToClient),
        _ => None,
    }
}

fn frame_from_json(v: &Value) -> Option<Frame> {
    match v.get("kind")?.as_str()? {
        "payload" => Some(Frame::Payload {
            data: unhex(v.get("data")?)?,
            quick_ack: v.get("quickAck").and_then(Value::as_bool).unwrap_or(false),
        }),
        "quickAck" => Some(Frame::QuickAck {
            token: u32::try_from(v.get("token")?.as_u64()?).ok()?,
        }),
        "error" => Some(Frame::Error {
            code: i32::try_from(v.get("code")?.as_i64()?).ok()?,
        }),
        _ => None,
    }
}

/// The seed inputs one vector group gives, by target.
fn seeds_of(group: &Value, out: &mut BTreeMap<&'static str, Vec<Vec<u8>>>) {
    let mut put = |t: &'static str, data: Vec<u8>| out.entry(t).or_default().push(data);
    let tests = group
        .get("tests")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let str_of = |k: &str| group.get(k).and_then(Value::as_str).unwrap_or("");
    match str_of("type") {
        "IgeTest" => {
            for t in &tests {
                let (Some(key), Some(iv)) =
                    (t.get("key").and_then(unhex), t.get("iv").and_then(unhex))
                else {
                    continue;
                };
                let Ok(iv) = <[u8; 32]>::try_from(iv.as_slice()) else {
                    continue;
                };
                let aes256 = key.len() == 32;
                if let Some(msg) = t.get("msg").and_then(unhex) {
                    put(
                        "ige_differential",
                        layout::ige(aes256, true, &iv, &key, 1, &msg),
                    );
                }
                if let Some(ct) = t.get("ct").and_then(unhex) {
                    put(
                        "ige_differential",
                        layout::ige(aes256, false, &iv, &key, 2, &ct),
                    );
                }
            }
        }
        "EnvelopeDecryptTest" => {
            let receiver = if str_of("receiver") == "client" {
                Receiver::Client
            } else {
                Receiver::Server
            };
            for t in &tests {
                let (Some(key), Some(packet)) = (
                    t.get("authKey").and_then(unhex),
                    t.get("packet").and_then(unhex),
                ) else {
                    continue;
                };
                let Ok(key) = <[u8; 256]>::try_from(key.as_slice()) else {
                    continue;
                };
                put(
                    "envelope_decrypt",
                    layout::envelope_decrypt(&key, receiver, &packet),
                );
                // The plaintext of what decrypts: the checks behind msg_key (envelope_parse), and
                // a key plus message-shaped bytes for the round trip.
                let auth = mtproto::AuthKey::new(key);
                if let Ok(m) = envelope::decrypt_any_session(&auth, receiver, &packet) {
                    put("envelope_parse", m.plaintext().to_vec());
                    let mut rt = vec![0u8];
                    rt.extend_from_slice(&key);
                    rt.extend_from_slice(m.plaintext().get(..64).unwrap_or(m.plaintext()));
                    put("envelope_roundtrip", rt);
                }
            }
        }
        "TransportTest" => {
            let (Some(kind), Some(dir)) = (
                kind_named(str_of("transport")),
                direction_named(str_of("direction")),
            ) else {
                return;
            };
            let obfuscated = group.get("obfuscated").and_then(Value::as_bool) == Some(true);
            for t in &tests {
                let Some(stream) = t.get("stream").and_then(unhex) else {
                    continue;
                };
                let half = u16::try_from(stream.len() / 2).unwrap_or(u16::MAX);
                if !obfuscated {
                    let target = match kind {
                        Kind::Abridged => "transport_abridged",
                        Kind::Intermediate => "transport_intermediate",
                        Kind::Padded => "transport_padded",
                        Kind::Full => "transport_full",
                    };
                    put(target, layout::transport(dir, &[1, half], &stream));
                    continue;
                }
                // Obfuscated: the target takes the plaintext; re-frame the case's frames.
                let (Some(init), Some(frames)) = (
                    t.get("init").and_then(unhex),
                    t.get("frames").and_then(Value::as_array),
                ) else {
                    continue;
                };
                let Ok(init) = <[u8; INIT_LEN]>::try_from(init.as_slice()) else {
                    continue;
                };
                let secret = t.get("secret").and_then(unhex);
                let mut enc = Encoder::without_tag(kind, dir);
                let mut plain = Vec::new();
                let ok = frames.iter().all(|f| {
                    frame_from_json(f)
                        .is_some_and(|f| enc.encode(f.as_packet(), &[], &mut plain).is_ok())
                });
                if ok {
                    put(
                        "transport_obfuscated",
                        layout::transport_obfuscated(
                            kind,
                            secret.as_deref(),
                            &init,
                            dir,
                            &[1, half],
                            &plain,
                        ),
                    );
                }
            }
        }
        "TlCodecTest" => {
            let is_secret = str_of("schema") == "secret";
            for t in &tests {
                if let Some(bytes) = t.get("bytes").and_then(unhex) {
                    put("tl_decode", layout::tl(is_secret, &bytes));
                    if !is_secret {
                        // As the body of an unencrypted message, and its fields as TL bytes.
                        if let Ok(p) = envelope::unencrypted::encode(0x51e5_7ac4_2770_964a, &bytes)
                        {
                            put("unencrypted_decode", p);
                        }
                        put("tl_bytes", bytes.get(4..).unwrap_or(&[]).to_vec());
                    }
                }
            }
        }
        "MsgIdTraceTest" => {
            let server = str_of("receiver") == "server";
            let window = group
                .get("windowSize")
                .and_then(Value::as_u64)
                .and_then(|w| usize::try_from(w).ok())
                .unwrap_or(1000);
            let synced = group
                .get("clockSynced")
                .and_then(Value::as_bool)
                .unwrap_or(true);
            for t in &tests {
                let steps: Vec<SessionStep> = t
                    .get("steps")
                    .and_then(Value::as_array)
                    .map(|steps| {
                        steps
                            .iter()
                            .filter_map(|s| {
                                let id = unhex(s.get("msgId")?)?;
                                Some(SessionStep {
                                    msg_id: i64::from_le_bytes(id.try_into().ok()?),
                                    seq_no: i32::try_from(s.get("seqNo")?.as_i64()?).ok()?,
                                    content_related: s.get("contentRelated")?.as_bool()?,
                                })
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                let target = if server {
                    "session_server"
                } else {
                    "session_client"
                };
                put(target, layout::session(window, synced, &steps));
            }
        }
        "DhParamsTest" => {
            for t in &tests {
                if let (Some(p), Some(g)) = (
                    t.get("p").and_then(unhex),
                    t.get("g").and_then(Value::as_i64),
                ) && let Some(seed) = layout::dh_params(&p, g)
                {
                    put("dh_checks", seed);
                }
            }
        }
        "DhValueTest" => {
            let p = group.get("p").and_then(unhex).unwrap_or_default();
            let which = if p.as_slice() == dh::TELEGRAM_DH_PRIME.as_slice() {
                0
            } else if p.first() == Some(&0xff) {
                1
            } else {
                return;
            };
            for t in &tests {
                if let Some(v) = t.get("value").and_then(unhex) {
                    put("dh_checks", layout::dh_value(which, &v));
                }
            }
        }
        "PqTest" => {
            for t in &tests {
                if let Some(v) = t.get("pq").and_then(unhex) {
                    put("pq", layout::pq(&v));
                }
            }
        }
        // An honest exchange per case, seeded by its tcId (the fuzzer changes the messages in
        // flight; the seed only varies the randomness): two per group are plenty, and each costs
        // a full 2048-bit exchange when a corpus is loaded.
        "HandshakeTest" => {
            for t in tests.iter().take(2) {
                let seed = t.get("tcId").and_then(Value::as_u64).unwrap_or(0);
                put("handshake_client", layout::handshake(seed, seed % 2 == 1));
                put("handshake_server", layout::handshake(seed, seed % 2 == 0));
            }
        }
        // Secret-chat and call packets: delivered to a party of the target's chat (whose key is
        // another, so they must be refused without a state change), after one message each way.
        "SecretDecryptTest" | "SecretEncryptTest" | "CallPacketTest" => {
            let to_a = matches!(str_of("receiver"), "originator")
                || matches!(str_of("sender"), "acceptor");
            for t in &tests {
                if let Some(packet) = t.get("packet").and_then(unhex) {
                    let seed = t.get("tcId").and_then(Value::as_u64).unwrap_or(0) as u8;
                    put(
                        "secret_chat",
                        layout::secret_chat(
                            seed,
                            &[
                                SecretOp::Send { from_a: true, x: 0 },
                                SecretOp::Send {
                                    from_a: false,
                                    x: 1,
                                },
                                SecretOp::Deliver(0),
                                SecretOp::Garbage {
                                    to_a,
                                    bytes: packet,
                                },
                            ],
                        ),
                    );
                }
            }
        }
        // seq_no traces: the peer's messages go in flight and are delivered in the trace's order
        // (a gap makes the party ask for a resend); the party's own sends are sent.
        "SecretSeqTraceTest" => {
            let we_are_a = str_of("role") == "originator";
            for t in &tests {
                let steps = t.get("steps").and_then(Value::as_array);
                let seed = t.get("tcId").and_then(Value::as_u64).unwrap_or(0) as u8;
                put(
                    "secret_chat",
                    layout::secret_chat(seed, &secret_trace_ops(we_are_a, steps)),
                );
            }
        }
        // Re-keying: each side starts it once, with everything delivered in order.
        "SecretRekeyTest" => {
            for t in &tests {
                let n = t.get("tcId").and_then(Value::as_u64).unwrap_or(0);
                let mut ops = vec![
                    SecretOp::Send { from_a: true, x: 0 },
                    SecretOp::Rekey {
                        from_a: n % 2 == 1,
                        x: n as u8,
                    },
                ];
                ops.extend((0..8).map(|_| SecretOp::Deliver(0)));
                put("secret_chat", layout::secret_chat(n as u8, &ops));
            }
        }
        _ => {}
    }
}

/// A `SecretSeqTraceTest` case as `secret_chat` operations: the peer sends as many messages as
/// the trace receives from it, then each `receive` delivers the peer's message with that
/// `out_seq_no` (its index among those still in flight; a repeat replays it) and each `send` sends.
fn secret_trace_ops(we_are_a: bool, steps: Option<&Vec<Value>>) -> Vec<SecretOp> {
    let steps = steps.map(Vec::as_slice).unwrap_or(&[]);
    // The peer's n-th message has out_seq_no 2n + 1 from the originator, 2n from the acceptor.
    let index = |s: &Value| {
        s.get("outSeqNo")
            .and_then(Value::as_i64)
            .and_then(|o| usize::try_from(o / 2).ok())
    };
    let received: Vec<usize> = steps
        .iter()
        .filter(|s| s.get("op").and_then(Value::as_str) == Some("receive"))
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
        match s.get("op").and_then(Value::as_str) {
            Some("send") => {
                ops.push(SecretOp::Send {
                    from_a: we_are_a,
                    x: 100 + own,
                });
                own += 1;
                // It goes in flight behind the peer's messages: nothing to track.
            }
            Some("receive") => {
                let Some(n) = index(s) else { continue };
                if let Some(at) = flying.iter().position(|&m| m == n) {
                    flying.remove(at);
                    delivered.push(n);
                    ops.push(SecretOp::Deliver(at as u16));
                } else if let Some(h) = delivered.iter().position(|&m| m == n) {
                    ops.push(SecretOp::Replay(h as u16));
                }
            }
            _ => {}
        }
    }
    ops
}

/// Every `len / n`-th item, at most `n`.
fn spread(v: Vec<Vec<u8>>, n: Option<usize>) -> Vec<Vec<u8>> {
    let Some(n) = n else { return v };
    let step = (v.len() / n.max(1)).max(1);
    v.into_iter().step_by(step).take(n).collect()
}

/// `fuzz-corpus`.
pub fn corpus(args: &FuzzCorpusArgs) -> Result<Status, HarnessError> {
    let files = load_paths(&paths_or_default(&args.paths))
        .map_err(|e| HarnessError::Vectors(e.to_string()))?;
    let mut by_target: BTreeMap<&'static str, Vec<Vec<u8>>> = BTreeMap::new();
    for vf in &files {
        let value = serde_json::to_value(vf)
            .map_err(|e| HarnessError::Vectors(format!("{}: {e}", vf.path)))?;
        for group in value
            .get("testGroups")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            seeds_of(group, &mut by_target);
        }
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

/// The group attributes, the case's fields (`tcId`, `comment`, `flags` added later), the file's
/// `algorithm` and `schema`; `more`: further cases of the same file, each with its group and a
/// label for its comment (a secret chat gives one trace per side).
struct Finding {
    group: Map<String, Value>,
    case: Map<String, Value>,
    algorithm: &'static str,
    schema: &'static str,
    family: &'static str,
    more: Vec<Part>,
}

/// A further case of a [`Finding`].
struct Part {
    group: Map<String, Value>,
    case: Map<String, Value>,
    label: String,
}

fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

fn verdict(case: &mut Map<String, Value>, error: Option<&dyn ProtocolError>) {
    match error {
        None => {
            case.insert("result".into(), "valid".into());
        }
        Some(e) => {
            case.insert("result".into(), "invalid".into());
            case.insert("error".into(), e.name().into());
        }
    }
}

fn frame_json(f: &Frame) -> Value {
    match f {
        Frame::Payload { data, quick_ack } => {
            json!({"kind": "payload", "data": hex(data), "quickAck": quick_ack})
        }
        Frame::QuickAck { token } => json!({"kind": "quickAck", "token": token}),
        Frame::Error { code } => json!({"kind": "error", "code": code}),
    }
}

/// The reference's verdict on what the input states.
fn finding(parsed: &Parsed) -> Finding {
    match parsed {
        Parsed::Transport { kind, dir, stream } => {
            let group = obj(json!({
                "type": "TransportTest",
                "transport": kind.as_str(),
                "direction": if *dir == Direction::ClientToServer { "clientToServer" } else { "serverToClient" },
                "obfuscated": false,
            }));
            let mut case = obj(json!({"stream": hex(stream)}));
            match transport::decode_all(&mut transport::Decoder::new(*kind, *dir), stream) {
                Ok(frames) => {
                    case.insert("frames".into(), frames.iter().map(frame_json).collect());
                    verdict(&mut case, None);
                }
                Err(e) => verdict(&mut case, Some(&e)),
            }
            Finding {
                group,
                case,
                algorithm: "MTProto-transports",
                schema: "transport_test_schema_v1.json",
                family: "transport",
                more: Vec::new(),
            }
        }
        Parsed::Obfuscated {
            kind,
            dir,
            secret,
            init,
            stream,
        } => {
            let direction = if *dir == Direction::ClientToServer {
                "clientToServer"
            } else {
                "serverToClient"
            };
            let group = obj(json!({
                "type": "TransportTest",
                "transport": kind.as_str(),
                "direction": direction,
                "obfuscated": true,
            }));
            let mut case = obj(json!({"stream": hex(stream), "init": hex(init.as_slice())}));
            if let Some(s) = secret {
                case.insert("secret".into(), hex(s).into());
            }
            // The verdict is the reference adapter's `transport.decode` on exactly these fields.
            let mut request = group.clone();
            request.extend(case.clone());
            match mtproto_iut::transport::decode(&request) {
                Ok(mtproto_iut::Answer::Ok(out)) => {
                    case.insert(
                        "frames".into(),
                        out.get("frames")
                            .cloned()
                            .unwrap_or(Value::Array(Vec::new())),
                    );
                    verdict(&mut case, None);
                }
                Ok(mtproto_iut::Answer::Rejected { error }) => {
                    case.insert("result".into(), "invalid".into());
                    case.insert("error".into(), error.into());
                }
                other => {
                    case.insert("result".into(), "invalid".into());
                    case.insert("error".into(), format!("{other:?}").into());
                }
            }
            Finding {
                group,
                case,
                algorithm: "MTProto-transports",
                schema: "transport_test_schema_v1.json",
                family: "transport",
                more: Vec::new(),
            }
        }
        Parsed::Tl {
            secret: is_secret,
            bytes,
        } => {
            let group = obj(
                json!({"type": "TlCodecTest", "schema": if *is_secret { "secret" } else { "mtproto" }}),
            );
            let mut case = obj(json!({"bytes": hex(bytes)}));
            let decoded = if *is_secret {
                secret::Object::from_bytes(bytes).map(|v| v.to_json())
            } else {
                mt::Object::from_bytes(bytes).map(|v| v.to_json())
            };
            match decoded {
                Ok(j) => {
                    case.insert("value".into(), mtproto_iut::tl::to_serde(&j));
                    verdict(&mut case, None);
                }
                Err(e) => verdict(&mut case, Some(&e)),
            }
            Finding {
                group,
                case,
                algorithm: "MTProto-TL",
                schema: "tl_codec_test_schema_v1.json",
                family: "tl",
                more: Vec::new(),
            }
        }
        Parsed::Pq { pq: value } => {
            let group = obj(json!({"type": "PqTest"}));
            let mut case = obj(json!({"pq": hex(value)}));
            match pq::factorize_be(value) {
                Ok((p, q)) => {
                    case.insert("p".into(), hex(&p).into());
                    case.insert("q".into(), hex(&q).into());
                    verdict(&mut case, None);
                }
                Err(e) => verdict(&mut case, Some(&e)),
            }
            Finding {
                group,
                case,
                algorithm: "MTProto-pq",
                schema: "pq_test_schema_v1.json",
                family: "pq",
                more: Vec::new(),
            }
        }
        Parsed::DhParams { p, g } => {
            let group = obj(json!({"type": "DhParamsTest"}));
            let mut case = obj(json!({"p": hex(p), "g": g}));
            match dh::check_params(p, *g, &[0x5a; 32], None) {
                Ok(_) => verdict(&mut case, None),
                Err(e) => verdict(&mut case, Some(&e)),
            }
            Finding {
                group,
                case,
                algorithm: "MTProto-DH-params",
                schema: "dh_params_test_schema_v1.json",
                family: "dh",
                more: Vec::new(),
            }
        }
        Parsed::DhValue { p, g, value } => {
            let group = obj(json!({"type": "DhValueTest", "p": hex(p), "g": g}));
            let mut case = obj(json!({"value": hex(value)}));
            let checked = dh::check_params(p, *g, &[0x5a; 32], None)
                .map_err(|e| e.name())
                .and_then(|grp| grp.check_value(value).map(|_| ()).map_err(|e| e.name()));
            match checked {
                Ok(()) => verdict(&mut case, None),
                Err(name) => {
                    case.insert("result".into(), "invalid".into());
                    case.insert("error".into(), name.into());
                }
            }
            Finding {
                group,
                case,
                algorithm: "MTProto-DH-values",
                schema: "dh_value_test_schema_v1.json",
                family: "dh",
                more: Vec::new(),
            }
        }
        Parsed::EnvelopeDecrypt {
            key,
            receiver,
            packet,
        } => {
            let group = obj(
                json!({"type": "EnvelopeDecryptTest", "receiver": if *receiver == Receiver::Client { "client" } else { "server" }}),
            );
            let auth = mtproto::AuthKey::new(**key);
            let mut case = obj(json!({"authKey": hex(key.as_slice()), "packet": hex(packet)}));
            match envelope::decrypt_any_session(&auth, *receiver, packet) {
                Ok(m) => {
                    case.insert("sessionId".into(), hex(&m.session_id.to_le_bytes()).into());
                    case.insert("salt".into(), hex(&m.salt.to_le_bytes()).into());
                    case.insert("msgId".into(), hex(&m.msg_id.to_le_bytes()).into());
                    case.insert("seqNo".into(), m.seq_no.into());
                    case.insert("body".into(), hex(m.body()).into());
                    verdict(&mut case, None);
                }
                Err(_) => {
                    case.insert("sessionId".into(), hex(&[0; 8]).into());
                    let e = envelope::decrypt(&auth, *receiver, 0, packet).err();
                    verdict(&mut case, e.as_ref().map(|e| e as &dyn ProtocolError));
                }
            }
            Finding {
                group,
                case,
                algorithm: "MTProto-2.0-envelope-decrypt",
                schema: "envelope_decrypt_test_schema_v1.json",
                family: "envelope",
                more: Vec::new(),
            }
        }
    }
}

fn read_artifact(path: &Path) -> Result<Vec<u8>, HarnessError> {
    let bad = |why: String| HarnessError::Vectors(format!("{}: {why}", path.display()));
    let meta = fs::metadata(path).map_err(|e| bad(e.to_string()))?;
    if !meta.is_file() {
        return Err(bad("not a regular file".into()));
    }
    if meta.len() > MAX_ARTIFACT {
        return Err(bad(format!(
            "{} bytes, more than the {MAX_ARTIFACT} a fuzz input may have",
            meta.len()
        )));
    }
    fs::read(path).map_err(|e| bad(e.to_string()))
}

/// The note the flag needs in every file it appears in.
fn note() -> Value {
    json!({
        "bugType": "EDGE_CASE",
        "description": "A minimised fuzz input turned into a case by `mtproto-harness fuzz-to-vector`; the group's source.name names the target (fuzz:TARGET), the verdict is the reference's.",
        "links": ["https://core.telegram.org/mtproto"]
    })
}

/// `fuzz-to-vector`.
pub fn to_vector(args: &FuzzToVectorArgs) -> Result<Status, HarnessError> {
    let name = args.target.as_str();
    if target(name).is_none() {
        return Err(HarnessError::Vectors(format!(
            "no fuzz target named {name} (mtproto_fuzzing::TARGETS lists them)"
        )));
    }
    let data = read_artifact(&args.artifact)?;
    if let Some(m) = &args.mutant {
        super::adapter::activate_mutant(m)?;
    }
    let f = match name {
        // Operation lists: replayed through the target's own code, step by step.
        "session_client" | "session_server" => session::finding(name, &data)?,
        "secret_chat" => secret_chat::finding(&data)?,
        "handshake_client" | "handshake_server" => handshake::finding(name, &data)?,
        _ => {
            let parsed = layout::parse(name, &data)
                .map_err(|e| HarnessError::Vectors(format!("{name}: {e}")))?;
            finding(&parsed)
        }
    };
    if let Some(m) = &args.mutant {
        // The tool's own re-check below would run under the same mutant: a case written now
        // could pin the mutant's verdicts wherever the target's oracle cannot see it.
        return Err(HarnessError::Vectors(format!(
            "--mutant {m} only shows that fuzz-to-vector refuses what a bugged reference \
             makes of an input; the input converted, and nothing is written"
        )));
    }
    let artifact_name = args
        .artifact
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let comment = args
        .comment
        .clone()
        .unwrap_or_else(|| format!("fuzz finding of {name} ({artifact_name})"));
    let source =
        json!({"name": format!("fuzz:{name}"), "version": format!("cargo fuzz, target {name}")});
    let first = Part {
        group: f.group,
        case: f.case,
        label: String::new(),
    };
    let mut doc = match &args.out {
        Some(path) if path.exists() => Some(
            fs::read_to_string(path)
                .map_err(|e| HarnessError::Vectors(format!("{}: {e}", path.display())))
                .and_then(|t| {
                    serde_json::from_str::<Value>(&t)
                        .map_err(|e| HarnessError::Vectors(format!("{}: {e}", path.display())))
                })?,
        ),
        _ => None,
    };
    for part in std::iter::once(first).chain(f.more) {
        let mut group = part.group;
        group.insert("source".into(), source.clone());
        let mut case = Map::new();
        case.insert("tcId".into(), 1.into());
        let comment = if part.label.is_empty() {
            comment.clone()
        } else {
            format!("{comment}, {}", part.label)
        };
        case.insert("comment".into(), comment.into());
        case.insert("flags".into(), json!([FLAG]));
        case.extend(part.case);
        doc = Some(match doc {
            Some(doc) => append(doc, group, case)?,
            None => {
                group.insert("tests".into(), Value::Array(vec![Value::Object(case)]));
                json!({
                    "algorithm": f.algorithm,
                    "schema": f.schema,
                    "numberOfTests": 1,
                    "header": [format!("Fuzz findings turned into conformance cases (mtproto-harness fuzz-to-vector); the verdicts are the reference's.")],
                    "notes": {FLAG: note()},
                    "testGroups": [group],
                })
            }
        });
    }
    let doc = doc.unwrap_or(Value::Null);
    // Canonical form and every check a shipped file gets: the loader, the schemas, the reference.
    let shown = args
        .out
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| format!("{}/{name}_fuzz_test.json", f.family));
    let text =
        serde_json::to_string_pretty(&doc).map_err(|e| HarnessError::Vectors(e.to_string()))?;
    let vf = parse_str(&text, &shown).map_err(|e| HarnessError::Vectors(e.to_string()))?;
    let pretty = vf
        .to_json_pretty()
        .map_err(|e| HarnessError::Vectors(e.to_string()))?;
    check(&pretty, &args.schemas, name)?;
    match &args.out {
        Some(path) => {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                fs::create_dir_all(dir).map_err(write_err(dir))?;
            }
            fs::write(path, &pretty).map_err(write_err(path))?;
            eprintln!("wrote {} ({} cases)", path.display(), vf.number_of_tests);
        }
        None => {
            let _ = std::io::stdout().lock().write_all(pretty.as_bytes());
        }
    }
    Ok(Status::Success)
}

/// Add `case` to the group of `doc` with the same attributes (or a new group), numbered after the
/// file's last case.
fn append(
    mut doc: Value,
    mut group: Map<String, Value>,
    mut case: Map<String, Value>,
) -> Result<Value, HarnessError> {
    let bad = |why: &str| HarnessError::Vectors(format!("--out: {why}"));
    let groups = doc
        .get_mut("testGroups")
        .and_then(Value::as_array_mut)
        .ok_or_else(|| bad("no testGroups array"))?;
    let next = groups
        .iter()
        .flat_map(|g| {
            g.get("tests")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
        })
        .filter_map(|t| t.get("tcId").and_then(Value::as_u64))
        .max()
        .unwrap_or(0)
        + 1;
    case.insert("tcId".into(), next.into());
    let same = groups.iter_mut().find(|g| {
        g.as_object().is_some_and(|g| {
            let mut attrs = g.clone();
            attrs.remove("tests");
            attrs == group
        })
    });
    match same
        .and_then(|g| g.get_mut("tests"))
        .and_then(Value::as_array_mut)
    {
        Some(tests) => tests.push(Value::Object(case)),
        None => {
            group.insert("tests".into(), Value::Array(vec![Value::Object(case)]));
            groups.push(Value::Object(group));
        }
    }
    let count = groups
        .iter()
        .map(|g| g.get("tests").and_then(Value::as_array).map_or(0, Vec::len))
        .sum::<usize>();
    doc["numberOfTests"] = count.into();
    if let Some(notes) = doc.get_mut("notes").and_then(Value::as_object_mut) {
        notes.entry(FLAG).or_insert_with(note);
    }
    Ok(doc)
}

/// Lint the file against the schemas in `schemas` and run the reference over it: a case the
/// reference itself fails cannot be shipped.
fn check(text: &str, schemas: &Path, target: &str) -> Result<(), HarnessError> {
    let scratch =
        std::env::temp_dir().join(format!("mtproto-fuzz-to-vector-{}", std::process::id()));
    let _ = fs::remove_dir_all(&scratch);
    fs::create_dir_all(&scratch).map_err(write_err(&scratch))?;
    let file: PathBuf = scratch.join(format!("{target}_fuzz_test.json"));
    fs::write(&file, text).map_err(write_err(&file))?;
    let result = (|| {
        lint_paths_with(std::slice::from_ref(&file), schemas)
            .map_err(|e| HarnessError::Vectors(format!("the new case does not lint: {e}")))?;
        let vf = load_file(&file).map_err(|e| HarnessError::Vectors(e.to_string()))?;
        let mut iut = ReferenceIut::new();
        let results = run_file(
            &vf,
            &mut iut,
            &RunOptions::default(),
            &|_| true,
            &mut |_| {},
        );
        if let Some(bad) = results.iter().find(|r| r.outcome != Outcome::Pass) {
            return Err(HarnessError::Vectors(format!(
                "the reference does not pass the case it computed (tcId {}): {}",
                bad.tc_id, bad.detail
            )));
        }
        Ok(())
    })();
    let _ = fs::remove_dir_all(&scratch);
    result
}
