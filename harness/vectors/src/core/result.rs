//! One record per case run: what the reports are made of.
//!
//! This module is the contract between the runners (this crate) and the reports (the CLI).

use serde::{Deserialize, Serialize};

/// What a case expects, as written in its vector file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// The IUT must accept and produce the given outputs.
    Valid,
    /// The IUT must reject, naming `error`.
    Invalid,
    /// Either is conformant; a flag says why. Judged by the `--acceptable` policy.
    Acceptable,
}

/// How a case went.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// The IUT did what the vector expects.
    Pass,
    /// The IUT did something else: accepted an invalid case, rejected a valid one, produced other
    /// bytes, or (for the reference, or with `--strict-errors`) rejected with another error name.
    Fail,
    /// The IUT says it lacks the operation.
    Unsupported,
    /// The IUT crashed, hung past its timeout, or answered garbage.
    Error,
}

/// The result of running one case.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CaseResult {
    /// The vector file, relative to the directory the run was started in, `/`-separated.
    pub file: String,
    /// The family (`ige`, `kdf`, `envelope`, ...): the family of the case's group type.
    pub family: String,
    /// The file's `algorithm`.
    pub algorithm: String,
    /// The case's `tcId`.
    pub tc_id: u64,
    /// The test group's `type` (`IgeTest`, ...).
    #[serde(rename = "type")]
    pub group_type: String,
    /// The case's `comment`.
    pub comment: String,
    /// The case's flags.
    pub flags: Vec<String>,
    /// The `bugType` of each flag, in flag order.
    pub bug_types: Vec<String>,
    /// The case's `result`.
    pub expected: Verdict,
    /// The case's expected `error` (invalid cases).
    pub expected_error: Option<String>,
    /// How it went.
    pub outcome: Outcome,
    /// The error the IUT named when it rejected the case, if it did.
    pub error: Option<String>,
    /// What happened, for a person: for a failure the first field that differs with expected and
    /// got (hex), for a pass noted as "different error" which error was named.
    pub detail: String,
    /// The whole case as it appears in the file, group fields merged in, for reports and repro.
    pub vector: serde_json::Value,
}
