//! `handshake_client`, `handshake_server`: the auth-key exchange
//! (<https://core.telegram.org/mtproto/auth_key>) with one side honest
//! (the reference) and every message of the other side delivered as sent or changed by the input
//! (a bit flipped, truncated, a byte set, the constructor id swapped for another handshake id,
//! replaced, extended). All randomness is scripted from a seed in the input (SHA-256 in counter
//! mode), the RSA key is the test server key, and `dh_prime` is the production prime, proven
//! once per process and then found in a [`SafePrimeCache`](mtproto::crypto::dh::SafePrimeCache).
//!
//! **Scripts.** The input's `u64` seed picks one of [`SCRIPTS`] (256) scripts: seed modulo 256.
//! Every nonce, `a`, `b`, padding and temp key comes from the script, and so do the primes of
//! `pq` (the official sample's for one script in eight, two primes near 2^10 for the others), so in a fuzz build the
//! exchange's exponentiations and its RSA_PAD decryption are the same for every input of one script
//! and are found in the exponentiation memo (`mtproto::fuzzing::memo`, compiled only under
//! `cfg(fuzzing)`, keyed by all their inputs, fuzz builds only), where a free 64-bit seed made each
//! mutated seed byte cost a fresh exchange (about five 2048-bit exponentiations). No state is lost
//! by the smaller set: the protocol branches on its randomness only where RSA_PAD refuses a temp
//! key (the value is `>= n`, about 27% per key for the test key's `n = 0xBA…`, so dozens of the 256
//! scripts retry once or more), and where `g_a`/`g_b` falls outside the 2^1984 margin (probability
//! ~2^-64, unreachable with any seed); everything the input changes (the tampering, the answers,
//! the retries) is independent of the script.
//!
//! Invariants:
//!
//! - every refusal is a typed [`HandshakeError`] with a vocabulary name;
//! - an untouched exchange completes, with the same auth key, salt and clock offset on both
//!   sides (liveness);
//! - a side that completes holds the key the other side computed: the client never accepts a
//!   key the server does not have, the server never finishes with a key the client rejects;
//! - `handshake_client` also forges well-formed `dh_gen_retry` / `dh_gen_fail` answers with the
//!   right `new_nonce_hash2/3`: retry leads to a resend whose `retry_id` is the rejected key's
//!   `auth_key_aux_hash` and whose new key is `g_b'^a mod p`; fail ends in `DhGenFail`; neither is
//!   accepted with any other hash.

use std::sync::OnceLock;

use arbitrary::{Arbitrary, Unstructured};
use sha2::{Digest, Sha256};

use mtproto::ProtocolError;
use mtproto::codec::Reader;
use mtproto::crypto::rsa_pad::RsaPrivateKey;
use mtproto::error::HandshakeError;
use mtproto::handshake::client::{self, ClientDhRandom, DhGenOutcome, KeyKind, ReqDhRandom};
use mtproto::handshake::server::{self, DhGenVerdict, ResPqRandom, ServerDhGen, ServerDhRandom};
use mtproto::handshake::{id, new_nonce_hash, tmp_aes};
use mtproto::tl::Tl;
use mtproto::tl::generated::mtproto as mt;

/// The test server's RSA key (the same file the handshake tests use).
const SERVER_PRIVATE_PEM: &str =
    include_str!("../../mtproto/tests/data/test_server_rsa_private.pem");

/// Two primes below 2^32 for `pq` (the official sample's): one script in eight uses them.
const P: u32 = 0x494C_553B;
const Q: u32 = 0x5391_1073;
/// Two primes near 2^10 for `pq` (the other scripts). The client factors `pq` on every input
/// (nothing memoises it): under the fuzz build's instrumentation splitting the sample's 63-bit
/// `pq` took a third of `handshake_client`'s time, and Brent's rho on `65521 · 65537` still a
/// tenth; its expected work grows with the square root of the smaller prime. The handshake
/// checks the split the same way whatever the primes' size, and the `pq` target fuzzes the
/// factoring itself.
const SMALL_P: u32 = 1_021;
const SMALL_Q: u32 = 1_031;
/// The client's clock.
const NOW: i64 = 1_700_000_000;

pub(crate) fn server_key() -> &'static RsaPrivateKey {
    static KEY: OnceLock<RsaPrivateKey> = OnceLock::new();
    KEY.get_or_init(|| match RsaPrivateKey::from_pkcs1_pem(SERVER_PRIVATE_PEM) {
        Ok(k) => k,
        Err(e) => panic!("the test RSA key does not load: {e:?}"),
    })
}

/// How many scripts of randomness an input picks from (by its seed modulo this).
const SCRIPTS: u64 = 256;

/// Deterministic "random" bytes: SHA-256(seed ‖ counter), where the seed is the input's modulo
/// [`SCRIPTS`].
struct Script {
    seed: u64,
    counter: u64,
}

impl Script {
    fn new(input_seed: u64) -> Self {
        Self {
            seed: input_seed % SCRIPTS,
            counter: 0,
        }
    }

    fn bytes<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        for chunk in out.chunks_mut(32) {
            self.counter += 1;
            let d = Sha256::new()
                .chain_update(self.seed.to_le_bytes())
                .chain_update(self.counter.to_le_bytes())
                .finalize();
            chunk.copy_from_slice(&d[..chunk.len()]);
        }
        out
    }

    /// The primes of this script's `pq`.
    fn pq(&self) -> (u32, u32) {
        // Not script 0: an input of zero bytes, which fuzzers make often, would pay for the
        // sample's split every time. Script 69 (the regression seed `retries-exhausted`, whose
        // RSA_PAD refuses four temp keys in a row with the sample's `pq`) is among these.
        if self.seed % 8 == 5 {
            (P, Q)
        } else {
            (SMALL_P, SMALL_Q)
        }
    }

    fn client_dh(&mut self) -> ClientDhRandom {
        ClientDhRandom {
            b: self.bytes(),
            padding: self.bytes(),
            primality_seed: self.bytes(),
        }
    }
}

/// temp_keys an honest client is given: enough that all of them failing is negligible.
const TEMP_KEYS: usize = 64;

/// One message of a traced exchange.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sent {
    /// `reqPqMulti`, `resPq`, `reqDhParams`, `serverDhParams`, `setClientDhParams` or `dhGen`
    /// (the `HandshakeTest` field it goes in).
    pub name: &'static str,
    /// As the honest side sent it (a forged answer: as forged).
    pub sent: Vec<u8>,
    /// As delivered.
    pub delivered: Vec<u8>,
}

/// How a traced exchange ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ending {
    /// The last message delivered was refused, by the client or the server, with this error.
    Refused {
        /// The client refused it (else the server).
        by_client: bool,
        /// The error's vocabulary name.
        error: &'static str,
    },
    /// Both sides finished with this key.
    Done {
        /// The auth key.
        auth_key: Vec<u8>,
        /// The first server salt (8 bytes as sent).
        server_salt: Vec<u8>,
        /// The client's clock offset.
        time_offset: i64,
    },
    /// What happened next is outside a one-pass transcript (a retry, a server's failure answer).
    Beyond(&'static str),
}

/// A traced `handshake_client` / `handshake_server` input: every random value both sides drew,
/// every message as sent and as delivered, and how it ended (`mtproto-harness fuzz-to-vector`
/// writes it as a `HandshakeTest` case).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Transcript {
    /// The server's RSA key: modulus, public and private exponent (big-endian).
    pub rsa: (Vec<u8>, Vec<u8>, Vec<u8>),
    /// The server's `dh_prime` and `g`.
    pub group: (Vec<u8>, u32),
    /// A temporary key was asked for (`expires_in` 3600).
    pub temporary: bool,
    /// `dc` and `expires_in` the server read from the client's inner data (server role).
    pub requested: Option<(i32, Option<i32>)>,
    /// The client's nonce.
    pub nonce: Vec<u8>,
    /// The server's nonce.
    pub server_nonce: Vec<u8>,
    /// The primes of `pq`.
    pub pq: (u32, u32),
    /// The client's new_nonce.
    pub new_nonce: Vec<u8>,
    /// RSA_PAD's random padding.
    pub rsa_padding: Vec<u8>,
    /// RSA_PAD's temp_keys.
    pub temp_keys: Vec<[u8; 32]>,
    /// The server's DH secret.
    pub a: Vec<u8>,
    /// The server's padding of its inner data.
    pub server_padding: Vec<u8>,
    /// The server's clock.
    pub server_time: i32,
    /// The client's DH secret.
    pub b: Vec<u8>,
    /// The client's padding of its inner data.
    pub client_padding: Vec<u8>,
    /// The client's clock.
    pub now: i64,
    /// The messages, in order.
    pub messages: Vec<Sent>,
    /// How it ended (the first ending only).
    pub end: Option<Ending>,
}

/// The trace an exchange writes into, when it is traced.
type Rec = Option<Transcript>;

fn note(rec: &mut Rec, f: impl FnOnce(&mut Transcript)) {
    if let Some(t) = rec.as_mut() {
        f(t);
    }
}

fn note_msg(rec: &mut Rec, name: &'static str, sent: &[u8], delivered: &[u8]) {
    note(rec, |t| {
        t.messages.push(Sent {
            name,
            sent: sent.to_vec(),
            delivered: delivered.to_vec(),
        })
    });
}

fn note_end(rec: &mut Rec, end: Ending) {
    note(rec, |t| {
        t.end.get_or_insert(end);
    });
}

fn refused(rec: &mut Rec, by_client: bool, e: &HandshakeError) {
    note_end(
        rec,
        Ending::Refused {
            by_client,
            error: e.name(),
        },
    );
}

/// Run `f` (one of the exchanges) traced: `None` when the input does not parse.
fn traced(f: impl FnOnce(&mut Rec)) -> Option<Transcript> {
    let key = server_key();
    let group = &crate::dh::proven().1[0];
    let mut rec = Some(Transcript {
        rsa: (
            key.public().n().to_vec(),
            key.public().e().to_vec(),
            key.d_bytes().to_vec(),
        ),
        group: (group.p().to_vec(), group.g()),
        ..Transcript::default()
    });
    f(&mut rec);
    rec.filter(|t| !t.messages.is_empty())
}

/// `handshake_client`'s exchange, traced. The target's assertions run too: an input its oracle
/// refuses panics here as it does there.
pub fn client_transcript(data: &[u8]) -> Option<Transcript> {
    traced(|rec| client_exchange(data, rec))
}

/// `handshake_server`'s exchange, traced (as [`client_transcript`]).
pub fn server_transcript(data: &[u8]) -> Option<Transcript> {
    traced(|rec| {
        let _ = server_exchange(data, rec);
    })
}

/// What happens to one message in flight.
#[derive(Arbitrary, Debug)]
enum Tamper {
    Deliver,
    Flip(u16),
    Truncate(u16),
    Set(u16, u8),
    SwapId(u8),
    Replace(Vec<u8>),
    Append(Vec<u8>),
}

const IDS: [u32; 13] = [
    id::REQ_PQ_MULTI,
    id::RES_PQ,
    id::P_Q_INNER_DATA_DC,
    id::P_Q_INNER_DATA_TEMP_DC,
    id::REQ_DH_PARAMS,
    id::SERVER_DH_PARAMS_OK,
    id::SERVER_DH_INNER_DATA,
    id::SET_CLIENT_DH_PARAMS,
    id::CLIENT_DH_INNER_DATA,
    id::DH_GEN_OK,
    id::DH_GEN_RETRY,
    id::DH_GEN_FAIL,
    id::VECTOR,
];

impl Tamper {
    /// The message as delivered, and whether it is still the one sent.
    fn apply(&self, msg: &[u8]) -> (Vec<u8>, bool) {
        let mut m = msg.to_vec();
        let len = m.len().max(1);
        match self {
            Self::Deliver => {}
            Self::Flip(bit) => {
                let bit = usize::from(*bit) % (len * 8);
                if let Some(b) = m.get_mut(bit / 8) {
                    *b ^= 1 << (bit % 8);
                }
            }
            Self::Truncate(at) => m.truncate(usize::from(*at) % len),
            Self::Set(at, v) => {
                if let Some(b) = m.get_mut(usize::from(*at) % len) {
                    *b = *v;
                }
            }
            Self::SwapId(i) => {
                if let Some(head) = m.get_mut(..4) {
                    head.copy_from_slice(&IDS[usize::from(*i) % IDS.len()].to_le_bytes());
                }
            }
            Self::Replace(v) => m.clone_from(v),
            Self::Append(v) => m.extend_from_slice(v),
        }
        let same = m == msg;
        (m, same)
    }
}

fn typed(e: &HandshakeError) {
    assert!(
        !e.name().is_empty(),
        "an error without a vocabulary name: {e:?}"
    );
}

/// How the client's last message is answered.
#[derive(Arbitrary, Debug)]
enum DhGenAnswer {
    /// The server's `dh_gen_ok`, possibly changed.
    Server(Tamper),
    /// A well-formed `dh_gen_retry` with the right hash.
    ForgeRetry,
    /// A well-formed `dh_gen_fail` with the right hash.
    ForgeFail,
    /// A well-formed answer of constructor `n` with a wrong hash.
    WrongHash(u8),
}

#[derive(Arbitrary, Debug)]
struct ClientInput {
    seed: u64,
    temporary: bool,
    res_pq: Tamper,
    server_dh: Tamper,
    dh_gen: DhGenAnswer,
}

/// `handshake_client`: the reference client against an honest server whose messages the input
/// changes in flight.
pub fn handshake_client(data: &[u8]) {
    client_exchange(data, &mut None);
}

fn client_exchange(data: &[u8], rec: &mut Rec) {
    let Ok(input) = ClientInput::arbitrary_take_rest(Unstructured::new(data)) else {
        return;
    };
    let mut rng = Script::new(input.seed);
    let key = server_key();
    let group = &crate::dh::proven().1[0];
    let mut cache = crate::dh::proven().0.clone();
    let kind = if input.temporary {
        KeyKind::Temporary { expires_in: 3600 }
    } else {
        KeyKind::Permanent
    };

    let nonce: [u8; 16] = rng.bytes();
    let (st, m0) = client::start(nonce);
    let server_nonce: [u8; 16] = rng.bytes();
    note(rec, |t| {
        t.temporary = input.temporary;
        t.nonce = nonce.to_vec();
        t.server_nonce = server_nonce.to_vec();
        t.pq = rng.pq();
        t.now = NOW;
    });
    note_msg(rec, "reqPqMulti", &m0, &m0);
    let Ok((srv, m1_sent)) = server::handle_req_pq(
        &m0,
        &[key.public().fingerprint()],
        &ResPqRandom {
            server_nonce,
            p: rng.pq().0,
            q: rng.pq().1,
        },
    ) else {
        panic!("the server refuses the client's req_pq_multi");
    };
    let (m1, mut honest) = input.res_pq.apply(&m1_sent);
    note_msg(rec, "resPq", &m1_sent, &m1);
    let new_nonce: [u8; 32] = rng.bytes();
    let req_random = ReqDhRandom {
        new_nonce,
        rsa_padding: rng.bytes::<192>().to_vec(),
        // RSA_PAD retries with the next temp_key while the value is >= n (core.telegram.org/mtproto/auth_key, RSA_PAD); with 4 keys
        // an honest client occasionally ran out of them (a CI smoke-fuzz crash,
        // `Rsa(RetriesExhausted)`, regression seed `retries-exhausted`). 64 make that < 2^-80.
        temp_keys: (0..TEMP_KEYS).map(|_| rng.bytes()).collect(),
    };
    note(rec, |t| {
        t.new_nonce = new_nonce.to_vec();
        t.rsa_padding.clone_from(&req_random.rsa_padding);
        t.temp_keys.clone_from(&req_random.temp_keys);
    });
    let (st, m2) = match st.handle_res_pq(&m1, &[key.public().clone()], 2, kind, &req_random) {
        Ok(x) => x,
        Err(e) => {
            typed(&e);
            refused(rec, true, &e);
            assert!(!honest, "an untouched resPQ is refused: {e:?}");
            return;
        }
    };
    note_msg(rec, "reqDhParams", &m2, &m2);
    let server_random = ServerDhRandom {
        a: rng.bytes(),
        padding: rng.bytes(),
        server_time: 1_700_000_042,
    };
    note(rec, |t| {
        t.a = server_random.a.to_vec();
        t.server_padding = server_random.padding.to_vec();
        t.server_time = server_random.server_time;
    });
    let (srv, m3_sent) =
        match srv.handle_req_dh_params(&m2, core::slice::from_ref(key), group, &server_random) {
            Ok(x) => x,
            Err(e) => {
                typed(&e);
                refused(rec, false, &e);
                assert!(!honest, "the server refuses an honest req_DH_params: {e:?}");
                return;
            }
        };
    let (m3, same) = input.server_dh.apply(&m3_sent);
    note_msg(rec, "serverDhParams", &m3_sent, &m3);
    honest &= same;
    let client_random = rng.client_dh();
    note(rec, |t| {
        t.b = client_random.b.to_vec();
        t.client_padding = client_random.padding.to_vec();
    });
    let (st, m4) = match st.handle_server_dh_params(&m3, NOW, &client_random, Some(&mut cache)) {
        Ok(x) => x,
        Err(e) => {
            typed(&e);
            refused(rec, true, &e);
            assert!(
                !honest,
                "an untouched server_DH_params_ok is refused: {e:?}"
            );
            return;
        }
    };
    note_msg(rec, "setClientDhParams", &m4, &m4);
    let (server_result, m5_sent) = match srv.handle_set_client_dh_params(&m4) {
        Ok(x) => x,
        Err(e) => {
            typed(&e);
            refused(rec, false, &e);
            assert!(
                !honest,
                "the server refuses an honest set_client_DH_params: {e:?}"
            );
            return;
        }
    };
    // From here on the server holds a key.
    // Whatever was changed on the way, a server that finished agrees with the client's key.
    assert_eq!(
        st.auth_key().as_bytes(),
        server_result.auth_key.as_bytes(),
        "the server finished with a key the client did not compute"
    );
    check_key_hashes(&server_result.auth_key);
    let forged = |n: u8, hash_ok: bool| {
        let mut hash = new_nonce_hash(&new_nonce, n, &server_result.auth_key.aux_hash());
        if !hash_ok {
            hash[0] ^= 1;
        }
        let ctor = [id::DH_GEN_OK, id::DH_GEN_RETRY, id::DH_GEN_FAIL][usize::from(n - 1)];
        let mut m = ctor.to_le_bytes().to_vec();
        m.extend_from_slice(&m0[4..20]);
        m.extend_from_slice(&server_nonce);
        m.extend_from_slice(&hash);
        m
    };
    let (m5, expect) = match &input.dh_gen {
        DhGenAnswer::Server(t) => {
            let (m, same) = t.apply(&m5_sent);
            (m, if same { 1 } else { 0 })
        }
        DhGenAnswer::ForgeRetry => (forged(2, true), 2),
        DhGenAnswer::ForgeFail => (forged(3, true), 3),
        DhGenAnswer::WrongHash(n) => (forged(1 + n % 3, false), 0),
    };
    note_msg(rec, "dhGen", &m5_sent, &m5);
    let old_key = st.auth_key().as_bytes().to_vec();
    match st.handle_dh_gen(&m5) {
        Ok(DhGenOutcome::Done(done)) => {
            note_end(
                rec,
                Ending::Done {
                    auth_key: done.auth_key.as_bytes().to_vec(),
                    server_salt: done.server_salt.to_vec(),
                    time_offset: done.time_offset,
                },
            );
            assert_eq!(expect, 1, "dh_gen accepted when it should not be");
            assert_eq!(
                done.auth_key.as_bytes(),
                server_result.auth_key.as_bytes(),
                "keys differ"
            );
            assert_eq!(done.server_salt, server_result.server_salt);
            assert_eq!(done.time_offset, i64::from(server_random.server_time) - NOW);
        }
        Ok(DhGenOutcome::Retry(retry)) => {
            note_end(
                rec,
                Ending::Beyond(
                    "the client accepts a dh_gen_retry and resends set_client_DH_params with a \
                     new b",
                ),
            );
            assert_eq!(expect, 2, "a retry accepted when it should not be");
            let again = rng.client_dh();
            let Ok((st2, m4b)) = retry.resend(&again) else {
                return;
            };
            check_resend(
                &m4b,
                &server_nonce,
                &new_nonce,
                &old_key,
                st2.auth_key().as_bytes(),
                group,
                &server_random,
            );
        }
        Err(e) => {
            typed(&e);
            refused(rec, true, &e);
            if expect == 3 {
                assert_eq!(e, HandshakeError::DhGenFail);
            } else {
                assert_ne!(expect, 1, "an untouched dh_gen_ok is refused: {e:?}");
                assert_ne!(expect, 2, "a valid dh_gen_retry is refused: {e:?}");
            }
        }
    }
}

/// The resent `set_client_DH_params`: decrypt it as the server would, check `retry_id` and that
/// the client's new key is `g_b'^a mod p`.
fn check_resend(
    msg: &[u8],
    server_nonce: &[u8; 16],
    new_nonce: &[u8; 32],
    old_key: &[u8],
    new_key: &[u8],
    group: &mtproto::crypto::dh::DhGroup,
    server_random: &ServerDhRandom,
) {
    let Ok(mt::Object::SetClientDHParams(req)) = mt::Object::from_bytes(msg) else {
        panic!("the resend is not a set_client_DH_params");
    };
    let (k, iv) = tmp_aes(server_nonce, new_nonce);
    let mut plain = req.encrypted_data.clone();
    assert!(mtproto::crypto::ige::aes256_ige_decrypt(&k, &iv, &mut plain).is_ok());
    let mut r = Reader::new(plain.get(20..).unwrap_or(&[]));
    let Ok(mt::enums::ClientDHInnerData::ClientDHInnerData(inner)) =
        mt::enums::ClientDHInnerData::read(&mut r, &mut mtproto::tl::Ctx::new())
    else {
        panic!("the resent client_DH_inner_data does not parse");
    };
    let old = mtproto::AuthKey::new(old_key.try_into().unwrap_or([0; 256]));
    assert_eq!(
        inner.retry_id,
        i64::from_le_bytes(old.aux_hash()),
        "retry_id is not the old key's aux_hash"
    );
    let Ok(g_b) = group.check_value(&inner.g_b) else {
        panic!("the resent g_b fails the DH checks");
    };
    assert_eq!(
        group.pow(&g_b, &server_random.a).as_slice(),
        new_key,
        "the retried key is not g_b^a"
    );
}

/// How the server answers a `set_client_DH_params` that passed every check (the server's policy:
/// e.g. `dh_gen_retry` when the new key's `auth_key_id` collides with one it has).
#[derive(Arbitrary, Clone, Copy, Debug)]
enum Answer {
    Ok,
    Retry,
    Fail,
}

/// What reaches the server after it answered `dh_gen_retry`.
#[derive(Arbitrary, Debug)]
enum Resend {
    /// The client's resent `set_client_DH_params`, possibly changed.
    Sent(Tamper),
    /// The `set_client_DH_params` the server just answered, again: its `retry_id` is stale.
    Replay,
}

/// Rounds of `dh_gen_retry` the server may answer in one exchange.
const MAX_RETRIES: usize = 3;

#[derive(Arbitrary, Debug)]
struct ServerInput {
    seed: u64,
    temporary: bool,
    req_pq: Tamper,
    req_dh: Tamper,
    set_client_dh: Tamper,
    /// The server's answer to each `set_client_DH_params` it accepts (bytes the input lacks
    /// read as `Ok`, so a short input is the plain exchange).
    answers: [Answer; MAX_RETRIES + 1],
    /// What is delivered after each `dh_gen_retry`.
    resends: [Resend; MAX_RETRIES],
}

/// `handshake_server`: the reference server against an honest client whose messages the input
/// changes in flight.
pub fn handshake_server(data: &[u8]) {
    let _ = server_exchange(data, &mut None);
}

/// [`handshake_server`], saying how the exchange ended (`None`: refused before the server's
/// last step, or not an input).
fn server_exchange(data: &[u8], rec: &mut Rec) -> Option<End> {
    let Ok(input) = ServerInput::arbitrary_take_rest(Unstructured::new(data)) else {
        return None;
    };
    let mut rng = Script::new(input.seed);
    let key = server_key();
    let group = &crate::dh::proven().1[0];
    let mut cache = crate::dh::proven().0.clone();
    let kind = if input.temporary {
        KeyKind::Temporary { expires_in: 3600 }
    } else {
        KeyKind::Permanent
    };
    let refused = |rec: &mut Rec, by_client: bool, e: HandshakeError, honest: bool, what: &str| {
        typed(&e);
        refused(rec, by_client, &e);
        assert!(!honest, "{what} refused on an untouched exchange: {e:?}");
    };

    let nonce: [u8; 16] = rng.bytes();
    let (st, m0_sent) = client::start(nonce);
    let (m0, mut honest) = input.req_pq.apply(&m0_sent);
    note_msg(rec, "reqPqMulti", &m0_sent, &m0);
    let res_random = ResPqRandom {
        server_nonce: rng.bytes(),
        p: rng.pq().0,
        q: rng.pq().1,
    };
    note(rec, |t| {
        t.temporary = input.temporary;
        t.nonce = nonce.to_vec();
        t.server_nonce = res_random.server_nonce.to_vec();
        t.pq = rng.pq();
        t.now = NOW;
    });
    let (srv, m1) = match server::handle_req_pq(&m0, &[key.public().fingerprint()], &res_random) {
        Ok(x) => x,
        Err(e) => {
            refused(rec, false, e, honest, "req_pq_multi");
            return None;
        }
    };
    note_msg(rec, "resPq", &m1, &m1);
    let req_random = ReqDhRandom {
        new_nonce: rng.bytes(),
        rsa_padding: rng.bytes::<192>().to_vec(),
        // RSA_PAD retries with the next temp_key while the value is >= n (core.telegram.org/mtproto/auth_key, RSA_PAD); with 4 keys
        // an honest client occasionally ran out of them (a CI smoke-fuzz crash,
        // `Rsa(RetriesExhausted)`, regression seed `retries-exhausted`). 64 make that < 2^-80.
        temp_keys: (0..TEMP_KEYS).map(|_| rng.bytes()).collect(),
    };
    note(rec, |t| {
        t.new_nonce = req_random.new_nonce.to_vec();
        t.rsa_padding.clone_from(&req_random.rsa_padding);
        t.temp_keys.clone_from(&req_random.temp_keys);
    });
    let (st, m2_sent) = match st.handle_res_pq(&m1, &[key.public().clone()], 2, kind, &req_random) {
        Ok(x) => x,
        Err(e) => {
            refused(rec, true, e, honest, "the client's resPQ");
            return None;
        }
    };
    let (m2, same) = input.req_dh.apply(&m2_sent);
    note_msg(rec, "reqDhParams", &m2_sent, &m2);
    honest &= same;
    let server_random = ServerDhRandom {
        a: rng.bytes(),
        padding: rng.bytes(),
        server_time: 1_700_000_042,
    };
    note(rec, |t| {
        t.a = server_random.a.to_vec();
        t.server_padding = server_random.padding.to_vec();
        t.server_time = server_random.server_time;
    });
    let (srv, m3) =
        match srv.handle_req_dh_params(&m2, core::slice::from_ref(key), group, &server_random) {
            Ok(x) => x,
            Err(e) => {
                refused(rec, false, e, honest, "req_DH_params");
                return None;
            }
        };
    note_msg(rec, "serverDhParams", &m3, &m3);
    note(rec, |t| {
        t.requested = Some((srv.requested.dc, srv.requested.expires_in));
    });
    if honest {
        let want_expires = match kind {
            KeyKind::Permanent => None,
            KeyKind::Temporary { expires_in } => Some(expires_in),
        };
        assert_eq!(
            (srv.requested.dc, srv.requested.expires_in),
            (2, want_expires)
        );
    }
    let client_random = rng.client_dh();
    note(rec, |t| {
        t.b = client_random.b.to_vec();
        t.client_padding = client_random.padding.to_vec();
    });
    let (st, m4_sent) = match st.handle_server_dh_params(&m3, NOW, &client_random, Some(&mut cache))
    {
        Ok(x) => x,
        Err(e) => {
            refused(rec, true, e, honest, "the client's server_DH_params_ok");
            return None;
        }
    };
    let (m4, same) = input.set_client_dh.apply(&m4_sent);
    note_msg(rec, "setClientDhParams", &m4_sent, &m4);
    honest &= same;
    let nonces = (res_random.server_nonce, req_random.new_nonce);
    Some(server_rounds(
        &input,
        &mut rng,
        honest,
        srv,
        st,
        m4,
        nonces,
        group,
        &server_random,
        rec,
    ))
}

/// The exchange from the server's first `set_client_DH_params` on: each one it accepts is
/// answered as the input says. `dh_gen_ok`: the client must finish with the server's key.
/// `dh_gen_fail`: the client must stop with `DhGenFail`. `dh_gen_retry`: the client must accept it
/// (its `new_nonce_hash2` is over the key both hold) and resend with `retry_id` = that key's
/// `auth_key_aux_hash` and a new key `g_b'^a`; the server must then accept the resend unless it
/// was changed, and must refuse the message it already answered (`RetryIdMismatch`).
#[allow(clippy::too_many_arguments)]
fn server_rounds(
    input: &ServerInput,
    rng: &mut Script,
    mut honest: bool,
    mut srv: server::ExpectSetClientDh,
    mut st: client::ExpectDhGen,
    mut m4: Vec<u8>,
    nonces: ([u8; 16], [u8; 32]),
    group: &mtproto::crypto::dh::DhGroup,
    server_random: &ServerDhRandom,
    rec: &mut Rec,
) -> End {
    let refused = |rec: &mut Rec, e: HandshakeError, honest: bool, what: &str| {
        typed(&e);
        refused(rec, false, &e);
        assert!(!honest, "{what} refused on an untouched exchange: {e:?}");
    };
    for (round, &answer) in input.answers.iter().enumerate() {
        let verdict = match answer {
            Answer::Ok => DhGenVerdict::Ok,
            Answer::Retry => DhGenVerdict::Retry,
            Answer::Fail => DhGenVerdict::Fail,
        };
        let verdict = if round == MAX_RETRIES {
            DhGenVerdict::Ok
        } else {
            verdict
        };
        let (next, m5) = match srv.answer_set_client_dh_params(&m4, verdict) {
            Ok(x) => x,
            Err(e) => {
                refused(rec, e, honest, "set_client_DH_params");
                return End::Refused { retries: round };
            }
        };
        match verdict {
            DhGenVerdict::Ok => note_msg(rec, "dhGen", &m5, &m5),
            DhGenVerdict::Retry => note_end(
                rec,
                Ending::Beyond("the server answers set_client_DH_params with dh_gen_retry"),
            ),
            DhGenVerdict::Fail => note_end(
                rec,
                Ending::Beyond("the server answers set_client_DH_params with dh_gen_fail"),
            ),
        }
        // The server accepted: from here on it holds a key, and the client must agree with it.
        let client_key = st.auth_key().as_bytes().to_vec();
        let outcome = st.handle_dh_gen(&m5);
        let retry_srv = match (next, outcome) {
            (ServerDhGen::Done(result), Ok(DhGenOutcome::Done(done))) => {
                note_end(
                    rec,
                    Ending::Done {
                        auth_key: result.auth_key.as_bytes().to_vec(),
                        server_salt: result.server_salt.to_vec(),
                        time_offset: done.time_offset,
                    },
                );
                assert_eq!(
                    done.auth_key.as_bytes(),
                    result.auth_key.as_bytes(),
                    "keys differ"
                );
                check_key_hashes(&result.auth_key);
                assert_eq!(done.server_salt, result.server_salt);
                return End::Done { retries: round };
            }
            (ServerDhGen::Failed, Err(HandshakeError::DhGenFail)) => {
                return End::Failed { retries: round };
            }
            (ServerDhGen::Retry(srv2), Ok(DhGenOutcome::Retry(retry))) => (srv2, retry),
            (next, outcome) => panic!(
                "round {round}: the server answered {verdict:?} ({next:?}) and the client took it \
                 as {outcome:?}"
            ),
        };
        let (srv2, retry) = retry_srv;
        let Ok((st2, m4b)) = retry.resend(&rng.client_dh()) else {
            // Only a new `b` whose `g_b` fails the range checks (probability ~2^-64) ends here.
            return End::Refused { retries: round + 1 };
        };
        check_resend(
            &m4b,
            &nonces.0,
            &nonces.1,
            &client_key,
            st2.auth_key().as_bytes(),
            group,
            server_random,
        );
        m4 = match input.resends.get(round) {
            Some(Resend::Replay) => match srv2.answer_set_client_dh_params(&m4, DhGenVerdict::Ok) {
                Err(HandshakeError::RetryIdMismatch) => {
                    return End::StaleRetryRefused { retries: round + 1 };
                }
                other => panic!(
                    "round {round}: the server takes back the set_client_DH_params it \
                         answered with dh_gen_retry: {other:?}"
                ),
            },
            Some(Resend::Sent(t)) => {
                let (m, same) = t.apply(&m4b);
                honest &= same;
                m
            }
            None => return End::Refused { retries: round + 1 },
        };
        srv = *srv2;
        st = st2;
    }
    // The last round is always answered `Ok`, so the loop returns before it ends.
    End::Refused {
        retries: MAX_RETRIES,
    }
}

/// How an exchange driven by `handshake_server` ended, and after how many `dh_gen_retry`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum End {
    /// Refused somewhere (a changed message), or the input ran out.
    Refused { retries: usize },
    /// `dh_gen_ok`: both sides hold the same key.
    Done { retries: usize },
    /// `dh_gen_fail`, and the client stopped with `DhGenFail`.
    Failed { retries: usize },
    /// After `dh_gen_retry`, the answered `set_client_DH_params` replayed and refused.
    StaleRetryRefused { retries: usize },
}

/// `auth_key_id` and `auth_key_aux_hash` against SHA-1 of all 256 key bytes, computed here: the
/// client and the server share the reference's code, so a key hashed without its leading zero
/// byte on both sides would still agree with itself.
fn check_key_hashes(key: &mtproto::auth_key::AuthKey) {
    use sha1::{Digest, Sha1};
    let h = Sha1::digest(key.as_bytes());
    assert_eq!(
        key.id(),
        crate::envelope_model::auth_key_id(key.as_bytes()),
        "auth_key_id differs from SHA1(all 256 key bytes)[12..20]"
    );
    assert_eq!(
        key.aux_hash()[..],
        h[..8],
        "auth_key_aux_hash differs from SHA1(all 256 key bytes)[0..8]"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    const RETRY: u32 = ((1u64 << 32) / 3 + 1) as u32;
    const FAIL: u32 = ((2u64 << 32) / 3 + 1) as u32;
    const REPLAY: u32 = 1 << 31;

    /// `[seed 0][permanent][three messages delivered][answers][resends]`.
    fn input(answers: &[u32], resends: &[u32]) -> Vec<u8> {
        let mut v = vec![0u8; 9];
        v.extend_from_slice(&[0; 12]);
        for a in answers.iter().chain(resends) {
            v.extend_from_slice(&a.to_le_bytes());
        }
        v
    }

    /// How many temp keys RSA_PAD refused (value `>= n`) in the honest `req_DH_params` of each
    /// script: the one place the exchange branches on its randomness (module docs).
    fn rsa_pad_refusals(script: u64) -> usize {
        let mut rng = Script::new(script);
        let key = server_key();
        let (st, m0) = client::start(rng.bytes());
        let res = ResPqRandom {
            server_nonce: rng.bytes(),
            p: rng.pq().0,
            q: rng.pq().1,
        };
        let (_, m1) = server::handle_req_pq(&m0, &[key.public().fingerprint()], &res).unwrap();
        let req = ReqDhRandom {
            new_nonce: rng.bytes(),
            rsa_padding: rng.bytes::<192>().to_vec(),
            temp_keys: (0..TEMP_KEYS).map(|_| rng.bytes()).collect(),
        };
        let (_, m2) = st
            .handle_res_pq(&m1, &[key.public().clone()], 2, KeyKind::Permanent, &req)
            .unwrap();
        let Ok(mt::Object::ReqDHParams(r)) = mt::Object::from_bytes(&m2) else {
            panic!("not a req_DH_params");
        };
        let dwp = key.rsa_pad_decrypt(&r.encrypted_data).unwrap();
        let n = key.public().n();
        req.temp_keys
            .iter()
            .position(|tk| mtproto::crypto::rsa_pad::key_aes_encrypted(&dwp, tk).as_slice() < n)
            .unwrap()
    }

    /// The 256 scripts reach RSA_PAD's retry (a temp key refused, the next one tried), more
    /// than once in a row too: the smaller script set keeps that state.
    #[test]
    fn scripts_reach_rsa_pad_retries() {
        let refusals: Vec<usize> = (0..SCRIPTS).map(rsa_pad_refusals).collect();
        let retried = refusals.iter().filter(|&&r| r >= 1).count();
        let max = refusals.iter().copied().max().unwrap_or(0);
        assert!(retried >= 32, "{retried} of {SCRIPTS} scripts retry");
        assert!(max >= 3, "at most {max} refusals in a row");
        eprintln!("{retried} of {SCRIPTS} scripts retry RSA_PAD; at most {max} refusals in a row");
    }

    /// The regression seed `fuzz/seeds/handshake_server/retries-exhausted` (a crash from when the
    /// client had 4 temp keys) must pick a script whose RSA_PAD refuses 4 temp keys in a row, or it
    /// no longer guards the 64 temp keys that fixed it.
    #[test]
    fn the_retries_exhausted_seed_refuses_four_temp_keys() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../fuzz/seeds/handshake_server/retries-exhausted"
        );
        let seed = std::fs::read(path).unwrap();
        let script = u64::from_le_bytes(seed[..8].try_into().unwrap()) % SCRIPTS;
        assert!(rsa_pad_refusals(script) >= 4, "script {script}");
    }

    #[test]
    fn the_server_retry_path_is_reached() {
        assert_eq!(
            server_exchange(&input(&[], &[]), &mut None),
            Some(End::Done { retries: 0 })
        );
        assert_eq!(
            server_exchange(&input(&[RETRY], &[]), &mut None),
            Some(End::Done { retries: 1 })
        );
        assert_eq!(
            server_exchange(&input(&[RETRY, RETRY, FAIL, 0], &[]), &mut None),
            Some(End::Failed { retries: 2 })
        );
        assert_eq!(
            server_exchange(&input(&[RETRY, 0, 0, 0], &[REPLAY]), &mut None),
            Some(End::StaleRetryRefused { retries: 1 })
        );
        assert_eq!(
            server_exchange(&input(&[RETRY, RETRY, RETRY, FAIL], &[]), &mut None),
            Some(End::Done { retries: 3 }),
            "the fourth answer is always dh_gen_ok"
        );
    }
}
