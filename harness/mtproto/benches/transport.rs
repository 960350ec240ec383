//! Transport and TL throughput (issue 6 targets).
//!
//! `cargo bench -p mtproto --bench transport`:
//! - `decode/*`: the four framers decoding a stream of 64 KiB frames handed over in one chunk
//!   (the copy-free path: a frame that arrives whole is returned as a borrow of the input);
//! - `decode_chunked/*`: the same stream in 1500-byte pieces (frames are assembled);
//! - `obfuscated/*`: obfuscated2 intermediate decode against raw AES-256-CTR (`ctr` crate) over
//!   the same bytes;
//! - `tl/container100`: decoding a `msg_container` of 100 `pong`s.
//!
//! After criterion it prints a Markdown table (from criterion's `estimates.json`, mean times)
//! with the GB/s of each framer, obfuscated2 against raw AES-256-CTR, and the TL decode in ns and
//! heap allocations per message. Allocations are counted by a counting global allocator
//! (`stats_alloc`, which wraps `System`; it adds one relaxed atomic add per allocation to every
//! timing in this binary).
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::alloc::System;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

use cipher::{KeyIvInit, StreamCipher};
use criterion::{Criterion, Throughput};
use mtproto::Direction;
use mtproto::tl::Tl;
use mtproto::tl::generated::mtproto as mt;
use mtproto::transport::obfuscated::{self, Ctr};
use mtproto::transport::{Decoder, Encoder, Kind, Packet};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const FRAME: usize = 64 << 10;
const FRAMES: usize = 16;

fn stream(kind: Kind) -> Vec<u8> {
    let payload: Vec<u8> = (0..FRAME).map(|i| (i * 7 + 3) as u8).collect();
    let mut enc = Encoder::new(kind, Direction::ServerToClient);
    let mut out = Vec::new();
    for _ in 0..FRAMES {
        enc.encode(
            Packet::Payload {
                data: &payload,
                quick_ack: false,
            },
            &[],
            &mut out,
        )
        .unwrap();
    }
    out
}

fn decode_all(kind: Kind, s: &[u8], chunk: usize) -> usize {
    let mut dec = Decoder::new(kind, Direction::ServerToClient);
    let mut n = 0;
    for piece in s.chunks(chunk) {
        let mut input = piece;
        while let Some(p) = dec.next(&mut input).unwrap() {
            if let Packet::Payload { data, .. } = p {
                n += data.len();
            }
        }
    }
    n
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("decode");
    for kind in Kind::ALL {
        let s = stream(kind);
        g.throughput(Throughput::Bytes(s.len() as u64));
        g.bench_function(kind.as_str(), |b| {
            b.iter(|| decode_all(kind, black_box(&s), s.len()))
        });
    }
    g.finish();

    let mut g = c.benchmark_group("decode_chunked");
    for kind in Kind::ALL {
        let s = stream(kind);
        g.throughput(Throughput::Bytes(s.len() as u64));
        g.bench_function(kind.as_str(), |b| {
            b.iter(|| decode_all(kind, black_box(&s), 1500))
        });
    }
    g.finish();

    // Obfuscated2 intermediate vs raw AES-256-CTR.
    let wire = obfuscated_wire();
    let mut g = c.benchmark_group("obfuscated");
    g.throughput(Throughput::Bytes(wire.len() as u64));
    g.bench_function("intermediate_decode", |b| {
        b.iter_batched_ref(
            || (obfuscated_decoder(), wire.clone()),
            |(dec, buf)| obfuscated_decode(dec, buf),
            criterion::BatchSize::LargeInput,
        )
    });
    g.bench_function("raw_aes256_ctr", |b| {
        b.iter_batched_ref(
            || wire.clone(),
            |buf| raw_ctr(buf),
            criterion::BatchSize::LargeInput,
        )
    });
    g.finish();

    // TL: a container of 100 small messages.
    let bytes = container100();
    let mut g = c.benchmark_group("tl");
    g.throughput(Throughput::Elements(100));
    g.bench_function("container100", |b| {
        b.iter(|| mt::Object::from_bytes(black_box(&bytes)).unwrap())
    });
    g.finish();
}

const OBF_RANDOM: [u8; 64] = [0x42; 64];

/// 16 intermediate frames of 64 KiB as an obfuscated2 server sends them.
fn obfuscated_wire() -> Vec<u8> {
    let client = obfuscated::generate_init(&OBF_RANDOM, Kind::Intermediate, None, None).unwrap();
    let mut server = obfuscated::accept(&client.header, None).unwrap();
    let payload: Vec<u8> = (0..FRAME).map(|i| i as u8).collect();
    let mut wire = Vec::new();
    for _ in 0..FRAMES {
        server
            .encoder
            .encode(
                Packet::Payload {
                    data: &payload,
                    quick_ack: false,
                },
                &[],
                &mut wire,
            )
            .unwrap();
    }
    wire
}

fn obfuscated_decoder() -> obfuscated::ObfuscatedDecoder {
    obfuscated::generate_init(&OBF_RANDOM, Kind::Intermediate, None, None)
        .unwrap()
        .decoder
}

fn obfuscated_decode(dec: &mut obfuscated::ObfuscatedDecoder, buf: &mut [u8]) -> usize {
    let mut input: &mut [u8] = buf;
    let mut n = 0;
    while let Some(p) = dec.next(&mut input).unwrap() {
        if let Packet::Payload { data, .. } = p {
            n += data.len();
        }
    }
    assert_eq!(n, FRAMES * FRAME);
    n
}

fn raw_ctr(buf: &mut [u8]) {
    let mut ctr = Ctr::new(&[1u8; 32].into(), &[2u8; 16].into());
    ctr.apply_keystream(buf);
}

/// Obfuscated2 decode and raw CTR timed alternately (`rounds` each, setup untimed), so a change
/// of machine load hits both alike: the medians in ns.
fn interleaved_obfuscated(rounds: usize) -> (f64, f64) {
    let wire = obfuscated_wire();
    let (mut obf, mut raw) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        let (mut dec, mut buf) = (obfuscated_decoder(), wire.clone());
        let t = Instant::now();
        black_box(obfuscated_decode(&mut dec, &mut buf));
        obf.push(t.elapsed().as_nanos() as f64);
        let mut buf = wire.clone();
        let t = Instant::now();
        raw_ctr(black_box(&mut buf));
        raw.push(t.elapsed().as_nanos() as f64);
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    (median(&mut obf), median(&mut raw))
}

/// A `msg_container` of 100 `message`s, each a `pong` (28-byte body), serialized.
fn container100() -> Vec<u8> {
    let container = mt::Object::MsgContainer(mt::types::MsgContainer {
        messages: (0..100)
            .map(|i| mt::types::Message {
                msg_id: i * 4,
                seqno: (i * 2 + 1) as i32,
                body: Box::new(mt::Object::Pong(mt::types::Pong {
                    msg_id: i,
                    ping_id: i * 3,
                })),
            })
            .collect(),
    });
    container.to_bytes()
}

/// Heap allocations (count, bytes) made by `f`, and its result.
fn allocations<T>(f: impl FnOnce() -> T) -> (usize, usize, T) {
    let region = Region::new(GLOBAL);
    let out = f();
    let stats = region.change();
    (
        stats.allocations + stats.reallocations,
        stats.bytes_allocated,
        out,
    )
}

fn output_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"))
        .join("criterion")
}

/// Mean time in ns of one criterion benchmark, from its `estimates.json`.
fn mean_ns(dir: &Path, group: &str, function: &str) -> Option<f64> {
    let path = dir.join(group).join(function).join("new/estimates.json");
    let text = std::fs::read_to_string(path).ok()?;
    let mean = text.split("\"mean\"").nth(1)?;
    let value = mean.split("\"point_estimate\":").nth(1)?;
    value.split([',', '}']).next()?.trim().parse().ok()
}

fn fmt_ns(t: f64) -> String {
    if t < 10_000.0 {
        format!("{t:.0} ns")
    } else {
        format!("{:.1} µs", t / 1e3)
    }
}

fn print_table(dir: &Path) {
    println!("\n| group | case | mean time | throughput | allocations |");
    println!("|---|---|---|---|---|");
    for group in ["decode", "decode_chunked"] {
        for kind in Kind::ALL {
            let s = stream(kind);
            let Some(t) = mean_ns(dir, group, kind.as_str()) else {
                continue;
            };
            let chunk = if group == "decode" { s.len() } else { 1500 };
            let (allocs, _, _) = allocations(|| decode_all(kind, &s, chunk));
            println!(
                "| {group} | {} ({FRAMES} × 64 KiB) | {} | {:.2} GB/s | {allocs} per stream |",
                kind.as_str(),
                fmt_ns(t),
                s.len() as f64 / t
            );
        }
    }
    let raw = mean_ns(dir, "obfuscated", "raw_aes256_ctr");
    for name in ["intermediate_decode", "raw_aes256_ctr"] {
        let Some(t) = mean_ns(dir, "obfuscated", name) else {
            continue;
        };
        let bytes = FRAMES * (FRAME + 4);
        let ratio = raw.map_or(String::new(), |r| format!(" ({:.2}x raw CTR time)", t / r));
        println!(
            "| obfuscated | {name} | {} | {:.2} GB/s{ratio} | — |",
            fmt_ns(t),
            bytes as f64 / t
        );
    }
    let (obf, raw) = interleaved_obfuscated(200);
    println!(
        "| obfuscated | interleaved, 200 rounds each: median decode / median raw CTR | {} / {} | {:.2}x raw CTR time | — |",
        fmt_ns(obf),
        fmt_ns(raw),
        obf / raw
    );
    let bytes = container100();
    let (allocs, alloc_bytes, decoded) = allocations(|| mt::Object::from_bytes(&bytes).unwrap());
    drop(decoded);
    if let Some(t) = mean_ns(dir, "tl", "container100") {
        println!(
            "| tl | msg_container of 100 pongs ({} bytes) | {} ({:.1} ns per message) | {:.1} M messages/s | {allocs} ({:.2} per message, {alloc_bytes} bytes) |",
            bytes.len(),
            fmt_ns(t),
            t / 100.0,
            100.0 / t * 1e3,
            allocs as f64 / 100.0
        );
    }
}

fn main() {
    let dir = output_dir();
    let mut c = Criterion::default()
        .output_directory(&dir)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    bench(&mut c);
    c.final_summary();
    print_table(&dir);
}
