//! A harness ended by a signal leaves no adapter or wire driver behind (Linux: `/proc`).
//!
//! Each test starts the binary cargo built with an adapter (`run --iut`) or a client driver
//! (`run --client`) that is a shell script: it records its own pid and a forked grandchild's pid
//! (a `sleep`), then loops forever, ignoring stdin, SIGTERM, SIGINT and SIGHUP. The harness is
//! sent a signal once both pids are recorded; it must exit with 128 + the signal's number within
//! a bounded wait, and both recorded processes must be gone. The guard kills whatever the test
//! recorded, pass or fail, so a failing test leaves nothing running either.

// A failing test may panic: that is how it reports.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use rustix::process::{Pid, Signal, kill_process, kill_process_group};

mod common;
use common::{BIN, workspace};

/// How long anything the test waits for may take.
const BOUND: Duration = Duration::from_secs(5);
/// The harness's start-up (a debug binary, a loaded machine) until it has started its child.
const START_BOUND: Duration = Duration::from_secs(20);

/// The stuck child: records `$$` and a grandchild's pid, then ignores everything forever.
const STUCK: &str = r#"#!/bin/sh
sleep 3600 &
echo $! > "$1/grandchild.pid"
echo $$ > "$1/child.pid"
trap '' TERM INT HUP
while :; do sleep 1; done
"#;

/// The harness under test and the pids it started; killed, all of them, when dropped.
struct Stuck {
    dir: tempfile::TempDir,
    harness: Child,
}

impl Stuck {
    /// `mtproto-harness ARGS…` where `{child}` in an argument is the command starting the script,
    /// with the four signals at their default action whatever this test inherited (a harness
    /// leaves an inherited ignored signal ignored).
    fn start(args: &[&str]) -> Self {
        Self::start_under(&["--default-signal=TERM,INT,HUP,QUIT"], args)
    }

    /// [`Stuck::start`] under `env FLAGS` (GNU coreutils: `--default-signal`, `--ignore-signal`).
    fn start_under(env_flags: &[&str], args: &[&str]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("stuck.sh");
        fs::write(&script, STUCK).unwrap();
        let child = format!("sh '{}' '{}'", script.display(), dir.path().display());
        let out = dir.path().join("out");
        let mut command = Command::new("env");
        command
            .args(env_flags)
            .arg(BIN)
            .current_dir(workspace())
            .env("CI", "true")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(fs::File::create(dir.path().join("stderr")).unwrap());
        for a in args {
            command.arg(
                a.replace("{child}", &child)
                    .replace("{out}", out.to_str().unwrap()),
            );
        }
        let harness = command.spawn().unwrap();
        let stuck = Stuck { dir, harness };
        let until = Instant::now() + START_BOUND;
        while stuck.pids().len() < 2 {
            assert!(
                Instant::now() < until,
                "the child did not start within {START_BOUND:?}: {}",
                stuck.stderr()
            );
            thread::sleep(Duration::from_millis(20));
        }
        stuck
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The child's pid, then the grandchild's, as far as they are recorded.
    fn pids(&self) -> Vec<i32> {
        ["child.pid", "grandchild.pid"]
            .iter()
            .filter_map(|f| read_pid(&self.path(f)))
            .collect()
    }

    fn stderr(&self) -> String {
        fs::read_to_string(self.path("stderr")).unwrap_or_default()
    }

    fn signal(&self, signal: Signal) {
        kill_process(Pid::from_child(&self.harness), signal).unwrap();
    }

    /// The harness's exit status within [`BOUND`].
    fn exit(&mut self) -> ExitStatus {
        let until = Instant::now() + BOUND;
        loop {
            if let Some(status) = self.harness.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < until,
                "the harness did not exit within {BOUND:?} of the signal: {}",
                self.stderr()
            );
            thread::sleep(Duration::from_millis(10));
        }
    }

    /// Within [`BOUND`], the pids recorded in the files `which` name no live process.
    fn assert_gone(&self, which: &[&str]) {
        let until = Instant::now() + BOUND;
        for name in which {
            let pid = read_pid(&self.path(name)).unwrap();
            while alive(pid) {
                assert!(
                    Instant::now() < until,
                    "{name} {pid} still runs {BOUND:?} after the harness exited"
                );
                thread::sleep(Duration::from_millis(10));
            }
        }
    }
}

impl Drop for Stuck {
    fn drop(&mut self) {
        let _ = self.harness.kill();
        let _ = self.harness.wait();
        // The child leads its own group, with the grandchild in it.
        for pid in self.pids() {
            if let Some(pid) = Pid::from_raw(pid).filter(|_| alive(pid)) {
                let _ = kill_process_group(pid, Signal::KILL);
                let _ = kill_process(pid, Signal::KILL);
            }
        }
    }
}

fn read_pid(path: &Path) -> Option<i32> {
    let text = fs::read_to_string(path).ok()?;
    text.strip_suffix('\n')?.parse().ok()
}

/// Whether `pid` is a live process: a zombie is dead, it waits only for its reaper.
fn alive(pid: i32) -> bool {
    let Ok(stat) = fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    // "pid (comm) state …": comm may hold spaces, so the state follows the last ')'.
    let state = stat
        .rsplit_once(')')
        .and_then(|(_, rest)| rest.split_whitespace().next());
    !matches!(state, Some("Z" | "X") | None)
}

/// An adapter that never answers `hello` (the first one gets 20 s).
const ADAPTER: &[&str] = &[
    "run",
    "vectors/ige/aes256_ige_test.json",
    "--iut",
    "{child}",
    "--out",
    "{out}",
];

/// The same adapter in a matrix, whose main thread holds the stderr lock for the whole run.
const MATRIX: &[&str] = &[
    "matrix",
    "vectors/ige/aes256_ige_test.json",
    "--no-reference",
    "--iut",
    "stuck={child}",
    "--out",
    "{out}",
];

/// A client driver that never connects, in a case that allows it 60 s.
const DRIVER: &[&str] = &[
    "run",
    "vectors/wire/wire_client_test.json",
    "--filter",
    "tcId=1",
    "--client",
    "{child}",
    "--timeout-ms",
    "60000",
    "--out",
    "{out}",
];

/// Signal the harness while `args`' child is stuck: exit 128 + the signal, one line saying so,
/// the child and the grandchild gone.
fn interrupted(args: &[&str], signal: Signal, name: &str) {
    let mut stuck = Stuck::start(args);
    stuck.signal(signal);
    let status = stuck.exit();
    let want = 128 + signal.as_raw();
    assert_eq!(
        status.code(),
        Some(want),
        "{name}: {status}; stderr: {}",
        stuck.stderr()
    );
    let stderr = stuck.stderr();
    assert!(
        stderr.contains(&format!(
            "interrupted by {name}: killed 1 child process group"
        )),
        "{stderr}"
    );
    stuck.assert_gone(&["child.pid", "grandchild.pid"]);
}

#[test]
fn sigterm_kills_a_stuck_adapter_and_its_fork() {
    interrupted(ADAPTER, Signal::TERM, "SIGTERM");
}

#[test]
fn sigint_kills_a_stuck_adapter_and_its_fork() {
    interrupted(ADAPTER, Signal::INT, "SIGINT");
}

#[test]
fn sighup_kills_a_stuck_adapter_and_its_fork() {
    interrupted(ADAPTER, Signal::HUP, "SIGHUP");
}

#[test]
fn sigterm_kills_a_matrix_s_stuck_adapter_and_its_fork() {
    interrupted(MATRIX, Signal::TERM, "SIGTERM");
}

#[test]
fn sigterm_kills_a_stuck_wire_driver_and_its_fork() {
    interrupted(DRIVER, Signal::TERM, "SIGTERM");
}

#[test]
fn sigint_kills_a_stuck_wire_driver_and_its_fork() {
    interrupted(DRIVER, Signal::INT, "SIGINT");
}

/// SIGKILL runs no handler: the parent-death signal still takes the direct child (only it; the
/// grandchild is the guard's to kill).
#[test]
fn sigkill_of_the_harness_kills_the_adapter() {
    let mut stuck = Stuck::start(ADAPTER);
    stuck.signal(Signal::KILL);
    let status = stuck.exit();
    assert_eq!(status.code(), None, "{status}");
    stuck.assert_gone(&["child.pid"]);
}

/// A driver command runs under `sh -c`, and dash does not `exec` a lone command: the direct
/// child is the shell, unless the command says `exec` itself, as this one does.
#[test]
fn sigkill_of_the_harness_kills_an_exec_wire_driver() {
    let args: Vec<&str> = DRIVER
        .iter()
        .map(|a| if *a == "{child}" { "exec {child}" } else { a })
        .collect();
    let mut stuck = Stuck::start(&args);
    stuck.signal(Signal::KILL);
    let _ = stuck.exit();
    stuck.assert_gone(&["child.pid"]);
}

/// Under `nohup` SIGHUP is ignored, and must stay so: the run goes on; SIGTERM still works.
#[test]
fn an_inherited_ignored_sighup_stays_ignored() {
    let mut stuck = Stuck::start_under(
        &["--default-signal=TERM,INT,QUIT", "--ignore-signal=HUP"],
        ADAPTER,
    );
    stuck.signal(Signal::HUP);
    thread::sleep(Duration::from_millis(300));
    assert!(
        stuck.harness.try_wait().unwrap().is_none(),
        "SIGHUP ended a harness that inherited it ignored: {}",
        stuck.stderr()
    );
    assert_eq!(stuck.pids().into_iter().filter(|&p| alive(p)).count(), 2);
    stuck.signal(Signal::TERM);
    assert_eq!(stuck.exit().code(), Some(143), "{}", stuck.stderr());
    stuck.assert_gone(&["child.pid", "grandchild.pid"]);
}
