//! Loads the vector files, runs the selected cases against the IUT and collects the records:
//! the part of `run` and `baseline` that the reports and the gate are built from.

use std::cell::RefCell;
use std::path::PathBuf;

use std::time::Duration;

use mtproto_iut::{Iut, ReferenceIut, SubprocessIut};
use mtproto_vectors::CaseResult;

use crate::baseline::{Universe, is_failure, normalize_file};
use crate::cli::{Acceptable, Selection, paths_or_default};
use crate::error::HarnessError;
use crate::filter::{CaseKey, Filter};
use crate::progress::{self, Progress};
use crate::report::{Options, RunMeta, Tool};

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

/// Loads, selects and runs against the built-in reference, drawing a progress bar when wanted.
pub fn execute(sel: &Selection, baseline: Option<String>) -> Result<Execution, HarnessError> {
    execute_with(sel, baseline, &mut ReferenceIut::new(), true)
}

/// Loads, selects and runs against `iut` (`reference`: it is the built-in reference and is
/// judged strictly), drawing a progress bar when wanted.
pub fn execute_with(
    sel: &Selection,
    baseline: Option<String>,
    iut: &mut dyn Iut,
    reference: bool,
) -> Result<Execution, HarnessError> {
    let filter = Filter::parse(&sel.filters)?;
    let paths = paths_or_default(&sel.paths);
    let files = load(&paths)?;
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
        let mut on_case = |r: &CaseResult| bar.case(!is_failure(r.outcome, reference), seen());
        let mut got = api::run_file(file, iut, &opts, &select, &mut on_case);
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
        },
    };
    Ok(Execution {
        meta,
        results,
        universe: universe.into_inner(),
    })
}

/// Starts an adapter (`--iut COMMAND`); one that does not start is exit 2.
pub fn start_adapter(command: &str, timeout_ms: u64) -> Result<SubprocessIut, HarnessError> {
    SubprocessIut::start(command, Duration::from_millis(timeout_ms.max(1)))
        .map_err(|e| HarnessError::Adapter(e.to_string()))
}

/// Loads every vector file under `paths`; a bad file is exit 2 with the loader's message.
pub fn load(paths: &[PathBuf]) -> Result<Vec<api::VectorFile>, HarnessError> {
    api::load_paths(paths).map_err(|e| HarnessError::Vectors(e.to_string()))
}

fn display_path(file: &api::VectorFile) -> String {
    normalize_file(&file.path)
}
