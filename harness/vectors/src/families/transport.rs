//! The `transport` family, `TransportTest` (spec §6): group and case types, loader checks, the
//! runner and the generator of `vectors/transport/`.
//!
//! A group fixes `transport` (`abridged`, `intermediate`, `padded`, `full`), `direction` (the way
//! the stream flows) and `obfuscated`. A valid case must decode to exactly its `frames` and its
//! `frames` must encode to exactly its `stream` (`transport.decode`, `transport.encode`); an
//! invalid case's stream must be rejected by the decoder with `error`. Obfuscated cases carry the
//! client's plaintext `init` (and an MTProxy `secret` when used).
//!
//! An `acceptable` case is one whose verdict the spec leaves open: the obfuscated2 inits with a
//! forbidden first word (0xef, HEAD, POST, ...). The transports page states that rule for the
//! client generating the init; it says nothing about a server receiving one. The bytes a server
//! would reject are not used for the keys, so such a stream still decodes to the frames of the
//! case it was made from: an acceptable case gives those `frames`, a decoder that accepts it must
//! give exactly them, and it is never encoded (no client may send it).

use mtproto::Direction;
use mtproto::transport::obfuscated;
use mtproto::transport::{Encoder, Frame, Kind, Packet};
use mtproto_iut::{Fields, Iut, op};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::core::family::{Family, GroupType};
use crate::core::file::{CaseGroup, CaseHeader, DirectionName, Hex, Source};
use crate::core::generate::{Builder, Drbg, Flag, GenerateError, Suite, self_source};
use crate::core::judge::{
    Mismatch, Ran, RunOptions, Want, answered, combine, judge, judge_request,
};
use crate::core::load::{LoadError, Part, err};
use crate::core::result::{Outcome, Verdict};

/// The `transport` family.
#[derive(Clone, Copy, Debug)]
pub struct Transport;

/// A frame in a vector: `{"kind": "payload", "data", "quickAck"}`, `{"kind": "quickAck",
/// "token"}` or `{"kind": "error", "code"}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FrameJson {
    /// `payload`, `quickAck` or `error`.
    pub kind: String,
    /// The payload (payload frames).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Hex>,
    /// The client asked for a quick ack (payload frames).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quick_ack: Option<bool>,
    /// The quick-ack token (quickAck frames).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<u32>,
    /// The transport error code (error frames).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<i32>,
}

impl FrameJson {
    fn of(f: &Frame) -> Self {
        match f {
            Frame::Payload { data, quick_ack } => Self {
                kind: "payload".into(),
                data: Some(Hex(data.clone())),
                quick_ack: Some(*quick_ack),
                token: None,
                code: None,
            },
            Frame::QuickAck { token } => Self {
                kind: "quickAck".into(),
                data: None,
                quick_ack: None,
                token: Some(*token),
                code: None,
            },
            Frame::Error { code } => Self {
                kind: "error".into(),
                data: None,
                quick_ack: None,
                token: None,
                code: Some(*code),
            },
        }
    }
}

/// A `TransportTest` case.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TransportCase {
    /// The case id.
    pub tc_id: u64,
    /// What the case is about.
    pub comment: String,
    /// Flags.
    pub flags: Vec<String>,
    /// The byte stream.
    pub stream: Hex,
    /// The frames (valid cases).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frames: Option<Vec<FrameJson>>,
    /// The client's plaintext obfuscation init (obfuscated groups).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub init: Option<Hex>,
    /// An MTProxy secret (obfuscated groups).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<Hex>,
    /// `valid` or `invalid`.
    pub result: Verdict,
    /// The error an invalid case expects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A group of `TransportTest` cases.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TransportGroup {
    /// `TransportTest`.
    #[serde(rename = "type")]
    pub group_type: String,
    /// `abridged`, `intermediate`, `padded` or `full`.
    pub transport: String,
    /// The direction the stream flows.
    pub direction: DirectionName,
    /// Whether the stream is obfuscated2.
    pub obfuscated: bool,
    /// Where the numbers come from.
    pub source: Source,
    /// The cases.
    pub tests: Vec<TransportCase>,
}

/// The loader's checks.
fn check_group(file: &str, g: usize, group: &TransportGroup) -> Result<(), LoadError> {
    if Kind::from_name(&group.transport).is_none() {
        return Err(err(
            file,
            format!("testGroups[{g}].transport"),
            format!("unknown transport {:?}", group.transport),
        ));
    }
    for (t, c) in group.tests.iter().enumerate() {
        let at = format!("testGroups[{g}].tests[{t}]");
        if (c.result != Verdict::Invalid) != c.frames.is_some() {
            return Err(err(
                file,
                format!("{at}.frames"),
                "a valid or acceptable case has frames, an invalid one none",
            ));
        }
        if group.obfuscated && group.direction == DirectionName::ServerToClient && c.init.is_none()
        {
            return Err(err(
                file,
                format!("{at}.init"),
                "a server-to-client obfuscated case needs the client's init",
            ));
        }
        if !group.obfuscated && (c.init.is_some() || c.secret.is_some()) {
            return Err(err(
                file,
                format!("{at}.init"),
                "init and secret belong to obfuscated groups",
            ));
        }
        if let Some(i) = &c.init
            && i.len() != 64
        {
            return Err(err(file, format!("{at}.init"), "expected 64 bytes"));
        }
    }
    Ok(())
}

impl CaseGroup for TransportGroup {
    fn type_name(&self) -> &'static str {
        "TransportTest"
    }
    fn source(&self) -> &Source {
        &self.source
    }
    fn headers(&self) -> Vec<CaseHeader<'_>> {
        self.tests.iter().map(|t| crate::header_of!(t)).collect()
    }
}

impl Family for Transport {
    type Group = TransportGroup;

    const GROUP_TYPES: &'static [GroupType] = &[GroupType {
        name: "TransportTest",
        family: "transport",
        schema: "transport_test_schema_v1.json",
        // Any name: the schema refers to the whole vocabulary.
        errors: None,
    }];

    fn parse(part: &Part<'_>, _group_type: &str) -> Result<TransportGroup, LoadError> {
        part.parse()
    }

    fn check(file: &str, g: usize, group: &TransportGroup) -> Result<(), LoadError> {
        check_group(file, g, group)
    }

    fn run(g: &TransportGroup, index: usize, iut: &mut dyn Iut, opts: &RunOptions) -> Option<Ran> {
        run_case(g, index, iut, opts)
    }

    fn generate() -> Result<Vec<Suite<TransportGroup>>, GenerateError> {
        suites(self_source())
    }
}

/// Run one case: `transport.decode` must give the frames (or reject an invalid stream; an
/// acceptable one may be rejected, and if accepted must give the frames), then, for a valid case
/// only, `transport.encode` of those frames must give the stream.
fn run_case(g: &TransportGroup, index: usize, iut: &mut dyn Iut, opts: &RunOptions) -> Option<Ran> {
    let c = g.tests.get(index)?;
    let mut base = Fields::new();
    base.insert("transport".into(), Value::from(g.transport.clone()));
    base.insert("direction".into(), Value::from(g.direction.as_str()));
    base.insert("obfuscated".into(), Value::from(g.obfuscated));
    if let Some(i) = &c.init {
        base.insert("init".into(), Value::from(i.to_hex()));
    }
    if let Some(s) = &c.secret {
        base.insert("secret".into(), Value::from(s.to_hex()));
    }
    let mut dec = base.clone();
    dec.insert("stream".into(), Value::from(c.stream.to_hex()));
    let want_frames = serde_json::to_value(&c.frames).unwrap_or(Value::Null);
    let decoded = answered(
        iut.call(op::TRANSPORT_DECODE, &dec),
        op::TRANSPORT_DECODE,
        |f| {
            let got = f.get("frames").cloned().unwrap_or(Value::Null);
            // Compare through the typed form so key order and defaults do not matter.
            let got_t: Option<Vec<FrameJson>> = serde_json::from_value(got.clone()).ok();
            if c.frames.is_some() && got_t.as_ref() != c.frames.as_ref() {
                return Err(Mismatch::fail(format!(
                    "expected frames {want_frames}, got {got}"
                )));
            }
            Ok(())
        },
    );
    let expected = (c.result, c.error.as_deref());
    let mut judged = vec![(
        op::TRANSPORT_DECODE,
        judge(expected.0, expected.1, decoded, opts),
    )];
    if judged.iter().all(|(_, j)| j.outcome == Outcome::Pass)
        && c.result == Verdict::Valid
        && c.frames.is_some()
    {
        let mut enc = base.clone();
        enc.insert("frames".into(), want_frames.clone());
        judged.push((
            op::TRANSPORT_ENCODE,
            judge_request(
                iut.call(op::TRANSPORT_ENCODE, &enc),
                op::TRANSPORT_ENCODE,
                &[("stream", Want::Hex(c.stream.as_bytes()))],
                expected,
                opts,
            ),
        ));
    }
    let mut vector = serde_json::to_value(c).unwrap_or(Value::Null);
    if let Value::Object(m) = &mut vector {
        m.insert("type".into(), Value::from(g.group_type.clone()));
        m.insert("transport".into(), Value::from(g.transport.clone()));
        m.insert("direction".into(), Value::from(g.direction.as_str()));
        m.insert("obfuscated".into(), Value::from(g.obfuscated));
    }
    Some(Ran {
        judged: combine(judged),
        vector,
    })
}

// ---------------------------------------------------------------------------------------------
// Generator

/// Flags of the transport suite: name, bug type, description, links.
pub const FLAGS: &[Flag] = &[
    (
        "Ktv",
        "BASIC",
        "A known answer from spec §11.4 (grammers' transport tests, re-verified, and the computed obfuscated2 vector of spec §11.4, not official).",
        &[LINK],
    ),
    (
        "Pseudorandom",
        "FUNCTIONALITY",
        "Frames from the generator's DRBG, encoded by this project's reference (a regression pin).",
        &[LINK],
    ),
    (
        "QuickAck",
        "FUNCTIONALITY",
        "Quick-ack requests (top bit of the length) or answers (abridged: byte-swapped token; intermediate: bare LE token; padded: framed ffffffff ‖ token).",
        &[LINK],
    ),
    (
        "TransportErrorPacket",
        "FUNCTIONALITY",
        "A 4-byte payload carrying a negative error code (-404, -429, -444).",
        &[LINK],
    ),
    (
        "LongLength",
        "EDGE_CASE",
        "Abridged payloads of 127 words and more use the 0x7f + 3-byte form.",
        &[LINK],
    ),
    (
        "EmptyPayload",
        "EDGE_CASE",
        "A zero-length payload.",
        &[LINK],
    ),
    (
        "BadCrc",
        "MODIFIED_PARAMETER",
        "A full-transport frame whose CRC32 does not match: it must be rejected, not passed up.",
        &[LINK],
    ),
    (
        "BadSeqno",
        "MISSING_STEP",
        "A full-transport frame with a replayed, skipped or non-zero first seqno.",
        &[LINK],
    ),
    (
        "LengthTooShort",
        "EDGE_CASE",
        "A full-transport len under 12.",
        &[LINK],
    ),
    (
        "Oversized",
        "CAN_OF_WORMS",
        "A declared length of 2^24 or more: rejected before any buffering.",
        &[LINK],
    ),
    (
        "WrongTag",
        "MISSING_STEP",
        "A plain client stream without its transport's first bytes.",
        &[LINK],
    ),
    (
        "NonCanonicalLength",
        "BER_ENCODING",
        "An abridged long-form length for a value the 1-byte form holds.",
        &[LINK],
    ),
    (
        "Truncated",
        "EDGE_CASE",
        "The stream ends inside a frame.",
        &[LINK],
    ),
    (
        "ForbiddenPrefix",
        "EDGE_CASE",
        "An obfuscated2 init with a first word a client must never generate (first byte ef; first word HEAD, POST, GET , OPTI, 16030102, dddddddd, eeeeeeee; second word zero). The transports page states this rule for the client's generation only and is silent on a server receiving such an init, so the case is acceptable: rejecting it (ForbiddenPrefix, what the reference does) passes; a decoder that accepts it must give the case's frames (those bytes are not key material, so the stream decodes as the unmodified one), and fails under --acceptable fail.",
        &[LINK],
    ),
    (
        "UnknownProtocolTag",
        "MODIFIED_PARAMETER",
        "An obfuscation init whose decrypted protocol tag is not efefefef, eeeeeeee or dddddddd.",
        &[LINK],
    ),
    (
        "MtProxySecret",
        "FUNCTIONALITY",
        "Obfuscated2 keys mixed with an MTProxy secret: key = SHA-256(key ‖ secret).",
        &[LINK],
    ),
];

const LINK: &str = "https://core.telegram.org/mtproto/mtproto-transports";

fn encode(kind: Kind, dir: Direction, frames: &[Frame]) -> Vec<u8> {
    let mut enc = Encoder::new(kind, dir);
    let mut out = Vec::new();
    for f in frames {
        if enc.encode(f.as_packet(), &[], &mut out).is_err() {
            return Vec::new();
        }
    }
    out
}

fn valid(
    b: &mut Builder,
    flags: &[&'static str],
    comment: &str,
    stream: Vec<u8>,
    frames: &[Frame],
) -> TransportCase {
    let (tc_id, flags) = b.next(flags);
    TransportCase {
        tc_id,
        comment: comment.to_owned(),
        flags,
        stream: Hex(stream),
        frames: Some(frames.iter().map(FrameJson::of).collect()),
        init: None,
        secret: None,
        result: Verdict::Valid,
        error: None,
    }
}

fn invalid(
    b: &mut Builder,
    flags: &[&'static str],
    comment: &str,
    stream: Vec<u8>,
    error: &str,
) -> TransportCase {
    let (tc_id, flags) = b.next(flags);
    TransportCase {
        tc_id,
        comment: comment.to_owned(),
        flags,
        stream: Hex(stream),
        frames: None,
        init: None,
        secret: None,
        result: Verdict::Invalid,
        error: Some(error.to_owned()),
    }
}

/// A client-to-server obfuscated stream whose init has a forbidden first word: acceptable (the
/// rule binds the client only), with the frames an accepting decoder must give, and the error
/// the reference names when it rejects.
fn open_prefix(b: &mut Builder, comment: &str, stream: Vec<u8>, frames: &[Frame]) -> TransportCase {
    let mut c = invalid(b, &["ForbiddenPrefix"], comment, stream, "ForbiddenPrefix");
    c.result = Verdict::Acceptable;
    c.frames = Some(frames.iter().map(FrameJson::of).collect());
    c
}

fn payload(data: Vec<u8>, quick_ack: bool) -> Frame {
    Frame::Payload { data, quick_ack }
}

fn group(
    transport: Kind,
    direction: DirectionName,
    obfuscated: bool,
    source: Source,
    tests: Vec<TransportCase>,
) -> TransportGroup {
    TransportGroup {
        group_type: "TransportTest".into(),
        transport: transport.as_str().into(),
        direction,
        obfuscated,
        source,
        tests,
    }
}

fn dir_of(d: DirectionName) -> Direction {
    d.direction()
}

fn seq(n: usize) -> Vec<u8> {
    (0..n).map(|i| u8::try_from(i % 256).unwrap_or(0)).collect()
}

/// The transport suite: `transport/transport_test.json`.
#[allow(clippy::vec_init_then_push, clippy::too_many_lines)]
fn suites(self_source: Source) -> Result<Vec<Suite<TransportGroup>>, GenerateError> {
    let name = "transport/transport_test.json";
    let mut b = Builder::new(name, FLAGS);
    let mut groups = Vec::new();
    let c2s = DirectionName::ClientToServer;
    let s2c = DirectionName::ServerToClient;

    // Known answers, spec §11.4.
    {
        let grammers = Source {
            name: "grammers".into(),
            version: "grammers-mtproto transport tests (spec §11.4)".into(),
        };
        let mut full = Vec::new();
        full.push(valid(
            &mut b,
            &["Ktv", "EmptyPayload"],
            "full: empty payload, seqno 0",
            hx("0c00000000000000 26ca8d32"),
            &[payload(vec![], false)],
        ));
        let p = seq(128);
        let s = encode(
            Kind::Full,
            Direction::ClientToServer,
            &[payload(p.clone(), false), payload(p.clone(), false)],
        );
        full.push(valid(
            &mut b,
            &["Ktv"],
            "full: 128 bytes 00..7f twice; CRCs 86739537 and 9609f04a",
            s,
            &[payload(p.clone(), false), payload(p, false)],
        ));
        groups.push(group(Kind::Full, c2s, false, grammers.clone(), full));
        let mut ab = Vec::new();
        ab.push(valid(
            &mut b,
            &["Ktv", "EmptyPayload"],
            "abridged: empty payload is ef 00",
            hx("ef00"),
            &[payload(vec![], false)],
        ));
        ab.push(valid(
            &mut b,
            &["Ktv", "LongLength"],
            "abridged: 1024 bytes use ef 7f 00 01 00",
            [hx("ef7f000100"), seq(1024)].concat(),
            &[payload(seq(1024), false)],
        ));
        groups.push(group(Kind::Abridged, c2s, false, grammers.clone(), ab));
        let err = vec![valid(
            &mut b,
            &["Ktv", "TransportErrorPacket"],
            "abridged: 01 6cfeffff is transport error -404",
            hx("016cfeffff"),
            &[Frame::Error { code: -404 }],
        )];
        groups.push(group(Kind::Abridged, s2c, false, grammers, err));

        let digest = Source {
            name: "spec-11.4".into(),
            version: "spec §11.4 obfuscated2 vector (computed, not official)".into(),
        };
        let mut init = [0u8; 64];
        for (i, x) in init.iter_mut().enumerate().take(56) {
            *x = u8::try_from(i).unwrap_or(0).wrapping_add(0x10);
        }
        if let Some(t) = init.get_mut(56..60) {
            t.copy_from_slice(&[0xee; 4]);
        }
        let mut stream = init.get(..56).unwrap_or(&[]).to_vec();
        stream.extend(hx("3c4d9877773605d7"));
        stream.extend(hx("1d949fe2b8cb06c0aa774203"));
        let mut case = valid(
            &mut b,
            &["Ktv"],
            "obfuscated2 intermediate: init 10..47 ‖ eeeeeeee ‖ 0; one 8-byte zero payload",
            stream,
            &[payload(vec![0; 8], false)],
        );
        case.init = Some(Hex(init.to_vec()));
        groups.push(group(Kind::Intermediate, c2s, true, digest, vec![case]));
    }

    // Self-generated: every transport and direction.
    for kind in Kind::ALL {
        for d in [c2s, s2c] {
            let dir = dir_of(d);
            let mut rng = Drbg::new(&format!("transport/{}/{}", kind.as_str(), d.as_str()));
            let mut tests = Vec::new();
            // Pseudorandom valid streams.
            for n in [1usize, 3] {
                let frames: Vec<Frame> = (0..n)
                    .map(|_| {
                        let len = rng.range(5, 80) * 4;
                        payload(rng.bytes(len), false)
                    })
                    .collect();
                tests.push(valid(
                    &mut b,
                    &["Pseudorandom"],
                    &format!("{n} frame(s)"),
                    encode(kind, dir, &frames),
                    &frames,
                ));
            }
            if kind == Kind::Abridged {
                let f = [payload(rng.bytes(127 * 4), false)];
                tests.push(valid(
                    &mut b,
                    &["LongLength"],
                    "127 words: the first long-form length",
                    encode(kind, dir, &f),
                    &f,
                ));
                if d == c2s {
                    tests.push(invalid(
                        &mut b,
                        &["NonCanonicalLength"],
                        "7f 01 00 00 for a 4-byte payload",
                        [hx("ef7f010000"), vec![0; 4]].concat(),
                        "NonCanonicalLength",
                    ));
                }
            }
            // Quick acks.
            if kind != Kind::Full {
                let f = if d == c2s {
                    vec![payload(rng.bytes(40), true), payload(rng.bytes(8), false)]
                } else {
                    vec![
                        Frame::QuickAck {
                            token: 0x8000_0000 | u32::from_le_bytes(rng.array::<4>()),
                        },
                        payload(rng.bytes(40), false),
                    ]
                };
                tests.push(valid(
                    &mut b,
                    &["QuickAck"],
                    if d == c2s {
                        "a quick-ack request then a plain frame"
                    } else {
                        "a quick-ack answer then a frame"
                    },
                    encode(kind, dir, &f),
                    &f,
                ));
            }
            if d == s2c {
                let f = [Frame::Error { code: -429 }, Frame::Error { code: -444 }];
                tests.push(valid(
                    &mut b,
                    &["TransportErrorPacket"],
                    "transport errors -429 and -444",
                    encode(kind, dir, &f),
                    &f,
                ));
            }
            // Invalid streams.
            let good = encode(kind, dir, &[payload(rng.bytes(32), false)]);
            if let Some(cut) = good.len().checked_sub(3) {
                tests.push(invalid(
                    &mut b,
                    &["Truncated"],
                    "the last 3 bytes are missing",
                    good.get(..cut).unwrap_or(&[]).to_vec(),
                    "Truncated",
                ));
            }
            let tag = if d == c2s {
                kind.tag().to_vec()
            } else {
                Vec::new()
            };
            let over = match kind {
                Kind::Abridged => hx("7f000040"),
                Kind::Intermediate | Kind::Padded => hx("00000001"),
                Kind::Full => hx("0c000001 00000000"),
            };
            tests.push(invalid(
                &mut b,
                &["Oversized"],
                "a declared payload of 2^24 bytes",
                [tag.clone(), over].concat(),
                "FrameTooLong",
            ));
            if d == c2s && kind != Kind::Full {
                let mut wrong = good.clone();
                if let Some(x) = wrong.first_mut() {
                    *x ^= 0x01;
                }
                tests.push(invalid(
                    &mut b,
                    &["WrongTag"],
                    "the first byte of the tag is changed",
                    wrong,
                    "WrongTransportTag",
                ));
            }
            if kind == Kind::Full {
                let mut bad = good.clone();
                if let Some(x) = bad.get_mut(12) {
                    *x ^= 0x20;
                }
                tests.push(invalid(
                    &mut b,
                    &["BadCrc"],
                    "one payload bit flipped",
                    bad,
                    "CrcMismatch",
                ));
                let mut bad = good.clone();
                if let Some(x) = bad.last_mut() {
                    *x ^= 0x01;
                }
                tests.push(invalid(
                    &mut b,
                    &["BadCrc"],
                    "one CRC bit flipped",
                    bad,
                    "CrcMismatch",
                ));
                tests.push(invalid(
                    &mut b,
                    &["BadSeqno"],
                    "the same frame twice (seqno 0 again)",
                    [good.clone(), good.clone()].concat(),
                    "SeqnoMismatch",
                ));
                let mut enc = Encoder::new(kind, dir);
                let mut skipped = Vec::new();
                let mut sink = Vec::new();
                let body = rng.bytes(16);
                let _ = enc.encode(
                    Packet::Payload {
                        data: &body,
                        quick_ack: false,
                    },
                    &[],
                    &mut sink,
                );
                let _ = enc.encode(
                    Packet::Payload {
                        data: &body,
                        quick_ack: false,
                    },
                    &[],
                    &mut skipped,
                );
                tests.push(invalid(
                    &mut b,
                    &["BadSeqno"],
                    "a first frame numbered 1",
                    skipped,
                    "SeqnoMismatch",
                ));
                for len in [0u32, 8, 11] {
                    tests.push(invalid(
                        &mut b,
                        &["LengthTooShort"],
                        &format!("len = {len}"),
                        [len.to_le_bytes().to_vec(), vec![0; 8]].concat(),
                        "FrameTooShort",
                    ));
                }
            }
            groups.push(group(kind, d, false, self_source.clone(), tests));
        }
    }

    // Obfuscated, self-generated.
    for kind in [Kind::Abridged, Kind::Intermediate, Kind::Padded] {
        for (secret, d) in [(None, c2s), (None, s2c), (Some(seq(16)), c2s)] {
            let mut rng = Drbg::new(&format!(
                "transport/obfuscated/{}/{}/{}",
                kind.as_str(),
                d.as_str(),
                secret.is_some()
            ));
            let random = rng.bytes(64 * 4);
            let Ok(mut client) = obfuscated::generate_init(&random, kind, None, secret.as_deref())
            else {
                return Err(GenerateError {
                    file: name.into(),
                    message: "no usable obfuscation init".into(),
                });
            };
            let frames: Vec<Frame> = (0..3)
                .map(|_| {
                    let len = rng.range(5, 30) * 4;
                    payload(rng.bytes(len), false)
                })
                .collect();
            let mut stream = Vec::new();
            if d == c2s {
                stream.extend_from_slice(&client.header);
                for f in &frames {
                    let _ = client.encoder.encode(f.as_packet(), &[], &mut stream);
                }
            } else {
                let Ok(mut server) = obfuscated::accept(&client.header, secret.as_deref()) else {
                    return Err(GenerateError {
                        file: name.into(),
                        message: "accept failed".into(),
                    });
                };
                for f in &frames {
                    let _ = server.encoder.encode(f.as_packet(), &[], &mut stream);
                }
            }
            let mut flags = vec!["Pseudorandom"];
            if secret.is_some() {
                flags.push("MtProxySecret");
            }
            let mut tests = Vec::new();
            let mut v = valid(
                &mut b,
                &flags,
                "three frames through AES-256-CTR",
                stream.clone(),
                &frames,
            );
            v.init = Some(Hex(client.init.to_vec()));
            v.secret = secret.clone().map(Hex);
            tests.push(v);
            if d == c2s {
                // Forbidden prefixes: a server must refuse the header.
                let prefixes: [(&[u8], &str); 3] = [
                    (&[0xef], "first byte ef"),
                    (b"POST", "POST"),
                    (&[0xee; 4], "eeeeeeee"),
                ];
                for (p, what) in prefixes {
                    let mut bad = stream.clone();
                    if let Some(dst) = bad.get_mut(..p.len()) {
                        dst.copy_from_slice(p);
                    }
                    let mut c = open_prefix(
                        &mut b,
                        &format!("an init starting with {what}"),
                        bad,
                        &frames,
                    );
                    c.secret = secret.clone().map(Hex);
                    tests.push(c);
                }
                let mut bad = stream.clone();
                if let Some(x) = bad.get_mut(5..8) {
                    x.copy_from_slice(&[0, 0, 0]);
                }
                if let Some(x) = bad.get_mut(4) {
                    *x = 0;
                }
                let mut c = open_prefix(&mut b, "init bytes 4..8 all zero", bad, &frames);
                c.secret = secret.clone().map(Hex);
                tests.push(c);
                let mut bad = stream.clone();
                if let Some(x) = bad.get_mut(58) {
                    *x ^= 0x40;
                }
                let mut c = invalid(
                    &mut b,
                    &["UnknownProtocolTag"],
                    "the encrypted protocol tag modified",
                    bad,
                    "UnknownProtocolTag",
                );
                c.secret = secret.clone().map(Hex);
                tests.push(c);
            }
            groups.push(group(kind, d, true, self_source.clone(), tests));
        }
    }

    Ok(vec![b.finish_checked(
        "MTProto-transports",
        "transport_test_schema_v1.json",
        &[
            "MTProto transports (spec §6): abridged, intermediate, padded intermediate and full framing in both directions, quick acks, transport error packets, and obfuscated2 with and without an MTProxy secret.",
            "A valid stream decodes to exactly its frames and the frames encode to exactly the stream; an invalid stream is rejected with the named error.",
        ],
        groups,
    )?])
}

fn hx(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    hex::decode(s).unwrap_or_default()
}
