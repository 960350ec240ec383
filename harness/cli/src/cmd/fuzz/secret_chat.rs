//! `secret_chat` inputs as `SecretChatTraceTest` cases (`vectors/secret/`), one per side.
//!
//! The input is run through [`mtproto_fuzzing::secret::trace`], the target's own code with its
//! assertions (an input whose run the target's oracle refuses is refused here). Each side's part of
//! it becomes a trace: its own messages as `send` steps (the `DecryptedMessage` it sent), the
//! re-key it starts as a `rekey` step (`exchange_id`, its secret) and every
//! packet delivered to it (in order, duplicates, tampered and replayed packets and arbitrary bytes
//! included) as `receive` steps. The expected results are the reference adapter's
//! (`secret.chatTrace` on exactly those steps); each must also be what the side did in the
//! target's run — the same verdict, the same out_seq_nos delivered, the same error, as many
//! replies — or nothing is written.
//!
//! Every step carries the side's randomness for it (`fresh`: the bytes the target's run drew),
//! so a re-key (`rekey` steps, and the peer's re-key messages the side answers) replays exactly.

use mtproto_fuzzing::secret::{Event, Seen, Trace};
use mtproto_iut::{Answer, Fields, Iut, ReferenceIut};
// The vector family's types (one place, so a move of the vectors crate's modules is one edit).
use mtproto_vectors::Hex;
use mtproto_vectors::TestGroup;
use mtproto_vectors::families::secret::{
    ChatExpect, ChatStep, ChatTraceCase, ChatTraceGroup, Group as SecretFamily,
};
use serde_json::Value;

use super::{Finding, Part, no_source, verdict};
use crate::error::HarnessError;

fn bad(why: String) -> HarnessError {
    HarnessError::Vectors(format!("secret_chat: {why}"))
}

/// Run the target's code on `data`; its oracle's panic becomes a refusal.
fn traced(data: &[u8]) -> Result<Trace, HarnessError> {
    let run = std::panic::catch_unwind(|| mtproto_fuzzing::secret::trace(data));
    match run {
        Ok(Some(t)) => Ok(t),
        Ok(None) => Err(bad("the input gives no key seed".into())),
        Err(p) => {
            let why = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_default();
            Err(bad(format!(
                "the target's oracle fails on this input ({why}): fix the reference first, then \
                 turn the input into a vector"
            )))
        }
    }
}

/// What the side did at a step: sent (a message or a re-key request), or its verdict on a packet.
enum Did<'t> {
    Sent,
    Saw(&'t Seen),
}

/// A step of the side's trace, its `expect` still to be filled in.
fn step(op: &str, fresh: &[u8; 32]) -> ChatStep {
    ChatStep {
        op: op.to_owned(),
        packet: None,
        message: None,
        exchange_id: None,
        secret: None,
        fresh: Some(Hex(fresh.to_vec())),
        expect: ChatExpect {
            verdict: String::new(),
            delivered: None,
            peer_layer: None,
            replies: None,
            notices: None,
            layer: None,
            action: None,
            error: None,
        },
    }
}

/// One side's steps and what it did at each.
fn side(t: &Trace, a: bool) -> (Vec<ChatStep>, Vec<Did<'_>>) {
    let mut steps = Vec::new();
    let mut did = Vec::new();
    for e in &t.events {
        match e {
            Event::Send {
                from_a,
                message,
                fresh,
                ..
            } if *from_a == a => {
                steps.push(ChatStep {
                    message: Some(Hex(message.clone())),
                    ..step("send", fresh)
                });
                did.push(Did::Sent);
            }
            Event::Receive {
                to_a,
                packet,
                fresh,
                seen,
            } if *to_a == a => {
                steps.push(ChatStep {
                    packet: Some(Hex(packet.clone())),
                    ..step("receive", fresh)
                });
                did.push(Did::Saw(seen));
            }
            Event::Rekey {
                from_a,
                exchange_id,
                secret,
                fresh,
            } if *from_a == a => {
                steps.push(ChatStep {
                    exchange_id: Some(Hex(exchange_id.to_le_bytes().to_vec())),
                    secret: Some(Hex(secret.to_vec())),
                    ..step("rekey", fresh)
                });
                did.push(Did::Sent);
            }
            _ => {}
        }
    }
    (steps, did)
}

/// Whether the adapter's result `got` for a step is what the side did in the target's run.
fn agrees(did: &Did<'_>, got: &ChatExpect) -> bool {
    let verdict = got.verdict.as_str();
    let error = got.error.as_deref();
    match did {
        Did::Sent => verdict == "sent",
        Did::Saw(Seen::Accepted { delivered, replies }) => {
            let want: Vec<i64> = delivered.iter().map(|&d| i64::from(d)).collect();
            let kind = if want.is_empty() { "queue" } else { "deliver" };
            verdict == kind
                && got.delivered.as_deref().unwrap_or_default() == want.as_slice()
                && got.replies.as_ref().map_or(0, Vec::len) == *replies
        }
        Did::Saw(Seen::Rejected(e)) => verdict == "reject" && error == Some(e),
        Did::Saw(Seen::Closed(e)) => verdict == "close" && error == Some(e),
    }
}

/// The adapter request's steps: each step's fields without its `expect`.
fn request_steps(steps: &[ChatStep]) -> Result<Value, HarnessError> {
    let mut out = Vec::with_capacity(steps.len());
    for s in steps {
        match serde_json::to_value(s) {
            Ok(Value::Object(mut m)) => {
                m.remove("expect");
                out.push(Value::Object(m));
            }
            other => {
                return Err(bad(format!(
                    "a step does not serialise to an object: {other:?}"
                )));
            }
        }
    }
    Ok(Value::Array(out))
}

/// The `SecretChatTraceTest` group and case of one side.
fn part(t: &Trace, a: bool) -> Result<Part, HarnessError> {
    let role = if a { "originator" } else { "acceptor" };
    let (steps, did) = side(t, a);
    let mut req = Fields::new();
    req.insert("role".into(), role.into());
    req.insert("key".into(), Hex(t.key.to_vec()).to_hex().into());
    req.insert("steps".into(), request_steps(&steps)?);
    let results = match ReferenceIut::new().call(mtproto_iut::secret::CHAT_TRACE, &req) {
        Answer::Ok(f) => f.get("results").cloned().unwrap_or(Value::Null),
        other => {
            return Err(bad(format!(
                "the reference's secret.chatTrace does not answer the {role}'s trace: {other:?}"
            )));
        }
    };
    let results: Vec<ChatExpect> = serde_json::from_value(results).map_err(|e| {
        bad(format!(
            "the reference's secret.chatTrace answer for the {role}'s trace: results: {e}"
        ))
    })?;
    if results.len() != steps.len() {
        return Err(bad(format!(
            "the reference gives {} results for the {role}'s {} steps",
            results.len(),
            steps.len()
        )));
    }
    let mut out = Vec::with_capacity(steps.len());
    let mut first_error = None;
    for (n, ((mut step, got), d)) in steps.into_iter().zip(results).zip(did).enumerate() {
        if !agrees(&d, &got) {
            let ran = match d {
                Did::Sent => "sent".to_owned(),
                Did::Saw(s) => format!("{s:?}"),
            };
            return Err(bad(format!(
                "{role} step {n} ({}): the reference replaying the trace gives {got:?} and the \
                 target's run {ran}: they differ, fix that first",
                step.op
            )));
        }
        if first_error.is_none() && matches!(got.verdict.as_str(), "reject" | "close" | "refuse") {
            first_error = got.error.clone();
        }
        step.expect = got;
        out.push(step);
    }
    let (result, error) = verdict(first_error.as_deref());
    let group = ChatTraceGroup {
        group_type: "SecretChatTraceTest".into(),
        role: role.into(),
        key: Hex(t.key.to_vec()),
        source: no_source(),
        tests: vec![ChatTraceCase {
            tc_id: 0,
            comment: String::new(),
            flags: Vec::new(),
            steps: out,
            result,
            error,
        }],
    };
    Ok(Part {
        group: TestGroup::Secret(SecretFamily::ChatTrace(group)),
        label: format!("the {role}'s side"),
    })
}

/// The two `SecretChatTraceTest` cases of a `secret_chat` input (originator, then acceptor), or
/// why none can be written.
pub(super) fn finding(data: &[u8]) -> Result<Finding, HarnessError> {
    let t = traced(data)?;
    Ok(Finding {
        parts: vec![part(&t, true)?, part(&t, false)?],
        algorithm: "MTProto-secret-chat",
        schema: "secret_chat_trace_test_schema_v1.json",
        family: "secret",
    })
}
