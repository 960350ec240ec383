//! Session-layer throughput (issue 5 targets): msg_id checks through the client window at
//! N = 1000 (target ≥ 10 M/s), and the server receiver (target: within 2x of the client).
//!
//! `cargo bench -p mtproto --bench session` runs criterion, then prints a Markdown table: ns per
//! check, checks per second and bytes of receiver state, for in-order traffic and for mixed
//! traffic (out-of-order delivery and replays).
#![allow(missing_docs, clippy::expect_used, clippy::unwrap_used)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use mtproto::session::{
    ClientConfig, ClientReceiver, FutureSalt, Inbound, SaltSchedule, ServerConfig, ServerReceiver,
};

const N: usize = 1000;
const NOW: i64 = 1_700_000_000;
const SESSION: i64 = 7;
const SALT: i64 = 9;

/// Out-of-order delivery inside each block of 16 messages, then two replays of the block before.
const PERM: [i64; 16] = [0, 2, 1, 3, 5, 4, 6, 7, 9, 8, 10, 12, 11, 13, 15, 14];

fn client() -> ClientReceiver {
    let mut r = ClientReceiver::new(
        SESSION,
        ClientConfig {
            window: N,
            clock_synced: true,
        },
    );
    for k in 0..N as i64 {
        r.check_msg_id(NOW, (NOW << 32) + 4 * k + 1).unwrap();
    }
    r
}

fn server() -> ServerReceiver {
    let salts = SaltSchedule::new(&[FutureSalt {
        salt: SALT,
        valid_since: NOW - 1800,
        valid_until: NOW + 1800,
    }]);
    let mut r = ServerReceiver::new(SESSION, ServerConfig { window: N }, salts);
    let mut out = Vec::with_capacity(1 << 16);
    for k in 0..N as i64 {
        let a = r.receive(NOW, &ack((NOW << 32) + 4 * k + 4, 0)).unwrap();
        if a.ack_due {
            out.clear();
            r.acks().drain_into(&mut out);
        }
    }
    r
}

fn ack(msg_id: i64, seq_no: i32) -> Inbound {
    Inbound {
        session_id: SESSION,
        salt: SALT,
        msg_id,
        seq_no,
        content_related: false,
    }
}

/// In-order client traffic: `iters` new msg_ids.
fn client_in_order(r: &mut ClientReceiver, next: &mut i64, iters: u64) -> u64 {
    let mut accepted = 0;
    for _ in 0..iters {
        *next += 4;
        accepted += u64::from(r.check_msg_id(NOW, black_box(*next)).is_ok());
    }
    accepted
}

/// Mixed client traffic: blocks of 16 out of order, two replays of the block before; `iters`
/// checks.
fn client_mixed(r: &mut ClientReceiver, base: &mut i64, iters: u64) -> u64 {
    let mut accepted = 0;
    let mut done = 0;
    while done < iters {
        for p in PERM {
            accepted += u64::from(r.check_msg_id(NOW, black_box(*base + 4 * p)).is_ok());
        }
        for p in [3, 11] {
            accepted += u64::from(r.check_msg_id(NOW, black_box(*base - 64 + 4 * p)).is_ok());
        }
        *base += 64;
        done += 18;
    }
    accepted
}

/// In-order server traffic: content-related messages with their seq_nos, acks sent when due.
fn server_in_order(r: &mut ServerReceiver, next: &mut i64, out: &mut Vec<u8>, iters: u64) -> u64 {
    let mut accepted = 0;
    for _ in 0..iters {
        *next += 4;
        let seq = i32::try_from(r.content_count()).unwrap() * 2 + 1;
        let m = Inbound {
            session_id: SESSION,
            salt: SALT,
            msg_id: *next,
            seq_no: seq,
            content_related: true,
        };
        if let Ok(a) = r.receive(NOW, black_box(&m)) {
            accepted += 1;
            if a.ack_due {
                out.clear();
                r.acks().drain_into(out);
            }
        }
    }
    accepted
}

/// Mixed server traffic: acks (same even seq_no) out of order in blocks of 16, two replays.
fn server_mixed(r: &mut ServerReceiver, base: &mut i64, iters: u64) -> u64 {
    let mut accepted = 0;
    let mut done = 0;
    let seq = i32::try_from(r.content_count()).unwrap() * 2;
    while done < iters {
        for p in PERM {
            accepted += u64::from(r.receive(NOW, black_box(&ack(*base + 4 * p, seq))).is_ok());
        }
        for p in [3, 11] {
            accepted += u64::from(
                r.receive(NOW, black_box(&ack(*base - 64 + 4 * p, seq)))
                    .is_ok(),
            );
        }
        *base += 64;
        done += 18;
    }
    accepted
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("session");
    g.throughput(Throughput::Elements(1));
    let mut r = client();
    let mut next = (NOW << 32) + 4 * N as i64 + 1;
    g.bench_function("client/in-order", |b| {
        b.iter(|| client_in_order(&mut r, &mut next, 1))
    });
    let mut r = client();
    let mut base = (NOW << 32) + 4 * N as i64 + 65;
    g.bench_function("client/mixed", |b| {
        b.iter_custom(|iters| {
            let t = Instant::now();
            client_mixed(&mut r, &mut base, iters);
            t.elapsed()
        })
    });
    let mut r = server();
    let mut next = (NOW << 32) + 4 * N as i64 + 4;
    let mut out = Vec::with_capacity(1 << 16);
    g.bench_function("server/in-order", |b| {
        b.iter(|| server_in_order(&mut r, &mut next, &mut out, 1))
    });
    let mut r = server();
    let mut base = (NOW << 32) + 4 * N as i64 + 64;
    g.bench_function("server/mixed", |b| {
        b.iter_custom(|iters| {
            let t = Instant::now();
            server_mixed(&mut r, &mut base, iters);
            t.elapsed()
        })
    });
    g.finish();
}

/// ns per check: the best of five runs of `ops` checks.
fn best_ns(ops: u64, mut run: impl FnMut(u64)) -> f64 {
    let mut best = Duration::MAX;
    for _ in 0..5 {
        let t = Instant::now();
        run(ops);
        best = best.min(t.elapsed());
    }
    best.as_nanos() as f64 / ops as f64
}

fn table() {
    const OPS: u64 = 5_000_000;
    let mut rows = Vec::new();
    {
        let mut r = client();
        let before = r.state_bytes();
        let mut next = (NOW << 32) + 4 * N as i64 + 1;
        let ns = best_ns(OPS, |n| {
            black_box(client_in_order(&mut r, &mut next, n));
        });
        assert_eq!(r.state_bytes(), before, "no allocation in steady state");
        rows.push((
            "client, in order",
            ns,
            r.state_bytes(),
            r.window().state_bytes(),
        ));
    }
    {
        let mut r = client();
        let mut base = (NOW << 32) + 4 * N as i64 + 65;
        let ns = best_ns(OPS, |n| {
            black_box(client_mixed(&mut r, &mut base, n));
        });
        rows.push((
            "client, mixed (reordered + replays)",
            ns,
            r.state_bytes(),
            r.window().state_bytes(),
        ));
    }
    {
        let mut r = server();
        let before = r.state_bytes();
        let mut next = (NOW << 32) + 4 * N as i64 + 4;
        let mut out = Vec::with_capacity(1 << 16);
        let ns = best_ns(OPS, |n| {
            black_box(server_in_order(&mut r, &mut next, &mut out, n));
        });
        assert_eq!(r.state_bytes(), before, "no allocation in steady state");
        rows.push((
            "server, in order (content-related, acks drained)",
            ns,
            r.state_bytes(),
            r.window().state_bytes(),
        ));
    }
    {
        let mut r = server();
        let mut base = (NOW << 32) + 4 * N as i64 + 64;
        let ns = best_ns(OPS, |n| {
            black_box(server_mixed(&mut r, &mut base, n));
        });
        rows.push((
            "server, mixed (reordered acks + replays)",
            ns,
            r.state_bytes(),
            r.window().state_bytes(),
        ));
    }
    println!("\n| N = {N} | ns/check | M checks/s | state bytes (window) |");
    println!("|---|---:|---:|---:|");
    for (name, ns, bytes, window) in rows {
        println!(
            "| {name} | {ns:.1} | {:.1} | {bytes} ({window}) |",
            1e3 / ns
        );
    }
}

fn main() {
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    bench(&mut c);
    c.final_summary();
    table();
}
