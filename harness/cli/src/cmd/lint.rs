//! `mtproto-harness lint`: check vector files against the Rust types and the JSON Schemas.

use std::io::Write;

use crate::Status;
use crate::cli::{LintArgs, paths_or_default};
use crate::error::HarnessError;

/// Runs `lint`: exit 2 with the loader's message on the first bad file.
pub fn run(args: &LintArgs) -> Result<Status, HarnessError> {
    let paths = paths_or_default(&args.paths);
    let n =
        crate::engine::api::lint_paths(&paths).map_err(|e| HarnessError::Vectors(e.to_string()))?;
    let _ = writeln!(std::io::stdout().lock(), "lint: {n} vector files OK");
    Ok(Status::Success)
}
