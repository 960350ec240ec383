//! The `tl` family, `TlIdTest` and `TlCodecTest` (spec §7): group and case types, loader checks, runners and the
//! generator of `vectors/tl/`.
//!
//! `TlIdTest`: `tl.id` of a combinator line must be `id` (8 hex digits, the id as a number). The
//! ids come from the published schemas (an independent origin: Telegram's own), and from the
//! normalization examples of spec §7.1.
//!
//! `TlCodecTest` (group field `schema`: `mtproto` or `secret`): a valid case's `bytes` must decode
//! (`tl.decode`) to `value` (the JSON form, `mtproto::tl::json`) and `value` must encode
//! (`tl.encode`) to `bytes`; an invalid case's `bytes` must be rejected with `error`.

use mtproto::tl::generated::{mtproto as mt, secret};
use mtproto::tl::schema::{self, crc32, normalize};
use mtproto::tl::{SCHEMAS, Tl, gzip};
use mtproto_iut::{Fields, Iut, op};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::core::family::{Family, GroupType};
use crate::core::file::{CaseGroup, CaseHeader, File, Hex, Source};
use crate::core::generate::{Builder, Drbg, Flag, GenerateError, Suite, self_source};
use crate::core::judge::{
    Mismatch, Ran, RunOptions, Want, answered, combine, judge, judge_request,
};
use crate::core::load::{LoadError, Part, err};
use crate::core::result::{Outcome, Verdict};

/// The `tl` family (named so as not to clash with the `Tl` trait of the reference).
#[derive(Clone, Copy, Debug)]
pub struct TlFamily;

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

/// A group of the `tl` family.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Group {
    /// `TlIdTest`.
    Id(TlIdGroup),
    /// `TlCodecTest`.
    Codec(TlCodecGroup),
}

impl CaseGroup for Group {
    fn type_name(&self) -> &'static str {
        match self {
            Self::Id(_) => "TlIdTest",
            Self::Codec(_) => "TlCodecTest",
        }
    }
    fn source(&self) -> &Source {
        match self {
            Self::Id(g) => &g.source,
            Self::Codec(g) => &g.source,
        }
    }
    fn headers(&self) -> Vec<CaseHeader<'_>> {
        match self {
            Self::Id(g) => g.tests.iter().map(|t| crate::header_of!(t)).collect(),
            Self::Codec(g) => g.tests.iter().map(|t| crate::header_of!(t)).collect(),
        }
    }
}

impl Family for TlFamily {
    type Group = Group;

    const GROUP_TYPES: &'static [GroupType] = &[
        GroupType {
            name: "TlIdTest",
            family: "tl",
            schema: "tl_id_test_schema_v1.json",
            errors: None,
        },
        GroupType {
            name: "TlCodecTest",
            family: "tl",
            schema: "tl_codec_test_schema_v1.json",
            errors: None,
        },
    ];

    fn parse(part: &Part<'_>, group_type: &str) -> Result<Group, LoadError> {
        Ok(if group_type == "TlIdTest" {
            Group::Id(part.parse()?)
        } else {
            Group::Codec(part.parse()?)
        })
    }

    fn check(file: &str, g: usize, group: &Group) -> Result<(), LoadError> {
        match group {
            Group::Id(group) => check_id_group(file, g, group),
            Group::Codec(group) => check_codec_group(file, g, group),
        }
    }

    fn run(group: &Group, index: usize, iut: &mut dyn Iut, opts: &RunOptions) -> Option<Ran> {
        match group {
            Group::Id(g) => run_id_case(g, index, iut, opts),
            Group::Codec(g) => run_codec_case(g, index, iut, opts),
        }
    }

    fn generate() -> Result<Vec<Suite<Group>>, GenerateError> {
        Ok(vec![ids()?, codec(&self_source())?])
    }
}

/// The loader's checks for `TlIdTest`.
fn check_id_group(file: &str, g: usize, group: &TlIdGroup) -> Result<(), LoadError> {
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
fn check_codec_group(file: &str, g: usize, group: &TlCodecGroup) -> Result<(), LoadError> {
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

/// Run one `TlIdTest` case: `tl.id` of the combinator line must be the id.
fn run_id_case(g: &TlIdGroup, index: usize, iut: &mut dyn Iut, opts: &RunOptions) -> Option<Ran> {
    let c = g.tests.get(index)?;
    let mut req = Fields::new();
    req.insert("combinator".into(), Value::from(c.combinator.clone()));
    let got = answered(iut.call(op::TL_ID, &req), op::TL_ID, |f| {
        match f.get("constructorId").and_then(Value::as_str) {
            Some(id) if id == c.id => Ok(()),
            Some(id) => Err(Mismatch::fail(format!("id: expected {}, got {id}", c.id))),
            None => Err(Mismatch::broken("the answer has no `constructorId`")),
        }
    });
    let judged = judge(c.result, c.error.as_deref(), got, opts);
    let mut vector = serde_json::to_value(c).unwrap_or(Value::Null);
    if let Value::Object(m) = &mut vector {
        m.insert("type".into(), Value::from(g.group_type.clone()));
    }
    Some(Ran { judged, vector })
}

/// Run one `TlCodecTest` case: `tl.decode` of the bytes must give the value (or reject invalid
/// bytes), then `tl.encode` of the value must give the bytes.
fn run_codec_case(
    g: &TlCodecGroup,
    index: usize,
    iut: &mut dyn Iut,
    opts: &RunOptions,
) -> Option<Ran> {
    let c = g.tests.get(index)?;
    let mut dec = Fields::new();
    dec.insert("schema".into(), Value::from(g.schema.clone()));
    if let Some(t) = &g.decode_as {
        dec.insert("as".into(), Value::from(t.clone()));
    }
    let mut enc = dec.clone();
    dec.insert("bytes".into(), Value::from(c.bytes.to_hex()));
    let expected = (c.result, c.error.as_deref());
    let decoded = answered(iut.call(op::TL_DECODE, &dec), op::TL_DECODE, |f| {
        let got = f.get("value").cloned().unwrap_or(Value::Null);
        match &c.value {
            Some(want) if got != *want => {
                Err(Mismatch::fail(format!("expected {want}, got {got}")))
            }
            _ => Ok(()),
        }
    });
    let mut judged = vec![(op::TL_DECODE, judge(expected.0, expected.1, decoded, opts))];
    if let (Some(value), true) = (
        &c.value,
        judged.iter().all(|(_, j)| j.outcome == Outcome::Pass),
    ) {
        enc.insert("value".into(), value.clone());
        judged.push((
            op::TL_ENCODE,
            judge_request(
                iut.call(op::TL_ENCODE, &enc),
                op::TL_ENCODE,
                &[("bytes", Want::Hex(c.bytes.as_bytes()))],
                expected,
                opts,
            ),
        ));
    }
    let mut vector = serde_json::to_value(c).unwrap_or(Value::Null);
    if let Value::Object(m) = &mut vector {
        m.insert("type".into(), Value::from(g.group_type.clone()));
        m.insert("schema".into(), Value::from(g.schema.clone()));
    }
    Some(Ran {
        judged: combine(judged),
        vector,
    })
}

// ---------------------------------------------------------------------------------------------
// Generator

const LINK: &str = "https://core.telegram.org/mtproto/serialize";

/// The flags of the TL suites: name, bug type, description, links.
const FLAGS: &[Flag] = &[
    (
        "PublishedId",
        "BASIC",
        "An id written in Telegram's published schema: the CRC32 of the normalized line must equal it.",
        &[LINK],
    ),
    (
        "Ktv",
        "BASIC",
        "A normalization example from spec §7.1's table (bytes hashed as string, braces and <> dropped, flags.N?true fields removed), whose id the published schemas also give.",
        &[LINK],
    ),
    (
        "ProjectRule",
        "EDGE_CASE",
        "The answer rests on a normalization rule of this project's that the spec does not state: rule 6 of mtproto::tl::schema, a bare-type marker %Message hashed as the bare constructor name message. The spec's table only gives the normalized string `msg_container messages:vector message` and notes that the %Message spelling as written would not hash to the id; the id itself (73f1f8dc) is the published one.",
        &[LINK],
    ),
    (
        "PublishedIdBreaksRule2",
        "EDGE_CASE",
        "A published id that is not the CRC32 the spec's rule 2 gives (bytes hashed as string) but the CRC32 of the line with bytes as written; the case's comment gives the rule-2 value. Telegram uses the published id on the wire, so an implementation that derives ids from lines must carry these exceptions (the reference lists them in mtproto_iut::tl::BYTES_AS_WRITTEN); a normalizer that applies rule 2 alone fails here.",
        &[LINK, "https://core.telegram.org/type/bytes"],
    ),
    (
        "FlagsTrue",
        "EDGE_CASE",
        "A line with a flags.N?true field, removed before hashing.",
        &[LINK],
    ),
    (
        "Pseudorandom",
        "FUNCTIONALITY",
        "Field values from the generator's DRBG, encoded by this project's generated code (a regression pin).",
        &[LINK],
    ),
    (
        "Container",
        "FUNCTIONALITY",
        "msg_container: at most 1024 messages, no nesting, each message's bytes delimiting its body (spec §7.2).",
        &[LINK],
    ),
    (
        "GzipPacked",
        "FUNCTIONALITY",
        "gzip_packed carrying another object.",
        &[LINK],
    ),
    (
        "Flags",
        "FUNCTIONALITY",
        "A constructor with flags: a field is present iff its bit is set.",
        &[LINK],
    ),
    (
        "NonCanonicalLength",
        "BER_ENCODING",
        "A bytes/string length in the 0xfe long form for a value of at most 253 bytes (https://core.telegram.org/type/bytes).",
        &[LINK],
    ),
    (
        "NonZeroPadding",
        "MALLEABILITY",
        "Non-zero padding after a bytes/string: one value must have one encoding.",
        &[LINK],
    ),
    (
        "BoolValue",
        "BASIC",
        "A boxed Bool read where its type is known (the result of a function declared = Bool): boolTrue#997275b5 is true, boolFalse#bc799737 false; the JSON value is the boolean.",
        &[LINK],
    ),
    (
        "RpcResultBool",
        "FUNCTIONALITY",
        "An rpc_result whose result:Object is a boxed Bool, the answer to a function declared = Bool such as auth.bindTempAuthKey (spec §4.6, §7.2): boolTrue#997275b5 and boolFalse#bc799737 are Objects, JSON {\"_\": \"boolTrue\"} / {\"_\": \"boolFalse\"}.",
        &[LINK],
    ),
    (
        "BadBool",
        "MODIFIED_PARAMETER",
        "A Bool that is neither boolTrue#997275b5 nor boolFalse#bc799737.",
        &[LINK],
    ),
    (
        "BadVectorId",
        "MODIFIED_PARAMETER",
        "A boxed Vector whose id is not 1cb5c415.",
        &[LINK],
    ),
    (
        "Truncated",
        "EDGE_CASE",
        "The bytes end inside a value.",
        &[LINK],
    ),
    (
        "TrailingBytes",
        "EDGE_CASE",
        "Bytes left after the value.",
        &[LINK],
    ),
    (
        "OversizedCount",
        "CAN_OF_WORMS",
        "A vector count larger than the bytes left (or negative): rejected before allocating.",
        &[LINK],
    ),
    (
        "UnknownConstructor",
        "MODIFIED_PARAMETER",
        "A constructor id the schema does not have; the error names it in hex.",
        &[LINK],
    ),
    (
        "UnknownFlags",
        "MODIFIED_PARAMETER",
        "Flag bits no field of the constructor uses.",
        &[LINK],
    ),
    (
        "ContainerLimits",
        "CAN_OF_WORMS",
        "A container of 1025 messages, a nested container, or a message whose bytes field does not delimit its body.",
        &[LINK],
    ),
    (
        "TooManyIds",
        "CAN_OF_WORMS",
        "More than 8192 msg_ids in msgs_ack (transport error 429 on Telegram's side).",
        &[LINK],
    ),
];

fn ids() -> Result<(String, File<Group>), GenerateError> {
    let name = "tl/tl_id_test.json";
    let mut b = Builder::new(name, FLAGS);
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
            let (tc_id, flags) = b.next(flags);
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
        groups.push(Group::Id(TlIdGroup {
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
        let (flags, comment): (&[&'static str], &str) = if line.contains('%') {
            (
                &["PublishedId", "ProjectRule"],
                "the published msg_container#73f1f8dc; the line as written needs this project's rule 6 (%Message hashed as message), which the spec does not state",
            )
        } else if line.contains("?true") {
            (&["Ktv", "FlagsTrue"], "spec §7.1 normalization table")
        } else {
            (&["Ktv"], "spec §7.1 normalization table")
        };
        let (tc_id, flags) = b.next(flags);
        tests.push(TlIdCase {
            tc_id,
            comment: comment.into(),
            flags,
            combinator: line.into(),
            id: id.into(),
            result: Verdict::Valid,
            error: None,
        });
    }
    groups.push(Group::Id(TlIdGroup {
        group_type: "TlIdTest".into(),
        source: Source {
            name: "spec-7.1".into(),
            version: "spec §7.1 (ids match the published schemas)".into(),
        },
        tests,
    }));
    // The published ids rule 2 does not give, each with the value rule 2 gives.
    let mut tests = Vec::new();
    for &(line, published) in mtproto_iut::tl::BYTES_AS_WRITTEN {
        let line: String = line.split_whitespace().collect::<Vec<_>>().join(" ");
        let rule2 = crc32(&normalize(&line));
        if rule2 == published || mtproto_iut::tl::line_id(&line) != published {
            return Err(GenerateError {
                file: name.into(),
                message: format!(
                    "{line}: the published id {published:08x} should differ from rule 2's {rule2:08x}"
                ),
            });
        }
        let name_only = line.split(' ').next().unwrap_or_default();
        let (tc_id, flags) = b.next(&["PublishedId", "PublishedIdBreaksRule2"]);
        tests.push(TlIdCase {
            tc_id,
            comment: format!(
                "{name_only}#{published:08x} as published (https://core.telegram.org/constructor/{name_only}): the CRC32 of the line with bytes as written; spec §7.1 rule 2 (bytes hashed as string) gives {rule2:08x}"
            ),
            flags,
            combinator: line,
            id: format!("{published:08x}"),
            result: Verdict::Valid,
            error: None,
        });
    }
    groups.push(Group::Id(TlIdGroup {
        group_type: "TlIdTest".into(),
        source: Source {
            name: "telegram-schema".into(),
            version: "ids as published in https://core.telegram.org/schema (end-to-end and API schemas), lines whose id breaks spec §7.1 rule 2".into(),
        },
        tests,
    }));
    b.finish_checked(
        "TL-constructor-id",
        "tl_id_test_schema_v1.json",
        &[
            "TL constructor ids (spec §7.1): the CRC32 of the normalized combinator line, for every combinator of the shipped schemas (checked against the published ids) and the normalization examples of spec §7.1.",
            "Two published ids break rule 2 (bytes hashed as string): the end-to-end schema's layer-143 decryptedMessageMediaDocument#6abd9782 (rule 2 gives 8e4c064c; schema/secret.tl marks it `// HASH BYTES AS WRITTEN`, so the first secret-schema group leaves it out) and the API schema's ipPortSecret#37982646 (rule 2 gives 402d9b47). Each is a case of the last group, flagged PublishedIdBreaksRule2.",
            "tcId 140 (msg_container messages:vector<%Message>) is flagged ProjectRule: its id is the published one, but reaching it from the line as written takes this project's rule 6 (%Message hashed as message), which the spec does not state.",
        ],
        groups,
    )
}

fn valid<T: Tl>(b: &mut Builder, flags: &[&'static str], comment: &str, v: &T) -> TlCodecCase {
    let (tc_id, flags) = b.next(flags);
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
    b: &mut Builder,
    flags: &[&'static str],
    comment: &str,
    bytes: Vec<u8>,
    error: &str,
) -> TlCodecCase {
    let (tc_id, flags) = b.next(flags);
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
fn bool_cases(b: &mut Builder) -> Vec<TlCodecCase> {
    let id = |v: u32| v.to_le_bytes().to_vec();
    let valid_bool = |b: &mut Builder, v: bool, comment: &str| {
        let (tc_id, flags) = b.next(&["BoolValue"]);
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
fn rpc_result_bool_cases(b: &mut Builder) -> Vec<TlCodecCase> {
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
        let (tc_id, flags) = b.next(&["RpcResultBool"]);
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
fn codec(self_source: &Source) -> Result<(String, File<Group>), GenerateError> {
    let name = "tl/tl_codec_test.json";
    let mut b = Builder::new(name, FLAGS);
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
        Group::Codec(TlCodecGroup {
            group_type: "TlCodecTest".into(),
            schema: "mtproto".into(),
            decode_as: None,
            source: self_source.clone(),
            tests: mtc,
        }),
        Group::Codec(TlCodecGroup {
            group_type: "TlCodecTest".into(),
            schema: "secret".into(),
            decode_as: None,
            source: self_source.clone(),
            tests: sc,
        }),
        Group::Codec(TlCodecGroup {
            group_type: "TlCodecTest".into(),
            schema: "mtproto".into(),
            decode_as: None,
            source: Source {
                name: "spec-4.6-7.2".into(),
                version: "spec §4.6 (auth.bindTempAuthKey#cdd42a05 ... = Bool), §7.2 (rpc_result#f35c6d01 req_msg_id:long result:Object) and §7 (boolTrue#997275b5, boolFalse#bc799737): the server's answer to auth.bindTempAuthKey, written out by hand".into(),
            },
            tests: rpc_result_bool_cases(&mut b),
        }),
        Group::Codec(TlCodecGroup {
            group_type: "TlCodecTest".into(),
            schema: "mtproto".into(),
            decode_as: Some("Bool".into()),
            source: self_source.clone(),
            tests: bool_cases(&mut b),
        }),
    ];
    b.finish_checked(
        "TL-serialization",
        "tl_codec_test_schema_v1.json",
        &[
            "TL values of the mtproto and secret schemas (spec §7) in their JSON form and their bytes; invalid encodings each break one strictness rule.",
            "JSON form: an object per constructor, \"_\" its schema name (with #id when the name is declared in several layers); int/long numbers, bytes/int128/int256 and double (8 LE bytes) lowercase hex, Bool true/false, absent flags fields null. A Bool where an Object is expected (an rpc_result's result) is the constructor {\"_\": \"boolTrue\"} / {\"_\": \"boolFalse\"}; with \"as\": \"Bool\" the value is the JSON boolean.",
        ],
        groups,
    )
}

fn hx(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    hex::decode(s).unwrap_or_default()
}
