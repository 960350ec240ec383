//! The runners: one per test-group type, each turning a case into IUT requests and judging the
//! answers (DESIGN.md §3 table, §4 outcomes).
//!
//! | type | requests | a valid case passes when |
//! |---|---|---|
//! | `IgeTest` | `ige.encrypt` {key, iv, msg} and `ige.decrypt` {key, iv, ct} | both give the other side; invalid: both rejected |
//! | `MsgKeyTest` | `kdf.msgKey` {direction, authKey, plaintext} and `kdf.aesKeyIv` {direction, authKey, msgKey} | msgKey, aesKey and aesIv all equal |
//! | `EnvelopeEncryptTest` | `envelope.encrypt` {direction, authKey, salt, sessionId, msgId, seqNo, body, padding} | packet equal |
//! | `EnvelopeDecryptTest` | `envelope.decrypt` {receiver, authKey, sessionId, packet} | salt, sessionId, msgId, seqNo, body equal |
//!
//! Judging one answer:
//!
//! - `Unsupported` ⇒ [`Outcome::Unsupported`]; `Error` (crash, hang, garbage, or an `ok` answer
//!   missing an output or with malformed hex) ⇒ [`Outcome::Error`].
//! - valid: accepted with equal outputs ⇒ pass; other outputs or a rejection ⇒ fail. The detail
//!   names the first differing field with expected and got hex.
//! - invalid: rejected with the expected error ⇒ pass; accepted ⇒ fail; rejected with another name
//!   (or with the generic `Rejected`) ⇒ fail for the reference or with `strict_errors`, otherwise a
//!   pass whose detail says `different error: NAME`.
//! - acceptable: a rejection passes; an acceptance (with equal outputs where the case gives them)
//!   passes under [`AcceptablePolicy::Pass`] and fails under [`AcceptablePolicy::Fail`].
//!
//! A case with two requests takes the worse of the two outcomes (pass < unsupported < fail <
//! error), and its detail lists what went wrong with each.

use mtproto_iut::{Answer, Fields, Iut, op};
use serde::Serialize;
use serde_json::Value;

use crate::model::{
    EnvelopeDecryptGroup, EnvelopeEncryptGroup, Hex, IgeGroup, MsgKeyGroup, Source, TestGroup,
    VectorFile,
};
use crate::result::{CaseResult, Outcome, Verdict};

/// What an `acceptable` case's acceptance counts as.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum AcceptablePolicy {
    /// Accepting an acceptable case passes (the default; rejecting it passes too).
    #[default]
    Pass,
    /// Accepting an acceptable case fails: only a rejection passes.
    Fail,
}

/// How cases are judged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RunOptions {
    /// A rejection with another error name fails (always so for the reference).
    pub strict_errors: bool,
    /// The `--acceptable` policy.
    pub acceptable: AcceptablePolicy,
    /// The IUT is the built-in reference, which is judged strictly.
    pub iut_is_reference: bool,
}

impl Default for RunOptions {
    /// The built-in reference, acceptable cases passing.
    fn default() -> Self {
        Self {
            strict_errors: false,
            acceptable: AcceptablePolicy::Pass,
            iut_is_reference: true,
        }
    }
}

impl RunOptions {
    fn strict(&self) -> bool {
        self.strict_errors || self.iut_is_reference
    }
}

/// What a selection predicate (the CLI's `--filter`) sees of a case before it runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CaseMeta<'a> {
    /// The vector file, as in [`CaseResult::file`].
    pub file: &'a str,
    /// The family.
    pub family: &'a str,
    /// The case's `tcId`.
    pub tc_id: u64,
    /// The group's `type`.
    pub group_type: &'a str,
    /// The case's flags.
    pub flags: &'a [String],
    /// The `bugType` of each flag, in flag order.
    pub bug_types: &'a [String],
}

/// Run every case of `file` that `select` accepts against `iut`, calling `on_case` after each, and
/// return the results in file order.
pub fn run_file(
    file: &VectorFile,
    iut: &mut dyn Iut,
    opts: &RunOptions,
    select: &dyn Fn(&CaseMeta<'_>) -> bool,
    on_case: &mut dyn FnMut(&CaseResult),
) -> Vec<CaseResult> {
    let mut out = Vec::new();
    for group in &file.test_groups {
        for (index, header) in group.headers().iter().enumerate() {
            let bug_types = file.bug_types(header.flags);
            let meta = CaseMeta {
                file: &file.path,
                family: &file.family,
                tc_id: header.tc_id,
                group_type: group.type_name(),
                flags: header.flags,
                bug_types: &bug_types,
            };
            if !select(&meta) {
                continue;
            }
            if let TestGroup::MsgIdTrace(g) = group {
                if let Some(result) = crate::session::run_case(file, g, index, iut, opts, &meta) {
                    on_case(&result);
                    out.push(result);
                }
                continue;
            }
            let own = match group {
                TestGroup::Transport(g) => {
                    Some(crate::transport::run_case(file, g, index, iut, opts, &meta))
                }
                TestGroup::TlId(g) => {
                    Some(crate::tl::run_id_case(file, g, index, iut, opts, &meta))
                }
                TestGroup::TlCodec(g) => {
                    Some(crate::tl::run_codec_case(file, g, index, iut, opts, &meta))
                }
                TestGroup::Secret(g) => {
                    Some(crate::secret::run_case(file, g, index, iut, opts, &meta))
                }
                _ => None,
            };
            if let Some(result) = own {
                if let Some(result) = result {
                    on_case(&result);
                    out.push(result);
                }
                continue;
            }
            let (checks, vector) = match group {
                TestGroup::Ige(g) => run_ige(g, index, iut),
                TestGroup::MsgKey(g) => run_msg_key(g, index, iut),
                TestGroup::EnvelopeEncrypt(g) => run_envelope_encrypt(g, index, iut),
                TestGroup::EnvelopeDecrypt(g) => run_envelope_decrypt(g, index, iut),
                TestGroup::MsgIdTrace(_) => (Vec::new(), Value::Null), // run above
                TestGroup::Transport(_)
                | TestGroup::TlId(_)
                | TestGroup::TlCodec(_)
                | TestGroup::Secret(_) => {
                    (Vec::new(), Value::Null) // run above
                }
                TestGroup::Handshake(g) => crate::handshake::run(g, index, iut),
            };
            let expect = match header.result {
                Verdict::Valid => Expect::Accept,
                Verdict::Invalid => Expect::Reject(header.error.unwrap_or("")),
                Verdict::Acceptable => Expect::Either,
            };
            let judged: Vec<Judged> = checks
                .into_iter()
                .map(|c| judge(&c, &expect, opts))
                .collect();
            let (outcome, error, detail) = combine(judged);
            let result = CaseResult {
                file: file.path.clone(),
                family: file.family.clone(),
                algorithm: file.algorithm.clone(),
                tc_id: header.tc_id,
                group_type: group.type_name().to_owned(),
                comment: header.comment.to_owned(),
                flags: header.flags.to_vec(),
                bug_types,
                expected: header.result,
                expected_error: header.error.map(str::to_owned),
                outcome,
                error,
                detail,
                vector,
            };
            on_case(&result);
            out.push(result);
        }
    }
    out
}

/// An expected output value.
#[derive(Clone, Debug)]
pub(crate) enum Want<'a> {
    Hex(&'a [u8]),
    Int(i64),
}

/// One request of a case, its answer, and the outputs a valid answer must carry.
pub(crate) struct Check<'a> {
    pub(crate) op: &'static str,
    pub(crate) answer: Answer,
    pub(crate) wants: Vec<(&'static str, Want<'a>)>,
}

enum Expect<'a> {
    Accept,
    Reject(&'a str),
    Either,
}

struct Judged {
    op: &'static str,
    outcome: Outcome,
    error: Option<String>,
    detail: String,
}

fn rank(o: Outcome) -> u8 {
    match o {
        Outcome::Pass => 0,
        Outcome::Unsupported => 1,
        Outcome::Fail => 2,
        Outcome::Error => 3,
    }
}

fn combine(judged: Vec<Judged>) -> (Outcome, Option<String>, String) {
    let outcome = judged
        .iter()
        .map(|j| j.outcome)
        .max_by_key(|&o| rank(o))
        .unwrap_or(Outcome::Error);
    let error = judged.iter().find_map(|j| j.error.clone());
    let several = judged.len() > 1;
    let detail = judged
        .iter()
        .filter(|j| !j.detail.is_empty())
        .map(|j| {
            if several {
                format!("{}: {}", j.op, j.detail)
            } else {
                j.detail.clone()
            }
        })
        .collect::<Vec<_>>()
        .join("; ");
    (outcome, error, detail)
}

/// Compare the outputs of an `ok` answer; `Err((outcome, detail))` on the first problem.
fn compare(fields: &Fields, wants: &[(&'static str, Want<'_>)]) -> Result<(), (Outcome, String)> {
    for (name, want) in wants {
        let Some(got) = fields.get(*name) else {
            return Err((Outcome::Error, format!("the answer has no `{name}`")));
        };
        match want {
            Want::Hex(expected) => {
                let Some(bytes) = got.as_str().and_then(|s| hex::decode(s).ok()) else {
                    return Err((Outcome::Error, format!("`{name}` in the answer is not hex")));
                };
                if bytes != *expected {
                    return Err((Outcome::Fail, hex_diff(name, expected, &bytes)));
                }
            }
            Want::Int(expected) => {
                let Some(n) = got.as_i64() else {
                    return Err((
                        Outcome::Error,
                        format!("`{name}` in the answer is not an integer"),
                    ));
                };
                if n != *expected {
                    return Err((
                        Outcome::Fail,
                        format!("{name}: expected {expected}, got {n}"),
                    ));
                }
            }
        }
    }
    Ok(())
}

/// `field: expected HEX, got HEX`, windowed around the first difference for long values.
pub fn hex_diff(field: &str, expected: &[u8], got: &[u8]) -> String {
    const SHORT: usize = 64;
    if expected.len() <= SHORT && got.len() <= SHORT {
        return format!(
            "{field}: expected {}, got {}",
            hex::encode(expected),
            hex::encode(got)
        );
    }
    let first = expected
        .iter()
        .zip(got)
        .position(|(a, b)| a != b)
        .unwrap_or_else(|| expected.len().min(got.len()));
    let from = first.saturating_sub(8);
    let window = |b: &[u8]| {
        let to = from.saturating_add(32).min(b.len());
        let part = b.get(from..to).unwrap_or(&[]);
        let pre = if from > 0 { "…" } else { "" };
        let post = if to < b.len() { "…" } else { "" };
        format!("{pre}{}{post}", hex::encode(part))
    };
    format!(
        "{field}: first difference at byte {first} (expected {} bytes, got {}): expected {}, got {}",
        expected.len(),
        got.len(),
        window(expected),
        window(got)
    )
}

fn judge(check: &Check<'_>, expect: &Expect<'_>, opts: &RunOptions) -> Judged {
    let op = check.op;
    let done = |outcome, error: Option<String>, detail: String| Judged {
        op,
        outcome,
        error,
        detail,
    };
    match &check.answer {
        Answer::Unsupported => done(
            Outcome::Unsupported,
            None,
            format!("the IUT does not support {op}"),
        ),
        Answer::Error(m) => done(Outcome::Error, None, m.clone()),
        Answer::Ok(fields) => match expect {
            Expect::Reject(e) => done(
                Outcome::Fail,
                None,
                format!("accepted an invalid case (expected {e})"),
            ),
            Expect::Accept => match compare(fields, &check.wants) {
                Ok(()) => done(Outcome::Pass, None, String::new()),
                Err((outcome, detail)) => done(outcome, None, detail),
            },
            Expect::Either => match compare(fields, &check.wants) {
                Err((outcome, detail)) => done(outcome, None, detail),
                Ok(()) => match opts.acceptable {
                    AcceptablePolicy::Pass => done(Outcome::Pass, None, "accepted".into()),
                    AcceptablePolicy::Fail => done(
                        Outcome::Fail,
                        None,
                        "accepted an acceptable case (policy: acceptable cases must be rejected)"
                            .into(),
                    ),
                },
            },
        },
        Answer::Rejected { error } => {
            let named = Some(error.clone());
            match expect {
                Expect::Accept => done(
                    Outcome::Fail,
                    named,
                    format!("rejected a valid case with {error}"),
                ),
                Expect::Either => done(Outcome::Pass, named, format!("rejected with {error}")),
                Expect::Reject(want) if error == want => done(Outcome::Pass, named, String::new()),
                Expect::Reject(want) if opts.strict() => done(
                    Outcome::Fail,
                    named,
                    format!("expected error {want}, got {error}"),
                ),
                Expect::Reject(_) => {
                    done(Outcome::Pass, named, format!("different error: {error}"))
                }
            }
        }
    }
}

fn hex_field(fields: &mut Fields, name: &str, value: &Hex) {
    fields.insert(name.to_owned(), Value::String(value.to_hex()));
}

/// The case as in the file with the group fields merged in.
pub(crate) fn merged<T: Serialize>(
    case: &T,
    group_type: &str,
    source: &Source,
    extra: Option<(&str, &str)>,
) -> Value {
    let mut v = serde_json::to_value(case).unwrap_or(Value::Null);
    if let Value::Object(m) = &mut v {
        m.insert("type".into(), Value::String(group_type.to_owned()));
        if let Ok(s) = serde_json::to_value(source) {
            m.insert("source".into(), s);
        }
        if let Some((k, val)) = extra {
            m.insert(k.to_owned(), Value::String(val.to_owned()));
        }
    }
    v
}

fn run_ige<'g>(g: &'g IgeGroup, index: usize, iut: &mut dyn Iut) -> (Vec<Check<'g>>, Value) {
    let Some(c) = g.tests.get(index) else {
        return (Vec::new(), Value::Null);
    };
    let mut enc = Fields::new();
    hex_field(&mut enc, "key", &c.key);
    hex_field(&mut enc, "iv", &c.iv);
    let mut dec = enc.clone();
    hex_field(&mut enc, "msg", &c.msg);
    hex_field(&mut dec, "ct", &c.ct);
    let checks = vec![
        Check {
            op: op::IGE_ENCRYPT,
            answer: iut.call(op::IGE_ENCRYPT, &enc),
            wants: vec![("ct", Want::Hex(c.ct.as_bytes()))],
        },
        Check {
            op: op::IGE_DECRYPT,
            answer: iut.call(op::IGE_DECRYPT, &dec),
            wants: vec![("msg", Want::Hex(c.msg.as_bytes()))],
        },
    ];
    (checks, merged(c, &g.group_type, &g.source, None))
}

fn run_msg_key<'g>(g: &'g MsgKeyGroup, index: usize, iut: &mut dyn Iut) -> (Vec<Check<'g>>, Value) {
    let Some(c) = g.tests.get(index) else {
        return (Vec::new(), Value::Null);
    };
    let mut base = Fields::new();
    base.insert(
        "direction".into(),
        Value::String(g.direction.as_str().to_owned()),
    );
    hex_field(&mut base, "authKey", &c.auth_key);
    let mut checks = Vec::new();
    if let Some(plaintext) = &c.plaintext {
        let mut req = base.clone();
        hex_field(&mut req, "plaintext", plaintext);
        checks.push(Check {
            op: op::KDF_MSG_KEY,
            answer: iut.call(op::KDF_MSG_KEY, &req),
            wants: vec![("msgKey", Want::Hex(c.msg_key.as_bytes()))],
        });
    }
    if let (Some(aes_key), Some(aes_iv)) = (&c.aes_key, &c.aes_iv) {
        let mut req = base;
        hex_field(&mut req, "msgKey", &c.msg_key);
        checks.push(Check {
            op: op::KDF_AES_KEY_IV,
            answer: iut.call(op::KDF_AES_KEY_IV, &req),
            wants: vec![
                ("aesKey", Want::Hex(aes_key.as_bytes())),
                ("aesIv", Want::Hex(aes_iv.as_bytes())),
            ],
        });
    }
    let vector = merged(
        c,
        &g.group_type,
        &g.source,
        Some(("direction", g.direction.as_str())),
    );
    (checks, vector)
}

fn run_envelope_encrypt<'g>(
    g: &'g EnvelopeEncryptGroup,
    index: usize,
    iut: &mut dyn Iut,
) -> (Vec<Check<'g>>, Value) {
    let Some(c) = g.tests.get(index) else {
        return (Vec::new(), Value::Null);
    };
    let mut req = Fields::new();
    req.insert(
        "direction".into(),
        Value::String(g.direction.as_str().to_owned()),
    );
    hex_field(&mut req, "authKey", &c.auth_key);
    hex_field(&mut req, "salt", &c.salt);
    hex_field(&mut req, "sessionId", &c.session_id);
    hex_field(&mut req, "msgId", &c.msg_id);
    req.insert("seqNo".into(), Value::from(c.seq_no));
    hex_field(&mut req, "body", &c.body);
    hex_field(&mut req, "padding", &c.padding);
    let wants = c
        .packet
        .as_ref()
        .map(|p| vec![("packet", Want::Hex(p.as_bytes()))])
        .unwrap_or_default();
    let checks = vec![Check {
        op: op::ENVELOPE_ENCRYPT,
        answer: iut.call(op::ENVELOPE_ENCRYPT, &req),
        wants,
    }];
    let vector = merged(
        c,
        &g.group_type,
        &g.source,
        Some(("direction", g.direction.as_str())),
    );
    (checks, vector)
}

fn run_envelope_decrypt<'g>(
    g: &'g EnvelopeDecryptGroup,
    index: usize,
    iut: &mut dyn Iut,
) -> (Vec<Check<'g>>, Value) {
    let Some(c) = g.tests.get(index) else {
        return (Vec::new(), Value::Null);
    };
    let mut req = Fields::new();
    req.insert(
        "receiver".into(),
        Value::String(g.receiver.as_str().to_owned()),
    );
    hex_field(&mut req, "authKey", &c.auth_key);
    hex_field(&mut req, "sessionId", &c.session_id);
    hex_field(&mut req, "packet", &c.packet);
    let mut wants = Vec::new();
    if let (Some(salt), Some(msg_id), Some(seq_no), Some(body)) =
        (&c.salt, &c.msg_id, c.seq_no, &c.body)
    {
        wants.push(("salt", Want::Hex(salt.as_bytes())));
        wants.push(("sessionId", Want::Hex(c.session_id.as_bytes())));
        wants.push(("msgId", Want::Hex(msg_id.as_bytes())));
        wants.push(("seqNo", Want::Int(i64::from(seq_no))));
        wants.push(("body", Want::Hex(body.as_bytes())));
    }
    let checks = vec![Check {
        op: op::ENVELOPE_DECRYPT,
        answer: iut.call(op::ENVELOPE_DECRYPT, &req),
        wants,
    }];
    let vector = merged(
        c,
        &g.group_type,
        &g.source,
        Some(("receiver", g.receiver.as_str())),
    );
    (checks, vector)
}
