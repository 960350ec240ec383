//! The four reports of a run (reports/README.md): `results.json`, `junit.xml`, `summary.md` and
//! `index.html`, all made from the same [`CaseResult`] records and run metadata.

mod html;
mod json;
mod junit;
mod summary;

use std::collections::BTreeMap;
use std::fs;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use mtproto_vectors::{CaseResult, Outcome, Verdict};
use serde::Serialize;

use crate::baseline::{Gate, outcome_name};
use crate::error::HarnessError;

pub use html::render as render_html;
pub use json::render as render_json;
pub use junit::render as render_junit;
pub use summary::render as render_summary;

/// A program and its version.
#[derive(Clone, Debug, Serialize)]
pub struct Tool {
    /// Its name.
    pub name: String,
    /// Its version.
    pub version: String,
}

/// The options a run was given, as recorded in the reports.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Options {
    /// The `--filter` expressions (ANDed).
    pub filters: Vec<String>,
    /// The `--acceptable` policy: `pass` or `fail`.
    pub acceptable: String,
    /// Whether `--strict-errors` was given.
    pub strict_errors: bool,
    /// The `--baseline` file, if any.
    pub baseline: Option<String>,
    /// Whether `--allow-unsupported` was given.
    pub allow_unsupported: bool,
    /// The `--deadline` in seconds, if any.
    pub deadline: Option<u64>,
}

/// What an adapter said in `hello`.
#[derive(Clone, Debug, Serialize)]
pub struct HelloInfo {
    /// Its name.
    pub name: String,
    /// Its version.
    pub version: String,
    /// The ops it listed.
    pub ops: Vec<String>,
}

/// The external implementation a run tested: how to start it again and how it behaved.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AdapterInfo {
    /// The `--iut` command line.
    pub command: String,
    /// Its `hello` answer.
    pub hello: HelloInfo,
    /// `--timeout-ms`.
    pub timeout_ms: u64,
    /// `--max-failures-in-a-row`.
    pub max_failures_in_a_row: u32,
    /// How often it was restarted after a crash, hang or garbage answer.
    pub restarts: u64,
    /// Why it was given up (breaker or deadline), if it was.
    pub gave_up: Option<String>,
}

/// The wire drivers a run played the `wire` cases against (`--client` / `--server`).
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WireInfo {
    /// The `--client` command.
    pub client: Option<String>,
    /// The `--server` command.
    pub server: Option<String>,
    /// `--timeout-ms`: the bound of each case.
    pub timeout_ms: u64,
}

impl WireInfo {
    /// The drivers in words, for the report's IUT name.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(c) = &self.client {
            parts.push(format!("wire client driver `{c}`"));
        }
        if let Some(c) = &self.server {
            parts.push(format!("wire server driver `{c}`"));
        }
        parts.join(", ")
    }
}

/// A flag's note from its vector file: the rule its cases enforce and where the spec says so.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FlagNote {
    /// Wycheproof's bug type.
    pub bug_type: String,
    /// What the flagged cases test.
    pub description: String,
    /// What an implementation that gets them wrong exposes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effect: Option<String>,
    /// Spec clauses and write-ups.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<String>,
}

/// Everything about a run except its cases.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunMeta {
    /// This harness.
    pub harness: Tool,
    /// The implementation under test, as it introduced itself.
    pub iut: Tool,
    /// Whether the IUT is the built-in reference.
    pub iut_is_reference: bool,
    /// The paths given on the command line.
    pub paths: Vec<String>,
    /// The vector files loaded, in run order.
    pub files: Vec<String>,
    /// The options.
    pub options: Options,
    /// The adapter, when the IUT is an external implementation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub adapter: Option<AdapterInfo>,
    /// The wire drivers, when the run played wire cases against driver commands.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wire: Option<WireInfo>,
    /// The flag notes of the loaded files (file → flag → note).
    pub notes: BTreeMap<String, BTreeMap<String, FlagNote>>,
}

impl RunMeta {
    /// Whether `unsupported` fails this run without a baseline: always for the built-in
    /// reference (it must run every shipped vector), for an external implementation unless
    /// `--allow-unsupported` was given.
    pub fn unsupported_fails(&self) -> bool {
        self.iut_is_reference || !self.options.allow_unsupported
    }

    /// The notes of `r`'s flags, in flag order (a flag without a note is left out).
    pub fn notes_of<'a>(&'a self, r: &'a CaseResult) -> Vec<(&'a str, &'a FlagNote)> {
        let file = self.notes.get(&r.file);
        r.flags
            .iter()
            .filter_map(|f| file.and_then(|n| n.get(f)).map(|n| (f.as_str(), n)))
            .collect()
    }
}

/// How many cases ended each way.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// All cases run.
    pub total: usize,
    /// `pass`.
    pub pass: usize,
    /// `fail`.
    pub fail: usize,
    /// `unsupported`.
    pub unsupported: usize,
    /// `error`.
    pub error: usize,
}

impl Counts {
    /// Counts a list of results.
    pub fn of<'a>(results: impl IntoIterator<Item = &'a CaseResult>) -> Self {
        let mut c = Counts::default();
        for r in results {
            c.add(r.outcome);
        }
        c
    }

    /// Adds one outcome.
    pub fn add(&mut self, o: Outcome) {
        self.total += 1;
        match o {
            Outcome::Pass => self.pass += 1,
            Outcome::Fail => self.fail += 1,
            Outcome::Unsupported => self.unsupported += 1,
            Outcome::Error => self.error += 1,
        }
    }

    /// The one-line summary: `N passed, N failed, N unsupported, N errors`.
    pub fn line(&self) -> String {
        format!(
            "{} passed, {} failed, {} unsupported, {} errors",
            self.pass, self.fail, self.unsupported, self.error
        )
    }
}

/// A run, ready to be written out.
#[derive(Clone, Copy, Debug)]
pub struct Report<'a> {
    /// The run's metadata.
    pub meta: &'a RunMeta,
    /// One record per case, in run order.
    pub results: &'a [CaseResult],
    /// The gate's verdict, when a baseline was given.
    pub gate: Option<&'a Gate>,
}

impl Report<'_> {
    /// The run's counts.
    pub fn counts(&self) -> Counts {
        Counts::of(self.results)
    }

    /// Whether the run passes: the rule behind its exit code ([`crate::baseline::run_passes`]).
    pub fn passed(&self) -> bool {
        crate::baseline::run_passes(self.results, self.meta.unsupported_fails(), self.gate)
    }
}

/// The report file names, in the order they are written.
pub const FILES: [&str; 4] = ["results.json", "junit.xml", "summary.md", "index.html"];

/// Writes the four reports into `out` (created if missing).
pub fn write_all(out: &Path, report: &Report<'_>) -> Result<(), HarnessError> {
    fs::create_dir_all(out).map_err(|source| HarnessError::Write {
        path: out.to_owned(),
        source,
    })?;
    write_file(&out.join("results.json"), |w| render_json(report, w))?;
    write_file(&out.join("junit.xml"), |w| render_junit(report, w))?;
    write_file(&out.join("summary.md"), |w| render_summary(report, w))?;
    write_file(&out.join("index.html"), |w| render_html(report, w))?;
    Ok(())
}

fn write_file(
    path: &PathBuf,
    render: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), HarnessError> {
    let wrap = |source| HarnessError::Write {
        path: path.clone(),
        source,
    };
    let file = fs::File::create(path).map_err(wrap)?;
    let mut w = BufWriter::new(file);
    render(&mut w).map_err(wrap)?;
    w.flush().map_err(wrap)
}

/// What a case expected, in words.
pub fn expected_text(r: &CaseResult) -> String {
    match (r.expected, &r.expected_error) {
        (Verdict::Valid, _) => "valid: accept".into(),
        (Verdict::Invalid, Some(e)) => format!("invalid: reject with {e}"),
        (Verdict::Invalid, None) => "invalid: reject".into(),
        (Verdict::Acceptable, _) => "acceptable: accept or reject".into(),
    }
}

/// What the IUT did, in words.
pub fn got_text(r: &CaseResult) -> String {
    match (&r.error, r.outcome) {
        (_, Outcome::Unsupported) => "unsupported operation".into(),
        (_, Outcome::Error) => "IUT error (crash, hang or garbage answer)".into(),
        (Some(e), _) => format!("rejected with {e}"),
        (None, Outcome::Fail) if r.expected == Verdict::Valid => {
            "accepted, with other outputs (see detail)".into()
        }
        (None, _) => "accepted".into(),
    }
}

/// Quotes a word for a POSIX shell when it needs it.
pub fn shell_quote(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars().all(|c| {
            c.is_ascii_alphanumeric()
                || matches!(c, '_' | '-' | '.' | '/' | ':' | '+' | '=' | '@' | ',')
        });
    if plain {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// What a repro command must carry to rerun a case as its run did.
#[derive(Clone, Copy, Debug)]
pub struct Rerun<'a> {
    /// The adapter command and `--timeout-ms`, for an external implementation.
    pub adapter: Option<(&'a str, u64)>,
    /// The wire driver commands and `--timeout-ms`.
    pub wire: Option<&'a WireInfo>,
    /// `--acceptable`.
    pub acceptable: &'a str,
    /// `--strict-errors`.
    pub strict_errors: bool,
}

impl<'a> Rerun<'a> {
    /// The options of a run.
    pub fn of(meta: &'a RunMeta) -> Self {
        Rerun {
            adapter: meta
                .adapter
                .as_ref()
                .map(|a| (a.command.as_str(), a.timeout_ms)),
            wire: meta.wire.as_ref(),
            acceptable: &meta.options.acceptable,
            strict_errors: meta.options.strict_errors,
        }
    }

    /// The command that reruns one file so, without the `--filter tcId=N`.
    pub fn prefix(&self, file: &str) -> String {
        let mut cmd = format!("mtproto-harness run {}", shell_quote(file));
        if let Some((command, timeout_ms)) = self.adapter {
            cmd.push_str(" --iut ");
            cmd.push_str(&shell_quote(command));
            cmd.push_str(&format!(" --timeout-ms {timeout_ms}"));
        }
        if let Some(w) = self.wire {
            if let Some(c) = &w.client {
                cmd.push_str(" --client ");
                cmd.push_str(&shell_quote(c));
            }
            if let Some(c) = &w.server {
                cmd.push_str(" --server ");
                cmd.push_str(&shell_quote(c));
            }
            cmd.push_str(&format!(" --timeout-ms {}", w.timeout_ms));
        }
        if self.acceptable != "pass" {
            cmd.push_str(" --acceptable ");
            cmd.push_str(self.acceptable);
        }
        if self.strict_errors {
            cmd.push_str(" --strict-errors");
        }
        cmd
    }

    /// The command that reruns exactly one case.
    pub fn case(&self, file: &str, tc_id: u64) -> String {
        format!("{} --filter tcId={tc_id}", self.prefix(file))
    }
}

/// The command that reruns one file with the run's options, without the `--filter tcId=N`.
pub fn repro_prefix(meta: &RunMeta, file: &str) -> String {
    Rerun::of(meta).prefix(file)
}

/// The command that reruns exactly one case.
pub fn repro(meta: &RunMeta, r: &CaseResult) -> String {
    format!("{} --filter tcId={}", repro_prefix(meta, &r.file), r.tc_id)
}

/// Outcome counts and failing cases for one family or flag.
#[derive(Clone, Debug, Default)]
pub struct Tally {
    /// The counts.
    pub counts: Counts,
    /// The non-passing cases: (file, tcId, outcome).
    pub failing: Vec<(String, u64, Outcome)>,
}

impl Tally {
    fn add(&mut self, r: &CaseResult) {
        self.counts.add(r.outcome);
        if r.outcome != Outcome::Pass {
            self.failing.push((r.file.clone(), r.tc_id, r.outcome));
        }
    }
}

/// Per-family and per-flag tallies.
#[derive(Clone, Debug, Default)]
pub struct Breakdown {
    /// By family.
    pub families: BTreeMap<String, Tally>,
    /// By flag: the flag's `bugType` and its tally. Cases without flags are under `(none)`.
    pub flags: BTreeMap<String, (String, Tally)>,
}

/// The key cases without flags are tallied under.
pub const NO_FLAG: &str = "(none)";

impl Breakdown {
    /// Tallies a run.
    pub fn of(results: &[CaseResult]) -> Self {
        let mut b = Breakdown::default();
        for r in results {
            b.families.entry(r.family.clone()).or_default().add(r);
            if r.flags.is_empty() {
                b.flags.entry(NO_FLAG.to_owned()).or_default().1.add(r);
            }
            for (i, flag) in r.flags.iter().enumerate() {
                let entry = b.flags.entry(flag.clone()).or_default();
                if entry.0.is_empty() {
                    entry.0 = r.bug_types.get(i).cloned().unwrap_or_default();
                }
                entry.1.add(r);
            }
        }
        b
    }
}

/// Replaces control characters (newlines included) with spaces: for one-line fields.
pub fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// The short name of an outcome.
pub fn outcome_str(o: Outcome) -> &'static str {
    outcome_name(o)
}

#[cfg(test)]
pub(crate) mod test_support {
    use super::*;

    pub fn case(file: &str, tc_id: u64, outcome: Outcome) -> CaseResult {
        CaseResult {
            file: file.to_owned(),
            family: file.split('/').nth(1).unwrap_or("x").to_owned(),
            algorithm: "AES-256-IGE".into(),
            tc_id,
            group_type: "IgeTest".into(),
            comment: format!("case {tc_id} </script><b>&amp;\"'"),
            flags: if tc_id.is_multiple_of(2) {
                vec!["NotBlockAligned".into()]
            } else {
                vec![]
            },
            bug_types: if tc_id.is_multiple_of(2) {
                vec!["MODIFIED_LENGTH".into()]
            } else {
                vec![]
            },
            expected: if tc_id.is_multiple_of(2) {
                Verdict::Invalid
            } else {
                Verdict::Valid
            },
            expected_error: (tc_id.is_multiple_of(2)).then(|| "NotBlockAligned".into()),
            outcome,
            error: None,
            detail: if outcome == Outcome::Pass {
                String::new()
            } else {
                "ct: expected 00ff, got 00fe".into()
            },
            vector: serde_json::json!({"tcId": tc_id, "comment": "</script>", "ct": "00ff"}),
        }
    }

    pub fn meta() -> RunMeta {
        RunMeta {
            harness: Tool {
                name: "mtproto-harness".into(),
                version: "0.1.0".into(),
            },
            iut: Tool {
                name: "reference".into(),
                version: "0.1.0".into(),
            },
            iut_is_reference: true,
            paths: vec!["vectors/".into()],
            files: vec!["vectors/ige/a_test.json".into()],
            options: Options {
                filters: vec![],
                acceptable: "pass".into(),
                strict_errors: false,
                baseline: None,
                allow_unsupported: false,
                deadline: None,
            },
            adapter: None,
            wire: None,
            notes: BTreeMap::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::*;
    use super::*;

    #[test]
    fn quoting_and_repro() {
        assert_eq!(
            shell_quote("vectors/ige/a_test.json"),
            "vectors/ige/a_test.json"
        );
        assert_eq!(shell_quote("a b'c"), r"'a b'\''c'");
        let r = case("vectors/ige/a_test.json", 7, Outcome::Fail);
        assert_eq!(
            repro(&meta(), &r),
            "mtproto-harness run vectors/ige/a_test.json --filter tcId=7"
        );
    }

    /// Defect 7: repros dropped `--iut` and `--timeout-ms`, so they reran the reference.
    #[test]
    fn repro_of_an_adapter_run_names_the_adapter_and_its_options() {
        let mut m = meta();
        m.adapter = Some(AdapterInfo {
            command: "python3 'my adapter.py' --x".into(),
            hello: HelloInfo {
                name: "x".into(),
                version: "1".into(),
                ops: vec![],
            },
            timeout_ms: 2500,
            max_failures_in_a_row: 5,
            restarts: 0,
            gave_up: None,
        });
        m.options.acceptable = "fail".into();
        m.options.strict_errors = true;
        let r = case("vectors/ige/a_test.json", 7, Outcome::Fail);
        assert_eq!(
            repro(&m, &r),
            "mtproto-harness run vectors/ige/a_test.json --iut 'python3 '\\''my adapter.py'\\'' --x' \
             --timeout-ms 2500 --acceptable fail --strict-errors --filter tcId=7"
        );
    }

    #[test]
    fn breakdown_counts() {
        let results: Vec<_> = (1..=6)
            .map(|n| {
                case(
                    "vectors/ige/a_test.json",
                    n,
                    if n == 4 { Outcome::Fail } else { Outcome::Pass },
                )
            })
            .collect();
        let b = Breakdown::of(&results);
        assert_eq!(b.families["ige"].counts.total, 6);
        assert_eq!(b.flags["NotBlockAligned"].1.counts.fail, 1);
        assert_eq!(b.flags["NotBlockAligned"].0, "MODIFIED_LENGTH");
        assert_eq!(b.flags[NO_FLAG].1.counts.total, 3);
    }
}
