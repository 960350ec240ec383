//! `what-fails.md` and the generated sections of README.md: the matrix's failing cases as one
//! line per weakness per implementation.
//!
//! A weakness is [`Weakness`]: the failing and erroring cases of one implementation in one cell
//! (a family, or a wire role) that come from the same vector file and carry the same flags, with
//! at least one `fail` among them. Each failing case is in exactly one line. A group of `error`
//! cases only (a crash, a hang, an exception, a transport the driver lacks) shows no verdict, so it
//! is not listed as a weakness: each implementation's count of such cases follows the table. The lines follow the matrix: rows in its order,
//! then cells by column name, then file, then flags, so the text is a function of
//! `matrix.json` alone and a test can tell when README.md's copy is stale.

use std::fmt::Write as _;

use super::matrix::{Matrix, Row, Weakness, anchor, compress, markdown_table};

/// The file name, next to `matrix.md`.
pub const FILE: &str = "what-fails.md";

/// A generated section of README.md: the text between its two marker lines is the matrix's.
#[derive(Clone, Copy, Debug)]
pub struct Section {
    /// What it holds (for messages).
    pub name: &'static str,
    /// The line before it.
    pub begin: &'static str,
    /// The line after it.
    pub end: &'static str,
}

/// The implementations × families table.
pub const TABLE: Section = Section {
    name: "matrix table",
    begin: "<!-- matrix-table:begin (generated from reports/matrix/matrix.json by `mtproto-harness matrix --readme`) -->",
    end: "<!-- matrix-table:end -->",
};

/// The weakness lines.
pub const WHAT_FAILS: Section = Section {
    name: "what fails",
    begin: "<!-- what-fails:begin (generated from reports/matrix/matrix.json by `mtproto-harness matrix --readme`) -->",
    end: "<!-- what-fails:end -->",
};

/// Where `matrix.md` is, seen from README.md.
const README_MATRIX: &str = "reports/matrix/matrix.md";

fn library(r: &Row) -> String {
    if r.version.is_empty() {
        format!("{} (no version reported)", r.implementation)
    } else {
        format!("{} {}", r.implementation, r.version)
    }
}

fn flags(w: &Weakness) -> String {
    if w.flags.is_empty() {
        "(no flag)".to_owned()
    } else {
        w.flags
            .iter()
            .map(|f| format!("`{f}`"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn outcomes(w: &Weakness) -> String {
    match (w.fail, w.error) {
        (f, 0) => format!("{f} fail"),
        (0, e) => format!("{e} error"),
        (f, e) => format!("{f} fail, {e} error"),
    }
}

/// How many weaknesses the matrix shows, and in how many implementations.
pub fn count(m: &Matrix) -> (usize, usize) {
    let per_row: Vec<usize> = m
        .implementations
        .iter()
        .map(|r| {
            r.cells
                .values()
                .map(|c| {
                    c.weaknesses
                        .iter()
                        .filter(|w| w.shown_by_a_verdict())
                        .count()
                })
                .sum()
        })
        .collect();
    (
        per_row.iter().sum(),
        per_row.iter().filter(|&&n| n > 0).count(),
    )
}

/// The weakness table, its case links pointing at `matrix` (the path of `matrix.md`).
pub fn table(m: &Matrix, matrix: &str) -> String {
    let (weaknesses, implementations) = count(m);
    let mut s = format!(
        "{weaknesses} weaknesses in {implementations} implementations: one line per failing \
         (family or wire role, vector file, flags) of each implementation with at least one \
         `fail` verdict; `error` is a case that could not be judged (a crash, a hang, a library \
         exception; over the wire also a transport the driver lacks: the cell's details say \
         which), listed in a line only beside a failing case of the same group and otherwise \
         only counted below the table. The cases link to their cell in [matrix.md]({matrix}), \
         which has each one's repro command.\n\n\
         | library | level | family / role | vector file | flags | cases (tcIds) |\n\
         |---|---|---|---|---|---|\n"
    );
    for r in &m.implementations {
        for (column, cell) in &r.cells {
            let level = if column.starts_with("wire") {
                "wire"
            } else {
                "function"
            };
            for w in cell.weaknesses.iter().filter(|w| w.shown_by_a_verdict()) {
                let _ = writeln!(
                    s,
                    "| {} | {level} | {column} | `{}` | {} | {}: [{}]({matrix}#{}) |",
                    library(r),
                    w.file.strip_prefix("vectors/").unwrap_or(&w.file),
                    flags(w),
                    outcomes(w),
                    compress(&w.tc_ids),
                    anchor(&r.name, column)
                );
            }
        }
    }
    let unjudged: Vec<String> = m
        .implementations
        .iter()
        .filter_map(|r| {
            let n: usize = r
                .cells
                .values()
                .flat_map(|c| &c.weaknesses)
                .filter(|w| !w.shown_by_a_verdict())
                .map(|w| w.error)
                .sum();
            (n > 0).then(|| format!("{} {n}", library(r)))
        })
        .collect();
    if !unjudged.is_empty() {
        let _ = writeln!(
            s,
            "\nCases that could not be judged, in groups with no failing case (not weaknesses; \
             matrix.md says why each one errs): {}.",
            unjudged.join(", ")
        );
    }
    s
}

/// `what-fails.md`.
pub fn file(m: &Matrix) -> String {
    format!(
        "# What fails\n\nGenerated by `mtproto-harness matrix` with `matrix.json` (README.md's \
         \"What fails\" section is the same table).\n\n{}",
        table(m, "matrix.md")
    )
}

/// The text of a README section for `m`.
fn section_text(section: Section, m: &Matrix) -> String {
    if section.name == TABLE.name {
        markdown_table(m)
    } else {
        table(m, README_MATRIX)
    }
}

/// The byte range of the text between a section's marker lines (each a line of its own).
fn find(text: &str, section: Section) -> Result<(usize, usize), String> {
    let missing = |marker: &str| {
        format!(
            "README: the {} section's marker line is missing: {marker}",
            section.name
        )
    };
    let begin_line = format!("{}\n", section.begin);
    let start = text
        .find(&begin_line)
        .ok_or_else(|| missing(section.begin))?
        + begin_line.len();
    let rest = text.get(start..).unwrap_or("");
    let end = if rest.starts_with(&format!("{}\n", section.end)) {
        start
    } else {
        rest.find(&format!("\n{}\n", section.end))
            .map(|i| start + i + 1)
            .ok_or_else(|| missing(section.end))?
    };
    Ok((start, end))
}

/// README text with its generated sections rewritten from `m`.
pub fn update(text: &str, m: &Matrix) -> Result<String, String> {
    let mut out = text.to_owned();
    for section in [TABLE, WHAT_FAILS] {
        let (start, end) = find(&out, section)?;
        out.replace_range(start..end, &section_text(section, m));
    }
    Ok(out)
}

/// `Ok` when README's generated sections are what `m` gives; else the first line that differs.
pub fn check(text: &str, m: &Matrix) -> Result<(), String> {
    for section in [TABLE, WHAT_FAILS] {
        let (start, end) = find(text, section)?;
        let have = text.get(start..end).unwrap_or("");
        let want = section_text(section, m);
        if have != want {
            let line = have
                .lines()
                .zip(want.lines())
                .position(|(a, b)| a != b)
                .unwrap_or_else(|| have.lines().count().min(want.lines().count()));
            return Err(format!(
                "README's {} section is not what the matrix gives (first difference at its line \
                 {}: README has {:?}, the matrix gives {:?}); regenerate it with `mtproto-harness \
                 matrix --from reports/matrix/matrix.json --readme README.md`",
                section.name,
                line + 1,
                have.lines().nth(line).unwrap_or("(end)"),
                want.lines().nth(line).unwrap_or("(end)")
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cmd::matrix::row;
    use crate::report::test_support::case;
    use mtproto_vectors::Outcome;

    fn matrix() -> Matrix {
        let file = "vectors/envelope/envelope_decrypt_test.json";
        let mut results = Vec::new();
        for (n, outcome, flags) in [
            (1, Outcome::Pass, vec!["Valid"]),
            (4, Outcome::Fail, vec!["Pseudorandom", "PaddingTooShort"]),
            (3, Outcome::Fail, vec!["Pseudorandom", "PaddingTooShort"]),
            (5, Outcome::Error, vec!["Pseudorandom", "PaddingTooShort"]),
            (9, Outcome::Fail, vec!["Pseudorandom"]),
            (2, Outcome::Error, vec![]),
        ] {
            let mut c = case(file, n, outcome);
            c.family = "envelope".into();
            c.flags = flags.into_iter().map(str::to_owned).collect();
            results.push(c);
        }
        let mut wire = case("vectors/wire/wire_client_test.json", 16, Outcome::Fail);
        wire.family = "wire".into();
        wire.group_type = "WireClientTest".into();
        wire.flags = vec!["Decoy".into(), "Envelope".into()];
        results.push(wire);
        let r = row("lib", ("lib", "1.2"), "python3 a.py", 700, &results, None);
        let clean = row(
            "clean",
            ("clean", "0.1"),
            "node b.js",
            700,
            &results[..1],
            None,
        );
        Matrix {
            families: vec!["envelope".into(), "wire (client)".into()],
            cases: [("envelope".to_owned(), 6), ("wire (client)".to_owned(), 1)].into(),
            implementations: vec![clean, r],
        }
    }

    /// Issue 20: one line per weakness (file × flags within a cell), every failing case in
    /// exactly one line, with the library's version, the level, outcomes and linked tcIds.
    #[test]
    fn each_failing_case_is_in_exactly_one_weakness_line() {
        let m = matrix();
        let t = table(&m, "matrix.md");
        let lines: Vec<&str> = t.lines().filter(|l| l.starts_with("| lib ")).collect();
        assert_eq!(
            lines,
            vec![
                "| lib 1.2 | function | envelope | `envelope/envelope_decrypt_test.json` | `Pseudorandom` | 1 fail: [9](matrix.md#lib-envelope) |",
                "| lib 1.2 | function | envelope | `envelope/envelope_decrypt_test.json` | `Pseudorandom`, `PaddingTooShort` | 2 fail, 1 error: [3..5](matrix.md#lib-envelope) |",
                "| lib 1.2 | wire | wire (client) | `wire/wire_client_test.json` | `Decoy`, `Envelope` | 1 fail: [16](matrix.md#lib-wire--client-) |",
            ],
            "{t}"
        );
        assert!(t.starts_with("3 weaknesses in 1 implementations"), "{t}");
        // An error-only group is counted, not listed as a weakness.
        assert!(!t.contains("| 1 error: [2]"), "{t}");
        assert!(t.contains("could not be judged, in groups with no failing case (not weaknesses; matrix.md says why each one errs): lib 1.2 1."), "{t}");
        assert!(!t.contains("| clean"), "{t}");
        // The anchors the lines link to exist in matrix.md.
        let md = crate::cmd::matrix::markdown(&m);
        assert!(md.contains("<a id=\"lib-wire--client-\"></a>"), "{md}");
        assert!(md.contains("<a id=\"lib-envelope\"></a>"), "{md}");
    }

    /// README's generated sections: rewritten between their markers, other text untouched, and
    /// `check` names the stale section.
    #[test]
    fn readme_sections_are_rewritten_and_checked() {
        let m = matrix();
        let readme = format!(
            "# x\n\nintro\n\n{}\nold table\n{}\n\nkept words\n\n{}\n- stale claim\n{}\nend\n",
            TABLE.begin, TABLE.end, WHAT_FAILS.begin, WHAT_FAILS.end
        );
        let err = check(&readme, &m).unwrap_err();
        assert!(err.contains("matrix table"), "{err}");
        let new = update(&readme, &m).unwrap();
        assert!(new.contains("kept words") && new.starts_with("# x\n\nintro\n\n"));
        assert!(!new.contains("stale claim") && !new.contains("old table"));
        assert!(
            new.contains("(reports/matrix/matrix.md#lib-envelope)"),
            "{new}"
        );
        check(&new, &m).unwrap();
        assert_eq!(update(&new, &m).unwrap(), new);
        let edited = new.replace("| 1 fail: [9]", "| 2 fail: [9]");
        let err = check(&edited, &m).unwrap_err();
        assert!(
            err.contains("what fails") && err.contains("2 fail: [9]"),
            "{err}"
        );
        // An empty section (marker lines next to each other) is found and filled.
        let empty = format!(
            "{}\n{}\n{}\n{}\n",
            TABLE.begin, TABLE.end, WHAT_FAILS.begin, WHAT_FAILS.end
        );
        check(&update(&empty, &m).unwrap(), &m).unwrap();
        let err = check("no markers\n", &m).unwrap_err();
        assert!(err.contains("marker line is missing"), "{err}");
    }

    /// Issue 20: README's "What fails" and matrix table are the committed matrix's (regenerate
    /// with `mtproto-harness matrix --from reports/matrix/matrix.json --readme README.md`).
    #[test]
    fn readme_matches_the_committed_matrix() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let json = std::fs::read_to_string(root.join("reports/matrix/matrix.json")).unwrap();
        let m: Matrix = serde_json::from_str(&json).unwrap();
        let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
        if let Err(e) = check(&readme, &m) {
            panic!("{e}");
        }
    }
}
