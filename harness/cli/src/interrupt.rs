//! What the harness does when a signal interrupts it (SIGTERM from an outer `timeout`, SIGINT
//! from Ctrl-C, SIGHUP from a closed terminal, SIGQUIT).
//!
//! Adapters and wire drivers run in process groups of their own, so these signals reach the
//! harness only, and a signal that ends the process runs no `Drop`: without this module an
//! adapter stuck in a loop would outlive the harness. [`install`] starts a thread that waits for
//! the first of these signals, sends SIGKILL to every child process group
//! ([`mtproto_children::kill_all`]), says so on stderr in one line, and exits with 128 + the
//! signal's number, as a shell reports a process killed by it. A second signal during that
//! clean-up exits at once with 128 + its number. The line is written straight to file
//! descriptor 2, not through `std::io::stderr()`'s lock, which `matrix` and `fuzz` hold for their
//! whole run. A command that ends while the thread is at work does not exit with its own status:
//! `main` calls [`wait_if_interrupted`] first.
//!
//! The signal handlers themselves only store to atomics and write to signal-hook's self-pipe (and,
//! for a second signal, call `_exit`): everything else happens on the thread.
//!
//! A signal the harness inherited as ignored stays ignored, as `nohup` (SIGHUP) and a
//! non-interactive shell's background job (SIGINT, SIGQUIT) expect; on Linux that is read from
//! `/proc/self/status` before any handler is installed.

use std::io;
use std::os::fd::AsFd;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::thread;
use std::time::Duration;

use signal_hook::consts::{SIGHUP, SIGINT, SIGQUIT, SIGTERM};
use signal_hook::flag;
use signal_hook::iterator::Signals;

/// The signals that make the harness kill its children and exit.
pub const SIGNALS: [i32; 4] = [SIGTERM, SIGINT, SIGHUP, SIGQUIT];

/// How long [`wait_if_interrupted`] leaves the signal thread to finish before exiting itself.
const CLEAN_UP: Duration = Duration::from_secs(5);

/// The number of the first signal received (0: none yet), stored by the signal handler itself.
fn received() -> &'static Arc<AtomicUsize> {
    static RECEIVED: OnceLock<Arc<AtomicUsize>> = OnceLock::new();
    RECEIVED.get_or_init(|| Arc::new(AtomicUsize::new(0)))
}

/// Install the handlers and start the thread (module docs). Call once, before any child starts.
pub fn install() -> io::Result<()> {
    let ignored = inherited_ignored();
    let signals: Vec<i32> = SIGNALS
        .into_iter()
        .filter(|s| !ignored.contains(s))
        .collect();
    let interrupted = Arc::new(AtomicBool::new(false));
    for &signal in &signals {
        // Registered before the flag itself, so the first signal finds it unset and the
        // second finds it set (and exits at once, inside the handler).
        flag::register_conditional_shutdown(signal, exit_status(signal), Arc::clone(&interrupted))?;
        flag::register(signal, Arc::clone(&interrupted))?;
        if let Ok(number) = usize::try_from(signal) {
            flag::register_usize(signal, Arc::clone(received()), number)?;
        }
    }
    let mut signals = Signals::new(signals)?;
    thread::Builder::new()
        .name("signals".to_owned())
        .spawn(move || {
            if let Some(signal) = signals.forever().next() {
                clean_up_and_exit(signal);
            }
        })?;
    Ok(())
}

/// Kill every child group, say so in one line, exit with 128 + `signal`.
fn clean_up_and_exit(signal: i32) -> ! {
    let killed = mtproto_children::kill_all();
    let line = format!(
        "mtproto-harness: interrupted by {}: killed {killed} child process group{}\n",
        name(signal),
        if killed == 1 { "" } else { "s" }
    );
    // Straight to fd 2: another thread may hold the stderr lock for the whole run. A failed
    // write (stderr closed) must not stop the exit.
    let stderr = io::stderr();
    let mut rest = line.as_bytes();
    while let Ok(n @ 1..) = rustix::io::write(stderr.as_fd(), rest) {
        rest = rest.get(n..).unwrap_or_default();
    }
    std::process::exit(exit_status(signal));
}

/// For `main`, before it returns: if a signal arrived, the command's own status does not count.
/// Leave the signal thread [`CLEAN_UP`] to kill the children and exit with 128 + the signal's
/// number, then do it here (the thread is stuck; the registry may be held by a spawn).
pub fn wait_if_interrupted() {
    let signal = received().load(Ordering::SeqCst);
    if signal == 0 {
        return;
    }
    thread::sleep(CLEAN_UP);
    std::process::exit(exit_status(i32::try_from(signal).unwrap_or(0)));
}

/// The signals this process started with ignored: `SigIgn` of `/proc/self/status`, a mask whose
/// bit N-1 is signal N. None elsewhere, or if it cannot be read.
fn inherited_ignored() -> Vec<i32> {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let mask = status
        .lines()
        .find_map(|l| l.strip_prefix("SigIgn:"))
        .and_then(|hex| u64::from_str_radix(hex.trim(), 16).ok())
        .unwrap_or(0);
    SIGNALS
        .into_iter()
        .filter(|&s| {
            u32::try_from(s - 1).is_ok_and(|bit| mask.checked_shr(bit).unwrap_or(0) & 1 == 1)
        })
        .collect()
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
