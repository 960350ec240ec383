//! Throughput of the reference against its peers, measured in the same run (issue 2 targets).
//!
//! `cargo bench -p mtproto --bench throughput` runs criterion and then prints a Markdown table of
//! ratios to the peers (RustCrypto `ige` 0.2 and `grammers-crypto` 0.11). Extra arguments are
//! criterion's, e.g. `-- ige` to run only the IGE groups.
#![allow(missing_docs, clippy::expect_used)]

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

use aes::Aes256;
use cipher::{Array, BlockModeDecrypt, BlockModeEncrypt, KeyIvInit};
use criterion::{BatchSize, BenchmarkId, Criterion, Throughput};
use grammers_crypto::{AuthKey as GrammersKey, DequeBuffer};
use mtproto::crypto::ige::{aes256_ige_decrypt, aes256_ige_encrypt};
use mtproto::envelope::{self, Message};
use mtproto::{AuthKey, Direction, Receiver};

const IGE_SIZES: [(usize, &str); 3] = [(1 << 10, "1KiB"), (64 << 10, "64KiB"), (1 << 20, "1MiB")];
const ENVELOPE_SIZES: [(usize, &str); 4] = [
    (64, "64B"),
    (1 << 10, "1KiB"),
    (16 << 10, "16KiB"),
    (1 << 20, "1MiB"),
];

fn data(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + 3) as u8).collect()
}

fn key_bytes() -> [u8; 256] {
    core::array::from_fn(|i| (i as u8).wrapping_mul(13).wrapping_add(5))
}

fn rustcrypto_encrypt(key: &[u8; 32], iv: &[u8; 32], buf: &mut [u8]) {
    let (blocks, _) = Array::slice_as_chunks_mut(buf);
    ige::Encryptor::<Aes256>::new(&(*key).into(), &(*iv).into()).encrypt_blocks(blocks);
}

fn rustcrypto_decrypt(key: &[u8; 32], iv: &[u8; 32], buf: &mut [u8]) {
    let (blocks, _) = Array::slice_as_chunks_mut(buf);
    ige::Decryptor::<Aes256>::new(&(*key).into(), &(*iv).into()).decrypt_blocks(blocks);
}

fn bench_ige(c: &mut Criterion) {
    let key = [0x42u8; 32];
    let iv = [0x24u8; 32];
    for (encrypt, group_name) in [(true, "ige-encrypt"), (false, "ige-decrypt")] {
        let mut group = c.benchmark_group(group_name);
        for (size, label) in IGE_SIZES {
            group.throughput(Throughput::Bytes(size as u64));
            let mut buf = data(size);
            group.bench_function(BenchmarkId::new("mtproto", label), |b| {
                b.iter(|| {
                    if encrypt {
                        aes256_ige_encrypt(&key, &iv, black_box(&mut buf))
                    } else {
                        aes256_ige_decrypt(&key, &iv, black_box(&mut buf))
                    }
                })
            });
            group.bench_function(BenchmarkId::new("rustcrypto-ige", label), |b| {
                b.iter(|| {
                    if encrypt {
                        rustcrypto_encrypt(&key, &iv, black_box(&mut buf))
                    } else {
                        rustcrypto_decrypt(&key, &iv, black_box(&mut buf))
                    }
                })
            });
            group.bench_function(BenchmarkId::new("grammers", label), |b| {
                b.iter(|| {
                    if encrypt {
                        grammers_crypto::aes::ige_encrypt(black_box(&mut buf), &key, &iv)
                    } else {
                        grammers_crypto::aes::ige_decrypt(black_box(&mut buf), &key, &iv)
                    }
                })
            });
        }
        group.finish();
    }
}

/// grammers pads to `16 + (16 - len % 16)` bytes; both sides get the same total length.
fn grammers_padding(plain_len: usize) -> usize {
    16 + (16 - plain_len % 16)
}

fn bench_envelope(c: &mut Criterion) {
    let ours = AuthKey::new(key_bytes());
    let theirs = GrammersKey::from_bytes(key_bytes());
    let (salt, session_id, msg_id, seq_no) = (0x1122_i64, 0x3344_i64, 0x5e30_8b91_c2c1_f000, 1);

    let mut group = c.benchmark_group("envelope-encrypt");
    for (size, label) in ENVELOPE_SIZES {
        group.throughput(Throughput::Bytes(size as u64));
        let body = data(size);
        let padding = data(grammers_padding(32 + size));
        let msg = Message {
            salt,
            session_id,
            msg_id,
            seq_no,
            body: &body,
        };
        group.bench_function(BenchmarkId::new("mtproto", label), |b| {
            b.iter(|| {
                envelope::encrypt(&ours, Direction::ClientToServer, black_box(&msg), &padding)
            })
        });
        // grammers takes the serialized header + body and pads it itself (OS randomness).
        let mut plain = Vec::new();
        plain.extend_from_slice(&salt.to_le_bytes());
        plain.extend_from_slice(&session_id.to_le_bytes());
        plain.extend_from_slice(&msg_id.to_le_bytes());
        plain.extend_from_slice(&seq_no.to_le_bytes());
        plain.extend_from_slice(&(size as i32).to_le_bytes());
        plain.extend_from_slice(&body);
        group.bench_function(BenchmarkId::new("grammers", label), |b| {
            b.iter_batched_ref(
                || {
                    let mut buf = DequeBuffer::with_capacity(plain.len() + 32, 24);
                    buf.extend(plain.iter().copied());
                    buf
                },
                |buf| grammers_crypto::encrypt_data_v2(buf, &theirs),
                BatchSize::LargeInput,
            )
        });
    }
    group.finish();

    let mut group = c.benchmark_group("envelope-decrypt");
    for (size, label) in ENVELOPE_SIZES {
        group.throughput(Throughput::Bytes(size as u64));
        let body = data(size);
        let padding = data(grammers_padding(32 + size));
        let msg = Message {
            salt,
            session_id,
            msg_id,
            seq_no,
            body: &body,
        };
        // Both peers receive as a server (x = 0): grammers' decrypt is the server side.
        let packet = envelope::encrypt(&ours, Direction::ClientToServer, &msg, &padding)
            .expect("valid message");
        group.bench_function(BenchmarkId::new("mtproto", label), |b| {
            b.iter(|| envelope::decrypt(&ours, Receiver::Server, session_id, black_box(&packet)))
        });
        group.bench_function(BenchmarkId::new("grammers", label), |b| {
            b.iter_batched_ref(
                || packet.clone(),
                |buf| grammers_crypto::decrypt_data_v2(buf, &theirs).map(|p| p.len()),
                BatchSize::LargeInput,
            )
        });
    }
    group.finish();
}

fn output_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"))
        .join("criterion")
}

/// Mean time in ns of one criterion benchmark, from its `estimates.json`.
fn mean_ns(dir: &Path, group: &str, function: &str, param: &str) -> Option<f64> {
    let path = dir
        .join(group)
        .join(function)
        .join(param)
        .join("new/estimates.json");
    let text = std::fs::read_to_string(path).ok()?;
    // {"mean":{"confidence_interval":{...},"point_estimate":123.4,...},...}
    let mean = text.split("\"mean\"").nth(1)?;
    let value = mean.split("\"point_estimate\":").nth(1)?;
    value.split([',', '}']).next()?.trim().parse().ok()
}

fn print_ratios(dir: &Path) {
    println!("\n| group | size | impl | time | MB/s | mtproto speed-up |");
    println!("|---|---|---|---|---|---|");
    type Group<'a> = (&'a str, &'a [(usize, &'a str)], &'a [&'a str]);
    let groups: [Group<'_>; 4] = [
        (
            "ige-encrypt",
            &IGE_SIZES,
            &["mtproto", "rustcrypto-ige", "grammers"],
        ),
        (
            "ige-decrypt",
            &IGE_SIZES,
            &["mtproto", "rustcrypto-ige", "grammers"],
        ),
        (
            "envelope-encrypt",
            &ENVELOPE_SIZES,
            &["mtproto", "grammers"],
        ),
        (
            "envelope-decrypt",
            &ENVELOPE_SIZES,
            &["mtproto", "grammers"],
        ),
    ];
    for (group, sizes, impls) in groups {
        for (size, label) in sizes {
            let Some(ours) = mean_ns(dir, group, "mtproto", label) else {
                continue;
            };
            for imp in impls.iter() {
                let Some(t) = mean_ns(dir, group, imp, label) else {
                    continue;
                };
                let mbps = *size as f64 / t * 1e3;
                let time = if t < 10_000.0 {
                    format!("{t:.0} ns")
                } else {
                    format!("{:.1} µs", t / 1e3)
                };
                println!(
                    "| {group} | {label} | {imp} | {time} | {mbps:.0} | {:.2}x |",
                    t / ours
                );
            }
        }
    }
}

fn main() {
    let dir = output_dir();
    let mut c = Criterion::default()
        .output_directory(&dir)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2))
        .sample_size(30)
        .configure_from_args();
    bench_ige(&mut c);
    bench_envelope(&mut c);
    c.final_summary();
    print_ratios(&dir);
}
