//! `mtproto-harness run`: run the suites, write the four reports, judge against a baseline.

use std::io::Write;

use mtproto_vectors::Outcome;

use crate::baseline::{self, Gate, any_ran, is_failure};
use crate::cli::RunArgs;
use crate::engine;
use crate::error::HarnessError;
use crate::report::{self, Counts, Report};
use crate::{Status, report::one_line};

/// Failures printed on stdout before the summary line (all of them are in the reports).
const PRINTED: usize = 20;

/// Runs `run`.
pub fn run(args: &RunArgs) -> Result<Status, HarnessError> {
    // Read the baseline first: a bad one should stop the run before it starts.
    let entries = match &args.baseline {
        Some(path) => Some(baseline::load(path)?),
        None => None,
    };
    let baseline_name = args.baseline.as_ref().map(|p| p.display().to_string());
    let ex = engine::execute(
        &args.selection,
        &args.iut,
        baseline_name.clone(),
        args.allow_unsupported,
    )?;
    let unsupported_fails = ex.meta.unsupported_fails();
    let gate: Option<Gate> = entries.as_ref().map(|entries| {
        baseline::judge(
            baseline_name.as_deref().unwrap_or_default(),
            entries,
            &ex.results,
            &ex.universe,
        )
    });
    let rep = Report {
        meta: &ex.meta,
        results: &ex.results,
        gate: gate.as_ref(),
    };
    report::write_all(&args.out, &rep)?;

    let counts = Counts::of(&ex.results);
    let mut out = std::io::stdout().lock();
    match &gate {
        Some(gate) => {
            for b in &gate.breaches {
                let _ = writeln!(out, "gate: {}", one_line(&b.to_string()));
            }
            let _ = writeln!(
                out,
                "gate {}: {} cases ended as baselined, {}",
                if gate.passed() { "passed" } else { "FAILED" },
                gate.matched,
                gate.kinds().line()
            );
        }
        None => {
            let failing: Vec<_> = ex
                .results
                .iter()
                .filter(|r| is_failure(r.outcome, unsupported_fails))
                .collect();
            if !args.selection.quiet {
                for r in failing.iter().take(PRINTED) {
                    let _ = writeln!(
                        out,
                        "{} {} tcId {}: {}",
                        match r.outcome {
                            Outcome::Fail => "FAIL",
                            Outcome::Error => "ERROR",
                            Outcome::Unsupported => "UNSUPPORTED",
                            Outcome::Pass => "PASS",
                        },
                        r.file,
                        r.tc_id,
                        one_line(&r.detail)
                    );
                }
                if failing.len() > PRINTED {
                    let _ = writeln!(out, "... and {} more", failing.len() - PRINTED);
                }
            }
            if unsupported_fails && !ex.meta.iut_is_reference && counts.unsupported > 0 {
                let _ = writeln!(
                    out,
                    "{} unsupported cases fail the run: an external implementation must support \
                     what it is tested on (--allow-unsupported accepts them, --filter narrows the run)",
                    counts.unsupported
                );
            }
        }
    }
    if !any_ran(&ex.results) {
        let _ = writeln!(
            out,
            "no selected case ran: all {} were unsupported or errors; the run fails",
            ex.results.len()
        );
    }
    if !args.selection.quiet {
        let _ = writeln!(
            out,
            "reports: {}",
            report::FILES
                .iter()
                .map(|f| args.out.join(f).display().to_string())
                .collect::<Vec<_>>()
                .join(" ")
        );
    }
    let _ = writeln!(out, "{}", counts.line());
    Ok(if rep.passed() {
        Status::Success
    } else {
        Status::Failures
    })
}
