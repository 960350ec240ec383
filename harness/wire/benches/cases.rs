//! Cases per second of the built-in suites against the reference drivers (in-process): the
//! client role against the reference client, the server role against the reference server.
//! Every case is a fresh loopback connection, a full handshake and pings.
//!
//! `cargo bench -p mtproto-wire --bench cases` runs each suite a few rounds
//! (`WIRE_BENCH_ROUNDS`, default 3) and prints one line per round and the best rate.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use mtproto_wire::case::WireCase;
use mtproto_wire::runner::{
    Driver, Outcome, RunOptions, Verdict, run_client_case, run_server_case,
};
use mtproto_wire::suite::{client_cases, server_cases};

fn bench(name: &str, cases: &[WireCase], run: impl Fn(&WireCase) -> Verdict, rounds: usize) {
    let mut best = 0f64;
    for round in 0..rounds {
        let t = Instant::now();
        let mut passed = 0;
        for c in cases {
            let v = run(c);
            if v.outcome == Outcome::Pass {
                passed += 1;
            } else {
                eprintln!("case {} {:?}: {}", c.tc_id, v.outcome, v.detail);
            }
        }
        let s = t.elapsed().as_secs_f64();
        let rate = cases.len() as f64 / s;
        best = best.max(rate);
        println!(
            "{name} round {round}: {} cases ({passed} passed) in {s:.2} s = {rate:.1} cases/s",
            cases.len()
        );
    }
    println!("{name} best: {best:.1} cases/s");
}

fn main() {
    let opts = RunOptions::default();
    let rounds: usize = std::env::var("WIRE_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let client = Driver::reference_client();
    bench(
        "client role",
        &client_cases(),
        |c| run_client_case(c, &client, &opts),
        rounds,
    );
    let server = Driver::reference_server();
    bench(
        "server role",
        &server_cases(),
        |c| run_server_case(c, &server, &opts),
        rounds,
    );
}
