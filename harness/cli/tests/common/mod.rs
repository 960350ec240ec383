//! What the end-to-end tests of the wire commands share: the binary cargo built, run from the
//! workspace root as CI runs it, and its output as one text for assertion messages.

#![allow(dead_code)] // each test binary uses its own part of it

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The `mtproto-harness` binary of this build.
pub const BIN: &str = env!("CARGO_BIN_EXE_mtproto-harness");

/// The workspace root.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `mtproto-harness ARGS` in the workspace root, with `CI=true`.
pub fn harness(args: &[&str]) -> Output {
    Command::new(BIN)
        .current_dir(workspace())
        .args(args)
        .env("CI", "true")
        .output()
        .unwrap()
}

/// stdout, then stderr.
pub fn text(o: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}
