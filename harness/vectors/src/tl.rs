//! `TlIdTest` and `TlCodecTest` (spec §7): group and case types, loader checks, runners and the
//! generator of `vectors/tl/`.
//!
//! `TlIdTest`: `tl.id` of a combinator line must be `id` (8 hex digits, the id as a number). The
//! ids come from the published schemas (an independent origin: Telegram's own), and from the
//! digest's §7.1 table.
//!
//! `TlCodecTest` (group field `schema`: `mtproto` or `secret`): a valid case's `bytes` must decode
//! (`tl.decode`) to `value` (the JSON form, `mtproto::tl::json`) and `value` must encode
//! (`tl.encode`) to `bytes`; an invalid case's `bytes` must be rejected with `error`.

use mtproto::tl::generated::{mtproto as mt, secret};
use mtproto::tl::schema;
use mtproto::tl::{SCHEMAS, Tl, gzip};
use mtproto_iut::{Fields, Iut, op};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::generate::{Drbg, GenerateError};
use crate::load::LoadError;
use crate::model::{Hex, Note, Source, TestGroup, VectorFile};
use crate::result::{CaseResult, Outcome, Verdict};
use crate::run::{CaseMeta, RunOptions, hex_diff};
use crate::transport::{judge, result};

/// The error names this module's cases may expect (appended to [`crate::model::ERRORS`]).
pub const ERRORS: &[&str] = &[
    "UnexpectedEnd",
    "TrailingBytes",
    "NonZeroPadding",
    "UnknownConstructor",
    "BadBool",
    "BadVectorId",
    "CountTooLarge",
    "InvalidUtf8",
    "UnknownFlags",
    "NestedContainer",
    "MessageLength",
    "TooManyIds",
    "TooDeep",
];

/// A `TlIdTest` case.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TlIdCase {
    /// The case id.
    pub tc_id: u64,
    /// What the case is about.
    pub comment: String,
    /// Flags.
    pub flags: Vec<String>,
    /// The combinator line as written in the schema (without `;`).
    pub combinator: String,
    /// The id, 8 lowercase hex digits (the number, not its wire bytes).
    pub id: String,
    /// Always `valid`.
    pub result: Verdict,
    /// Unused (ids have no invalid cases).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A group of `TlIdTest` cases.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TlIdGroup {
    /// `TlIdTest`.
    #[serde(rename = "type")]
    pub group_type: String,
    /// Where the ids come from.
    pub source: Source,
    /// The cases.
    pub tests: Vec<TlIdCase>,
}

/// A `TlCodecTest` case.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TlCodecCase {
    /// The case id.
    pub tc_id: u64,
    /// What the case is about.
    pub comment: String,
    /// Flags.
    pub flags: Vec<String>,
    /// The JSON form (valid cases).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
    /// The serialization.
    pub bytes: Hex,
    /// `valid` or `invalid`.
    pub result: Verdict,
    /// The error an invalid case expects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A group of `TlCodecTest` cases.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TlCodecGroup {
    /// `TlCodecTest`.
    #[serde(rename = "type")]
    pub group_type: String,
    /// `mtproto` or `secret`.
    pub schema: String,
    /// The boxed type the bytes are decoded as, when not `Object`: `Bool`, as for the result of a
    /// function declared `= Bool` (e.g. `auth.bindTempAuthKey`, spec §4.6), whose answer the
    /// receiver reads knowing the type (the only place a wrong Bool id can arise: no constructor
    /// of the shipped schemas has a `Bool` field).
    #[serde(rename = "as", default, skip_serializing_if = "Option::is_none")]
    pub decode_as: Option<String>,
    /// Where the numbers come from.
    pub source: Source,
    /// The cases.
    pub tests: Vec<TlCodecCase>,
}

fn err(file: &str, path: String, message: impl Into<String>) -> LoadError {
    LoadError {
        file: file.to_owned(),
        path: Some(path),
        position: None,
        message: message.into(),
    }
}

/// The loader's checks for `TlIdTest`.
pub fn check_id_group(file: &str, g: usize, group: &TlIdGroup) -> Result<(), LoadError> {
    for (t, c) in group.tests.iter().enumerate() {
        let at = format!("testGroups[{g}].tests[{t}]");
        if c.id.len() != 8 || u32::from_str_radix(&c.id, 16).is_err() || c.id.to_lowercase() != c.id
        {
            return Err(err(
                file,
                format!("{at}.id"),
                "expected 8 lowercase hex digits",
            ));
        }
        if c.result != Verdict::Valid {
            return Err(err(file, format!("{at}.result"), "id cases are valid"));
        }
    }
    Ok(())
}

/// The loader's checks for `TlCodecTest`.
pub fn check_codec_group(file: &str, g: usize, group: &TlCodecGroup) -> Result<(), LoadError> {
    if !matches!(group.schema.as_str(), "mtproto" | "secret") {
        return Err(err(
            file,
            format!("testGroups[{g}].schema"),
            format!("unknown schema {:?}", group.schema),
        ));
    }
    for (t, c) in group.tests.iter().enumerate() {
        if (c.result == Verdict::Valid) != c.value.is_some() {
            return Err(err(
                file,
                format!("testGroups[{g}].tests[{t}].value"),
                "a valid case has a value, an invalid one none",
            ));
        }
    }
    Ok(())
}

/// Run one `TlIdTest` case.
pub fn run_id_case(
    file: &VectorFile,
    g: &TlIdGroup,
    index: usize,
    iut: &mut dyn Iut,
    opts: &RunOptions,
    meta: &CaseMeta<'_>,
) -> Option<CaseResult> {
    let c = g.tests.get(index)?;
    let mut req = Fields::new();
    req.insert("combinator".into(), Value::from(c.combinator.clone()));
    let judged = match judge(
        iut.call(op::TL_ID, &req),
        c.result,
        c.error.as_deref(),
        opts,
        op::TL_ID,
    ) {
        Err(e) => e,
        Ok(f) => match f.get("constructorId").and_then(Value::as_str) {
            Some(id) if id == c.id => (Outcome::Pass, None, String::new()),
            Some(id) => (
                Outcome::Fail,
                None,
                format!("id: expected {}, got {id}", c.id),
            ),
            None => (
                Outcome::Error,
                None,
                "the answer has no `constructorId`".into(),
            ),
        },
    };
    let mut vector = serde_json::to_value(c).unwrap_or(Value::Null);
    if let Value::Object(m) = &mut vector {
        m.insert("type".into(), Value::from(g.group_type.clone()));
    }
    Some(result(
        file,
        meta,
        (c.tc_id, &c.comment, &c.flags, c.result, c.error.as_deref()),
        judged,
        vector,
    ))
}

/// Run one `TlCodecTest` case.
pub fn run_codec_case(
    file: &VectorFile,
    g: &TlCodecGroup,
    index: usize,
    iut: &mut dyn Iut,
    opts: &RunOptions,
    meta: &CaseMeta<'_>,
) -> Option<CaseResult> {
    let c = g.tests.get(index)?;
    let mut dec = Fields::new();
    dec.insert("schema".into(), Value::from(g.schema.clone()));
    if let Some(t) = &g.decode_as {
        dec.insert("as".into(), Value::from(t.clone()));
    }
    let mut enc = dec.clone();
    dec.insert("bytes".into(), Value::from(c.bytes.to_hex()));
    let verdict = (|| {
        let f = judge(
            iut.call(op::TL_DECODE, &dec),
            c.result,
            c.error.as_deref(),
            opts,
            op::TL_DECODE,
        )?;
        let want = c.value.clone().unwrap_or(Value::Null);
        let got = f.get("value").cloned().unwrap_or(Value::Null);
        if got != want {
            return Err((
                Outcome::Fail,
                None,
                format!("decode: expected {want}, got {got}"),
            ));
        }
        enc.insert("value".into(), want);
        let f = judge(
            iut.call(op::TL_ENCODE, &enc),
            c.result,
            c.error.as_deref(),
            opts,
            op::TL_ENCODE,
        )?;
        match f
            .get("bytes")
            .and_then(Value::as_str)
            .and_then(|s| hex::decode(s).ok())
        {
            None => Err((Outcome::Error, None, "encode: no hex `bytes`".into())),
            Some(b) if b != c.bytes.as_bytes() => Err((
                Outcome::Fail,
                None,
                format!("encode: {}", hex_diff("bytes", c.bytes.as_bytes(), &b)),
            )),
            Some(_) => Ok(()),
        }
    })();
    let judged = match verdict {
        Ok(()) => (Outcome::Pass, None, String::new()),
        Err(e) => e,
    };
    let mut vector = serde_json::to_value(c).unwrap_or(Value::Null);
    if let Value::Object(m) = &mut vector {
        m.insert("type".into(), Value::from(g.group_type.clone()));
        m.insert("schema".into(), Value::from(g.schema.clone()));
    }
    Some(result(
        file,
        meta,
        (c.tc_id, &c.comment, &c.flags, c.result, c.error.as_deref()),
        judged,
        vector,
    ))
}

// ---------------------------------------------------------------------------------------------
// Generator

const FLAGS: &[(&str, &str, &str)] = &[
    (
        "PublishedId",
        "BASIC",
        "An id written in Telegram's published schema: the CRC32 of the normalized line must equal it.",
    ),
    (
        "Ktv",
        "BASIC",
        "A normalization example from spec §7.1 (bytes hashed as string, braces and <> dropped, flags.N?true fields removed, %Message as message).",
    ),
    (
        "FlagsTrue",
        "EDGE_CASE",
        "A line with a flags.N?true field, removed before hashing.",
    ),
    (
        "Pseudorandom",
        "FUNCTIONALITY",
        "Field values from the generator's DRBG, encoded by this project's generated code (a regression pin).",
    ),
    (
        "Container",
        "FUNCTIONALITY",
        "msg_container: at most 1024 messages, no nesting, each message's bytes delimiting its body (spec §7.2).",
    ),
    (
        "GzipPacked",
        "FUNCTIONALITY",
        "gzip_packed carrying another object.",
    ),
    (
        "Flags",
        "FUNCTIONALITY",
        "A constructor with flags: a field is present iff its bit is set.",
    ),
    (
        "NonCanonicalLength",
        "BER_ENCODING",
        "A bytes/string length in the 0xfe long form for a value of at most 253 bytes (https://core.telegram.org/type/bytes).",
    ),
    (
        "NonZeroPadding",
        "MALLEABILITY",
        "Non-zero padding after a bytes/string: one value must have one encoding.",
    ),
    (
        "BoolValue",
        "BASIC",
        "A boxed Bool read where its type is known (the result of a function declared = Bool): boolTrue#997275b5 is true, boolFalse#bc799737 false; the JSON value is the boolean.",
    ),
    (
        "RpcResultBool",
        "FUNCTIONALITY",
        "An rpc_result whose result:Object is a boxed Bool, the answer to a function declared = Bool such as auth.bindTempAuthKey (spec §4.6, §7.2): boolTrue#997275b5 and boolFalse#bc799737 are Objects, JSON {\"_\": \"boolTrue\"} / {\"_\": \"boolFalse\"}.",
    ),
    (
        "BadBool",
        "MODIFIED_PARAMETER",
        "A Bool that is neither boolTrue#997275b5 nor boolFalse#bc799737.",
    ),
    (
        "BadVectorId",
        "MODIFIED_PARAMETER",
        "A boxed Vector whose id is not 1cb5c415.",
    ),
    ("Truncated", "EDGE_CASE", "The bytes end inside a value."),
    ("TrailingBytes", "EDGE_CASE", "Bytes left after the value."),
    (
        "OversizedCount",
        "CAN_OF_WORMS",
        "A vector count larger than the bytes left (or negative): rejected before allocating.",
    ),
    (
        "UnknownConstructor",
        "MODIFIED_PARAMETER",
        "A constructor id the schema does not have; the error names it in hex.",
    ),
    (
        "UnknownFlags",
        "MODIFIED_PARAMETER",
        "Flag bits no field of the constructor uses.",
    ),
    (
        "ContainerLimits",
        "CAN_OF_WORMS",
        "A container of 1025 messages, a nested container, or a message whose bytes field does not delimit its body.",
    ),
    (
        "TooManyIds",
        "CAN_OF_WORMS",
        "More than 8192 msg_ids in msgs_ack (transport error 429 on Telegram's side).",
    ),
];

struct Build {
    next: u64,
    used: std::collections::BTreeSet<&'static str>,
}

impl Build {
    fn case(&mut self, flags: &[&'static str]) -> (u64, Vec<String>) {
        let id = self.next;
        self.next = self.next.saturating_add(1);
        self.used.extend(flags.iter().copied());
        (id, flags.iter().map(|&f| f.to_owned()).collect())
    }

    fn notes(&self, link: &str) -> std::collections::BTreeMap<String, Note> {
        FLAGS
            .iter()
            .filter(|(f, ..)| self.used.contains(f))
            .map(|&(f, bug, desc)| {
                (
                    f.to_owned(),
                    Note {
                        bug_type: bug.to_owned(),
                        description: desc.to_owned(),
                        effect: None,
                        links: vec![link.to_owned()],
                        cves: Vec::new(),
                    },
                )
            })
            .collect()
    }
}

fn file(
    name: &str,
    algorithm: &str,
    schema: &str,
    header: &[&str],
    notes: std::collections::BTreeMap<String, Note>,
    groups: Vec<TestGroup>,
) -> (String, VectorFile) {
    let total: usize = groups.iter().map(TestGroup::len).sum();
    (
        name.to_owned(),
        VectorFile {
            path: name.to_owned(),
            family: "tl".into(),
            algorithm: algorithm.into(),
            schema: schema.into(),
            number_of_tests: u64::try_from(total).unwrap_or(u64::MAX),
            header: header.iter().map(|&s| s.to_owned()).collect(),
            notes,
            test_groups: groups,
        },
    )
}

fn ids() -> Result<(String, VectorFile), GenerateError> {
    let name = "tl/tl_id_test.json";
    let mut b = Build {
        next: 1,
        used: Default::default(),
    };
    let mut groups = Vec::new();
    for (schema_name, text) in SCHEMAS {
        let s = schema::parse(text).map_err(|e| GenerateError {
            file: name.into(),
            message: format!("schema/{schema_name}.tl: {e}"),
        })?;
        let mut tests = Vec::new();
        // A published id that rule 2 does not give (`// HASH BYTES AS WRITTEN`, see
        // `mtproto::tl::schema`) is not an id a normalizer can be asked for: left out, and the
        // file's header names it.
        for c in s
            .combinators
            .iter()
            .filter(|c| c.explicit_id.is_some() && !c.bytes_as_written)
        {
            let has_true = c.text.contains("?true");
            let flags: &[&'static str] = if has_true {
                &["PublishedId", "FlagsTrue"]
            } else {
                &["PublishedId"]
            };
            let (tc_id, flags) = b.case(flags);
            let line = c
                .text
                .replacen(&format!("#{:08x}", c.id()), "", 1)
                .replacen(&format!("#{:x}", c.id()), "", 1);
            tests.push(TlIdCase {
                tc_id,
                comment: format!("schema/{schema_name}.tl line {}", c.line),
                flags,
                combinator: line,
                id: format!("{:08x}", c.id()),
                result: Verdict::Valid,
                error: None,
            });
        }
        groups.push(TestGroup::TlId(TlIdGroup {
            group_type: "TlIdTest".into(),
            source: Source {
                name: "telegram-schema".into(),
                version: format!(
                    "ids as published in https://core.telegram.org/schema ({schema_name} schema)"
                ),
            },
            tests,
        }));
    }
    let table: &[(&str, &str)] = &[
        ("vector {t:Type} # [ t ] = Vector t", "1cb5c415"),
        (
            "invokeAfterMsg {X:Type} msg_id:long query:!X = X",
            "cb9f372d",
        ),
        (
            "inputMessagesFilterPhoneCalls flags:# missed:flags.0?true = MessagesFilter",
            "80c99768",
        ),
        (
            "msg_container messages:vector<%Message> = MessageContainer",
            "73f1f8dc",
        ),
        ("int ? = Int", "a8509bda"),
        ("long ? = Long", "22076cba"),
        ("string ? = String", "b5286e24"),
        ("double ? = Double", "2210c154"),
    ];
    let mut tests = Vec::new();
    for &(line, id) in table {
        let flags: &[&'static str] = if line.contains("?true") {
            &["Ktv", "FlagsTrue"]
        } else {
            &["Ktv"]
        };
        let (tc_id, flags) = b.case(flags);
        tests.push(TlIdCase {
            tc_id,
            comment: "spec §7.1 normalization table".into(),
            flags,
            combinator: line.into(),
            id: id.into(),
            result: Verdict::Valid,
            error: None,
        });
    }
    groups.push(TestGroup::TlId(TlIdGroup {
        group_type: "TlIdTest".into(),
        source: Source {
            name: "spec-7.1".into(),
            version: "spec/MTPROTO.md §7.1 (ids match the published schemas)".into(),
        },
        tests,
    }));
    Ok(file(
        name,
        "TL-constructor-id",
        "tl_id_test_schema_v1.json",
        &[
            "TL constructor ids (spec §7.1): the CRC32 of the normalized combinator line, for every combinator of the shipped schemas (checked against the published ids) and the digest's normalization examples.",
            "Left out: the end-to-end schema's layer-143 decryptedMessageMediaDocument#6abd9782, whose published id is the CRC32 of its line with bytes not rewritten as string (rule 2 gives 8e4c064c); schema/secret.tl marks it `// HASH BYTES AS WRITTEN`.",
        ],
        b.notes("https://core.telegram.org/mtproto/serialize"),
        groups,
    ))
}

fn valid<T: Tl>(b: &mut Build, flags: &[&'static str], comment: &str, v: &T) -> TlCodecCase {
    let (tc_id, flags) = b.case(flags);
    TlCodecCase {
        tc_id,
        comment: comment.into(),
        flags,
        value: Some(mtproto_iut::tl::to_serde(&v.to_json())),
        bytes: Hex(v.to_bytes()),
        result: Verdict::Valid,
        error: None,
    }
}

fn invalid(
    b: &mut Build,
    flags: &[&'static str],
    comment: &str,
    bytes: Vec<u8>,
    error: &str,
) -> TlCodecCase {
    let (tc_id, flags) = b.case(flags);
    TlCodecCase {
        tc_id,
        comment: comment.into(),
        flags,
        value: None,
        bytes: Hex(bytes),
        result: Verdict::Invalid,
        error: Some(error.into()),
    }
}

/// The `as: "Bool"` group: both ids, and the ways a Bool can be wrong.
fn bool_cases(b: &mut Build) -> Vec<TlCodecCase> {
    let id = |v: u32| v.to_le_bytes().to_vec();
    let valid_bool = |b: &mut Build, v: bool, comment: &str| {
        let (tc_id, flags) = b.case(&["BoolValue"]);
        let mut bytes = Vec::new();
        mtproto::tl::rt::write_bool(&mut bytes, v);
        TlCodecCase {
            tc_id,
            comment: comment.into(),
            flags,
            value: Some(Value::Bool(v)),
            bytes: Hex(bytes),
            result: Verdict::Valid,
            error: None,
        }
    };
    vec![
        valid_bool(
            b,
            true,
            "boolTrue#997275b5 (the answer to auth.bindTempAuthKey)",
        ),
        valid_bool(b, false, "boolFalse#bc799737"),
        invalid(
            b,
            &["BadBool"],
            "boolTrue's id with one bit changed (997275b4)",
            id(0x9972_75b4),
            "BadBool",
        ),
        invalid(
            b,
            &["BadBool"],
            "true#3fedd339 (the bare flag type's constructor) where a Bool is expected",
            id(0x3fed_d339),
            "BadBool",
        ),
        invalid(
            b,
            &["BadBool"],
            "a Vector id where a Bool is expected",
            id(0x1cb5_c415),
            "BadBool",
        ),
        invalid(
            b,
            &["Truncated"],
            "boolTrue cut to 3 bytes",
            0x9972_75b5u32
                .to_le_bytes()
                .get(..3)
                .unwrap_or(&[])
                .to_vec(),
            "UnexpectedEnd",
        ),
        invalid(
            b,
            &["TrailingBytes"],
            "boolFalse followed by 4 bytes",
            [id(0xbc79_9737), vec![0; 4]].concat(),
            "TrailingBytes",
        ),
    ]
}

/// The answer to `auth.bindTempAuthKey` (spec §4.6: declared `= Bool`) as the server sends it:
/// `rpc_result#f35c6d01 req_msg_id:long result:Object` (spec §7.2) carrying `boolTrue` or
/// `boolFalse` (spec §7). Bytes and JSON written out here from the spec, not by the codec.
fn rpc_result_bool_cases(b: &mut Build) -> Vec<TlCodecCase> {
    // A client msg_id (divisible by 4), the bindTempAuthKey request's.
    let req = "04f0c1c2918b305e";
    let value = |ctor: &str| {
        serde_json::json!({
            "_": "rpc_result",
            "req_msg_id": i64::from_le_bytes(hx(req).try_into().unwrap_or_default()),
            "result": {"_": ctor},
        })
    };
    let mut out = Vec::new();
    for (ctor, id, what) in [
        ("boolTrue", "b5757299", "the key was bound"),
        ("boolFalse", "379779bc", "a false answer"),
    ] {
        let (tc_id, flags) = b.case(&["RpcResultBool"]);
        out.push(TlCodecCase {
            tc_id,
            comment: format!("rpc_result answering auth.bindTempAuthKey with {ctor} ({what})"),
            flags,
            value: Some(value(ctor)),
            bytes: Hex(hx(&format!("016d5cf3 {req} {id}"))),
            result: Verdict::Valid,
            error: None,
        });
    }
    out.push(invalid(
        b,
        &["UnknownConstructor"],
        "rpc_result answering auth.bindTempAuthKey with boolTrue's id with one bit changed (997275b4)",
        hx(&format!("016d5cf3 {req} b4757299")),
        "UnknownConstructor",
    ));
    out
}

#[allow(clippy::too_many_lines)]
fn codec(self_source: &Source) -> (String, VectorFile) {
    let name = "tl/tl_codec_test.json";
    let mut b = Build {
        next: 1,
        used: Default::default(),
    };
    let mut rng = Drbg::new("tl/codec");
    let mut mtc = Vec::new();
    let pong = mt::Object::Pong(mt::types::Pong {
        msg_id: i64::from_le_bytes(rng.array()),
        ping_id: i64::from_le_bytes(rng.array()),
    });
    mtc.push(valid(&mut b, &["Pseudorandom"], "pong", &pong));
    let res = mt::Object::ResPQ(mt::types::ResPQ {
        nonce: rng.array(),
        server_nonce: rng.array(),
        pq: hx("17ed48941a08f981"),
        server_public_key_fingerprints: vec![i64::from_le_bytes(rng.array())],
    });
    mtc.push(valid(
        &mut b,
        &["Pseudorandom"],
        "resPQ with an 8-byte pq (08 ‖ pq ‖ 000000)",
        &res,
    ));
    let err = mt::Object::RpcError(mt::types::RpcError {
        error_code: 420,
        error_message: "FLOOD_WAIT_30".into(),
    });
    mtc.push(valid(&mut b, &["Pseudorandom"], "rpc_error", &err));
    let long_bytes = mt::Object::MsgsStateInfo(mt::types::MsgsStateInfo {
        req_msg_id: 1,
        info: rng.bytes(300),
    });
    mtc.push(valid(
        &mut b,
        &["Pseudorandom"],
        "300-byte info: the fe long length form",
        &long_bytes,
    ));
    let container = mt::Object::MsgContainer(mt::types::MsgContainer {
        messages: vec![
            mt::types::Message {
                msg_id: 0x5e30_8b91_c2c1_f001,
                seqno: 1,
                body: Box::new(pong.clone()),
            },
            mt::types::Message {
                msg_id: 0x5e30_8b91_c2c1_f005,
                seqno: 2,
                body: Box::new(mt::Object::MsgsAck(mt::types::MsgsAck {
                    msg_ids: vec![1, 2, 3],
                })),
            },
        ],
    });
    mtc.push(valid(
        &mut b,
        &["Container"],
        "msg_container with pong and msgs_ack",
        &container,
    ));
    let empty = mt::Object::MsgContainer(mt::types::MsgContainer { messages: vec![] });
    mtc.push(valid(
        &mut b,
        &["Container"],
        "an empty container is allowed",
        &empty,
    ));
    let inner = pong.to_bytes();
    let gz = mt::Object::RpcResult(mt::types::RpcResult {
        req_msg_id: 7,
        result: Box::new(mt::Object::GzipPacked(mt::types::GzipPacked {
            packed_data: gzip::deflate(&inner),
        })),
    });
    mtc.push(valid(
        &mut b,
        &["GzipPacked"],
        "rpc_result carrying gzip_packed (deflated pong)",
        &gz,
    ));

    // Invalid encodings.
    let rpc_err = |s: &str| hx(&format!("19ca4421 a4010000 {s}"));
    mtc.push(invalid(
        &mut b,
        &["NonCanonicalLength"],
        "rpc_error message \"A\" in the fe long form",
        rpc_err("fe010000 41000000"),
        "NonCanonicalLength",
    ));
    mtc.push(invalid(
        &mut b,
        &["NonZeroPadding"],
        "rpc_error message \"A\" with padding 00 01",
        rpc_err("01410001"),
        "NonZeroPadding",
    ));
    mtc.push(invalid(
        &mut b,
        &["NonZeroPadding"],
        "a string that is not UTF-8",
        rpc_err("01ff0000"),
        "InvalidUtf8",
    ));
    let ack = hx("59b4d662 15c4b51c 01000000 0100000000000000");
    let mut bad_vec = ack.clone();
    if let Some(x) = bad_vec.get_mut(4) {
        *x = 0x16;
    }
    mtc.push(invalid(
        &mut b,
        &["BadVectorId"],
        "msgs_ack with Vector id 1cb5c416",
        bad_vec,
        "BadVectorId",
    ));
    mtc.push(invalid(
        &mut b,
        &["OversizedCount"],
        "msgs_ack count 2^31-1 with 8 bytes left",
        hx("59b4d662 15c4b51c ffffff7f 0100000000000000"),
        "CountTooLarge",
    ));
    mtc.push(invalid(
        &mut b,
        &["OversizedCount"],
        "msgs_ack count -1",
        hx("59b4d662 15c4b51c ffffffff"),
        "CountTooLarge",
    ));
    for cut in [3usize, 8, 10] {
        mtc.push(invalid(
            &mut b,
            &["Truncated"],
            &format!("msgs_ack cut to {cut} bytes"),
            ack.get(..cut).unwrap_or(&[]).to_vec(),
            "UnexpectedEnd",
        ));
    }
    mtc.push(invalid(
        &mut b,
        &["TrailingBytes"],
        "msgs_ack followed by 4 bytes",
        [ack.clone(), vec![0; 4]].concat(),
        "TrailingBytes",
    ));
    mtc.push(invalid(
        &mut b,
        &["UnknownConstructor"],
        "constructor deadbeef",
        hx("efbeadde 00000000"),
        "UnknownConstructor",
    ));
    let big = mt::Object::MsgContainer(mt::types::MsgContainer {
        messages: (0..1025)
            .map(|i| mt::types::Message {
                msg_id: i * 4,
                seqno: 0,
                body: Box::new(mt::Object::MsgsAck(mt::types::MsgsAck { msg_ids: vec![] })),
            })
            .collect(),
    });
    mtc.push(invalid(
        &mut b,
        &["ContainerLimits"],
        "a container of 1025 messages",
        big.to_bytes(),
        "ContainerTooLarge",
    ));
    let nested = mt::Object::MsgContainer(mt::types::MsgContainer {
        messages: vec![mt::types::Message {
            msg_id: 4,
            seqno: 0,
            body: Box::new(empty.clone()),
        }],
    });
    mtc.push(invalid(
        &mut b,
        &["ContainerLimits"],
        "a container inside a container",
        nested.to_bytes(),
        "NestedContainer",
    ));
    let mut short_len = container.to_bytes();
    if let Some(x) = short_len.get_mut(20..24) {
        x.copy_from_slice(&16i32.to_le_bytes());
    }
    mtc.push(invalid(
        &mut b,
        &["ContainerLimits"],
        "a message whose bytes field is 16 for a 20-byte pong",
        short_len,
        "MessageLength",
    ));
    let many = mt::Object::MsgsAck(mt::types::MsgsAck {
        msg_ids: vec![1; 8193],
    });
    mtc.push(invalid(
        &mut b,
        &["TooManyIds"],
        "msgs_ack with 8193 ids",
        many.to_bytes(),
        "TooManyIds",
    ));

    // secret schema: flags and Bool-free layers.
    let mut sc = Vec::new();
    let m73 = secret::Object::DecryptedMessage73(secret::types::DecryptedMessage73 {
        no_webpage: false,
        silent: false,
        random_id: i64::from_le_bytes(rng.array()),
        ttl: 0,
        message: "hello".into(),
        media: Some(
            secret::enums::DecryptedMessageMedia::DecryptedMessageMediaEmpty(
                secret::types::DecryptedMessageMediaEmpty {},
            ),
        ),
        entities: None,
        via_bot_name: None,
        reply_to_random_id: Some(i64::from_le_bytes(rng.array())),
        grouped_id: None,
    });
    sc.push(valid(
        &mut b,
        &["Flags"],
        "decryptedMessage (layer 73) with media and reply_to_random_id",
        &m73,
    ));
    let layer = secret::Object::DecryptedMessageLayer(secret::types::DecryptedMessageLayer {
        random_bytes: rng.bytes(15),
        layer: 73,
        in_seq_no: 2,
        out_seq_no: 1,
        message: secret::enums::DecryptedMessage::DecryptedMessageService17(
            secret::types::DecryptedMessageService17 {
                random_id: 5,
                action: secret::enums::DecryptedMessageAction::DecryptedMessageActionRequestKey(
                    secret::types::DecryptedMessageActionRequestKey {
                        exchange_id: 9,
                        g_a: rng.bytes(256),
                    },
                ),
            },
        ),
    });
    sc.push(valid(
        &mut b,
        &["Pseudorandom"],
        "decryptedMessageLayer carrying a requestKey action (256-byte g_a)",
        &layer,
    ));
    let audio = secret::Object::DocumentAttributeAudio46(secret::types::DocumentAttributeAudio46 {
        voice: true,
        duration: 3,
        title: None,
        performer: Some("x".into()),
        waveform: None,
    });
    sc.push(valid(
        &mut b,
        &["Flags"],
        "documentAttributeAudio with voice (flags.10?true, no bytes) and performer",
        &audio,
    ));
    let mut bad_flags = m73.to_bytes();
    if let Some(x) = bad_flags.get_mut(4) {
        *x |= 0x01;
    }
    sc.push(invalid(
        &mut b,
        &["UnknownFlags"],
        "decryptedMessage with flag bit 0 set",
        bad_flags,
        "UnknownFlags",
    ));
    let mut missing = m73.to_bytes();
    if let Some(x) = missing.get_mut(4) {
        *x |= 0x80; // bit 7: entities, absent
    }
    sc.push(invalid(
        &mut b,
        &["Flags"],
        "decryptedMessage says entities (bit 7) but has none",
        missing,
        "BadVectorId",
    ));

    let groups = vec![
        TestGroup::TlCodec(TlCodecGroup {
            group_type: "TlCodecTest".into(),
            schema: "mtproto".into(),
            decode_as: None,
            source: self_source.clone(),
            tests: mtc,
        }),
        TestGroup::TlCodec(TlCodecGroup {
            group_type: "TlCodecTest".into(),
            schema: "secret".into(),
            decode_as: None,
            source: self_source.clone(),
            tests: sc,
        }),
        TestGroup::TlCodec(TlCodecGroup {
            group_type: "TlCodecTest".into(),
            schema: "mtproto".into(),
            decode_as: None,
            source: Source {
                name: "spec-4.6-7.2".into(),
                version: "spec/MTPROTO.md §4.6 (auth.bindTempAuthKey#cdd42a05 ... = Bool), §7.2 (rpc_result#f35c6d01 req_msg_id:long result:Object) and §7 (boolTrue#997275b5, boolFalse#bc799737): the server's answer to auth.bindTempAuthKey, written out by hand".into(),
            },
            tests: rpc_result_bool_cases(&mut b),
        }),
        TestGroup::TlCodec(TlCodecGroup {
            group_type: "TlCodecTest".into(),
            schema: "mtproto".into(),
            decode_as: Some("Bool".into()),
            source: self_source.clone(),
            tests: bool_cases(&mut b),
        }),
    ];
    file(
        name,
        "TL-serialization",
        "tl_codec_test_schema_v1.json",
        &[
            "TL values of the mtproto and secret schemas (spec §7) in their JSON form and their bytes; invalid encodings each break one strictness rule.",
            "JSON form: an object per constructor, \"_\" its schema name (with #id when the name is declared in several layers); int/long numbers, bytes/int128/int256 and double (8 LE bytes) lowercase hex, Bool true/false, absent flags fields null. A Bool where an Object is expected (an rpc_result's result) is the constructor {\"_\": \"boolTrue\"} / {\"_\": \"boolFalse\"}; with \"as\": \"Bool\" the value is the JSON boolean.",
        ],
        b.notes("https://core.telegram.org/mtproto/serialize"),
        groups,
    )
}

/// The TL suites.
pub fn suites(self_source: Source) -> Result<Vec<(String, VectorFile)>, GenerateError> {
    Ok(vec![ids()?, codec(&self_source)])
}

fn hx(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    hex::decode(s).unwrap_or_default()
}
