//! `index.html`: one self-contained page (inline CSS and JS, a Content-Security-Policy that
//! forbids every fetch) built from the run's data embedded as JSON.
//!
//! The data is compact (string tables for files, types and flags; the vector only for cases that
//! did not pass) and the page renders the case table a page at a time, so it stays usable at
//! tens of thousands of cases. Untrusted text (comments, details, vectors) never reaches HTML as
//! markup: the embedded JSON has `<`, `>`, `&`, U+2028/U+2029 and `://` escaped, so it cannot
//! close its `<script>` element, and the script inserts it with `textContent` only.

use std::collections::HashMap;
use std::io::{self, Write};

use mtproto_vectors::{Outcome, Verdict};
use serde::Serialize;
use serde_json::{Value, json};

use super::{Counts, Report, expected_text, got_text, repro_prefix};

const TEMPLATE: &str = include_str!("index.html");
const PLACEHOLDER: &str = "/*DATA*/null";

#[derive(Serialize)]
struct FileRow<'a> {
    path: &'a str,
    family: &'a str,
    algorithm: &'a str,
    repro: String,
    /// The notes of the flags this file's cases carry: flag → note.
    notes: std::collections::BTreeMap<&'a str, &'a super::FlagNote>,
}

/// Interns strings into a table, returning indexes.
#[derive(Default)]
struct Table<'a> {
    items: Vec<&'a str>,
    index: HashMap<&'a str, usize>,
}

impl<'a> Table<'a> {
    fn id(&mut self, s: &'a str) -> usize {
        if let Some(&i) = self.index.get(s) {
            return i;
        }
        self.items.push(s);
        self.index.insert(s, self.items.len() - 1);
        self.items.len() - 1
    }
}

fn outcome_code(o: Outcome) -> u8 {
    match o {
        Outcome::Pass => 0,
        Outcome::Fail => 1,
        Outcome::Unsupported => 2,
        Outcome::Error => 3,
    }
}

fn verdict_code(v: Verdict) -> &'static str {
    match v {
        Verdict::Valid => "valid",
        Verdict::Invalid => "invalid",
        Verdict::Acceptable => "acceptable",
    }
}

/// Makes JSON text safe inside a `<script>` element and free of URL-looking text: only string
/// contents can hold these characters, and the replacements are JSON escapes of the same text.
pub fn script_safe_json(json: &str) -> String {
    let mut out = String::with_capacity(json.len() + json.len() / 16);
    let mut rest = json;
    while let Some(c) = rest.chars().next() {
        if rest.starts_with("://") {
            out.push_str(":\\/\\/");
            rest = rest.get(3..).unwrap_or_default();
            continue;
        }
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
        rest = rest.get(c.len_utf8()..).unwrap_or_default();
    }
    out
}

/// Writes `index.html`.
pub fn render(report: &Report<'_>, w: &mut dyn Write) -> io::Result<()> {
    let meta = report.meta;
    let mut files: Table<'_> = Table::default();
    let mut file_rows: Vec<FileRow<'_>> = Vec::new();
    let mut types: Table<'_> = Table::default();
    let mut flags: Table<'_> = Table::default();
    let mut flag_bug: Vec<&str> = Vec::new();
    let mut cases = Vec::with_capacity(report.results.len());
    for r in report.results {
        let before = files.items.len();
        let file = files.id(&r.file);
        if files.items.len() > before {
            file_rows.push(FileRow {
                path: &r.file,
                family: &r.family,
                algorithm: &r.algorithm,
                repro: repro_prefix(meta, &r.file),
                notes: std::collections::BTreeMap::new(),
            });
        }
        if let Some(row) = file_rows.get_mut(file) {
            for (flag, note) in meta.notes_of(r) {
                row.notes.insert(flag, note);
            }
        }
        let ty = types.id(&r.group_type);
        let mut case_flags = Vec::with_capacity(r.flags.len());
        for (i, f) in r.flags.iter().enumerate() {
            let before = flags.items.len();
            let id = flags.id(f);
            if flags.items.len() > before {
                flag_bug.push(r.bug_types.get(i).map(String::as_str).unwrap_or(""));
            }
            case_flags.push(id);
        }
        let passed = r.outcome == Outcome::Pass;
        cases.push(json!([
            file,
            r.tc_id,
            ty,
            r.comment,
            case_flags,
            verdict_code(r.expected),
            r.expected_error,
            outcome_code(r.outcome),
            r.error,
            r.detail,
            if passed {
                Value::Null
            } else {
                r.vector.clone()
            },
            if passed {
                Value::Null
            } else {
                json!([expected_text(r), got_text(r)])
            },
        ]));
    }
    let flag_rows: Vec<Value> = flags
        .items
        .iter()
        .zip(&flag_bug)
        .map(|(name, bug)| json!({"name": name, "bugType": bug}))
        .collect();
    let counts: Counts = report.counts();
    // The notes travel with the files that use them, not once more in `meta`.
    let mut meta_json = serde_json::to_value(meta).map_err(io::Error::other)?;
    if let Some(m) = meta_json.as_object_mut() {
        m.remove("notes");
    }
    let data = json!({
        "meta": meta_json,
        "counts": counts,
        "passed": report.passed(),
        "gate": report.gate,
        "files": file_rows,
        "types": types.items,
        "flags": flag_rows,
        "cases": cases,
    });
    let text = serde_json::to_string(&data).map_err(io::Error::other)?;
    let safe = script_safe_json(&text);
    let Some((head, tail)) = TEMPLATE.split_once(PLACEHOLDER) else {
        return Err(io::Error::other(
            "index.html template lacks its data placeholder",
        ));
    };
    w.write_all(head.as_bytes())?;
    w.write_all(safe.as_bytes())?;
    w.write_all(tail.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_json_cannot_close_the_script() {
        let raw =
            serde_json::to_string(&json!({"c": "</script><!-- & \u{2028} https://x"})).unwrap();
        let safe = script_safe_json(&raw);
        assert!(!safe.contains('<') && !safe.contains('>') && !safe.contains('&'));
        assert!(!safe.contains("://"));
        let back: Value = serde_json::from_str(&safe).unwrap();
        assert_eq!(back["c"], "</script><!-- & \u{2028} https://x");
    }
}
