//! `summary.md`: counts per family and per flag, failing tcIds and the gate's verdict, in GitHub
//! Flavored Markdown small enough for `$GITHUB_STEP_SUMMARY` (1 MiB): long lists are cut, with
//! the full list in `results.json`.

use std::fmt::Write as _;
use std::io::{self, Write};

use mtproto_vectors::Outcome;

use super::{Breakdown, Counts, Report, Tally, expected_text, got_text, one_line, repro};
use crate::baseline::Breach;

/// Failing tcIds listed per table row before "and N more".
const IDS_PER_ROW: usize = 20;
/// Failures listed in detail.
const DETAILED: usize = 50;
/// Gate breaches listed.
const BREACHES: usize = 100;

/// Escapes text for a Markdown table cell: no HTML, no table breaks, no emphasis, no links.
pub fn md(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in one_line(s).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '|' => out.push_str("&#124;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '#' | '~' | '!' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// Cuts text to `max` characters, marking the cut (the full text is in `results.json`).
fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(max).collect();
    out.push('…');
    out
}

fn counts_cells(c: &Counts) -> String {
    format!(
        "{} | {} | {} | {} | {}",
        c.total, c.pass, c.fail, c.unsupported, c.error
    )
}

fn failing_ids(t: &Tally) -> String {
    if t.failing.is_empty() {
        return "—".into();
    }
    let mut parts: Vec<String> = t
        .failing
        .iter()
        .take(IDS_PER_ROW)
        .map(|(file, id, o)| {
            let stem = file.rsplit('/').next().unwrap_or(file);
            let stem = stem.strip_suffix(".json").unwrap_or(stem);
            let mark = if *o == Outcome::Fail {
                String::new()
            } else {
                format!(" ({})", super::outcome_str(*o))
            };
            format!("{}#{id}{mark}", md(stem))
        })
        .collect();
    if t.failing.len() > IDS_PER_ROW {
        parts.push(format!("and {} more", t.failing.len() - IDS_PER_ROW));
    }
    parts.join(", ")
}

/// Writes `summary.md`.
pub fn render(report: &Report<'_>, w: &mut dyn Write) -> io::Result<()> {
    let meta = report.meta;
    let counts = report.counts();
    let mut s = String::new();
    let icon = if report.passed() { "✅" } else { "❌" };
    let _ = writeln!(s, "## {icon} mtproto-harness: {}\n", counts.line());
    let _ = writeln!(
        s,
        "IUT **{} {}**{} · harness {} · paths: {} · filter: {} · acceptable: {} · strict errors: {}\n",
        md(&meta.iut.name),
        md(&meta.iut.version),
        if meta.iut_is_reference {
            " (built-in reference)"
        } else {
            ""
        },
        md(&meta.harness.version),
        md(&meta.paths.join(" ")),
        if meta.options.filters.is_empty() {
            "none".to_owned()
        } else {
            md(&meta.options.filters.join(" AND "))
        },
        md(&meta.options.acceptable),
        if meta.options.strict_errors {
            "yes"
        } else {
            "no"
        },
    );

    if let Some(a) = &meta.adapter {
        let _ = writeln!(
            s,
            "Adapter: <code>{}</code> · timeout {} ms · {} restarts · hello: {} {} ({} ops)\n",
            md(&a.command),
            a.timeout_ms,
            a.restarts,
            md(&a.hello.name),
            md(&a.hello.version),
            a.hello.ops.len()
        );
        if let Some(why) = &a.gave_up {
            let _ = writeln!(s, "**Adapter given up:** {}\n", md(why));
        }
    }
    if !super::super::baseline::any_ran(report.results) {
        s.push_str("**No selected case ran** (all unsupported or errors): the run fails.\n\n");
    }
    if let Some(gate) = report.gate {
        let _ = writeln!(
            s,
            "### Gate ({}): {}\n\n{} baseline entries: {} cases ended as baselined, {} not run; {}.\n",
            md(&gate.baseline),
            if gate.passed() { "passed" } else { "FAILED" },
            gate.entries,
            gate.matched,
            gate.out_of_scope,
            gate.kinds().line()
        );
        for b in gate.breaches.iter().take(BREACHES) {
            let (kind, file, id, why) = match b {
                Breach::NewFailure {
                    file,
                    tc_id,
                    detail,
                } => ("new failure", file, tc_id, detail),
                Breach::NowUnsupported {
                    file,
                    tc_id,
                    detail,
                } => ("now unsupported", file, tc_id, detail),
                Breach::OutcomeChanged {
                    file,
                    tc_id,
                    detail,
                    ..
                } => ("outcome changed", file, tc_id, detail),
                Breach::UnexpectedPass {
                    file,
                    tc_id,
                    reason,
                } => ("unexpected pass", file, tc_id, reason),
                Breach::StaleEntry { file, tc_id, why } => ("stale entry", file, tc_id, why),
            };
            let _ = writeln!(
                s,
                "- **{kind}**: {} tcId {id}: {}",
                md(file),
                md(&cut(&breach_text(b, why), 300))
            );
        }
        if gate.breaches.len() > BREACHES {
            let _ = writeln!(s, "- and {} more", gate.breaches.len() - BREACHES);
        }
        s.push('\n');
    }

    let b = Breakdown::of(report.results);
    s.push_str("### By family\n\n| family | cases | pass | fail | unsupported | error | failing tcIds |\n|---|---:|---:|---:|---:|---:|---|\n");
    for (family, t) in &b.families {
        let _ = writeln!(
            s,
            "| {} | {} | {} |",
            md(family),
            counts_cells(&t.counts),
            failing_ids(t)
        );
    }
    s.push_str("\n### By flag\n\n| flag | bugType | cases | pass | fail | unsupported | error | failing tcIds |\n|---|---|---:|---:|---:|---:|---:|---|\n");
    for (flag, (bug, t)) in &b.flags {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} |",
            md(flag),
            md(bug),
            counts_cells(&t.counts),
            failing_ids(t)
        );
    }

    let failing: Vec<_> = report
        .results
        .iter()
        .filter(|r| r.outcome != Outcome::Pass)
        .collect();
    if !failing.is_empty() {
        let _ = writeln!(
            s,
            "\n### Not passing ({} cases{})\n",
            failing.len(),
            if failing.len() > DETAILED {
                format!(", first {DETAILED} shown; all are in results.json")
            } else {
                String::new()
            }
        );
        s.push_str("| file | tcId | outcome | comment | flags | expected | got | detail | repro |\n|---|---:|---|---|---|---|---|---|---|\n");
        for r in failing.iter().take(DETAILED) {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} | {} | {} | <code>{}</code> |",
                md(&r.file),
                r.tc_id,
                super::outcome_str(r.outcome),
                md(&cut(&r.comment, 200)),
                md(&r.flags.join(", ")),
                md(&expected_text(r)),
                md(&got_text(r)),
                md(&cut(&r.detail, 400)),
                md(&repro(meta, r))
            );
        }
        why_they_exist(&mut s, report, &failing);
    }
    w.write_all(s.as_bytes())
}

/// The text a breach line shows: its own detail, with the expected outcome for a changed one.
fn breach_text(b: &Breach, why: &str) -> String {
    match b {
        Breach::OutcomeChanged { expected, got, .. } => {
            format!("baselined as {}, now {got}: {why}", expected.name())
        }
        _ => why.to_owned(),
    }
}

/// Flag notes shown for the failing cases' flags.
const NOTES: usize = 60;

/// `### Why these cases exist`: each flag of a non-passing case once, with its bug type, the
/// rule it enforces and the spec links, as its vector file's notes say.
fn why_they_exist(s: &mut String, report: &Report<'_>, failing: &[&mtproto_vectors::CaseResult]) {
    let mut seen = std::collections::BTreeSet::new();
    let mut lines = Vec::new();
    for r in failing {
        for (flag, note) in report.meta.notes_of(r) {
            if !seen.insert((r.file.as_str(), flag)) {
                continue;
            }
            let mut line = format!(
                "- **{}** ({}, {}): {}",
                md(flag),
                md(&note.bug_type),
                md(&r.file),
                md(&cut(&note.description, 600))
            );
            if let Some(effect) = &note.effect {
                let _ = write!(line, " Effect: {}", md(&cut(effect, 300)));
            }
            if !note.links.is_empty() {
                let links: Vec<String> = note
                    .links
                    .iter()
                    .map(|l| format!("<{}>", link(l)))
                    .collect();
                let _ = write!(line, " Spec: {}", links.join(" "));
            }
            lines.push(line);
        }
    }
    if lines.is_empty() {
        return;
    }
    s.push_str("\n### Why these cases exist\n\nThe flags of the cases above, as their vector files explain them.\n\n");
    let more = lines.len().saturating_sub(NOTES);
    for line in lines.into_iter().take(NOTES) {
        s.push_str(&line);
        s.push('\n');
    }
    if more > 0 {
        let _ = writeln!(s, "- and {more} more (all notes are in results.json)");
    }
}

/// A link for a Markdown autolink: only `http(s)://` text without spaces or angle brackets,
/// anything else escaped as plain text.
fn link(l: &str) -> String {
    let ok = (l.starts_with("https://") || l.starts_with("http://"))
        && !l
            .chars()
            .any(|c| c.is_whitespace() || c == '<' || c == '>' || c.is_control());
    if ok { l.to_owned() } else { md(l) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_text_is_cut() {
        assert_eq!(cut("abcdef", 3), "abc…");
        assert_eq!(cut("abc", 3), "abc");
    }

    #[test]
    fn cells_cannot_break_the_table() {
        assert_eq!(md("a|b\n<c>`d`"), "a&#124;b &lt;c&gt;\\`d\\`");
    }
}
