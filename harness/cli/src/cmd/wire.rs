//! `mtproto-harness wire-client` / `wire-server`: the reference drivers over std::net, for
//! `run --client` / `run --server` (harness/wire/README.md, "The driver contract"). They read the
//! `MTPROTO_WIRE_*` environment, print one JSON line per outcome on stdout and exit 0 when every
//! step succeeded, 1 otherwise.

use std::io::Write;

use mtproto_wire::driver;

use crate::Status;
use crate::cli::WireDriverArgs;
use crate::cmd::adapter::activate_mutant;
use crate::error::HarnessError;

/// Runs `wire-client`.
pub fn client(args: &WireDriverArgs) -> Result<Status, HarnessError> {
    drive(args, driver::run_reference_client)
}

/// Runs `wire-server`.
pub fn server(args: &WireDriverArgs) -> Result<Status, HarnessError> {
    drive(args, driver::run_reference_server)
}

fn drive(
    args: &WireDriverArgs,
    run: fn(&driver::Env, &mut dyn Write) -> i32,
) -> Result<Status, HarnessError> {
    if let Some(name) = &args.mutant {
        activate_mutant(name)?;
    }
    let env = driver::env_from_process();
    let mut out = std::io::stdout().lock();
    let code = run(&env, &mut out);
    let _ = out.flush();
    Ok(if code == 0 {
        Status::Success
    } else {
        Status::Failures
    })
}
