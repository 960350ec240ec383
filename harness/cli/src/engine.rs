//! Loads the vector files, runs the selected cases against the IUT and collects the records:
//! the part of `run` and `baseline` that the reports and the gate are built from.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use mtproto_iut::subprocess::Limits;
use mtproto_iut::{Answer, Fields, Hello, Iut, ReferenceIut, SubprocessIut};
use mtproto_vectors::{CaseResult, Outcome};

use crate::baseline::{Universe, normalize_file};
use crate::cli::{Acceptable, IutArgs, Selection, paths_or_default};
use crate::error::HarnessError;
use crate::filter::{CaseKey, Filter};
use crate::progress::{self, Progress};
use crate::report::{AdapterInfo, FlagNote, Options, RunMeta, Tool, WireInfo};
use crate::wire::{self, WirePlan};

pub mod api {
    //! The vectors crate's loader, linter, runner and generator, behind one seam.
    pub use mtproto_vectors::{
        AcceptablePolicy, CaseMeta, RunOptions, VectorFile, generate, lint_paths, load_paths,
        run_file,
    };
}

/// A finished run.
#[derive(Debug)]
pub struct Execution {
    /// Its metadata.
    pub meta: RunMeta,
    /// One record per selected case, in run order.
    pub results: Vec<CaseResult>,
    /// Every case of the loaded files, selected or not.
    pub universe: Universe,
}

/// Loads, selects and runs against the implementation `iut` names (the built-in reference, or
/// an adapter started, bounded and stopped here), drawing a progress bar when wanted. The
/// adapter's command, hello, limits and restarts go into the run's metadata; an adapter given up
/// (breaker or deadline) is reported once on stderr.
pub fn execute(
    sel: &Selection,
    iut: &IutArgs,
    baseline: Option<String>,
    allow_unsupported: bool,
) -> Result<Execution, HarnessError> {
    let deadline = iut
        .deadline
        .map(|s| Instant::now() + Duration::from_secs(s));
    let mut ex = match &iut.iut {
        Some(command) => {
            let mut adapter = start_adapter(command, limits(iut, deadline))?;
            let mut ex = execute_with(sel, baseline, &mut adapter, false, WireMode::Skip)?;
            adapter.shutdown();
            if let Some(why) = adapter.gave_up() {
                let _ = writeln!(std::io::stderr().lock(), "mtproto-harness: {why}");
            }
            ex.meta.adapter = Some(adapter_info(&adapter));
            ex
        }
        None if iut.client.is_some() || iut.server.is_some() => {
            let timeout = Duration::from_millis(iut.timeout_ms);
            let mut plan =
                WirePlan::commands(iut.client.as_deref(), iut.server.as_deref(), timeout);
            plan.deadline = deadline;
            plan.acceptable = sel.acceptable;
            // No request reaches it: only the wire cases run.
            let mut unused = ReferenceIut::new();
            let mut ex = execute_with(sel, baseline, &mut unused, false, WireMode::Only(&plan))?;
            let info = WireInfo {
                client: iut.client.clone(),
                server: iut.server.clone(),
                timeout_ms: iut.timeout_ms,
            };
            ex.meta.iut = Tool {
                name: info.describe(),
                version: String::new(),
            };
            ex.meta.wire = Some(info);
            ex
        }
        None => {
            let mut reference = Deadlined {
                inner: ReferenceIut::new(),
                deadline,
            };
            let mut plan = WirePlan::reference(Duration::from_millis(iut.timeout_ms));
            plan.deadline = deadline;
            plan.acceptable = sel.acceptable;
            execute_with(sel, baseline, &mut reference, true, WireMode::Also(&plan))?
        }
    };
    ex.meta.options.allow_unsupported = allow_unsupported;
    ex.meta.options.deadline = iut.deadline;
    Ok(ex)
}

/// The limits `--timeout-ms`, `--max-failures-in-a-row` and `--deadline` set.
pub fn limits(iut: &IutArgs, deadline: Option<Instant>) -> Limits {
    Limits {
        timeout: Duration::from_millis(iut.timeout_ms),
        breaker: iut.max_failures_in_a_row,
        deadline,
    }
}

/// What the reports record about an adapter after its run.
pub fn adapter_info(adapter: &SubprocessIut) -> AdapterInfo {
    let hello: &Hello = adapter.hello();
    let limits = adapter.limits();
    AdapterInfo {
        command: adapter.command().to_owned(),
        hello: crate::report::HelloInfo {
            name: hello.name.clone(),
            version: hello.version.clone(),
            ops: hello.ops.clone(),
        },
        timeout_ms: u64::try_from(limits.timeout.as_millis()).unwrap_or(u64::MAX),
        max_failures_in_a_row: limits.breaker,
        restarts: adapter.restarts(),
        gave_up: adapter.gave_up().map(str::to_owned),
    }
}

/// The built-in reference under `--deadline`: past it, every request is an `error`.
struct Deadlined {
    inner: ReferenceIut,
    deadline: Option<Instant>,
}

impl Iut for Deadlined {
    fn hello(&self) -> &Hello {
        self.inner.hello()
    }

    fn call(&mut self, op: &str, request: &Fields) -> Answer {
        if self.deadline.is_some_and(|d| Instant::now() >= d) {
            return Answer::Error(format!(
                "{op}: the run's --deadline passed; the remaining cases were not run"
            ));
        }
        self.inner.call(op, request)
    }
}

/// What a run does with the `wire` family's files (their cases are played over a socket, never
/// sent to an adapter).
#[derive(Clone, Copy)]
pub enum WireMode<'a> {
    /// Leave them out (an adapter run, the matrix): they are neither run nor counted.
    Skip,
    /// Run them with this plan, and every other family against the IUT (a plain `run`).
    Also(&'a WirePlan),
    /// Run only them, with this plan (`--client` / `--server`).
    Only(&'a WirePlan),
}

/// Loads, selects and runs against `iut` (`reference`: it is the built-in reference and is
/// judged strictly), drawing a progress bar when wanted. The `wire` files go as `wire` says.
pub fn execute_with(
    sel: &Selection,
    baseline: Option<String>,
    iut: &mut dyn Iut,
    reference: bool,
    wire: WireMode<'_>,
) -> Result<Execution, HarnessError> {
    let filter = Filter::parse(&sel.filters)?;
    let paths = paths_or_default(&sel.paths);
    let mut files = load(&paths)?;
    files.retain(|f| match wire {
        WireMode::Skip => !wire::is_wire(f),
        WireMode::Also(_) => true,
        WireMode::Only(_) => wire::is_wire(f),
    });
    let hello = iut.hello().clone();
    let opts = api::RunOptions {
        strict_errors: sel.strict_errors,
        acceptable: match sel.acceptable {
            Acceptable::Pass => api::AcceptablePolicy::Pass,
            Acceptable::Fail => api::AcceptablePolicy::Fail,
        },
        iut_is_reference: reference,
    };
    let universe = RefCell::new(Universe::default());
    let select = |m: &api::CaseMeta<'_>| -> bool {
        // `run_file` calls `select` and `on_case` one after the other, never nested.
        if let Ok(mut u) = universe.try_borrow_mut() {
            let file = normalize_file(m.file);
            u.cases.insert((file.clone(), m.tc_id));
            u.files.insert(file);
        }
        filter.matches(&CaseKey {
            file: m.file,
            family: m.family,
            tc_id: m.tc_id,
            group_type: m.group_type,
            flags: m.flags,
            bug_types: m.bug_types,
        })
    };
    let total_cases = files.iter().map(|f| f.number_of_tests).sum();
    let mut bar = Progress::new(progress::wanted(sel.quiet), files.len(), total_cases);
    let seen = || universe.try_borrow().map_or(0, |u| u.cases.len() as u64);
    let mut results = Vec::new();
    let mut file_names = Vec::with_capacity(files.len());
    for file in &files {
        let name = display_path(file);
        bar.start_file(&name);
        let mut on_case = |r: &CaseResult| bar.case(r.outcome == Outcome::Pass, seen());
        let mut got = match wire {
            WireMode::Also(plan) | WireMode::Only(plan) if wire::is_wire(file) => {
                wire::run_file(file, plan, &select, &mut on_case)
            }
            _ => api::run_file(file, iut, &opts, &select, &mut on_case),
        };
        // `./vectors/x.json` and `vectors/x.json` are one file in every report and baseline.
        for r in &mut got {
            if r.file.starts_with("./") {
                r.file = normalize_file(&r.file);
            }
        }
        bar.end_file(seen());
        file_names.push(name);
        results.append(&mut got);
    }
    bar.finish();
    if results.is_empty() {
        let what = if filter.is_empty() {
            format!(
                "no vector case under {}",
                paths
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(" ")
            )
        } else {
            format!(
                "--filter {} matched none of the loaded cases",
                filter.exprs().join(" --filter ")
            )
        };
        return Err(HarnessError::NoCases { what });
    }
    let meta = RunMeta {
        harness: Tool {
            name: env!("CARGO_PKG_NAME").to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
        },
        iut: Tool {
            name: hello.name,
            version: hello.version,
        },
        iut_is_reference: reference,
        paths: paths.iter().map(|p| p.display().to_string()).collect(),
        files: file_names,
        options: Options {
            filters: filter.exprs().to_vec(),
            acceptable: sel.acceptable.name().to_owned(),
            strict_errors: sel.strict_errors,
            baseline,
            allow_unsupported: false,
            deadline: None,
        },
        adapter: None,
        wire: None,
        notes: notes(&files),
    };
    Ok(Execution {
        meta,
        results,
        universe: universe.into_inner(),
    })
}

/// Starts an adapter (`--iut COMMAND`); one that does not start is exit 2.
pub fn start_adapter(command: &str, limits: Limits) -> Result<SubprocessIut, HarnessError> {
    SubprocessIut::start_with(command, limits).map_err(|e| HarnessError::Adapter(e.to_string()))
}

/// The flag notes of every loaded file: why its cases exist (file → flag → note).
fn notes(files: &[api::VectorFile]) -> BTreeMap<String, BTreeMap<String, FlagNote>> {
    files
        .iter()
        .map(|f| {
            let notes = f
                .notes
                .iter()
                .map(|(flag, n)| {
                    let note = FlagNote {
                        bug_type: n.bug_type.clone(),
                        description: n.description.clone(),
                        effect: n.effect.clone(),
                        links: n.links.clone(),
                    };
                    (flag.clone(), note)
                })
                .collect();
            (display_path(f), notes)
        })
        .collect()
}

/// Loads every vector file under `paths`; a bad file is exit 2 with the loader's message.
pub fn load(paths: &[PathBuf]) -> Result<Vec<api::VectorFile>, HarnessError> {
    api::load_paths(paths).map_err(|e| HarnessError::Vectors(e.to_string()))
}

fn display_path(file: &api::VectorFile) -> String {
    normalize_file(&file.path)
}
