//! Running the `wire` family: each case is played over loopback TCP by `mtproto-wire` against a
//! driver (a `--client` / `--server` command, or the reference drivers in-process for a plain
//! `run`), and its verdict becomes a [`CaseResult`] like any other family's, with the driver's
//! lines, exit status and (for a case that did not pass) the transcript of every frame.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use mtproto_vectors::core::judge::merged;
use mtproto_vectors::families::wire::WireGroup;
use mtproto_vectors::{CaseResult, Outcome, TestGroup, VectorFile, Verdict};
use mtproto_wire::case::Role;
use mtproto_wire::runner::{self, Driver, Verdict as WireVerdict};
use mtproto_wire::transcript::{Dir, FrameRecord};
use serde_json::{Value, json};

use crate::cli::Acceptable;
use crate::engine::api::CaseMeta;

/// The family name of the wire cases.
pub const FAMILY: &str = "wire";

/// What the wire cases of a run are played against, and how.
#[derive(Clone)]
pub struct WirePlan {
    /// The client driver (client-role cases); `None`: those cases are not run.
    pub client: Option<Driver>,
    /// The server driver (server-role cases); `None`: those cases are not run.
    pub server: Option<Driver>,
    /// The bounds of each case.
    pub opts: runner::RunOptions,
    /// Past this instant, every case is an `error` without running (`--deadline`).
    pub deadline: Option<Instant>,
    /// `--acceptable`.
    pub acceptable: Acceptable,
}

impl WirePlan {
    /// The reference drivers, in-process (a plain `run`).
    pub fn reference(timeout: Duration) -> Self {
        Self {
            client: Some(Driver::reference_client()),
            server: Some(Driver::reference_server()),
            opts: options(timeout),
            deadline: None,
            acceptable: Acceptable::Pass,
        }
    }

    /// Driver commands (`run --client` / `--server`).
    pub fn commands(client: Option<&str>, server: Option<&str>, timeout: Duration) -> Self {
        Self {
            client: client.map(|c| Driver::Command(c.to_owned())),
            server: server.map(|c| Driver::Command(c.to_owned())),
            opts: options(timeout),
            deadline: None,
            acceptable: Acceptable::Pass,
        }
    }

    fn driver(&self, role: Role) -> Option<&Driver> {
        match role {
            Role::ClientUnderTest => self.client.as_ref(),
            Role::ServerUnderTest => self.server.as_ref(),
        }
    }
}

/// The runner's bounds with the case bound `timeout`: the quiet time after a tampered handshake
/// message stays 1 s, or a fifth of a shorter case.
fn options(timeout: Duration) -> runner::RunOptions {
    let d = runner::RunOptions::default();
    runner::RunOptions {
        timeout,
        quiet: d.quiet.min(timeout / 5),
        ..d
    }
}

/// Whether a loaded file is a wire file.
pub fn is_wire(file: &VectorFile) -> bool {
    file.family == FAMILY
}

/// Run the wire cases of `file` that `select` accepts and whose role `plan` has a driver for,
/// calling `on_case` after each; results in file order.
pub fn run_file(
    file: &VectorFile,
    plan: &WirePlan,
    select: &dyn Fn(&CaseMeta<'_>) -> bool,
    on_case: &mut dyn FnMut(&CaseResult),
) -> Vec<CaseResult> {
    let mut out = Vec::new();
    for group in &file.test_groups {
        let TestGroup::Wire(g) = group else {
            continue;
        };
        let Some(driver) = plan.driver(g.role()) else {
            continue;
        };
        for (index, header) in group.headers().iter().enumerate() {
            let bug_types = file.bug_types(header.flags);
            let meta = CaseMeta {
                file: &file.path,
                family: &file.family,
                tc_id: header.tc_id,
                group_type: group.type_name(),
                flags: header.flags,
                bug_types: &bug_types,
            };
            if !select(&meta) {
                continue;
            }
            let Some(result) = run_case(file, g, index, driver, plan, bug_types.clone()) else {
                continue;
            };
            on_case(&result);
            out.push(result);
        }
    }
    out
}

fn run_case(
    file: &VectorFile,
    g: &WireGroup,
    index: usize,
    driver: &Driver,
    plan: &WirePlan,
    bug_types: Vec<String>,
) -> Option<CaseResult> {
    let v = g.tests.get(index)?;
    let role = g.role();
    let case = v.to_case(role);
    let verdict = if plan.deadline.is_some_and(|d| Instant::now() >= d) {
        WireVerdict {
            tc_id: case.tc_id,
            outcome: runner::Outcome::Error,
            detail: "the run's --deadline passed; the remaining cases were not run".to_owned(),
            events: Vec::new(),
            transcript: Vec::new(),
            exit_code: None,
            stderr_tail: String::new(),
            driver: driver.describe(),
            elapsed_ms: 0,
        }
    } else {
        match role {
            Role::ClientUnderTest => runner::run_client_case(&case, driver, &plan.opts),
            Role::ServerUnderTest => runner::run_server_case(&case, driver, &plan.opts),
        }
    };
    let (outcome, detail) = judge(v.result, &verdict, plan.acceptable);
    let mut run = json!({
        "driver": verdict.driver,
        "exitCode": verdict.exit_code,
        "elapsedMs": verdict.elapsed_ms,
        "events": verdict.events,
    });
    if outcome != Outcome::Pass
        && let Value::Object(m) = &mut run
    {
        m.insert(
            "stderrTail".into(),
            Value::String(verdict.stderr_tail.clone()),
        );
        m.insert(
            "transcript".into(),
            serde_json::to_value(&verdict.transcript).unwrap_or(Value::Null),
        );
    }
    let detail = if outcome == Outcome::Pass {
        detail
    } else {
        format!("{detail}\n{}", render_evidence(&verdict))
    };
    Some(CaseResult {
        file: file.path.clone(),
        family: file.family.clone(),
        algorithm: file.algorithm.clone(),
        tc_id: v.tc_id,
        group_type: g.group_type.clone(),
        comment: v.comment.clone(),
        flags: v.flags.clone(),
        bug_types,
        expected: v.result,
        expected_error: v.error.clone(),
        outcome,
        error: None,
        detail,
        vector: merged(v, &g.group_type, &g.source, &[("wire", run)]),
    })
}

/// The outcome of a wire verdict under `--acceptable`: the runner passes an `acceptable` case
/// with either reaction and says which (`acceptable (the spec leaves this open): ...`); under
/// `--acceptable fail` only the expected reaction passes.
fn judge(expected: Verdict, v: &WireVerdict, policy: Acceptable) -> (Outcome, String) {
    match v.outcome {
        runner::Outcome::Pass
            if expected == Verdict::Acceptable
                && policy == Acceptable::Fail
                && v.detail.starts_with("acceptable") =>
        {
            (
                Outcome::Fail,
                format!(
                    "policy: acceptable cases must draw the expected reaction; {}",
                    v.detail
                ),
            )
        }
        runner::Outcome::Pass => (Outcome::Pass, v.detail.clone()),
        runner::Outcome::Fail => (Outcome::Fail, v.detail.clone()),
        runner::Outcome::Error => (Outcome::Error, v.detail.clone()),
    }
}

/// Hex shown per frame in a detail (the whole frame is in results.json).
const HEX_SHOWN: usize = 256;
/// Frames shown in a detail.
const FRAMES_SHOWN: usize = 60;

/// The evidence of a case that did not pass, as text: the driver, its exit status, its lines,
/// its stderr's tail and every frame both ways (hex, and the decoded TL or the harness's note).
pub fn render_evidence(v: &WireVerdict) -> String {
    let mut s = String::new();
    let exit = v.exit_code.map_or_else(
        || "none (killed or still running)".to_owned(),
        |c| c.to_string(),
    );
    let _ = writeln!(
        s,
        "driver: {} (exit status {exit}, {} ms)",
        v.driver, v.elapsed_ms
    );
    if v.events.is_empty() {
        let _ = writeln!(s, "driver lines: none");
    } else {
        let _ = writeln!(s, "driver lines:");
        for e in &v.events {
            let _ = writeln!(s, "  {e}");
        }
    }
    let tail = v.stderr_tail.trim();
    if !tail.is_empty() {
        let _ = writeln!(s, "driver stderr (tail):");
        for l in tail
            .lines()
            .rev()
            .take(20)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
        {
            let _ = writeln!(s, "  {l}");
        }
    }
    let _ = writeln!(s, "transcript ({} frames):", v.transcript.len());
    for f in v.transcript.iter().take(FRAMES_SHOWN) {
        let _ = writeln!(s, "  {}", frame_line(f));
    }
    if v.transcript.len() > FRAMES_SHOWN {
        let _ = writeln!(
            s,
            "  ... {} more frames (results.json has all of them)",
            v.transcript.len() - FRAMES_SHOWN
        );
    }
    s.trim_end().to_owned()
}

fn frame_line(f: &FrameRecord) -> String {
    let arrow = match f.dir {
        Dir::Sent => "harness -> peer",
        Dir::Received => "peer -> harness",
    };
    let bytes = f.hex.len() / 2;
    let hex = if f.hex.len() > HEX_SHOWN * 2 {
        format!("{}...", f.hex.get(..HEX_SHOWN * 2).unwrap_or(""))
    } else {
        f.hex.clone()
    };
    let note = f
        .note
        .as_deref()
        .map(|n| format!(" [{n}]"))
        .unwrap_or_default();
    format!("+{} ms {arrow} {} {bytes} B{note}: {hex}", f.at_ms, f.kind)
}
