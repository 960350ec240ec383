//! Stable replay of every committed fuzz input: `fuzz/seeds/<target>/*` and
//! `fuzz/regressions/<target>/*` go through the same `mtproto_fuzzing` entry points the fuzz
//! targets call, so CI without nightly still guards them. A directory named after no target is an
//! error, never a silent skip.

// A failing test may panic: that is how it reports.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::fs;
use std::path::{Path, PathBuf};

use mtproto_fuzzing::{TARGETS, target};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

fn inputs(kind: &str) -> Vec<(String, PathBuf)> {
    let root = fuzz_dir().join(kind);
    let Ok(dirs) = fs::read_dir(&root) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for dir in dirs {
        let dir = dir.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        for file in fs::read_dir(&dir).unwrap() {
            out.push((name.clone(), file.unwrap().path()));
        }
    }
    out.sort();
    out
}

fn replay(kind: &str) -> usize {
    let all = inputs(kind);
    for (name, path) in &all {
        let Some(run) = target(name) else {
            panic!("{}: no fuzz target named {name}", path.display());
        };
        let data = fs::read(path).unwrap();
        run(&data);
    }
    all.len()
}

#[test]
fn every_committed_seed_replays() {
    let n = replay("seeds");
    assert!(n > 0, "no seeds found under {}", fuzz_dir().display());
}

#[test]
fn every_committed_regression_replays() {
    replay("regressions");
}

#[test]
fn every_target_has_seeds_and_a_fuzz_target_file() {
    let seeds = inputs("seeds");
    for (name, _) in TARGETS {
        assert!(
            seeds.iter().any(|(n, _)| n == name),
            "fuzz target {name} has no committed seed"
        );
        let file = fuzz_dir().join("fuzz_targets").join(format!("{name}.rs"));
        assert!(file.is_file(), "{} is missing", file.display());
    }
}

/// The entry points reject nothing silently: each seed set includes inputs that decode, so the
/// oracles behind the first `Ok` run at least once.
#[test]
fn fuzz_entry_points_never_panic_on_short_inputs() {
    for (_, run) in TARGETS {
        for len in 0..64 {
            run(&vec![0xa5; len]);
            run(&vec![0x00; len]);
        }
    }
}

/// Every built-in example (`layout::examples`: the inputs no vector gives, forged secret-chat
/// messages and the call targets' included) runs through its target without a finding, so a
/// model that disagrees with the reference on a plain case fails here, not only under a fuzzer.
#[test]
fn every_layout_example_runs_clean() {
    let examples = mtproto_fuzzing::layout::examples();
    for name in [
        "call_packet",
        "call_exchange",
        "envelope_decrypt",
        "secret_chat",
    ] {
        assert!(
            examples.iter().any(|(n, _)| *n == name),
            "no example for {name}"
        );
    }
    for (name, data) in &examples {
        let Some(run) = target(name) else {
            panic!("an example names no fuzz target: {name}");
        };
        run(data);
    }
}
