//! `wire-fuzz`: seeded, structure-aware mutation of the harness's side of a wire conversation,
//! played against a driver process and judged by the wire suite's own oracles, with crash, hang
//! and garbage detection (docs/wire-fuzz.md).
//!
//! | module | what it holds |
//! |---|---|
//! | [`genome`] | the genes (runs of steps cut from the built-in cases, each with its reaction), the genome (transport, seed, handshake, steps), its mutations and the rules that keep it honest |
//! | [`engine`] | the loop: generate, run on the driver, classify, check on the reference, minimise, deduplicate |
//!
//! A mutated case is judged exactly as a wire vector is (`runner::run_client_case` /
//! `run_server_case`), and its verdict (`valid`, `invalid` with the check it targets, or
//! `acceptable`) comes from the wire family's `verdict_of`, which maps each mutation through
//! `Mutation::expected_error`.

pub mod engine;
pub mod genome;

use serde::{Deserialize, Serialize};

use crate::case::{Action, Reaction, Role, Step, WireCase};
use crate::runner::{Outcome, Verdict};

/// The check a single action breaks, as the wire family's verdicts name it (`None`: the
/// action sends only well-formed messages).
pub fn target_error(role: Role, action: &Action) -> Option<&'static str> {
    let probe = WireCase {
        tc_id: 0,
        comment: String::new(),
        role,
        transport: "intermediate".into(),
        secret: None,
        dc: 2,
        pings: 1,
        script: vec![Step {
            action: action.clone(),
            expect: Reaction::Accepted,
        }],
        flags: Vec::new(),
        seed: 0,
        acceptable: false,
        init_prefix: None,
    };
    mtproto_vectors::families::wire::verdict_of(&probe).1
}

/// The checks a case's actions break, sorted, without repeats.
pub fn target_errors(case: &WireCase) -> Vec<&'static str> {
    let mut v: Vec<&'static str> = case
        .script
        .iter()
        .filter_map(|s| target_error(case.role, &s.action))
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// What kind of finding a verdict is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// The driver reacted against the spec: it took an invalid message, refused a valid one,
    /// went on after a broken handshake message (and did not die doing so).
    Fail,
    /// The driver exited with an uncaught error: non-zero status and a traceback, panic or
    /// fatal signal on stderr (also when the verdict was a `fail`), or a non-zero status of a
    /// case that could not be judged without an `error` line or a failed `handshake` line of
    /// its own.
    Crash,
    /// The driver did not finish by the case timeout, or left the harness waiting for it.
    Hang,
    /// The driver broke the output contract (a line that is no JSON object, a flood) or sent
    /// bytes that are no frame.
    Garbage,
    /// The case could not be judged for another reason (e.g. the driver closed the connection
    /// on a broken message, reported an error of its own): counted, never a finding.
    Unjudged,
}

impl Kind {
    /// The snake_case name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Fail => "fail",
            Self::Crash => "crash",
            Self::Hang => "hang",
            Self::Garbage => "garbage",
            Self::Unjudged => "unjudged",
        }
    }

    /// Whether it is reported as a finding.
    pub fn is_finding(self) -> bool {
        self != Self::Unjudged
    }
}

/// Signs of an uncaught error on a driver's stderr (Python, Node, Rust, the C runtime).
const CRASH_SIGNS: [&str; 10] = [
    "Traceback (most recent call last)",
    "panicked at",
    "RUST_BACKTRACE",
    "PanicException",
    "Uncaught",
    "UnhandledPromiseRejection",
    "Segmentation fault",
    "core dumped",
    "Fatal Python error",
    "FATAL ERROR",
];

/// The kind of a verdict that did not pass (`None`: it passed).
pub fn classify(v: &Verdict) -> Option<Kind> {
    match v.outcome {
        Outcome::Pass => None,
        // A wrong reaction caused by the driver dying (a traceback, a panic) is a crash.
        Outcome::Fail if v.exit_code.is_some_and(|c| c != 0) && crash_signs(v) => Some(Kind::Crash),
        Outcome::Fail => Some(Kind::Fail),
        Outcome::Error => Some(classify_error(v)),
    }
}

fn crash_signs(v: &Verdict) -> bool {
    CRASH_SIGNS.iter().any(|s| v.stderr_tail.contains(s))
}

fn classify_error(v: &Verdict) -> Kind {
    let d = &v.detail;
    if d.contains("broke the output contract")
        || d.contains("not a JSON object")
        || d.contains("exceeds the cap")
    {
        return Kind::Garbage;
    }
    if crash_signs(v) {
        return Kind::Crash;
    }
    if d.contains("did not exit within") || d.contains("timed out after") {
        return Kind::Hang;
    }
    // A driver that caught the failure says so: an `error` line or a failed handshake.
    let own_line =
        v.events.iter().any(
            |e| match e.get("event").and_then(serde_json::Value::as_str) {
                Some("error") => true,
                Some("handshake") => e.get("ok") == Some(&serde_json::Value::Bool(false)),
                _ => false,
            },
        );
    match v.exit_code {
        Some(c) if c != 0 && !own_line => Kind::Crash,
        _ => Kind::Unjudged,
    }
}
