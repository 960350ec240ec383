//! The `session` family, `MsgIdTraceTest`: msg_id / seq_no / salt / container traces through a session receiver
//! (spec §3.1 R6–R12, §3.2, §3.3, §10.2 attack 1): the group and case types, the loader's checks,
//! the runner and the generator of `vectors/session/`.
//!
//! A case is a trace: the runner opens a receiver (`session.open`), feeds every step in order
//! (`session.feed`) and compares each step's verdict with its `expect`, then closes it. The first
//! step that differs fails the case (the receivers' states have diverged, later verdicts would
//! mean nothing). A case is `valid` when every step is accepted, otherwise `invalid` with the
//! error of its first rejected step.
//!
//! Judging a step: `accept` must be accepted; `ignore` must be ignored (dropped with no answer)
//! with the expected error name — another name fails for the reference and under
//! `--strict-errors`, and otherwise passes with a `different error` note; `badMsg` must be
//! answered with exactly that `bad_msg_notification` code (the name is not compared).

use mtproto_iut::{Answer, Fields, Iut, op};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::core::family::{Family, GroupType};
use crate::core::file::{CaseGroup, CaseHeader, Hex, ReceiverName, Source};
use crate::core::generate::{GenerateError, Suite};
use crate::core::judge::{Answered, Ran, RunOptions, judge};
use crate::core::load::{LoadError, Part, err};
use crate::core::result::Verdict;
use crate::core::vocabulary;

/// The `session` family.
#[derive(Clone, Copy, Debug)]
pub struct Session;

impl CaseGroup for MsgIdTraceGroup {
    fn type_name(&self) -> &'static str {
        "MsgIdTraceTest"
    }
    fn source(&self) -> &Source {
        &self.source
    }
    fn headers(&self) -> Vec<CaseHeader<'_>> {
        self.tests.iter().map(|t| crate::header_of!(t)).collect()
    }
}

impl Family for Session {
    type Group = MsgIdTraceGroup;

    const GROUP_TYPES: &'static [GroupType] = &[GroupType {
        name: "MsgIdTraceTest",
        family: "session",
        schema: "msg_id_trace_test_schema_v1.json",
        errors: None,
    }];

    fn parse(part: &Part<'_>, _group_type: &str) -> Result<MsgIdTraceGroup, LoadError> {
        part.parse()
    }

    fn check(file: &str, g: usize, group: &MsgIdTraceGroup) -> Result<(), LoadError> {
        check_group(file, g, group)
    }

    fn run(
        group: &MsgIdTraceGroup,
        index: usize,
        iut: &mut dyn Iut,
        opts: &RunOptions,
    ) -> Option<Ran> {
        run_case(group, index, iut, opts)
    }

    fn generate() -> Result<Vec<Suite<MsgIdTraceGroup>>, GenerateError> {
        gen_::suites()
    }
}

/// The `bad_msg_notification` codes a server step may expect (spec §3.3; 48 is `bad_server_salt`).
pub const BAD_MSG_CODES: &[i32] = &[16, 17, 18, 19, 20, 32, 33, 34, 35, 48, 64];

/// What a step expects the receiver to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum StepVerdict {
    /// Accepted and remembered.
    Accept,
    /// Dropped with no answer (`error` says why).
    Ignore,
    /// Answered with `bad_msg_notification` (or `bad_server_salt`) carrying `code`.
    BadMsg,
}

/// A step's `expect`: `{"verdict":"accept"}`, `{"verdict":"ignore","error":E}` or
/// `{"verdict":"badMsg","code":N}`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Expect {
    /// The verdict.
    pub verdict: StepVerdict,
    /// The error of an `ignore`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The code of a `badMsg`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<i32>,
}

impl Expect {
    /// `accept`.
    pub fn accept() -> Self {
        Self {
            verdict: StepVerdict::Accept,
            error: None,
            code: None,
        }
    }

    /// `ignore` with `error`.
    pub fn ignore(error: &str) -> Self {
        Self {
            verdict: StepVerdict::Ignore,
            error: Some(error.to_owned()),
            code: None,
        }
    }

    /// `badMsg` with `code`.
    pub fn bad_msg(code: i32) -> Self {
        Self {
            verdict: StepVerdict::BadMsg,
            error: None,
            code: Some(code),
        }
    }

    fn describe(&self) -> String {
        match (self.verdict, &self.error, self.code) {
            (StepVerdict::Accept, ..) => "accept".into(),
            (StepVerdict::Ignore, Some(e), _) => format!("ignore {e}"),
            (StepVerdict::Ignore, None, _) => "ignore".into(),
            (StepVerdict::BadMsg, _, Some(c)) => format!("badMsg {c}"),
            (StepVerdict::BadMsg, _, None) => "badMsg".into(),
        }
    }
}

/// A message inside a container step.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InnerStep {
    /// 8 bytes.
    pub msg_id: Hex,
    /// `seqno`.
    pub seq_no: i32,
    /// Whether the body is content-related.
    pub content_related: bool,
    /// Present when this nested message is itself a container (R12 forbids it); its own
    /// messages, never judged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container: Option<Vec<InnerStep>>,
    /// The verdict on this message, present exactly when the container is accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect: Option<Expect>,
}

/// One message delivered to the receiver.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Step {
    /// The receiver's time, unix seconds (a synced client's corrected time).
    pub now: i64,
    /// 8 bytes.
    pub msg_id: Hex,
    /// `seq_no`.
    pub seq_no: i32,
    /// Whether the body is content-related (a container never is).
    pub content_related: bool,
    /// 8 bytes: the message's salt (server groups, required there).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub salt: Option<Hex>,
    /// 8 bytes: the message's session_id when it is not the case's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<Hex>,
    /// Present when the message is a `msg_container`: the messages it holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container: Option<Vec<InnerStep>>,
    /// The verdict.
    pub expect: Expect,
}

/// A `MsgIdTraceTest` case.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MsgIdTraceCase {
    /// The case id, unique in its file.
    pub tc_id: u64,
    /// What the case is about.
    pub comment: String,
    /// Flags, each a key of the file's `notes`.
    pub flags: Vec<String>,
    /// 8 bytes: the receiver's session.
    pub session_id: Hex,
    /// The messages, in delivery order.
    pub steps: Vec<Step>,
    /// `valid` when every step is accepted, else `invalid`.
    pub result: Verdict,
    /// The error of the first rejected step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A server salt of the group: accepted when `validSince ≤ now < validUntil`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SaltEntry {
    /// 8 bytes.
    pub salt: Hex,
    /// Unix seconds.
    pub valid_since: i64,
    /// Unix seconds.
    pub valid_until: i64,
}

/// A group of `MsgIdTraceTest` cases.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MsgIdTraceGroup {
    /// `MsgIdTraceTest`.
    #[serde(rename = "type")]
    pub group_type: String,
    /// `client` (receives server messages) or `server`.
    pub receiver: ReceiverName,
    /// N, the replay window (default 1000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window_size: Option<u64>,
    /// Client groups: whether the clock is synchronised (the time window applies).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clock_synced: Option<bool>,
    /// Server groups: the salts accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub salts: Option<Vec<SaltEntry>>,
    /// Where the numbers come from.
    pub source: Source,
    /// The cases.
    pub tests: Vec<MsgIdTraceCase>,
}

// ---------------------------------------------------------------------------------------------
// Loader checks

fn check_id(file: &str, at: &str, field: &str, v: &Hex) -> Result<(), LoadError> {
    if v.len() == 8 {
        Ok(())
    } else {
        Err(err(
            file,
            format!("{at}.{field}"),
            format!("expected 8 bytes, got {}", v.len()),
        ))
    }
}

fn check_expect(file: &str, at: &str, e: &Expect, receiver: ReceiverName) -> Result<(), LoadError> {
    let at = format!("{at}.expect");
    match (e.verdict, &e.error, e.code) {
        (StepVerdict::Accept, None, None) => Ok(()),
        (StepVerdict::Accept, ..) => Err(err(file, at, "an accept carries no error or code")),
        (StepVerdict::Ignore, Some(name), None) if vocabulary::is_error(name) => Ok(()),
        (StepVerdict::Ignore, Some(name), None) => Err(err(
            file,
            format!("{at}.error"),
            format!("unknown error name {name:?}"),
        )),
        (StepVerdict::Ignore, ..) => Err(err(file, at, "an ignore carries an error and no code")),
        (StepVerdict::BadMsg, None, Some(code)) if receiver == ReceiverName::Server => {
            if BAD_MSG_CODES.contains(&code) {
                Ok(())
            } else {
                Err(err(
                    file,
                    format!("{at}.code"),
                    format!("{code} is not a bad_msg_notification code of spec §3.3"),
                ))
            }
        }
        (StepVerdict::BadMsg, None, Some(_)) => Err(err(
            file,
            at,
            "a client never answers bad_msg_notification: use ignore",
        )),
        (StepVerdict::BadMsg, ..) => Err(err(file, at, "a badMsg carries a code and no error")),
    }
}

fn check_inner(
    file: &str,
    at: &str,
    inner: &[InnerStep],
    judged: bool,
    receiver: ReceiverName,
) -> Result<(), LoadError> {
    for (k, m) in inner.iter().enumerate() {
        let at = format!("{at}.container[{k}]");
        check_id(file, &at, "msgId", &m.msg_id)?;
        match (&m.expect, judged) {
            (Some(e), true) => check_expect(file, &at, e, receiver)?,
            (None, false) => {}
            (Some(_), false) => {
                return Err(err(
                    file,
                    format!("{at}.expect"),
                    "a message of a rejected (or nested) container is never judged",
                ));
            }
            (None, true) => {
                return Err(err(
                    file,
                    format!("{at}.expect"),
                    "missing: the container is accepted, so each message it holds is judged",
                ));
            }
        }
        if let Some(nested) = &m.container {
            check_inner(file, &at, nested, false, receiver)?;
        }
    }
    Ok(())
}

/// The first rejection of a step list, as a case-level error name.
fn first_rejection(steps: &[Step]) -> Option<String> {
    let of = |e: &Expect| match e.verdict {
        StepVerdict::Accept => None,
        StepVerdict::Ignore => e.error.clone(),
        StepVerdict::BadMsg => e.code.map(code_name).map(str::to_owned),
    };
    steps.iter().find_map(|s| {
        of(&s.expect).or_else(|| {
            s.container
                .iter()
                .flatten()
                .find_map(|m| m.expect.as_ref().and_then(of))
        })
    })
}

/// The error name a `bad_msg_notification` code stands for in a case's `error` (64 has several
/// finer names in the reference; the case names the code's family).
pub fn code_name(code: i32) -> &'static str {
    match code {
        16 => "TimeTooFarPast",
        17 => "TimeTooFarFuture",
        18 => "MsgIdParity",
        19 => "ContainerMsgIdReused",
        20 => "TooOld",
        32 => "SeqNoTooLow",
        33 => "SeqNoTooHigh",
        34 => "SeqNoShouldBeEven",
        35 => "SeqNoShouldBeOdd",
        48 => "BadServerSalt",
        _ => "InvalidContainer",
    }
}

/// The loader's checks of a `MsgIdTraceTest` group (index `g` in `file`).
fn check_group(file: &str, g: usize, group: &MsgIdTraceGroup) -> Result<(), LoadError> {
    let gat = format!("testGroups[{g}]");
    match group.receiver {
        ReceiverName::Client => {
            if group.clock_synced.is_none() {
                return Err(err(
                    file,
                    format!("{gat}.clockSynced"),
                    "missing: a client group says whether its clock is synchronised",
                ));
            }
            if group.salts.is_some() {
                return Err(err(
                    file,
                    format!("{gat}.salts"),
                    "a client accepts any salt (R11): salts belong to server groups",
                ));
            }
        }
        ReceiverName::Server => {
            if group.clock_synced.is_some() {
                return Err(err(
                    file,
                    format!("{gat}.clockSynced"),
                    "a server always checks the time: clockSynced belongs to client groups",
                ));
            }
            if group.salts.is_none() {
                return Err(err(
                    file,
                    format!("{gat}.salts"),
                    "missing: a server group lists the salts it accepts",
                ));
            }
        }
    }
    if group.window_size == Some(0) {
        return Err(err(file, format!("{gat}.windowSize"), "must be at least 1"));
    }
    for (k, s) in group.salts.iter().flatten().enumerate() {
        check_id(file, &format!("{gat}.salts[{k}]"), "salt", &s.salt)?;
    }
    for (t, case) in group.tests.iter().enumerate() {
        let at = format!("{gat}.tests[{t}]");
        check_id(file, &at, "sessionId", &case.session_id)?;
        if case.steps.is_empty() {
            return Err(err(
                file,
                format!("{at}.steps"),
                "a trace has at least one step",
            ));
        }
        for (i, step) in case.steps.iter().enumerate() {
            let sat = format!("{at}.steps[{i}]");
            check_id(file, &sat, "msgId", &step.msg_id)?;
            if let Some(s) = &step.session_id {
                check_id(file, &sat, "sessionId", s)?;
            }
            match (&step.salt, group.receiver) {
                (Some(s), ReceiverName::Server) => check_id(file, &sat, "salt", s)?,
                (None, ReceiverName::Server) => {
                    return Err(err(
                        file,
                        format!("{sat}.salt"),
                        "missing: a server step carries its salt",
                    ));
                }
                (Some(_), ReceiverName::Client) => {
                    return Err(err(
                        file,
                        format!("{sat}.salt"),
                        "a client step has no salt to check (R11)",
                    ));
                }
                (None, ReceiverName::Client) => {}
            }
            check_expect(file, &sat, &step.expect, group.receiver)?;
            if let Some(inner) = &step.container {
                let judged = step.expect.verdict == StepVerdict::Accept;
                check_inner(file, &sat, inner, judged, group.receiver)?;
            }
        }
        let want = first_rejection(&case.steps);
        let (result_ok, why) = match (&want, case.result) {
            (None, Verdict::Valid) | (Some(_), Verdict::Invalid) => (true, ""),
            (None, _) => (false, "every step is accepted: the case is valid"),
            (Some(_), _) => (false, "a step is rejected: the case is invalid"),
        };
        if !result_ok {
            return Err(err(file, format!("{at}.result"), why));
        }
        if case.result == Verdict::Invalid && case.error != want {
            return Err(err(
                file,
                format!("{at}.error"),
                format!(
                    "expected {:?}, the error of the first rejected step",
                    want.unwrap_or_default()
                ),
            ));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Requests

fn put_hex(f: &mut Fields, name: &str, v: &Hex) {
    f.insert(name.to_owned(), Value::String(v.to_hex()));
}

/// The `session.open` request of a group's case.
pub fn open_request(group: &MsgIdTraceGroup, case: &MsgIdTraceCase) -> Fields {
    let mut f = Fields::new();
    f.insert("receiver".into(), Value::from(group.receiver.as_str()));
    put_hex(&mut f, "sessionId", &case.session_id);
    if let Some(n) = group.window_size {
        f.insert("windowSize".into(), Value::from(n));
    }
    if let Some(s) = group.clock_synced {
        f.insert("clockSynced".into(), Value::from(s));
    }
    if let Some(salts) = &group.salts {
        let list = salts
            .iter()
            .map(|s| {
                let mut m = Fields::new();
                put_hex(&mut m, "salt", &s.salt);
                m.insert("validSince".into(), Value::from(s.valid_since));
                m.insert("validUntil".into(), Value::from(s.valid_until));
                Value::Object(m)
            })
            .collect();
        f.insert("salts".into(), Value::Array(list));
    }
    f
}

fn inner_request(inner: &[InnerStep]) -> Value {
    Value::Array(
        inner
            .iter()
            .map(|m| {
                let mut f = Fields::new();
                put_hex(&mut f, "msgId", &m.msg_id);
                f.insert("seqNo".into(), Value::from(m.seq_no));
                f.insert("contentRelated".into(), Value::from(m.content_related));
                if let Some(nested) = &m.container {
                    f.insert("container".into(), inner_request(nested));
                }
                Value::Object(f)
            })
            .collect(),
    )
}

/// The `session.feed` request of a step (without the handle).
pub fn feed_request(case_session: &Hex, step: &Step) -> Fields {
    let mut f = Fields::new();
    f.insert("now".into(), Value::from(step.now));
    put_hex(&mut f, "msgId", &step.msg_id);
    f.insert("seqNo".into(), Value::from(step.seq_no));
    f.insert("contentRelated".into(), Value::from(step.content_related));
    put_hex(
        &mut f,
        "sessionId",
        step.session_id.as_ref().unwrap_or(case_session),
    );
    if let Some(s) = &step.salt {
        put_hex(&mut f, "salt", s);
    }
    if let Some(inner) = &step.container {
        f.insert("container".into(), inner_request(inner));
    }
    f
}

/// Read a verdict object from an answer; `Err` says what is malformed.
pub fn read_verdict(v: &Fields) -> Result<Expect, String> {
    let verdict = match v.get("verdict").and_then(Value::as_str) {
        Some("accept") => StepVerdict::Accept,
        Some("ignore") => StepVerdict::Ignore,
        Some("badMsg") => StepVerdict::BadMsg,
        other => return Err(format!("`verdict` is {other:?}, not accept/ignore/badMsg")),
    };
    let error = v.get("error").and_then(Value::as_str).map(str::to_owned);
    let code = match v.get("code") {
        None => None,
        Some(c) => Some(
            c.as_i64()
                .and_then(|c| i32::try_from(c).ok())
                .ok_or("`code` is not an integer")?,
        ),
    };
    if verdict == StepVerdict::BadMsg && code.is_none() {
        return Err("a badMsg answer without `code`".into());
    }
    Ok(Expect {
        verdict,
        error: if verdict == StepVerdict::Accept {
            None
        } else {
            error
        },
        code: if verdict == StepVerdict::BadMsg {
            code
        } else {
            None
        },
    })
}

/// A `session.feed` answer: the step's verdict and, for an accepted container, each nested one.
pub fn read_feed(fields: &Fields) -> Result<(Expect, Option<Vec<Expect>>), String> {
    let top = read_verdict(fields)?;
    let inner = match fields.get("inner") {
        None => None,
        Some(Value::Array(list)) => Some(
            list.iter()
                .enumerate()
                .map(|(k, v)| match v {
                    Value::Object(m) => read_verdict(m).map_err(|e| format!("inner[{k}]: {e}")),
                    _ => Err(format!("inner[{k}]: not an object")),
                })
                .collect::<Result<Vec<_>, _>>()?,
        ),
        Some(_) => return Err("`inner` is not an array".into()),
    };
    Ok((top, inner))
}

// ---------------------------------------------------------------------------------------------
// Runner

/// How one step compares.
enum StepMatch {
    Same,
    /// Same verdict, another error name.
    OtherName(String),
    Differs(String),
}

fn compare(want: &Expect, got: &Expect) -> StepMatch {
    if want.verdict != got.verdict {
        return StepMatch::Differs(format!(
            "expected {}, got {}",
            want.describe(),
            got.describe()
        ));
    }
    match want.verdict {
        StepVerdict::Accept => StepMatch::Same,
        StepVerdict::BadMsg if want.code == got.code => StepMatch::Same,
        StepVerdict::BadMsg => StepMatch::Differs(format!(
            "expected {}, got {}",
            want.describe(),
            got.describe()
        )),
        StepVerdict::Ignore if want.error == got.error => StepMatch::Same,
        StepVerdict::Ignore => StepMatch::OtherName(format!(
            "expected {}, got {}",
            want.describe(),
            got.describe()
        )),
    }
}

/// Run case `index` of `group` against `iut` (the loader has checked the file).
fn run_case(
    group: &MsgIdTraceGroup,
    index: usize,
    iut: &mut dyn Iut,
    opts: &RunOptions,
) -> Option<Ran> {
    let case = group.tests.get(index)?;
    let answered = run_trace(group, case, iut);
    let judged = judge(case.result, case.error.as_deref(), answered, opts);
    let mut vector = serde_json::to_value(case).unwrap_or(Value::Null);
    if let Value::Object(m) = &mut vector {
        m.insert("type".into(), Value::from(group.group_type.clone()));
        m.insert("receiver".into(), Value::from(group.receiver.as_str()));
        if let Some(n) = group.window_size {
            m.insert("windowSize".into(), Value::from(n));
        }
        if let Some(s) = group.clock_synced {
            m.insert("clockSynced".into(), Value::from(s));
        }
        if let Some(s) = &group.salts {
            m.insert(
                "salts".into(),
                serde_json::to_value(s).unwrap_or(Value::Null),
            );
        }
        m.insert(
            "source".into(),
            serde_json::to_value(&group.source).unwrap_or(Value::Null),
        );
    }
    Some(Ran { judged, vector })
}

/// Feed a whole trace and say what the IUT did, for the judge: every step the same
/// (an acceptance, or the case's rejection), only other error names for `ignore` steps
/// ([`Answered::OtherNames`], which `--strict-errors` decides), or the first step that differs
/// ([`Answered::Differs`]: the receivers' states have diverged, later verdicts would mean
/// nothing).
pub fn run_trace(group: &MsgIdTraceGroup, case: &MsgIdTraceCase, iut: &mut dyn Iut) -> Answered {
    let handle = match iut.call(op::SESSION_OPEN, &open_request(group, case)) {
        Answer::Ok(f) => match f.get("handle") {
            Some(h) => h.clone(),
            None => return Answered::Broken("session.open answered no `handle`".into()),
        },
        Answer::Unsupported => {
            return Answered::Unsupported("the IUT does not support session.open".into());
        }
        Answer::Rejected { error } => {
            return Answered::Broken(format!(
                "session.open rejected the receiver settings: {error}"
            ));
        }
        Answer::Error(m) => return Answered::Broken(m),
    };
    let mut first_error: Option<String> = None;
    let mut other_names: Vec<String> = Vec::new();
    let mut stopped: Option<Answered> = None;
    'steps: for (i, step) in case.steps.iter().enumerate() {
        let mut req = feed_request(&case.session_id, step);
        req.insert("handle".into(), handle.clone());
        let at = format!("step {i} (msgId {})", step.msg_id.to_hex());
        let (got, inner) = match iut.call(op::SESSION_FEED, &req) {
            Answer::Ok(f) => match read_feed(&f) {
                Ok(v) => v,
                Err(e) => {
                    stopped = Some(Answered::Broken(format!("{at}: {e}")));
                    break;
                }
            },
            Answer::Unsupported => {
                stopped = Some(Answered::Unsupported(
                    "the IUT does not support session.feed".into(),
                ));
                break;
            }
            Answer::Rejected { error } => {
                stopped = Some(Answered::Broken(format!(
                    "{at}: session.feed answered a rejection ({error}) instead of a verdict"
                )));
                break;
            }
            Answer::Error(m) => {
                stopped = Some(Answered::Broken(format!("{at}: {m}")));
                break;
            }
        };
        let mut judged = vec![(at.clone(), &step.expect, got)];
        match (&step.container, inner) {
            (Some(list), Some(got_inner)) if step.expect.verdict == StepVerdict::Accept => {
                if got_inner.len() != list.len() {
                    stopped = Some(Answered::Broken(format!(
                        "{at}: {} verdicts for {} nested messages",
                        got_inner.len(),
                        list.len()
                    )));
                    break;
                }
                for (k, (m, g)) in list.iter().zip(got_inner).enumerate() {
                    if let Some(want) = &m.expect {
                        judged.push((format!("{at} nested message {k}"), want, g));
                    }
                }
            }
            // The top verdict decides first: if it was accepted, the nested ones are missing.
            (Some(_), None)
                if step.expect.verdict == StepVerdict::Accept
                    && judged
                        .first()
                        .is_some_and(|(_, _, g)| g.verdict == StepVerdict::Accept) =>
            {
                stopped = Some(Answered::Broken(format!(
                    "{at}: an accepted container without `inner` verdicts"
                )));
                break;
            }
            _ => {}
        }
        for (where_, want, got) in judged {
            if first_error.is_none() && got.verdict != StepVerdict::Accept {
                first_error = got
                    .error
                    .clone()
                    .or_else(|| got.code.map(|c| code_name(c).to_owned()));
            }
            match compare(want, &got) {
                StepMatch::Same => {}
                StepMatch::OtherName(d) => other_names.push(format!("{where_}: {d}")),
                StepMatch::Differs(d) => {
                    stopped = Some(Answered::Differs {
                        error: first_error.clone(),
                        detail: format!("{where_}: {d}"),
                    });
                    break 'steps;
                }
            }
        }
    }
    let mut close = Fields::new();
    close.insert("handle".into(), handle);
    if let Answer::Error(m) = iut.call(op::SESSION_CLOSE, &close)
        && stopped.is_none()
    {
        stopped = Some(Answered::Broken(format!("session.close: {m}")));
    }
    stopped.unwrap_or_else(|| match (other_names.is_empty(), &case.error) {
        (false, _) => Answered::OtherNames {
            error: first_error.unwrap_or_default(),
            detail: other_names.join("; "),
        },
        (true, Some(e)) => Answered::Rejected(e.clone()),
        (true, None) => Answered::Accepted(Ok(())),
    })
}

// ---------------------------------------------------------------------------------------------
// Generator

mod gen_ {
    use mtproto_iut::{Answer, Fields, Iut, ReferenceIut, op};
    use serde_json::Value;

    use super::{
        Expect, InnerStep, MsgIdTraceCase, MsgIdTraceGroup, SaltEntry, Step, StepMatch,
        StepVerdict, compare, feed_request, first_rejection, open_request, read_feed,
    };
    use crate::core::file::{File, Hex, ReceiverName, Source};
    use crate::core::generate::{Builder, Drbg, Flag, GenerateError, Suite as SuiteFile, gen_err};
    use crate::core::result::Verdict;

    /// Unix time the traces are set around (2023-11-14).
    const T0: i64 = 1_700_000_000;
    const SESSION: i64 = 0x5e55_1011_d00d_f00d;
    const OTHER_SESSION: i64 = 0x5e55_1011_d00d_f00e;
    const SALT_A: i64 = 0x0a0a_0a0a_5a17_0001;
    const SALT_B: i64 = 0x0b0b_0b0b_5a17_0002;
    const SALT_C: i64 = 0x0c0c_0c0c_5a17_0003;
    const WRONG_SALT: i64 = 0x0bad_0bad_5a17_0004;

    const SEC: &str = "https://core.telegram.org/mtproto/security_guidelines";
    const DESC: &str = "https://core.telegram.org/mtproto/description";
    const SSM: &str = "https://core.telegram.org/mtproto/service_messages_about_messages";
    const SM: &str = "https://core.telegram.org/mtproto/service_messages";
    const AMPS: &str = "https://eprint.iacr.org/2023/469";

    /// Every flag of the session suites: (name, bugType, description, links).
    const FLAGS: &[Flag] = &[
        (
            "InOrder",
            "FUNCTIONALITY",
            "Messages delivered once each, in order: all accepted.",
            &[SEC],
        ),
        (
            "MsgIdParity",
            "MISSING_STEP",
            "A msg_id with the wrong low bits for its sender (spec §3.1 R7): a client must ignore a server msg_id that is not odd; a server answers code 18 to a client msg_id not divisible by 4.",
            &[SEC, SSM],
        ),
        (
            "Duplicate",
            "MISSING_STEP",
            "The same msg_id delivered twice (spec §3.1 R8): the second copy is ignored on both sides.",
            &[SEC],
        ),
        (
            "ReplayOlderInWindow",
            "MISSING_STEP",
            "A replay of a msg_id that is stored but not the newest. A receiver that keeps only the newest msg_id accepts it.",
            &[SEC],
        ),
        (
            "ReplayAfterReorder",
            "MISSING_STEP",
            "After an out-of-order message, a replay of the newest msg_id. A receiver whose \"highest seen\" moves backwards to the out-of-order id takes the replay for a new message.",
            &[SEC],
        ),
        (
            "OutOfOrderDelivery",
            "FUNCTIONALITY",
            "A new msg_id lower than one already received but inside the window is not a replay: a client accepts it (spec §3.1 R8); a server accepts it only where seq_nos allow (acks).",
            &[SEC, SSM],
        ),
        (
            "TooOldSmallWindow",
            "MISSING_STEP",
            "With a small window (windowSize), a msg_id lower than every stored one of the full window, including the replay of an id the window has forgotten (spec §3.1 R8: TooOld, server code 20). A receiver that skips the rule, or applies it only once a larger buffer fills, accepts the replay.",
            &[SEC, SSM],
        ),
        (
            "WindowNotFull",
            "EDGE_CASE",
            "Before N msg_ids are stored nothing has been forgotten: a lower new msg_id is accepted (TooOld applies to a full window only: vectors/README.md, Session traces).",
            &[SEC],
        ),
        (
            "TimeTooFarPast",
            "MISSING_STEP",
            "msg_id time more than 300 s before now (spec §3.1 R9; server code 16).",
            &[SEC, SSM],
        ),
        (
            "TimeTooFarFuture",
            "MISSING_STEP",
            "msg_id time more than 30 s after now (spec §3.1 R9; server code 17).",
            &[SEC, SSM],
        ),
        (
            "TimeWindowBoundary",
            "EDGE_CASE",
            "msg_ids exactly at, and 1/2^32 s beyond, the -300 s / +30 s limits.",
            &[SEC],
        ),
        (
            "UnsyncedClock",
            "EDGE_CASE",
            "A client whose clock is not synchronised with the server's does not apply the time window (spec §3.1 R9: \"only if its clock is synchronized\"); the other checks still apply.",
            &[SEC],
        ),
        (
            "SessionIdMismatch",
            "MISSING_STEP",
            "A message for another session (spec §3.1 R6).",
            &[SEC],
        ),
        (
            "RejectedNotRemembered",
            "EDGE_CASE",
            "A rejected msg_id is not remembered (vectors/README.md, Session traces): the same msg_id delivered correctly later is accepted.",
            &[SEC],
        ),
        (
            "CheckOrder",
            "EDGE_CASE",
            "A message breaking several rules is named by the first in the check order of vectors/README.md (Session traces): MsgIdParity, TimeTooFarPast/Future, Duplicate, TooOld, then seq_no, then salt.",
            &[SEC],
        ),
        (
            "SeqNoTooLow",
            "MISSING_STEP",
            "Server code 32: a seq_no the session has already counted.",
            &[SSM],
        ),
        (
            "SeqNoTooHigh",
            "MISSING_STEP",
            "Server code 33: a seq_no beyond the session's next one (a message is missing).",
            &[SSM],
        ),
        (
            "ReorderingAttack",
            "MISSING_STEP",
            "Albrecht et al.'s reordering attack (spec §10.2 attack 1): two client messages delivered in the opposite order, or a lower msg_id whose seq_no is higher than a received message's. The server must refuse the out-of-order one (code 33), not accept both.",
            &[AMPS, SSM],
        ),
        (
            "SeqNoParity",
            "MISSING_STEP",
            "seq_no odd exactly for content-related messages: code 34 (even expected) and 35 (odd expected).",
            &[DESC, SSM],
        ),
        (
            "BadServerSalt",
            "MISSING_STEP",
            "A salt the server does not accept now: bad_server_salt (code 48, spec §3.1 R11).",
            &[DESC, SSM],
        ),
        (
            "SaltOverlap",
            "EDGE_CASE",
            "Two salts valid at once: both accepted during the overlap (spec §3.2).",
            &[DESC, SM],
        ),
        (
            "SaltRotation",
            "EDGE_CASE",
            "A salt at validUntil is refused and one before validSince too; the next salt takes over (spec §3.2).",
            &[DESC, SM],
        ),
        (
            "ContainerValid",
            "FUNCTIONALITY",
            "A msg_container whose nested messages have lower msg_ids: the container and each nested message accepted (spec §3.1 R12).",
            &[DESC, SM],
        ),
        (
            "ContainerMsgIdReused",
            "MISSING_STEP",
            "Server code 19: a container whose msg_id is that of a message already received.",
            &[SSM],
        ),
        (
            "ContainerContentRelated",
            "MISSING_STEP",
            "A container with an odd seq_no: containers are not content-related (code 34).",
            &[DESC],
        ),
        (
            "ContainerNested",
            "MISSING_STEP",
            "A container inside a container (spec §3.1 R12; server code 64).",
            &[DESC, SM],
        ),
        (
            "ContainerTooLarge",
            "MISSING_STEP",
            "1025 messages in a container; at most 1024 are allowed (server code 64).",
            &[SM],
        ),
        (
            "ContainerMaxSize",
            "EDGE_CASE",
            "Exactly 1024 messages in a container: accepted.",
            &[SM],
        ),
        (
            "ContainerMsgIdNotGreatest",
            "MISSING_STEP",
            "A nested msg_id not lower than the container's (spec §3.1 R12; server code 64).",
            &[DESC],
        ),
        (
            "ContainerSeqNoBelowInner",
            "MISSING_STEP",
            "A container seq_no lower than a nested one's (spec §3.1 R12; server code 64).",
            &[DESC],
        ),
        (
            "Pseudorandom",
            "FUNCTIONALITY",
            "A trace drawn from the generator's DRBG (deliveries, replays, reorderings, clock skew, salt changes) with verdicts computed by this project's reference: a regression pin, not independent evidence.",
            &[],
        ),
    ];

    fn hex8(v: i64) -> Hex {
        Hex(v.to_le_bytes().to_vec())
    }

    /// A client-received (server) msg_id: time `T0 + t`, odd.
    fn c(t: i64, k: i64) -> i64 {
        ((T0 + t) << 32) | (k * 4 + 1)
    }

    /// A server-received (client) msg_id: time `T0 + t`, divisible by 4.
    fn s(t: i64, k: i64) -> i64 {
        ((T0 + t) << 32) | (k * 4)
    }

    fn acc() -> Expect {
        Expect::accept()
    }

    fn ign(e: &str) -> Expect {
        Expect::ignore(e)
    }

    fn bad(code: i32) -> Expect {
        Expect::bad_msg(code)
    }

    /// A step at `T0 + now`.
    fn st(now: i64, id: i64, seq: i32, content: bool, want: Expect) -> Step {
        Step {
            now: T0 + now,
            msg_id: hex8(id),
            seq_no: seq,
            content_related: content,
            salt: None,
            session_id: None,
            container: None,
            expect: want,
        }
    }

    /// A client step (seq_no is not checked by clients: content-related, numbered in order).
    fn cs(now: i64, id: i64, want: Expect) -> Step {
        st(now, id, 1, true, want)
    }

    /// A server step with a salt.
    fn ss(now: i64, id: i64, seq: i32, content: bool, salt: i64, want: Expect) -> Step {
        let mut step = st(now, id, seq, content, want);
        step.salt = Some(hex8(salt));
        step
    }

    fn inner(id: i64, seq: i32, content: bool, want: Option<Expect>) -> InnerStep {
        InnerStep {
            msg_id: hex8(id),
            seq_no: seq,
            content_related: content,
            container: None,
            expect: want,
        }
    }

    fn with_container(mut step: Step, list: Vec<InnerStep>) -> Step {
        step.content_related = false;
        step.container = Some(list);
        step
    }

    fn normalise(mut e: Expect) -> Expect {
        if e.verdict == StepVerdict::BadMsg {
            e.error = None;
        }
        e
    }

    struct Suite {
        file: String,
        b: Builder,
        iut: ReferenceIut,
    }

    impl Suite {
        fn new(file: &str) -> Self {
            Self {
                file: file.to_owned(),
                b: Builder::new(file, FLAGS),
                iut: ReferenceIut::new(),
            }
        }

        /// A case of `group`. `check`: the steps carry the intended verdicts and the reference
        /// must agree with every one; otherwise the reference's verdicts are written in.
        fn case(
            &mut self,
            group: &MsgIdTraceGroup,
            flags: &[&str],
            comment: &str,
            session: i64,
            mut steps: Vec<Step>,
            check: bool,
        ) -> Result<MsgIdTraceCase, GenerateError> {
            let (tc_id, flags) = self.b.case(flags)?;
            let mut case = MsgIdTraceCase {
                tc_id,
                comment: comment.to_owned(),
                flags,
                session_id: hex8(session),
                steps: Vec::new(),
                result: Verdict::Valid,
                error: None,
            };
            let handle = match self.iut.call(op::SESSION_OPEN, &open_request(group, &case)) {
                Answer::Ok(f) => f.get("handle").cloned().unwrap_or(Value::Null),
                other => return Err(gen_err(&self.file, format!("session.open: {other:?}"))),
            };
            for (i, step) in steps.iter_mut().enumerate() {
                let mut req: Fields = feed_request(&case.session_id, step);
                req.insert("handle".into(), handle.clone());
                let (top, nested) = match self.iut.call(op::SESSION_FEED, &req) {
                    Answer::Ok(f) => read_feed(&f).map_err(|e| gen_err(&self.file, e))?,
                    other => return Err(gen_err(&self.file, format!("session.feed: {other:?}"))),
                };
                let top = normalise(top);
                let where_ = format!("tcId {} ({comment}) step {i}", case.tc_id);
                if check {
                    if !matches!(compare(&step.expect, &top), StepMatch::Same) {
                        return Err(gen_err(
                            &self.file,
                            format!(
                                "{where_}: intended {}, the reference says {}",
                                step.expect.describe(),
                                top.describe()
                            ),
                        ));
                    }
                } else {
                    step.expect = top.clone();
                }
                if let Some(list) = step.container.as_mut() {
                    let got: Vec<Option<Expect>> = match nested {
                        Some(v) => v.into_iter().map(|e| Some(normalise(e))).collect(),
                        None => vec![None; list.len()],
                    };
                    for (k, (m, g)) in list.iter_mut().zip(got).enumerate() {
                        if check {
                            let same = match (&m.expect, &g) {
                                (Some(w), Some(g)) => matches!(compare(w, g), StepMatch::Same),
                                (None, None) => true,
                                _ => false,
                            };
                            if !same {
                                return Err(gen_err(
                                    &self.file,
                                    format!(
                                        "{where_} nested {k}: intended {:?}, the reference says {:?}",
                                        m.expect, g
                                    ),
                                ));
                            }
                        } else {
                            m.expect = g;
                        }
                    }
                }
            }
            let mut close = Fields::new();
            close.insert("handle".into(), handle);
            let _ = self.iut.call(op::SESSION_CLOSE, &close);
            case.steps = steps;
            case.error = first_rejection(&case.steps);
            if case.error.is_some() {
                case.result = Verdict::Invalid;
            }
            Ok(case)
        }

        fn finish(
            self,
            header: &[&str],
            groups: Vec<MsgIdTraceGroup>,
        ) -> (String, File<MsgIdTraceGroup>) {
            self.b.finish(
                "MTProto-2.0-session",
                "msg_id_trace_test_schema_v1.json",
                header,
                groups,
            )
        }
    }

    fn group(
        receiver: ReceiverName,
        window: Option<u64>,
        synced: Option<bool>,
        salts: Option<Vec<SaltEntry>>,
        version: &str,
    ) -> MsgIdTraceGroup {
        MsgIdTraceGroup {
            group_type: "MsgIdTraceTest".into(),
            receiver,
            window_size: window,
            clock_synced: synced,
            salts,
            source: Source {
                name: "self".into(),
                version: format!("mtproto-vectors session generator v1: {version}"),
            },
            tests: Vec::new(),
        }
    }

    #[expect(
        clippy::vec_init_then_push,
        reason = "one push per case reads as the list of cases"
    )]
    fn client_named(su: &mut Suite) -> Result<Vec<MsgIdTraceGroup>, GenerateError> {
        let mut synced = group(
            ReceiverName::Client,
            None,
            Some(true),
            None,
            "hand-written traces, verdicts checked against the reference",
        );
        let g = &synced.clone();
        let mut t = Vec::new();
        t.push(su.case(
            g,
            &["InOrder"],
            "five server messages in order",
            SESSION,
            (1..=5).map(|k| cs(100, c(100, k), acc())).collect(),
            true,
        )?);
        t.push(su.case(
            g,
            &["MsgIdParity"],
            "server msg_ids ≡ 0 and ≡ 2 mod 4 are ignored; ≡ 1 and ≡ 3 accepted",
            SESSION,
            vec![
                cs(100, c(100, 1), acc()),
                cs(100, c(100, 2) - 1, ign("MsgIdParity")),
                cs(100, c(100, 2) + 1, ign("MsgIdParity")),
                cs(100, c(100, 3) + 2, acc()),
            ],
            true,
        )?);
        t.push(su.case(
            g,
            &["Duplicate"],
            "the same msg_id twice",
            SESSION,
            vec![
                cs(100, c(100, 1), acc()),
                cs(100, c(100, 1), ign("Duplicate")),
            ],
            true,
        )?);
        t.push(su.case(
            g,
            &["ReplayOlderInWindow"],
            "replays of stored msg_ids that are not the newest",
            SESSION,
            vec![
                cs(100, c(100, 1), acc()),
                cs(100, c(100, 2), acc()),
                cs(100, c(100, 3), acc()),
                cs(100, c(100, 1), ign("Duplicate")),
                cs(100, c(100, 2), ign("Duplicate")),
            ],
            true,
        )?);
        t.push(su.case(
            g,
            &["ReplayAfterReorder", "OutOfOrderDelivery"],
            "1, 3, then 2 out of order, then replays of 3 and 2",
            SESSION,
            vec![
                cs(100, c(100, 1), acc()),
                cs(100, c(100, 3), acc()),
                cs(100, c(100, 2), acc()),
                cs(100, c(100, 3), ign("Duplicate")),
                cs(100, c(100, 4), acc()),
                cs(100, c(100, 2), ign("Duplicate")),
            ],
            true,
        )?);
        t.push(su.case(
            g,
            &["OutOfOrderDelivery"],
            "new msg_ids delivered out of order are all accepted",
            SESSION,
            vec![
                cs(100, c(100, 1), acc()),
                cs(100, c(100, 3), acc()),
                cs(100, c(100, 2), acc()),
                cs(101, c(99, 7), acc()),
                cs(101, c(101, 1), acc()),
            ],
            true,
        )?);
        t.push(su.case(
            g,
            &["TimeTooFarPast", "TimeWindowBoundary"],
            "msg_id times exactly 300 s before now, and 1/2^32 s and 1 s earlier",
            SESSION,
            vec![
                cs(1000, ((T0 + 700) << 32) | 1, acc()),
                cs(1000, (((T0 + 700) << 32) | 1) - 2, ign("TimeTooFarPast")),
                cs(1000, ((T0 + 699) << 32) | 1, ign("TimeTooFarPast")),
                cs(1000, c(-100_000, 1), ign("TimeTooFarPast")),
            ],
            true,
        )?);
        t.push(su.case(
            g,
            &["TimeTooFarFuture", "TimeWindowBoundary"],
            "the highest odd msg_id within 30 s of now, then 30 s + 1/2^32 s and 31 s ahead",
            SESSION,
            vec![
                cs(1000, ((T0 + 1029) << 32) | 0xffff_fffd, acc()),
                cs(1000, ((T0 + 1030) << 32) | 1, ign("TimeTooFarFuture")),
                cs(1000, ((T0 + 1031) << 32) | 1, ign("TimeTooFarFuture")),
                cs(1000, c(100_000, 1), ign("TimeTooFarFuture")),
            ],
            true,
        )?);
        t.push(su.case(
            g,
            &["TimeTooFarFuture", "RejectedNotRemembered"],
            "a msg_id 40 s ahead is ignored; 20 s later the same msg_id is accepted",
            SESSION,
            vec![
                cs(100, c(140, 1), ign("TimeTooFarFuture")),
                cs(120, c(140, 1), acc()),
                cs(120, c(140, 1), ign("Duplicate")),
            ],
            true,
        )?);
        let mut other = cs(100, c(100, 1), ign("SessionIdMismatch"));
        other.session_id = Some(hex8(OTHER_SESSION));
        t.push(su.case(
            g,
            &["SessionIdMismatch", "RejectedNotRemembered"],
            "a message for another session, then the same msg_id for ours",
            SESSION,
            vec![other, cs(100, c(100, 1), acc())],
            true,
        )?);
        t.push(su.case(g, &["CheckOrder"], "an even msg_id far in the future is a parity error; a duplicate now too old is a time error", SESSION, vec![
            cs(100, c(100_000, 1) - 1, ign("MsgIdParity")),
            cs(100, c(100, 1), acc()),
            cs(500, c(100, 1), ign("TimeTooFarPast")),
        ], true)?);
        t.push(su.case(
            g,
            &["ContainerValid"],
            "a container with two older messages, then a message after it",
            SESSION,
            vec![
                with_container(
                    cs(100, c(100, 10), acc()),
                    vec![
                        inner(c(100, 8), 1, true, Some(acc())),
                        inner(c(100, 9), 3, true, Some(acc())),
                    ],
                ),
                cs(100, c(100, 11), acc()),
                cs(100, c(100, 8), ign("Duplicate")),
            ],
            true,
        )?);
        t.push(su.case(g, &["ContainerValid", "Duplicate"], "a container holding a message already received: that one is ignored, the other accepted", SESSION, vec![
            cs(100, c(100, 3), acc()),
            with_container(cs(100, c(100, 10), acc()), vec![
                inner(c(100, 3), 1, true, Some(ign("Duplicate"))),
                inner(c(100, 4), 3, true, Some(acc())),
            ]),
        ], true)?);
        let mut nested = inner(c(100, 8), 0, false, None);
        nested.container = Some(vec![inner(c(100, 7), 1, true, None)]);
        t.push(su.case(
            g,
            &["ContainerNested", "RejectedNotRemembered"],
            "a container inside a container; then the outer msg_id alone is new",
            SESSION,
            vec![
                with_container(
                    cs(100, c(100, 10), ign("ContainerNested")),
                    vec![nested, inner(c(100, 9), 1, true, None)],
                ),
                cs(100, c(100, 10), acc()),
            ],
            true,
        )?);
        t.push(su.case(
            g,
            &["ContainerTooLarge"],
            "1025 messages in a container",
            SESSION,
            vec![
            with_container(cs(100, c(100, 2000), ign("ContainerTooLarge")),
                (1..=1025).map(|k| inner(c(100, k), 1, true, None)).collect()),
        ],
            true,
        )?);
        t.push(su.case(
            g,
            &["ContainerMsgIdNotGreatest"],
            "a nested msg_id above the container's, then one equal to it",
            SESSION,
            vec![
                with_container(
                    cs(100, c(100, 5), ign("ContainerMsgIdNotGreatest")),
                    vec![
                        inner(c(100, 4), 1, true, None),
                        inner(c(100, 6), 3, true, None),
                    ],
                ),
                with_container(
                    cs(100, c(100, 5), ign("ContainerMsgIdNotGreatest")),
                    vec![inner(c(100, 5), 1, true, None)],
                ),
            ],
            true,
        )?);
        synced.tests = t;

        let mut small = group(
            ReceiverName::Client,
            Some(4),
            Some(true),
            None,
            "hand-written traces, verdicts checked against the reference",
        );
        let g = &small.clone();
        small.tests = vec![
            su.case(g, &["TooOldSmallWindow"], "window of 4: after five messages the forgotten first one is replayed, and a new msg_id below all four arrives", SESSION, vec![
                cs(100, c(100, 1), acc()),
                cs(100, c(100, 2), acc()),
                cs(100, c(100, 3), acc()),
                cs(100, c(100, 4), acc()),
                cs(100, c(100, 5), acc()),
                cs(100, c(100, 1), ign("TooOld")),
                cs(100, c(100, 0), ign("TooOld")),
                cs(100, c(100, 2), ign("Duplicate")),
            ], true)?,
            su.case(g, &["WindowNotFull", "TooOldSmallWindow"], "window of 4: lower msg_ids accepted while the window fills; once full, one between stored ids is accepted and the lowest forgotten", SESSION, vec![
                cs(100, c(100, 5), acc()),
                cs(100, c(100, 3), acc()),
                cs(100, c(100, 1), acc()),
                cs(100, c(100, 6), acc()),
                cs(100, c(100, 2), acc()),
                cs(100, c(100, 1), ign("TooOld")),
                cs(100, c(100, 4), acc()),
                cs(100, c(100, 2), ign("TooOld")),
            ], true)?,
        ];

        let mut unsynced = group(
            ReceiverName::Client,
            None,
            Some(false),
            None,
            "hand-written traces, verdicts checked against the reference",
        );
        let g = &unsynced.clone();
        unsynced.tests = vec![su.case(g, &["UnsyncedClock"], "clock not synchronised: msg_ids a day in the past and in the future are accepted; parity and duplicates still checked", SESSION, vec![
            cs(0, c(-86_400, 1), acc()),
            cs(0, c(86_400, 1), acc()),
            cs(0, c(86_400, 1), ign("Duplicate")),
            cs(0, c(0, 1) - 1, ign("MsgIdParity")),
            cs(0, c(0, 1), acc()),
        ], true)?];
        Ok(vec![synced, small, unsynced])
    }

    fn salts() -> Vec<SaltEntry> {
        [
            (SALT_A, T0 - 1800, T0 + 1800),
            (SALT_B, T0, T0 + 3600),
            (SALT_C, T0 + 1800, T0 + 5400),
        ]
        .into_iter()
        .map(|(s, a, b)| SaltEntry {
            salt: hex8(s),
            valid_since: a,
            valid_until: b,
        })
        .collect()
    }

    #[expect(
        clippy::vec_init_then_push,
        reason = "one push per case reads as the list of cases"
    )]
    fn server_named(su: &mut Suite) -> Result<Vec<MsgIdTraceGroup>, GenerateError> {
        let mut main = group(
            ReceiverName::Server,
            None,
            None,
            Some(salts()),
            "hand-written traces, verdicts checked against the reference",
        );
        let g = &main.clone();
        let b = SALT_B;
        let mut t = Vec::new();
        t.push(su.case(
            g,
            &["InOrder"],
            "content-related messages with acks between them, in order",
            SESSION,
            vec![
                ss(100, s(100, 1), 1, true, b, acc()),
                ss(100, s(100, 2), 2, false, b, acc()),
                ss(100, s(100, 3), 3, true, b, acc()),
                ss(100, s(100, 4), 4, false, b, acc()),
                ss(100, s(100, 5), 5, true, b, acc()),
            ],
            true,
        )?);
        t.push(su.case(
            g,
            &["MsgIdParity"],
            "client msg_ids ≡ 1, 2, 3 mod 4: code 18",
            SESSION,
            vec![
                ss(100, s(100, 1) + 1, 1, true, b, bad(18)),
                ss(100, s(100, 1) + 2, 1, true, b, bad(18)),
                ss(100, s(100, 1) + 3, 1, true, b, bad(18)),
                ss(100, s(100, 1), 1, true, b, acc()),
            ],
            true,
        )?);
        t.push(su.case(
            g,
            &["TimeTooFarPast", "TimeWindowBoundary"],
            "msg_id times exactly 300 s before now and 4/2^32 s earlier: code 16",
            SESSION,
            vec![
                ss(1000, ((T0 + 700) << 32) - 4, 0, false, b, bad(16)),
                ss(1000, (T0 + 700) << 32, 0, false, b, acc()),
                ss(1000, s(-100_000, 1), 0, false, b, bad(16)),
            ],
            true,
        )?);
        t.push(su.case(
            g,
            &["TimeTooFarFuture", "TimeWindowBoundary"],
            "msg_id times exactly 30 s after now and 4/2^32 s later: code 17",
            SESSION,
            vec![
                ss(1000, (T0 + 1030) << 32, 0, false, b, acc()),
                ss(1000, ((T0 + 1030) << 32) + 4, 0, false, b, bad(17)),
                ss(1000, s(100_000, 1), 0, false, b, bad(17)),
            ],
            true,
        )?);
        t.push(su.case(
            g,
            &["Duplicate", "ReplayOlderInWindow"],
            "replays of the newest and of an older msg_id are ignored",
            SESSION,
            vec![
                ss(100, s(100, 1), 1, true, b, acc()),
                ss(100, s(100, 2), 3, true, b, acc()),
                ss(100, s(100, 2), 3, true, b, ign("Duplicate")),
                ss(100, s(100, 1), 1, true, b, ign("Duplicate")),
            ],
            true,
        )?);
        t.push(su.case(
            g,
            &["ContainerMsgIdReused"],
            "a container reusing a received msg_id: code 19",
            SESSION,
            vec![
                ss(100, s(100, 5), 0, false, b, acc()),
                with_container(
                    ss(100, s(100, 5), 2, false, b, bad(19)),
                    vec![inner(s(100, 3), 1, true, None)],
                ),
            ],
            true,
        )?);
        t.push(su.case(
            g,
            &["SeqNoTooLow"],
            "a second content-related message with the first one's seq_no: code 32",
            SESSION,
            vec![
                ss(100, s(100, 1), 1, true, b, acc()),
                ss(100, s(100, 2), 1, true, b, bad(32)),
                ss(100, s(100, 3), 0, false, b, bad(32)),
                ss(100, s(100, 4), 3, true, b, acc()),
            ],
            true,
        )?);
        t.push(su.case(
            g,
            &["SeqNoTooHigh"],
            "seq_no 3 (then 2) when the session expects 1 (then 0): code 33",
            SESSION,
            vec![
                ss(100, s(100, 1), 3, true, b, bad(33)),
                ss(100, s(100, 2), 2, false, b, bad(33)),
                ss(100, s(100, 3), 1, true, b, acc()),
            ],
            true,
        )?);
        t.push(su.case(g, &["ReorderingAttack"], "two content-related messages delivered in the opposite order: the later one is refused (33) until the earlier arrives", SESSION, vec![
            ss(100, s(100, 2), 3, true, b, bad(33)),
            ss(100, s(100, 1), 1, true, b, acc()),
            ss(100, s(100, 2), 3, true, b, acc()),
        ], true)?);
        t.push(su.case(
            g,
            &["ReorderingAttack"],
            "a lower msg_id carrying the next seq_no after a higher msg_id was accepted: code 33",
            SESSION,
            vec![
                ss(100, s(100, 2), 1, true, b, acc()),
                ss(100, s(100, 1), 3, true, b, bad(33)),
                ss(100, s(100, 3), 3, true, b, acc()),
            ],
            true,
        )?);
        t.push(su.case(
            g,
            &["OutOfOrderDelivery"],
            "two acks (not content-related, same even seq_no) in either order are both accepted",
            SESSION,
            vec![
                ss(100, s(100, 1), 1, true, b, acc()),
                ss(100, s(100, 3), 2, false, b, acc()),
                ss(100, s(100, 2), 2, false, b, acc()),
                ss(100, s(100, 4), 3, true, b, acc()),
            ],
            true,
        )?);
        t.push(su.case(
            g,
            &["SeqNoParity"],
            "not content-related with an odd seq_no (34); content-related with an even one (35)",
            SESSION,
            vec![
                ss(100, s(100, 1), 1, false, b, bad(34)),
                ss(100, s(100, 2), 0, true, b, bad(35)),
                ss(100, s(100, 3), 1, true, b, acc()),
            ],
            true,
        )?);
        t.push(su.case(
            g,
            &["BadServerSalt", "RejectedNotRemembered"],
            "an unknown salt: code 48; the same msg_id with a valid salt is then accepted",
            SESSION,
            vec![
                ss(100, s(100, 1), 1, true, WRONG_SALT, bad(48)),
                ss(100, s(100, 1), 1, true, b, acc()),
            ],
            true,
        )?);
        t.push(su.case(g, &["SaltOverlap", "SaltRotation", "BadServerSalt"], "salts A, B, C valid [-1800, 1800), [0, 3600), [1800, 5400) around T0: overlaps accepted, limits refused", SESSION, vec![
            ss(100, s(100, 1), 0, false, SALT_A, acc()),
            ss(100, s(100, 2), 0, false, SALT_B, acc()),
            ss(100, s(100, 3), 0, false, SALT_C, bad(48)),
            ss(1799, s(1799, 1), 0, false, SALT_A, acc()),
            ss(1799, s(1799, 2), 0, false, SALT_C, bad(48)),
            ss(1800, s(1800, 1), 0, false, SALT_A, bad(48)),
            ss(1800, s(1800, 2), 0, false, SALT_C, acc()),
            ss(3599, s(3599, 1), 0, false, SALT_B, acc()),
            ss(3600, s(3600, 1), 0, false, SALT_B, bad(48)),
            ss(3600, s(3600, 2), 0, false, SALT_C, acc()),
        ], true)?);
        let mut other = ss(100, s(100, 1), 1, true, b, ign("SessionIdMismatch"));
        other.session_id = Some(hex8(OTHER_SESSION));
        t.push(su.case(
            g,
            &["SessionIdMismatch", "RejectedNotRemembered"],
            "a message for another session is discarded; the same msg_id for ours is accepted",
            SESSION,
            vec![other, ss(100, s(100, 1), 1, true, b, acc())],
            true,
        )?);
        t.push(su.case(g, &["CheckOrder"], "wrong parity and salt: 18; wrong time and seq_no: 17; duplicate with a wrong salt: ignored; wrong seq_no and salt: 33", SESSION, vec![
            ss(100, s(100, 1) + 1, 1, true, WRONG_SALT, bad(18)),
            ss(100, s(200, 1), 7, true, b, bad(17)),
            ss(100, s(100, 1), 1, true, b, acc()),
            ss(100, s(100, 1), 1, true, WRONG_SALT, ign("Duplicate")),
            ss(100, s(100, 2), 7, true, WRONG_SALT, bad(33)),
        ], true)?);
        t.push(su.case(g, &["ContainerValid"], "a container (seq_no 4) with two content-related messages (1, 3), then the next message (5)", SESSION, vec![
            with_container(ss(100, s(100, 10), 4, false, b, acc()), vec![
                inner(s(100, 8), 1, true, Some(acc())),
                inner(s(100, 9), 3, true, Some(acc())),
            ]),
            ss(100, s(100, 11), 5, true, b, acc()),
        ], true)?);
        t.push(su.case(
            g,
            &["ContainerContentRelated"],
            "a container with an odd seq_no: code 34",
            SESSION,
            vec![with_container(
                ss(100, s(100, 10), 3, false, b, bad(34)),
                vec![inner(s(100, 8), 1, true, None)],
            )],
            true,
        )?);
        let mut nested = inner(s(100, 8), 0, false, None);
        nested.container = Some(vec![inner(s(100, 7), 1, true, None)]);
        t.push(su.case(
            g,
            &["ContainerNested"],
            "a container inside a container: code 64",
            SESSION,
            vec![with_container(
                ss(100, s(100, 10), 2, false, b, bad(64)),
                vec![nested, inner(s(100, 9), 1, true, None)],
            )],
            true,
        )?);
        t.push(su.case(
            g,
            &["ContainerTooLarge"],
            "1025 messages in a container: code 64",
            SESSION,
            vec![
            with_container(ss(100, s(100, 2000), 0, false, b, bad(64)),
                (1..=1025).map(|k| inner(s(100, k), 0, false, None)).collect()),
        ],
            true,
        )?);
        t.push(su.case(
            g,
            &["ContainerMaxSize"],
            "1024 messages (acks) in a container: all accepted",
            SESSION,
            vec![
            with_container(ss(100, s(100, 2000), 0, false, b, acc()),
                (1..=1024).map(|k| inner(s(100, k), 0, false, Some(acc()))).collect()),
        ],
            true,
        )?);
        t.push(su.case(
            g,
            &["ContainerMsgIdNotGreatest"],
            "a nested msg_id above, then equal to, the container's: code 64",
            SESSION,
            vec![
                with_container(
                    ss(100, s(100, 5), 2, false, b, bad(64)),
                    vec![inner(s(100, 6), 1, true, None)],
                ),
                with_container(
                    ss(100, s(100, 5), 2, false, b, bad(64)),
                    vec![inner(s(100, 5), 1, true, None)],
                ),
            ],
            true,
        )?);
        t.push(su.case(
            g,
            &["ContainerSeqNoBelowInner"],
            "a container seq_no (0) below a nested one (1): code 64",
            SESSION,
            vec![with_container(
                ss(100, s(100, 5), 0, false, b, bad(64)),
                vec![inner(s(100, 4), 1, true, None)],
            )],
            true,
        )?);
        main.tests = t;

        let mut small = group(
            ReceiverName::Server,
            Some(4),
            None,
            Some(salts()),
            "hand-written traces, verdicts checked against the reference",
        );
        let g = &small.clone();
        small.tests = vec![su.case(
            g,
            &["TooOldSmallWindow"],
            "window of 4: the forgotten first msg_id and a new one below all four: code 20",
            SESSION,
            vec![
                ss(100, s(100, 1), 0, false, b, acc()),
                ss(100, s(100, 2), 0, false, b, acc()),
                ss(100, s(100, 3), 0, false, b, acc()),
                ss(100, s(100, 4), 0, false, b, acc()),
                ss(100, s(100, 5), 0, false, b, acc()),
                ss(100, s(100, 1), 0, false, b, bad(20)),
                ss(100, s(99, 9), 0, false, b, bad(20)),
                ss(100, s(100, 2), 0, false, b, ign("Duplicate")),
            ],
            true,
        )?];
        Ok(vec![main, small])
    }

    /// The reference's server receiver, fed every step of a trace as it is drawn, so the sender
    /// below can react to what the server answered.
    struct Sim(Option<mtproto::session::ServerReceiver>);

    impl Sim {
        fn new(server: bool, window: Option<u64>) -> Self {
            use mtproto::session::{FutureSalt, SaltSchedule, ServerConfig, ServerReceiver};
            let salts: Vec<FutureSalt> = random_salts()
                .iter()
                .map(|s| FutureSalt {
                    salt: i64::from_le_bytes(s.salt.as_bytes().try_into().unwrap_or([0; 8])),
                    valid_since: s.valid_since,
                    valid_until: s.valid_until,
                })
                .collect();
            let window = window.map_or(mtproto::session::DEFAULT_WINDOW, |w| {
                usize::try_from(w).unwrap_or(1)
            });
            Self(server.then(|| {
                ServerReceiver::new(SESSION, ServerConfig { window }, SaltSchedule::new(&salts))
            }))
        }

        /// The `bad_msg_notification` code the server answers `step` with, if any.
        fn code(&mut self, step: &Step) -> Option<i32> {
            let r = self.0.as_mut()?;
            let long = |h: &Hex| i64::from_le_bytes(h.as_bytes().try_into().unwrap_or([0; 8]));
            let m = mtproto::session::Inbound {
                session_id: SESSION,
                salt: step.salt.as_ref().map_or(0, long),
                msg_id: long(&step.msg_id),
                seq_no: step.seq_no,
                content_related: step.content_related,
            };
            let verdict = r.receive(step.now, &m);
            r.acks().drain_into(&mut Vec::new());
            verdict.err().and_then(|e| e.bad_msg_code())
        }
    }

    /// A pseudorandom trace: a sender numbering messages in order (msg_id from its own skewed
    /// clock, seq_no from its count), and a network that delivers, holds back, replays and
    /// corrupts them. A server trace's sender reacts like a client: a message refused with 16,
    /// 17, 18, 33 or 48 is re-sent with a new msg_id, its seq_no and a valid salt once nothing it
    /// waits for is held back.
    fn random_steps(rng: &mut Drbg, server: bool, window: Option<u64>) -> Vec<Step> {
        let mut steps = Vec::new();
        let mut sim = Sim::new(server, window);
        let mut now: i64 = T0 + 10_000;
        let mut last_id: i64 = 0;
        let mut count: i32 = 0;
        let mut sent: Vec<Step> = Vec::new();
        let mut held: Vec<Step> = Vec::new();
        let mut resend: Vec<Step> = Vec::new();
        let len = rng.range(6, 16);
        let salts = [SALT_A, SALT_B, SALT_C, WRONG_SALT];
        let next_id = |now: i64, skew: i64, frac: i64, last_id: &mut i64| {
            let mut id = ((now + skew) << 32) | frac;
            if id <= *last_id {
                id = (*last_id & !3) + 4;
            }
            *last_id = id;
            id
        };
        while steps.len() < len {
            match rng.below(12) {
                // Time passes (up to 400 s, sometimes past the window).
                0 => now += i64::try_from(rng.below(400)).unwrap_or(0),
                // Replay something already delivered.
                1 | 2 if !sent.is_empty() => {
                    let i = usize::try_from(rng.below(sent.len() as u64)).unwrap_or(0);
                    if let Some(mut again) = sent.get(i).cloned() {
                        again.now = now;
                        sim.code(&again);
                        steps.push(again);
                    }
                }
                // Deliver a held-back message late.
                3 if !held.is_empty() => {
                    let mut late = held.remove(0);
                    late.now = now;
                    if sim
                        .code(&late)
                        .is_some_and(|c| [16, 17, 18, 33, 48].contains(&c))
                    {
                        resend.push(late.clone());
                    }
                    steps.push(late.clone());
                    sent.push(late);
                }
                // The sender re-sends a refused message.
                4 | 5 if server && held.is_empty() && !resend.is_empty() => {
                    let mut again = resend.remove(0);
                    again.now = now;
                    again.msg_id = hex8(next_id(now, 0, 4, &mut last_id));
                    again.salt = Some(hex8(SALT_D));
                    if sim
                        .code(&again)
                        .is_some_and(|c| [16, 17, 18, 33, 48].contains(&c))
                    {
                        resend.push(again.clone());
                    }
                    steps.push(again.clone());
                    sent.push(again);
                }
                _ => {
                    // A new message, from a sender clock up to 320 s behind or 40 s ahead.
                    let skew = i64::try_from(rng.below(361)).unwrap_or(0) - 320;
                    let skew = if rng.below(4) == 0 { skew } else { skew / 16 };
                    let frac = i64::try_from(rng.below(1 << 30)).unwrap_or(0) * 4;
                    let mut id = next_id(now, skew, frac, &mut last_id);
                    if !server {
                        id |= if rng.below(2) == 0 { 1 } else { 3 };
                    }
                    if rng.below(16) == 0 {
                        id ^= 2; // wrong parity
                    }
                    let content = rng.below(3) != 0;
                    let seq = count * 2 + i32::from(content);
                    if content {
                        count += 1;
                    }
                    let mut step = st(0, id, seq, content, Expect::accept());
                    step.now = now;
                    if server {
                        // Mostly the salt valid at T0 + 10_000 is none of A/B/C: give the
                        // schedule below a salt for that period.
                        let salt = if rng.below(10) == 0 {
                            salts
                                .get(usize::try_from(rng.below(4)).unwrap_or(0))
                                .copied()
                                .unwrap_or(SALT_D)
                        } else {
                            SALT_D
                        };
                        step.salt = Some(hex8(salt));
                    } else {
                        step.seq_no = seq;
                    }
                    if rng.below(5) == 0 {
                        held.push(step);
                    } else {
                        if sim
                            .code(&step)
                            .is_some_and(|c| [16, 17, 18, 33, 48].contains(&c))
                        {
                            resend.push(step.clone());
                        }
                        steps.push(step.clone());
                        sent.push(step);
                    }
                }
            }
        }
        steps
    }

    const SALT_D: i64 = 0x0d0d_0d0d_5a17_0005;

    fn random_salts() -> Vec<SaltEntry> {
        let mut v = salts();
        v.push(SaltEntry {
            salt: hex8(SALT_D),
            valid_since: T0 + 9_000,
            valid_until: T0 + 12_000,
        });
        v
    }

    fn random_groups(su: &mut Suite, server: bool) -> Result<Vec<MsgIdTraceGroup>, GenerateError> {
        let mut out = Vec::new();
        for window in [None, Some(8)] {
            let (receiver, synced, salts) = if server {
                (ReceiverName::Server, None, Some(random_salts()))
            } else {
                (ReceiverName::Client, Some(true), None)
            };
            let mut g = group(
                receiver,
                window,
                synced,
                salts,
                "pseudorandom traces, verdicts computed by the reference",
            );
            let label = format!(
                "session/{}/window-{}",
                receiver.as_str(),
                window.unwrap_or(1000)
            );
            let mut rng = Drbg::new(&label);
            let gg = g.clone();
            for i in 0..60 {
                let steps = random_steps(&mut rng, server, window);
                g.tests.push(su.case(
                    &gg,
                    &["Pseudorandom"],
                    &format!("{label} trace {i}"),
                    SESSION,
                    steps,
                    false,
                )?);
            }
            out.push(g);
        }
        Ok(out)
    }

    /// The client and the server trace files: `(path under vectors/, file)`.
    pub fn suites() -> Result<Vec<SuiteFile<MsgIdTraceGroup>>, GenerateError> {
        let mut client = Suite::new("session/msg_id_trace_client_test.json");
        let mut groups = client_named(&mut client)?;
        groups.extend(random_groups(&mut client, false)?);
        let client = client.finish(
            &[
                "A client receiving server messages (spec §3.1 R6-R9, R12): session_id, msg_id parity, the replay window of the last N msg_ids with the lower-than-all rule, the -300 s / +30 s time window once the clock is synchronised, containers.",
                "Each case is a trace fed in order to one receiver; every step's verdict is checked. Clients ignore bad messages silently, so every rejection is an ignore with its name from docs/error-vocabulary.md.",
            ],
            groups,
        );
        let mut server = Suite::new("session/msg_id_trace_server_test.json");
        let mut groups = server_named(&mut server)?;
        groups.extend(random_groups(&mut server, true)?);
        let server = server.finish(
            &[
                "A server receiving client messages (spec §3.1 R6-R12, §3.3, §10.2 attack 1): msg_id parity and time (codes 18, 16, 17), duplicates (ignored), the replay window (20), seq_no parity and order (34, 35, 32, 33, including the reordering attack), salts that rotate and overlap (48), containers (19, 34, 64).",
                "Each case is a trace fed in order to one receiver; every step's verdict is checked: accept, ignore (duplicates, another session) or the bad_msg_notification code.",
            ],
            groups,
        );
        Ok(vec![client, server])
    }
}
