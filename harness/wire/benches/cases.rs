//! Cases per second of the built-in client-role suite against the reference client driver
//! (in-process), every case a fresh loopback connection, handshake and pings.
//!
//! `cargo bench -p mtproto-wire --bench cases` runs the suite a few times and prints one line per
//! round and the best rate.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use mtproto_wire::runner::{Driver, Outcome, RunOptions, run_client_case};
use mtproto_wire::suite::client_cases;

fn main() {
    let cases = client_cases();
    let driver = Driver::reference_client();
    let opts = RunOptions::default();
    let rounds: usize = std::env::var("WIRE_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let mut best = 0f64;
    for round in 0..rounds {
        let t = Instant::now();
        let mut passed = 0;
        for c in &cases {
            let v = run_client_case(c, &driver, &opts);
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
            "round {round}: {} cases ({passed} passed) in {s:.2} s = {rate:.1} cases/s",
            cases.len()
        );
    }
    println!("best: {best:.1} cases/s");
}
