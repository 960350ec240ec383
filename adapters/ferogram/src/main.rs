//! mtproto-harness adapter for ferogram (`ferogram-crypto`, `ferogram-mtproto` 0.6.6): JSON lines
//! over stdio, protocol version 1 (wire format in the harness's `harness/iut/src/subprocess.rs`).
//!
//! Every op drives ferogram's own public functions; what they do not reach is answered
//! `unsupported` (README.md says why, op by op). A ferogram error is a rejection named in the
//! shared vocabulary where the variant says which rule, else `Rejected`; a panic inside ferogram
//! is caught and answered `internal` (an `error` case for the harness), and the adapter goes on.

mod ops;
mod proto;
mod random;
mod session;
mod tl;

use std::io::{BufRead, BufWriter, Write};
use std::panic::{self, AssertUnwindSafe};

use proto::{Answer, Req};
use serde_json::{Map, Value};

/// The ops this adapter reaches.
const OPS: &[&str] = &[
    "ige.encrypt",
    "ige.decrypt",
    "kdf.msgKey",
    "envelope.encrypt",
    "envelope.decrypt",
    "pq.factorize",
    "dh.checkParams",
    "session.open",
    "session.feed",
    "session.close",
    "tl.id",
];

/// The version of the ferogram crates this adapter is pinned to (Cargo.lock).
const LIBRARY_VERSION: &str = "0.6.6";

fn dispatch(op: &str, req: &Req, sessions: &mut session::Sessions) -> Answer {
    let result = match op {
        "ige.encrypt" => ops::ige(req, true),
        "ige.decrypt" => ops::ige(req, false),
        "kdf.msgKey" => ops::kdf_msg_key(req),
        "envelope.encrypt" => ops::envelope_encrypt(req),
        "envelope.decrypt" => ops::envelope_decrypt(req),
        "pq.factorize" => ops::pq_factorize(req),
        "dh.checkParams" => ops::dh_check_params(req),
        "session.open" => sessions.open(req),
        "session.feed" => sessions.feed(req),
        "session.close" => sessions.close(req),
        "tl.id" => tl::id(req),
        _ => return Answer::Unsupported,
    };
    result.unwrap_or_else(Answer::Internal)
}

thread_local! {
    static LAST_PANIC: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

/// Run one request; a panic inside ferogram becomes an answer.
fn answer(op: &str, req: &Req, sessions: &mut session::Sessions) -> Answer {
    random::clear();
    let got = panic::catch_unwind(AssertUnwindSafe(|| dispatch(op, req, sessions)));
    let starved = random::starved();
    random::clear();
    match got {
        Ok(a) => a,
        // ferogram panics (`expect`) when getrandom fails: the op needed randomness the vector
        // does not fix.
        Err(_) if starved => Answer::Unsupported,
        Err(_) => Answer::Internal(format!(
            "ferogram panicked: {}",
            LAST_PANIC.with(|p| p.borrow().clone())
        )),
    }
}

fn respond(line: &str, sessions: &mut session::Sessions) -> Value {
    let mut out = Map::new();
    let req: Req = match serde_json::from_str::<Value>(line) {
        Ok(Value::Object(m)) => m,
        Ok(_) => {
            out.insert("id".into(), Value::Null);
            Answer::Internal("malformed request: not an object".into()).write(&mut out);
            return Value::Object(out);
        }
        Err(e) => {
            out.insert("id".into(), Value::Null);
            Answer::Internal(format!("malformed request: {e}")).write(&mut out);
            return Value::Object(out);
        }
    };
    out.insert("id".into(), req.get("id").cloned().unwrap_or(Value::Null));
    let op = req.get("op").and_then(Value::as_str).unwrap_or_default();
    if op == "hello" {
        if req.get("version").and_then(Value::as_u64) != Some(1) {
            out.insert("ok".into(), Value::Bool(false));
            out.insert("error".into(), "UnsupportedVersion".into());
        } else {
            out.insert("ok".into(), Value::Bool(true));
            out.insert("protocol".into(), Value::from(1));
            out.insert("name".into(), "ferogram".into());
            out.insert("version".into(), LIBRARY_VERSION.into());
            out.insert(
                "ops".into(),
                Value::Array(OPS.iter().map(|&o| Value::from(o)).collect()),
            );
        }
        return Value::Object(out);
    }
    answer(op, &req, sessions).write(&mut out);
    Value::Object(out)
}

fn main() {
    panic::set_hook(Box::new(|info| {
        LAST_PANIC.with(|p| *p.borrow_mut() = info.to_string());
    }));
    let stdin = std::io::stdin();
    let mut stdout = BufWriter::new(std::io::stdout().lock());
    let mut sessions = session::Sessions::default();
    for line in stdin.lock().lines() {
        let Ok(line) = line else { break };
        if line.trim().is_empty() {
            continue;
        }
        let answer = respond(&line, &mut sessions);
        if writeln!(stdout, "{answer}")
            .and_then(|()| stdout.flush())
            .is_err()
        {
            break;
        }
    }
}
