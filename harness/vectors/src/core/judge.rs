//! The one judge: how a case's expectation (`valid`, `invalid`, `acceptable`), the run's options
//! (`--acceptable`, `--strict-errors`) and what the IUT did combine into an [`Outcome`]. Every
//! family's runner describes what the IUT did as an [`Answered`] and calls [`judge`]; no runner
//! decides pass or fail on its own.
//!
//! - `Unsupported` ⇒ [`Outcome::Unsupported`]; `Broken` (crash, hang, garbage, an `ok` answer
//!   missing an output or with malformed hex) ⇒ [`Outcome::Error`]; `Differs` (a trace step whose
//!   verdict or outputs are not the expected ones) ⇒ [`Outcome::Fail`].
//! - valid: accepted with equal outputs ⇒ pass; other outputs or a rejection ⇒ fail.
//! - invalid: rejected with the expected error ⇒ pass; accepted ⇒ fail; rejected with another
//!   name (or the generic `Rejected`) ⇒ fail for the reference or with `strict_errors`, otherwise
//!   a pass whose detail says `different error: ...`.
//! - acceptable: a rejection passes; an acceptance (with equal outputs where the case gives them)
//!   passes under [`AcceptablePolicy::Pass`] and fails under [`AcceptablePolicy::Fail`].
//!
//! A case with several requests takes the worse outcome ([`combine`]: pass < unsupported < fail
//! < error), and its detail lists what went wrong with each.

use mtproto_iut::{Answer, Fields};
use serde::Serialize;
use serde_json::Value;

use super::result::{Outcome, Verdict};

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
    /// Whether another error name fails.
    pub fn strict(&self) -> bool {
        self.strict_errors || self.iut_is_reference
    }
}

/// Outputs that differ from the expected ones: [`Outcome::Fail`] for other values,
/// [`Outcome::Error`] for a missing or malformed one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mismatch {
    /// `Fail` or `Error`.
    pub outcome: Outcome,
    /// What differs.
    pub detail: String,
}

impl Mismatch {
    /// Other values.
    pub fn fail(detail: impl Into<String>) -> Self {
        Self {
            outcome: Outcome::Fail,
            detail: detail.into(),
        }
    }

    /// A missing or malformed output.
    pub fn broken(detail: impl Into<String>) -> Self {
        Self {
            outcome: Outcome::Error,
            detail: detail.into(),
        }
    }
}

/// What the IUT did with a request (or a whole trace), before the case's expectation and the
/// options are applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answered {
    /// The IUT lacks the operation (the detail names it).
    Unsupported(String),
    /// The IUT crashed, hung, answered garbage or left out an output.
    Broken(String),
    /// The IUT accepted; `Ok` when every output the case gives is equal.
    Accepted(Result<(), Mismatch>),
    /// The IUT rejected, naming `error`.
    Rejected(String),
    /// A trace: the IUT rejected exactly the steps the case rejects, but named another error for
    /// at least one (the first such name, and what differs).
    OtherNames {
        /// The first other name.
        error: String,
        /// Which steps, expected and got.
        detail: String,
    },
    /// A trace: a step's verdict or outputs are not the expected ones.
    Differs {
        /// The IUT's first error name, if it named one.
        error: Option<String>,
        /// Which step, expected and got.
        detail: String,
    },
}

/// A judged request or case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Judged {
    /// How it went.
    pub outcome: Outcome,
    /// The error the IUT named, if it rejected.
    pub error: Option<String>,
    /// What happened, for a person.
    pub detail: String,
}

impl Judged {
    fn new(outcome: Outcome, error: Option<String>, detail: impl Into<String>) -> Self {
        Self {
            outcome,
            error,
            detail: detail.into(),
        }
    }
}

/// Judge what the IUT did against what the case expects (`verdict`, and `error` for an invalid
/// case) under `opts`. This is the only place where a case passes or fails.
pub fn judge(
    verdict: Verdict,
    error: Option<&str>,
    answered: Answered,
    opts: &RunOptions,
) -> Judged {
    let want = error.unwrap_or("");
    match answered {
        Answered::Unsupported(detail) => Judged::new(Outcome::Unsupported, None, detail),
        Answered::Broken(detail) => Judged::new(Outcome::Error, None, detail),
        Answered::Differs { error, detail } => Judged::new(Outcome::Fail, error, detail),
        Answered::Accepted(outputs) => match (verdict, outputs) {
            (Verdict::Invalid, _) => Judged::new(
                Outcome::Fail,
                None,
                format!("accepted an invalid case (expected {want})"),
            ),
            (_, Err(m)) => Judged::new(m.outcome, None, m.detail),
            (Verdict::Valid, Ok(())) => Judged::new(Outcome::Pass, None, ""),
            (Verdict::Acceptable, Ok(())) => match opts.acceptable {
                AcceptablePolicy::Pass => Judged::new(Outcome::Pass, None, "accepted"),
                AcceptablePolicy::Fail => Judged::new(
                    Outcome::Fail,
                    None,
                    "accepted an acceptable case (policy: acceptable cases must be rejected)",
                ),
            },
        },
        Answered::Rejected(got) => {
            let named = Some(got.clone());
            match verdict {
                Verdict::Valid => Judged::new(
                    Outcome::Fail,
                    named,
                    format!("rejected a valid case with {got}"),
                ),
                Verdict::Acceptable => {
                    Judged::new(Outcome::Pass, named, format!("rejected with {got}"))
                }
                Verdict::Invalid if got == want => Judged::new(Outcome::Pass, named, ""),
                Verdict::Invalid if opts.strict() => Judged::new(
                    Outcome::Fail,
                    named,
                    format!("expected error {want}, got {got}"),
                ),
                Verdict::Invalid => {
                    Judged::new(Outcome::Pass, named, format!("different error: {got}"))
                }
            }
        }
        Answered::OtherNames { error, detail } => match verdict {
            Verdict::Invalid if opts.strict() => Judged::new(Outcome::Fail, Some(error), detail),
            Verdict::Invalid | Verdict::Acceptable => Judged::new(
                Outcome::Pass,
                Some(error),
                format!("different error: {detail}"),
            ),
            Verdict::Valid => Judged::new(Outcome::Fail, Some(error), detail),
        },
    }
}

fn rank(o: Outcome) -> u8 {
    match o {
        Outcome::Pass => 0,
        Outcome::Unsupported => 1,
        Outcome::Fail => 2,
        Outcome::Error => 3,
    }
}

/// The judgement of a case made of several requests: the worst outcome, the first error name,
/// and each request's detail prefixed with its op (when there is more than one).
pub fn combine(judged: Vec<(&str, Judged)>) -> Judged {
    let outcome = judged
        .iter()
        .map(|(_, j)| j.outcome)
        .max_by_key(|&o| rank(o))
        .unwrap_or(Outcome::Error);
    let error = judged.iter().find_map(|(_, j)| j.error.clone());
    let several = judged.len() > 1;
    let detail = judged
        .iter()
        .filter(|(_, j)| !j.detail.is_empty())
        .map(|(op, j)| {
            if several {
                format!("{op}: {}", j.detail)
            } else {
                j.detail.clone()
            }
        })
        .collect::<Vec<_>>()
        .join("; ");
    Judged {
        outcome,
        error,
        detail,
    }
}

/// An expected output value.
#[derive(Clone, Debug, PartialEq)]
pub enum Want<'a> {
    /// Bytes, answered as hex.
    Hex(&'a [u8]),
    /// An integer.
    Int(i64),
    /// Any JSON value, compared as is (hex strings get a hex diff).
    Json(Value),
}

/// Compare the outputs of an `ok` answer with the expected ones.
pub fn compare(fields: &Fields, wants: &[(&str, Want<'_>)]) -> Result<(), Mismatch> {
    for (name, want) in wants {
        let Some(got) = fields.get(*name) else {
            return Err(Mismatch::broken(format!("the answer has no `{name}`")));
        };
        match want {
            Want::Hex(expected) => {
                let Some(bytes) = got.as_str().and_then(|s| hex::decode(s).ok()) else {
                    return Err(Mismatch::broken(format!(
                        "`{name}` in the answer is not hex"
                    )));
                };
                if bytes != *expected {
                    return Err(Mismatch::fail(hex_diff(name, expected, &bytes)));
                }
            }
            Want::Int(expected) => {
                let Some(n) = got.as_i64() else {
                    return Err(Mismatch::broken(format!(
                        "`{name}` in the answer is not an integer"
                    )));
                };
                if n != *expected {
                    return Err(Mismatch::fail(format!(
                        "{name}: expected {expected}, got {n}"
                    )));
                }
            }
            Want::Json(expected) => {
                if got == expected {
                    continue;
                }
                let detail = match (expected.as_str(), got.as_str()) {
                    (Some(e), Some(g)) => match (hex::decode(e), hex::decode(g)) {
                        (Ok(e), Ok(g)) => hex_diff(name, &e, &g),
                        _ => format!("{name}: expected {expected}, got {got}"),
                    },
                    _ => format!("{name}: expected {expected}, got {got}"),
                };
                return Err(Mismatch::fail(detail));
            }
        }
    }
    Ok(())
}

/// What the IUT did with one request whose `ok` answer is checked by `outputs`.
pub fn answered(
    answer: Answer,
    op: &str,
    outputs: impl FnOnce(&Fields) -> Result<(), Mismatch>,
) -> Answered {
    match answer {
        Answer::Unsupported => Answered::Unsupported(format!("the IUT does not support {op}")),
        Answer::Error(m) => Answered::Broken(m),
        Answer::Rejected { error } => Answered::Rejected(error),
        Answer::Ok(fields) => Answered::Accepted(outputs(&fields)),
    }
}

/// Judge one request: its answer, the outputs a valid answer must carry, the case's expectation.
pub fn judge_request(
    answer: Answer,
    op: &str,
    wants: &[(&str, Want<'_>)],
    (verdict, error): (Verdict, Option<&str>),
    opts: &RunOptions,
) -> Judged {
    judge(
        verdict,
        error,
        answered(answer, op, |f| compare(f, wants)),
        opts,
    )
}

/// Compare a trace's per-step results with each step's expected result (JSON objects). Steps
/// that differ only in their `error` field give [`Answered::OtherNames`]; any other difference
/// [`Answered::Differs`]; no difference an acceptance (`rejects` false) or a rejection naming the
/// case's `error` (`rejects` true: the case expects a rejected step).
pub fn trace_steps(
    results: &[Value],
    steps: &[(&str, Value)],
    case_error: Option<&str>,
) -> Answered {
    if results.len() != steps.len() {
        return Answered::Broken(format!(
            "{} results for {} steps",
            results.len(),
            steps.len()
        ));
    }
    let mut other: Option<(String, Vec<String>)> = None;
    for (i, (got, (op, want))) in results.iter().zip(steps).enumerate() {
        if got == want {
            continue;
        }
        let strip = |v: &Value| {
            let mut v = v.clone();
            if let Value::Object(m) = &mut v {
                m.remove("error");
            }
            v
        };
        let named = got.get("error").and_then(Value::as_str).map(str::to_owned);
        let name_only = want.get("error").is_some() && named.is_some() && strip(got) == strip(want);
        let detail = format!("step {i} ({op}): expected {want}, got {got}");
        match (name_only, named) {
            (true, Some(name)) => {
                let entry = other.get_or_insert_with(|| (name, Vec::new()));
                entry.1.push(detail);
            }
            (_, named) => {
                let error = other.map(|(e, _)| e).or(named);
                return Answered::Differs { error, detail };
            }
        }
    }
    match (other, case_error) {
        (Some((error, details)), _) => Answered::OtherNames {
            error,
            detail: details.join("; "),
        },
        (None, Some(e)) => Answered::Rejected(e.to_owned()),
        (None, None) => Answered::Accepted(Ok(())),
    }
}

/// What the IUT did with a trace request answered with a `results` array (one per step).
pub fn trace_answer(
    answer: Answer,
    op: &str,
    steps: &[(&str, Value)],
    case_error: Option<&str>,
) -> Answered {
    match answer {
        Answer::Unsupported => Answered::Unsupported(format!("the IUT does not support {op}")),
        Answer::Error(m) => Answered::Broken(m),
        Answer::Rejected { error } => Answered::Differs {
            detail: format!("rejected the whole trace with {error}; a trace answers per step"),
            error: Some(error),
        },
        Answer::Ok(f) => match f.get("results").and_then(Value::as_array) {
            None => Answered::Broken("the answer has no `results` array".into()),
            Some(results) => trace_steps(results, steps, case_error),
        },
    }
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

/// The case as in the file with the group's `type`, `source` and other fields merged in: the
/// `vector` of a [`CaseResult`](super::result::CaseResult).
pub fn merged<T: Serialize>(
    case: &T,
    group_type: &str,
    source: &impl Serialize,
    extra: &[(&str, Value)],
) -> Value {
    let mut v = serde_json::to_value(case).unwrap_or(Value::Null);
    if let Value::Object(m) = &mut v {
        m.insert("type".into(), Value::String(group_type.to_owned()));
        if let Ok(s) = serde_json::to_value(source) {
            m.insert("source".into(), s);
        }
        for (k, x) in extra {
            m.insert((*k).to_owned(), x.clone());
        }
    }
    v
}

/// What a family's runner gives back for one case: the judgement and the case as a JSON value.
#[derive(Clone, Debug, PartialEq)]
pub struct Ran {
    /// The judgement.
    pub judged: Judged,
    /// The case as in the file, group fields merged in ([`merged`]).
    pub vector: Value,
}
