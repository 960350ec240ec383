//! The harness side of the adapter protocol (docs/adapter-protocol.md): an external
//! implementation behind a JSON-lines adapter, as one more [`Iut`].
//!
//! # Wire format (version 1)
//!
//! One JSON object per line each way. The harness sends `{"id":0,"op":"hello","version":1}`; the
//! adapter answers `{"id":0,"ok":true,"name":"...","version":"...","ops":["ige.encrypt",...]}`
//! (it may add `"protocol":1`; any other protocol number, or an `ok:false` hello, means it does not
//! speak this version and the start fails). Every later request is
//! `{"id":N,"op":"<op>",...fields}` with the request's own field names, and the answer is one of
//!
//! | answer | [`Answer`] |
//! |---|---|
//! | `{"id":N,"ok":true,...outputs}` | [`Answer::Ok`] (the outputs without `id` and `ok`) |
//! | `{"id":N,"ok":false,"error":"<Error>"}` | [`Answer::Rejected`] |
//! | `{"id":N,"unsupported":true}` | [`Answer::Unsupported`] |
//! | `{"id":N,"ok":false,"internal":"<message>"}` | [`Answer::Error`]: the adapter or the library failed (an exception, a panic, an unreadable request) |
//!
//! Ops missing from the `hello` list are [`Answer::Unsupported`] without a round trip.
//!
//! # Failures
//!
//! Each of these is [`Answer::Error`] for the request that met it, with a message that says what
//! was wrong and the tail of the adapter's stderr; the adapter is then killed and started again on
//! the next request, so one bad case never stops a run:
//!
//! - the request was not read within the per-request timeout (an adapter that stopped reading
//!   stdin: requests are written by a separate thread, so a request larger than the pipe buffer
//!   cannot block the run);
//! - no answer within what is left of the timeout (a hang: the write and the answer share it);
//! - the adapter exited or closed its stdout (a crash), or stdin could not be written;
//! - a line that is not JSON, not an object, longer than [`MAX_LINE`], or that answers another
//!   `id`;
//! - an answer with none of `ok`/`unsupported`, or `ok:false` without a string `error`.
//!
//! # Bounds
//!
//! The adapter runs in its own process group; a restart, a timeout and the end of the run kill
//! the whole group, so a child the adapter forked cannot outlive it. The group is registered with
//! [`mtproto_children`] while it lives, so a harness interrupted by a signal kills it too. After [`Limits::breaker`]
//! failures in a row (crashes, hangs, unread requests, garbage, failed restarts) the adapter is
//! given up: every later request is [`Answer::Error`] at once, with one message saying so
//! ([`SubprocessIut::gave_up`]). Past [`Limits::deadline`] no request is sent or waited for.
//! A run therefore never outlasts `cases × timeout`, and a dead adapter costs at most
//! `breaker × timeout`.
//!
//! Handles of stateful ops (`session.open`) die with the adapter: requests that use them after a
//! restart get whatever the new adapter answers for an unknown handle.

use std::collections::VecDeque;
use std::fmt;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use mtproto_children::Group;
use rustix::process::{Pid, WaitId, WaitIdOptions, waitid};
use serde_json::{Map, Value};

use crate::{Answer, Fields, Hello, Iut};

/// The protocol version this client speaks.
pub const PROTOCOL_VERSION: u64 = 1;

/// The longest answer line accepted (16 MiB); a longer one is an error, read to its end and dropped.
pub const MAX_LINE: usize = 16 << 20;

/// How much of the adapter's stderr is kept (the last bytes) for error messages.
pub const STDERR_TAIL: usize = 4096;

/// The default per-request timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// Why an adapter could not be started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartError(pub String);

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StartError {}

/// Split a command line into words like a POSIX shell does, without expansions: whitespace
/// separates words, `'...'` is literal, `"..."` allows `\"`, `\\`, `\$` and `` \` ``, and a
/// backslash outside quotes escapes the next character.
pub fn split_command(line: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => word.push(c),
                        None => return Err("unterminated single quote".to_owned()),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c @ ('"' | '\\' | '$' | '`')) => word.push(c),
                            Some('\n') => {}
                            Some(c) => {
                                word.push('\\');
                                word.push(c);
                            }
                            None => return Err("unterminated double quote".to_owned()),
                        },
                        Some(c) => word.push(c),
                        None => return Err("unterminated double quote".to_owned()),
                    }
                }
            }
            '\\' => {
                in_word = true;
                match chars.next() {
                    Some('\n') => {}
                    Some(c) => word.push(c),
                    None => return Err("trailing backslash".to_owned()),
                }
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

/// One line read by the reader thread.
enum Line {
    Text(Vec<u8>),
    TooLong(usize),
    Eof,
    Failed(String),
}

/// The last [`STDERR_TAIL`] bytes of the adapter's stderr.
#[derive(Default)]
struct Tail(VecDeque<u8>);

impl Tail {
    fn push(&mut self, bytes: &[u8]) {
        self.0.extend(bytes);
        while self.0.len() > STDERR_TAIL {
            self.0.pop_front();
        }
    }
}

/// Why a request could not be written.
enum SendFailure {
    /// The adapter did not take the whole request off the pipe before the deadline.
    NotRead,
    /// The write failed (the adapter closed stdin or exited).
    Io(String),
}

/// A running adapter process, the leader of its own process group: everything it forks is in
/// the group and dies with it ([`Running::kill`] and `Drop` signal the whole group).
///
/// Requests are written by a writer thread, so a request larger than the pipe buffer to an
/// adapter that stopped reading blocks that thread, never the run: the caller waits for the
/// write with a deadline ([`Running::send`]).
struct Running {
    child: Child,
    /// The leader's pid, which is the group id.
    leader: Pid,
    /// The live group; `None` once killed (the leader may then be reaped).
    group: Option<Group>,
    writer: Option<Sender<Vec<u8>>>,
    written: Receiver<Result<(), String>>,
    lines: Receiver<Line>,
    stderr: Arc<Mutex<Tail>>,
}

impl Running {
    fn spawn(argv: &[String]) -> Result<Self, String> {
        let (program, args) = argv
            .split_first()
            .ok_or_else(|| "empty adapter command".to_owned())?;
        let mut command = Command::new(program);
        command
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let (mut child, group) = mtproto_children::spawn(command)
            .map_err(|e| format!("cannot start `{program}`: {e}"))?;
        let leader = group.id();
        let stdout = child.stdout.take();
        let stderr_pipe = child.stderr.take();
        let stdin = child.stdin.take();
        let (tx, lines) = mpsc::channel();
        if let Some(stdout) = stdout {
            thread::spawn(move || read_lines(stdout, &tx));
        }
        let (writer, requests) = mpsc::channel::<Vec<u8>>();
        let (done, written) = mpsc::channel();
        if let Some(mut stdin) = stdin {
            thread::spawn(move || {
                // Ends when the sender is dropped (closing stdin) or a write fails.
                for request in requests {
                    let result = stdin
                        .write_all(&request)
                        .and_then(|()| stdin.flush())
                        .map_err(|e| format!("cannot write the request: {e}"));
                    let failed = result.is_err();
                    if done.send(result).is_err() || failed {
                        return;
                    }
                }
            });
        }
        let stderr = Arc::new(Mutex::new(Tail::default()));
        if let Some(mut pipe) = stderr_pipe {
            let tail = Arc::clone(&stderr);
            thread::spawn(move || {
                let mut buf = [0u8; 4096];
                while let Ok(n) = pipe.read(&mut buf) {
                    let Some(chunk) = buf.get(..n).filter(|c| !c.is_empty()) else {
                        break;
                    };
                    if let Ok(mut t) = tail.lock() {
                        t.push(chunk);
                    }
                }
            });
        }
        Ok(Self {
            child,
            leader,
            group: Some(group),
            writer: Some(writer),
            written,
            lines,
            stderr,
        })
    }

    /// The stderr tail as text.
    fn stderr_text(&self) -> String {
        let bytes: Vec<u8> = self
            .stderr
            .lock()
            .map(|t| t.0.iter().copied().collect())
            .unwrap_or_default();
        String::from_utf8_lossy(&bytes).trim().to_owned()
    }

    /// Whether the leader exits within `wait`, without reaping it: while it is an unreaped zombie
    /// its pid (the group id) cannot be reused, so signalling the group stays safe.
    fn exits_within(&self, wait: Duration) -> bool {
        let deadline = Instant::now() + wait;
        loop {
            let options = WaitIdOptions::EXITED | WaitIdOptions::NOHANG | WaitIdOptions::NOWAIT;
            match waitid(WaitId::Pid(self.leader), options) {
                Ok(Some(_)) | Err(_) => return true,
                Ok(None) => {}
            }
            if Instant::now() >= deadline {
                return false;
            }
            thread::sleep(Duration::from_millis(2));
        }
    }

    /// SIGKILL to the whole group (the leader and everything it forked), unregister it, then
    /// reap the leader (in that order: module docs of [`mtproto_children`]).
    fn kill_group(&mut self) -> Option<std::process::ExitStatus> {
        drop(self.group.take());
        self.child.wait().ok()
    }

    /// Kill the process group and reap the leader; the leader's exit status if it had exited by
    /// itself (a crash gets a moment to finish exiting; stdin stays open until then, so a live
    /// adapter is never mistaken for one that exited).
    fn kill(mut self) -> (Option<String>, String) {
        let by_itself = self.exits_within(Duration::from_millis(50));
        let status = self.kill_group();
        // The stderr reader ends when the group is gone; give it a moment to drain.
        thread::sleep(Duration::from_millis(5));
        let stderr = self.stderr_text();
        (
            by_itself.then(|| status.map(|s| s.to_string())).flatten(),
            stderr,
        )
    }

    /// Write one request (or a batch) before `deadline`.
    fn send(&mut self, line: &[u8], deadline: Instant) -> Result<(), SendFailure> {
        let writer = self
            .writer
            .as_ref()
            .ok_or_else(|| SendFailure::Io("stdin closed".to_owned()))?;
        writer
            .send(line.to_vec())
            .map_err(|_| SendFailure::Io("stdin closed".to_owned()))?;
        let wait = deadline.saturating_duration_since(Instant::now());
        match self.written.recv_timeout(wait) {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(SendFailure::Io(e)),
            Err(RecvTimeoutError::Timeout) => Err(SendFailure::NotRead),
            Err(RecvTimeoutError::Disconnected) => Err(SendFailure::Io("stdin closed".to_owned())),
        }
    }

    /// The next answer line before `deadline`. A leader that exits counts as a crash at once,
    /// even while a child it forked keeps stdout open (no end of file would come).
    fn receive(&self, deadline: Instant) -> Result<Vec<u8>, Failure> {
        const POLL: Duration = Duration::from_millis(50);
        let got = loop {
            let wait = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(wait.min(POLL)) {
                Err(RecvTimeoutError::Timeout) if !wait.is_zero() => {
                    if self.exits_within(Duration::ZERO) {
                        // A last line may have arrived just before it exited.
                        break self
                            .lines
                            .recv_timeout(Duration::from_millis(5))
                            .map_err(|_| RecvTimeoutError::Disconnected);
                    }
                }
                other => break other,
            }
        };
        match got {
            Ok(Line::Text(t)) => Ok(t),
            Ok(Line::TooLong(n)) => Err(Failure::Protocol(format!(
                "answer line longer than {MAX_LINE} bytes ({n} bytes)"
            ))),
            Ok(Line::Eof) | Err(RecvTimeoutError::Disconnected) => Err(Failure::Exited),
            Ok(Line::Failed(e)) => Err(Failure::Protocol(format!("cannot read stdout: {e}"))),
            Err(RecvTimeoutError::Timeout) => Err(Failure::Timeout),
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        // Closing stdin (the writer thread ends with its channel) asks a well-behaved adapter to
        // exit; give it a moment, then kill what is left of its group either way: a child it
        // forked may still hold the pipes.
        drop(self.writer.take());
        let _ = self.exits_within(Duration::from_millis(200));
        let _ = self.kill_group();
    }
}

/// The reader thread: one message per line, capped at [`MAX_LINE`].
fn read_lines(stdout: impl Read, tx: &mpsc::Sender<Line>) {
    let mut reader = BufReader::with_capacity(1 << 16, stdout);
    loop {
        let mut line = Vec::new();
        let mut overflow = 0usize;
        let ended = loop {
            let buf = match reader.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    let _ = tx.send(Line::Failed(e.to_string()));
                    return;
                }
            };
            if buf.is_empty() {
                break true;
            }
            let (chunk, newline) = match buf.iter().position(|&b| b == b'\n') {
                Some(i) => (buf.get(..i).unwrap_or_default(), true),
                None => (buf, false),
            };
            let used = chunk.len() + usize::from(newline);
            if overflow > 0 || line.len().saturating_add(chunk.len()) > MAX_LINE {
                overflow = overflow
                    .saturating_add(line.len())
                    .saturating_add(chunk.len());
                line = Vec::new();
            } else {
                line.extend_from_slice(chunk);
            }
            reader.consume(used);
            if newline {
                break false;
            }
        };
        if overflow > 0 {
            if tx.send(Line::TooLong(overflow)).is_err() {
                return;
            }
        } else if !(ended && line.is_empty()) && tx.send(Line::Text(line)).is_err() {
            return;
        }
        if ended {
            let _ = tx.send(Line::Eof);
            return;
        }
    }
}

enum Failure {
    Timeout,
    Exited,
    Protocol(String),
}

/// The default number of harness-side failures in a row (crash, hang, unread request, garbage,
/// failed restart) after which an adapter is given up ([`Limits::breaker`]).
pub const DEFAULT_BREAKER: u32 = 5;

/// The least time an adapter's `hello` is given: an interpreter that imports a large library (a
/// Python client, a Node bundle) on a loaded machine starts slower than it answers a request, and a
/// matrix starts every adapter at once. A `--timeout-ms` above this bounds the hello instead.
/// Restarts keep the request timeout, so a dead adapter still costs at most `breaker × timeout`.
pub const MIN_START: Duration = Duration::from_secs(20);

/// What bounds an adapter's time: per request, in a row of failures, and over the whole run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Each request (its write and its answer) and each restart's `hello` must finish within
    /// this; the first `hello` within this or [`MIN_START`], whichever is longer.
    pub timeout: Duration,
    /// After this many failures in a row the adapter is not restarted again: every later request
    /// is [`Answer::Error`] at once (the circuit breaker). 0 never gives up.
    pub breaker: u32,
    /// No request starts or waits past this instant; later requests are [`Answer::Error`] at once.
    pub deadline: Option<Instant>,
}

impl Limits {
    /// A per-request timeout, the default breaker, no deadline.
    pub fn timeout(timeout: Duration) -> Self {
        Limits {
            timeout,
            breaker: DEFAULT_BREAKER,
            deadline: None,
        }
    }
}

/// An external implementation behind a JSON-lines adapter (see the module docs).
pub struct SubprocessIut {
    command: String,
    argv: Vec<String>,
    limits: Limits,
    hello: Hello,
    running: Option<Running>,
    next_id: u64,
    restarts: u64,
    /// Harness-side failures since the last well-formed answer.
    in_a_row: u32,
    /// Why the adapter was given up (breaker or deadline), once it was.
    gave_up: Option<String>,
}

impl fmt::Debug for SubprocessIut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SubprocessIut")
            .field("command", &self.command)
            .field("limits", &self.limits)
            .field("hello", &self.hello)
            .field("restarts", &self.restarts)
            .field("gave_up", &self.gave_up)
            .finish_non_exhaustive()
    }
}

impl SubprocessIut {
    /// Start `command` (split into words like a shell does, no expansions), say `hello` and check
    /// the answer. `timeout` bounds the hello and every later request; the default breaker.
    pub fn start(command: &str, timeout: Duration) -> Result<Self, StartError> {
        Self::start_with(command, Limits::timeout(timeout))
    }

    /// [`SubprocessIut::start`] with every limit given.
    pub fn start_with(command: &str, limits: Limits) -> Result<Self, StartError> {
        let argv = split_command(command)
            .map_err(|e| StartError(format!("adapter command {command:?}: {e}")))?;
        if argv.is_empty() {
            return Err(StartError("empty adapter command".to_owned()));
        }
        let deadline = start_deadline(&limits);
        let (running, hello) = handshake(&argv, limits.timeout.max(MIN_START), deadline)
            .map_err(|e| StartError(format!("adapter `{command}` did not start: {e}")))?;
        Ok(Self {
            command: command.to_owned(),
            argv,
            limits,
            hello,
            running: Some(running),
            next_id: 1,
            restarts: 0,
            in_a_row: 0,
            gave_up: None,
        })
    }

    /// The command line the adapter was started with.
    pub fn command(&self) -> &str {
        &self.command
    }

    /// The limits it runs under.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// How many times the adapter was restarted after a crash, a hang or garbage.
    pub fn restarts(&self) -> u64 {
        self.restarts
    }

    /// Why the adapter was given up (the circuit breaker tripped or the run's deadline passed):
    /// every request after that is an [`Answer::Error`] with this message, without a round trip.
    pub fn gave_up(&self) -> Option<&str> {
        self.gave_up.as_deref()
    }

    /// Stop the adapter: close its stdin, wait briefly for it to exit, then kill its process
    /// group (the adapter and anything it forked).
    pub fn shutdown(&mut self) {
        drop(self.running.take());
    }

    /// Counts a harness-side failure; trips the breaker at [`Limits::breaker`] in a row.
    fn count_failure(&mut self, last: &str) {
        self.in_a_row = self.in_a_row.saturating_add(1);
        if self.limits.breaker > 0 && self.in_a_row >= self.limits.breaker && self.gave_up.is_none()
        {
            self.gave_up = Some(format!(
                "adapter given up after {} failures in a row (crash, hang, unread request or \
                 garbage; the last: {last}); the remaining cases were not run",
                self.in_a_row
            ));
            drop(self.running.take());
        }
    }

    /// The answer for a request the adapter is not asked: breaker tripped or deadline passed.
    fn refused(&mut self, op: &str) -> Option<Answer> {
        if self.gave_up.is_none()
            && let Some(deadline) = self.limits.deadline
            && Instant::now() >= deadline
        {
            self.gave_up =
                Some("the run's --deadline passed; the remaining cases were not run".to_owned());
            drop(self.running.take());
        }
        self.gave_up
            .as_ref()
            .map(|why| Answer::Error(format!("adapter: {op}: {why}")))
    }

    fn fail(&mut self, op: &str, what: &str) -> Answer {
        let (status, stderr) = match self.running.take() {
            Some(r) => r.kill(),
            None => (None, String::new()),
        };
        let mut msg = format!("adapter: {op}: {what}");
        if let Some(status) = status {
            msg.push_str(&format!(" ({status})"));
        }
        self.count_failure(&msg);
        if self.gave_up.is_none() {
            msg.push_str("; adapter restarted");
        }
        if !stderr.is_empty() {
            msg.push_str(&format!("; stderr: {}", stderr.replace('\n', " | ")));
        }
        Answer::Error(msg)
    }

    /// Why a request timed out: its own timeout, or the run's deadline.
    fn timeout_text(&self, deadline: Instant) -> String {
        let ms = self.limits.timeout.as_millis();
        match self.limits.deadline {
            Some(d) if d <= deadline => "within the run's --deadline".to_owned(),
            _ => format!("within {ms} ms"),
        }
    }

    /// Write `wire` to the adapter, bounded by `deadline`; the error answer if that failed.
    fn send(&mut self, op: &str, wire: &[u8], deadline: Instant) -> Result<(), Answer> {
        let sent = match self.running.as_mut() {
            Some(r) => r.send(wire, deadline),
            None => Err(SendFailure::Io("not running".to_owned())),
        };
        match sent {
            Ok(()) => Ok(()),
            Err(SendFailure::NotRead) => {
                let what = format!(
                    "did not read its request ({} bytes) {} (stopped reading stdin)",
                    wire.len(),
                    self.timeout_text(deadline)
                );
                Err(self.fail(op, &what))
            }
            Err(SendFailure::Io(e)) => Err(self.fail(op, &e)),
        }
    }

    /// Send several requests before reading any answer (pipelined), in order.
    pub fn call_many(&mut self, requests: &[(&str, &Fields)]) -> Vec<Answer> {
        let mut answers: Vec<Option<Answer>> = vec![None; requests.len()];
        let mut sent: Vec<(usize, u64)> = Vec::new();
        let mut wire = Vec::new();
        for (i, (op, request)) in requests.iter().enumerate() {
            let answer = if !self.hello.supports(op) {
                Some(Answer::Unsupported)
            } else {
                self.refused(op)
            };
            if let Some(answer) = answer {
                if let Some(a) = answers.get_mut(i) {
                    *a = Some(answer);
                }
                continue;
            }
            let id = self.next_id;
            self.next_id = self.next_id.wrapping_add(1);
            encode_request(&mut wire, id, op, request);
            sent.push((i, id));
        }
        let mut broken: Option<String> = None;
        if let Some(&(first, _)) = sent.first() {
            let op = requests.get(first).map_or("?", |(op, _)| *op);
            if let Err(e) = self.ensure_running() {
                broken = Some(e);
            } else if let Err(a) = self.send(op, &wire, request_deadline(&self.limits)) {
                broken = Some(match a {
                    Answer::Error(m) => m,
                    _ => "cannot write the batch".to_owned(),
                });
            }
        }
        for (i, id) in sent {
            let op = requests.get(i).map_or("?", |(op, _)| *op);
            let answer = match &broken {
                Some(e) => Answer::Error(format!("adapter: {op}: batch not answered: {e}")),
                None => match self.read_answer(op, id, request_deadline(&self.limits)) {
                    Ok(a) => a,
                    Err(a) => {
                        broken = Some("an earlier answer in the batch failed".to_owned());
                        a
                    }
                },
            };
            if let Some(a) = answers.get_mut(i) {
                *a = Some(answer);
            }
        }
        answers
            .into_iter()
            .map(|a| a.unwrap_or_else(|| Answer::Error("no answer".to_owned())))
            .collect()
    }

    fn ensure_running(&mut self) -> Result<(), String> {
        if self.running.is_none() {
            self.restarts = self.restarts.saturating_add(1);
            let deadline = request_deadline(&self.limits);
            match handshake(&self.argv, self.limits.timeout, deadline) {
                Ok((running, _hello)) => self.running = Some(running),
                Err(e) => {
                    let msg = format!("restart failed: {e}");
                    self.count_failure(&msg);
                    return Err(msg);
                }
            }
        }
        Ok(())
    }

    /// Read the answer to request `id` before `deadline`; `Err` after a failure that killed the
    /// adapter.
    fn read_answer(&mut self, op: &str, id: u64, deadline: Instant) -> Result<Answer, Answer> {
        let Some(running) = self.running.as_ref() else {
            return Err(Answer::Error(format!("adapter: {op}: not running")));
        };
        let line = match running.receive(deadline) {
            Ok(line) => line,
            Err(Failure::Timeout) => {
                let what = format!("no answer {} (hang)", self.timeout_text(deadline));
                return Err(self.fail(op, &what));
            }
            Err(Failure::Exited) => {
                return Err(self.fail(op, "the adapter exited or closed stdout (crash)"));
            }
            Err(Failure::Protocol(e)) => return Err(self.fail(op, &e)),
        };
        match parse_answer(&line, id) {
            Ok(answer) => {
                self.in_a_row = 0;
                Ok(answer)
            }
            Err(e) => Err(self.fail(op, &e)),
        }
    }
}

/// When a request started now must be finished: its timeout, cut by the run's deadline.
fn request_deadline(limits: &Limits) -> Instant {
    bounded_deadline(limits, limits.timeout)
}

/// The instant the first `hello` must be answered by: [`MIN_START`] or the request timeout. The
/// run's deadline does not cut it short: a run that starts its adapter always judges its cases
/// (those past the deadline are `error` at once), so "started late" never reads as "did not start".
fn start_deadline(limits: &Limits) -> Instant {
    Instant::now() + limits.timeout.max(MIN_START)
}

fn bounded_deadline(limits: &Limits, within: Duration) -> Instant {
    let own = Instant::now() + within;
    match limits.deadline {
        Some(d) if d < own => d,
        _ => own,
    }
}

impl Drop for SubprocessIut {
    fn drop(&mut self) {
        self.shutdown();
    }
}

impl Iut for SubprocessIut {
    fn hello(&self) -> &Hello {
        &self.hello
    }

    fn call(&mut self, op: &str, request: &Fields) -> Answer {
        if !self.hello.supports(op) {
            return Answer::Unsupported;
        }
        if let Some(answer) = self.refused(op) {
            return answer;
        }
        if let Err(e) = self.ensure_running() {
            return Answer::Error(format!("adapter: {op}: {e}"));
        }
        let deadline = request_deadline(&self.limits);
        let id = self.next_id;
        self.next_id = self.next_id.wrapping_add(1);
        let mut wire = Vec::new();
        encode_request(&mut wire, id, op, request);
        if let Err(answer) = self.send(op, &wire, deadline) {
            return answer;
        }
        self.read_answer(op, id, deadline).unwrap_or_else(|a| a)
    }
}

/// `{"id":N,"op":"...",...fields}\n`; fields named `id` or `op` are not sent.
fn encode_request(out: &mut Vec<u8>, id: u64, op: &str, request: &Fields) {
    let mut m = Map::with_capacity(request.len().saturating_add(2));
    m.insert("id".to_owned(), Value::from(id));
    m.insert("op".to_owned(), Value::from(op));
    for (k, v) in request {
        if k != "id" && k != "op" {
            m.insert(k.clone(), v.clone());
        }
    }
    // Serializing a `Value` map cannot fail.
    let _ = serde_json::to_writer(&mut *out, &Value::Object(m));
    out.push(b'\n');
}

/// A short, printable excerpt of an untrusted line for error messages.
fn excerpt(line: &[u8]) -> String {
    const MAX: usize = 120;
    let text = String::from_utf8_lossy(line.get(..MAX.min(line.len())).unwrap_or_default());
    let mut s: String = text.chars().filter(|c| !c.is_control()).collect();
    if line.len() > MAX {
        s.push('…');
    }
    format!("{s:?}")
}

/// Decode one answer line for request `id` (module docs, "Wire format").
fn parse_answer(line: &[u8], id: u64) -> Result<Answer, String> {
    let value: Value = serde_json::from_slice(line)
        .map_err(|e| format!("malformed JSON answer ({e}): {}", excerpt(line)))?;
    let Value::Object(mut m) = value else {
        return Err(format!(
            "the answer is not a JSON object: {}",
            excerpt(line)
        ));
    };
    match m.remove("id") {
        Some(Value::Number(n)) if n.as_u64() == Some(id) => {}
        Some(other) => {
            return Err(format!(
                "answer with the wrong id: expected {id}, got {}",
                excerpt(other.to_string().as_bytes())
            ));
        }
        None => return Err(format!("answer without an id: {}", excerpt(line))),
    }
    if m.get("unsupported") == Some(&Value::Bool(true)) {
        return Ok(Answer::Unsupported);
    }
    match m.remove("ok") {
        Some(Value::Bool(true)) => Ok(Answer::Ok(m)),
        Some(Value::Bool(false)) => {
            if let Some(internal) = m.get("internal") {
                let what = internal
                    .as_str()
                    .map_or_else(|| internal.to_string(), str::to_owned);
                return Ok(Answer::Error(format!("adapter reported: {what}")));
            }
            match m.remove("error") {
                Some(Value::String(error)) if !error.is_empty() => Ok(Answer::Rejected { error }),
                _ => Err(format!(
                    "`ok:false` answer without a string `error`: {}",
                    excerpt(line)
                )),
            }
        }
        Some(_) => Err(format!("`ok` is not a boolean: {}", excerpt(line))),
        None => Err(format!(
            "answer with neither `ok` nor `unsupported`: {}",
            excerpt(line)
        )),
    }
}

/// Spawn, send `hello`, read and check the answer, all before `deadline`.
fn handshake(
    argv: &[String],
    timeout: Duration,
    deadline: Instant,
) -> Result<(Running, Hello), String> {
    let mut running = Running::spawn(argv)?;
    let describe = |r: Running, what: String| {
        let (status, stderr) = r.kill();
        let mut msg = what;
        if let Some(s) = status {
            msg.push_str(&format!(" ({s})"));
        }
        if !stderr.is_empty() {
            msg.push_str(&format!("; stderr: {}", stderr.replace('\n', " | ")));
        }
        msg
    };
    let ms = timeout.as_millis();
    let hello_line = format!("{{\"id\":0,\"op\":\"hello\",\"version\":{PROTOCOL_VERSION}}}\n");
    match running.send(hello_line.as_bytes(), deadline) {
        Ok(()) => {}
        Err(SendFailure::NotRead) => {
            return Err(describe(
                running,
                format!("did not read its hello request within {ms} ms"),
            ));
        }
        Err(SendFailure::Io(e)) => return Err(describe(running, e)),
    }
    let line = match running.receive(deadline) {
        Ok(l) => l,
        Err(Failure::Timeout) => {
            return Err(describe(running, format!("no hello answer within {ms} ms")));
        }
        Err(Failure::Exited) => {
            return Err(describe(
                running,
                "exited before answering hello".to_owned(),
            ));
        }
        Err(Failure::Protocol(e)) => return Err(describe(running, e)),
    };
    match parse_hello(&line) {
        Ok(hello) => Ok((running, hello)),
        Err(e) => Err(describe(running, e)),
    }
}

fn parse_hello(line: &[u8]) -> Result<Hello, String> {
    let fields = match parse_answer(line, 0)? {
        Answer::Ok(f) => f,
        Answer::Rejected { error } => {
            return Err(format!("refused hello version {PROTOCOL_VERSION}: {error}"));
        }
        other => return Err(format!("bad hello answer: {other:?}")),
    };
    if let Some(p) = fields.get("protocol")
        && p.as_u64() != Some(PROTOCOL_VERSION)
    {
        return Err(format!(
            "speaks protocol {p}, the harness speaks {PROTOCOL_VERSION}"
        ));
    }
    let text = |name: &str| -> Result<String, String> {
        match fields.get(name) {
            Some(Value::String(s)) => Ok(s.clone()),
            _ => Err(format!("hello answer: `{name}` missing or not a string")),
        }
    };
    let ops = match fields.get("ops") {
        Some(Value::Array(a)) => a
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| "hello answer: `ops` holds a non-string".to_owned())
            })
            .collect::<Result<Vec<_>, _>>()?,
        _ => return Err("hello answer: `ops` missing or not an array".to_owned()),
    };
    Ok(Hello {
        name: text("name")?,
        version: text("version")?,
        ops,
    })
}

/// The adapter side of the protocol: serve `iut` on `input`/`output` until `input` ends. Answers
/// are written in order and flushed whenever no further request is already buffered, so a
/// pipelining client gets them in batches and a lock-step one gets each at once.
pub fn serve(iut: &mut dyn Iut, input: impl Read, output: impl Write) -> std::io::Result<()> {
    let mut input = BufReader::with_capacity(1 << 16, input);
    let mut output = std::io::BufWriter::with_capacity(1 << 16, output);
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = input.read_until(b'\n', &mut line)?;
        if n == 0 {
            break;
        }
        let answer = serve_line(iut, &line);
        output.write_all(&answer)?;
        output.write_all(b"\n")?;
        if input.buffer().is_empty() {
            output.flush()?;
        }
    }
    output.flush()
}

/// One request line in, one answer line out (without the newline).
pub fn serve_line(iut: &mut dyn Iut, line: &[u8]) -> Vec<u8> {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let mut out = Map::new();
    let request = match serde_json::from_slice::<Value>(line) {
        Ok(Value::Object(m)) => m,
        Ok(_) => {
            out.insert("id".to_owned(), Value::Null);
            out.insert("ok".to_owned(), Value::Bool(false));
            out.insert(
                "internal".to_owned(),
                Value::from("request is not an object"),
            );
            return serde_json::to_vec(&Value::Object(out)).unwrap_or_default();
        }
        Err(e) => {
            out.insert("id".to_owned(), Value::Null);
            out.insert("ok".to_owned(), Value::Bool(false));
            out.insert(
                "internal".to_owned(),
                Value::from(format!("malformed JSON request: {e}")),
            );
            return serde_json::to_vec(&Value::Object(out)).unwrap_or_default();
        }
    };
    let mut request = request;
    let id = request.remove("id").unwrap_or(Value::Null);
    out.insert("id".to_owned(), id);
    let op = match request.remove("op") {
        Some(Value::String(s)) => s,
        _ => {
            out.insert("ok".to_owned(), Value::Bool(false));
            out.insert("internal".to_owned(), Value::from("field `op`: missing"));
            return serde_json::to_vec(&Value::Object(out)).unwrap_or_default();
        }
    };
    if op == "hello" {
        let hello = iut.hello();
        if request.get("version").and_then(Value::as_u64) != Some(PROTOCOL_VERSION) {
            out.insert("ok".to_owned(), Value::Bool(false));
            out.insert("error".to_owned(), Value::from("UnsupportedVersion"));
        } else {
            out.insert("ok".to_owned(), Value::Bool(true));
            out.insert("protocol".to_owned(), Value::from(PROTOCOL_VERSION));
            out.insert("name".to_owned(), Value::from(hello.name.clone()));
            out.insert("version".to_owned(), Value::from(hello.version.clone()));
            out.insert(
                "ops".to_owned(),
                Value::Array(hello.ops.iter().map(|o| Value::from(o.clone())).collect()),
            );
        }
        return serde_json::to_vec(&Value::Object(out)).unwrap_or_default();
    }
    match iut.call(&op, &request) {
        Answer::Ok(fields) => {
            out.insert("ok".to_owned(), Value::Bool(true));
            for (k, v) in fields {
                if k != "id" && k != "ok" {
                    out.insert(k, v);
                }
            }
        }
        Answer::Rejected { error } => {
            out.insert("ok".to_owned(), Value::Bool(false));
            out.insert("error".to_owned(), Value::from(error));
        }
        Answer::Unsupported => {
            out.insert("unsupported".to_owned(), Value::Bool(true));
        }
        Answer::Error(msg) => {
            out.insert("ok".to_owned(), Value::Bool(false));
            out.insert("internal".to_owned(), Value::from(msg));
        }
    }
    serde_json::to_vec(&Value::Object(out)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_like_a_shell() {
        let ok = |s: &str| split_command(s).unwrap_or_default();
        assert_eq!(ok("a b  c"), ["a", "b", "c"]);
        assert_eq!(
            ok("python3 'a b' \"c \\\"d\\\"\""),
            ["python3", "a b", "c \"d\""]
        );
        assert_eq!(ok("x\\ y ''"), ["x y", ""]);
        assert!(split_command("'open").is_err());
        assert!(split_command("\"open").is_err());
        assert!(ok("   ").is_empty());
    }

    #[test]
    fn answers_decode() {
        assert!(
            matches!(parse_answer(br#"{"id":3,"ok":true,"ct":"00"}"#, 3), Ok(Answer::Ok(f)) if f.len() == 1)
        );
        assert_eq!(
            parse_answer(br#"{"id":3,"ok":false,"error":"X"}"#, 3),
            Ok(Answer::Rejected { error: "X".into() })
        );
        assert_eq!(
            parse_answer(br#"{"id":3,"unsupported":true}"#, 3),
            Ok(Answer::Unsupported)
        );
        assert!(matches!(
            parse_answer(br#"{"id":3,"ok":false,"internal":"boom"}"#, 3),
            Ok(Answer::Error(m)) if m.contains("boom")
        ));
        for (bad, want) in [
            (&br#"{"id":4,"ok":true}"#[..], "wrong id"),
            (br#"{"ok":true}"#, "without an id"),
            (br#"[1]"#, "not a JSON object"),
            (br#"{"id":3"#, "malformed JSON"),
            (br#"{"id":3,"ok":false}"#, "without a string `error`"),
            (br#"{"id":3,"ok":1}"#, "not a boolean"),
            (br#"{"id":3}"#, "neither"),
        ] {
            match parse_answer(bad, 3) {
                Err(e) => assert!(e.contains(want), "{e}"),
                Ok(a) => panic!("{a:?}"),
            }
        }
    }

    #[test]
    fn serve_round_trips_every_answer_kind() {
        let mut iut = crate::ReferenceIut::new();
        let input = concat!(
            "{\"id\":0,\"op\":\"hello\",\"version\":1}\n",
            "{\"id\":1,\"op\":\"ige.encrypt\",\"key\":\"",
            "000102030405060708090a0b0c0d0e0f",
            "\",\"iv\":\"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\",",
            "\"msg\":\"00\"}\n",
            "{\"id\":2,\"op\":\"nope\"}\n",
            "{\"id\":3,\"op\":\"ige.encrypt\"}\n",
            "garbage\n",
        );
        let mut out = Vec::new();
        assert!(serve(&mut iut, input.as_bytes(), &mut out).is_ok());
        let lines: Vec<&[u8]> = out
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .collect();
        assert_eq!(lines.len(), 5);
        let hello = parse_hello(lines[0]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(hello.name, "mtproto-reference");
        assert_eq!(
            parse_answer(lines[1], 1),
            Ok(Answer::Rejected {
                error: "NotBlockAligned".into()
            })
        );
        assert_eq!(parse_answer(lines[2], 2), Ok(Answer::Unsupported));
        assert!(matches!(parse_answer(lines[3], 3), Ok(Answer::Error(m)) if m.contains("`key`")));
        assert!(String::from_utf8_lossy(lines[4]).contains("malformed JSON"));
    }

    #[test]
    fn overlong_lines_are_cut() {
        let (tx, rx) = mpsc::channel();
        let mut data = vec![b'x'; MAX_LINE + 10];
        data.extend_from_slice(b"\n{\"id\":1}\n");
        read_lines(data.as_slice(), &tx);
        assert!(matches!(rx.recv(), Ok(Line::TooLong(n)) if n == MAX_LINE + 10));
        assert!(matches!(rx.recv(), Ok(Line::Text(t)) if t == b"{\"id\":1}"));
        assert!(matches!(rx.recv(), Ok(Line::Eof)));
    }
}
