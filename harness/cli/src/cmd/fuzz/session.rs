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
// The vector family's types (one place, so a move of the vectors crate's modules is one edit).
use mtproto_vectors::TestGroup;
use mtproto_vectors::session::{
    Expect, InnerStep, MsgIdTraceCase, MsgIdTraceGroup, SaltEntry, Step, StepVerdict, code_name,
};
use mtproto_vectors::{Hex, ReceiverName};

use super::{Finding, no_source, verdict};
use crate::error::HarnessError;

/// A msg_id, salt or session_id as a vector writes it: the 8 bytes on the wire (little-endian).
fn id(v: i64) -> Hex {
    Hex(v.to_le_bytes().to_vec())
}

fn expect(v: &V) -> Expect {
    match v {
        V::Accept => Expect {
            verdict: StepVerdict::Accept,
            error: None,
            code: None,
        },
        V::Ignore(name) => Expect {
            verdict: StepVerdict::Ignore,
            error: Some((*name).to_owned()),
            code: None,
        },
        V::Bad(code) => Expect {
            verdict: StepVerdict::BadMsg,
            error: None,
            code: Some(*code),
        },
    }
}

/// The case-level error of a verdict (`MsgIdTraceTest`'s rule: the first rejected step's).
fn error_of(v: &V) -> Option<&'static str> {
    match v {
        V::Accept => None,
        V::Ignore(name) => Some(*name),
        V::Bad(code) => Some(code_name(*code)),
    }
}

fn show(v: &Verdicts) -> String {
    match &v.1 {
        None => format!("{:?}", v.0),
        Some(inner) => format!("{:?} with inner {inner:?}", v.0),
    }
}

fn inner_step(i: &Inner, verdict: Option<&V>) -> InnerStep {
    InnerStep {
        msg_id: id(i.msg_id),
        seq_no: i.seq_no,
        content_related: i.content_related,
        container: i.is_container.then(Vec::new),
        expect: verdict.map(expect),
    }
}

fn step(t: &Trace, s: &TraceStep) -> Step {
    let m = &s.msg;
    let container = s.inner.as_ref().map(|inner| {
        let verdicts = s.got.1.as_deref();
        inner
            .iter()
            .enumerate()
            .map(|(k, i)| inner_step(i, verdicts.and_then(|v| v.get(k))))
            .collect()
    });
    Step {
        now: m.now,
        msg_id: id(m.msg_id),
        seq_no: m.seq_no,
        content_related: m.content_related,
        salt: t.server.then(|| id(m.salt)),
        session_id: (m.session_id != t.session_id).then(|| id(m.session_id)),
        container,
        expect: expect(&s.got.0),
    }
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
    let first = t
        .steps
        .iter()
        .find_map(|s| error_of(&s.got.0).or_else(|| s.got.1.iter().flatten().find_map(error_of)));
    let (result, error) = verdict(first);
    let group = MsgIdTraceGroup {
        group_type: "MsgIdTraceTest".into(),
        receiver: if server {
            ReceiverName::Server
        } else {
            ReceiverName::Client
        },
        window_size: Some(t.window as u64),
        clock_synced: (!server).then_some(t.synced),
        salts: server.then(|| {
            t.salts
                .iter()
                .map(|&(salt, since, until)| SaltEntry {
                    salt: id(salt),
                    valid_since: since,
                    valid_until: until,
                })
                .collect()
        }),
        source: no_source(),
        tests: vec![MsgIdTraceCase {
            tc_id: 0,
            comment: String::new(),
            flags: Vec::new(),
            session_id: id(t.session_id),
            steps: t.steps.iter().map(|s| step(&t, s)).collect(),
            result,
            error,
        }],
    };
    Ok(Finding::one(
        TestGroup::Session(group),
        "MTProto-2.0-session",
        "msg_id_trace_test_schema_v1.json",
        "session",
    ))
}
