//! `session_client` / `session_server` inputs as `MsgIdTraceTest` cases (`vectors/session/`).
//!
//! The input is replayed through [`mtproto_fuzzing::session::trace`], the code the target runs:
//! the receiver setup (window, clock, the target's salt schedule and session) becomes the group,
//! every delivery a step with the receiver's clock, the message's header and, for a container,
//! its messages. The expected verdicts are the reference receiver's; the target's oracle is the
//! plain model, so each step must also be the model's verdict (and both must store the same
//! msg_ids), or nothing is written.

use mtproto_fuzzing::session::{Trace, TraceStep, Verdicts};
use mtproto_fuzzing::session_model::{Inner, V};
use serde_json::{Map, Value, json};

use super::{Finding, hex, obj};
use crate::error::HarnessError;

/// A msg_id, salt or session_id as a vector writes it: the 8 bytes on the wire (little-endian).
fn id(v: i64) -> Value {
    hex(&v.to_le_bytes()).into()
}

fn expect(v: &V) -> Value {
    match v {
        V::Accept => json!({"verdict": "accept"}),
        V::Ignore(name) => json!({"verdict": "ignore", "error": name}),
        V::Bad(code) => json!({"verdict": "badMsg", "code": code}),
    }
}

/// The case-level error of a verdict (`MsgIdTraceTest`'s rule: the first rejected step's).
fn error_of(v: &V) -> Option<String> {
    match v {
        V::Accept => None,
        V::Ignore(name) => Some((*name).to_owned()),
        V::Bad(code) => Some(mtproto_vectors::session::code_name(*code).to_owned()),
    }
}

fn show(v: &Verdicts) -> String {
    match &v.1 {
        None => format!("{:?}", v.0),
        Some(inner) => format!("{:?} with inner {inner:?}", v.0),
    }
}

fn inner_step(i: &Inner, verdict: Option<&V>) -> Value {
    let mut m = obj(json!({
        "msgId": id(i.msg_id),
        "seqNo": i.seq_no,
        "contentRelated": i.content_related,
    }));
    if i.is_container {
        m.insert("container".into(), Value::Array(Vec::new()));
    }
    if let Some(v) = verdict {
        m.insert("expect".into(), expect(v));
    }
    Value::Object(m)
}

fn step(t: &Trace, s: &TraceStep) -> Value {
    let m = &s.msg;
    let mut out = obj(json!({
        "now": m.now,
        "msgId": id(m.msg_id),
        "seqNo": m.seq_no,
        "contentRelated": m.content_related,
    }));
    if t.server {
        out.insert("salt".into(), id(m.salt));
    }
    if m.session_id != t.session_id {
        out.insert("sessionId".into(), id(m.session_id));
    }
    if let Some(inner) = &s.inner {
        let verdicts = s.got.1.as_deref();
        let items = inner
            .iter()
            .enumerate()
            .map(|(k, i)| inner_step(i, verdicts.and_then(|v| v.get(k))))
            .collect();
        out.insert("container".into(), Value::Array(items));
    }
    out.insert("expect".into(), expect(&s.got.0));
    Value::Object(out)
}

/// The `MsgIdTraceTest` case of a session input, or why none can be written.
pub(super) fn finding(target: &str, data: &[u8]) -> Result<Finding, HarnessError> {
    let server = target == "session_server";
    let bad = |why: String| HarnessError::Vectors(format!("{target}: {why}"));
    // The trace runs the target's own assertions (a reset receiver equal to a new one): one that
    // fails is a finding not fixed yet, refused like the other operation-list targets do.
    let t = match std::panic::catch_unwind(|| mtproto_fuzzing::session::trace(server, data)) {
        Ok(Some(t)) => t,
        Ok(None) => {
            return Err(bad(
                "the input is too short to set up a receiver (window and clock bytes)".into(),
            ));
        }
        Err(p) => {
            let why = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_default();
            return Err(bad(format!(
                "the target's oracle fails on this input ({why}): fix the reference first, then \
                 turn the input into a vector"
            )));
        }
    };
    if t.steps.is_empty() {
        return Err(bad(
            "the input delivers no message: a trace needs at least one step".into(),
        ));
    }
    // The target's oracle is the model: the reference's verdicts must be its verdicts.
    for (n, s) in t.steps.iter().enumerate() {
        if s.got != s.want {
            return Err(bad(format!(
                "step {n}: the reference gives {} and the target's model {}: the reference and \
                 the model disagree, fix that first ({:?})",
                show(&s.got),
                show(&s.want),
                s.msg
            )));
        }
        if !s.stored_agree {
            return Err(bad(format!(
                "step {n}: the reference and the target's model store different msg_ids"
            )));
        }
    }
    let mut group = obj(json!({
        "type": "MsgIdTraceTest",
        "receiver": if server { "server" } else { "client" },
        "windowSize": t.window,
    }));
    if server {
        let salts = t
            .salts
            .iter()
            .map(|&(salt, since, until)| {
                json!({"salt": id(salt), "validSince": since, "validUntil": until})
            })
            .collect();
        group.insert("salts".into(), Value::Array(salts));
    } else {
        group.insert("clockSynced".into(), t.synced.into());
    }
    let steps: Vec<Value> = t.steps.iter().map(|s| step(&t, s)).collect();
    let first = t
        .steps
        .iter()
        .find_map(|s| error_of(&s.got.0).or_else(|| s.got.1.iter().flatten().find_map(error_of)));
    let mut case = Map::new();
    case.insert("sessionId".into(), id(t.session_id));
    case.insert("steps".into(), Value::Array(steps));
    match first {
        None => {
            case.insert("result".into(), "valid".into());
        }
        Some(e) => {
            case.insert("result".into(), "invalid".into());
            case.insert("error".into(), e.into());
        }
    }
    Ok(Finding {
        group,
        case,
        algorithm: "MTProto-2.0-session",
        schema: "msg_id_trace_test_schema_v1.json",
        family: "session",
        more: Vec::new(),
    })
}
