//! Vector files: types, loader, lint and runners (DESIGN.md §3).
#![deny(missing_docs)]

pub mod result;

pub use result::{CaseResult, Outcome, Verdict};
