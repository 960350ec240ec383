//! `junit.xml`: a `<testsuite>` per vector file, a `<testcase>` per case, named `tcId N: comment`.
//!
//! `fail` is a `<failure>` (expected vs got, the detail, the notes of the case's flags — the rule
//! it enforces and the spec links — and a repro command), `error` an
//! `<error>`, `unsupported` a `<skipped>`. The `tests`/`failures`/`errors`/`skipped` attributes
//! equal `results.json`'s counts.

use std::fmt::Write as _;
use std::io::{self, Write};

use mtproto_vectors::{CaseResult, Outcome};

use super::{Counts, Report, expected_text, got_text, one_line, repro};

/// Escapes text for XML 1.0 content and attributes. Characters XML cannot carry become U+FFFD;
/// tabs and line ends are written as character references so attributes keep them.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// Writes `junit.xml`.
pub fn render(report: &Report<'_>, w: &mut dyn Write) -> io::Result<()> {
    let counts = report.counts();
    let mut out = String::with_capacity(256 * report.results.len() + 512);
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"mtproto-harness\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\">",
        counts.total, counts.fail, counts.error, counts.unsupported
    );
    for (file, cases) in by_file(report.results) {
        let c = Counts::of(cases.iter().copied());
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\">",
            escape(file),
            c.total,
            c.fail,
            c.error,
            c.unsupported
        );
        if let Some(first) = cases.first() {
            let _ = writeln!(
                out,
                "    <properties><property name=\"algorithm\" value=\"{}\"/><property name=\"iut\" value=\"{}\"/></properties>",
                escape(&first.algorithm),
                escape(&format!(
                    "{} {}",
                    report.meta.iut.name, report.meta.iut.version
                ))
            );
        }
        for r in cases {
            case(&mut out, report, r);
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    w.write_all(out.as_bytes())
}

fn case(out: &mut String, report: &Report<'_>, r: &CaseResult) {
    let name = format!("tcId {}: {}", r.tc_id, one_line(&r.comment));
    let classname = classname(&r.file);
    let _ = write!(
        out,
        "    <testcase name=\"{}\" classname=\"{}\" file=\"{}\"",
        escape(&name),
        escape(&classname),
        escape(&r.file)
    );
    let body = || {
        let mut b = format!(
            "expected: {}\ngot: {}\ndetail: {}\n",
            expected_text(r),
            got_text(r),
            r.detail
        );
        if !r.flags.is_empty() {
            let _ = writeln!(b, "flags: {}", r.flags.join(", "));
        }
        // Why the case exists: the rule each flag enforces and the spec clauses behind it.
        for (flag, note) in report.meta.notes_of(r) {
            let _ = writeln!(b, "flag {flag} ({}): {}", note.bug_type, note.description);
            if let Some(effect) = &note.effect {
                let _ = writeln!(b, "  effect: {effect}");
            }
            for link in &note.links {
                let _ = writeln!(b, "  spec: {link}");
            }
        }
        let _ = writeln!(b, "type: {}", r.group_type);
        let _ = writeln!(b, "repro: {}", repro(report.meta, r));
        b
    };
    let message = || format!("expected {}; got {}", expected_text(r), got_text(r));
    match r.outcome {
        Outcome::Pass => out.push_str("/>\n"),
        Outcome::Fail => {
            let _ = write!(
                out,
                ">\n      <failure type=\"fail\" message=\"{}\">{}</failure>\n    </testcase>\n",
                escape(&message()),
                escape(&body())
            );
        }
        Outcome::Error => {
            let _ = write!(
                out,
                ">\n      <error type=\"error\" message=\"{}\">{}</error>\n    </testcase>\n",
                escape(&message()),
                escape(&body())
            );
        }
        Outcome::Unsupported => {
            let _ = write!(
                out,
                ">\n      <skipped message=\"{}\"/>\n    </testcase>\n",
                escape(&format!("unsupported: {}", one_line(&r.detail)))
            );
        }
    }
}

/// `vectors/ige/aes_test.json` -> `ige.aes_test`.
fn classname(file: &str) -> String {
    let file = file.strip_suffix(".json").unwrap_or(file);
    let file = file.strip_prefix("vectors/").unwrap_or(file);
    file.replace('/', ".")
}

/// Groups results by file, files in order of first appearance.
pub(crate) fn by_file(results: &[CaseResult]) -> Vec<(&str, Vec<&CaseResult>)> {
    let mut groups: Vec<(&str, Vec<&CaseResult>)> = Vec::new();
    let mut index = std::collections::HashMap::new();
    for r in results {
        let i = *index.entry(r.file.as_str()).or_insert_with(|| {
            groups.push((r.file.as_str(), Vec::new()));
            groups.len() - 1
        });
        if let Some(g) = groups.get_mut(i) {
            g.1.push(r);
        }
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_everything_xml_cannot_carry() {
        assert_eq!(
            escape("a<b>&\"'\n\u{1}"),
            "a&lt;b&gt;&amp;&quot;&apos;&#10;\u{fffd}"
        );
    }

    #[test]
    fn classnames() {
        assert_eq!(classname("vectors/ige/aes_test.json"), "ige.aes_test");
        assert_eq!(classname("x/y.json"), "x.y");
    }
}
