//! Server-role cases against the reference server driver (in-process), the judge failing a
//! wrong expectation, and hostile servers (shell fixtures) that never listen or exit at once.

// A failing test may panic: that is how it reports.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use mtproto_wire::case::{Action, Mutation, Reaction};
use mtproto_wire::runner::{
    Driver, Outcome, RunOptions, group_gone, run_server_case, run_server_case_with_pgid,
};
use mtproto_wire::suite::server_cases;

fn opts() -> RunOptions {
    RunOptions {
        timeout: Duration::from_secs(20),
        ..RunOptions::default()
    }
}

#[test]
fn the_reference_server_passes_every_server_case() {
    let driver = Driver::reference_server();
    let mut failed = Vec::new();
    for case in server_cases() {
        let v = run_server_case(&case, &driver, &opts());
        if v.outcome != Outcome::Pass {
            failed.push(format!(
                "#{} {} ({}): {:?}: {}\n  events {:?}\n  transcript {}",
                case.tc_id,
                case.comment,
                case.transport,
                v.outcome,
                v.detail,
                v.events,
                serde_json::to_string(&v.transcript).unwrap_or_default()
            ));
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}

#[test]
fn a_wrong_expected_code_fails() {
    let mut case = server_cases()
        .into_iter()
        .find(|c| {
            c.script.iter().any(|s| {
                s.action
                    == Action::SendPing {
                        mutation: Some(Mutation::OddClientMsgId),
                    }
            })
        })
        .unwrap();
    if let Some(last) = case.script.last_mut() {
        last.expect = Reaction::Notification { code: 16 };
    }
    let v = run_server_case(&case, &Driver::reference_server(), &opts());
    assert_eq!(v.outcome, Outcome::Fail, "{}", v.detail);
    assert!(v.detail.contains("Some(18)"), "{}", v.detail);
}

fn assert_error_in_time(cmd: &str, want: &str) {
    let case = server_cases().into_iter().next().unwrap();
    let o = RunOptions {
        timeout: Duration::from_millis(1500),
        ..RunOptions::default()
    };
    let t = Instant::now();
    let (v, pgid) = run_server_case_with_pgid(&case, &Driver::Command(cmd.to_string()), &o);
    let took = t.elapsed();
    assert_eq!(v.outcome, Outcome::Error, "{cmd}: {}", v.detail);
    assert!(
        v.detail.contains(want),
        "{cmd}: {:?} lacks {want:?}",
        v.detail
    );
    assert!(took < Duration::from_millis(4500), "{cmd}: took {took:?}");
    assert!(
        group_gone(pgid),
        "{cmd}: process group {pgid:?} still alive"
    );
}

#[test]
fn a_server_that_never_listens_is_an_error() {
    assert_error_in_time("sleep 30", "timed out");
}

#[test]
fn a_server_that_exits_at_once_is_an_error() {
    assert_error_in_time("exit 2", "exited");
}

/// The obfuscated2 init cases reach the reference server's prefix check: it refuses each
/// forced prefix (the expected reaction, "as expected"), while the same case without the prefix
/// completes the handshake (so the refusal is the prefix's doing); and an acceptable case with
/// the other reaction is a pass that says so.
#[test]
fn forbidden_init_prefixes_reach_the_servers_check() {
    let driver = Driver::reference_server();
    let cases: Vec<_> = server_cases()
        .into_iter()
        .filter(|c| c.init_prefix.is_some())
        .collect();
    assert_eq!(cases.len(), 9);
    for case in &cases {
        let v = run_server_case(case, &driver, &opts());
        assert_eq!(v.outcome, Outcome::Pass, "#{}: {}", case.tc_id, v.detail);
        assert!(
            v.detail.starts_with("as expected"),
            "#{}: {}",
            case.tc_id,
            v.detail
        );
        let mut clean = case.clone();
        clean.init_prefix = None;
        let v = run_server_case(&clean, &driver, &opts());
        assert!(
            v.detail.starts_with("acceptable"),
            "#{}: {}",
            case.tc_id,
            v.detail
        );
        clean.acceptable = false;
        let v = run_server_case(&clean, &driver, &opts());
        assert_eq!(v.outcome, Outcome::Fail, "#{}: {}", case.tc_id, v.detail);
    }
}

/// The quick-ack cases fail a server that never answers quick acks.
#[test]
fn a_server_without_quick_acks_fails_the_quick_ack_cases() {
    let case = server_cases()
        .into_iter()
        .find(|c| c.script.iter().any(|s| s.expect == Reaction::QuickAck))
        .unwrap();
    let v = run_server_case(&case, &Driver::reference_server(), &opts());
    assert_eq!(v.outcome, Outcome::Pass, "{}", v.detail);
    let mute = Driver::InProcess(std::sync::Arc::new(|env, out| {
        mtproto_wire::driver::run_server_with(env, out, &|s| s.quick_acks = false)
    }));
    let v = run_server_case(&case, &mute, &opts());
    assert_eq!(v.outcome, Outcome::Fail, "{}", v.detail);
}
