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
use serde_json::{Map, Value, json};

use super::{Finding, Part, hex, obj};
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

/// One side's steps and what it did at each.
fn side(t: &Trace, a: bool) -> (Vec<Value>, Vec<Did<'_>>) {
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
                steps.push(json!({"op": "send", "message": hex(message), "fresh": hex(fresh)}));
                did.push(Did::Sent);
            }
            Event::Receive {
                to_a,
                packet,
                fresh,
                seen,
            } if *to_a == a => {
                steps.push(json!({"op": "receive", "packet": hex(packet), "fresh": hex(fresh)}));
                did.push(Did::Saw(seen));
            }
            Event::Rekey {
                from_a,
                exchange_id,
                secret,
                fresh,
            } if *from_a == a => {
                steps.push(json!({
                    "op": "rekey",
                    "exchangeId": hex(&exchange_id.to_le_bytes()),
                    "secret": hex(secret.as_slice()),
                    "fresh": hex(fresh),
                }));
                did.push(Did::Sent);
            }
            _ => {}
        }
    }
    (steps, did)
}

/// Whether the adapter's result `got` for a step is what the side did in the target's run.
fn agrees(did: &Did<'_>, got: &Value) -> bool {
    let verdict = got.get("verdict").and_then(Value::as_str).unwrap_or("");
    let error = got.get("error").and_then(Value::as_str);
    match did {
        Did::Sent => verdict == "sent",
        Did::Saw(Seen::Accepted { delivered, replies }) => {
            let got_delivered: Vec<i64> = got
                .get("delivered")
                .and_then(Value::as_array)
                .map(|d| d.iter().filter_map(Value::as_i64).collect())
                .unwrap_or_default();
            let got_replies = got
                .get("replies")
                .and_then(Value::as_array)
                .map_or(0, Vec::len);
            let want: Vec<i64> = delivered.iter().map(|&d| i64::from(d)).collect();
            let kind = if want.is_empty() { "queue" } else { "deliver" };
            verdict == kind && got_delivered == want && got_replies == *replies
        }
        Did::Saw(Seen::Rejected(e)) => verdict == "reject" && error == Some(e),
        Did::Saw(Seen::Closed(e)) => verdict == "close" && error == Some(e),
    }
}

/// The `SecretChatTraceTest` group and case of one side.
fn part(t: &Trace, a: bool) -> Result<Part, HarnessError> {
    let role = if a { "originator" } else { "acceptor" };
    let (steps, did) = side(t, a);
    let mut req = Fields::new();
    req.insert("role".into(), role.into());
    req.insert("key".into(), hex(&t.key).into());
    req.insert("steps".into(), Value::Array(steps.clone()));
    let results = match ReferenceIut::new().call(mtproto_iut::secret::CHAT_TRACE, &req) {
        Answer::Ok(f) => f
            .get("results")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default(),
        other => {
            return Err(bad(format!(
                "the reference's secret.chatTrace does not answer the {role}'s trace: {other:?}"
            )));
        }
    };
    if results.len() != steps.len() {
        return Err(bad(format!(
            "the reference gives {} results for the {role}'s {} steps",
            results.len(),
            steps.len()
        )));
    }
    let mut out = Vec::with_capacity(steps.len());
    let mut first_error = None;
    for (n, ((step, got), d)) in steps.into_iter().zip(results).zip(did).enumerate() {
        if !agrees(&d, &got) {
            let ran = match d {
                Did::Sent => "sent".to_owned(),
                Did::Saw(s) => format!("{s:?}"),
            };
            return Err(bad(format!(
                "{role} step {n} ({}): the reference replaying the trace gives {got} and the \
                 target's run {ran}: they differ, fix that first",
                step.get("op").and_then(Value::as_str).unwrap_or("")
            )));
        }
        let verdict = got.get("verdict").and_then(Value::as_str).unwrap_or("");
        if first_error.is_none() && matches!(verdict, "reject" | "close" | "refuse") {
            first_error = got.get("error").cloned();
        }
        let mut step = obj(step);
        step.insert("expect".into(), got);
        out.push(Value::Object(step));
    }
    let group = obj(json!({"type": "SecretChatTraceTest", "role": role, "key": hex(&t.key)}));
    let mut case = Map::new();
    case.insert("steps".into(), Value::Array(out));
    match first_error {
        None => {
            case.insert("result".into(), "valid".into());
        }
        Some(e) => {
            case.insert("result".into(), "invalid".into());
            case.insert("error".into(), e);
        }
    }
    Ok(Part {
        group,
        case,
        label: format!("the {role}'s side"),
    })
}

/// The two `SecretChatTraceTest` cases of a `secret_chat` input (originator, then acceptor), or
/// why none can be written.
pub(super) fn finding(data: &[u8]) -> Result<Finding, HarnessError> {
    let t = traced(data)?;
    let a = part(&t, true)?;
    let b = part(&t, false)?;
    Ok(Finding {
        group: a.group,
        case: a.case,
        algorithm: "MTProto-secret-chat",
        schema: "secret_chat_trace_test_schema_v1.json",
        family: "secret",
        more: vec![b],
    })
}
