//! The case model is ready to be a JSON vector family: every built-in case round-trips through
//! JSON, and the JSON has the shape the docs show.

// A failing test may panic: that is how it reports.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use mtproto_wire::case::{CaseTransport, WireCase};
use mtproto_wire::suite::{client_cases, server_cases};

#[test]
fn every_case_round_trips_through_json() {
    for c in client_cases().into_iter().chain(server_cases()) {
        let j = serde_json::to_string(&c).unwrap();
        let back: WireCase = serde_json::from_str(&j).unwrap();
        assert_eq!(back, c, "{j}");
        c.transport().unwrap();
    }
}

#[test]
fn a_case_reads_from_hand_written_json() {
    let j = r#"{
        "tcId": 7, "comment": "decoy with a flipped msg_key", "role": "client_under_test",
        "transport": "obfuscated2-padded", "secret": "dd00112233445566778899aabbccddeeff",
        "script": [
            {"action": {"action": "handshake"}, "expect": {"reaction": "completed"}},
            {"action": {"action": "answer_ping", "pong": {"plan": "decoy_then_truth", "mutation": "flip_msg_key"}},
             "expect": {"reaction": "ignored"}}
        ]
    }"#;
    let c: WireCase = serde_json::from_str(j).unwrap();
    assert_eq!((c.dc, c.pings, c.seed), (2, 1, 0));
    assert_eq!(c.transport().unwrap().name(), "obfuscated2-padded");
    let bad = j.replace("flip_msg_key", "flip_the_moon");
    assert!(serde_json::from_str::<WireCase>(&bad).is_err());
}

/// tc_ids are unique across both suites, and every case names the page or rule it enforces.
#[test]
fn case_ids_are_unique_and_cases_cite_their_clause() {
    let mut seen = std::collections::HashSet::new();
    for c in client_cases().into_iter().chain(server_cases()) {
        assert!(seen.insert(c.tc_id), "duplicate tc_id {}", c.tc_id);
        let cites = c.comment.contains("https://core.telegram.org/")
            || c.comment
                .split(|ch: char| !ch.is_ascii_alphanumeric())
                .any(|w| {
                    w.len() > 1 && w.starts_with('R') && w[1..].bytes().all(|b| b.is_ascii_digit())
                })
            || c.flags.iter().any(|f| f == "Valid");
        assert!(cites, "#{} cites no clause: {}", c.tc_id, c.comment);
    }
}
