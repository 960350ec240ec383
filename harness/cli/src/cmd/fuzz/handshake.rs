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
// The vector family's types (one place, so a move of the vectors crate's modules is one edit).
use mtproto_vectors::Hex;
use mtproto_vectors::families::handshake::{
    Group as HandshakeFamily, HandshakeCase, HandshakeGroup, HandshakeServerCase,
    HandshakeServerGroup,
};
use mtproto_vectors::{TestGroup, Verdict};
use serde::Serialize;
use serde_json::Value;

use super::{Finding, no_source};
use crate::error::HarnessError;

/// The message called `name` as delivered (empty when it never was).
fn delivered(t: &Transcript, name: &str) -> Hex {
    Hex(t
        .messages
        .iter()
        .find(|m| m.name == name)
        .map(|m| m.delivered.clone())
        .unwrap_or_default())
}

/// The message called `name` as its sender sent it.
fn sent(t: &Transcript, name: &str) -> Option<Hex> {
    t.messages
        .iter()
        .find(|m| m.name == name)
        .map(|m| Hex(m.sent.clone()))
}

/// `v`, or `n` zero bytes when the side never drew it.
fn drawn(v: &[u8], n: usize) -> Hex {
    if v.is_empty() {
        Hex(vec![0; n])
    } else {
        Hex(v.to_vec())
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

/// The client-role case (inputs only; the outputs are filled in once the exchange is done).
fn client_case(t: &Transcript) -> HandshakeCase {
    HandshakeCase {
        tc_id: 0,
        comment: String::new(),
        flags: Vec::new(),
        rsa_n: Hex(t.rsa.0.clone()),
        rsa_e: Hex(t.rsa.1.clone()),
        dc: 2,
        expires_in: t.temporary.then_some(3600),
        nonce: Hex(t.nonce.clone()),
        new_nonce: Hex(t.new_nonce.clone()),
        rsa_padding: Hex(t.rsa_padding.clone()),
        temp_keys: t.temp_keys.iter().map(|k| Hex(k.to_vec())).collect(),
        b: drawn(&t.b, 256),
        dh_padding: drawn(&t.client_padding, 16),
        now: t.now,
        res_pq: delivered(t, "resPq"),
        server_dh_params: delivered(t, "serverDhParams"),
        dh_gen: delivered(t, "dhGen"),
        retries: Vec::new(),
        req_pq_multi: None,
        req_dh_params: None,
        set_client_dh_params: None,
        auth_key: None,
        server_salt: None,
        time_offset: None,
        result: Verdict::Valid,
        error: None,
    }
}

/// The server-role case (inputs only).
fn server_case(t: &Transcript) -> Result<HandshakeServerCase, String> {
    Ok(HandshakeServerCase {
        tc_id: 0,
        comment: String::new(),
        flags: Vec::new(),
        rsa_n: Hex(t.rsa.0.clone()),
        rsa_e: Hex(t.rsa.1.clone()),
        rsa_d: Hex(t.rsa.2.clone()),
        dh_prime: Hex(t.group.0.clone()),
        g: i32::try_from(t.group.1).map_err(|_| format!("g = {} does not fit", t.group.1))?,
        server_nonce: Hex(t.server_nonce.clone()),
        p: t.pq.0,
        q: t.pq.1,
        a: drawn(&t.a, 256),
        dh_padding: drawn(&t.server_padding, 16),
        server_time: t.server_time,
        req_pq_multi: delivered(t, "reqPqMulti"),
        req_dh_params: delivered(t, "reqDhParams"),
        set_client_dh_params: delivered(t, "setClientDhParams"),
        dh_gen_answer: None,
        retries: Vec::new(),
        res_pq: None,
        server_dh_params: None,
        dh_gen: None,
        auth_key: None,
        server_salt: None,
        dc: None,
        expires_in: None,
        result: Verdict::Valid,
        error: None,
    })
}

/// The adapter request of a case: its fields without the case header and the expectations.
fn request(case: &impl Serialize) -> Result<Fields, String> {
    match serde_json::to_value(case) {
        Ok(Value::Object(mut m)) => {
            for k in ["tcId", "comment", "flags", "result", "error"] {
                m.remove(k);
            }
            Ok(m)
        }
        Ok(other) => Err(format!("a case serialises to {other}, not an object")),
        Err(e) => Err(e.to_string()),
    }
}

/// The run's outputs written into the case: what the target's side sent and, for a finished
/// exchange, the key, salt and clock offset (client) or the requested dc and lifetime (server).
fn client_outputs(c: &mut HandshakeCase, t: &Transcript, end: &Ending) {
    c.req_pq_multi = sent(t, "reqPqMulti");
    c.req_dh_params = sent(t, "reqDhParams");
    c.set_client_dh_params = sent(t, "setClientDhParams");
    if let Ending::Done {
        auth_key,
        server_salt,
        time_offset,
    } = end
    {
        c.auth_key = Some(Hex(auth_key.to_vec()));
        c.server_salt = Some(Hex(server_salt.to_vec()));
        c.time_offset = Some(*time_offset);
    }
}

fn server_outputs(c: &mut HandshakeServerCase, t: &Transcript, end: &Ending) {
    c.res_pq = sent(t, "resPq");
    c.server_dh_params = sent(t, "serverDhParams");
    c.dh_gen = sent(t, "dhGen");
    if let Ending::Done {
        auth_key,
        server_salt,
        ..
    } = end
    {
        c.auth_key = Some(Hex(auth_key.to_vec()));
        c.server_salt = Some(Hex(server_salt.to_vec()));
        let (dc, expires) = t.requested.unwrap_or((0, None));
        c.dc = Some(dc);
        c.expires_in = Some(expires.unwrap_or(0));
    }
}

/// Each output the adapter answered must be the run's (in the case `want`, serialised).
fn compare(want: &impl Serialize, server: bool, out: &Fields) -> Result<(), String> {
    let want = request(want)?;
    let names: &[&str] = if server {
        &[
            "resPq",
            "serverDhParams",
            "dhGen",
            "authKey",
            "serverSalt",
            "dc",
            "expiresIn",
        ]
    } else {
        &[
            "reqPqMulti",
            "reqDhParams",
            "setClientDhParams",
            "authKey",
            "serverSalt",
            "timeOffset",
        ]
    };
    for &name in names {
        let (want, got) = (want.get(name), out.get(name));
        if want != got {
            let show = |v: Option<&Value>| v.map_or_else(|| "nothing".to_owned(), Value::to_string);
            return Err(format!(
                "{name}: the target's run gives {}, the reference replaying the transcript {}: \
                 they differ, fix that first",
                show(want),
                show(got)
            ));
        }
    }
    Ok(())
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
    let op = if server {
        mtproto_iut::handshake::HANDSHAKE_SERVER
    } else {
        mtproto_iut::handshake::HANDSHAKE_CLIENT
    };
    let mut client = (!server).then(|| client_case(&t));
    let mut server_side = if server {
        Some(server_case(&t).map_err(&bad)?)
    } else {
        None
    };
    let req = match (&client, &server_side) {
        (Some(c), _) => request(c),
        (_, Some(s)) => request(s),
        (None, None) => Err("no case".to_owned()),
    }
    .map_err(&bad)?;
    let answer = ReferenceIut::new().call(op, &req);
    let (result, error) = match (answer, end) {
        (Answer::Rejected { error }, Ending::Refused { error: ran, .. }) => {
            if error != *ran {
                return Err(bad(format!(
                    "{}: the target's {us} refuses it with {ran}, the reference replaying the \
                     transcript with {error}: they differ, fix that first",
                    last(&t)
                )));
            }
            (Verdict::Invalid, Some(error))
        }
        (Answer::Ok(out), Ending::Done { .. }) => {
            if let Some(c) = &mut client {
                client_outputs(c, &t, end);
                compare(c, false, &out).map_err(&bad)?;
            }
            if let Some(s) = &mut server_side {
                server_outputs(s, &t, end);
                compare(s, true, &out).map_err(&bad)?;
            }
            (Verdict::Valid, None)
        }
        (answer, end) => {
            return Err(bad(format!(
                "the target's {us} ends with {end:?} at {}, the reference replaying the \
                 transcript answers {answer:?}: they differ, fix that first",
                last(&t)
            )));
        }
    };
    let group = match (client, server_side) {
        (Some(mut c), _) => {
            (c.result, c.error) = (result, error);
            HandshakeFamily::Handshake(HandshakeGroup {
                group_type: "HandshakeTest".into(),
                role: us.into(),
                source: no_source(),
                tests: vec![c],
            })
        }
        (_, Some(mut s)) => {
            (s.result, s.error) = (result, error);
            HandshakeFamily::HandshakeServer(HandshakeServerGroup {
                group_type: "HandshakeTest".into(),
                role: us.into(),
                source: no_source(),
                tests: vec![s],
            })
        }
        (None, None) => return Err(bad("no case".into())),
    };
    Ok(Finding::one(
        TestGroup::Handshake(group),
        "MTProto-auth-key-handshake",
        "handshake_test_schema_v1.json",
        "handshake",
    ))
}
