//! The CI gate: a baseline of expected failures, and how a run is judged against it.
//!
//! A baseline file is a JSON array of `{"file": "...", "tcId": N, "reason": "..."}`, where `file`
//! is written as in `results.json` (relative to the directory the run starts in, `/`-separated)
//! and `reason` is required and non-empty. A run passes the gate when its failing cases are
//! exactly the baselined ones among the cases it ran. It fails on:
//!
//! - a **new failure**: a case that failed and is not in the baseline;
//! - an **unexpected pass**: a baselined case that now passes (remove it from the baseline);
//! - a **stale entry**: an entry naming no existing case — its file has no such `tcId`, is not a
//!   valid vector file, or does not exist at all. A file outside the run's paths is loaded
//!   (strictly) to check the entry.
//!
//! Entries for cases that exist but were not run (filtered out, or in a file outside the run's
//! paths) are out of scope and do not affect the result.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;

use mtproto_vectors::{CaseResult, Outcome};
use serde::{Deserialize, Serialize};

use crate::error::HarnessError;

/// One expected failure.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Entry {
    /// The vector file, as in `results.json`.
    pub file: String,
    /// The case's `tcId`.
    pub tc_id: u64,
    /// Why this case is expected to fail (required).
    pub reason: String,
}

/// Normalises a file name for comparison like the loader names files: `/`-separated, lexically
/// normalized (no `./`, no `..`), relative to the current directory when under it.
pub fn normalize_file(file: &str) -> String {
    mtproto_vectors::load::normalize_name(file)
}

/// Reads and checks a baseline file.
pub fn load(path: &Path) -> Result<Vec<Entry>, HarnessError> {
    let bad = |reason: String| HarnessError::Baseline {
        path: path.to_owned(),
        reason,
    };
    let text = std::fs::read_to_string(path).map_err(|e| bad(format!("cannot read: {e}")))?;
    parse(&text).map_err(bad)
}

/// Parses and checks a baseline's text.
pub fn parse(text: &str) -> Result<Vec<Entry>, String> {
    let entries: Vec<Entry> = serde_json::from_str(text).map_err(|e| {
        format!(
            "{e} (expected a JSON array of {{\"file\": \"...\", \"tcId\": N, \"reason\": \"...\"}})"
        )
    })?;
    let mut seen = BTreeSet::new();
    for (i, entry) in entries.iter().enumerate() {
        if entry.reason.trim().is_empty() {
            return Err(format!("$[{i}].reason: a reason is required"));
        }
        if entry.file.trim().is_empty() {
            return Err(format!("$[{i}].file: empty file name"));
        }
        if !seen.insert((normalize_file(&entry.file), entry.tc_id)) {
            return Err(format!(
                "$[{i}]: duplicate entry for {} tcId {}",
                entry.file, entry.tc_id
            ));
        }
    }
    Ok(entries)
}

/// Whether an outcome counts as a failure for exit codes and the gate.
///
/// `unsupported` is a failure for the built-in reference (it must run every shipped vector), and
/// only reported for an external implementation.
pub fn is_failure(outcome: Outcome, iut_is_reference: bool) -> bool {
    match outcome {
        Outcome::Pass => false,
        Outcome::Fail | Outcome::Error => true,
        Outcome::Unsupported => iut_is_reference,
    }
}

/// One way a run broke the gate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(
    rename_all = "camelCase",
    rename_all_fields = "camelCase",
    tag = "kind"
)]
pub enum Breach {
    /// A failing case that is not in the baseline.
    NewFailure {
        /// The vector file.
        file: String,
        /// The case.
        tc_id: u64,
        /// What went wrong.
        detail: String,
    },
    /// A baselined case that passed.
    UnexpectedPass {
        /// The vector file.
        file: String,
        /// The case.
        tc_id: u64,
        /// The baseline's reason.
        reason: String,
    },
    /// A baseline entry that names no existing case.
    StaleEntry {
        /// The vector file.
        file: String,
        /// The case.
        tc_id: u64,
        /// Why it names no case.
        why: String,
    },
}

impl fmt::Display for Breach {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Breach::NewFailure {
                file,
                tc_id,
                detail,
            } => write!(f, "new failure: {file} tcId {tc_id}: {detail}"),
            Breach::UnexpectedPass {
                file,
                tc_id,
                reason,
            } => write!(
                f,
                "unexpected pass: {file} tcId {tc_id} passes but is baselined ({reason}); remove it from the baseline"
            ),
            Breach::StaleEntry { file, tc_id, why } => {
                write!(f, "stale baseline entry: {file} tcId {tc_id}: {why}")
            }
        }
    }
}

/// The gate's verdict on a run.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Gate {
    /// The baseline file, as given.
    pub baseline: String,
    /// Entries in the baseline.
    pub entries: usize,
    /// Baselined cases that failed as expected.
    pub matched: usize,
    /// Entries for cases this run did not execute.
    pub out_of_scope: usize,
    /// Everything that breaks the gate, in file and tcId order.
    pub breaches: Vec<Breach>,
}

impl Gate {
    /// Whether the run passes the gate.
    pub fn passed(&self) -> bool {
        self.breaches.is_empty()
    }

    /// Counts of (new failures, unexpected passes, stale entries).
    pub fn kinds(&self) -> (usize, usize, usize) {
        let mut k = (0, 0, 0);
        for b in &self.breaches {
            match b {
                Breach::NewFailure { .. } => k.0 += 1,
                Breach::UnexpectedPass { .. } => k.1 += 1,
                Breach::StaleEntry { .. } => k.2 += 1,
            }
        }
        k
    }
}

/// What the run knows about which cases exist.
#[derive(Clone, Debug, Default)]
pub struct Universe {
    /// Every vector file loaded by the run (normalised).
    pub files: BTreeSet<String>,
    /// Every case in those files, run or filtered out (normalised file, tcId).
    pub cases: BTreeSet<(String, u64)>,
}

/// Judges a run against a baseline.
pub fn judge(
    baseline: &str,
    entries: &[Entry],
    results: &[CaseResult],
    universe: &Universe,
    iut_is_reference: bool,
) -> Gate {
    let mut gate = Gate {
        baseline: baseline.to_owned(),
        entries: entries.len(),
        ..Gate::default()
    };
    let expected: BTreeMap<(String, u64), &Entry> = entries
        .iter()
        .map(|e| ((normalize_file(&e.file), e.tc_id), e))
        .collect();
    let mut ran = BTreeSet::new();
    let mut breaches = Vec::new();
    // Files named by the baseline but not loaded by this run, loaded here to check the entries:
    // the tcIds of each, or why it is not a vector file.
    let mut outside: BTreeMap<String, Result<BTreeSet<u64>, String>> = BTreeMap::new();
    for r in results {
        let key = (normalize_file(&r.file), r.tc_id);
        let failed = is_failure(r.outcome, iut_is_reference);
        match (failed, expected.get(&key)) {
            (true, Some(_)) => gate.matched += 1,
            (true, None) => breaches.push(Breach::NewFailure {
                file: r.file.clone(),
                tc_id: r.tc_id,
                detail: format!("{}: {}", outcome_name(r.outcome), r.detail),
            }),
            (false, Some(e)) if r.outcome == Outcome::Pass => {
                breaches.push(Breach::UnexpectedPass {
                    file: r.file.clone(),
                    tc_id: r.tc_id,
                    reason: e.reason.clone(),
                });
            }
            // Unsupported on an external IUT: neither a pass nor a failure.
            (false, Some(_)) => gate.matched += 1,
            (false, None) => {}
        }
        ran.insert(key);
    }
    for key in expected.keys() {
        if ran.contains(key) {
            continue;
        }
        let (file, tc_id) = key;
        if universe.files.contains(file) {
            if universe.cases.contains(key) {
                gate.out_of_scope += 1;
            } else {
                breaches.push(Breach::StaleEntry {
                    file: file.clone(),
                    tc_id: *tc_id,
                    why: "the file has no case with this tcId".into(),
                });
            }
        } else if Path::new(file).is_file() {
            let ids = outside.entry(file.clone()).or_insert_with(|| {
                mtproto_vectors::load_file(Path::new(file))
                    .map(|vf| {
                        vf.test_groups
                            .iter()
                            .flat_map(|g| g.headers().into_iter().map(|h| h.tc_id))
                            .collect()
                    })
                    .map_err(|e| e.to_string())
            });
            match ids {
                Ok(ids) if ids.contains(tc_id) => gate.out_of_scope += 1,
                Ok(_) => breaches.push(Breach::StaleEntry {
                    file: file.clone(),
                    tc_id: *tc_id,
                    why: "the file has no case with this tcId".into(),
                }),
                Err(e) => breaches.push(Breach::StaleEntry {
                    file: file.clone(),
                    tc_id: *tc_id,
                    why: format!("not a valid vector file: {e}"),
                }),
            }
        } else {
            breaches.push(Breach::StaleEntry {
                file: file.clone(),
                tc_id: *tc_id,
                why: "no such vector file".into(),
            });
        }
    }
    breaches.sort_by(|a, b| breach_key(a).cmp(&breach_key(b)));
    gate.breaches = breaches;
    gate
}

fn breach_key(b: &Breach) -> (&str, u64) {
    match b {
        Breach::NewFailure { file, tc_id, .. }
        | Breach::UnexpectedPass { file, tc_id, .. }
        | Breach::StaleEntry { file, tc_id, .. } => (file, *tc_id),
    }
}

/// The lowercase name of an outcome, as in `results.json`.
pub fn outcome_name(o: Outcome) -> &'static str {
    match o {
        Outcome::Pass => "pass",
        Outcome::Fail => "fail",
        Outcome::Unsupported => "unsupported",
        Outcome::Error => "error",
    }
}

/// The baseline a run would need: one entry per failing case, the outcome and detail as reason.
pub fn from_results(results: &[CaseResult], iut_is_reference: bool) -> Vec<Entry> {
    let mut entries: Vec<Entry> = results
        .iter()
        .filter(|r| is_failure(r.outcome, iut_is_reference))
        .map(|r| Entry {
            file: r.file.clone(),
            tc_id: r.tc_id,
            reason: format!("{}: {}", outcome_name(r.outcome), one_line(&r.detail)),
        })
        .collect();
    entries.sort_by(|a, b| (&a.file, a.tc_id).cmp(&(&b.file, b.tc_id)));
    entries
}

fn one_line(s: &str) -> String {
    let s: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let s = s.trim();
    if s.is_empty() {
        "(no detail)".into()
    } else {
        s.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::test_support::case;

    #[test]
    fn parse_rejects_bad_baselines() {
        assert!(parse("[]").unwrap().is_empty());
        assert!(parse(r#"[{"file":"a","tcId":1}]"#).is_err());
        assert!(parse(r#"[{"file":"a","tcId":1,"reason":" "}]"#).is_err());
        assert!(parse(r#"[{"file":"a","tcId":1,"reason":"r","x":1}]"#).is_err());
        let dup = r#"[{"file":"a","tcId":1,"reason":"r"},{"file":"./a","tcId":1,"reason":"r"}]"#;
        assert!(parse(dup).unwrap_err().contains("duplicate"));
        assert!(parse("{").is_err());
    }

    #[test]
    fn gate_kinds() {
        let results = vec![
            case("v/a.json", 1, Outcome::Fail),
            case("v/a.json", 2, Outcome::Fail),
            case("v/a.json", 3, Outcome::Pass),
            case("v/a.json", 4, Outcome::Pass),
        ];
        let universe = Universe {
            files: ["v/a.json".to_owned()].into(),
            cases: (1..=5).map(|n| ("v/a.json".to_owned(), n)).collect(),
        };
        let entry = |tc_id| Entry {
            file: "./v/a.json".into(),
            tc_id,
            reason: "known".into(),
        };
        let gate = judge("b", &[entry(1), entry(2)], &results, &universe, true);
        assert!(gate.passed());
        assert_eq!(gate.matched, 2);
        let gate = judge(
            "b",
            &[entry(1), entry(3), entry(5), entry(9)],
            &results,
            &universe,
            true,
        );
        assert_eq!(gate.kinds(), (1, 1, 1));
        assert_eq!(gate.out_of_scope, 1);
        assert!(matches!(
            gate.breaches[0],
            Breach::NewFailure { tc_id: 2, .. }
        ));
        assert!(matches!(
            gate.breaches[1],
            Breach::UnexpectedPass { tc_id: 3, .. }
        ));
        assert!(matches!(
            gate.breaches[2],
            Breach::StaleEntry { tc_id: 9, .. }
        ));
        let missing = Entry {
            file: "nowhere/x.json".into(),
            tc_id: 1,
            reason: "r".into(),
        };
        let gate = judge(
            "b",
            &[entry(1), entry(2), missing],
            &results,
            &universe,
            true,
        );
        assert_eq!(gate.kinds(), (0, 0, 1));
    }

    #[test]
    fn breaches_serialize_tc_id_in_camel_case() {
        let b = Breach::StaleEntry {
            file: "f".into(),
            tc_id: 7,
            why: "w".into(),
        };
        let v = serde_json::to_value(&b).unwrap();
        assert_eq!(v["tcId"], 7, "{v}");
        assert_eq!(v["kind"], "staleEntry", "{v}");
        assert!(v.get("tc_id").is_none(), "{v}");
    }

    #[test]
    fn entries_in_files_outside_the_run_are_checked() {
        let ws = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let kdf = ws.join("vectors/kdf/msg_key_test.json");
        let toml = ws.join("Cargo.toml");
        let entry = |file: &std::path::Path, tc_id| Entry {
            file: file.display().to_string(),
            tc_id,
            reason: "x".into(),
        };
        let results = vec![case("v/a.json", 1, Outcome::Pass)];
        let universe = Universe::default();
        // A case that exists but was not run: out of scope.
        let gate = judge("b", &[entry(&kdf, 1)], &results, &universe, true);
        assert!(gate.passed(), "{:?}", gate.breaches);
        assert_eq!(gate.out_of_scope, 1);
        // A tcId the file does not have, and a file that is not a vector file: stale.
        let gate = judge(
            "b",
            &[entry(&kdf, 99_999), entry(&toml, 1)],
            &results,
            &universe,
            true,
        );
        assert_eq!(gate.kinds(), (0, 0, 2), "{:?}", gate.breaches);
        assert_eq!(gate.out_of_scope, 0);
        let text: Vec<String> = gate.breaches.iter().map(ToString::to_string).collect();
        assert!(
            text.iter()
                .any(|t| t.contains("99999") && t.contains("no case")),
            "{text:?}"
        );
        assert!(
            text.iter().any(|t| t.contains("not a valid vector file")),
            "{text:?}"
        );
    }

    #[test]
    fn baseline_from_results_round_trips() {
        let results = vec![
            case("v/b.json", 2, Outcome::Error),
            case("v/a.json", 1, Outcome::Fail),
            case("v/a.json", 3, Outcome::Pass),
        ];
        let entries = from_results(&results, true);
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].file, "v/a.json");
        let text = serde_json::to_string(&entries).unwrap();
        assert_eq!(parse(&text).unwrap(), entries);
    }
}
