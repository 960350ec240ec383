//! Requests per second of the reference served over the adapter protocol
//! (docs/adapter-protocol.md): `mtproto-harness adapter` in a child process, driven by
//! `SubprocessIut` through pipes, one request at a time (`call`) and pipelined in batches of
//! 1,000 (`call_many`).
//!
//! `cargo bench -p mtproto-harness --bench adapter`
#![allow(
    clippy::expect_used,
    reason = "benchmark code, like tests: a run that cannot proceed should stop loudly"
)]

use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use mtproto_iut::{Answer, Fields, Iut, SubprocessIut};
use serde_json::json;

const BATCH: usize = 1_000;

fn request() -> Fields {
    let v = json!({
        "key": "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
        "iv": "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
        "msg": "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
    });
    match v {
        serde_json::Value::Object(m) => m,
        _ => Fields::new(),
    }
}

fn adapter(c: &mut Criterion) {
    let command = format!("'{}' adapter", env!("CARGO_BIN_EXE_mtproto-harness"));
    let mut iut =
        SubprocessIut::start(&command, Duration::from_secs(10)).expect("the adapter starts");
    let req = request();
    assert!(matches!(iut.call("ige.encrypt", &req), Answer::Ok(_)));
    let mut group = c.benchmark_group("adapter");
    group.measurement_time(Duration::from_secs(5));
    group.throughput(Throughput::Elements(1));
    group.bench_function("lock-step ige.encrypt (32 B)", |b| {
        b.iter(|| iut.call("ige.encrypt", &req));
    });
    let batch: Vec<(&str, &Fields)> = (0..BATCH).map(|_| ("ige.encrypt", &req)).collect();
    group.throughput(Throughput::Elements(BATCH as u64));
    group.bench_function("pipelined ige.encrypt (32 B) x1000", |b| {
        b.iter(|| iut.call_many(&batch));
    });
    group.finish();
}

criterion_group!(benches, adapter);
criterion_main!(benches);
