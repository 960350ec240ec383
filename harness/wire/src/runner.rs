//! Run a client-role case: listen on 127.0.0.1, start the driver with the `MTPROTO_WIRE_*`
//! variables, play the script as a hostile server, and judge what the driver reported.
//!
//! The driver runs as `sh -c COMMAND` in its own process group; the whole group is killed when
//! the case ends, whatever happened (the case's time is up, the driver floods stdout, the harness
//! failed). Every wait is bounded by the case timeout; stdout is read line by line with a cap on
//! the number and the length of lines; stderr's tail is kept for the report.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::case::{
    Action, CaseTransport, HandshakeTamper, PongPlan, Reaction, ReplayOrder, ReplayWhich, Role,
    WireCase,
};
use crate::driver::{self, Env};
use crate::error::{Result, WireError};
use crate::framing::{FramedConn, Limits};
use crate::keys;
use crate::net::{Deadline, Listener};
use crate::rng::Rng;
use crate::server::{HandshakeEnd, Server};
use crate::tl;
use crate::transcript::FrameRecord;
use mtproto::session::MsgIdKind;
use mtproto::transport::Packet;

/// A driver function: its environment, its stdout; returns its exit status.
pub type DriverFn = dyn Fn(&Env, &mut dyn Write) -> i32 + Send + Sync;

/// What a case runs against.
#[derive(Clone)]
pub enum Driver {
    /// A shell command (`sh -c`), e.g. `mtproto-harness wire-client`.
    Command(String),
    /// A driver function in this process, on its own thread (the reference drivers in tests).
    /// It cannot be killed: it must bound itself by `MTPROTO_WIRE_TIMEOUT_MS`.
    InProcess(Arc<DriverFn>),
}

impl Driver {
    /// The reference client driver, in-process.
    pub fn reference_client() -> Self {
        Self::InProcess(Arc::new(driver::run_reference_client))
    }

    /// The reference server driver, in-process.
    pub fn reference_server() -> Self {
        Self::InProcess(Arc::new(driver::run_reference_server))
    }

    /// A description for reports.
    pub fn describe(&self) -> String {
        match self {
            Self::Command(c) => c.clone(),
            Self::InProcess(_) => "(in-process driver)".to_string(),
        }
    }
}

/// Bounds of a run.
#[derive(Clone, Copy, Debug)]
pub struct RunOptions {
    /// The whole case, from spawn to verdict.
    pub timeout: Duration,
    /// How long to wait for a peer's next step after a tampered handshake message.
    pub quiet: Duration,
    /// The most stdout lines kept.
    pub max_lines: usize,
    /// The longest stdout line kept, in bytes.
    pub max_line_len: usize,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(5),
            quiet: Duration::from_millis(1000),
            max_lines: 256,
            max_line_len: 16 * 1024,
        }
    }
}

/// How a case ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The peer reacted as the spec requires.
    Pass,
    /// The peer reacted otherwise.
    Fail,
    /// The case could not be judged: the driver crashed, hung, never connected, broke the driver
    /// contract, or the harness failed.
    Error,
}

/// The verdict of one case, with everything needed to understand it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Verdict {
    /// The case id.
    pub tc_id: u32,
    /// Pass, fail or error.
    pub outcome: Outcome,
    /// Why.
    pub detail: String,
    /// The JSON lines the driver printed.
    pub events: Vec<Value>,
    /// Every frame both ways.
    pub transcript: Vec<FrameRecord>,
    /// The driver's exit status (`null`: killed or never exited in time).
    pub exit_code: Option<i32>,
    /// The tail of the driver's stderr.
    pub stderr_tail: String,
    /// The driver, for a repro.
    pub driver: String,
    /// Wall time of the case.
    pub elapsed_ms: u64,
}

/// What a step observed.
#[derive(Debug)]
enum Seen {
    Handshake(HandshakeEnd),
    Pong { truth: i64, decoy: Option<i64> },
    Ping(PingSeen),
}

/// What the server under test did about a decoy ping and the true one after it.
#[derive(Debug, Default)]
struct PingSeen {
    /// The true ping was answered.
    truth_answered: bool,
    /// The decoy was answered with a pong.
    decoy_answered: bool,
    /// A `bad_msg_notification` (or `bad_server_salt`: 48) about the decoy, with its code.
    notification: Option<i32>,
    /// A transport error packet, with its code.
    transport_error: Option<i32>,
    /// The connection closed.
    closed: bool,
    /// The token of a quick-ack frame the server sent.
    quick_ack: Option<u32>,
    /// The token a quick ack must carry (a ping sent with the quick-ack flag).
    quick_ack_expected: Option<u32>,
}

enum Msg {
    Line(String),
    Overflow(String),
    Exit(Option<i32>),
}

/// A running driver.
struct Running {
    rx: Receiver<Msg>,
    child: Option<std::process::Child>,
    /// The command's live process group; `None` once killed (the shell may then be reaped).
    group: Option<mtproto_children::Group>,
    stderr: Arc<Mutex<Vec<u8>>>,
    exit: Option<Option<i32>>,
    lines: Vec<String>,
    overflow: Option<String>,
}

const STDERR_TAIL: usize = 4096;

impl Running {
    fn spawn(driver: &Driver, env: &Env, opts: &RunOptions) -> Result<Self> {
        let (tx, rx) = mpsc::channel();
        let stderr = Arc::new(Mutex::new(Vec::new()));
        match driver {
            Driver::Command(cmd) => {
                let mut command = Command::new("sh");
                command
                    .arg("-c")
                    .arg(cmd)
                    .envs(env)
                    .stdin(Stdio::null())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped());
                let (mut child, group) = mtproto_children::spawn(command)
                    .map_err(|e| WireError::io(format!("spawn sh -c {cmd:?}"), &e))?;
                if let Some(out) = child.stdout.take() {
                    let tx = tx.clone();
                    let (max_lines, max_len) = (opts.max_lines, opts.max_line_len);
                    std::thread::spawn(move || read_lines(out, tx, max_lines, max_len));
                }
                if let Some(mut err) = child.stderr.take() {
                    let buf = Arc::clone(&stderr);
                    std::thread::spawn(move || {
                        let mut chunk = [0u8; 4096];
                        while let Ok(n) = err.read(&mut chunk) {
                            if n == 0 {
                                break;
                            }
                            if let Ok(mut b) = buf.lock() {
                                b.extend_from_slice(chunk.get(..n).unwrap_or(&[]));
                                let len = b.len();
                                if len > STDERR_TAIL * 2 {
                                    b.drain(..len - STDERR_TAIL);
                                }
                            }
                        }
                    });
                }
                Ok(Self {
                    rx,
                    child: Some(child),
                    group: Some(group),
                    stderr,
                    exit: None,
                    lines: Vec::new(),
                    overflow: None,
                })
            }
            Driver::InProcess(f) => {
                let f = Arc::clone(f);
                let env = env.clone();
                let (max_lines, max_len) = (opts.max_lines, opts.max_line_len);
                std::thread::spawn(move || {
                    let mut w = LineWriter {
                        buf: Vec::new(),
                        tx: tx.clone(),
                        lines: 0,
                        max_lines,
                        max_len,
                    };
                    let code = f(&env, &mut w);
                    w.finish();
                    let _ = tx.send(Msg::Exit(Some(code)));
                });
                Ok(Self {
                    rx,
                    child: None,
                    group: None,
                    stderr,
                    exit: None,
                    lines: Vec::new(),
                    overflow: None,
                })
            }
        }
    }

    fn absorb(&mut self, m: Msg) {
        match m {
            Msg::Line(l) => self.lines.push(l),
            Msg::Overflow(why) => self.overflow = Some(why),
            Msg::Exit(code) => self.exit = Some(code),
        }
    }

    /// Take what the driver has printed so far, and note whether it exited.
    fn poll(&mut self) {
        while let Ok(m) = self.rx.try_recv() {
            self.absorb(m);
        }
        if self.exit.is_none()
            && let Some(group) = self.group.as_ref()
            && let Some(code) = exit_without_reaping(group.id())
        {
            self.exit = Some(code);
        }
    }

    fn exited(&mut self) -> Option<Option<i32>> {
        self.poll();
        self.exit
    }

    /// Wait for the driver to exit by `deadline`.
    fn wait(&mut self, deadline: Deadline) -> bool {
        loop {
            if self.exited().is_some() {
                return true;
            }
            if deadline.passed() {
                return false;
            }
            match self
                .rx
                .recv_timeout(Duration::from_millis(5).min(deadline.remaining()))
            {
                Ok(m) => self.absorb(m),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => std::thread::sleep(Duration::from_millis(2)),
            }
        }
    }

    /// Kill the process group and reap the shell; then drain the stdout lines still buffered.
    fn kill(&mut self) {
        // SIGKILL to the group and out of the registry, before the shell is reaped below.
        drop(self.group.take());
        if let Some(c) = self.child.as_mut() {
            let until = Instant::now() + Duration::from_secs(2);
            while Instant::now() < until {
                match c.try_wait() {
                    Ok(Some(status)) => {
                        if self.exit.is_none() {
                            self.exit = Some(status.code());
                        }
                        break;
                    }
                    Ok(None) => std::thread::sleep(Duration::from_millis(2)),
                    Err(_) => break,
                }
            }
            // Orphans of the group are reaped by init: wait (bounded) until none is left.
            let pgid = i32::try_from(c.id()).ok();
            let until = Instant::now() + Duration::from_secs(1);
            while !group_gone(pgid) && Instant::now() < until {
                std::thread::sleep(Duration::from_millis(5));
            }
        }
        let until = Instant::now() + Duration::from_millis(200);
        while Instant::now() < until {
            match self.rx.recv_timeout(Duration::from_millis(20)) {
                Ok(m) => self.absorb(m),
                Err(_) => break,
            }
        }
    }

    fn stderr_tail(&self) -> String {
        let b = self.stderr.lock().map(|b| b.clone()).unwrap_or_default();
        let start = b.len().saturating_sub(STDERR_TAIL);
        String::from_utf8_lossy(b.get(start..).unwrap_or(&[])).into_owned()
    }

    /// The process group id of a command driver.
    fn pgid(&self) -> Option<i32> {
        self.child
            .as_ref()
            .map(|c| i32::try_from(c.id()).unwrap_or(0))
    }
}

/// The exit code of a driver shell that has exited (`Some(None)`: killed by a signal), without
/// reaping it: its pid stays the group's until [`Running::kill`] has killed and unregistered the
/// group, so no other process can be signalled in its place.
fn exit_without_reaping(leader: rustix::process::Pid) -> Option<Option<i32>> {
    use rustix::process::{WaitId, WaitIdOptions, waitid};
    let options = WaitIdOptions::EXITED | WaitIdOptions::NOHANG | WaitIdOptions::NOWAIT;
    match waitid(WaitId::Pid(leader), options) {
        Ok(Some(status)) => Some(status.exit_status().filter(|_| status.exited())),
        Ok(None) | Err(rustix::io::Errno::INTR) => None,
        // Not our child any more (already reaped): it has exited, its code is unknown.
        Err(_) => Some(None),
    }
}

fn read_lines(out: impl Read, tx: Sender<Msg>, max_lines: usize, max_len: usize) {
    let mut r = BufReader::new(out);
    let mut n = 0usize;
    let mut buf = Vec::new();
    loop {
        buf.clear();
        // Read at most max_len + 1 bytes of one line.
        let got = (&mut r)
            .take(max_len as u64 + 1)
            .read_until(b'\n', &mut buf);
        match got {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        if buf.len() > max_len && buf.last() != Some(&b'\n') {
            let _ = tx.send(Msg::Overflow(format!(
                "a stdout line longer than {max_len} bytes"
            )));
            return;
        }
        n += 1;
        if n > max_lines {
            let _ = tx.send(Msg::Overflow(format!("more than {max_lines} stdout lines")));
            return;
        }
        let line = String::from_utf8_lossy(&buf).trim_end().to_string();
        if !line.is_empty() && tx.send(Msg::Line(line)).is_err() {
            return;
        }
    }
}

/// Splits an in-process driver's output into lines for the runner.
struct LineWriter {
    buf: Vec<u8>,
    tx: Sender<Msg>,
    lines: usize,
    max_lines: usize,
    max_len: usize,
}

impl LineWriter {
    fn emit(&mut self, line: &[u8]) {
        self.lines += 1;
        if self.lines > self.max_lines || line.len() > self.max_len {
            let _ = self
                .tx
                .send(Msg::Overflow("stdout cap exceeded".to_string()));
            return;
        }
        let s = String::from_utf8_lossy(line).trim_end().to_string();
        if !s.is_empty() {
            let _ = self.tx.send(Msg::Line(s));
        }
    }

    fn finish(&mut self) {
        if !self.buf.is_empty() {
            let b = std::mem::take(&mut self.buf);
            self.emit(&b);
        }
    }
}

impl Write for LineWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        while let Some(i) = self.buf.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.buf.drain(..=i).collect();
            self.emit(&line);
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The driver environment for a client-role case on `addr`.
pub fn client_env(case: &WireCase, addr: std::net::SocketAddr, opts: &RunOptions) -> Env {
    let mut env = Env::new();
    env.insert(driver::ADDR.into(), addr.to_string());
    env.insert(driver::TRANSPORT.into(), case.transport.clone());
    env.insert(
        driver::SECRET.into(),
        case.secret.clone().unwrap_or_default(),
    );
    env.insert(driver::DC.into(), case.dc.to_string());
    env.insert(driver::RSA_PUBLIC.into(), keys::TEST_RSA_PUBLIC_PEM.into());
    env.insert(driver::PINGS.into(), case.pings.to_string());
    env.insert(
        driver::TIMEOUT_MS.into(),
        opts.timeout.as_millis().to_string(),
    );
    env.insert(driver::SEED.into(), case.seed.wrapping_add(1).to_string());
    env
}

/// Run a client-role `case` against `driver`; the verdict comes back whatever the driver does.
pub fn run_client_case(case: &WireCase, driver: &Driver, opts: &RunOptions) -> Verdict {
    run_client_case_with_pgid(case, driver, opts).0
}

/// [`run_client_case`], also returning the process group id of a command driver (so that a
/// test can check that nothing of it is left: [`group_gone`]).
pub fn run_client_case_with_pgid(
    case: &WireCase,
    driver: &Driver,
    opts: &RunOptions,
) -> (Verdict, Option<i32>) {
    let mut pgid = None;
    let v = run_inner(case, driver, opts, &mut pgid);
    (v, pgid)
}

fn run_inner(
    case: &WireCase,
    driver: &Driver,
    opts: &RunOptions,
    pgid: &mut Option<i32>,
) -> Verdict {
    let started = Instant::now();
    let deadline = Deadline::after(opts.timeout);
    let mut v = Verdict {
        tc_id: case.tc_id,
        outcome: Outcome::Error,
        detail: String::new(),
        events: Vec::new(),
        transcript: Vec::new(),
        exit_code: None,
        stderr_tail: String::new(),
        driver: driver.describe(),
        elapsed_ms: 0,
    };
    let finish = |mut v: Verdict| {
        v.elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        v
    };
    if case.role != Role::ClientUnderTest {
        v.detail = "run_client_case runs client-role cases only".into();
        return finish(v);
    }
    let listener = match Listener::bind_loopback() {
        Ok(l) => l,
        Err(e) => {
            v.detail = e.to_string();
            return finish(v);
        }
    };
    let env = client_env(case, listener.addr(), opts);
    let mut run = match Running::spawn(driver, &env, opts) {
        Ok(r) => r,
        Err(e) => {
            v.detail = e.to_string();
            return finish(v);
        }
    };
    *pgid = run.pgid();
    let mut transcript = Vec::new();
    let played = play(case, &listener, &mut run, deadline, opts, &mut transcript);
    drop(listener);
    // Let the driver finish on its own (it should exit once its pings are answered).
    let exited = run.wait(deadline);
    run.kill();
    v.exit_code = run.exit.flatten();
    v.stderr_tail = run.stderr_tail();
    v.transcript = transcript;
    let (events, bad_line) = parse_events(&run.lines);
    v.events = events;
    let (outcome, detail) = if let Some(why) = &run.overflow {
        (
            Outcome::Error,
            format!("driver broke the output contract: {why}"),
        )
    } else if let Some(l) = bad_line {
        (
            Outcome::Error,
            format!("driver printed a line that is not a JSON object: {l:?}"),
        )
    } else {
        match played {
            Err(e) => (Outcome::Error, describe_error(&e, &run)),
            Ok(seen) => spec_open(case, judge(case, &seen, &v.events)),
        }
    };
    let (outcome, detail) = if !exited && outcome != Outcome::Error {
        (
            Outcome::Error,
            format!(
                "driver did not exit within {} ms ({detail})",
                opts.timeout.as_millis()
            ),
        )
    } else {
        (outcome, detail)
    };
    v.outcome = outcome;
    v.detail = detail;
    finish(v)
}

/// An `acceptable` case (the spec leaves the reaction open): a reaction other than the
/// expected one passes, and the detail says so. Errors stay errors.
fn spec_open(case: &WireCase, (outcome, detail): (Outcome, String)) -> (Outcome, String) {
    match outcome {
        Outcome::Fail if case.acceptable => (
            Outcome::Pass,
            format!("acceptable (the spec leaves this open): {detail}"),
        ),
        Outcome::Pass if case.acceptable => (Outcome::Pass, format!("as expected: {detail}")),
        o => (o, detail),
    }
}

fn describe_error(e: &WireError, run: &Running) -> String {
    match run.exit {
        Some(code) => format!("{e} (driver exited with status {code:?})"),
        None => e.to_string(),
    }
}

fn parse_events(lines: &[String]) -> (Vec<Value>, Option<String>) {
    let mut out = Vec::new();
    for l in lines {
        match serde_json::from_str::<Value>(l) {
            Ok(v) if v.is_object() => out.push(v),
            _ => return (out, Some(l.chars().take(200).collect())),
        }
    }
    (out, None)
}

/// Play the script; the transcript is kept whatever happens.
fn play(
    case: &WireCase,
    listener: &Listener,
    run: &mut Running,
    deadline: Deadline,
    opts: &RunOptions,
    transcript: &mut Vec<FrameRecord>,
) -> Result<Vec<Seen>> {
    let transport = case.transport()?;
    let conn = listener.accept(deadline, || match run.exited() {
        Some(code) => Err(WireError::Closed {
            during: format!("the wait for the driver to connect (it exited with status {code:?})"),
            pending: 0,
        }),
        None => Ok(()),
    })?;
    let mut rng = Rng::from_seed(case.seed);
    let framed = FramedConn::server(
        conn,
        &transport,
        Rng::from_seed(rng.u64()),
        Limits::default(),
        deadline,
    );
    let framed = framed?;
    let mut server = Server::new(framed, Rng::from_seed(rng.u64()));
    // The client-role cases judge the client's checks, not its seq_no accounting.
    server.lenient_seq_no = true;
    let r = play_steps(case, &mut server, deadline, opts);
    *transcript = std::mem::take(&mut server.conn.transcript.frames);
    server.conn.close();
    r
}

fn play_steps(
    case: &WireCase,
    server: &mut Server,
    deadline: Deadline,
    opts: &RunOptions,
) -> Result<Vec<Seen>> {
    let key = keys::private_key(keys::TEST_RSA_PRIVATE_PEM)?;
    let mut seen = Vec::new();
    let mut held = std::collections::VecDeque::new();
    for step in &case.script {
        match &step.action {
            Action::Handshake { tamper } => {
                if tamper.is_some_and(HandshakeTamper::client_sent) {
                    return Err(WireError::config(
                        "script",
                        format!(
                            "{tamper:?} tampers with a client message; this is a client-role case"
                        ),
                    ));
                }
                let end =
                    server.handshake(std::slice::from_ref(&key), *tamper, deadline, opts.quiet)?;
                let done = matches!(end, HandshakeEnd::Done);
                seen.push(Seen::Handshake(end));
                if !done {
                    return Ok(seen);
                }
            }
            Action::AnswerPing { pong } => {
                while held.is_empty() {
                    held.extend(server.serve_frame(deadline, false)?);
                }
                let Some(ping) = held.pop_front() else {
                    continue;
                };
                let decoy = match pong {
                    PongPlan::Valid => None,
                    PongPlan::QuickAckFirst => {
                        server.conn.send(
                            Packet::QuickAck { token: 0x8234_5678 },
                            deadline,
                            Some("an unsolicited quick ack".into()),
                        )?;
                        None
                    }
                    PongPlan::TransportError { code } => {
                        server.conn.send(
                            Packet::Error { code: *code },
                            deadline,
                            Some(format!("transport error {code} instead of the pong")),
                        )?;
                        seen.push(Seen::Pong {
                            truth: ping.ping_id,
                            decoy: None,
                        });
                        continue;
                    }
                    PongPlan::TruthInFrame { frame } => {
                        server.send_in_raw_frame(
                            &tl::pong(ping.msg_id, ping.ping_id),
                            *frame,
                            deadline,
                            "truth",
                        )?;
                        seen.push(Seen::Pong {
                            truth: ping.ping_id,
                            decoy: None,
                        });
                        continue;
                    }
                    PongPlan::Replay { order, replay } => {
                        let d = ping.ping_id.wrapping_add(1);
                        let ack = tl::msgs_ack(&[ping.msg_id]);
                        let sealer = server.sealer_mut()?;
                        let a = sealer.next_msg_id(MsgIdKind::ServerOther)?;
                        let b = sealer.next_msg_id(MsgIdKind::ServerOther)?;
                        let ids = match order {
                            ReplayOrder::InOrder => [a, b],
                            ReplayOrder::Reordered => [b, a],
                        };
                        for id in ids {
                            let tag = if id == a { "A" } else { "B" };
                            server.send_at(&ack, id, deadline, &format!("message {tag}"))?;
                        }
                        let again = match replay {
                            ReplayWhich::Lower => a,
                            ReplayWhich::Higher => b,
                        };
                        server.send_at(
                            &tl::pong(ping.msg_id, d),
                            again,
                            deadline,
                            "decoy (replayed msg_id)",
                        )?;
                        Some(d)
                    }
                    PongPlan::FillWindowThenLower { count } => {
                        let d = ping.ping_id.wrapping_add(1);
                        let ack = tl::msgs_ack(&[ping.msg_id]);
                        let mut first = None;
                        for _ in 0..*count {
                            let id = server.sealer_mut()?.next_msg_id(MsgIdKind::ServerOther)?;
                            first.get_or_insert(id);
                            server.send_at(&ack, id, deadline, "filling the window")?;
                        }
                        let first = first.ok_or_else(|| {
                            WireError::config("script", "fill_window_then_lower needs count > 0")
                        })?;
                        // Below the lowest stored id, server parity kept (1 <-> 3 mod 4).
                        let lower = first - 2;
                        if server.sealer_mut()?.sent_ids().contains(&lower) {
                            return Err(WireError::protocol(
                                "script",
                                "the id below the window was already sent",
                            ));
                        }
                        server.send_at(
                            &tl::pong(ping.msg_id, d),
                            lower,
                            deadline,
                            "decoy (msg_id below the full window)",
                        )?;
                        Some(d)
                    }
                    PongPlan::FrameDecoy { frame } => {
                        let d = ping.ping_id.wrapping_add(1);
                        server.send_in_raw_frame(
                            &tl::pong(ping.msg_id, d),
                            *frame,
                            deadline,
                            "decoy",
                        )?;
                        Some(d)
                    }
                    PongPlan::DecoyThenTruth { mutation } => {
                        let d = ping.ping_id.wrapping_add(1);
                        server.send_body(
                            &tl::pong(ping.msg_id, d),
                            MsgIdKind::ServerResponse,
                            Some(*mutation),
                            deadline,
                            "decoy",
                        )?;
                        Some(d)
                    }
                };
                let sent = server.send_body(
                    &tl::pong(ping.msg_id, ping.ping_id),
                    MsgIdKind::ServerResponse,
                    None,
                    deadline,
                    "truth",
                );
                seen.push(Seen::Pong {
                    truth: ping.ping_id,
                    decoy,
                });
                match sent {
                    Ok(_) => {}
                    // A client may close on a broken frame before the truth arrives.
                    Err(WireError::Closed { .. })
                        if matches!(pong, PongPlan::FrameDecoy { .. }) =>
                    {
                        return Ok(seen);
                    }
                    Err(e) => return Err(e),
                }
            }
            Action::SendPing { .. } | Action::SendQuery | Action::SendPingQuickAck => {
                return Err(WireError::config(
                    "script",
                    "send_ping and send_query are server-role actions; this is a client-role case",
                ));
            }
        }
    }
    // Serve whatever else the driver sends until it closes.
    match server.serve(deadline) {
        Ok(()) | Err(WireError::Closed { .. }) => {}
        Err(e) => return Err(e),
    }
    Ok(seen)
}

fn named<'a>(events: &'a [Value], name: &'a str) -> impl Iterator<Item = &'a Value> + 'a {
    events
        .iter()
        .filter(move |e| e.get("event").and_then(Value::as_str) == Some(name))
}

/// Compare what each step saw and what the driver reported with the step's expected reaction.
fn judge(case: &WireCase, seen: &[Seen], events: &[Value]) -> (Outcome, String) {
    let handshake_ok = named(events, "handshake").any(|e| e.get("ok") == Some(&Value::Bool(true)));
    let mut pongs = named(events, "pong").map(|e| e.get("ping_id").and_then(Value::as_i64));
    let mut notes = Vec::new();
    for (i, step) in case.script.iter().enumerate() {
        let Some(s) = seen.get(i) else {
            return (
                Outcome::Fail,
                format!("step {i} was not reached ({})", notes.join("; ")),
            );
        };
        match (s, step.expect) {
            (Seen::Handshake(HandshakeEnd::Done), Reaction::Completed) => {
                if !handshake_ok {
                    return (Outcome::Error, "the handshake completed but the driver did not report {\"event\":\"handshake\",\"ok\":true}".into());
                }
                notes.push("handshake completed".to_string());
            }
            (Seen::Handshake(HandshakeEnd::PeerStopped(how)), Reaction::NotCompleted) => {
                if handshake_ok {
                    return (
                        Outcome::Fail,
                        format!(
                            "the driver reported a completed handshake after a tampered message ({how})"
                        ),
                    );
                }
                notes.push(format!("handshake not completed: {how}"));
            }
            (Seen::Handshake(HandshakeEnd::PeerWrong(what)), _) => {
                return (Outcome::Fail, format!("step {i}: {what}"));
            }
            (Seen::Handshake(HandshakeEnd::PeerProceeded(what)), Reaction::NotCompleted) => {
                return (
                    Outcome::Fail,
                    format!("the client took the tampered handshake message: {what}"),
                );
            }
            (Seen::Pong { truth, decoy }, Reaction::Dropped) => match pongs.next().flatten() {
                Some(p) if p == *truth => notes.push(format!("pong {p} (the truth): dropped")),
                None => notes.push("no pong: the client closed the connection".into()),
                Some(p) if Some(p) == *decoy => {
                    return (
                        Outcome::Fail,
                        format!("the client took the decoy pong {p} from a broken frame"),
                    );
                }
                Some(p) => {
                    return (
                        Outcome::Fail,
                        format!(
                            "the driver reported ping_id {p}, neither the truth {truth} nor the decoy"
                        ),
                    );
                }
            },
            (Seen::Pong { .. }, Reaction::ErrorReported) => {
                if let Some(p) = pongs.next().flatten() {
                    return (
                        Outcome::Fail,
                        format!("the driver reported pong {p} though no pong was sent"),
                    );
                }
                if named(events, "error").next().is_none() {
                    return (
                        Outcome::Fail,
                        "the driver reported no {\"event\":\"error\"} for the transport error"
                            .into(),
                    );
                }
                notes.push("transport error reported".into());
            }
            (Seen::Pong { truth, decoy }, Reaction::Accepted | Reaction::Ignored) => {
                match pongs.next().flatten() {
                    Some(p) if p == *truth => notes.push(format!("pong {p} (the truth)")),
                    Some(p) if Some(p) == *decoy => {
                        return (
                            Outcome::Fail,
                            format!(
                                "the client took the decoy pong {p} (the true ping_id was {truth})"
                            ),
                        );
                    }
                    Some(p) => {
                        return (
                            Outcome::Fail,
                            format!(
                                "the driver reported ping_id {p}, neither the truth {truth} nor the decoy"
                            ),
                        );
                    }
                    None => {
                        return (
                            Outcome::Fail,
                            format!("the driver reported no pong for step {i} (truth {truth})"),
                        );
                    }
                }
            }
            (s, want) => {
                return (
                    Outcome::Fail,
                    format!("step {i}: expected {want:?}, saw {s:?}"),
                );
            }
        }
    }
    (Outcome::Pass, notes.join("; "))
}

/// Whether no live process of the driver's group is left (command drivers; `None`: `true`). A
/// killed orphan may linger as a zombie until init reaps it: it is dead and does not count.
pub fn group_gone(pgid: Option<i32>) -> bool {
    let Some(pid) = pgid.and_then(rustix::process::Pid::from_raw) else {
        return true;
    };
    if rustix::process::test_kill_process_group(pid).is_err() {
        return true;
    }
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return false;
    };
    let Some(pgid) = pgid else { return true };
    !dir.flatten().any(|e| {
        let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else {
            return false;
        };
        // "pid (comm) state ppid pgrp ...": comm may hold spaces, so split after the last ')'.
        let Some((_, rest)) = stat.rsplit_once(')') else {
            return false;
        };
        let mut f = rest.split_whitespace();
        let state = f.next();
        let _ppid = f.next();
        let pgrp = f.next().and_then(|g| g.parse::<i32>().ok());
        pgrp == Some(pgid) && state != Some("Z") && state != Some("X")
    })
}

/// The driver environment for a server-role case listening on `addr`.
pub fn server_env(case: &WireCase, addr: std::net::SocketAddr, opts: &RunOptions) -> Env {
    let mut env = Env::new();
    env.insert(driver::ADDR.into(), addr.to_string());
    env.insert(driver::TRANSPORT.into(), case.transport.clone());
    env.insert(
        driver::SECRET.into(),
        case.secret.clone().unwrap_or_default(),
    );
    env.insert(
        driver::RSA_PRIVATE.into(),
        keys::TEST_RSA_PRIVATE_PEM.into(),
    );
    env.insert(
        driver::TIMEOUT_MS.into(),
        opts.timeout.as_millis().to_string(),
    );
    env.insert(driver::SEED.into(), case.seed.wrapping_add(1).to_string());
    env
}

/// Run a server-role `case` against `driver` (a server): start it, connect once it listens,
/// play the script as a hostile client, judge what the server sent back. The server is killed
/// at the end (a server need not exit by itself).
pub fn run_server_case(case: &WireCase, driver: &Driver, opts: &RunOptions) -> Verdict {
    run_server_case_with_pgid(case, driver, opts).0
}

/// [`run_server_case`], also returning the process group id of a command driver.
pub fn run_server_case_with_pgid(
    case: &WireCase,
    driver: &Driver,
    opts: &RunOptions,
) -> (Verdict, Option<i32>) {
    let started = Instant::now();
    let deadline = Deadline::after(opts.timeout);
    let mut v = Verdict {
        tc_id: case.tc_id,
        outcome: Outcome::Error,
        detail: String::new(),
        events: Vec::new(),
        transcript: Vec::new(),
        exit_code: None,
        stderr_tail: String::new(),
        driver: driver.describe(),
        elapsed_ms: 0,
    };
    let mut pgid = None;
    let finish = |mut v: Verdict, pgid| {
        v.elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        (v, pgid)
    };
    if case.role != Role::ServerUnderTest {
        v.detail = "run_server_case runs server-role cases only".into();
        return finish(v, pgid);
    }
    // An ephemeral port for the server: bound and released here, then given to the driver.
    let addr = match Listener::bind_loopback() {
        Ok(l) => l.addr(),
        Err(e) => {
            v.detail = e.to_string();
            return finish(v, pgid);
        }
    };
    let env = server_env(case, addr, opts);
    let mut run = match Running::spawn(driver, &env, opts) {
        Ok(r) => r,
        Err(e) => {
            v.detail = e.to_string();
            return finish(v, pgid);
        }
    };
    pgid = run.pgid();
    let mut transcript = Vec::new();
    let played = play_server(case, addr, &mut run, deadline, opts.quiet, &mut transcript);
    // Give the server a moment to print what it saw, then stop it.
    let _ = run.wait(deadline.min_after(Duration::from_millis(300)));
    run.kill();
    v.exit_code = run.exit.flatten();
    v.stderr_tail = run.stderr_tail();
    v.transcript = transcript;
    let (events, bad_line) = parse_events(&run.lines);
    v.events = events;
    let (outcome, detail) = if let Some(why) = &run.overflow {
        (
            Outcome::Error,
            format!("driver broke the output contract: {why}"),
        )
    } else if let Some(l) = bad_line {
        (
            Outcome::Error,
            format!("driver printed a line that is not a JSON object: {l:?}"),
        )
    } else {
        match played {
            Err(e) => (Outcome::Error, describe_error(&e, &run)),
            Ok(seen) => spec_open(case, judge_server(case, &seen)),
        }
    };
    v.outcome = outcome;
    v.detail = detail;
    finish(v, pgid)
}

fn play_server(
    case: &WireCase,
    addr: std::net::SocketAddr,
    run: &mut Running,
    deadline: Deadline,
    quiet: Duration,
    transcript: &mut Vec<FrameRecord>,
) -> Result<Vec<Seen>> {
    let transport = case.transport()?;
    let conn = loop {
        match crate::net::Conn::connect(addr, deadline.min_after(Duration::from_millis(200))) {
            Ok(c) => break c,
            Err(e) => {
                if let Some(code) = run.exited() {
                    return Err(WireError::Closed {
                        during: format!(
                            "the wait for the server to listen on {addr} (it exited with status {code:?}; last error: {e})"
                        ),
                        pending: 0,
                    });
                }
                if deadline.passed() {
                    return Err(deadline
                        .timeout(&format!("the server to listen on {addr} (last error: {e})")));
                }
                std::thread::sleep(Duration::from_millis(5));
            }
        }
    };
    let mut rng = Rng::from_seed(case.seed);
    let prefix = match &case.init_prefix {
        Some(h) => Some(
            hex::decode(h)
                .map_err(|e| WireError::config("init_prefix", format!("not hex: {e}")))?,
        ),
        None => None,
    };
    let framed = FramedConn::client_with_prefix(
        conn,
        &transport,
        i16::try_from(case.dc).unwrap_or(0),
        Rng::from_seed(rng.u64()),
        Limits::default(),
        deadline,
        prefix.as_deref(),
    )?;
    let mut client = crate::client::Client::new(framed, Rng::from_seed(rng.u64()));
    let r = play_server_steps(case, &mut client, &mut rng, deadline, quiet);
    *transcript = std::mem::take(&mut client.conn.transcript.frames);
    client.conn.close();
    r
}

fn play_server_steps(
    case: &WireCase,
    client: &mut crate::client::Client,
    rng: &mut Rng,
    deadline: Deadline,
    quiet: Duration,
) -> Result<Vec<Seen>> {
    let key = keys::public_key(keys::TEST_RSA_PUBLIC_PEM)?;
    let mut seen = Vec::new();
    for step in &case.script {
        match &step.action {
            Action::AnswerPing { .. } => {
                return Err(WireError::config(
                    "script",
                    "answer_ping is a client-role action; this is a server-role case",
                ));
            }
            Action::Handshake { tamper } => {
                if tamper.is_some_and(|t| !t.client_sent()) {
                    return Err(WireError::config(
                        "script",
                        format!(
                            "{tamper:?} tampers with a server message; this is a server-role case"
                        ),
                    ));
                }
                let end = match client.handshake_with(
                    std::slice::from_ref(&key),
                    case.dc,
                    *tamper,
                    deadline,
                    quiet,
                ) {
                    Ok(end) => end,
                    // The server closed or went silent mid-handshake: it did not complete it.
                    Err(e @ (WireError::Closed { .. } | WireError::Timeout { .. })) => {
                        HandshakeEnd::PeerStopped(e.to_string())
                    }
                    Err(e) => return Err(e),
                };
                let done = matches!(end, HandshakeEnd::Done);
                seen.push(Seen::Handshake(end));
                if !done {
                    return Ok(seen);
                }
            }
            Action::SendPingQuickAck => {
                let ping_id = rng.i64();
                let (sent, token) =
                    client.send_body_quick_ack(&tl::ping(ping_id), deadline, "ping")?;
                let mut obs = PingSeen {
                    quick_ack_expected: Some(token),
                    ..PingSeen::default()
                };
                while !(obs.truth_answered && obs.quick_ack.is_some()) {
                    let msgs = match client.recv_any(deadline.min_after(quiet)) {
                        Ok(crate::client::Received::QuickAck(t)) => {
                            obs.quick_ack = Some(t);
                            continue;
                        }
                        Ok(crate::client::Received::TransportError(code)) => {
                            obs.transport_error = Some(code);
                            break;
                        }
                        Ok(crate::client::Received::Messages(m)) => m,
                        // No quick ack within the quiet time after the pong: none is coming.
                        Err(WireError::Timeout { .. }) if obs.truth_answered => break,
                        Err(WireError::Closed { .. }) => {
                            obs.closed = true;
                            break;
                        }
                        Err(e) => return Err(e),
                    };
                    for m in msgs {
                        if tl::read_pong(&m.body) == Some((sent.msg_id, ping_id)) {
                            obs.truth_answered = true;
                        }
                    }
                }
                client.flush_acks(deadline)?;
                seen.push(Seen::Ping(obs));
            }
            Action::SendQuery => {
                let q = client.send_body(&tl::query(), deadline, "query")?;
                let mut obs = PingSeen::default();
                while !obs.truth_answered {
                    let msgs = match client.recv_any(deadline)? {
                        crate::client::Received::TransportError(code) => {
                            obs.transport_error = Some(code);
                            break;
                        }
                        crate::client::Received::QuickAck(_) => continue,
                        crate::client::Received::Messages(m) => m,
                    };
                    for m in msgs {
                        let mut r = mtproto::codec::Reader::new(&m.body);
                        if r.u32().ok() == Some(tl::RPC_RESULT) && r.long().ok() == Some(q.msg_id) {
                            obs.truth_answered = true;
                        }
                    }
                }
                client.flush_acks(deadline)?;
                seen.push(Seen::Ping(obs));
            }
            Action::SendPing { mutation } => {
                let truth_id = rng.i64();
                let decoy_id = truth_id.wrapping_add(1);
                let decoy = match mutation {
                    // Code 35 needs a content-related decoy: a query, not a ping.
                    Some(m @ crate::case::Mutation::SeqNoEvenForContent) => {
                        Some(client.send_mutated(&tl::query(), *m, deadline, "decoy")?)
                    }
                    // Code 34 needs a decoy the description page never counts as
                    // content-related, an acknowledgment: whether a ping is content-related is
                    // left open (Telegram serves pings of either parity), so a ping cannot be it.
                    Some(m @ crate::case::Mutation::SeqNoOddForService) => Some(
                        client.send_mutated(&tl::msgs_ack(&[decoy_id]), *m, deadline, "decoy")?,
                    ),
                    Some(m) => {
                        Some(client.send_mutated(&tl::ping(decoy_id), *m, deadline, "decoy")?)
                    }
                    None => None,
                };
                let truth = client.send_body(&tl::ping(truth_id), deadline, "truth")?;
                let decoy_msg = decoy.map(|d| d.msg_id);
                let mut obs = PingSeen::default();
                while !obs.truth_answered {
                    let got = match client.recv_any(deadline) {
                        Ok(g) => g,
                        Err(WireError::Closed { .. }) => {
                            obs.closed = true;
                            break;
                        }
                        Err(e) => return Err(e),
                    };
                    let msgs = match got {
                        crate::client::Received::TransportError(code) => {
                            obs.transport_error = Some(code);
                            continue;
                        }
                        crate::client::Received::QuickAck(token) => {
                            obs.quick_ack = Some(token);
                            continue;
                        }
                        crate::client::Received::Messages(m) => m,
                    };
                    for m in msgs {
                        let mut r = mtproto::codec::Reader::new(&m.body);
                        match r.u32().ok() {
                            Some(tl::PONG) => {
                                if let Some((req, pid)) = tl::read_pong(&m.body) {
                                    if req == truth.msg_id && pid == truth_id {
                                        obs.truth_answered = true;
                                    } else if Some(req) == decoy_msg || pid == decoy_id {
                                        obs.decoy_answered = true;
                                    }
                                }
                            }
                            Some(tl::BAD_MSG_NOTIFICATION | tl::BAD_SERVER_SALT) => {
                                let bad = r.long().ok();
                                let _seq = r.int();
                                let code = r.int().ok();
                                if bad.is_some() && bad == decoy_msg {
                                    obs.notification = code;
                                } else if bad == Some(truth.msg_id) {
                                    return Err(WireError::protocol(
                                        "server under test",
                                        format!("refused the valid ping with code {code:?}"),
                                    ));
                                }
                            }
                            _ => {}
                        }
                    }
                }
                client.flush_acks(deadline)?;
                seen.push(Seen::Ping(obs));
            }
        }
    }
    Ok(seen)
}

/// Compare what the server did with each step's expected reaction.
fn judge_server(case: &WireCase, seen: &[Seen]) -> (Outcome, String) {
    let mut notes = Vec::new();
    for (i, step) in case.script.iter().enumerate() {
        let Some(s) = seen.get(i) else {
            return (
                Outcome::Fail,
                format!("step {i} was not reached ({})", notes.join("; ")),
            );
        };
        let ok = match (s, step.expect) {
            (Seen::Handshake(HandshakeEnd::Done), Reaction::Completed) => true,
            (Seen::Handshake(HandshakeEnd::PeerStopped(_)), Reaction::NotCompleted) => true,
            (Seen::Ping(p), Reaction::Accepted) => p.truth_answered,
            (Seen::Ping(p), Reaction::Ignored) => {
                p.truth_answered
                    && !p.decoy_answered
                    && p.notification.is_none()
                    && p.transport_error.is_none()
            }
            (Seen::Ping(p), Reaction::Notification { code }) => {
                !p.decoy_answered && p.notification == Some(code)
            }
            (Seen::Ping(p), Reaction::TransportError { code }) => {
                !p.decoy_answered && p.transport_error == Some(code)
            }
            (Seen::Ping(p), Reaction::Closed) => p.closed && !p.decoy_answered,
            (Seen::Ping(p), Reaction::QuickAck) => {
                p.truth_answered && p.quick_ack.is_some() && p.quick_ack == p.quick_ack_expected
            }
            _ => false,
        };
        if !ok {
            return (
                Outcome::Fail,
                format!("step {i}: expected {:?}, saw {s:?}", step.expect),
            );
        }
        notes.push(format!("step {i}: {:?}", step.expect));
    }
    (Outcome::Pass, notes.join("; "))
}
