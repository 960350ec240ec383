//! How each target reads its bytes, in both directions: encoders that lay out a seed input from
//! meaningful parts (used by `mtproto-harness fuzz-corpus` to turn vectors into seed corpora) and
//! [`parse`], which reads a fuzz input back into the parts a conformance vector states (used by
//! `mtproto-harness fuzz-to-vector`). The entry points read their inputs through the same
//! functions where the layout is positional ([`transport_parts`], [`tl_parts`], [`pq_value`],
//! [`dh_parts`], [`envelope_decrypt_parts`]), so a seed means what it says.
//!
//! An `arbitrary` `bool` is one byte (low bit set = true), integers are little-endian, arrays are
//! raw bytes; a derived enum picks its variant with `(u32 · variants) >> 32`.

use mtproto::Direction;
use mtproto::envelope::Receiver;
use mtproto::transport::Kind;
use mtproto::transport::obfuscated::INIT_LEN;

/// A fuzz input read back into what a conformance vector states.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Parsed {
    /// A plain transport stream (`transport_abridged` … `transport_full`).
    Transport {
        /// The framing.
        kind: Kind,
        /// The direction the stream flows in.
        dir: Direction,
        /// The stream, cut points dropped (they do not change the frames).
        stream: Vec<u8>,
    },
    /// An obfuscated2 stream (`transport_obfuscated`).
    Obfuscated {
        /// The framing inside.
        kind: Kind,
        /// The direction the stream flows in.
        dir: Direction,
        /// The MTProxy secret, if any (16 bytes, or 17 with the `dd` marker).
        secret: Option<Vec<u8>>,
        /// The client's init, protocol tag in place.
        init: Box<[u8; INIT_LEN]>,
        /// The stream on the wire (client to server: the header first).
        stream: Vec<u8>,
    },
    /// TL bytes decoded as one schema's types (`tl_decode`).
    Tl {
        /// `true` for `secret.tl`, `false` for `mtproto.tl`.
        secret: bool,
        /// The bytes.
        bytes: Vec<u8>,
    },
    /// A `pq` as sent (big-endian).
    Pq {
        /// `pq`.
        pq: Vec<u8>,
    },
    /// `dh_prime` and `g` (`dh_checks`, parameter inputs).
    DhParams {
        /// `dh_prime` as sent.
        p: Vec<u8>,
        /// `g`.
        g: i64,
    },
    /// A `g_a`/`g_b` against a published group (`dh_checks`, value inputs).
    DhValue {
        /// `dh_prime` of the group.
        p: Vec<u8>,
        /// `g` of the group.
        g: i64,
        /// The value as sent.
        value: Vec<u8>,
    },
    /// An encrypted packet for a key and receiver (`envelope_decrypt`).
    EnvelopeDecrypt {
        /// The auth key.
        key: Box<[u8; 256]>,
        /// Who receives it.
        receiver: Receiver,
        /// The packet.
        packet: Vec<u8>,
    },
}

/// `[flags: bit 0 = server to client][n % 17][n × u16 LE cut points][stream]` (transports).
pub fn transport(dir: Direction, cuts: &[u16], stream: &[u8]) -> Vec<u8> {
    let cuts = &cuts[..cuts.len().min(16)];
    let mut out = vec![u8::from(dir == Direction::ServerToClient), cuts.len() as u8];
    for c in cuts {
        out.extend_from_slice(&c.to_le_bytes());
    }
    out.extend_from_slice(stream);
    out
}

/// The direction, cut points (clamped to the stream and sorted) and stream of a transport input.
pub fn transport_parts(data: &[u8]) -> Option<(Direction, Vec<usize>, &[u8])> {
    let (&flags, rest) = data.split_first()?;
    let (&n, rest) = rest.split_first()?;
    let n = usize::from(n % 17);
    let cut_bytes = rest.get(..2 * n)?;
    let stream = &rest[2 * n..];
    let mut cuts: Vec<usize> = cut_bytes
        .chunks_exact(2)
        .map(|c| usize::from(u16::from_le_bytes([c[0], c[1]])).min(stream.len()))
        .collect();
    cuts.sort_unstable();
    let dir = if flags & 1 == 0 {
        Direction::ClientToServer
    } else {
        Direction::ServerToClient
    };
    Some((dir, cuts, stream))
}

/// `transport_obfuscated`: `[kind 0/1/2][secret mode 0 none / 1 16 bytes / 2 dd ‖ 16 bytes]
/// [16-byte secret][64-byte init]` and then a [`transport`] input carrying the plaintext stream.
pub fn transport_obfuscated(
    kind: Kind,
    secret: Option<&[u8]>,
    init: &[u8; INIT_LEN],
    dir: Direction,
    cuts: &[u16],
    plaintext: &[u8],
) -> Vec<u8> {
    let kind = match kind {
        Kind::Intermediate => 1,
        Kind::Padded => 2,
        _ => 0,
    };
    let (mode, key): (u8, [u8; 16]) = match secret {
        None => (0, [0; 16]),
        Some(s) => (
            if s.len() == 17 { 2 } else { 1 },
            s.get(s.len().saturating_sub(16)..)
                .and_then(|k| k.try_into().ok())
                .unwrap_or([0; 16]),
        ),
    };
    let mut out = vec![kind, mode];
    out.extend_from_slice(&key);
    out.extend_from_slice(init);
    out.extend(transport(dir, cuts, plaintext));
    out
}

/// `tl_decode`: `[type index][bytes]`; index 0 is `mtproto.tl`'s `Object`, 1 `secret.tl`'s.
pub fn tl(secret: bool, bytes: &[u8]) -> Vec<u8> {
    let mut out = vec![u8::from(secret)];
    out.extend_from_slice(bytes);
    out
}

/// The schema the type an input picks belongs to, and the bytes.
pub fn tl_parts(data: &[u8]) -> Option<(usize, bool, &[u8])> {
    let (&pick, bytes) = data.split_first()?;
    let index = usize::from(pick) % crate::tl::TYPES.len();
    let (name, _) = crate::tl::TYPES[index];
    Some((index, name.starts_with("secret"), bytes))
}

/// `pq`, as sent on the wire: mode 2, then the big-endian bytes.
pub fn pq(be: &[u8]) -> Vec<u8> {
    let mut out = vec![2];
    out.extend_from_slice(be);
    out
}

/// The `pq` an input stands for, big-endian as sent: mode 0 builds the product of two model
/// primes, 1 reads a u64, 2 takes the bytes as they are.
pub fn pq_value(data: &[u8]) -> Option<Vec<u8>> {
    let (&mode, rest) = data.split_first()?;
    match mode % 3 {
        0 => {
            let (p, q) = crate::dh::model_semiprime(mode, rest)?;
            Some((u64::from(p) * u64::from(q)).to_be_bytes().to_vec())
        }
        1 => rest
            .first_chunk::<8>()
            .map(|b| u64::from_le_bytes(*b).to_be_bytes().to_vec()),
        _ => Some(rest.to_vec()),
    }
}

/// `dh_checks` parameters: `[0][psel 10 = the 256 bytes that follow][gsel 1][g + 1][4 unused][p]`
/// (`g` must be in −1..=8 to be expressed this way).
pub fn dh_params(p: &[u8], g: i64) -> Option<Vec<u8>> {
    let g_raw = u8::try_from(g.checked_add(1)?).ok().filter(|&v| v < 10)?;
    let mut out = vec![0, 10, 1, g_raw, 0, 0, 0, 0];
    out.extend_from_slice(p);
    Some(out)
}

/// `dh_checks` values: `[4][group 0 Telegram / 1 RFC 3526][vsel 4 = the bytes that follow][0][0][value]`.
pub fn dh_value(group: u8, value: &[u8]) -> Vec<u8> {
    let mut out = vec![4, group, 4, 0, 0];
    out.extend_from_slice(value);
    out
}

/// What a `dh_checks` input checks, if a vector can state it (agreement inputs cannot).
pub fn dh_parts(data: &[u8]) -> Option<Parsed> {
    crate::dh::parts(data)
}

/// `envelope_decrypt`: `[0 = the key follows][256-byte key][receiver: 1 = client][0 = no
/// auth_key_id prefix][packet]`.
pub fn envelope_decrypt(key: &[u8; 256], receiver: Receiver, packet: &[u8]) -> Vec<u8> {
    let mut out = vec![0];
    out.extend_from_slice(key);
    out.push(u8::from(receiver == Receiver::Client));
    out.push(0);
    out.extend_from_slice(packet);
    out
}

/// The key, receiver and packet of an `envelope_decrypt` input.
pub fn envelope_decrypt_parts(data: &[u8]) -> Option<(Box<[u8; 256]>, Receiver, Vec<u8>)> {
    super::envelope_decrypt_input(data).ok()
}

/// `ige_differential`: `[aes256][encrypt][iv 32][key 32, AES-128 keys zero-padded][cut blocks][data]`.
pub fn ige(
    aes256: bool,
    encrypt: bool,
    iv: &[u8; 32],
    key: &[u8],
    cut_blocks: u8,
    data: &[u8],
) -> Vec<u8> {
    let mut k = [0u8; 32];
    for (d, s) in k.iter_mut().zip(key) {
        *d = *s;
    }
    let mut out = vec![u8::from(aes256), u8::from(encrypt)];
    out.extend_from_slice(iv);
    out.extend_from_slice(&k);
    out.push(cut_blocks);
    out.extend_from_slice(data);
    out
}

/// One message of a session input: a raw msg_id, its seq_no and content-relatedness.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionStep {
    /// `msg_id`.
    pub msg_id: i64,
    /// `seq_no` (only `% 12` is kept).
    pub seq_no: i32,
    /// Content-related.
    pub content_related: bool,
}

/// `session_client` / `session_server`: `[window: 0x80 = 1000, else 1 + n % 8][synced]`, then per
/// message `[1 = not a container][7 = raw msg_id][msg_id i64][seq_no % 12][content][salt 0 =
/// valid][session 1 = ours][dt u16 = 0]`.
pub fn session(window: usize, synced: bool, steps: &[SessionStep]) -> Vec<u8> {
    let w = if window >= 1000 {
        0x80
    } else {
        (window.max(1) - 1) as u8 % 8
    };
    let mut out = vec![w, u8::from(synced)];
    for s in steps.iter().take(64) {
        out.extend_from_slice(&[1, 7]);
        out.extend_from_slice(&s.msg_id.to_le_bytes());
        out.extend_from_slice(&[
            s.seq_no.rem_euclid(12) as u8,
            u8::from(s.content_related),
            0,
            1,
            0,
            0,
        ]);
    }
    out
}

/// `handshake_client` / `handshake_server`: `[seed u64][temporary]`, every message delivered.
pub fn handshake(seed: u64, temporary: bool) -> Vec<u8> {
    let mut out = seed.to_le_bytes().to_vec();
    out.push(u8::from(temporary));
    out.extend_from_slice(&[0; 24]);
    out
}

/// An `rsa` fingerprint input: `n` and `e` as given (mode 0, source 3, no zeros added, the
/// length of `n` as a little-endian `u16`); `None` when `n` is longer than the target reads.
pub fn rsa_fingerprint(n: &[u8], e: &[u8]) -> Option<Vec<u8>> {
    let len = u16::try_from(n.len()).ok().filter(|&l| l < 320)?;
    let mut out = vec![0u8, 3, 0, 0];
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(n);
    out.extend_from_slice(e);
    Some(out)
}

/// An `rsa` encrypt input: key `key` of `rsa::public_keys` (0 the test server's, 1 production,
/// 2 test DC), the lengths, then 1 to 4 temp keys, data and padding; `None` when a length does
/// not fit a byte or there are no or more than 4 temp keys.
pub fn rsa_encrypt(
    key: u8,
    data: &[u8],
    padding: &[u8],
    temp_keys: &[[u8; 32]],
) -> Option<Vec<u8>> {
    let data_len = u8::try_from(data.len()).ok()?;
    // The padding from the input: its length is the rest of 192 plus `(byte & 0x7f) - 64`.
    let delta = (padding.len() + 64).checked_sub(192usize.saturating_sub(data.len()))?;
    let pad_len = 0x80 | u8::try_from(delta).ok().filter(|&d| d < 0x80)?;
    let count = u8::try_from(temp_keys.len().checked_sub(1)?)
        .ok()
        .filter(|&c| c < 4)?;
    let mut out = vec![2u8, key, data_len, pad_len, count];
    for k in temp_keys {
        out.extend_from_slice(k);
    }
    out.extend_from_slice(data);
    out.extend_from_slice(padding);
    Some(out)
}

/// An `rsa` raw decrypt input: `encrypted_data` for the test server key (mode 7).
pub fn rsa_decrypt(encrypted_data: &[u8]) -> Vec<u8> {
    let mut out = vec![7u8];
    out.extend_from_slice(encrypted_data);
    out
}

/// Read a fuzz input of `target` back into what a vector states, or say why it cannot be.
pub fn parse(target: &str, data: &[u8]) -> Result<Parsed, String> {
    let kind = match target {
        "transport_abridged" => Some(Kind::Abridged),
        "transport_intermediate" => Some(Kind::Intermediate),
        "transport_padded" => Some(Kind::Padded),
        "transport_full" => Some(Kind::Full),
        _ => None,
    };
    let short = || format!("the input is too short for {target}'s layout");
    if let Some(kind) = kind {
        let (dir, _, stream) = transport_parts(data).ok_or_else(short)?;
        return Ok(Parsed::Transport {
            kind,
            dir,
            stream: stream.to_vec(),
        });
    }
    match target {
        "transport_obfuscated" => {
            let (kind, dir, secret, init, stream) = crate::transport::obfuscated_parts(data)
                .ok_or_else(|| {
                    format!(
                        "the input is too short for {target}'s layout, or its client refuses \
                         the init (a dd secret with another framing than padded)"
                    )
                })?;
            Ok(Parsed::Obfuscated {
                kind,
                dir,
                secret,
                init: Box::new(init),
                stream,
            })
        }
        "tl_decode" => {
            let (_, secret, bytes) = tl_parts(data).ok_or_else(short)?;
            Ok(Parsed::Tl {
                secret,
                bytes: bytes.to_vec(),
            })
        }
        "pq" => Ok(Parsed::Pq {
            pq: pq_value(data).ok_or_else(short)?,
        }),
        "dh_checks" => dh_parts(data).ok_or_else(|| {
            "the input is too short, or an agreement input (no vector type states it)".to_owned()
        }),
        "envelope_decrypt" => {
            let mut u = arbitrary::Unstructured::new(data);
            let built = super::key(&mut u).is_ok()
                && super::receiver(&mut u).is_ok()
                && <u8 as arbitrary::Arbitrary>::arbitrary(&mut u).is_ok_and(|m| m & 2 != 0);
            if built {
                return Err(
                    "a correctly-built-packet input (envelope_decrypt's second mode) states a                      message, not a packet: commit the minimised input under                      fuzz/regressions/envelope_decrypt/ (cargo test replays it) instead"
                        .to_owned(),
                );
            }
            let (key, receiver, packet) = envelope_decrypt_parts(data).ok_or_else(short)?;
            Ok(Parsed::EnvelopeDecrypt {
                key,
                receiver,
                packet,
            })
        }
        other if super::target(other).is_some() => Err(format!(
            "no vector type states what {other} checks: commit the minimised input under \
             fuzz/regressions/{other}/ (cargo test replays it) instead"
        )),
        other => Err(format!("no fuzz target named {other}")),
    }
}

/// One operation of a `secret_chat` input: the target's `Op`, whose variant is `(u32 · 9) >> 32`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SecretOp {
    /// A side sends a message (`from_a`: the originator).
    Send {
        /// The originator sends.
        from_a: bool,
        /// Names the text (`m{x}`).
        x: u16,
    },
    /// The relay delivers the packet at this index (modulo those in flight).
    Deliver(u16),
    /// Delivers it and keeps it in flight.
    Duplicate(u16),
    /// Delivers it with a bit flipped.
    Tamper(u16, u16),
    /// Replays a packet delivered before.
    Replay(u16),
    /// Drops a packet.
    Drop(u16),
    /// Delivers these bytes to a side.
    Garbage {
        /// To the originator.
        to_a: bool,
        /// The bytes.
        bytes: Vec<u8>,
    },
    /// A side starts re-keying.
    Rekey {
        /// The originator starts.
        from_a: bool,
        /// Picks the secrets and `exchange_id = x % 5 - 2`.
        x: u8,
    },
}

/// `secret_chat`: `[key seed]` then each operation, its variant `(u32 · 9) >> 32` (nine
/// operations, the ninth a malicious peer's forged message, which no layout writes) and its
/// fields (bytes as `arbitrary` reads a `Vec<u8>`: `01 b` per byte, then `00`).
pub fn secret_chat(seed: u8, ops: &[SecretOp]) -> Vec<u8> {
    fn variant(out: &mut Vec<u8>, k: u32) {
        // The smallest u32 whose (v · 9) >> 32 is k.
        let v = ((u64::from(k) << 32).div_ceil(9)) as u32;
        out.extend_from_slice(&v.to_le_bytes());
    }
    let mut out = vec![seed];
    for op in ops {
        match op {
            SecretOp::Send { from_a, x } => {
                variant(&mut out, 0);
                out.push(u8::from(*from_a));
                out.extend_from_slice(&x.to_le_bytes());
            }
            SecretOp::Deliver(i) => {
                variant(&mut out, 1);
                out.extend_from_slice(&i.to_le_bytes());
            }
            SecretOp::Duplicate(i) => {
                variant(&mut out, 2);
                out.extend_from_slice(&i.to_le_bytes());
            }
            SecretOp::Tamper(i, bit) => {
                variant(&mut out, 3);
                out.extend_from_slice(&i.to_le_bytes());
                out.extend_from_slice(&bit.to_le_bytes());
            }
            SecretOp::Replay(i) => {
                variant(&mut out, 4);
                out.extend_from_slice(&i.to_le_bytes());
            }
            SecretOp::Drop(i) => {
                variant(&mut out, 5);
                out.extend_from_slice(&i.to_le_bytes());
            }
            SecretOp::Garbage { to_a, bytes } => {
                variant(&mut out, 6);
                out.push(u8::from(*to_a));
                // `arbitrary` reads a `Vec<u8>` element by element, each behind a "one more"
                // byte (low bit set), until a byte with the low bit clear.
                for &b in bytes {
                    out.extend_from_slice(&[1, b]);
                }
                out.push(0);
            }
            SecretOp::Rekey { from_a, x } => {
                variant(&mut out, 7);
                out.push(u8::from(*from_a));
                out.push(*x);
            }
        }
    }
    out
}

/// `secret_chat` inputs that exercise it end to end: in order, reordered, hostile, and with a
/// re-key.
pub fn secret_chat_examples() -> Vec<Vec<u8>> {
    use SecretOp::{Deliver, Drop, Duplicate, Rekey, Replay, Send, Tamper};
    let mut in_order = Vec::new();
    for i in 0..8u16 {
        in_order.push(Send {
            from_a: i % 2 == 1,
            x: i,
        });
        in_order.push(Deliver(0));
    }
    let mut reordered: Vec<SecretOp> = (0..6u16).map(|x| Send { from_a: true, x }).collect();
    reordered.extend((0..6u16).map(|i| Deliver(5 - i)));
    let mut hostile: Vec<SecretOp> = (0..6u16)
        .map(|x| Send {
            from_a: x % 2 == 1,
            x,
        })
        .collect();
    hostile.extend([
        Tamper(1, 77),
        Duplicate(0),
        Drop(2),
        Deliver(0),
        Replay(0),
        Deliver(1),
        Deliver(0),
    ]);
    let mut rekey = vec![Send { from_a: true, x: 1 }, Rekey { from_a: true, x: 1 }];
    rekey.extend((0..8).map(|_| Deliver(0)));
    // Both sides re-key at once (exchange_ids 1 and -1, then 0 and 0).
    let mut concurrent = vec![
        Send { from_a: true, x: 1 },
        Rekey { from_a: true, x: 3 },
        Rekey {
            from_a: false,
            x: 1,
        },
    ];
    concurrent.extend((0..8).map(|_| Deliver(0)));
    let mut equal = vec![
        Rekey { from_a: true, x: 2 },
        Rekey {
            from_a: false,
            x: 7,
        },
    ];
    equal.extend((0..8).map(|_| Deliver(0)));
    let mut out: Vec<Vec<u8>> = [in_order, reordered, hostile, rekey, concurrent, equal]
        .iter()
        .enumerate()
        .map(|(seed, ops)| secret_chat(seed as u8, ops))
        .collect();
    // A malicious peer (the ninth operation): after one message each way, a forged message of
    // each class of spec §8.2-§8.4 -- in order, short random_bytes, each parity wrong, a
    // repeat, a gap, in_seq_no above what was sent and below zero, a lowered layer; a RequestKey
    // to an idle side then a CommitKey with the right and with a wrong fingerprint; a RequestKey
    // with exchange_id -1 against a side that requested with 1.
    let warm = [
        Send { from_a: true, x: 1 },
        Send {
            from_a: false,
            x: 2,
        },
        Deliver(0),
        Deliver(0),
    ];
    let forged =
        |to_a: bool, out_d: u8, in_d: u8, parity: u8, random: u8, layer: u8, action: &[u8]| {
            let mut f = ((8u64 << 32).div_ceil(9) as u32).to_le_bytes().to_vec();
            f.extend_from_slice(&[u8::from(to_a), out_d, in_d, parity, random, layer]);
            f.extend_from_slice(action);
            f
        };
    let text = [0u8; 4];
    let request = |x: u8, id: i8, race: u8, then_commit: u8| {
        let mut a = ((1u64 << 32).div_ceil(3) as u32).to_le_bytes().to_vec();
        a.extend_from_slice(&[x, id as u8, race, then_commit]);
        a
    };
    let commit = |right: bool| {
        let mut a = ((2u64 << 32).div_ceil(3) as u32).to_le_bytes().to_vec();
        a.extend_from_slice(&[1, u8::from(right)]);
        a.extend_from_slice(&0x1234_i64.to_le_bytes());
        a
    };
    let base = secret_chat(9, &warm);
    for f in [
        forged(true, 0, 0, 0, 0, 0, &text),
        forged(false, 0, 0, 0, 9, 0, &text),
        forged(true, 0, 0, 1, 0, 0, &text),
        forged(true, 0, 0, 6, 0, 0, &text),
        forged(true, 2, 0, 0, 0, 0, &text),
        forged(true, 1, 0, 0, 0, 0, &text),
        forged(false, 0, 2, 0, 0, 0, &text),
        forged(false, 0, 5, 0, 0, 0, &text),
        forged(true, 0, 0, 0, 0, 2, &text),
    ] {
        let mut d = base.clone();
        d.extend_from_slice(&f);
        out.push(d);
    }
    for right in [true, false] {
        let mut d = base.clone();
        d.extend_from_slice(&forged(false, 0, 0, 0, 0, 0, &request(5, 3, 0, 0)));
        d.extend_from_slice(&forged(false, 0, 0, 0, 0, 0, &commit(right)));
        out.push(d);
    }
    let mut d = secret_chat(
        10,
        &[Send { from_a: true, x: 1 }, Rekey { from_a: true, x: 3 }],
    );
    d.extend_from_slice(&forged(true, 0, 0, 0, 0, 0, &request(6, -1, 0, 0)));
    out.push(d);
    // The same in one operation each: the receiver races its own request (exchange_id 0)
    // against -1; a RequestKey followed at once by a CommitKey with a wrong, and a right,
    // fingerprint.
    for action in [
        request(6, -1, 5, 0),
        request(3, 2, 0, 2),
        request(4, 1, 0, 1),
    ] {
        let mut d = base.clone();
        d.extend_from_slice(&forged(false, 0, 0, 0, 0, 0, &action));
        out.push(d);
    }
    out
}

/// `handshake_server` with the server's answers to each `set_client_DH_params` it accepts
/// (`0` ok, `1` retry, `2` fail) and, after a retry, the answered message replayed instead of the
/// client's resend (`replay`).
pub fn handshake_server_answers(
    seed: u64,
    temporary: bool,
    answers: &[u8],
    replay: bool,
) -> Vec<u8> {
    let mut out = seed.to_le_bytes().to_vec();
    out.push(u8::from(temporary));
    out.extend_from_slice(&[0; 12]);
    for i in 0..4 {
        let a = u64::from(answers.get(i).copied().unwrap_or(0) % 3);
        let v = if a == 0 {
            0
        } else {
            ((a << 32) / 3 + 1) as u32
        };
        out.extend_from_slice(&v.to_le_bytes());
    }
    if replay {
        out.extend_from_slice(&(1u32 << 31).to_le_bytes());
    }
    out
}

/// Inputs no vector gives, by target: shapes that reach a target's deeper checks (plaintexts of
/// every padding class, honest and retried handshakes, each `dh_checks` and `pq` mode, whole
/// secret-chat conversations). `mtproto-harness fuzz-corpus` adds them to every corpus it writes,
/// so the committed `fuzz/seeds/` hold them.
pub fn examples() -> Vec<(&'static str, Vec<u8>)> {
    let mut out: Vec<(&'static str, Vec<u8>)> = Vec::new();
    // rsa: each committed key's fingerprint with a zero byte before n and e; the scripted
    // decrypt mode (`[4][shape][temp key][hash][tamper][len u16]`): every shape with the right
    // hash, an unknown constructor and a 148-byte object with a wrong hash, the old encoding's
    // hash, the block plus n, and blocks of 255 and 257 bytes.
    for key in 0..3u8 {
        out.push(("rsa", vec![0, key, 1, 1]));
    }
    for shape in 0..8u8 {
        out.push(("rsa", vec![4, shape, 0, 0, 0, 0, 0]));
    }
    for ex in [
        [4u8, 4, 1, 1, 0, 0, 0],
        [4, 6, 2, 1, 0, 0, 0],
        [4, 0, 3, 2, 0, 0, 0],
        [4, 0, 0, 0, 2, 0, 0],
        [4, 0, 0, 0, 3, 255, 0],
        [4, 0, 0, 0, 3, 1, 1],
    ] {
        out.push(("rsa", ex.to_vec()));
    }
    // envelope_decrypt, second mode (a message the model encrypts, fixed key): one of each R5
    // class -- valid, a length field off by 1, 2 and -4, padding below 12 and above 1024 -- and a
    // valid one with a bit flipped. Fields: salt, session, msg_id, seq_no, length delta, padding
    // wanted, flip, then the body.
    for (to_server, delta, padding, flip, body_len) in [
        (true, 0i8, 12u16, 0u16, 8usize),
        (false, 1, 12, 0, 8),
        (true, 2, 20, 0, 6),
        (false, -4, 40, 0, 16),
        (true, 0, 0, 0, 4),
        (false, 0, 1030, 0, 4),
        (true, 0, 16, 300, 12),
    ] {
        let mut p = vec![1u8, u8::from(!to_server), 2];
        for v in [0x1111_i64, 0x2222, 0x6000_0000_0000_0004] {
            p.extend_from_slice(&v.to_le_bytes());
        }
        p.extend_from_slice(&2i32.to_le_bytes());
        p.push(delta as u8);
        p.extend_from_slice(&padding.to_le_bytes());
        p.extend_from_slice(&flip.to_le_bytes());
        p.extend((0..body_len).map(|i| i as u8));
        p.extend_from_slice(&(body_len as u32).to_le_bytes());
        out.push(("envelope_decrypt", p));
    }
    // call_packet: `[key seed]` then operations (variant (u32 · 5) >> 32: send, deliver, replay,
    // tamper, forge). Honest traffic on all four streams delivered, one misdelivered, a replay,
    // a tampered packet, and forged counters around the window (+1, -1, -64, a flagged one).
    let call_op = |out: &mut Vec<u8>, k: u32, fields: &[u8]| {
        let v = ((u64::from(k) << 32).div_ceil(5)) as u32;
        out.extend_from_slice(&v.to_le_bytes());
        out.extend_from_slice(fields);
    };
    let mut calls = vec![7u8];
    for (caller, signaling) in [(1u8, 0u8), (0, 0), (1, 1), (0, 1)] {
        call_op(&mut calls, 0, &[caller, signaling, 2, 9]);
        call_op(&mut calls, 1, &[0, 0]);
    }
    call_op(&mut calls, 0, &[1, 0, 0, 3]);
    call_op(&mut calls, 1, &[0, 1]);
    call_op(&mut calls, 2, &[0]);
    call_op(&mut calls, 0, &[0, 1, 1, 5]);
    call_op(&mut calls, 3, &[0, 9, 0]);
    out.push(("call_packet", calls.clone()));
    for (delta, flags) in [(1i16, 0u8), (-1, 0), (-64, 0), (3, 2), (0, 0)] {
        let mut c = calls.clone();
        call_op(&mut c, 4, &[1, 0]);
        c.extend_from_slice(&delta.to_le_bytes());
        c.extend_from_slice(&[flags, 4]);
        out.push(("call_packet", c));
    }
    // call_exchange: the emoji of two keys (mode 0), an honest exchange and one with each thing
    // in transit replaced (mode 1: a, b, commitment, other_a, g_b, other_b, reveal, fingerprint
    // choice, at, fingerprint, hash).
    out.push((
        "call_exchange",
        [0u8].into_iter().chain(0..=255).chain(0..=255).collect(),
    ));
    out.push(("call_exchange", vec![0u8; 513]));
    for (commitment, g_b, reveal, fp) in [
        (0u8, 0u8, 0u8, 0u8),
        (1, 0, 1, 1),
        (2, 0, 0, 0),
        (0, 1, 0, 0),
        (0, 2, 0, 0),
        (0, 0, 2, 1),
        (0, 0, 0, 2),
        (0, 0, 1, 1),
    ] {
        let mut e = vec![1u8, 3, 5, commitment, 4, g_b, 6, reveal, fp, 17];
        e.extend_from_slice(&[0x5a; 8 + 32]);
        out.push(("call_exchange", e));
    }
    // envelope_parse: plaintext-shaped bytes (salt, session, msg_id, seq_no, length, body, padding).
    for (body_len, pad) in [
        (0u32, 16usize),
        (4, 12),
        (8, 8),
        (12, 1028),
        (2, 30),
        (88, 24),
    ] {
        let mut p = Vec::new();
        for _ in 0..3 {
            p.extend_from_slice(&1u64.to_le_bytes());
        }
        p.extend_from_slice(&1u32.to_le_bytes());
        p.extend_from_slice(&body_len.to_le_bytes());
        p.extend(core::iter::repeat_n(0x11, body_len as usize));
        p.extend(core::iter::repeat_n(0x22, pad));
        out.push(("envelope_parse", p));
    }
    // envelope_roundtrip: an arbitrary key (0..=255 twice: the first 256 are the key).
    for n in [0usize, 64, 300] {
        let mut p = vec![1u8];
        p.extend((0..=255u8).chain(0..=255u8));
        p.extend(core::iter::repeat_n(0, n));
        out.push(("envelope_roundtrip", p));
    }
    // unencrypted_decode: req_pq_multi-shaped and a 5-byte body.
    let unencrypted = |msg_id: u64, body: &[u8]| {
        let mut p = vec![0u8; 8];
        p.extend_from_slice(&msg_id.to_le_bytes());
        p.extend_from_slice(&(body.len() as u32).to_le_bytes());
        p.extend_from_slice(body);
        p
    };
    out.push((
        "unencrypted_decode",
        unencrypted(0x51E5_7AC4_2770_964A, &[0x78, 0x97, 0x46, 0x60]),
    ));
    out.push(("unencrypted_decode", unencrypted(0, b"abcde")));
    // tl_bytes: empty, padded short forms, the long form, and wrong padding.
    let mut long = vec![0xfe, 0x00, 0x01, 0x00];
    long.extend_from_slice(&[0; 256]);
    for b in [
        &[][..],
        &[0, 0, 0, 0],
        b"\x03abc",
        &long,
        b"\xfe\x03\x00\x00abc\x00",
        b"\x01a\x00\x07",
    ] {
        out.push(("tl_bytes", b.to_vec()));
    }
    // tl_decode: `Bool` and `true` read as mtproto.tl's `Object` (boolTrue, boolFalse, true), an
    // `rpc_result` answering with a `Bool` (auth.bindTempAuthKey's answer) and with a Bool id
    // one bit off, and the shapes around them (an id one bit off alone, three bytes of boolTrue,
    // boolFalse with bytes after it, a vector id with no count). These are `TlCodecTest` cases
    // the 24-input sample of the TL vectors does not pick, and the only seeds that reach the
    // Bool variants of `Object`.
    const BOOL_TRUE: [u8; 4] = [0xb5, 0x75, 0x72, 0x99];
    const BOOL_FALSE: [u8; 4] = [0x37, 0x97, 0x79, 0xbc];
    const NOT_BOOL: [u8; 4] = [0xb4, 0x75, 0x72, 0x99];
    let rpc_result = |answer: &[u8]| {
        let mut v = vec![0x01, 0x6d, 0x5c, 0xf3];
        v.extend_from_slice(&0x5e30_8b91_c2c1_f004u64.to_le_bytes());
        v.extend_from_slice(answer);
        v
    };
    for bytes in [
        BOOL_TRUE.to_vec(),
        BOOL_FALSE.to_vec(),
        vec![0x39, 0xd3, 0xed, 0x3f],
        rpc_result(&BOOL_TRUE),
        rpc_result(&BOOL_FALSE),
        rpc_result(&NOT_BOOL),
        NOT_BOOL.to_vec(),
        BOOL_TRUE[..3].to_vec(),
        [&BOOL_FALSE[..], &[0; 4]].concat(),
        vec![0x15, 0xc4, 0xb5, 0x1c],
    ] {
        out.push(("tl_decode", tl(false, &bytes)));
    }
    // Handshakes: honest, permanent and temporary; the client's dh_gen answered by a forged
    // dh_gen_retry / dh_gen_fail / a wrong hash; the server answering retry, fail, three retries,
    // and a replayed message after a retry.
    for seed in 0..3u64 {
        for temporary in [false, true] {
            out.push(("handshake_client", handshake(seed, temporary)));
            out.push(("handshake_server", handshake(seed, temporary)));
        }
    }
    for variant in 1..=3u64 {
        let v = ((variant << 32) / 4 + 1) as u32;
        let mut p = vec![0u8; 17];
        p.extend_from_slice(&v.to_le_bytes());
        p.extend_from_slice(&[0; 8]);
        out.push(("handshake_client", p));
    }
    for (answers, replay) in [
        (&[1u8][..], false),
        (&[1], true),
        (&[1, 1, 2], false),
        (&[2], false),
        (&[1, 1, 1], false),
    ] {
        out.push((
            "handshake_server",
            handshake_server_answers(0, true, answers, replay),
        ));
    }
    // dh_checks: each number of the table (`psel >> 4`) with its own g, and with g = 2, which
    // the Telegram prime's congruence refuses.
    for i in 0..9u8 {
        out.push(("dh_checks", vec![0, i << 4, 0, 0, 0, 0, 0, 0]));
        out.push(("dh_checks", vec![0, i << 4, 1, 3, 0, 0, 0, 0]));
    }
    // dh_checks: each prime selector (the table, changed, given) with its own g; values at
    // each boundary (1, p, 2^1984, p - 2^1984) and one off; an agreement.
    for psel in 0..16u8 {
        out.push(("dh_checks", vec![0, psel, 0, 0, 0, 255, 1, 0]));
    }
    for vsel in 0..4u8 {
        for delta in [0u8, 1, 255] {
            out.push(("dh_checks", vec![4, 0, vsel, delta, 0]));
        }
    }
    // Agreements: a group selector and two secret selectors (16 scripted secrets).
    out.push(("dh_checks", vec![7, 0, 4, 5]));
    out.push(("dh_checks", vec![7, 1, 1, 3]));
    out.push(("dh_checks", vec![7, 0, 6, 7]));
    // pq: the official sample's primes (mode 0) and its pq as a u64 (mode 1).
    let mut semiprime = vec![0u8];
    semiprime.extend_from_slice(&0x494C_553Bu32.to_le_bytes());
    semiprime.extend_from_slice(&0x5391_1073u32.to_le_bytes());
    out.push(("pq", semiprime));
    let mut sample = vec![1u8];
    sample.extend_from_slice(&0x17ED_4894_1A08_F981u64.to_le_bytes());
    out.push(("pq", sample));
    out.extend(
        secret_chat_examples()
            .into_iter()
            .map(|e| ("secret_chat", e)),
    );
    out
}
