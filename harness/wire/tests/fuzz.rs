//! The `wire-fuzz` generator: the same seed draws the same cases; every drawn case is a wire
//! vector the strict loader accepts (its `result` and `error` agree with `verdict_of`); the
//! genome rules hold (nothing after a step the peer may close on, bound genes on their
//! transports); and the classification of verdicts into finding kinds.

// A failing test may panic: that is how it reports.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use mtproto_vectors::Source;
use mtproto_vectors::families::wire::file_of;
use mtproto_wire::case::{Action, PongPlan, Reaction, Role};
use mtproto_wire::fuzz::engine::Generator;
use mtproto_wire::fuzz::{Kind, classify};
use mtproto_wire::runner::{Outcome, Verdict};
use serde_json::json;

fn draw(role: Role, seed: u64, n: usize) -> Vec<mtproto_wire::case::WireCase> {
    let mut g = Generator::new(role, seed, None).unwrap();
    (0..n).map(|_| g.next_case().1).collect()
}

#[test]
fn the_same_seed_draws_the_same_cases() {
    for role in [Role::ClientUnderTest, Role::ServerUnderTest] {
        assert_eq!(draw(role, 7, 60), draw(role, 7, 60));
        assert_ne!(draw(role, 7, 60), draw(role, 8, 60));
    }
}

#[test]
fn every_drawn_case_is_a_wire_vector_the_loader_accepts() {
    for role in [Role::ClientUnderTest, Role::ServerUnderTest] {
        let cases = draw(role, 3, 400);
        let source = Source {
            name: "wire-fuzz-test".into(),
            version: "1".into(),
        };
        let (_, file) = file_of("wire_fuzz_test.json", role, source, &["test"], cases).unwrap();
        let text = file.to_json_pretty().unwrap();
        mtproto_vectors::parse_str(&text, "wire_fuzz_test.json").unwrap();
    }
}

#[test]
fn the_genome_rules_hold_for_drawn_cases() {
    let terminal = |r: &Reaction| {
        matches!(
            r,
            Reaction::Dropped
                | Reaction::ErrorReported
                | Reaction::Closed
                | Reaction::TransportError { .. }
                | Reaction::NotCompleted
        )
    };
    let mut kinds = std::collections::BTreeSet::new();
    for c in draw(Role::ClientUnderTest, 11, 500) {
        let last = c.script.len() - 1;
        for (i, s) in c.script.iter().enumerate() {
            if terminal(&s.expect) {
                assert_eq!(i, last, "a step after a terminal one: {c:?}");
            }
            if let Action::AnswerPing { pong } = &s.action {
                kinds.insert(format!("{:?}", std::mem::discriminant(pong)));
                match pong {
                    PongPlan::FrameDecoy { .. } | PongPlan::TruthInFrame { .. } => {
                        assert!(!c.transport.starts_with("obfuscated2"), "{c:?}");
                    }
                    PongPlan::QuickAckFirst => assert_ne!(c.transport, "full", "{c:?}"),
                    _ => {}
                }
            }
        }
        let pongs = c
            .script
            .iter()
            .filter(|s| matches!(s.action, Action::AnswerPing { .. }))
            .count();
        assert_eq!(c.pings as usize, pongs.max(1), "{c:?}");
        assert_eq!(
            c.acceptable,
            c.flags.iter().any(|f| f == "SpecOpen"),
            "{c:?}"
        );
    }
    // Every kind of pong plan the suite has is drawn.
    assert_eq!(kinds.len(), 8, "{kinds:?}");
}

fn verdict(outcome: Outcome, detail: &str, exit: Option<i32>, stderr: &str) -> Verdict {
    Verdict {
        tc_id: 1,
        outcome,
        detail: detail.into(),
        events: vec![json!({"event": "handshake", "ok": true})],
        transcript: Vec::new(),
        exit_code: exit,
        stderr_tail: stderr.into(),
        driver: "x".into(),
        elapsed_ms: 1,
    }
}

#[test]
fn verdicts_are_classified_into_finding_kinds() {
    assert_eq!(classify(&verdict(Outcome::Pass, "", Some(0), "")), None);
    assert_eq!(
        classify(&verdict(Outcome::Fail, "took the decoy", Some(0), "")),
        Some(Kind::Fail)
    );
    assert_eq!(
        classify(&verdict(
            Outcome::Error,
            "connection closed by the peer during x (driver exited with status Some(1))",
            Some(1),
            "Traceback (most recent call last):\n  File ..."
        )),
        Some(Kind::Crash)
    );
    assert_eq!(
        classify(&verdict(
            Outcome::Error,
            "connection closed by the peer during x",
            Some(1),
            ""
        )),
        Some(Kind::Crash)
    );
    assert_eq!(
        classify(&verdict(
            Outcome::Error,
            "driver did not exit within 5000 ms (x)",
            None,
            ""
        )),
        Some(Kind::Hang)
    );
    assert_eq!(
        classify(&verdict(
            Outcome::Error,
            "driver printed a line that is not a JSON object: \"hi\"",
            Some(0),
            ""
        )),
        Some(Kind::Garbage)
    );
    assert_eq!(
        classify(&verdict(
            Outcome::Fail,
            "the driver reported no pong for step 1",
            Some(3),
            "thread '<unnamed>' panicked at src/lib.rs:1:1\nnote: run with `RUST_BACKTRACE=1`"
        )),
        Some(Kind::Crash)
    );
    let mut caught = verdict(Outcome::Error, "connection closed", Some(1), "");
    caught
        .events
        .push(json!({"event": "error", "detail": "closed"}));
    assert_eq!(classify(&caught), Some(Kind::Unjudged));
}
