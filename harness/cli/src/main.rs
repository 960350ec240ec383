//! `mtproto-harness`: the conformance runner's command line. Everything is in the library; this
//! only parses arguments and maps the outcome to an exit code (README.md, "Exit codes").

use std::process::ExitCode;

use clap::Parser;
use mtproto_harness::cli::Cli;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // Usage errors exit 2, `--help` and `--version` exit 0.
            let _ = e.print();
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
        }
    };
    // Before any adapter or driver starts: an interrupted harness kills them all.
    if let Err(e) = mtproto_harness::interrupt::install() {
        eprintln!("mtproto-harness: error: cannot install the signal handlers: {e}");
        return ExitCode::from(2);
    }
    let outcome = mtproto_harness::run(cli);
    // An interrupted command ends with the signal's status, not its own.
    mtproto_harness::interrupt::wait_if_interrupted();
    match outcome {
        Ok(status) => status.into(),
        Err(e) => {
            eprintln!("mtproto-harness: error: {e}");
            ExitCode::from(2)
        }
    }
}
