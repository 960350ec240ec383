//! What the harness does when a signal interrupts it (SIGTERM from an outer `timeout`, SIGINT
//! from Ctrl-C, SIGHUP from a closed terminal, SIGQUIT).
//!
//! Adapters and wire drivers run in process groups of their own, so these signals reach the
//! harness only, and a signal that ends the process runs no `Drop`: without this module an
//! adapter stuck in a loop would outlive the harness. [`install`] starts a thread that waits for
//! the first of these signals, sends SIGKILL to every child process group
//! ([`mtproto_children::kill_all`]), says so on stderr in one line, and exits with 128 + the
//! signal's number, as a shell reports a process killed by it. A second signal during that
//! clean-up exits at once with 128 + its number.
//!
//! The signal handlers themselves only set a flag and write to signal-hook's self-pipe (and, for
//! a second signal, call `_exit`): everything else happens on the thread.

use std::io;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::thread;

use signal_hook::consts::{SIGHUP, SIGINT, SIGQUIT, SIGTERM};
use signal_hook::flag;
use signal_hook::iterator::Signals;

/// The signals that make the harness kill its children and exit.
pub const SIGNALS: [i32; 4] = [SIGTERM, SIGINT, SIGHUP, SIGQUIT];

/// Install the handlers and start the thread (module docs). Call once, before any child starts.
pub fn install() -> io::Result<()> {
    let interrupted = Arc::new(AtomicBool::new(false));
    for signal in SIGNALS {
        // Registered before the flag itself, so the first signal finds it unset and the
        // second finds it set (and exits at once, inside the handler).
        flag::register_conditional_shutdown(signal, exit_status(signal), Arc::clone(&interrupted))?;
        flag::register(signal, Arc::clone(&interrupted))?;
    }
    let mut signals = Signals::new(SIGNALS)?;
    thread::Builder::new()
        .name("signals".to_owned())
        .spawn(move || {
            if let Some(signal) = signals.forever().next() {
                let killed = mtproto_children::kill_all();
                eprintln!(
                    "mtproto-harness: interrupted by {}: killed {killed} child process group{}",
                    name(signal),
                    if killed == 1 { "" } else { "s" }
                );
                std::process::exit(exit_status(signal));
            }
        })?;
    Ok(())
}

/// 128 + the signal's number: what a shell reports for a process the signal ended.
pub fn exit_status(signal: i32) -> i32 {
    128 + signal
}

/// The signal's name, as the one-line message says it.
fn name(signal: i32) -> &'static str {
    match signal {
        SIGTERM => "SIGTERM",
        SIGINT => "SIGINT",
        SIGHUP => "SIGHUP",
        SIGQUIT => "SIGQUIT",
        _ => "a signal",
    }
}
