//! `mtproto-harness fuzz --iut`, driven against the reference's own adapter: honest (no finding)
//! and with a deliberate bug compiled in (`adapter --mutant`, the test build has the `mutants`
//! feature), whose disagreements must be found, written, replayable and reproducible.
#![allow(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] functions: a failed setup should stop the test"
)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_mtproto-harness");

fn harness(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .env("CI", "true")
        .output()
        .unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn written(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(dir.join("envelope"))
        .map(|d| d.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    v.sort();
    v
}

fn fuzz(dir: &Path, iut: &str, out: &str, known: &Path) -> Output {
    harness(
        dir,
        &[
            "fuzz",
            "--iut",
            iut,
            "--family",
            "envelope",
            "--cases",
            "600",
            "--seed",
            "7",
            "--timeout-ms",
            "5000",
            "--known",
            known.to_str().unwrap(),
            "--out",
            out,
        ],
    )
}

#[test]
fn a_mutant_adapter_is_caught_written_replayable_and_reproducible() {
    let dir = tempfile::tempdir().unwrap();
    let nothing_known = dir.path().join("no-vectors");
    let iut = format!("{BIN} adapter --mutant skip-session-id");
    let out = fuzz(dir.path(), &iut, "out1", &nothing_known);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("cases/s"), "{}", text(&out));
    let files = written(&dir.path().join("out1"));
    assert_eq!(files.len(), 1, "{}", text(&out));
    let body = fs::read_to_string(&files[0]).unwrap();
    assert!(body.contains("DifferentialFinding"), "{body}");
    assert!(body.contains("WrongSessionId"), "{body}");
    let file = files[0].to_str().unwrap();
    // It replays: fails on the implementation, passes on the reference.
    let on_iut = harness(
        dir.path(),
        &["run", file, "--iut", &iut, "--out", "r1", "--quiet"],
    );
    assert_eq!(on_iut.status.code(), Some(1), "{}", text(&on_iut));
    let on_ref = harness(dir.path(), &["run", file, "--out", "r2", "--quiet"]);
    assert_eq!(on_ref.status.code(), Some(0), "{}", text(&on_ref));
    // The same seed draws the same cases: the same file.
    let again = fuzz(dir.path(), &iut, "out2", &nothing_known);
    assert_eq!(again.status.code(), Some(1), "{}", text(&again));
    let files2 = written(&dir.path().join("out2"));
    assert_eq!(files2.len(), 1);
    assert_eq!(fs::read_to_string(&files2[0]).unwrap(), body);
    // A second run into the same directory adds no kind twice.
    let third = fuzz(dir.path(), &iut, "out1", &nothing_known);
    assert_eq!(
        fs::read_to_string(&files[0]).unwrap(),
        body,
        "{}",
        text(&third)
    );
}

#[test]
fn the_honest_reference_has_no_finding_and_known_findings_are_not_written() {
    let dir = tempfile::tempdir().unwrap();
    let nothing_known = dir.path().join("no-vectors");
    let honest = fuzz(dir.path(), &format!("{BIN} adapter"), "out", &nothing_known);
    assert_eq!(honest.status.code(), Some(0), "{}", text(&honest));
    assert!(written(&dir.path().join("out")).is_empty());
    assert!(
        text(&honest).contains(" 0 disagreements"),
        "{}",
        text(&honest)
    );
    // The shipped suites already show what skip-session-id breaks.
    let vectors = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../vectors");
    let iut = format!("{BIN} adapter --mutant skip-session-id");
    let known = fuzz(dir.path(), &iut, "out", &vectors);
    assert_eq!(known.status.code(), Some(0), "{}", text(&known));
    assert!(written(&dir.path().join("out")).is_empty());
    assert!(
        text(&known).contains("already shown by the fixed vectors"),
        "{}",
        text(&known)
    );
}

#[test]
fn bad_arguments_are_exit_2_and_a_crash_in_a_batch_blames_no_case() {
    let dir = tempfile::tempdir().unwrap();
    let no_family = harness(
        dir.path(),
        &[
            "fuzz",
            "--iut",
            &format!("{BIN} adapter"),
            "--family",
            "nope",
            "--cases",
            "1",
        ],
    );
    assert_eq!(no_family.status.code(), Some(2), "{}", text(&no_family));
    let no_adapter = harness(
        dir.path(),
        &["fuzz", "--iut", "/nonexistent/adapter", "--cases", "1"],
    );
    assert_eq!(no_adapter.status.code(), Some(2), "{}", text(&no_adapter));
    // An adapter that dies on its 5th request, inside the first pipelined batch: it is
    // restarted, the broken batch's requests are asked again one by one, and since the crash
    // depends on the request's number, not its content, no case is blamed for it.
    let nothing_known = dir.path().join("no-vectors");
    let crash = fuzz(
        dir.path(),
        &format!("{BIN} adapter --chaos 5=crash"),
        "out",
        &nothing_known,
    );
    let t = text(&crash);
    assert_eq!(crash.status.code(), Some(0), "{t}");
    assert!(t.contains("1 adapter restarts"), "{t}");
    assert!(t.contains(" 0 crashes/hangs"), "{t}");
    assert!(written(&dir.path().join("out")).is_empty(), "{t}");
}
