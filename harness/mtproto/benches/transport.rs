//! Transport and TL throughput (issue 6 targets).
//!
//! `cargo bench -p mtproto --bench transport`:
//! - `decode/*`: the four framers decoding a stream of 64 KiB frames handed over in one chunk
//!   (the copy-free path: a frame that arrives whole is returned as a borrow of the input);
//! - `decode_chunked/*`: the same stream in 1500-byte pieces (frames are assembled);
//! - `obfuscated/*`: obfuscated2 intermediate decode against raw AES-256-CTR (`ctr` crate) over
//!   the same bytes;
//! - `tl/container100`: decoding a `msg_container` of 100 `pong`s.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::Duration;

use cipher::{KeyIvInit, StreamCipher};
use criterion::{Criterion, Throughput};
use mtproto::Direction;
use mtproto::tl::Tl;
use mtproto::tl::generated::mtproto as mt;
use mtproto::transport::obfuscated::{self, Ctr};
use mtproto::transport::{Decoder, Encoder, Kind, Packet};

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
    let random = [0x42u8; 64];
    let client = obfuscated::generate_init(&random, Kind::Intermediate, None, None).unwrap();
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
    let mut g = c.benchmark_group("obfuscated");
    g.throughput(Throughput::Bytes(wire.len() as u64));
    g.bench_function("intermediate_decode", |b| {
        b.iter_batched_ref(
            || {
                let c = obfuscated::generate_init(&random, Kind::Intermediate, None, None).unwrap();
                (c.decoder, wire.clone())
            },
            |(dec, buf)| {
                let mut input: &mut [u8] = buf;
                let mut n = 0;
                while let Some(p) = dec.next(&mut input).unwrap() {
                    if let Packet::Payload { data, .. } = p {
                        n += data.len();
                    }
                }
                n
            },
            criterion::BatchSize::LargeInput,
        )
    });
    g.bench_function("raw_aes256_ctr", |b| {
        b.iter_batched_ref(
            || wire.clone(),
            |buf| {
                let mut ctr = Ctr::new(&[1u8; 32].into(), &[2u8; 16].into());
                ctr.apply_keystream(buf);
            },
            criterion::BatchSize::LargeInput,
        )
    });
    g.finish();

    // TL: a container of 100 small messages.
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
    let bytes = container.to_bytes();
    let mut g = c.benchmark_group("tl");
    g.throughput(Throughput::Elements(100));
    g.bench_function("container100", |b| {
        b.iter(|| mt::Object::from_bytes(black_box(&bytes)).unwrap())
    });
    g.finish();
}

fn main() {
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    bench(&mut c);
    c.final_summary();
}
