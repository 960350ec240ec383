//! One vocabulary: the error names come from the reference's error enums
//! (`mtproto::error::VOCABULARY`, one `vocabulary!` table per enum), and every other list is
//! derived from it or tested equal to it here.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use mtproto::error::VOCABULARY;
use mtproto_vectors::core::vocabulary::{HARNESS_NAMES, errors, is_error};
use serde_json::Value;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every `vocabulary!` table of error.rs, in file order: (enum, names).
fn tables_in_error_rs() -> Vec<(String, Vec<String>)> {
    let text = fs::read_to_string(repo().join("harness/mtproto/src/error.rs")).unwrap();
    let mut out = Vec::new();
    for block in text.split("vocabulary! {\n").skip(1) {
        let name = block.split_whitespace().next().unwrap().to_owned();
        let body = &block[..block.find("\n}").unwrap()];
        let body = body.split("via {").next().unwrap();
        let names = body
            .split("=> \"")
            .skip(1)
            .map(|s| s[..s.find('"').unwrap()].to_owned())
            .collect();
        out.push((name, names));
    }
    out
}

#[test]
fn every_enum_table_is_in_the_vocabulary() {
    let tables = tables_in_error_rs();
    assert_eq!(tables.len(), 13, "{tables:?}");
    let listed: Vec<(String, Vec<String>)> = VOCABULARY
        .iter()
        .map(|(e, names)| {
            (
                (*e).to_owned(),
                names.iter().map(|&n| n.to_owned()).collect(),
            )
        })
        .collect();
    assert_eq!(
        listed, tables,
        "mtproto::error::VOCABULARY must list every table, in file order"
    );
}

#[test]
fn the_loader_vocabulary_is_the_enums_plus_the_harness_names() {
    let mut want: Vec<&str> = Vec::new();
    for (_, names) in VOCABULARY {
        for n in *names {
            if !want.contains(n) {
                want.push(n);
            }
        }
    }
    want.extend(HARNESS_NAMES.iter().map(|(n, _)| *n));
    assert_eq!(errors(), want);
    assert!(errors().iter().all(|n| is_error(n)));
    assert!(!is_error("Rejected") && !is_error("notAName"));
}

#[test]
fn common_json_lists_the_vocabulary_in_order() {
    let text = fs::read_to_string(repo().join("vectors/schemas/common.json")).unwrap();
    let schema: Value = serde_json::from_str(&text).unwrap();
    let listed: Vec<&str> = schema["$defs"]["error"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(
        listed,
        errors(),
        "vectors/schemas/common.json#/$defs/error must list errors() in order"
    );
}

/// The names in backticks of the cells of a markdown table row.
fn cells(row: &str) -> Vec<Vec<String>> {
    row.trim()
        .trim_matches('|')
        .split('|')
        .map(|cell| {
            cell.split('`')
                .skip(1)
                .step_by(2)
                .map(str::to_owned)
                .collect()
        })
        .collect()
}

#[test]
fn the_doc_table_equals_the_enums() {
    let text = fs::read_to_string(repo().join("docs/error-vocabulary.md")).unwrap();
    let mut by_enum: Vec<(String, Vec<String>)> = Vec::new();
    let mut harness: Vec<String> = Vec::new();
    for line in text.lines().filter(|l| l.starts_with("| `")) {
        let c = cells(line);
        let first = c[0][0].clone();
        if first.ends_with("Error") && c.len() == 3 {
            by_enum.push((first, c[2].clone()));
        } else {
            harness.push(first);
        }
    }
    let want: Vec<(String, Vec<String>)> = VOCABULARY
        .iter()
        .map(|(e, names)| {
            (
                (*e).to_owned(),
                names.iter().map(|&n| n.to_owned()).collect(),
            )
        })
        .collect();
    assert_eq!(by_enum, want, "docs/error-vocabulary.md");
    let want: Vec<String> = HARNESS_NAMES.iter().map(|(n, _)| (*n).to_owned()).collect();
    assert_eq!(
        harness, want,
        "docs/error-vocabulary.md, names the harness adds"
    );
}

/// vectors/README.md explains the names the suites use; every name its error tables give is one
/// of the vocabulary.
#[test]
fn the_readme_error_tables_name_only_vocabulary_names() {
    let text = fs::read_to_string(repo().join("vectors/README.md")).unwrap();
    let mut in_table = false;
    let mut seen = BTreeSet::new();
    for line in text.lines() {
        if line.starts_with("| error |") {
            in_table = true;
            continue;
        }
        if in_table && !line.starts_with('|') {
            in_table = false;
        }
        if in_table && line.starts_with("| `") {
            for name in &cells(line)[0] {
                assert!(
                    is_error(name),
                    "vectors/README.md names {name:?}, not in the vocabulary"
                );
                seen.insert(name.clone());
            }
        }
    }
    assert!(seen.len() > 40, "{seen:?}");
}
