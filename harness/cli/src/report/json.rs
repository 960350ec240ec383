//! `results.json`: the run's metadata, counts, gate verdict and one record per case.

use std::io::{self, Write};

use mtproto_vectors::CaseResult;
use serde::Serialize;

use super::{AdapterInfo, Counts, FlagNote, Options, Report, Tool, WireInfo};
use crate::baseline::Gate;

/// The value of `results.json`'s `format` field.
pub const FORMAT: &str = "mtproto-harness-results/v1";

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ResultsJson<'a> {
    format: &'static str,
    harness: &'a Tool,
    iut: &'a Tool,
    iut_is_reference: bool,
    paths: &'a [String],
    files: &'a [String],
    options: &'a Options,
    #[serde(skip_serializing_if = "Option::is_none")]
    adapter: Option<&'a AdapterInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    wire: Option<&'a WireInfo>,
    notes: &'a std::collections::BTreeMap<String, std::collections::BTreeMap<String, FlagNote>>,
    counts: Counts,
    #[serde(skip_serializing_if = "Option::is_none")]
    gate: Option<&'a Gate>,
    results: &'a [CaseResult],
}

/// Writes `results.json`.
pub fn render(report: &Report<'_>, w: &mut dyn Write) -> io::Result<()> {
    let doc = ResultsJson {
        format: FORMAT,
        harness: &report.meta.harness,
        iut: &report.meta.iut,
        iut_is_reference: report.meta.iut_is_reference,
        paths: &report.meta.paths,
        files: &report.meta.files,
        options: &report.meta.options,
        adapter: report.meta.adapter.as_ref(),
        wire: report.meta.wire.as_ref(),
        notes: &report.meta.notes,
        counts: report.counts(),
        gate: report.gate,
        results: report.results,
    };
    serde_json::to_writer_pretty(&mut *w, &doc).map_err(io::Error::other)?;
    w.write_all(b"\n")
}
