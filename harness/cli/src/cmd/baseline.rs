//! `mtproto-harness baseline`: run the suites and write the cases that did not pass, with their
//! outcomes, as a baseline for `run --baseline`.

use std::io::Write;

use crate::Status;
use crate::baseline::from_results;
use crate::cli::BaselineArgs;
use crate::engine;
use crate::error::HarnessError;

/// Runs `baseline`. Exit 0 once the file is written, whatever failed: that is its purpose.
pub fn run(args: &BaselineArgs) -> Result<Status, HarnessError> {
    let ex = engine::execute(&args.selection, &args.iut, None, false)?;
    let entries = from_results(&ex.results);
    let mut text = serde_json::to_string_pretty(&entries).map_err(|e| HarnessError::Write {
        path: args.out.clone(),
        source: std::io::Error::other(e),
    })?;
    text.push('\n');
    if let Some(dir) = args.out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| HarnessError::Write {
            path: dir.to_owned(),
            source,
        })?;
    }
    std::fs::write(&args.out, text).map_err(|source| HarnessError::Write {
        path: args.out.clone(),
        source,
    })?;
    let _ = writeln!(
        std::io::stdout().lock(),
        "baseline: {} cases that did not pass, of {}, written to {}",
        entries.len(),
        ex.results.len(),
        args.out.display()
    );
    Ok(Status::Success)
}
