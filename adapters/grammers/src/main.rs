//! mtproto-harness adapter for grammers (`grammers-crypto`, `grammers-mtproto` 0.11.0): JSON
//! lines over stdio, protocol version 1 (`docs/adapter-protocol.md` in the harness repository).
//!
//! Every op drives grammers' own public functions; what they do not reach is answered
//! `unsupported` (README.md says why, op by op). A grammers error is a rejection named in the
//! shared vocabulary where the variant says which rule, else `Rejected`; a panic inside grammers
//! is caught and answered `internal` (an `error` case for the harness) with the panic message,
//! and the adapter goes on with the next request.

mod handshake;
mod ops;
mod proto;
mod random;
mod rsa;
mod tl;
mod transport;

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
    "transport.decode",
    "transport.encode",
    "handshake.client",
    "tl.id",
    "rsa.padEncrypt",
];

/// The version of the grammers crates this adapter is pinned to (Cargo.lock).
const LIBRARY_VERSION: &str = "0.11.0";

fn dispatch(op: &str, req: &Req) -> Answer {
    let result = match op {
        "ige.encrypt" => ops::ige(req, true),
        "ige.decrypt" => ops::ige(req, false),
        "kdf.msgKey" => ops::kdf_msg_key(req),
        "envelope.encrypt" => ops::envelope_encrypt(req),
        "envelope.decrypt" => ops::envelope_decrypt(req),
        "pq.factorize" => ops::pq_factorize(req),
        "transport.decode" => transport::decode(req),
        "transport.encode" => transport::encode(req),
        "handshake.client" => handshake::client(req),
        "tl.id" => tl::id(req),
        "rsa.padEncrypt" => rsa::pad_encrypt(req),
        _ => return Answer::Unsupported,
    };
    result.unwrap_or_else(Answer::Internal)
}

thread_local! {
    static LAST_PANIC: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

/// Run one request; a panic inside grammers becomes an answer.
fn answer(op: &str, req: &Req) -> Answer {
    random::clear();
    let got = panic::catch_unwind(AssertUnwindSafe(|| dispatch(op, req)));
    let starved = random::starved();
    random::clear();
    match got {
        Ok(a) => a,
        // grammers panics (`expect`) when getrandom fails: the op needed randomness the vector
        // does not fix.
        Err(_) if starved => Answer::Unsupported,
        Err(_) => Answer::Internal(format!(
            "grammers panicked: {}",
            LAST_PANIC.with(|p| p.borrow().clone())
        )),
    }
}

fn respond(line: &str) -> Value {
    let mut out = Map::new();
    let req: Req = match serde_json::from_str::<Value>(line) {
        Ok(Value::Object(m)) => m,
        Ok(_) | Err(_) => {
            out.insert("id".into(), Value::Null);
            out.insert("ok".into(), Value::Bool(false));
            out.insert("internal".into(), "malformed request line".into());
            return Value::Object(out);
        }
    };
    let id = req.get("id").cloned().unwrap_or(Value::Null);
    out.insert("id".into(), id);
    let op = req.get("op").and_then(Value::as_str).unwrap_or("");
    if op == "hello" {
        if req.get("version").and_then(Value::as_u64) != Some(1) {
            out.insert("ok".into(), Value::Bool(false));
            out.insert("error".into(), "UnsupportedVersion".into());
            return Value::Object(out);
        }
        out.insert("ok".into(), Value::Bool(true));
        out.insert("protocol".into(), 1.into());
        out.insert("name".into(), "grammers".into());
        out.insert("version".into(), LIBRARY_VERSION.into());
        out.insert("ops".into(), OPS.iter().map(|&o| Value::from(o)).collect());
        return Value::Object(out);
    }
    answer(op, &req).write(&mut out);
    Value::Object(out)
}

fn main() {
    // Without the custom getrandom backend grammers would use the OS's randomness and every
    // known-answer comparison would fail for a reason that is not grammers'.
    random::feed(&[1, 2, 3, 4]);
    let mut probe = [0u8; 4];
    if getrandom::fill(&mut probe).is_err() || probe != [1, 2, 3, 4] {
        eprintln!(
            "mtproto-adapter-grammers: built without --cfg getrandom_backend=\"custom\" \
             (build it with adapters/grammers/setup.sh)"
        );
        std::process::exit(2);
    }
    random::clear();
    panic::set_hook(Box::new(|info| {
        let msg = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        LAST_PANIC.with(|p| *p.borrow_mut() = format!("{msg}{at}"));
    }));
    let stdin = std::io::stdin().lock();
    let mut stdout = BufWriter::new(std::io::stdout().lock());
    let mut lines = stdin.lines();
    while let Some(Ok(line)) = lines.next() {
        let answer = respond(&line);
        if writeln!(stdout, "{answer}").is_err() || stdout.flush().is_err() {
            break;
        }
    }
}
