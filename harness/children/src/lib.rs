//! The processes the harness starts (adapters and wire drivers), so that none outlives it.
//!
//! Every child is started by [`spawn`] as the leader of a new process group and is registered
//! until its owner kills the group ([`Group`], killed when dropped). A group of its own keeps an
//! adapter's forks together, but it also means the terminal's Ctrl-C and an outer `timeout`'s
//! SIGTERM reach the harness only, and a signal that ends the harness runs no `Drop`. So the
//! harness's signal handler calls [`kill_all`], which sends SIGKILL to every registered group and
//! refuses later spawns, before it exits.
//!
//! # Pid reuse
//!
//! Owners keep the leader unreaped (a zombie at worst) until its group is killed and unregistered:
//! a zombie keeps its pid, so while a group is registered its id cannot belong to a stranger, and
//! [`kill_all`] never signals anyone else. Hence the order in [`Group`]'s drop: signal, then
//! unregister; the owner reaps the leader (`Child::wait`) only after that.
//!
//! # When the harness is killed by SIGKILL
//!
//! No handler runs then. On Linux each child is given SIGKILL as its parent-death signal
//! (`PR_SET_PDEATHSIG`), so the direct child dies with the harness; what the child forked itself
//! is not covered. The kernel sends that signal when the *thread* that forked the child ends, not
//! the process: so every child is forked by one thread that lives as long as the process (the
//! spawner), whichever thread asked for it. An adapter started by a worker thread that then ends
//! is not killed with that thread.

use std::io;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command};
use std::sync::mpsc::{self, Sender};
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};
use std::thread;

use rustix::process::{Pid, Signal, kill_process_group};

/// The live groups, and whether spawning has been closed by [`kill_all`].
struct Registry {
    live: Vec<Pid>,
    closed: bool,
}

static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    live: Vec::new(),
    closed: false,
});

/// The registry; a panic elsewhere while it was held does not stop the killing.
fn registry() -> MutexGuard<'static, Registry> {
    REGISTRY.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A registered process group whose leader (a child of this process) has not been reaped.
///
/// Dropping it sends SIGKILL to the whole group and unregisters it; only then may the owner reap
/// the leader. Until then, wait for the leader without reaping it (`waitid` with `WNOWAIT`), never
/// with `Child::try_wait`.
#[derive(Debug)]
#[must_use = "dropping a Group kills its process group"]
pub struct Group {
    pgid: Pid,
}

impl Group {
    /// The group id: the leader's pid.
    pub fn id(&self) -> Pid {
        self.pgid
    }

    /// SIGKILL to the group (the leader and everything it forked), then unregister it; the same
    /// as dropping it, named for the call sites that do it on purpose.
    pub fn kill(self) {
        drop(self);
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        // Signal first, unregister second: a group leaves the registry only once it is killed,
        // and since the owner reaps the leader only after this, a registered id is never reused.
        let _ = kill_process_group(self.pgid, Signal::KILL);
        let mut registry = registry();
        if let Some(i) = registry.live.iter().position(|p| *p == self.pgid) {
            registry.live.swap_remove(i);
        }
    }
}

/// Start `command` as the leader of a new process group, registered until the returned
/// [`Group`] is dropped. On Linux the child also dies when the harness dies (module docs). Fails
/// after [`kill_all`]: the harness is exiting.
pub fn spawn(mut command: Command) -> io::Result<(Child, Group)> {
    command.process_group(0);
    #[cfg(target_os = "linux")]
    die_with_parent(&mut command);
    let gone = || io::Error::other("the thread that starts child processes is gone");
    let (reply, answer) = mpsc::channel();
    spawner()?
        .send(Job { command, reply })
        .map_err(|_| gone())?;
    answer.recv().map_err(|_| gone())?
}

/// How many process groups are registered (alive or not yet killed by their owner).
pub fn live() -> usize {
    registry().live.len()
}

/// SIGKILL to every registered process group, and no spawn from now on; the number of groups
/// signalled. For the harness's signal handler, just before it exits.
pub fn kill_all() -> usize {
    let mut registry = registry();
    registry.closed = true;
    for pgid in &registry.live {
        let _ = kill_process_group(*pgid, Signal::KILL);
    }
    registry.live.len()
}

/// One spawn request for the spawner thread.
struct Job {
    command: Command,
    reply: Sender<io::Result<(Child, Group)>>,
}

/// The spawner thread's queue; the thread is started on first use and never ends (its sender is
/// never dropped), so a parent-death signal fires only when the process ends.
fn spawner() -> io::Result<&'static Sender<Job>> {
    static SPAWNER: OnceLock<Option<Sender<Job>>> = OnceLock::new();
    SPAWNER
        .get_or_init(|| {
            let (jobs, queue) = mpsc::channel::<Job>();
            thread::Builder::new()
                .name("child-spawner".to_owned())
                .spawn(move || {
                    for mut job in queue {
                        let _ = job.reply.send(spawn_registered(&mut job.command));
                    }
                })
                .ok()
                .map(|_| jobs)
        })
        .as_ref()
        .ok_or_else(|| io::Error::other("cannot start the thread that starts child processes"))
}

/// Spawn and register under one lock: [`kill_all`] either sees the group or runs before the
/// spawn and refuses it; there is no moment where a child exists unregistered.
fn spawn_registered(command: &mut Command) -> io::Result<(Child, Group)> {
    let mut registry = registry();
    if registry.closed {
        return Err(io::Error::other(
            "the harness is exiting: no new child process is started",
        ));
    }
    let child = command.spawn()?;
    let pgid = Pid::from_child(&child);
    registry.live.push(pgid);
    Ok((child, Group { pgid }))
}

/// Have the kernel send the child SIGKILL when the thread that forks it ends (the spawner, which
/// lives as long as the process).
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
fn die_with_parent(command: &mut Command) {
    let parent = rustix::process::getpid();
    // SAFETY: the closure runs in the forked child before `exec`, where only async-signal-safe
    // work is allowed. It makes two system calls (prctl, getppid) and compares two integers; it
    // does not allocate (an `Errno` converts to `io::Error` without allocating) nor take a lock.
    unsafe {
        command.pre_exec(move || {
            rustix::process::set_parent_process_death_signal(Some(Signal::KILL))?;
            // The parent may have died between the fork and the prctl: no signal would come.
            if rustix::process::getppid() != Some(parent) {
                return Err(rustix::io::Errno::SRCH.into());
            }
            Ok(())
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    use rustix::process::{WaitId, WaitIdOptions, waitid};

    /// Whether `pid` (a child of this process) has exited, without reaping it.
    fn exited(pid: Pid) -> bool {
        let options = WaitIdOptions::EXITED | WaitIdOptions::NOHANG | WaitIdOptions::NOWAIT;
        !matches!(waitid(WaitId::Pid(pid), options), Ok(None))
    }

    // One test: `live()` counts the whole process's groups, and tests run in parallel.
    #[test]
    fn a_group_is_registered_until_killed_and_outlives_the_thread_that_asked_for_it() {
        let started = thread::spawn(|| {
            let mut sleep = Command::new("sleep");
            sleep.arg("30");
            spawn(sleep)
        })
        .join();
        let Ok(Ok((mut child, group))) = started else {
            panic!("cannot start sleep: {started:?}");
        };
        assert_eq!(live(), 1);
        assert_eq!(group.id(), Pid::from_child(&child));
        // The thread that asked has ended; with the fork on that thread, the parent-death
        // signal would have killed the child by now.
        thread::sleep(Duration::from_millis(200));
        assert!(
            !exited(group.id()),
            "the child died with the thread that asked for it"
        );
        let pid = group.id();
        group.kill();
        assert_eq!(live(), 0);
        let until = Instant::now() + Duration::from_secs(5);
        while !exited(pid) && Instant::now() < until {
            thread::sleep(Duration::from_millis(5));
        }
        let status = child.wait().map(|s| s.to_string()).unwrap_or_default();
        assert!(
            status.contains("SIGKILL") || status.contains('9'),
            "{status}"
        );
    }
}
