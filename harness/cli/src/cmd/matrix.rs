//! `mtproto-harness matrix`: every vector family against every implementation, written as
//! `matrix.json`, `matrix.md` and `index.html` (implementations × families, each cell with its
//! pass / fail / unsupported / error counts and the failing tcIds with their flags and vectors).
//!
//! The built-in reference is the first row (in process) unless `--no-reference`; each
//! `--iut NAME=COMMAND` adds an adapter row. The output is deterministic for a given set of
//! implementations and vectors (no timestamps, adapter stderr cut from the details), so it can be
//! committed and regenerated.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

use mtproto_iut::{Iut, ReferenceIut};
use mtproto_vectors::{CaseResult, Outcome};
use serde::Serialize;
use serde_json::Value;

use crate::Status;
use crate::cli::{Acceptable, MatrixArgs, Selection};
use crate::engine;
use crate::error::HarnessError;

/// One implementation's row.
#[derive(Debug, Serialize)]
pub struct Row {
    /// The name given with `--iut NAME=...` (`reference` for the built-in one).
    pub name: String,
    /// The name and version the implementation gave in `hello`.
    pub implementation: String,
    /// Its version.
    pub version: String,
    /// The adapter command (empty for the in-process reference).
    pub command: String,
    /// Cells by family.
    pub cells: BTreeMap<String, Cell>,
}

/// One implementation × family cell.
#[derive(Debug, Default, Serialize)]
pub struct Cell {
    /// `pass` (every case), `partial` (the supported cases pass), `fail`, `error`, `unsupported`.
    pub status: String,
    /// Cases that passed.
    pub pass: usize,
    /// Cases that failed.
    pub fail: usize,
    /// Cases the implementation does not support.
    pub unsupported: usize,
    /// Cases with an error (crash, hang, garbage, library exception).
    pub error: usize,
    /// The failing and erroring cases.
    pub failing: Vec<Failing>,
}

/// A failing case of a cell.
#[derive(Debug, Serialize)]
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
}

/// The whole matrix.
#[derive(Debug, Serialize)]
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

/// Build a row from a run's results.
pub fn row(name: &str, iut: &dyn Iut, command: &str, results: &[CaseResult]) -> Row {
    let mut cells: BTreeMap<String, Cell> = BTreeMap::new();
    for r in results {
        let cell = cells.entry(r.family.clone()).or_default();
        match r.outcome {
            Outcome::Pass => cell.pass += 1,
            Outcome::Fail => cell.fail += 1,
            Outcome::Unsupported => cell.unsupported += 1,
            Outcome::Error => cell.error += 1,
        }
        if matches!(r.outcome, Outcome::Fail | Outcome::Error) {
            cell.failing.push(Failing {
                file: r.file.clone(),
                tc_id: r.tc_id,
                outcome: outcome_name(r.outcome).to_owned(),
                flags: r.flags.clone(),
                detail: stable_detail(&r.detail),
                vector: r.vector.clone(),
            });
        }
    }
    for cell in cells.values_mut() {
        cell.status = if cell.fail > 0 {
            "fail"
        } else if cell.error > 0 {
            "error"
        } else if cell.pass == 0 {
            "unsupported"
        } else if cell.unsupported > 0 {
            "partial"
        } else {
            "pass"
        }
        .to_owned();
    }
    Row {
        name: name.to_owned(),
        implementation: iut.hello().name.clone(),
        version: iut.hello().version.clone(),
        command: command.to_owned(),
        cells,
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
    let mut iut = engine::start_adapter(command, limits)?;
    let ex = engine::execute_with(sel, None, &mut iut, false)?;
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
        row: row(name, &iut, command, &ex.results),
        cases,
        summary,
    })
}

/// Runs `matrix`.
pub fn run(args: &MatrixArgs) -> Result<Status, HarnessError> {
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
    let mut rows = Vec::new();
    let mut cases: BTreeMap<String, usize> = BTreeMap::new();
    let mut progress = std::io::stderr().lock();
    if !args.no_reference {
        let mut iut = ReferenceIut::new();
        let ex = engine::execute_with(&sel, None, &mut iut, true)?;
        for r in &ex.results {
            *cases.entry(r.family.clone()).or_default() += 1;
        }
        let _ = writeln!(progress, "matrix: reference: {} cases", ex.results.len());
        rows.push(row("reference", &iut, "", &ex.results));
    }
    // The adapters run side by side, one thread each: an adapter's time goes mostly to waiting
    // (restarts after crashes, timeouts of hangs), not to the CPU. Rows keep the `--iut` order.
    let started = std::time::Instant::now();
    let runs: Vec<Result<AdapterRun, HarnessError>> = std::thread::scope(|s| {
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
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(HarnessError::Adapter("a matrix thread panicked".to_owned()))
                })
            })
            .collect()
    });
    for run in runs {
        let run = run?;
        if cases.is_empty() {
            cases = run.cases;
        }
        let _ = writeln!(progress, "{}", run.summary);
        rows.push(run.row);
    }
    if !iuts.is_empty() {
        let _ = writeln!(
            progress,
            "matrix: {} adapters in {:.1} s",
            iuts.len(),
            started.elapsed().as_secs_f64()
        );
    }
    let matrix = Matrix {
        families: cases.keys().cloned().collect(),
        cases,
        implementations: rows,
    };
    write(&args.out, &matrix)?;
    let _ = writeln!(
        std::io::stdout().lock(),
        "{}\nmatrix: {}",
        markdown_table(&matrix),
        ["matrix.json", "matrix.md", "index.html"]
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

/// Write `matrix.json`, `matrix.md` and `index.html` to `out`.
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
    Ok(())
}

fn cell_text(cell: Option<&Cell>) -> String {
    match cell {
        None => "—".to_owned(),
        Some(c) => {
            let mark = match c.status.as_str() {
                "pass" => "✅ pass",
                "partial" => "✅ partial",
                "fail" => "❌ fail",
                "error" => "💥 error",
                _ => "➖ unsupported",
            };
            let mut s = format!("{mark} {}", c.pass);
            for (n, what) in [
                (c.fail, "fail"),
                (c.error, "error"),
                (c.unsupported, "unsup"),
            ] {
                if n > 0 {
                    let _ = write!(s, " / {n} {what}");
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

/// Failing cases grouped by flag: `flag -> tcIds` (a case without flags counts under `(none)`).
fn by_flag(cell: &Cell) -> BTreeMap<(String, String), Vec<u64>> {
    let mut m: BTreeMap<(String, String), Vec<u64>> = BTreeMap::new();
    for f in &cell.failing {
        let file = f.file.clone();
        if f.flags.is_empty() {
            m.entry((file.clone(), "(no flag)".to_owned()))
                .or_default()
                .push(f.tc_id);
        }
        for flag in &f.flags {
            m.entry((file.clone(), flag.clone()))
                .or_default()
                .push(f.tc_id);
        }
    }
    m
}

fn markdown(m: &Matrix) -> String {
    let mut s = String::from(
        "# Conformance matrix\n\nRegenerate with `adapters/matrix.sh` (sets up every adapter, then runs \
         `mtproto-harness matrix`). Cells: passed cases, then failures, errors and unsupported \
         cases; `partial` means every supported case passes.\n\n",
    );
    s.push_str(&markdown_table(m));
    s.push_str("\n## Failing cases by flag\n");
    for r in &m.implementations {
        for (family, cell) in &r.cells {
            if cell.failing.is_empty() {
                continue;
            }
            let _ = write!(s, "\n### {} — {family}\n\n", r.name);
            s.push_str("| file | flag | outcome | tcIds |\n|---|---|---|---|\n");
            for ((file, flag), ids) in by_flag(cell) {
                let outcomes: std::collections::BTreeSet<&str> = cell
                    .failing
                    .iter()
                    .filter(|f| f.file == file && ids.contains(&f.tc_id))
                    .map(|f| f.outcome.as_str())
                    .collect();
                let _ = writeln!(
                    s,
                    "| `{file}` | `{flag}` | {} | {} |",
                    outcomes.into_iter().collect::<Vec<_>>().join(", "),
                    compress(&ids)
                );
            }
            if let Some(first) = cell.failing.first() {
                let _ = writeln!(
                    s,
                    "\nFirst: tcId {} — {}. Repro: `mtproto-harness run {} --filter tcId={} --iut '{}'`",
                    first.tc_id,
                    first.detail.replace('|', "\\|"),
                    first.file,
                    first.tc_id,
                    if r.command.is_empty() {
                        "mtproto-harness adapter"
                    } else {
                        &r.command
                    }
                );
            }
        }
    }
    s
}

/// `1, 3..7, 9`.
fn compress(ids: &[u64]) -> String {
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
         .pass,.partial{background:#e6f4ea}.fail{background:#fce8e6}.error{background:#fef7e0}\
         .unsupported{background:#f1f3f4;color:#666}pre{white-space:pre-wrap;font-size:12px;max-width:70em}\
         details{margin:.3em 0}</style></head><body><h1>Conformance matrix</h1>\
         <p>Rows: implementations; columns: vector families. Click a cell for its failing cases.</p><table><tr><th>implementation</th>",
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
                            "<td class=\"{}\"><a href=\"#{}-{}\">{text}</a></td>",
                            c.status,
                            esc(&r.name),
                            esc(f)
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
                "<h2 id=\"{0}-{1}\">{0} — {1}</h2><table><tr><th>file</th><th>flag</th><th>tcIds</th></tr>",
                esc(&r.name),
                esc(family)
            );
            for ((file, flag), ids) in by_flag(cell) {
                let _ = write!(
                    s,
                    "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                    esc(&file),
                    esc(&flag),
                    esc(&compress(&ids))
                );
            }
            s.push_str("</table>");
            for f in &cell.failing {
                let vector = serde_json::to_string_pretty(&f.vector).unwrap_or_default();
                let _ = write!(
                    s,
                    "<details><summary>{} tcId {}: {} — {}</summary><pre>{}</pre></details>",
                    esc(&f.file),
                    f.tc_id,
                    esc(&f.outcome),
                    esc(&f.detail),
                    esc(&vector)
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
