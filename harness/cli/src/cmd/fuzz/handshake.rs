//! `handshake_client` / `handshake_server` inputs as `HandshakeTest` cases
//! (`vectors/handshake/`, role `client` / `server`).
//!
//! The input is run through [`mtproto_fuzzing::handshake::client_transcript`] /
//! [`server_transcript`](mtproto_fuzzing::handshake::server_transcript), the target's own
//! exchange with its assertions (an input its oracle refuses is refused here). The transcript
//! gives every random value the side under test drew (the input's seed, scripted), the peer's
//! messages as delivered (changed or forged by the input) and how the exchange ended. The
//! expected result is the reference adapter's (`handshake.client` / `handshake.server` on exactly
//! the case's fields); it must also be what the side did in the target's run — the same error,
//! or the same messages, key, salt and clock offset — or nothing is written.
//!
//! A `HandshakeTest` is one pass through the exchange with the side under test refusing or
//! finishing, so these parts of a fuzz input cannot be expressed, and the tool refuses them
//! naming which:
//! - the *peer* (the honest reference on the other side) refusing a message the side under test
//!   sent in answer to a changed one: the case would need the peer's later messages, which were
//!   never sent;
//! - a `dh_gen_retry` the client accepts (the resend with a new `b` and `retry_id` is a second
//!   pass), and a server that answers `dh_gen_retry` or `dh_gen_fail` (the family's server always
//!   answers `dh_gen_ok`).
//!
//! Messages the side under test never reached are written as empty strings, and its random
//! values it never drew (the client's `b` when it stops at `resPQ`, the server's `a` when it
//! stops at `req_pq_multi`) as zeros: the family requires the fields, and neither is used.

use mtproto_fuzzing::handshake::{Ending, Transcript};
use mtproto_iut::{Answer, Fields, Iut, ReferenceIut};
use serde_json::{Map, Value, json};

use super::{Finding, hex, obj};
use crate::error::HarnessError;

/// The message called `name` as delivered (empty when it never was).
fn delivered(t: &Transcript, name: &str) -> String {
    t.messages
        .iter()
        .find(|m| m.name == name)
        .map(|m| hex(&m.delivered))
        .unwrap_or_default()
}

/// The message called `name` as its sender sent it.
fn sent(t: &Transcript, name: &str) -> Option<String> {
    t.messages
        .iter()
        .find(|m| m.name == name)
        .map(|m| hex(&m.sent))
}

/// `v`, or `n` zero bytes when the side never drew it.
fn drawn(v: &[u8], n: usize) -> String {
    if v.is_empty() {
        hex(&vec![0; n])
    } else {
        hex(v)
    }
}

fn traced(
    target: &str,
    f: fn(&[u8]) -> Option<Transcript>,
    data: &[u8],
) -> Result<Transcript, HarnessError> {
    let bad = |why: String| HarnessError::Vectors(format!("{target}: {why}"));
    match std::panic::catch_unwind(|| f(data)) {
        Ok(Some(t)) => Ok(t),
        Ok(None) => Err(bad(
            "the input is too short for the target's layout (seed, key kind, what happens to \
             each message)"
                .into(),
        )),
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

/// The last message delivered (the one the exchange ended on).
fn last(t: &Transcript) -> &'static str {
    t.messages.last().map_or("nothing", |m| m.name)
}

/// The case's fields for the side under test (`server`: the server role), without outputs.
fn inputs(t: &Transcript, server: bool) -> Map<String, Value> {
    let mut m = obj(json!({
        "rsaN": hex(&t.rsa.0),
        "rsaE": hex(&t.rsa.1),
    }));
    let mut put = |k: &str, v: Value| {
        m.insert(k.into(), v);
    };
    if server {
        put("rsaD", hex(&t.rsa.2).into());
        put("dhPrime", hex(&t.group.0).into());
        put("g", t.group.1.into());
        put("serverNonce", hex(&t.server_nonce).into());
        put("p", t.pq.0.into());
        put("q", t.pq.1.into());
        put("a", drawn(&t.a, 256).into());
        put("dhPadding", drawn(&t.server_padding, 16).into());
        put("serverTime", t.server_time.into());
        for k in ["reqPqMulti", "reqDhParams", "setClientDhParams"] {
            put(k, delivered(t, k).into());
        }
    } else {
        put("dc", 2.into());
        if t.temporary {
            put("expiresIn", 3600.into());
        }
        put("nonce", hex(&t.nonce).into());
        put("newNonce", hex(&t.new_nonce).into());
        put("rsaPadding", hex(&t.rsa_padding).into());
        put(
            "tempKeys",
            t.temp_keys.iter().map(|k| Value::from(hex(k))).collect(),
        );
        put("b", drawn(&t.b, 256).into());
        put("dhPadding", drawn(&t.client_padding, 16).into());
        put("now", t.now.into());
        for k in ["resPq", "serverDhParams", "dhGen"] {
            put(k, delivered(t, k).into());
        }
    }
    m
}

/// What the target's run says each output of a finished exchange is.
fn run_outputs(t: &Transcript, server: bool, end: &Ending) -> Vec<(&'static str, Value)> {
    let mut out = Vec::new();
    let names: &[&'static str] = if server {
        &["resPq", "serverDhParams", "dhGen"]
    } else {
        &["reqPqMulti", "reqDhParams", "setClientDhParams"]
    };
    for &n in names {
        out.push((n, sent(t, n).map_or(Value::Null, Value::from)));
    }
    if let Ending::Done {
        auth_key,
        server_salt,
        time_offset,
    } = end
    {
        out.push(("authKey", hex(auth_key).into()));
        out.push(("serverSalt", hex(server_salt).into()));
        if server {
            let (dc, expires) = t.requested.unwrap_or((0, None));
            out.push(("dc", dc.into()));
            out.push(("expiresIn", expires.unwrap_or(0).into()));
        } else {
            out.push(("timeOffset", (*time_offset).into()));
        }
    }
    out
}

/// The `HandshakeTest` case of a handshake input, or why none can be written.
pub(super) fn finding(target: &str, data: &[u8]) -> Result<Finding, HarnessError> {
    let server = target == "handshake_server";
    let bad = |why: String| HarnessError::Vectors(format!("{target}: {why}"));
    let f = if server {
        mtproto_fuzzing::handshake::server_transcript
    } else {
        mtproto_fuzzing::handshake::client_transcript
    };
    let t = traced(target, f, data)?;
    let (us, peer) = if server {
        ("server", "client")
    } else {
        ("client", "server")
    };
    let end = match &t.end {
        None => return Err(bad("the exchange did not end (the input ran out)".into())),
        Some(Ending::Beyond(what)) => {
            return Err(bad(format!(
                "{what}: a HandshakeTest is one pass through the exchange and cannot express \
                 that; keep the input under fuzz/regressions/{target}/ (cargo test replays it)"
            )));
        }
        Some(Ending::Refused { by_client, error }) if *by_client == server => {
            return Err(bad(format!(
                "the {peer} (the honest side) refuses the {us}'s answer to a changed message \
                 ({} refused with {error}): a {us}-role HandshakeTest cannot express that, as it \
                 would need the {peer}'s later messages, which were never sent",
                last(&t)
            )));
        }
        Some(end) => end,
    };
    let request = inputs(&t, server);
    let op = if server {
        mtproto_iut::handshake::HANDSHAKE_SERVER
    } else {
        mtproto_iut::handshake::HANDSHAKE_CLIENT
    };
    let req: Fields = request.clone();
    let answer = ReferenceIut::new().call(op, &req);
    let mut case = request;
    match (answer, end) {
        (Answer::Rejected { error }, Ending::Refused { error: ran, .. }) => {
            if error != *ran {
                return Err(bad(format!(
                    "{}: the target's {us} refuses it with {ran}, the reference replaying the \
                     transcript with {error}: they differ, fix that first",
                    last(&t)
                )));
            }
            case.insert("result".into(), "invalid".into());
            case.insert("error".into(), error.into());
        }
        (Answer::Ok(out), Ending::Done { .. }) => {
            for (name, want) in run_outputs(&t, server, end) {
                let got = out.get(name).cloned().unwrap_or(Value::Null);
                if got != want {
                    return Err(bad(format!(
                        "{name}: the target's run gives {want}, the reference replaying the \
                         transcript {got}: they differ, fix that first"
                    )));
                }
                case.insert(name.into(), got);
            }
            case.insert("result".into(), "valid".into());
        }
        (answer, end) => {
            return Err(bad(format!(
                "the target's {us} ends with {end:?} at {}, the reference replaying the \
                 transcript answers {answer:?}: they differ, fix that first",
                last(&t)
            )));
        }
    }
    Ok(Finding {
        group: obj(json!({"type": "HandshakeTest", "role": us})),
        case,
        algorithm: "MTProto-auth-key-handshake",
        schema: "handshake_test_schema_v1.json",
        family: "handshake",
        more: Vec::new(),
    })
}
