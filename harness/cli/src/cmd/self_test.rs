//! `mtproto-harness self-test`: the mutation self-test. Each named deliberate bug of the reference
//! (`harness/mtproto/src/mutants.rs`, feature `mutants`) is served by `adapter --mutant NAME`
//! through the adapter protocol and run against the suites, judged as strictly as the reference;
//! a mutant is killed when at least one case fails or errors. Every mutant must be killed: a
//! survivor means the vectors miss a check, and the command exits 1.

use std::fmt::Write as _;
use std::io::Write as _;

use serde::Serialize;

use crate::Status;
use crate::cli::{Acceptable, Selection, SelfTestArgs};
use crate::engine;
use crate::error::HarnessError;

/// One mutant's result.
#[derive(Debug, Serialize)]
pub struct Kill {
    /// The mutant's name.
    pub mutant: String,
    /// Whether some case failed or errored.
    pub killed: bool,
    /// How many cases killed it.
    pub killing_cases: usize,
    /// Killing cases per vector file and flag.
    pub by_flag: Vec<(String, String, usize)>,
    /// The first killing cases (file, tcId).
    pub first: Vec<(String, u64)>,
}

#[cfg(feature = "mutants")]
fn mutant_names() -> Result<Vec<String>, HarnessError> {
    Ok(mtproto::mutants::ALL
        .iter()
        .map(|&m| m.to_owned())
        .collect())
}

#[cfg(not(feature = "mutants"))]
fn mutant_names() -> Result<Vec<String>, HarnessError> {
    Err(HarnessError::Adapter(
        "self-test needs a binary built with the `mutants` feature: \
         cargo run --release -p mtproto-harness --features mutants -- self-test"
            .to_owned(),
    ))
}

/// Runs `self-test`.
pub fn run(args: &SelfTestArgs) -> Result<Status, HarnessError> {
    let all = mutant_names()?;
    let names: Vec<String> = if args.mutants.is_empty() {
        all
    } else {
        args.mutants.clone()
    };
    let exe = std::env::current_exe()
        .map_err(|e| HarnessError::Adapter(format!("cannot find this binary: {e}")))?;
    let sel = Selection {
        paths: args.paths.clone(),
        filters: Vec::new(),
        acceptable: Acceptable::Pass,
        strict_errors: true,
        quiet: true,
    };
    let mut kills = Vec::new();
    for name in &names {
        let command = format!(
            "'{}' adapter --mutant {name}",
            exe.display().to_string().replace('\'', "'\\''")
        );
        let mut iut = engine::start_adapter(&command, args.timeout_ms)?;
        // Judged as the reference is: a rejection with another error name fails.
        let ex = engine::execute_with(&sel, None, &mut iut, true)?;
        let killing: Vec<_> = ex
            .results
            .iter()
            .filter(|r| {
                matches!(
                    r.outcome,
                    mtproto_vectors::Outcome::Fail | mtproto_vectors::Outcome::Error
                )
            })
            .collect();
        let mut by_flag: std::collections::BTreeMap<(String, String), usize> =
            std::collections::BTreeMap::new();
        for r in &killing {
            let flags = if r.flags.is_empty() {
                vec!["(no flag)".to_owned()]
            } else {
                r.flags.clone()
            };
            for f in flags {
                *by_flag.entry((r.file.clone(), f)).or_default() += 1;
            }
        }
        kills.push(Kill {
            mutant: name.clone(),
            killed: !killing.is_empty(),
            killing_cases: killing.len(),
            by_flag: by_flag.into_iter().map(|((a, b), n)| (a, b, n)).collect(),
            first: killing
                .iter()
                .take(3)
                .map(|r| (r.file.clone(), r.tc_id))
                .collect(),
        });
    }
    let table = kill_table(&kills);
    std::fs::create_dir_all(&args.out).map_err(|source| HarnessError::Write {
        path: args.out.clone(),
        source,
    })?;
    let md = args.out.join("self-test.md");
    std::fs::write(&md, &table).map_err(|source| HarnessError::Write {
        path: md.clone(),
        source,
    })?;
    let json = args.out.join("self-test.json");
    let text = serde_json::to_string_pretty(&kills).unwrap_or_default();
    std::fs::write(&json, format!("{text}\n")).map_err(|source| HarnessError::Write {
        path: json.clone(),
        source,
    })?;
    let survivors: Vec<_> = kills.iter().filter(|k| !k.killed).collect();
    let mut out = std::io::stdout().lock();
    let _ = write!(out, "{table}");
    for s in &survivors {
        let _ = writeln!(out, "SURVIVED {}", s.mutant);
    }
    let _ = writeln!(
        out,
        "self-test: {} mutants, {} killed, {} survived",
        kills.len(),
        kills.len() - survivors.len(),
        survivors.len()
    );
    Ok(if survivors.is_empty() {
        Status::Success
    } else {
        Status::Failures
    })
}

/// The kill table in Markdown.
pub fn kill_table(kills: &[Kill]) -> String {
    let mut s = String::from(
        "| mutant | killed | killing cases | killed by (file: flag × cases) | first killing cases |\n|---|---|---|---|---|\n",
    );
    for k in kills {
        let mut flags: Vec<_> = k.by_flag.iter().collect();
        flags.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.1.cmp(&b.1)));
        let flags: Vec<String> = flags
            .iter()
            .take(4)
            .map(|(file, flag, n)| {
                let short = file.rsplit('/').next().unwrap_or(file);
                format!("{short}: `{flag}` × {n}")
            })
            .collect();
        let first: Vec<String> = k
            .first
            .iter()
            .map(|(f, id)| format!("{} #{id}", f.rsplit('/').next().unwrap_or(f)))
            .collect();
        let _ = writeln!(
            s,
            "| `{}` | {} | {} | {} | {} |",
            k.mutant,
            if k.killed { "yes" } else { "**NO**" },
            k.killing_cases,
            flags.join("; "),
            first.join(", ")
        );
    }
    s
}
