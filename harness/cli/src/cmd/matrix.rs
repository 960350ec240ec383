//! `mtproto-harness matrix`: every vector family against every implementation, written as
//! `matrix.json`, `matrix.md` and `index.html` (implementations × families, each cell with what
//! ran — passed / ran / total — coloured by what failed, every failing tcId grouped by file and
//! flag, and the first [`LISTED`] failing cases of the cell with their vectors and repro
//! commands; the rest are counted, and `mtproto-harness run --iut ...` on the cell's file gives
//! them all).
//!
//! The built-in reference is the first row (in process) unless `--no-reference`; each
//! `--iut NAME=COMMAND` adds an adapter row. `--wire-client NAME=COMMAND` and `--wire-server
//! NAME=COMMAND` add the `wire` family's two roles as the columns `wire (client)` and
//! `wire (server)` of row NAME (the reference row gets them from the in-process reference
//! drivers). The output is deterministic for a given set of
//! implementations and vectors (no timestamps, adapter stderr cut from the details), so it can be
//! committed and regenerated.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

use mtproto_iut::{Iut, ReferenceIut};
use mtproto_vectors::{CaseResult, Outcome};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::Status;
use crate::cli::{Acceptable, MatrixArgs, Selection};
use crate::engine;
use crate::error::HarnessError;
use crate::report::{Rerun, WireInfo};
use crate::wire::{self, WirePlan};

use super::what_fails;

/// One implementation's row.
#[derive(Debug, Deserialize, Serialize)]
pub struct Row {
    /// The name given with `--iut NAME=...` (`reference` for the built-in one).
    pub name: String,
    /// The name and version the implementation gave in `hello`.
    pub implementation: String,
    /// Its version.
    pub version: String,
    /// The adapter command (empty for the in-process reference).
    pub command: String,
    /// The adapter's `--timeout-ms` (0 for the in-process reference).
    pub timeout_ms: u64,
    /// Cells by family.
    pub cells: BTreeMap<String, Cell>,
}

/// One implementation × family cell.
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct Cell {
    /// `pass` (every case ran and passed), `partial` (what ran passed, and most cases ran),
    /// `sparse` (what ran passed, but most cases did not run), `fail`, `error`, `unsupported`
    /// (nothing ran).
    pub status: String,
    /// Cases in the cell.
    pub total: usize,
    /// Cases that ran (all but the unsupported ones).
    pub ran: usize,
    /// Cases that passed.
    pub pass: usize,
    /// Cases that failed.
    pub fail: usize,
    /// Cases the implementation does not support.
    pub unsupported: usize,
    /// Cases with an error (crash, hang, garbage, library exception).
    pub error: usize,
    /// Every failing and erroring case, grouped by vector file and flag.
    #[serde(rename = "failingByFlag")]
    pub failing_by_flag: Vec<FlagGroup>,
    /// The first [`LISTED`] failing and erroring cases, in run order, with vector and repro.
    pub failing: Vec<Failing>,
    /// Failing and erroring cases beyond those listed in `failing` (counted in
    /// `failingByFlag`, not listed).
    #[serde(rename = "failingNotListed")]
    pub failing_not_listed: usize,
    /// Every failing and erroring case once, grouped into weaknesses (see [`Weakness`]); the
    /// source of `what-fails.md`.
    #[serde(default)]
    pub weaknesses: Vec<Weakness>,
}

/// One weakness of an implementation: the failing and erroring cases of one cell (family, or
/// wire role) that come from the same vector file and carry the same flags, in the order the
/// file gives them. Each failing case is in exactly one weakness (unlike [`FlagGroup`], where a
/// case with two flags counts under both): the same flags in the same file mean the same
/// property tested, so their failures are one claim about the implementation.
#[derive(Debug, Deserialize, Serialize)]
pub struct Weakness {
    /// The vector file.
    pub file: String,
    /// The flags of its cases (`[]` for cases without flags).
    pub flags: Vec<String>,
    /// Its failing cases.
    pub fail: usize,
    /// Its erroring cases (crash, hang, garbage; over the wire also a transport the driver
    /// lacks).
    pub error: usize,
    /// Their tcIds, sorted.
    #[serde(rename = "tcIds")]
    pub tc_ids: Vec<u64>,
}

impl Weakness {
    /// Whether a verdict shows it: at least one case failed. A group of `error` cases only (no
    /// case could be judged) is counted in `what-fails.md`, not listed as a weakness.
    pub fn shown_by_a_verdict(&self) -> bool {
        self.fail > 0
    }
}

/// The failing cases of a cell that carry one flag in one vector file (a case without flags
/// counts under `(no flag)`).
#[derive(Debug, Deserialize, Serialize)]
pub struct FlagGroup {
    /// The vector file.
    pub file: String,
    /// The flag.
    pub flag: String,
    /// The outcomes among these cases (`fail`, `error`), sorted.
    pub outcomes: Vec<String>,
    /// Their tcIds, sorted.
    #[serde(rename = "tcIds")]
    pub tc_ids: Vec<u64>,
}

/// Failing cases listed per cell with their vector and repro command (the matrix of 14
/// implementations listed them all: a 17 MB page). Every failing tcId stays in the cell's
/// flag table.
pub const LISTED: usize = 10;

/// A failing case of a cell.
#[derive(Debug, Deserialize, Serialize)]
pub struct Failing {
    /// The vector file.
    pub file: String,
    /// Its tcId.
    #[serde(rename = "tcId")]
    pub tc_id: u64,
    /// `fail` or `error`.
    pub outcome: String,
    /// The case's flags.
    pub flags: Vec<String>,
    /// What went wrong (adapter stderr cut off).
    pub detail: String,
    /// The vector.
    pub vector: Value,
    /// The command that reruns the case against the same implementation.
    pub repro: String,
}

/// The whole matrix.
#[derive(Debug, Deserialize, Serialize)]
pub struct Matrix {
    /// The families, in column order.
    pub families: Vec<String>,
    /// Cases per family.
    pub cases: BTreeMap<String, usize>,
    /// One row per implementation.
    pub implementations: Vec<Row>,
}

fn outcome_name(o: Outcome) -> &'static str {
    match o {
        Outcome::Pass => "pass",
        Outcome::Fail => "fail",
        Outcome::Unsupported => "unsupported",
        Outcome::Error => "error",
    }
}

/// Cut the adapter's stderr (thread ids, paths) out of a detail: it varies between runs.
fn stable_detail(detail: &str) -> String {
    let cut = detail
        .find("; stderr:")
        .map_or(detail, |i| detail.get(..i).unwrap_or(detail));
    let mut s: String = cut.chars().take(300).collect();
    if cut.chars().count() > 300 {
        s.push('…');
    }
    s
}

/// The column of a result: its family, with the `wire` family split by role into
/// `wire (client)` and `wire (server)`.
pub fn column(r: &CaseResult) -> String {
    if r.family == wire::FAMILY {
        if r.group_type.contains("Server") {
            "wire (server)".to_owned()
        } else {
            "wire (client)".to_owned()
        }
    } else {
        r.family.clone()
    }
}

/// Build a row from a run's results: `hello` is the implementation's (name, version), `command`
/// the adapter's (empty for the in-process reference and for wire drivers, whose repro commands
/// come from `wire`).
pub fn row(
    name: &str,
    hello: (&str, &str),
    command: &str,
    timeout_ms: u64,
    results: &[CaseResult],
    wire: Option<&WireInfo>,
) -> Row {
    let rerun = Rerun {
        adapter: (!command.is_empty()).then_some((command, timeout_ms)),
        wire,
        acceptable: "pass",
        strict_errors: false,
    };
    let mut cells: BTreeMap<String, Cell> = BTreeMap::new();
    for r in results {
        let cell = cells.entry(column(r)).or_default();
        cell.total += 1;
        if r.outcome != Outcome::Unsupported {
            cell.ran += 1;
        }
        match r.outcome {
            Outcome::Pass => cell.pass += 1,
            Outcome::Fail => cell.fail += 1,
            Outcome::Unsupported => cell.unsupported += 1,
            Outcome::Error => cell.error += 1,
        }
        if matches!(r.outcome, Outcome::Fail | Outcome::Error) {
            let outcome = outcome_name(r.outcome);
            let flags: Vec<&str> = if r.flags.is_empty() {
                vec!["(no flag)"]
            } else {
                r.flags.iter().map(String::as_str).collect()
            };
            for flag in flags {
                let group = match cell
                    .failing_by_flag
                    .iter()
                    .position(|g| g.file == r.file && g.flag == flag)
                {
                    Some(i) => i,
                    None => {
                        cell.failing_by_flag.push(FlagGroup {
                            file: r.file.clone(),
                            flag: flag.to_owned(),
                            outcomes: Vec::new(),
                            tc_ids: Vec::new(),
                        });
                        cell.failing_by_flag.len() - 1
                    }
                };
                if let Some(g) = cell.failing_by_flag.get_mut(group) {
                    g.tc_ids.push(r.tc_id);
                    if !g.outcomes.iter().any(|o| o == outcome) {
                        g.outcomes.push(outcome.to_owned());
                    }
                }
            }
            match cell
                .weaknesses
                .iter_mut()
                .find(|w| w.file == r.file && w.flags == r.flags)
            {
                Some(w) => {
                    w.tc_ids.push(r.tc_id);
                    count_outcome(w, r.outcome);
                }
                None => {
                    let mut w = Weakness {
                        file: r.file.clone(),
                        flags: r.flags.clone(),
                        fail: 0,
                        error: 0,
                        tc_ids: vec![r.tc_id],
                    };
                    count_outcome(&mut w, r.outcome);
                    cell.weaknesses.push(w);
                }
            }
            if cell.failing.len() >= LISTED {
                cell.failing_not_listed += 1;
                continue;
            }
            cell.failing.push(Failing {
                file: r.file.clone(),
                tc_id: r.tc_id,
                outcome: outcome_name(r.outcome).to_owned(),
                flags: r.flags.clone(),
                detail: stable_detail(&r.detail),
                vector: r.vector.clone(),
                repro: rerun.case(&r.file, r.tc_id),
            });
        }
    }
    for cell in cells.values_mut() {
        cell.status = status(cell).to_owned();
        cell.failing_by_flag
            .sort_by(|a, b| (&a.file, &a.flag).cmp(&(&b.file, &b.flag)));
        for g in &mut cell.failing_by_flag {
            g.tc_ids.sort_unstable();
            g.tc_ids.dedup();
            g.outcomes.sort();
        }
        cell.weaknesses
            .sort_by(|a, b| (&a.file, &a.flags).cmp(&(&b.file, &b.flags)));
        for w in &mut cell.weaknesses {
            w.tc_ids.sort_unstable();
        }
    }
    Row {
        name: name.to_owned(),
        implementation: hello.0.to_owned(),
        version: hello.1.to_owned(),
        command: command.to_owned(),
        timeout_ms: if command.is_empty() { 0 } else { timeout_ms },
        cells,
    }
}

fn count_outcome(w: &mut Weakness, outcome: Outcome) {
    if outcome == Outcome::Error {
        w.error += 1;
    } else {
        w.fail += 1;
    }
}

/// A cell's status: by what failed first, then by how much ran. Only a cell where most cases ran
/// (and passed) can look like a pass.
fn status(cell: &Cell) -> &'static str {
    if cell.fail > 0 {
        "fail"
    } else if cell.error > 0 {
        "error"
    } else if cell.ran == 0 {
        "unsupported"
    } else if cell.ran == cell.total {
        "pass"
    } else if cell.ran.saturating_mul(2) > cell.total {
        "partial"
    } else {
        "sparse"
    }
}

/// One adapter's part of the matrix.
struct AdapterRun {
    row: Row,
    cases: BTreeMap<String, usize>,
    summary: String,
}

fn run_adapter(
    sel: &Selection,
    name: &str,
    command: &str,
    limits: mtproto_iut::subprocess::Limits,
) -> Result<AdapterRun, HarnessError> {
    let started = std::time::Instant::now();
    let mut iut = match start_with_retries(command, limits) {
        Ok(iut) => iut,
        Err(e) => return not_started(sel, name, command, limits, &e),
    };
    let ex = engine::execute_with(sel, None, &mut iut, false, engine::WireMode::Skip)?;
    let mut cases: BTreeMap<String, usize> = BTreeMap::new();
    for r in &ex.results {
        *cases.entry(r.family.clone()).or_default() += 1;
    }
    let summary = format!(
        "matrix: {name}: {} cases in {:.1} s ({} adapter restarts)",
        ex.results.len(),
        started.elapsed().as_secs_f64(),
        iut.restarts()
    );
    Ok(AdapterRun {
        row: row(
            name,
            (&iut.hello().name, &iut.hello().version),
            command,
            u64::try_from(limits.timeout.as_millis()).unwrap_or(u64::MAX),
            &ex.results,
            None,
        ),
        cases,
        summary,
    })
}

/// Attempts at starting an adapter before its row is given up: on a loaded machine (the matrix
/// starts every adapter at once, beside the wire drivers) a Node or Python adapter has missed
/// its first `hello` bound once in a while.
const START_ATTEMPTS: usize = 3;

fn start_with_retries(
    command: &str,
    limits: mtproto_iut::subprocess::Limits,
) -> Result<mtproto_iut::subprocess::SubprocessIut, HarnessError> {
    let mut last = None;
    for _ in 0..START_ATTEMPTS {
        match engine::start_adapter(command, limits) {
            Ok(iut) => return Ok(iut),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| HarnessError::Adapter(format!("{command}: not started"))))
}

/// The row of an adapter that never started: every selected case `error`, with why (the rest of
/// the matrix goes on).
fn not_started(
    sel: &Selection,
    name: &str,
    command: &str,
    limits: mtproto_iut::subprocess::Limits,
    why: &HarnessError,
) -> Result<AdapterRun, HarnessError> {
    let mut reference = ReferenceIut::new();
    let ex = engine::execute_with(sel, None, &mut reference, false, engine::WireMode::Skip)?;
    let detail = format!("the adapter did not start ({START_ATTEMPTS} attempts): {why}");
    let results: Vec<CaseResult> = ex
        .results
        .into_iter()
        .map(|mut r| {
            r.outcome = Outcome::Error;
            r.error = None;
            r.detail.clone_from(&detail);
            r
        })
        .collect();
    let mut cases: BTreeMap<String, usize> = BTreeMap::new();
    for r in &results {
        *cases.entry(r.family.clone()).or_default() += 1;
    }
    Ok(AdapterRun {
        row: row(
            name,
            (name, ""),
            command,
            u64::try_from(limits.timeout.as_millis()).unwrap_or(u64::MAX),
            &results,
            None,
        ),
        cases,
        summary: format!("matrix: {name}: {detail}"),
    })
}

/// One wire driver (`--wire-client` / `--wire-server NAME=...`): each runs on its own thread,
/// so a library's client and server drivers run side by side.
struct WireDrivers {
    name: String,
    info: WireInfo,
}

/// The wire drivers, clients first, each in the order given.
fn wire_drivers(args: &MatrixArgs) -> Result<Vec<WireDrivers>, HarnessError> {
    let specs = args
        .wire_clients
        .iter()
        .map(|s| (s, true))
        .chain(args.wire_servers.iter().map(|s| (s, false)));
    let mut out = Vec::new();
    for (spec, client) in specs {
        let (name, command) = spec.split_once('=').ok_or_else(|| {
            let opt = if client {
                "--wire-client"
            } else {
                "--wire-server"
            };
            HarnessError::Adapter(format!("{opt} {spec:?}: expected NAME=COMMAND"))
        })?;
        let command = Some(command.to_owned());
        out.push(WireDrivers {
            name: name.to_owned(),
            info: WireInfo {
                client: if client { command.clone() } else { None },
                server: if client { None } else { command },
                timeout_ms: args.wire_timeout_ms,
            },
        });
    }
    Ok(out)
}

/// The wire cases of `sel` played against `plan` (only them; nothing reaches the unused IUT).
fn run_wire_plan(sel: &Selection, plan: &WirePlan) -> Result<Vec<CaseResult>, HarnessError> {
    let mut unused = ReferenceIut::new();
    let ex = engine::execute_with(sel, None, &mut unused, false, engine::WireMode::Only(plan))?;
    Ok(ex.results)
}

fn run_wire(sel: &Selection, d: &WireDrivers) -> Result<AdapterRun, HarnessError> {
    let started = std::time::Instant::now();
    let timeout = std::time::Duration::from_millis(d.info.timeout_ms);
    let plan = WirePlan::commands(d.info.client.as_deref(), d.info.server.as_deref(), timeout);
    let results = run_wire_plan(sel, &plan)?;
    let mut cases: BTreeMap<String, usize> = BTreeMap::new();
    for r in &results {
        *cases.entry(column(r)).or_default() += 1;
    }
    let summary = format!(
        "matrix: {} (wire: {}): {} cases in {:.1} s",
        d.name,
        d.info.describe(),
        results.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(AdapterRun {
        row: row(&d.name, (&d.name, ""), "", 0, &results, Some(&d.info)),
        cases,
        summary,
    })
}

/// Put a wire run's cells into the row of the same name, or add its row.
fn merge_row(rows: &mut Vec<Row>, wire_row: Row) {
    match rows.iter_mut().find(|r| r.name == wire_row.name) {
        Some(r) => r.cells.extend(wire_row.cells),
        None => rows.push(wire_row),
    }
}

/// A matrix read back from its `matrix.json`.
pub fn load(path: &Path) -> Result<Matrix, HarnessError> {
    let what = |e: String| HarnessError::Adapter(format!("matrix --from {}: {e}", path.display()));
    let text = std::fs::read_to_string(path).map_err(|e| what(e.to_string()))?;
    serde_json::from_str(&text).map_err(|e| what(format!("not a matrix.json: {e}")))
}

/// Rewrite `readme`'s generated sections from `m`.
fn update_readme(readme: &Path, m: &Matrix) -> Result<(), HarnessError> {
    let what =
        |e: String| HarnessError::Adapter(format!("matrix --readme {}: {e}", readme.display()));
    let text = std::fs::read_to_string(readme).map_err(|e| what(e.to_string()))?;
    let new = what_fails::update(&text, m).map_err(what)?;
    std::fs::write(readme, new).map_err(io_err(readme))
}

/// `--from FILE`: the reports (or the `--check-readme` verdict) from a written matrix.
fn from_json(args: &MatrixArgs, from: &Path) -> Result<Status, HarnessError> {
    let m = load(from)?;
    if let Some(readme) = &args.check_readme {
        let text = std::fs::read_to_string(readme).map_err(|e| {
            HarnessError::Adapter(format!("matrix --check-readme {}: {e}", readme.display()))
        })?;
        return Ok(match what_fails::check(&text, &m) {
            Ok(()) => Status::Success,
            Err(e) => {
                let _ = writeln!(std::io::stderr().lock(), "matrix: {e}");
                Status::Failures
            }
        });
    }
    write(&args.out, &m)?;
    if let Some(readme) = &args.readme {
        update_readme(readme, &m)?;
    }
    Ok(Status::Success)
}

/// Runs `matrix`.
pub fn run(args: &MatrixArgs) -> Result<Status, HarnessError> {
    if let Some(from) = &args.from {
        return from_json(args, from);
    }
    let sel = Selection {
        paths: args.paths.clone(),
        filters: args.filters.clone(),
        acceptable: Acceptable::Pass,
        strict_errors: false,
        quiet: true,
    };
    let mut iuts: Vec<(String, String)> = Vec::new();
    for spec in &args.iuts {
        let (name, command) = spec.split_once('=').ok_or_else(|| {
            HarnessError::Adapter(format!("--iut {spec:?}: expected NAME=COMMAND"))
        })?;
        iuts.push((name.to_owned(), command.to_owned()));
    }
    let drivers = wire_drivers(args)?;
    let mut rows = Vec::new();
    let mut cases: BTreeMap<String, usize> = BTreeMap::new();
    let mut progress = std::io::stderr().lock();
    if !args.no_reference {
        let mut iut = ReferenceIut::new();
        // With wire drivers, the reference drivers (in-process) give the wire columns' baseline.
        let plan = WirePlan::reference(std::time::Duration::from_millis(args.wire_timeout_ms));
        let mode = if drivers.is_empty() {
            engine::WireMode::Skip
        } else {
            engine::WireMode::Also(&plan)
        };
        let ex = engine::execute_with(&sel, None, &mut iut, true, mode)?;
        for r in &ex.results {
            *cases.entry(column(r)).or_default() += 1;
        }
        let _ = writeln!(progress, "matrix: reference: {} cases", ex.results.len());
        let hello = iut.hello();
        rows.push(row(
            "reference",
            (&hello.name, &hello.version),
            "",
            0,
            &ex.results,
            None,
        ));
    }
    // The adapters run side by side, one thread each: an adapter's time goes mostly to waiting
    // (restarts after crashes, timeouts of hangs), not to the CPU. Rows keep the `--iut` order.
    let started = std::time::Instant::now();
    // The wire drivers run beside them, one thread per driver (its cases one after the other).
    let (runs, wire_runs): (Vec<_>, Vec<_>) = std::thread::scope(|s| {
        let join = |h: std::thread::ScopedJoinHandle<'_, Result<AdapterRun, HarnessError>>| {
            h.join().unwrap_or_else(|_| {
                Err(HarnessError::Adapter("a matrix thread panicked".to_owned()))
            })
        };
        let handles: Vec<_> = iuts
            .iter()
            .map(|(name, command)| {
                let sel = &sel;
                let limits = mtproto_iut::subprocess::Limits {
                    timeout: std::time::Duration::from_millis(args.timeout_ms),
                    breaker: args.max_failures_in_a_row,
                    deadline: None,
                };
                s.spawn(move || run_adapter(sel, name, command, limits))
            })
            .collect();
        let wire_handles: Vec<_> = drivers
            .iter()
            .map(|d| {
                let sel = &sel;
                s.spawn(move || run_wire(sel, d))
            })
            .collect();
        (
            handles.into_iter().map(join).collect(),
            wire_handles.into_iter().map(join).collect(),
        )
    });
    for run in runs {
        let run: AdapterRun = run?;
        for (family, n) in run.cases {
            cases.entry(family).or_insert(n);
        }
        let _ = writeln!(progress, "{}", run.summary);
        rows.push(run.row);
    }
    for run in wire_runs {
        let run: AdapterRun = run?;
        for (family, n) in run.cases {
            cases.entry(family).or_insert(n);
        }
        let _ = writeln!(progress, "{}", run.summary);
        merge_row(&mut rows, run.row);
    }
    if !iuts.is_empty() || !drivers.is_empty() {
        let _ = writeln!(
            progress,
            "matrix: {} adapters and {} wire drivers in {:.1} s",
            iuts.len(),
            drivers.len(),
            started.elapsed().as_secs_f64()
        );
    }
    let matrix = Matrix {
        families: cases.keys().cloned().collect(),
        cases,
        implementations: rows,
    };
    write(&args.out, &matrix)?;
    if let Some(readme) = &args.readme {
        update_readme(readme, &matrix)?;
    }
    let _ = writeln!(
        std::io::stdout().lock(),
        "{}\nmatrix: {}",
        markdown_table(&matrix),
        ["matrix.json", "matrix.md", "index.html", what_fails::FILE]
            .iter()
            .map(|f| args.out.join(f).display().to_string())
            .collect::<Vec<_>>()
            .join(" ")
    );
    Ok(Status::Success)
}

fn io_err(path: &Path) -> impl Fn(std::io::Error) -> HarnessError + '_ {
    move |source| HarnessError::Write {
        path: path.to_owned(),
        source,
    }
}

/// Write `matrix.json`, `matrix.md`, `index.html` and `what-fails.md` to `out`.
pub fn write(out: &Path, matrix: &Matrix) -> Result<(), HarnessError> {
    std::fs::create_dir_all(out).map_err(io_err(out))?;
    let json = serde_json::to_string_pretty(matrix).map_err(|e| HarnessError::Write {
        path: out.join("matrix.json"),
        source: std::io::Error::other(e),
    })?;
    let p = out.join("matrix.json");
    std::fs::write(&p, format!("{json}\n")).map_err(io_err(&p))?;
    let p = out.join("matrix.md");
    std::fs::write(&p, markdown(matrix)).map_err(io_err(&p))?;
    let p = out.join("index.html");
    std::fs::write(&p, html(matrix, &json)).map_err(io_err(&p))?;
    let p = out.join(what_fails::FILE);
    std::fs::write(&p, what_fails::file(matrix)).map_err(io_err(&p))?;
    Ok(())
}

/// A cell in words: `MARK passed / ran / total`, then the failures and errors. The mark follows
/// [`status`]: a green tick only when every case ran and passed.
fn cell_text(cell: Option<&Cell>) -> String {
    match cell {
        None => "—".to_owned(),
        Some(c) => {
            let mark = match c.status.as_str() {
                "pass" => "✅ pass",
                "partial" => "☑️ partial",
                "sparse" => "⚠️ mostly not run",
                "fail" => "❌ fail",
                "error" => "💥 error",
                _ => "➖ not run",
            };
            let mut s = format!("{mark} {} / {} / {}", c.pass, c.ran, c.total);
            for (n, what) in [(c.fail, "fail"), (c.error, "error")] {
                if n > 0 {
                    let _ = write!(s, ", {n} {what}");
                }
            }
            s
        }
    }
}

/// The implementations × families table in Markdown.
pub fn markdown_table(m: &Matrix) -> String {
    let mut s = String::from("| implementation |");
    for f in &m.families {
        let _ = write!(s, " {f} ({}) |", m.cases.get(f).copied().unwrap_or(0));
    }
    s.push_str("\n|---|");
    for _ in &m.families {
        s.push_str("---|");
    }
    s.push('\n');
    for r in &m.implementations {
        let _ = write!(s, "| {} {} |", r.name, r.version);
        for f in &m.families {
            let _ = write!(s, " {} |", cell_text(r.cells.get(f)));
        }
        s.push('\n');
    }
    s
}

pub(crate) fn markdown(m: &Matrix) -> String {
    let mut s = String::from(
        "# Conformance matrix\n\nRegenerate with `adapters/matrix.sh` (sets up every adapter, then runs \
         `mtproto-harness matrix`). Cells: passed / ran / total cases (a case runs unless the \
         implementation answers `unsupported`), then failures and errors. ✅ every case ran and \
         passed; ☑️ what ran passed and most cases ran; ⚠️ what ran passed but most cases did not \
         run; ❌ failures; 💥 errors; ➖ nothing ran.\n\n",
    );
    s.push_str(&markdown_table(m));
    s.push_str("\n## Failing cases by flag\n");
    for r in &m.implementations {
        for (family, cell) in &r.cells {
            if cell.failing.is_empty() {
                continue;
            }
            let _ = write!(
                s,
                "\n<a id=\"{}\"></a>\n\n### {} — {family}\n\n",
                anchor(&r.name, family),
                r.name
            );
            s.push_str("| file | flag | outcome | tcIds |\n|---|---|---|---|\n");
            for g in &cell.failing_by_flag {
                let _ = writeln!(
                    s,
                    "| `{}` | `{}` | {} | {} |",
                    g.file,
                    g.flag,
                    g.outcomes.join(", "),
                    compress(&g.tc_ids)
                );
            }
            s.push_str("\nRepro:\n\n");
            for f in cell.failing.iter().take(REPROS) {
                let _ = writeln!(s, "- `{}`", f.repro.replace('`', "'"));
            }
            let more = cell.failing.len().saturating_sub(REPROS) + cell.failing_not_listed;
            if more > 0 {
                let _ = writeln!(
                    s,
                    "- and {more} more (the same command with the tcIds of the table above)"
                );
            }
        }
    }
    s
}

/// Repro commands listed per failing cell in `matrix.md` (all are in `matrix.json`).
const REPROS: usize = 10;

/// tcIds as ranges: `1, 3..7, 9`.
pub fn compress(ids: &[u64]) -> String {
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    let mut parts = Vec::new();
    let mut i = 0;
    while let Some(&start) = ids.get(i) {
        let mut end = start;
        while ids.get(i + 1) == Some(&(end + 1)) {
            end += 1;
            i += 1;
        }
        parts.push(if end > start {
            format!("{start}..{end}")
        } else {
            start.to_string()
        });
        i += 1;
    }
    parts.join(", ")
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn html(m: &Matrix, json: &str) -> String {
    let mut s = String::from(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>mtproto-harness conformance matrix</title>\
         <style>body{font:14px system-ui,sans-serif;margin:2em}table{border-collapse:collapse}\
         td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}\
         .pass{background:#e6f4ea}.partial{background:#f3f8e8}.sparse{background:#fff4e5}\
         .fail{background:#fce8e6}.error{background:#fef7e0}\
         .unsupported{background:#f1f3f4;color:#666}code{font-size:12px}pre{white-space:pre-wrap;font-size:12px;max-width:70em}\
         details{margin:.3em 0}</style></head><body><h1>Conformance matrix</h1>\
         <p>Rows: implementations; columns: vector families. Cells: passed / ran / total (a case runs \
         unless the implementation answers unsupported); green only when every case ran and passed, \
         orange when most did not run. Click a cell for its failing cases and their repro commands.</p><table><tr><th>implementation</th>",
    );
    for f in &m.families {
        let _ = write!(
            s,
            "<th>{} ({})</th>",
            esc(f),
            m.cases.get(f).copied().unwrap_or(0)
        );
    }
    s.push_str("</tr>");
    for r in &m.implementations {
        let _ = write!(s, "<tr><th>{} {}</th>", esc(&r.name), esc(&r.version));
        for f in &m.families {
            match r.cells.get(f) {
                Some(c) => {
                    let text = esc(&cell_text(Some(c)));
                    if c.failing.is_empty() {
                        let _ = write!(s, "<td class=\"{}\">{text}</td>", c.status);
                    } else {
                        let _ = write!(
                            s,
                            "<td class=\"{}\"><a href=\"#{}\">{text}</a></td>",
                            c.status,
                            anchor(&r.name, f)
                        );
                    }
                }
                None => s.push_str("<td>—</td>"),
            }
        }
        s.push_str("</tr>");
    }
    s.push_str("</table>");
    for r in &m.implementations {
        for (family, cell) in &r.cells {
            if cell.failing.is_empty() {
                continue;
            }
            let _ = write!(
                s,
                "<h2 id=\"{2}\">{0} — {1}</h2><table><tr><th>file</th><th>flag</th><th>tcIds</th></tr>",
                esc(&r.name),
                esc(family),
                anchor(&r.name, family)
            );
            for g in &cell.failing_by_flag {
                let _ = write!(
                    s,
                    "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                    esc(&g.file),
                    esc(&g.flag),
                    esc(&compress(&g.tc_ids))
                );
            }
            s.push_str("</table>");
            for f in &cell.failing {
                let vector = serde_json::to_string_pretty(&f.vector).unwrap_or_default();
                let _ = write!(
                    s,
                    "<details><summary>{} tcId {}: {} — {}</summary><p>repro: <code>{}</code></p><pre>{}</pre></details>",
                    esc(&f.file),
                    f.tc_id,
                    esc(&f.outcome),
                    esc(&f.detail),
                    esc(&f.repro),
                    esc(&vector)
                );
            }
            if cell.failing_not_listed > 0 {
                let _ = write!(
                    s,
                    "<p>and {} more failing cases (their tcIds are in the table above; rerun \
                     one with the repro command and its tcId)</p>",
                    cell.failing_not_listed
                );
            }
        }
    }
    let _ = writeln!(
        s,
        "<script type=\"application/json\" id=\"data\">{}</script></body></html>",
        json.replace("</", "<\\/")
    );
    s
}

/// The HTML id of a row's cell: ids hold no spaces (`wire (client)`), so every character but
/// ASCII letters, digits, `-` and `_` becomes `-`.
pub fn anchor(name: &str, family: &str) -> String {
    format!("{name}-{family}")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::test_support::case;

    /// Defect 11 (issue 21): "✅ partial 1 / 203 unsup" was a green tick on a cell where 203 of
    /// 204 cases never ran, and failing cells had no repro commands.
    #[test]
    fn cells_show_what_ran_and_are_never_green_when_most_did_not_run() {
        let iut = ("reference", "0.1.0");
        let file = "vectors/kdf/msg_key_test.json";
        let mut results = vec![case(file, 1, Outcome::Pass)];
        results.extend((2..=204).map(|n| case(file, n, Outcome::Unsupported)));
        let r = row("x", iut, "python3 'a b.py'", 700, &results, None);
        let cell = &r.cells["kdf"];
        assert_eq!((cell.pass, cell.ran, cell.total), (1, 1, 204));
        assert_eq!(cell.status, "sparse");
        let text = cell_text(Some(cell));
        assert!(
            text.contains("1 / 1 / 204") && !text.contains('✅'),
            "{text}"
        );

        let mut results: Vec<_> = (1..=10).map(|n| case(file, n, Outcome::Pass)).collect();
        results.push(case(file, 11, Outcome::Unsupported));
        let r = row("x", iut, "python3 'a b.py'", 700, &results, None);
        assert_eq!(r.cells["kdf"].status, "partial");
        assert!(!cell_text(r.cells.get("kdf")).contains('✅'));

        results.push(case(file, 12, Outcome::Fail));
        let r = row("x", iut, "python3 'a b.py'", 700, &results, None);
        let cell = &r.cells["kdf"];
        assert_eq!(cell.status, "fail");
        assert_eq!(
            cell.failing[0].repro,
            "mtproto-harness run vectors/kdf/msg_key_test.json --iut 'python3 '\\''a b.py'\\''' \
             --timeout-ms 700 --filter tcId=12"
        );
        let m = Matrix {
            families: vec!["kdf".into()],
            cases: [("kdf".to_owned(), 12)].into(),
            implementations: vec![r],
        };
        let md = markdown(&m);
        assert!(
            md.contains(&format!(
                "- `{}`",
                m.implementations[0].cells["kdf"].failing[0].repro
            )),
            "{md}"
        );
        let page = html(&m, "{}");
        assert!(page.contains("repro: <code>mtproto-harness run"), "{page}");
        // The reference row reruns the built-in reference: no --iut.
        let r = row("reference", iut, "", 0, &results, None);
        assert!(!r.cells["kdf"].failing[0].repro.contains("--iut"));
    }
    /// The 14-row matrix listed every failing case with its vector (index.html 17 MB,
    /// matrix.json 9 MB): a cell lists the first LISTED, counts the rest, and its flag table still
    /// names every failing tcId.
    #[test]
    fn a_cell_lists_the_first_failures_and_its_flag_table_keeps_them_all() {
        let file = "vectors/ige/aes256_ige_test.json";
        let mut results: Vec<_> = (1..=25).map(|n| case(file, n, Outcome::Fail)).collect();
        results.push(case(file, 26, Outcome::Error));
        results.push(case(file, 27, Outcome::Pass));
        let r = row("x", ("x", ""), "node a.js", 700, &results, None);
        let cell = &r.cells["ige"];
        assert_eq!((cell.fail, cell.error), (25, 1));
        assert_eq!(cell.failing.len(), LISTED);
        assert_eq!(cell.failing_not_listed, 26 - LISTED);
        let even: Vec<u64> = (1..=13).map(|n| n * 2).collect();
        let odd: Vec<u64> = (0..13).map(|n| n * 2 + 1).collect();
        let groups: Vec<(&str, &[u64], &[String])> = cell
            .failing_by_flag
            .iter()
            .map(|g| (g.flag.as_str(), g.tc_ids.as_slice(), g.outcomes.as_slice()))
            .collect();
        assert_eq!(
            groups,
            vec![
                ("(no flag)", odd.as_slice(), &["fail".to_owned()][..]),
                (
                    "NotBlockAligned",
                    even.as_slice(),
                    &["error".to_owned(), "fail".to_owned()][..]
                ),
            ]
        );
        let m = Matrix {
            families: vec!["ige".into()],
            cases: [("ige".to_owned(), 27)].into(),
            implementations: vec![r],
        };
        let md = markdown(&m);
        assert!(md.contains("| error, fail | 2, 4, 6"), "{md}");
        assert!(md.contains("and 16 more"), "{md}");
        let page = html(&m, "{}");
        assert!(page.contains("and 16 more failing cases"), "{page}");
        assert_eq!(page.matches("<details>").count(), LISTED);
        assert!(
            page.contains("<td>NotBlockAligned</td><td>2, 4, 6"),
            "{page}"
        );
    }

    /// Issue 20, "must hold": an adapter that does not start (a loaded machine once missed the
    /// first hello of GramJS's) made the whole matrix exit 2 after 15 minutes; now its row is
    /// every case `error`, saying why, and the other rows stand.
    #[test]
    fn an_adapter_that_never_starts_is_a_row_of_errors() {
        let vectors = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../vectors/kdf");
        let sel = Selection {
            paths: vec![vectors],
            filters: vec!["tcId=1..3".into()],
            acceptable: Acceptable::Pass,
            strict_errors: false,
            quiet: true,
        };
        let limits = mtproto_iut::subprocess::Limits {
            timeout: std::time::Duration::from_millis(500),
            breaker: 5,
            deadline: None,
        };
        let run = run_adapter(&sel, "gone", "/nonexistent/adapter --x", limits);
        let Ok(run) = run else {
            panic!("the matrix gave up: {:?}", run.err());
        };
        let cell = &run.row.cells["kdf"];
        assert!(cell.total > 0 && cell.error == cell.total, "{cell:?}");
        assert_eq!(cell.status, "error");
        assert!(
            cell.failing[0]
                .detail
                .contains("did not start (3 attempts)"),
            "{}",
            cell.failing[0].detail
        );
    }

    /// Issue 20, "the wire matrix": a driver's client-role and server-role cases are two
    /// columns of the row of the same name, with `run --client/--server` repros and anchors
    /// that hold no spaces.
    #[test]
    fn wire_results_are_two_columns_merged_into_the_named_row() {
        let file = "vectors/wire/wire_client_test.json";
        let mut client = case(file, 7, Outcome::Fail);
        client.family = "wire".into();
        client.group_type = "WireClientTest".into();
        let mut server = case("vectors/wire/wire_server_test.json", 1003, Outcome::Error);
        server.family = "wire".into();
        server.group_type = "WireServerTest".into();
        let info = WireInfo {
            client: Some("python3 c.py".into()),
            server: Some("python3 s.py --server".into()),
            timeout_ms: 8000,
        };
        let wire_row = row("lib", ("lib", ""), "", 0, &[client, server], Some(&info));
        assert_eq!(
            wire_row.cells.keys().collect::<Vec<_>>(),
            ["wire (client)", "wire (server)"]
        );
        let repro = &wire_row.cells["wire (client)"].failing[0].repro;
        assert!(
            repro.contains("--client 'python3 c.py'") && repro.contains("--timeout-ms 8000"),
            "{repro}"
        );
        let kdf = row(
            "lib",
            ("lib", "1.0"),
            "python3 a.py",
            700,
            &[case("vectors/kdf/msg_key_test.json", 1, Outcome::Pass)],
            None,
        );
        let mut rows = vec![kdf];
        merge_row(&mut rows, wire_row);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].cells.len(), 3);
        assert_eq!(rows[0].version, "1.0");
        let m = Matrix {
            families: vec!["kdf".into(), "wire (client)".into(), "wire (server)".into()],
            cases: [("kdf".to_owned(), 1)].into(),
            implementations: rows,
        };
        let page = html(&m, "{}");
        assert!(page.contains("href=\"#lib-wire--client-\""), "{page}");
        assert!(page.contains("id=\"lib-wire--server-\""), "{page}");
    }
}
