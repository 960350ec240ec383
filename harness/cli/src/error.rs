//! Why the harness could not run (exit code 2, README.md "Exit codes").

use std::fmt;
use std::path::PathBuf;

use crate::filter::FilterError;

/// Anything that stops a run before it can judge an implementation.
#[derive(Debug)]
#[non_exhaustive]
pub enum HarnessError {
    /// A vector file could not be read or is invalid; the message names the file and JSON path.
    Vectors(String),
    /// A `--filter` expression is malformed.
    Filter(FilterError),
    /// The filter (or the paths) selected no case at all.
    NoCases {
        /// What was asked for.
        what: String,
    },
    /// The baseline file is unreadable or invalid.
    Baseline {
        /// The baseline file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// Writing an output failed.
    Write {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The vector generator failed.
    Generate(String),
    /// The adapter of an external implementation could not be started (`--iut`,
    /// docs/adapter-protocol.md).
    Adapter(String),
}

impl fmt::Display for HarnessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HarnessError::Vectors(msg) => f.write_str(msg),
            HarnessError::Filter(e) => e.fmt(f),
            HarnessError::NoCases { what } => write!(f, "no case selected: {what}"),
            HarnessError::Baseline { path, reason } => {
                write!(f, "bad baseline {}: {reason}", path.display())
            }
            HarnessError::Write { path, source } => {
                write!(f, "cannot write {}: {source}", path.display())
            }
            HarnessError::Generate(msg) => write!(f, "vectors generate: {msg}"),
            HarnessError::Adapter(msg) => f.write_str(msg),
        }
    }
}

impl std::error::Error for HarnessError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            HarnessError::Filter(e) => Some(e),
            HarnessError::Write { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl From<FilterError> for HarnessError {
    fn from(e: FilterError) -> Self {
        HarnessError::Filter(e)
    }
}
