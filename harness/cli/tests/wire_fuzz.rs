//! `wire-fuzz` end to end, on the binary cargo builds (with the `mutants` feature): against a
//! reference client with a check the wire suite kills compiled out it finds that check, writes
//! a wire case that the mutant fails and the reference passes under `run`; against the plain
//! reference client it finds nothing; bad options are refused with a message naming them.

// A failing test may panic: that is how it reports.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fs;
use std::path::Path;
use std::process::Output;
use std::time::Instant;

use serde_json::Value;

mod common;
use common::{BIN, harness, text};

/// `wire-fuzz` against `client`, seed 3 (its fourth case breaks auth_key_id), intermediate
/// only, `iterations` cases (each bounded by 5 s; no whole-run deadline, so that a loaded
/// machine does not cut the run before the case that matters).
fn fuzz(client: &str, iterations: &str, out: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "wire-fuzz",
        "--client",
        client,
        "--seed",
        "3",
        "--iterations",
        iterations,
        "--transport",
        "intermediate",
        "--timeout-ms",
        "5000",
        "--minimise-runs",
        "4",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    harness(&args)
}

#[test]
fn wire_fuzz_finds_a_check_the_mutant_skips_and_writes_a_replayable_case() {
    let started = Instant::now();
    let out = tempfile::tempdir().unwrap();
    let mutant = format!("'{BIN}' wire-client --mutant skip-auth-key-id");
    let run = fuzz(
        &mutant,
        "6",
        out.path(),
        &["--name", "mutant-skip-auth-key-id", "--write-known"],
    );
    let t = text(&run);
    assert_eq!(run.status.code(), Some(1), "{t}");
    let summary: Value =
        serde_json::from_str(&fs::read_to_string(out.path().join("summary.json")).unwrap())
            .unwrap();
    let findings = summary["findings"].as_array().unwrap();
    assert!(
        findings.iter().any(|f| f["kind"] == "fail"
            && f["errors"]
                .as_array()
                .unwrap()
                .contains(&Value::from("AuthKeyIdMismatch"))),
        "no AuthKeyIdMismatch finding: {t}"
    );
    assert_eq!(summary["harness_bugs"], 0, "{t}");
    // The file holds it, named after the implementation, and replays: the mutant fails it,
    // the reference drivers pass it.
    let file = out.path().join("wire_fuzz_test.json");
    let doc: Value = serde_json::from_str(&fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(
        doc["testGroups"][0]["source"]["name"],
        "mutant-skip-auth-key-id"
    );
    assert!(
        doc["testGroups"][0]["tests"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["error"] == "AuthKeyIdMismatch"),
        "{doc}"
    );
    let file = file.to_str().unwrap();
    let replay_out = tempfile::tempdir().unwrap();
    let replay = harness(&[
        "run",
        file,
        "--client",
        &mutant,
        "--quiet",
        "--out",
        replay_out.path().to_str().unwrap(),
    ]);
    assert_eq!(replay.status.code(), Some(1), "{}", text(&replay));
    let reference = harness(&[
        "run",
        file,
        "--quiet",
        "--out",
        replay_out.path().to_str().unwrap(),
    ]);
    assert_eq!(reference.status.code(), Some(0), "{}", text(&reference));
    eprintln!("mutant run and replays: {:?}", started.elapsed());
}

#[test]
fn wire_fuzz_finds_nothing_against_the_reference_client() {
    let out = tempfile::tempdir().unwrap();
    let client = format!("'{BIN}' wire-client");
    let run = fuzz(&client, "6", out.path(), &[]);
    let t = text(&run);
    assert_eq!(run.status.code(), Some(0), "{t}");
    assert!(t.contains("wire-fuzz: 6 cases"), "{t}");
    assert!(!out.path().join("wire_fuzz_test.json").exists(), "{t}");
    let summary: Value =
        serde_json::from_str(&fs::read_to_string(out.path().join("summary.json")).unwrap())
            .unwrap();
    assert_eq!(summary["findings"].as_array().unwrap().len(), 0, "{t}");
}

#[test]
fn wire_fuzz_refuses_bad_options_naming_them() {
    let out = tempfile::tempdir().unwrap();
    let o = out.path().to_str().unwrap();
    let bad_transport = harness(&[
        "wire-fuzz",
        "--client",
        "true",
        "--transport",
        "carrier-pigeon",
        "--out",
        o,
    ]);
    assert_eq!(bad_transport.status.code(), Some(2));
    assert!(text(&bad_transport).contains("carrier-pigeon"));
    let bad_name = harness(&[
        "wire-fuzz",
        "--client",
        "true",
        "--name",
        "Not A Name",
        "--iterations",
        "1",
        "--out",
        o,
    ]);
    assert_eq!(bad_name.status.code(), Some(2));
    assert!(text(&bad_name).contains("--name \"Not A Name\""));
    let both = harness(&[
        "wire-fuzz",
        "--client",
        "true",
        "--server",
        "true",
        "--out",
        o,
    ]);
    assert_eq!(both.status.code(), Some(2));
    let none = harness(&["wire-fuzz", "--out", o]);
    assert_eq!(none.status.code(), Some(2));
}
