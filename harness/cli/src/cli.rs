//! The command line, as clap types.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Runs MTProto 2.0 conformance vectors against an implementation and writes reports.
///
/// Exit codes: 0 = every case passed (or the failures matched the baseline), 1 = conformance
/// failures, 2 = the harness could not run (bad arguments, unreadable or invalid vector file,
/// bad baseline or filter).
#[derive(Debug, Parser)]
#[command(name = "mtproto-harness", version)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands; each lives in its own file under `cmd/`.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run vector suites and write results.json, junit.xml, summary.md and index.html.
    Run(RunArgs),
    /// Check vector files against the Rust types and the JSON Schemas.
    Lint(LintArgs),
    /// Run the suites and write a baseline of the failing cases for `run --baseline`.
    Baseline(BaselineArgs),
    /// Maintain the vector suites.
    #[command(subcommand)]
    Vectors(VectorsCommand),
}

/// How `acceptable` cases are judged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Acceptable {
    /// Either answer passes.
    Pass,
    /// Accepting an acceptable case fails: only a rejection passes.
    Fail,
}

impl Acceptable {
    /// The policy's name, as given on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Acceptable::Pass => "pass",
            Acceptable::Fail => "fail",
        }
    }
}

/// Which cases to run and how to judge them: shared by `run` and `baseline`.
#[derive(Debug, Args)]
pub struct Selection {
    /// Vector files or directories (searched recursively for *_test.json; any other *.json
    /// outside a schemas/ directory is an error). Default: vectors/
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Select cases: KEY=V[,V...] or KEY!=V[,V...], KEY one of family, file, tcId, flag, bugType,
    /// type (comma = OR; repeat --filter for AND). E.g. family=envelope, tcId=3..9,
    /// file=ige/*, flag=PaddingTooLong, bugType=MISSING_STEP.
    #[arg(long = "filter", value_name = "EXPR")]
    pub filters: Vec<String>,
    /// How to judge `acceptable` cases.
    #[arg(long, value_enum, default_value_t = Acceptable::Pass)]
    pub acceptable: Acceptable,
    /// A rejection with another error name than the vector's is a failure even for an external
    /// implementation (it always is for the built-in reference).
    #[arg(long)]
    pub strict_errors: bool,
    /// No progress bar and no per-failure lines; only the summary line.
    #[arg(long, short)]
    pub quiet: bool,
}

/// `run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Cases and judging.
    #[command(flatten)]
    pub selection: Selection,
    /// Directory for the four reports (created if missing).
    #[arg(long, value_name = "DIR", default_value = "reports/latest")]
    pub out: PathBuf,
    /// Expected failures, a JSON array of {file, tcId, reason}: exit 0 when the failures match it
    /// exactly, 1 on a new failure, an unexpected pass or an entry naming no case.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
}

/// `lint`.
#[derive(Debug, Args)]
pub struct LintArgs {
    /// Vector files or directories. Default: vectors/
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
}

/// `baseline`.
#[derive(Debug, Args)]
pub struct BaselineArgs {
    /// Cases and judging.
    #[command(flatten)]
    pub selection: Selection,
    /// Where to write the baseline.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

/// `vectors ...`.
#[derive(Debug, Subcommand)]
pub enum VectorsCommand {
    /// Regenerate the suites this project computes (deterministic, fixed seeds).
    Generate(GenerateArgs),
}

/// `vectors generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Output directory.
    #[arg(long, value_name = "DIR", default_value = "vectors")]
    pub out: PathBuf,
}

/// The paths to use: the given ones, or `vectors/`.
pub fn paths_or_default(paths: &[PathBuf]) -> Vec<PathBuf> {
    if paths.is_empty() {
        vec![PathBuf::from("vectors")]
    } else {
        paths.to_vec()
    }
}
