//! Vector files: types, loader, lint, runners and the deterministic generator (DESIGN.md §3, §4).
//!
//! - [`model`]: the format v1 as strict serde types;
//! - [`load`]: [`load_paths`], the strict loader, with [`LoadError`]s that name file and JSON path;
//! - [`schema`]: [`lint_paths`], the loader plus validation against `vectors/schemas/*.json`;
//! - [`run`]: [`run_file`], one runner per test-group type, judging an [`Iut`](mtproto_iut::Iut);
//! - [`generate`](mod@generate): [`generate()`], which writes the suites under `vectors/` byte for byte;
//! - [`result`]: [`CaseResult`], the contract with the reports.
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

pub mod call_replay;
pub mod generate;
pub mod handshake;
pub mod load;
pub mod model;
pub mod result;
pub mod run;
pub mod schema;
pub mod secret;
pub mod secret_gen;
pub mod session;
pub mod tl;
pub mod transport;

pub use generate::{GenerateError, generate};
pub use load::{LoadError, find_files, load_file, load_paths, parse_str};
pub use model::{TestGroup, VectorFile};
pub use result::{CaseResult, Outcome, Verdict};
pub use run::{AcceptablePolicy, CaseMeta, RunOptions, run_file};
pub use schema::{lint_paths, lint_paths_with};
