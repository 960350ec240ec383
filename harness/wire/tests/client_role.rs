//! Client-role cases against the reference client driver (in-process), and hostile drivers
//! (shell fixtures) that must give an error verdict in time and leave no process behind.

// A failing test may panic: that is how it reports.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use mtproto_wire::runner::{
    Driver, Outcome, RunOptions, group_gone, run_client_case, run_client_case_with_pgid,
};
use mtproto_wire::suite::client_cases;

fn opts() -> RunOptions {
    RunOptions {
        timeout: Duration::from_secs(20),
        ..RunOptions::default()
    }
}

#[test]
fn the_reference_client_passes_every_client_case() {
    let driver = Driver::reference_client();
    let mut failed = Vec::new();
    for case in client_cases() {
        let v = run_client_case(&case, &driver, &opts());
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

/// A driver that takes every pong it is shown, decoys included, must fail the decoy cases: the
/// oracle can fail. (It ignores the envelope result: the harness reports the first pong.)
#[test]
fn a_client_that_takes_the_decoy_fails() {
    use mtproto_wire::case::{Action, Mutation, PongPlan};
    let mut case = client_cases()
        .into_iter()
        .find(|c| {
            c.script.iter().any(|s| {
                matches!(
                    s.action,
                    Action::AnswerPing {
                        pong: PongPlan::DecoyThenTruth {
                            mutation: Mutation::FlipMsgKey
                        }
                    }
                )
            })
        })
        .unwrap();
    // A driver that reports the decoy's ping_id: the reference client, with its report shifted
    // by one (the decoy is truth + 1).
    let driver = Driver::InProcess(std::sync::Arc::new(
        |env: &mtproto_wire::driver::Env, out: &mut dyn std::io::Write| {
            let mut buf = Vec::new();
            let code = mtproto_wire::driver::run_reference_client(env, &mut buf);
            for line in String::from_utf8_lossy(&buf).lines() {
                let mut v: serde_json::Value = serde_json::from_str(line).unwrap();
                if v["event"] == "pong" {
                    v["ping_id"] =
                        serde_json::json!(v["ping_id"].as_i64().unwrap().wrapping_add(1));
                }
                writeln!(out, "{v}").unwrap();
            }
            code
        },
    ));
    case.pings = 1;
    let v = run_client_case(&case, &driver, &opts());
    assert_eq!(v.outcome, Outcome::Fail, "{}", v.detail);
    assert!(v.detail.contains("decoy"), "{}", v.detail);
}

fn hostile(cmd: &str, timeout_ms: u64) -> (mtproto_wire::runner::Verdict, Option<i32>, Duration) {
    let case = client_cases().into_iter().next().unwrap();
    let o = RunOptions {
        timeout: Duration::from_millis(timeout_ms),
        ..RunOptions::default()
    };
    let t = Instant::now();
    let (v, pgid) = run_client_case_with_pgid(&case, &Driver::Command(cmd.to_string()), &o);
    (v, pgid, t.elapsed())
}

fn assert_error_in_time(cmd: &str, want: &str) {
    let (v, pgid, took) = hostile(cmd, 1500);
    assert_eq!(v.outcome, Outcome::Error, "{cmd}: {}", v.detail);
    assert!(
        v.detail.contains(want),
        "{cmd}: {:?} lacks {want:?}",
        v.detail
    );
    assert!(took < Duration::from_millis(4500), "{cmd}: took {took:?}");
    assert!(pgid.is_some());
    assert!(
        group_gone(pgid),
        "{cmd}: process group {pgid:?} still alive"
    );
}

#[test]
fn a_driver_that_exits_without_connecting_is_an_error() {
    assert_error_in_time("exit 0", "exited");
}

#[test]
fn a_driver_that_crashes_is_an_error() {
    assert_error_in_time("echo '{\"event\":\"starting\"}'; kill -SEGV $$", "exited");
}

#[test]
fn a_driver_that_never_connects_is_an_error() {
    assert_error_in_time("sleep 30 & sleep 30", "timed out");
}

#[test]
fn a_driver_that_connects_and_stalls_is_an_error() {
    assert_error_in_time(
        "exec bash -c 'exec 3<>/dev/tcp/${MTPROTO_WIRE_ADDR%:*}/${MTPROTO_WIRE_ADDR##*:}; sleep 30'",
        "timed out",
    );
}

#[test]
fn a_driver_that_floods_stdout_is_an_error() {
    assert_error_in_time("yes '{\"event\":\"flood\"}'", "output contract");
}

#[test]
fn a_driver_that_prints_garbage_is_an_error() {
    assert_error_in_time("echo 'not json'; exit 1", "not json");
}

#[test]
fn a_two_gigabyte_length_prefix_is_an_error_not_an_allocation() {
    // Intermediate: tag ee ee ee ee, then a length of 0x7fffffff.
    assert_error_in_time(
        "exec bash -c 'exec 3<>/dev/tcp/${MTPROTO_WIRE_ADDR%:*}/${MTPROTO_WIRE_ADDR##*:}; printf \"\\xef\\xff\\xff\\xff\\x7f\" >&3; sleep 30'",
        "frame",
    );
}

/// The Python example driver keeps the contract: it connects, prints a JSON error line and
/// exits non-zero; the case is an `error` carrying its detail, and nothing of it is left.
#[test]
fn the_python_example_driver_reports_its_error() {
    if std::process::Command::new("python3")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("python3 not found: skipped");
        return;
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/driver_example.py");
    let case = client_cases().into_iter().next().unwrap();
    let (v, pgid) = run_client_case_with_pgid(
        &case,
        &Driver::Command(format!("python3 {script}")),
        &opts(),
    );
    assert_eq!(v.outcome, Outcome::Error, "{}", v.detail);
    assert_eq!(v.exit_code, Some(2), "{}", v.detail);
    assert!(
        v.events.iter().any(|e| e["event"] == "error"
            && e["detail"].as_str().unwrap_or("").contains("not supported")),
        "{:?}",
        v.events
    );
    assert!(group_gone(pgid));
}

/// The full-window case passes because the window is full: with fewer messages than the
/// window holds, the same lower, never-seen msg_id is taken (the decoy is reported). It also
/// bounds the time a full window of the reference's size costs.
#[test]
fn the_lower_than_every_stored_id_case_needs_the_full_window() {
    use mtproto_wire::case::{Action, PongPlan};
    let full = client_cases()
        .into_iter()
        .find(|c| {
            c.script.iter().any(|s| {
                matches!(
                    s.action,
                    Action::AnswerPing {
                        pong: PongPlan::FillWindowThenLower { .. }
                    }
                )
            })
        })
        .unwrap();
    let t = Instant::now();
    let v = run_client_case(&full, &Driver::reference_client(), &opts());
    assert_eq!(v.outcome, Outcome::Pass, "{}", v.detail);
    eprintln!("full window case: {} ms", t.elapsed().as_millis());
    let mut short = full.clone();
    for s in &mut short.script {
        if let Action::AnswerPing { pong } = &mut s.action {
            *pong = PongPlan::FillWindowThenLower { count: 20 };
        }
    }
    let v = run_client_case(&short, &Driver::reference_client(), &opts());
    assert_eq!(v.outcome, Outcome::Fail, "{}", v.detail);
    assert!(v.detail.contains("decoy"), "{}", v.detail);
}
