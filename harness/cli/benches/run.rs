//! Cases per second of a full run over the shipped vectors: load + run against the reference +
//! all four reports, as `mtproto-harness run` does it; and the reports alone at 10,000 cases.
//!
//! `cargo bench -p mtproto-harness`
#![allow(
    clippy::expect_used,
    reason = "benchmark code, like tests: a run that cannot proceed should stop loudly"
)]

use std::path::PathBuf;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use mtproto_harness::cli::{Acceptable, IutArgs, Selection};
use mtproto_harness::engine;
use mtproto_harness::report::{self, Report};

fn selection() -> Selection {
    // Benches run in the package directory; the suites are at the workspace root.
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../vectors");
    Selection {
        paths: vec![root],
        filters: vec![],
        acceptable: Acceptable::Pass,
        strict_errors: false,
        quiet: true,
    }
}

fn full_run(c: &mut Criterion) {
    let sel = selection();
    // The built-in reference: no `--iut`.
    let reference = IutArgs {
        iut: None,
        client: None,
        server: None,
        timeout_ms: 10_000,
        max_failures_in_a_row: 5,
        deadline: None,
    };
    let Ok(first) = engine::execute(&sel, &reference, None, false) else {
        eprintln!("no shipped vectors to benchmark");
        return;
    };
    let out = tempfile::tempdir().expect("temp dir");
    let mut group = c.benchmark_group("run");
    group.throughput(Throughput::Elements(first.results.len() as u64));
    group.measurement_time(Duration::from_secs(10));
    group.sample_size(10);
    group.bench_function(
        format!("shipped vectors ({} cases)", first.results.len()),
        |b| {
            b.iter(|| {
                let ex = engine::execute(&sel, &reference, None, false).expect("run");
                let rep = Report {
                    meta: &ex.meta,
                    results: &ex.results,
                    gate: None,
                };
                report::write_all(out.path(), &rep).expect("reports");
            });
        },
    );
    group.finish();

    // The reports alone, at 10,000 cases (the shipped results repeated with fresh tcIds).
    let mut many = Vec::with_capacity(10_000);
    'fill: for round in 0u64.. {
        for r in &first.results {
            if many.len() == 10_000 {
                break 'fill;
            }
            let mut r = r.clone();
            r.tc_id += round * 1_000_000;
            many.push(r);
        }
    }
    let mut group = c.benchmark_group("reports");
    group.throughput(Throughput::Elements(many.len() as u64));
    group.sample_size(10);
    group.bench_function("four reports, 10000 cases", |b| {
        b.iter(|| {
            let rep = Report {
                meta: &first.meta,
                results: &many,
                gate: None,
            };
            report::write_all(out.path(), &rep).expect("reports");
        });
    });
    group.finish();
}

criterion_group!(benches, full_run);
criterion_main!(benches);
