//! The call targets (spec §9, <https://core.telegram.org/api/end-to-end/video-calls>), each judged
//! against a computation written here from the formulas, not the reference's code:
//!
//! - `call_packet`: the four ends of a call's packet streams (caller and callee, transport and
//!   signaling channel). The input sends honest packets (numbered by [`Outgoing`]), forges packets
//!   with any counter and flag bits, delivers any packet in flight to any of the four receivers
//!   (the wrong one included), replays delivered packets and flips bits. Every honest packet
//!   must be the model's encryption of its body ([`seal`]: msg_key over the key slice at
//!   `88 + x`, the KDF slices, AES-256-CTR with the 16-byte IV); every delivery must get the
//!   model's verdict ([`Window`]: msg_key, then the first seq's counter without its two flag
//!   bits, refused when 0 or ≥ 2^30, at or below the highest minus 64, or already seen), and an
//!   accepted one exactly its body, seq and counter.
//! - `call_exchange`: even first byte, the emoji and fingerprint of an arbitrary key and `g_a`
//!   against SHA-256 / SHA-1 here; odd, a key exchange between 4 scripted caller and 4 callee
//!   secrets with what travels replaced (the committed `g_a_hash`, `g_b`, the revealed `g_a`, the
//!   fingerprint): the caller must accept exactly the `g_b` the value model accepts, and the
//!   callee exactly a revealed `g_a` whose SHA-256 is the commitment, that passes the value
//!   model, with the fingerprint of the key it computes; both keys must then agree.

use std::collections::BTreeSet;

use aes::Aes256;
use arbitrary::{Arbitrary, Unstructured};
use cipher::{KeyIvInit, StreamCipher};
use sha1::Sha1;
use sha2::{Digest, Sha256};

use crate::envelope_model;
use mtproto::call::packet::Channel;
use mtproto::call::seq::{Incoming, Outgoing};
use mtproto::call::{CallKey, Callee, Caller, EMOJI};
use mtproto::crypto::dh::PRIME_LEN;
use mtproto::secret::{ChatKey, Role};

const MAX_OPS: usize = 64;

/// `x` of packets from `caller` (the originator) or the callee on a channel, as spec §9.3 says.
fn model_x(from_caller: bool, signaling: bool) -> usize {
    (if from_caller { 0 } else { 8 }) + if signaling { 128 } else { 0 }
}

/// The call channels hash and derive as MTProto 2.0 does (the envelope model's `msg_key` and
/// `kdf`); only the cipher differs: AES-256-CTR with the 16-byte IV
/// `aes_iv[0..4] ‖ aes_iv[8..16] ‖ aes_iv[24..28]`.
fn model_ctr(key: &[u8; 256], x: usize, msg_key: &[u8; 16], data: &mut [u8]) {
    let (aes_key, aes_iv) = envelope_model::kdf(key, x, msg_key);
    let mut iv = [0u8; 16];
    iv[..4].copy_from_slice(&aes_iv[..4]);
    iv[4..12].copy_from_slice(&aes_iv[8..16]);
    iv[12..].copy_from_slice(&aes_iv[24..28]);
    ctr::Ctr128BE::<Aes256>::new(&aes_key.into(), &iv.into()).apply_keystream(data);
}

/// The model's packet: `msg_key ‖ AES-256-CTR(body)`.
fn seal(key: &[u8; 256], x: usize, body: &[u8]) -> Vec<u8> {
    let mk = envelope_model::msg_key(key, x, body);
    let mut out = mk.to_vec();
    let mut data = body.to_vec();
    model_ctr(key, x, &mk, &mut data);
    out.extend_from_slice(&data);
    out
}

/// The model's decryption: the body if the packet has msg_key, a seq and a type byte, and its
/// msg_key matches.
fn open(key: &[u8; 256], x: usize, packet: &[u8]) -> Option<Vec<u8>> {
    if packet.len() < 16 + 4 + 1 {
        return None;
    }
    let mk: [u8; 16] = packet[..16].try_into().ok()?;
    let mut body = packet[16..].to_vec();
    model_ctr(key, x, &mk, &mut body);
    (envelope_model::msg_key(key, x, &body) == mk).then_some(body)
}

/// The replay rule of one receiver, plainly: every counter accepted, and the highest.
#[derive(Default)]
struct Window {
    seen: BTreeSet<u32>,
    max: u32,
}

impl Window {
    /// Whether `counter` is accepted; records it if so.
    fn take(&mut self, counter: u32) -> bool {
        let ok = counter != 0
            && counter < 1 << 30
            && (counter > self.max || self.max - counter < 64)
            && !self.seen.contains(&counter);
        if ok {
            self.seen.insert(counter);
            self.max = self.max.max(counter);
        }
        ok
    }
}

#[derive(Arbitrary, Debug)]
enum CallOp {
    /// An honest packet from the caller or callee on a channel, with flag bits and a message.
    Send {
        from_caller: bool,
        signaling: bool,
        flags: u8,
        len: u8,
    },
    /// A packet in flight to a receiver: its own when `wrong % 4 == 0`, else another.
    Deliver { i: u8, wrong: u8 },
    /// A delivered packet again, to its receiver.
    Replay { i: u8 },
    /// One bit of a packet in flight flipped, to its receiver.
    Tamper { i: u8, bit: u16 },
    /// A packet the model encrypts with any counter: the receiver's highest plus `delta`, and
    /// any flag bits.
    Forge {
        from_caller: bool,
        signaling: bool,
        delta: i16,
        flags: u8,
        len: u8,
    },
}

/// The four streams: index = 2·(sent by the callee) + (signaling).
fn stream(from_caller: bool, signaling: bool) -> usize {
    2 * usize::from(!from_caller) + usize::from(signaling)
}

fn channel(signaling: bool) -> Channel {
    if signaling {
        Channel::Signaling
    } else {
        Channel::Transport
    }
}

fn role(caller: bool) -> Role {
    if caller {
        Role::Originator
    } else {
        Role::Acceptor
    }
}

struct Calls {
    key: [u8; 256],
    chat_key: ChatKey,
    out: [Outgoing; 4],
    /// The receiving end of each stream (its receiver is the sender's peer).
    incoming: Vec<Incoming>,
    model: [Window; 4],
    flying: Vec<(usize, Vec<u8>)>,
    delivered: Vec<(usize, Vec<u8>)>,
}

impl Calls {
    fn deliver(&mut self, s: usize, packet: &[u8]) -> bool {
        let x = model_x(s < 2, s % 2 == 1);
        let want = open(&self.key, x, packet).and_then(|body| {
            let seq = u32::from_be_bytes(body[..4].try_into().ok()?);
            let counter = seq & 0x3fff_ffff;
            self.model[s].take(counter).then_some((seq, counter, body))
        });
        let got = self.incoming[s].receive(packet);
        match (want, got) {
            (Some((seq, counter, body)), Ok(r)) => {
                assert_eq!(
                    (r.seq, r.counter, &r.body),
                    (seq, counter, &body),
                    "an accepted call packet has another seq, counter or body"
                );
                true
            }
            (None, Err(_)) => false,
            (Some((seq, counter, _)), Err(e)) => panic!(
                "stream {s}: a packet with a matching msg_key and fresh counter {counter} \
                 (seq {seq:#x}) was refused: {e:?}"
            ),
            (None, Ok(r)) => panic!(
                "stream {s}: accepted a packet the model refuses (seq {:#x}, counter {}: a bad \
                 msg_key, counter 0 or >= 2^30, too old or a replay)",
                r.seq, r.counter
            ),
        }
    }

    fn apply(&mut self, op: CallOp) {
        let n = self.flying.len();
        match op {
            CallOp::Send {
                from_caller,
                signaling,
                flags,
                len,
            } => {
                let s = stream(from_caller, signaling);
                let message: Vec<u8> = (0..=len).map(|i| i ^ flags).collect();
                let Ok(p) = self.out[s].seal(
                    &self.chat_key,
                    role(from_caller),
                    channel(signaling),
                    u32::from(flags) << 30,
                    &message,
                ) else {
                    panic!("a sender refused its first 64 messages");
                };
                let seq = (self.out[s].counter() | (u32::from(flags) << 30)).to_be_bytes();
                let mut body = seq.to_vec();
                body.extend_from_slice(&message);
                assert!(
                    p == seal(&self.key, model_x(from_caller, signaling), &body),
                    "a call packet differs from the model's (msg_key over key[88 + x..], KDF \
                     slices, CTR IV) for x = {}",
                    model_x(from_caller, signaling)
                );
                self.flying.push((s, p));
            }
            CallOp::Deliver { i, wrong } if n > 0 => {
                let (s, p) = self.flying.remove(usize::from(i) % n);
                let to = (s + usize::from(wrong)) % 4;
                if self.deliver(to, &p) {
                    self.delivered.push((to, p));
                }
            }
            CallOp::Replay { i } if !self.delivered.is_empty() => {
                let (s, p) = self.delivered[usize::from(i) % self.delivered.len()].clone();
                assert!(!self.deliver(s, &p), "a replayed call packet was accepted");
            }
            CallOp::Tamper { i, bit } if n > 0 => {
                let (s, mut p) = self.flying[usize::from(i) % n].clone();
                let bit = usize::from(bit) % (p.len() * 8);
                p[bit / 8] ^= 1 << (bit % 8);
                assert!(
                    !self.deliver(s, &p),
                    "a call packet with bit {bit} flipped was accepted"
                );
            }
            CallOp::Forge {
                from_caller,
                signaling,
                delta,
                flags,
                len,
            } => {
                let s = stream(from_caller, signaling);
                let counter = (i64::from(self.model[s].max) + i64::from(delta)) as u32;
                let seq = (counter & 0x3fff_ffff) | (u32::from(flags) << 30);
                let mut body = seq.to_be_bytes().to_vec();
                body.extend((0..=len).map(|i| i.wrapping_mul(3)));
                let p = seal(&self.key, model_x(from_caller, signaling), &body);
                if self.deliver(s, &p) {
                    self.delivered.push((s, p));
                }
            }
            _ => {}
        }
    }
}

/// `call_packet`.
pub fn call_packet(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let Ok(seed) = u8::arbitrary(&mut u) else {
        return;
    };
    // A key whose slices at x = 0, 8, 128 and 136 all differ, so a packet for one receiver
    // never verifies for another.
    let key: [u8; 256] = core::array::from_fn(|i| (i as u8).wrapping_mul(29).wrapping_add(seed));
    let chat_key = ChatKey::new(key);
    let incoming = (0..4)
        .map(|s| Incoming::new(chat_key.clone(), role(s >= 2), channel(s % 2 == 1)))
        .collect();
    let mut c = Calls {
        key,
        chat_key,
        out: [Outgoing::new(); 4],
        incoming,
        model: Default::default(),
        flying: Vec::new(),
        delivered: Vec::new(),
    };
    for _ in 0..MAX_OPS {
        let Ok(op) = CallOp::arbitrary(&mut u) else {
            break;
        };
        c.apply(op);
        if u.is_empty() {
            break;
        }
    }
}

/// A scripted DH secret (4 per side, so the exchange's few dozen exponentiations repeat and are
/// found in the fuzz build's memo after the first inputs).
fn secret(i: u8, caller: bool) -> [u8; PRIME_LEN] {
    let mut s = [0x40 | (i % 4) | if caller { 0x80 } else { 0 }; PRIME_LEN];
    s[0] = 0x3f;
    s
}

#[derive(Arbitrary, Debug)]
struct Exchange {
    a: u8,
    b: u8,
    /// What the callee stores as `g_a_hash`: 0 the caller's, 1 another caller's, else 32
    /// arbitrary bytes.
    commitment: u8,
    other_a: u8,
    /// What reaches the caller as `g_b`: 0 the callee's, 1 another callee's, 2 one byte, 3 the
    /// callee's with its top `at % 8 + 1` bytes cleared.
    g_b: u8,
    other_b: u8,
    /// What reaches the callee as `g_a`: 0 the caller's, 1 another caller's (`other_a`), 2 the
    /// caller's with one byte changed.
    reveal: u8,
    /// The fingerprint sent: 0 the caller's key's, 1 that of the key the callee computes from
    /// what it gets, else `fingerprint`.
    fingerprint_choice: u8,
    at: u8,
    fingerprint: i64,
    hash: [u8; 32],
}

fn model_fingerprint(key: &[u8]) -> [u8; 8] {
    Sha1::digest(key)[12..20].try_into().unwrap_or([0; 8])
}

fn emoji_and_fingerprint(u: &mut Unstructured<'_>) {
    let (Ok(key), Ok(g_a)) = (<[u8; 256]>::arbitrary(u), <[u8; 256]>::arbitrary(u)) else {
        return;
    };
    let h = Sha256::new().chain_update(key).chain_update(g_a).finalize();
    let want: [usize; 4] = core::array::from_fn(|i| {
        let word = u64::from_be_bytes(h[8 * i..8 * i + 8].try_into().unwrap_or([0; 8]));
        ((word & 0x7fff_ffff_ffff_ffff) % 333) as usize
    });
    assert_eq!(
        mtproto::call::emoji_indices(&key, &g_a),
        want,
        "emoji indices differ from (big-endian word & 0x7fff_ffff_ffff_ffff) mod 333"
    );
    let k = CallKey::new(key, g_a);
    assert_eq!(k.emoji(), want.map(|i| EMOJI[i]));
    assert_eq!(
        k.fingerprint(),
        model_fingerprint(&key),
        "call key fingerprint"
    );
    assert_eq!(
        k.voice_call_id()[..],
        Sha256::digest(key)[16..32],
        "voice_call_id is not SHA256(key)[16..32]"
    );
}

fn exchange(e: &Exchange) {
    let group = crate::dh::proven().1[0].clone();
    let p = *group.p();
    let Ok(caller) = Caller::new(group.clone(), secret(e.a, true)) else {
        return;
    };
    let Ok(other) = Caller::new(group.clone(), secret(e.other_a, true)) else {
        return;
    };
    let g_a = *caller.g_a();
    let commitment: Vec<u8> = match e.commitment % 3 {
        0 => Sha256::digest(g_a).to_vec(),
        1 => Sha256::digest(other.g_a()).to_vec(),
        _ => e.hash.to_vec(),
    };
    assert_eq!(
        caller.g_a_hash()[..],
        Sha256::digest(g_a)[..],
        "g_a_hash is not SHA256(g_a)"
    );
    let Ok(callee) = Callee::new(group.clone(), &commitment, secret(e.b, false)) else {
        return;
    };
    let Ok(other_callee) = Callee::new(group.clone(), &commitment, secret(e.other_b, false)) else {
        return;
    };
    let at = usize::from(e.at);
    let g_b: Vec<u8> = match e.g_b % 4 {
        0 => callee.g_b().to_vec(),
        1 => other_callee.g_b().to_vec(),
        2 => vec![e.at],
        _ => {
            // Its top bytes cleared: below the 2^(2048-64) margin (no exponentiation to wait for).
            let mut v = callee.g_b().to_vec();
            v[..=at % 8].fill(0);
            v
        }
    };
    let model_ok = crate::dh::model_value(&p, &g_b).is_ok();
    let caller_key = match (caller.on_accepted(&g_b), model_ok) {
        (Ok(k), true) => k,
        (Err(_), false) => return,
        (got, _) => panic!(
            "the caller's verdict on g_b ({:?}) is not the value model's ({model_ok})",
            got.map(|_| ())
        ),
    };
    let revealed: Vec<u8> = match e.reveal % 3 {
        0 => g_a.to_vec(),
        1 => other.g_a().to_vec(),
        _ => {
            let mut v = g_a.to_vec();
            v[at] ^= 0x01;
            v
        }
    };
    let value_ok = crate::dh::model_value(&p, &revealed).is_ok();
    let hash_ok = Sha256::digest(&revealed)[..] == commitment[..];
    // The key the callee computes from what it got: computed for the scripted values only (a
    // fresh exponentiation for every changed g_a would slow the target to a crawl; a changed one
    // fails the commitment first anyway).
    let callee_side = (value_ok && (hash_ok || e.reveal % 3 == 1))
        .then(|| group.check_value(&revealed).ok())
        .flatten()
        .map(|v| group.pow(&v, &secret(e.b, false)));
    let fingerprint = match e.fingerprint_choice % 3 {
        0 => caller_key.key().fingerprint_long(),
        1 => callee_side.map_or(e.fingerprint, |k| ChatKey::new(k).fingerprint_long()),
        _ => e.fingerprint,
    };
    let fp = callee_side.map(|k| model_fingerprint(&k) == fingerprint.to_le_bytes());
    let fp_ok = fp == Some(true);
    // Only a hash match lets the callee reach the fingerprint (when it does not, the model
    // computed nothing for a changed g_a, and there is nothing to compare).
    let want = hash_ok && value_ok && fp_ok;
    match (callee.on_confirmed(&revealed, fingerprint), want) {
        (Ok(k), true) => {
            assert_eq!(
                Some(*k.key().as_bytes()),
                callee_side,
                "the callee's key is not g_a^b"
            );
            assert_eq!(k.g_a()[..], revealed[..]);
            if e.g_b.is_multiple_of(4) && e.reveal.is_multiple_of(3) {
                assert_eq!(
                    k.key().as_bytes(),
                    caller_key.key().as_bytes(),
                    "keys differ"
                );
                assert_eq!(k.emoji(), caller_key.emoji(), "emoji differ");
            }
        }
        (Err(_), false) => {}
        (got, _) => panic!(
            "the callee's verdict ({:?}) is not the model's: SHA256(g_a) = g_a_hash {hash_ok}, \
             g_a passes the value checks {value_ok}, fingerprint matches {fp:?} (None: not reached)",
            got.map(|_| ())
        ),
    }
}

/// `call_exchange`.
pub fn call_exchange(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let Ok(mode) = u8::arbitrary(&mut u) else {
        return;
    };
    if mode % 2 == 0 {
        emoji_and_fingerprint(&mut u);
    } else if let Ok(e) = Exchange::arbitrary(&mut u) {
        exchange(&e);
    }
}
