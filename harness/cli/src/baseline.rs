//! The CI gate: a baseline of expected non-passing cases, and how a run is judged against it.
//!
//! A baseline file is a JSON array of `{"file": "...", "tcId": N, "outcome": "...", "reason":
//! "..."}`, where `file` is written as in `results.json` (relative to the directory the run starts
//! in, `/`-separated), `outcome` is the outcome the case is expected to have (`fail`, `error` or
//! `unsupported`) and `reason` is required and non-empty. A run passes the gate when every case
//! it ran ended exactly as the baseline says (a case without an entry is expected to pass). It
//! fails on:
//!
//! - a **new failure**: a case that failed or errored and is not in the baseline;
//! - a case **now unsupported**: a case not in the baseline (so it passed before) that the
//!   implementation now answers `unsupported`;
//! - a **changed outcome**: a baselined case that ended otherwise than its entry says (an
//!   `unsupported` entry that now fails, a `fail` entry that now errors, ...);
//! - an **unexpected pass**: a baselined case that now passes (remove it from the baseline);
//! - a **stale entry**: an entry naming no existing case — its file has no such `tcId`, is not a
//!   valid vector file, or does not exist at all. A file outside the run's paths is loaded
//!   (strictly) to check the entry.
//!
//! Entries for cases that exist but were not run (filtered out, or in a file outside the run's
//! paths) are out of scope and do not affect the result.
//!
//! An entry without `outcome` (baselines written before outcomes were recorded) is refused with
//! a message saying how to regenerate the file: guessing `fail` would let an `error` or
//! `unsupported` case through under the wrong expectation.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;

use mtproto_vectors::{CaseResult, Outcome};
use serde::{Deserialize, Serialize};

use crate::error::HarnessError;

/// The outcome a baselined case is expected to have.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Expected {
    /// The case fails (a wrong answer).
    Fail,
    /// The case errors (a crash, hang, garbage answer or library exception).
    Error,
    /// The implementation does not support the case's operation.
    Unsupported,
}

impl Expected {
    /// The expectation matching a non-passing outcome (`None` for a pass).
    pub fn of(o: Outcome) -> Option<Self> {
        match o {
            Outcome::Pass => None,
            Outcome::Fail => Some(Expected::Fail),
            Outcome::Error => Some(Expected::Error),
            Outcome::Unsupported => Some(Expected::Unsupported),
        }
    }

    /// Its name, as written in the baseline.
    pub fn name(self) -> &'static str {
        match self {
            Expected::Fail => "fail",
            Expected::Error => "error",
            Expected::Unsupported => "unsupported",
        }
    }
}

/// One expected non-passing case.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Entry {
    /// The vector file, as in `results.json`.
    pub file: String,
    /// The case's `tcId`.
    pub tc_id: u64,
    /// The outcome the case is expected to have.
    pub outcome: Expected,
    /// Why this case is expected not to pass (required).
    pub reason: String,
}

/// An entry as read, before the checks of [`parse`].
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RawEntry {
    file: String,
    tc_id: u64,
    #[serde(default)]
    outcome: Option<Expected>,
    reason: String,
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
    let raw: Vec<RawEntry> = serde_json::from_str(text).map_err(|e| {
        format!(
            "{e} (expected a JSON array of {{\"file\": \"...\", \"tcId\": N, \"outcome\": \"fail\"|\"error\"|\"unsupported\", \"reason\": \"...\"}})"
        )
    })?;
    let mut entries = Vec::with_capacity(raw.len());
    for (i, r) in raw.into_iter().enumerate() {
        let Some(outcome) = r.outcome else {
            return Err(format!(
                "$[{i}] ({} tcId {}): no `outcome`: this baseline predates expected outcomes; \
                 regenerate it with `mtproto-harness baseline --out FILE` and the run's own \
                 options (--iut, filters, ...), or add \"outcome\": \"fail\", \"error\" or \
                 \"unsupported\" to every entry",
                r.file, r.tc_id
            ));
        };
        entries.push(Entry {
            file: r.file,
            tc_id: r.tc_id,
            outcome,
            reason: r.reason,
        });
    }
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

/// Whether an outcome fails a run without a baseline.
///
/// `unsupported` fails it unless `--allow-unsupported` was given for an external implementation
/// (`unsupported_fails` false); the built-in reference must run every shipped vector, so for it
/// `unsupported` always fails.
pub fn is_failure(outcome: Outcome, unsupported_fails: bool) -> bool {
    match outcome {
        Outcome::Pass => false,
        Outcome::Fail | Outcome::Error => true,
        Outcome::Unsupported => unsupported_fails,
    }
}

/// Whether any selected case ran: was answered and judged `pass` or `fail`. A run where none did
/// (everything unsupported or erroring) fails whatever else was asked.
pub fn any_ran(results: &[CaseResult]) -> bool {
    results
        .iter()
        .any(|r| matches!(r.outcome, Outcome::Pass | Outcome::Fail))
}

/// How a run ends: the one rule behind the exit code and the reports' verdict.
pub fn run_passes(results: &[CaseResult], unsupported_fails: bool, gate: Option<&Gate>) -> bool {
    if !any_ran(results) {
        return false;
    }
    match gate {
        Some(g) => g.passed(),
        None => !results
            .iter()
            .any(|r| is_failure(r.outcome, unsupported_fails)),
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
    /// A failing or erroring case that is not in the baseline.
    NewFailure {
        /// The vector file.
        file: String,
        /// The case.
        tc_id: u64,
        /// What went wrong.
        detail: String,
    },
    /// A case not in the baseline (it passed before) that is now unsupported.
    NowUnsupported {
        /// The vector file.
        file: String,
        /// The case.
        tc_id: u64,
        /// What the run said.
        detail: String,
    },
    /// A baselined case whose outcome differs from its entry's.
    OutcomeChanged {
        /// The vector file.
        file: String,
        /// The case.
        tc_id: u64,
        /// The entry's outcome.
        expected: Expected,
        /// The outcome now.
        got: String,
        /// What the run said.
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
            Breach::NowUnsupported {
                file,
                tc_id,
                detail,
            } => write!(
                f,
                "now unsupported: {file} tcId {tc_id} is not in the baseline (it passed) and is now unsupported: {detail}"
            ),
            Breach::OutcomeChanged {
                file,
                tc_id,
                expected,
                got,
                detail,
            } => write!(
                f,
                "outcome changed: {file} tcId {tc_id} is baselined as {} but is now {got}: {detail}",
                expected.name()
            ),
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

    /// How many breaches of each kind.
    pub fn kinds(&self) -> Kinds {
        let mut k = Kinds::default();
        for b in &self.breaches {
            match b {
                Breach::NewFailure { .. } => k.new += 1,
                Breach::NowUnsupported { .. } => k.now_unsupported += 1,
                Breach::OutcomeChanged { .. } => k.changed += 1,
                Breach::UnexpectedPass { .. } => k.unexpected_pass += 1,
                Breach::StaleEntry { .. } => k.stale += 1,
            }
        }
        k
    }
}

/// Breaches by kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Kinds {
    /// New failures and errors.
    pub new: usize,
    /// Cases that passed and are now unsupported.
    pub now_unsupported: usize,
    /// Baselined cases with another outcome than their entry's.
    pub changed: usize,
    /// Baselined cases that passed.
    pub unexpected_pass: usize,
    /// Entries naming no case.
    pub stale: usize,
}

impl Kinds {
    /// `N new failures, N now unsupported, N changed outcomes, N unexpected passes, N stale
    /// baseline entries`.
    pub fn line(&self) -> String {
        format!(
            "{} new failures, {} now unsupported, {} changed outcomes, {} unexpected passes, {} stale baseline entries",
            self.new, self.now_unsupported, self.changed, self.unexpected_pass, self.stale
        )
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

/// Judges a run against a baseline: every case must end as its entry says, or pass without one.
pub fn judge(
    baseline: &str,
    entries: &[Entry],
    results: &[CaseResult],
    universe: &Universe,
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
        let detail = || format!("{}: {}", outcome_name(r.outcome), r.detail);
        match (Expected::of(r.outcome), expected.get(&key)) {
            (None, None) => {}
            (None, Some(e)) => breaches.push(Breach::UnexpectedPass {
                file: r.file.clone(),
                tc_id: r.tc_id,
                reason: e.reason.clone(),
            }),
            (Some(got), Some(e)) if got == e.outcome => gate.matched += 1,
            (Some(_), Some(e)) => breaches.push(Breach::OutcomeChanged {
                file: r.file.clone(),
                tc_id: r.tc_id,
                expected: e.outcome,
                got: outcome_name(r.outcome).to_owned(),
                detail: r.detail.clone(),
            }),
            (Some(Expected::Unsupported), None) => breaches.push(Breach::NowUnsupported {
                file: r.file.clone(),
                tc_id: r.tc_id,
                detail: r.detail.clone(),
            }),
            (Some(_), None) => breaches.push(Breach::NewFailure {
                file: r.file.clone(),
                tc_id: r.tc_id,
                detail: detail(),
            }),
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
        | Breach::NowUnsupported { file, tc_id, .. }
        | Breach::OutcomeChanged { file, tc_id, .. }
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

/// The baseline a run would need: one entry per case that did not pass (`unsupported` ones
/// included, whatever `--allow-unsupported` says), its outcome, and the detail as reason.
pub fn from_results(results: &[CaseResult]) -> Vec<Entry> {
    let mut entries: Vec<Entry> = results
        .iter()
        .filter_map(|r| Expected::of(r.outcome).map(|o| (r, o)))
        .map(|(r, outcome)| Entry {
            file: r.file.clone(),
            tc_id: r.tc_id,
            outcome,
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
        assert!(parse(r#"[{"file":"a","tcId":1,"outcome":"fail"}]"#).is_err());
        assert!(parse(r#"[{"file":"a","tcId":1,"outcome":"fail","reason":" "}]"#).is_err());
        assert!(parse(r#"[{"file":"a","tcId":1,"outcome":"fail","reason":"r","x":1}]"#).is_err());
        assert!(parse(r#"[{"file":"a","tcId":1,"outcome":"pass","reason":"r"}]"#).is_err());
        let dup = r#"[{"file":"a","tcId":1,"outcome":"fail","reason":"r"},{"file":"./a","tcId":1,"outcome":"error","reason":"r"}]"#;
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
            outcome: Expected::Fail,
            reason: "known".into(),
        };
        let gate = judge("b", &[entry(1), entry(2)], &results, &universe);
        assert!(gate.passed());
        assert_eq!(gate.matched, 2);
        let gate = judge(
            "b",
            &[entry(1), entry(3), entry(5), entry(9)],
            &results,
            &universe,
        );
        assert_eq!(
            (
                gate.kinds().new,
                gate.kinds().unexpected_pass,
                gate.kinds().stale
            ),
            (1, 1, 1)
        );
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
            outcome: Expected::Fail,
            reason: "r".into(),
        };
        let gate = judge("b", &[entry(1), entry(2), missing], &results, &universe);
        assert_eq!(gate.kinds().stale, 1);
        assert_eq!(gate.breaches.len(), 1);
    }

    /// Defect 5: an `unsupported` case used to count as a matched failure, whatever its entry.
    #[test]
    fn unsupported_and_changed_outcomes_break_the_gate() {
        let results = vec![
            case("v/a.json", 1, Outcome::Unsupported),
            case("v/a.json", 2, Outcome::Unsupported),
            case("v/a.json", 3, Outcome::Error),
            case("v/a.json", 4, Outcome::Unsupported),
        ];
        let universe = Universe {
            files: ["v/a.json".to_owned()].into(),
            cases: (1..=4).map(|n| ("v/a.json".to_owned(), n)).collect(),
        };
        let entry = |tc_id, outcome| Entry {
            file: "v/a.json".into(),
            tc_id,
            outcome,
            reason: "known".into(),
        };
        let entries = [
            entry(1, Expected::Fail),
            entry(2, Expected::Unsupported),
            entry(3, Expected::Fail),
        ];
        let gate = judge("b", &entries, &results, &universe);
        assert_eq!(gate.matched, 1);
        let k = gate.kinds();
        assert_eq!(
            (k.changed, k.now_unsupported),
            (2, 1),
            "{:?}",
            gate.breaches
        );
        let text: Vec<String> = gate.breaches.iter().map(ToString::to_string).collect();
        assert!(
            text[0].contains("baselined as fail but is now unsupported"),
            "{text:?}"
        );
        assert!(text[2].contains("now unsupported"), "{text:?}");
    }

    #[test]
    fn baselines_without_outcomes_are_refused_with_how_to_regenerate() {
        let e = parse(r#"[{"file":"a","tcId":1,"reason":"r"}]"#).unwrap_err();
        assert!(
            e.contains("no `outcome`") && e.contains("mtproto-harness baseline"),
            "{e}"
        );
    }

    #[test]
    fn a_run_where_nothing_ran_never_passes() {
        let all_unsupported = vec![case("v/a.json", 1, Outcome::Unsupported)];
        assert!(!run_passes(&all_unsupported, false, None));
        assert!(!run_passes(&all_unsupported, false, Some(&Gate::default())));
        let mixed = vec![
            case("v/a.json", 1, Outcome::Unsupported),
            case("v/a.json", 2, Outcome::Pass),
        ];
        assert!(run_passes(&mixed, false, None));
        assert!(!run_passes(&mixed, true, None));
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
            outcome: Expected::Fail,
            reason: "x".into(),
        };
        let results = vec![case("v/a.json", 1, Outcome::Pass)];
        let universe = Universe::default();
        // A case that exists but was not run: out of scope.
        let gate = judge("b", &[entry(&kdf, 1)], &results, &universe);
        assert!(gate.passed(), "{:?}", gate.breaches);
        assert_eq!(gate.out_of_scope, 1);
        // A tcId the file does not have, and a file that is not a vector file: stale.
        let gate = judge(
            "b",
            &[entry(&kdf, 99_999), entry(&toml, 1)],
            &results,
            &universe,
        );
        assert_eq!(gate.kinds().stale, 2, "{:?}", gate.breaches);
        assert_eq!(gate.breaches.len(), 2);
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
        let entries = from_results(&results);
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].file, "v/a.json");
        let text = serde_json::to_string(&entries).unwrap();
        assert_eq!(parse(&text).unwrap(), entries);
    }
}
