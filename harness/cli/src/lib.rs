//! The `mtproto-harness` command line as a library: argument types, one module per subcommand,
//! the `--filter` language, the baseline gate and the four reports (docs/architecture.md, "A run,
//! end to end").
#![deny(missing_docs)]

pub mod baseline;
pub mod cli;
pub mod cmd;
pub mod engine;
pub mod error;
pub mod filter;
pub mod interrupt;
pub mod progress;
pub mod report;
pub mod wire;

use std::process::ExitCode;

pub use error::HarnessError;

/// How a command that ran ended (errors that stop it are [`HarnessError`], exit code 2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Exit 0: everything passed, or the failures matched the baseline.
    Success,
    /// Exit 1: conformance failures.
    Failures,
}

impl From<Status> for ExitCode {
    fn from(s: Status) -> Self {
        match s {
            Status::Success => ExitCode::SUCCESS,
            Status::Failures => ExitCode::from(1),
        }
    }
}

/// Runs a parsed command line.
pub fn run(cli: cli::Cli) -> Result<Status, HarnessError> {
    match cli.command {
        cli::Command::Run(args) => cmd::run::run(&args),
        cli::Command::Lint(args) => cmd::lint::run(&args),
        cli::Command::Baseline(args) => cmd::baseline::run(&args),
        cli::Command::Vectors(cli::VectorsCommand::Generate(args)) => cmd::vectors::generate(&args),
        cli::Command::Adapter(args) => cmd::adapter::run(&args),
        cli::Command::Matrix(args) => cmd::matrix::run(&args),
        cli::Command::SelfTest(args) => cmd::self_test::run(&args),
        cli::Command::FuzzCorpus(args) => cmd::fuzz::corpus(&args),
        cli::Command::FuzzToVector(args) => cmd::fuzz::to_vector(&args),
        cli::Command::WireClient(args) => cmd::wire::client(&args),
        cli::Command::WireServer(args) => cmd::wire::server(&args),
        cli::Command::Fuzz(args) => cmd::fuzz::iut::run(&args),
        cli::Command::WireFuzz(args) => cmd::wire_fuzz::run(&args),
    }
}
