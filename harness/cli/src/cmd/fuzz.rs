//! `fuzz-corpus` and `fuzz-to-vector`: the bridge between the vector suites and the fuzz targets
//! in `fuzz/`.
//!
//! - `fuzz-corpus` ([`corpus`](mod@corpus)) lays every usable vector case out as a seed input of
//!   the targets that read that kind of data (`mtproto_fuzzing::layout`), one directory per
//!   target, so `cargo fuzz run T fuzz/corpus/T` starts from everything the suites know.
//! - `fuzz-to-vector` reads a (minimised) fuzz input back into what it states (a transport
//!   stream, TL bytes, a `pq`, DH parameters or a value, an encrypted packet), asks the reference
//!   for the verdict, and writes a vector case flagged `FuzzFinding` whose group's `source.name` is
//!   `fuzz:TARGET` — to stdout, or appended to a vector file — after checking it loads, lints
//!   against the schemas and passes on the reference. The targets whose inputs are operation
//!   lists are replayed through their own code by the converters of the submodules
//!   (`fuzz/session.rs`: `MsgIdTraceTest`, `fuzz/handshake.rs`: `HandshakeTest`, `fuzz/secret_chat.rs`:
//!   `SecretChatTraceTest`), which also check the reference against the target's oracle step by
//!   step and refuse, by name, what the family cannot express.
//!
//! Both read and write the vectors crate's typed family values (its serde types), never loose
//! JSON: a case is built as the family's case struct, a file as a `VectorFile`, and a file
//! `--out` names is loaded by the strict loader before a case is appended to it.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use mtproto::ProtocolError;
use mtproto::crypto::dh;
use mtproto::envelope;
use mtproto::tl::Tl;
use mtproto::tl::generated::{mtproto as mt, secret};
use mtproto::transport::{self, Frame};
use mtproto::{Direction, Receiver};
use mtproto_fuzzing::layout::{self, Parsed};
use mtproto_fuzzing::target;
use mtproto_iut::{Answer, Fields, ReferenceIut};
// The vector families' types (one place, so a move of the vectors crate's modules is one edit).
use mtproto_vectors::families::dh::{
    DhParamsCase, DhParamsGroup, DhValueCase, DhValueGroup, Group as DhFamily,
};
use mtproto_vectors::families::envelope::{
    EnvelopeDecryptCase, EnvelopeDecryptGroup, Group as EnvelopeFamily,
};
use mtproto_vectors::families::handshake::Group as HandshakeFamily;
use mtproto_vectors::families::pq::{self, PqCase, PqGroup};
use mtproto_vectors::families::secret::Group as SecretFamily;
use mtproto_vectors::families::tl::{Group as TlFamily, TlCodecCase, TlCodecGroup};
use mtproto_vectors::families::transport::{FrameJson, TransportCase, TransportGroup};
use mtproto_vectors::{DirectionName, Hex, Note, ReceiverName, Source};
use mtproto_vectors::{
    Outcome, RunOptions, TestGroup, VectorFile, Verdict, lint_paths_with, load_file, parse_str,
    run_file,
};
use serde_json::Value;

use crate::Status;
use crate::cli::FuzzToVectorArgs;
use crate::error::HarnessError;

mod corpus;
mod handshake;
pub mod iut;
mod secret_chat;
mod session;

pub use corpus::corpus;

/// Largest fuzz input `fuzz-to-vector` reads (libFuzzer's default `-max_len` is far below).
const MAX_ARTIFACT: u64 = 1 << 20;

/// The flag every case written by `fuzz-to-vector` carries.
pub const FLAG: &str = "FuzzFinding";

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

/// A vector's frame as the reference's (`None` for a kind the family does not have, or a frame
/// missing the field its kind needs).
fn frame_of(f: &FrameJson) -> Option<Frame> {
    match f.kind.as_str() {
        "payload" => Some(Frame::Payload {
            data: f.data.clone()?.0,
            quick_ack: f.quick_ack.unwrap_or(false),
        }),
        "quickAck" => Some(Frame::QuickAck { token: f.token? }),
        "error" => Some(Frame::Error { code: f.code? }),
        _ => None,
    }
}

/// The reference's frame as a vector writes it.
fn frame_json(f: &Frame) -> FrameJson {
    let none = FrameJson {
        kind: String::new(),
        data: None,
        quick_ack: None,
        token: None,
        code: None,
    };
    match f {
        Frame::Payload { data, quick_ack } => FrameJson {
            kind: "payload".into(),
            data: Some(Hex(data.clone())),
            quick_ack: Some(*quick_ack),
            ..none
        },
        Frame::QuickAck { token } => FrameJson {
            kind: "quickAck".into(),
            token: Some(*token),
            ..none
        },
        Frame::Error { code } => FrameJson {
            kind: "error".into(),
            code: Some(*code),
            ..none
        },
    }
}

fn direction_name(d: Direction) -> DirectionName {
    match d {
        Direction::ClientToServer => DirectionName::ClientToServer,
        Direction::ServerToClient => DirectionName::ServerToClient,
    }
}

fn receiver_name(r: Receiver) -> ReceiverName {
    match r {
        Receiver::Client => ReceiverName::Client,
        Receiver::Server => ReceiverName::Server,
    }
}

/// What a converter computed: one group per part, each holding exactly one case whose `tcId`,
/// `comment` and `flags` (and the group's `source`) `fuzz-to-vector` fills in; the file's
/// `algorithm` and `schema`, and the family directory it belongs in. A secret chat gives one part
/// per side.
struct Finding {
    parts: Vec<Part>,
    algorithm: &'static str,
    schema: &'static str,
    family: &'static str,
}

/// One group of a [`Finding`], with a label for its case's comment (empty for the only part).
struct Part {
    group: TestGroup,
    label: String,
}

impl Finding {
    fn one(
        group: TestGroup,
        algorithm: &'static str,
        schema: &'static str,
        family: &'static str,
    ) -> Self {
        Self {
            parts: vec![Part {
                group,
                label: String::new(),
            }],
            algorithm,
            schema,
            family,
        }
    }
}

/// The `source` a converter leaves for `fuzz-to-vector` to fill in.
fn no_source() -> Source {
    Source {
        name: String::new(),
        version: String::new(),
    }
}

/// A case's `result` and `error` for the reference's verdict (`None`: accepted).
fn verdict(error: Option<&str>) -> (Verdict, Option<String>) {
    match error {
        None => (Verdict::Valid, None),
        Some(e) => (Verdict::Invalid, Some(e.to_owned())),
    }
}

/// Every group type `fuzz-to-vector` writes, bound to `$g` (a group struct with `source` and
/// `tests`); `$other` for the rest.
macro_rules! written {
    ($group:expr, $g:ident => $e:expr, else $other:expr) => {
        match $group {
            TestGroup::Transport($g) => $e,
            TestGroup::Tl(TlFamily::Codec($g)) => $e,
            TestGroup::Envelope(EnvelopeFamily::Decrypt($g)) => $e,
            TestGroup::Session($g) => $e,
            TestGroup::Dh(DhFamily::Params($g)) => $e,
            TestGroup::Dh(DhFamily::Value($g)) => $e,
            TestGroup::Pq($g) => $e,
            TestGroup::Handshake(HandshakeFamily::Handshake($g)) => $e,
            TestGroup::Handshake(HandshakeFamily::HandshakeServer($g)) => $e,
            TestGroup::Secret(SecretFamily::ChatTrace($g)) => $e,
            _ => $other,
        }
    };
}

/// The header fields every case struct has, for the macro above.
trait CaseHeader {
    fn set(&mut self, tc_id: u64, comment: &str, flags: &[&str]);
}

macro_rules! case_header {
    ($($t:ty),* $(,)?) => {$(
        impl CaseHeader for $t {
            fn set(&mut self, tc_id: u64, comment: &str, flags: &[&str]) {
                self.tc_id = tc_id;
                self.comment = comment.to_owned();
                self.flags = flags.iter().map(|f| (*f).to_owned()).collect();
            }
        }
    )*};
}

case_header!(
    TransportCase,
    TlCodecCase,
    EnvelopeDecryptCase,
    mtproto_vectors::session::MsgIdTraceCase,
    DhParamsCase,
    DhValueCase,
    PqCase,
    mtproto_vectors::families::handshake::HandshakeCase,
    mtproto_vectors::families::handshake::HandshakeServerCase,
    mtproto_vectors::families::secret::ChatTraceCase,
);

/// Fill in the group's `source` and its one case's `tcId`, `comment` and flags.
fn stamp(group: &mut TestGroup, source: &Source, tc_id: u64, comment: &str) -> Result<(), String> {
    let type_name = group.type_name();
    written!(group, g => {
        g.source = source.clone();
        let [case] = g.tests.as_mut_slice() else {
            return Err(format!("a {type_name} finding has {} cases, not one", g.tests.len()));
        };
        case.set(tc_id, comment, &[FLAG]);
        Ok(())
    }, else Err(format!("fuzz-to-vector does not write {type_name} groups")))
}

/// The group with its cases removed: two groups with equal attributes compare equal.
fn attributes(group: &TestGroup) -> Option<TestGroup> {
    let mut group = group.clone();
    written!(&mut group, g => g.tests.clear(), else return None);
    Some(group)
}

/// Move the cases of `from` into `into` (the same group type), or name the type of `from`.
fn merge(into: &mut TestGroup, from: TestGroup) -> Result<(), &'static str> {
    use HandshakeFamily as H;
    use SecretFamily as S;
    use TestGroup as T;
    match (into, from) {
        (T::Transport(a), T::Transport(b)) => a.tests.extend(b.tests),
        (T::Tl(TlFamily::Codec(a)), T::Tl(TlFamily::Codec(b))) => a.tests.extend(b.tests),
        (T::Envelope(EnvelopeFamily::Decrypt(a)), T::Envelope(EnvelopeFamily::Decrypt(b))) => {
            a.tests.extend(b.tests);
        }
        (T::Session(a), T::Session(b)) => a.tests.extend(b.tests),
        (T::Dh(DhFamily::Params(a)), T::Dh(DhFamily::Params(b))) => a.tests.extend(b.tests),
        (T::Dh(DhFamily::Value(a)), T::Dh(DhFamily::Value(b))) => a.tests.extend(b.tests),
        (T::Pq(a), T::Pq(b)) => a.tests.extend(b.tests),
        (T::Handshake(H::Handshake(a)), T::Handshake(H::Handshake(b))) => a.tests.extend(b.tests),
        (T::Handshake(H::HandshakeServer(a)), T::Handshake(H::HandshakeServer(b))) => {
            a.tests.extend(b.tests);
        }
        (T::Secret(S::ChatTrace(a)), T::Secret(S::ChatTrace(b))) => a.tests.extend(b.tests),
        (_, from) => return Err(from.type_name()),
    }
    Ok(())
}

/// The reference's verdict on what the input states.
fn finding(parsed: &Parsed) -> Result<Finding, HarnessError> {
    Ok(match parsed {
        Parsed::Transport { kind, dir, stream } => {
            let decoded = transport::decode_all(&mut transport::Decoder::new(*kind, *dir), stream);
            let (frames, error) = match decoded {
                Ok(frames) => (Some(frames.iter().map(frame_json).collect()), None),
                Err(e) => (None, Some(e.name())),
            };
            let (result, error) = verdict(error);
            let group = TransportGroup {
                group_type: "TransportTest".into(),
                transport: kind.as_str().into(),
                direction: direction_name(*dir),
                obfuscated: false,
                source: no_source(),
                tests: vec![TransportCase {
                    tc_id: 0,
                    comment: String::new(),
                    flags: Vec::new(),
                    stream: Hex(stream.clone()),
                    frames,
                    init: None,
                    secret: None,
                    result,
                    error,
                }],
            };
            Finding::one(
                TestGroup::Transport(group),
                "MTProto-transports",
                "transport_test_schema_v1.json",
                "transport",
            )
        }
        Parsed::Obfuscated {
            kind,
            dir,
            secret,
            init,
            stream,
        } => {
            let direction = direction_name(*dir);
            // The verdict is the reference adapter's `transport.decode` on exactly the case's
            // fields (the request the runner sends for it).
            let mut request = Fields::new();
            request.insert("transport".into(), kind.as_str().into());
            request.insert("direction".into(), direction.as_str().into());
            request.insert("obfuscated".into(), true.into());
            request.insert("init".into(), Hex(init.to_vec()).to_hex().into());
            if let Some(s) = secret {
                request.insert("secret".into(), Hex(s.clone()).to_hex().into());
            }
            request.insert("stream".into(), Hex(stream.clone()).to_hex().into());
            let bad = |why: String| HarnessError::Vectors(format!("transport_obfuscated: {why}"));
            let (frames, result, error) = match mtproto_iut::transport::decode(&request) {
                Ok(Answer::Ok(out)) => {
                    let frames: Vec<FrameJson> =
                        serde_json::from_value(out.get("frames").cloned().unwrap_or(Value::Null))
                            .map_err(|e| {
                            bad(format!(
                                "the reference's transport.decode answer: frames: {e}"
                            ))
                        })?;
                    (Some(frames), Verdict::Valid, None)
                }
                Ok(Answer::Rejected { error }) => (None, Verdict::Invalid, Some(error)),
                other => {
                    return Err(bad(format!(
                        "the reference's transport.decode neither decodes nor rejects: {other:?}"
                    )));
                }
            };
            let group = TransportGroup {
                group_type: "TransportTest".into(),
                transport: kind.as_str().into(),
                direction,
                obfuscated: true,
                source: no_source(),
                tests: vec![TransportCase {
                    tc_id: 0,
                    comment: String::new(),
                    flags: Vec::new(),
                    stream: Hex(stream.clone()),
                    frames,
                    init: Some(Hex(init.to_vec())),
                    secret: secret.clone().map(Hex),
                    result,
                    error,
                }],
            };
            Finding::one(
                TestGroup::Transport(group),
                "MTProto-transports",
                "transport_test_schema_v1.json",
                "transport",
            )
        }
        Parsed::Tl {
            secret: is_secret,
            bytes,
        } => {
            let decoded = if *is_secret {
                secret::Object::from_bytes(bytes).map(|v| v.to_json())
            } else {
                mt::Object::from_bytes(bytes).map(|v| v.to_json())
            };
            let (value, error) = match decoded {
                Ok(j) => (Some(mtproto_iut::tl::to_serde(&j)), None),
                Err(e) => (None, Some(e.name())),
            };
            let (result, error) = verdict(error);
            let group = TlCodecGroup {
                group_type: "TlCodecTest".into(),
                schema: if *is_secret { "secret" } else { "mtproto" }.into(),
                decode_as: None,
                source: no_source(),
                tests: vec![TlCodecCase {
                    tc_id: 0,
                    comment: String::new(),
                    flags: Vec::new(),
                    value,
                    bytes: Hex(bytes.clone()),
                    result,
                    error,
                }],
            };
            Finding::one(
                TestGroup::Tl(TlFamily::Codec(group)),
                "MTProto-TL",
                "tl_codec_test_schema_v1.json",
                "tl",
            )
        }
        Parsed::Pq { pq: value } => {
            // The family decides valid / acceptable (spec-open, with p and q) / invalid.
            let pq::Expected {
                p,
                q,
                result,
                error,
                ..
            } = pq::expected(value);
            let group = PqGroup {
                group_type: "PqTest".into(),
                source: no_source(),
                tests: vec![PqCase {
                    tc_id: 0,
                    comment: String::new(),
                    flags: Vec::new(),
                    pq: Hex(value.clone()),
                    p,
                    q,
                    result,
                    error,
                }],
            };
            Finding::one(
                TestGroup::Pq(group),
                "MTProto-pq",
                "pq_test_schema_v1.json",
                "pq",
            )
        }
        Parsed::DhParams { p, g } => {
            let checked = dh::check_params(p, *g, &[0x5a; 32], None);
            let (result, error) = verdict(checked.err().map(|e| e.name()));
            let group = DhParamsGroup {
                group_type: "DhParamsTest".into(),
                source: no_source(),
                tests: vec![DhParamsCase {
                    tc_id: 0,
                    comment: String::new(),
                    flags: Vec::new(),
                    p: Hex(p.clone()),
                    g: *g,
                    result,
                    error,
                }],
            };
            Finding::one(
                TestGroup::Dh(DhFamily::Params(group)),
                "MTProto-DH-params",
                "dh_params_test_schema_v1.json",
                "dh",
            )
        }
        Parsed::DhValue { p, g, value } => {
            let checked = dh::check_params(p, *g, &[0x5a; 32], None)
                .map_err(|e| e.name())
                .and_then(|grp| grp.check_value(value).map(|_| ()).map_err(|e| e.name()));
            let (result, error) = verdict(checked.err());
            let group = DhValueGroup {
                group_type: "DhValueTest".into(),
                p: Hex(p.clone()),
                g: *g,
                source: no_source(),
                tests: vec![DhValueCase {
                    tc_id: 0,
                    comment: String::new(),
                    flags: Vec::new(),
                    value: Hex(value.clone()),
                    result,
                    error,
                }],
            };
            Finding::one(
                TestGroup::Dh(DhFamily::Value(group)),
                "MTProto-DH-values",
                "dh_value_test_schema_v1.json",
                "dh",
            )
        }
        Parsed::EnvelopeDecrypt {
            key,
            receiver,
            packet,
        } => {
            let auth = mtproto::AuthKey::new(**key);
            let mut case = EnvelopeDecryptCase {
                tc_id: 0,
                comment: String::new(),
                flags: Vec::new(),
                auth_key: Hex(key.to_vec()),
                session_id: Hex(vec![0; 8]),
                packet: Hex(packet.clone()),
                salt: None,
                msg_id: None,
                seq_no: None,
                body: None,
                result: Verdict::Valid,
                error: None,
            };
            let error = match envelope::decrypt_any_session(&auth, *receiver, packet) {
                Ok(m) => {
                    case.session_id = Hex(m.session_id.to_le_bytes().to_vec());
                    case.salt = Some(Hex(m.salt.to_le_bytes().to_vec()));
                    case.msg_id = Some(Hex(m.msg_id.to_le_bytes().to_vec()));
                    case.seq_no = Some(m.seq_no);
                    case.body = Some(Hex(m.body().to_vec()));
                    None
                }
                // Refused whatever the session: the error for session 0 (the case's).
                Err(_) => envelope::decrypt(&auth, *receiver, 0, packet)
                    .err()
                    .map(|e| e.name()),
            };
            (case.result, case.error) = verdict(error);
            let group = EnvelopeDecryptGroup {
                group_type: "EnvelopeDecryptTest".into(),
                receiver: receiver_name(*receiver),
                source: no_source(),
                tests: vec![case],
            };
            Finding::one(
                TestGroup::Envelope(EnvelopeFamily::Decrypt(group)),
                "MTProto-2.0-envelope-decrypt",
                "envelope_decrypt_test_schema_v1.json",
                "envelope",
            )
        }
    })
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
fn note() -> Note {
    Note {
        bug_type: "EDGE_CASE".into(),
        description: "A minimised fuzz input turned into a case by `mtproto-harness fuzz-to-vector`; the group's source.name names the target (fuzz:TARGET), the verdict is the reference's.".into(),
        effect: None,
        links: vec!["https://core.telegram.org/mtproto".into()],
        cves: Vec::new(),
    }
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
            finding(&parsed)?
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
    let source = Source {
        name: format!("fuzz:{name}"),
        version: format!("cargo fuzz, target {name}"),
    };
    let shown = args
        .out
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| format!("{}/{name}_fuzz_test.json", f.family));
    let mut file = match &args.out {
        // The strict loader: a file that does not load is named, never patched blindly.
        Some(path) if path.exists() => {
            load_file(path).map_err(|e| HarnessError::Vectors(format!("--out: {e}")))?
        }
        _ => VectorFile {
            path: shown.clone(),
            family: f.family.to_owned(),
            algorithm: f.algorithm.to_owned(),
            schema: f.schema.to_owned(),
            number_of_tests: 0,
            header: vec![
                "Fuzz findings turned into conformance cases (mtproto-harness fuzz-to-vector); \
                 the verdicts are the reference's."
                    .to_owned(),
            ],
            notes: BTreeMap::new(),
            test_groups: Vec::new(),
        },
    };
    for part in f.parts {
        let comment = if part.label.is_empty() {
            comment.clone()
        } else {
            format!("{comment}, {}", part.label)
        };
        append(&mut file, part.group, &source, &comment)?;
    }
    // Canonical form and every check a shipped file gets: the loader, the schemas, the reference.
    let text = file
        .to_json_pretty()
        .map_err(|e| HarnessError::Vectors(e.to_string()))?;
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

/// Add the one case of `group` to `file`: numbered after the file's last case, into the group
/// with the same attributes (or as a new group); the count and the flag's note follow.
fn append(
    file: &mut VectorFile,
    mut group: TestGroup,
    source: &Source,
    comment: &str,
) -> Result<(), HarnessError> {
    let next = file
        .test_groups
        .iter()
        .flat_map(TestGroup::headers)
        .map(|h| h.tc_id)
        .max()
        .unwrap_or(0)
        + 1;
    stamp(&mut group, source, next, comment).map_err(HarnessError::Vectors)?;
    let attrs = attributes(&group);
    let same = file
        .test_groups
        .iter_mut()
        .find(|g| attrs.is_some() && attributes(g) == attrs);
    match same {
        Some(same) => {
            if let Err(type_name) = merge(same, group) {
                return Err(HarnessError::Vectors(format!(
                    "--out: a group has the attributes of the new {type_name} case's group but \
                     not its type"
                )));
            }
        }
        None => file.test_groups.push(group),
    }
    file.number_of_tests = file.test_groups.iter().map(TestGroup::len).sum::<usize>() as u64;
    file.notes.entry(FLAG.to_owned()).or_insert_with(note);
    Ok(())
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
