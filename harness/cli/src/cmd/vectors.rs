//! `mtproto-harness vectors generate`: regenerate the suites this project computes.

use std::io::Write;

use crate::Status;
use crate::cli::GenerateArgs;
use crate::error::HarnessError;

/// Runs `vectors generate`.
pub fn generate(args: &GenerateArgs) -> Result<Status, HarnessError> {
    let written = crate::engine::api::generate(&args.out)
        .map_err(|e| HarnessError::Generate(e.to_string()))?;
    let mut out = std::io::stdout().lock();
    for path in &written {
        let _ = writeln!(out, "wrote {}", path.display());
    }
    Ok(Status::Success)
}
