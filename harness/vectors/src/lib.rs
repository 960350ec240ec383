//! Vector files: types, loader, lint, runners and the deterministic generator.
//!
//! - [`core`]: what every family shares and that names no family: the file model
//!   ([`core::file`]), the error vocabulary ([`core::vocabulary`]), the loader's common part
//!   ([`core::load`]), schema validation ([`core::schema`]), the one judge ([`core::judge`]), the
//!   result records ([`core::result`]), generator support ([`core::generate`]) and the
//!   [`Family`](core::family::Family) trait;
//! - [`families`]: one module per family (model types, load-time checks, runner, generator), each
//!   importing only [`core`];
//! - [`registry`]: the one list of families, and from it [`TestGroup`], [`load_paths`],
//!   [`lint_paths`], [`run_file`] and [`generate()`].
//!
//! The common items are re-exported here; the old module paths `load` and `session` stay
//! available for the CLI.
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

pub mod core;
pub mod families;
pub mod registry;

pub use crate::core::family::{Family, GroupType};
pub use crate::core::file::{
    CaseGroup, CaseHeader, DirectionName, Hex, Note, ReceiverName, Source,
};
pub use crate::core::generate::{Drbg, GenerateError};
pub use crate::core::judge::{AcceptablePolicy, Answered, Judged, RunOptions, judge};
pub use crate::core::load::{self, LoadError, find_files};
pub use crate::core::result::{self, CaseResult, Outcome, Verdict};
pub use crate::core::schema::{self};
pub use crate::families::session;
pub use crate::registry::{
    CaseMeta, TestGroup, VectorFile, generate, lint_paths, lint_paths_with, load_file, load_paths,
    parse_str, run_file, suites,
};
