//! The DH, pq and handshake ops of the reference IUT (spec §4, §5).
//!
//! | op | request | answer (`ok`) | rejects with |
//! |---|---|---|---|
//! | `dh.checkParams` | `p` (big-endian hex), `g` (int) | `{}` | `PWrongSize`, `GOutOfRange`, `GNotGenerator`, `PNotPrime`, `PNotSafePrime` |
//! | `dh.checkValue` | `p`, `g`, `value` | `{}` | the parameter errors, then `ValueOutOfRange`, `ValueUnsafe` |
//! | `pq.factorize` | `pq` (big-endian hex) | `p`, `q` (big-endian, no leading zeros, p <= q) | `PqNotFactorable` |
//! | `handshake.client` | a client transcript (see `vectors/README.md`, `HandshakeTest`), optional `retries` [{`b`, `dhPadding`, `dhGen`}] | `reqPqMulti`, `reqDhParams`, `setClientDhParams`, `authKey`, `serverSalt`, `timeOffset`; with `retries`, `retries` [{`setClientDhParams`}] | the first failing client check (`DhGenFail` for a valid `dh_gen_fail`) |
//! | `handshake.server` | a server transcript (role `server`), optional `dhGenAnswer` (`retry`/`fail`), optional `retries` [{`setClientDhParams`, `dhGenAnswer`}] | `resPq`, `serverDhParams`, `dhGen`, `dc`, `expiresIn` (0 for a permanent key), `authKey`, `serverSalt` (not after `dh_gen_fail`); with `retries`, `retries` [{`dhGen`}] | the first failing server check |
//!
//! A transcript with `retries` goes on after `dh_gen_retry`: the client resends
//! `set_client_DH_params` with the round's `b` and `retry_id` = the rejected key's
//! `auth_key_aux_hash`, and the server checks that `retry_id` (spec §4 step 9). A request whose
//! rounds do not match the exchange (a `dh_gen_retry` with no round left, or rounds left after
//! the exchange ended) is refused as malformed.
//!
//! Proven primes are cached per thread (a [`SafePrimeCache`]), so a `DhValueTest` group pays for
//! its prime once. The Miller–Rabin bases come from a per-process random key (std's
//! `RandomState`), so a vector author cannot choose a `p` against known bases.

use std::cell::RefCell;
use std::hash::{BuildHasher, Hasher};

use mtproto::ProtocolError;
use mtproto::crypto::dh::{self, DhGroup, SafePrimeCache};
use mtproto::crypto::rsa_pad::{RsaPrivateKey, RsaPublicKey};
use mtproto::handshake::client::{self, ClientDhRandom, DhGenOutcome, KeyKind, ReqDhRandom};
use mtproto::handshake::pq::factorize_be;
use mtproto::handshake::server::{self, DhGenVerdict, ResPqRandom, ServerDhGen, ServerDhRandom};
use serde_json::Value;

use crate::{Answer, Fields, fields};

/// `dh.checkParams`.
pub const DH_CHECK_PARAMS: &str = "dh.checkParams";
/// `dh.checkValue`.
pub const DH_CHECK_VALUE: &str = "dh.checkValue";
/// `pq.factorize`.
pub const PQ_FACTORIZE: &str = "pq.factorize";
/// `handshake.client`.
pub const HANDSHAKE_CLIENT: &str = "handshake.client";
/// `handshake.server`.
pub const HANDSHAKE_SERVER: &str = "handshake.server";
/// This module's ops.
pub const OPS: &[&str] = &[
    DH_CHECK_PARAMS,
    DH_CHECK_VALUE,
    PQ_FACTORIZE,
    HANDSHAKE_CLIENT,
    HANDSHAKE_SERVER,
];

thread_local! {
    static CACHE: RefCell<SafePrimeCache> = const { RefCell::new(SafePrimeCache::new()) };
}

/// 32 random bytes for the random-base Miller–Rabin rounds.
fn seed() -> [u8; 32] {
    let mut out = [0u8; 32];
    for (i, chunk) in out.chunks_mut(8).enumerate() {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_usize(i);
        chunk.copy_from_slice(&h.finish().to_le_bytes());
    }
    out
}

fn g_field(request: &Fields) -> Result<i64, String> {
    fields::get(request, "g")?
        .as_i64()
        .ok_or_else(|| "field `g`: expected an integer".to_owned())
}

pub(crate) fn group(request: &Fields) -> Result<Result<DhGroup, Answer>, String> {
    let p = fields::hex(request, "p")?;
    let g = g_field(request)?;
    let seed = seed();
    Ok(CACHE
        .with(|c| dh::check_params(&p, g, &seed, Some(&mut c.borrow_mut())))
        .map_err(|e| Answer::rejected(&e)))
}

/// `dh.checkParams`.
pub fn check_params(request: &Fields) -> Result<Answer, String> {
    Ok(match group(request)? {
        Ok(_) => Answer::Ok(Fields::new()),
        Err(a) => a,
    })
}

/// `dh.checkValue`.
pub fn check_value(request: &Fields) -> Result<Answer, String> {
    let value = fields::hex(request, "value")?;
    Ok(match group(request)? {
        Ok(g) => match g.check_value(&value) {
            Ok(_) => Answer::Ok(Fields::new()),
            Err(e) => Answer::rejected(&e),
        },
        Err(a) => a,
    })
}

/// `pq.factorize`.
pub fn factorize(request: &Fields) -> Result<Answer, String> {
    let pq = fields::hex(request, "pq")?;
    Ok(match factorize_be(&pq) {
        Ok((p, q)) => {
            let mut f = Fields::new();
            fields::put_hex(&mut f, "p", &p);
            fields::put_hex(&mut f, "q", &q);
            Answer::Ok(f)
        }
        Err(e) => Answer::rejected(&e),
    })
}

fn opt_int(request: &Fields, name: &str) -> Result<Option<i32>, String> {
    match request.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(_) => fields::int(request, name).map(Some),
    }
}

/// `handshake.client`: play the client against the scripted server messages.
pub fn client(request: &Fields) -> Result<Answer, String> {
    let key = RsaPublicKey::from_n_e(
        &fields::hex(request, "rsaN")?,
        &fields::hex(request, "rsaE")?,
    )
    .map_err(|e| format!("fields `rsaN`/`rsaE`: {e}"))?;
    let dc = fields::int(request, "dc")?;
    let kind = match opt_int(request, "expiresIn")? {
        Some(expires_in) => KeyKind::Temporary { expires_in },
        None => KeyKind::Permanent,
    };
    let nonce = fields::hex_array::<16>(request, "nonce")?;
    let temp_keys = match fields::get(request, "tempKeys")? {
        Value::Array(a) => a
            .iter()
            .map(|v| {
                v.as_str()
                    .and_then(|s| hex::decode(s).ok())
                    .and_then(|b| <[u8; 32]>::try_from(b.as_slice()).ok())
                    .ok_or_else(|| "field `tempKeys`: expected 32-byte hex strings".to_owned())
            })
            .collect::<Result<Vec<_>, _>>()?,
        _ => return Err("field `tempKeys`: expected an array".into()),
    };
    let req_random = ReqDhRandom {
        new_nonce: fields::hex_array::<32>(request, "newNonce")?,
        rsa_padding: fields::hex(request, "rsaPadding")?,
        temp_keys,
    };
    let dh_random = ClientDhRandom {
        b: fields::hex_array::<256>(request, "b")?,
        padding: fields::hex_array::<16>(request, "dhPadding")?,
        primality_seed: seed(),
    };
    let now = fields::get(request, "now")?
        .as_i64()
        .ok_or("field `now`: expected an integer")?;
    let res_pq = fields::hex(request, "resPq")?;
    let server_dh = fields::hex(request, "serverDhParams")?;
    let dh_gen = fields::hex(request, "dhGen")?;
    let rounds = rounds(request)?
        .iter()
        .enumerate()
        .map(|(k, r)| {
            let at = |e: String| format!("retries[{k}]: {e}");
            Ok((
                ClientDhRandom {
                    b: fields::hex_array::<256>(r, "b").map_err(at)?,
                    padding: fields::hex_array::<16>(r, "dhPadding").map_err(at)?,
                    primality_seed: seed(),
                },
                fields::hex(r, "dhGen").map_err(at)?,
            ))
        })
        .collect::<Result<Vec<_>, String>>()?;

    let reject = |e: &dyn ProtocolError| Ok(Answer::rejected(e));
    let (st, req_pq) = client::start(nonce);
    let (st, req_dh) = match st.handle_res_pq(&res_pq, &[key], dc, kind, &req_random) {
        Ok(x) => x,
        Err(e) => return reject(&e),
    };
    let step = CACHE.with(|c| {
        st.handle_server_dh_params(&server_dh, now, &dh_random, Some(&mut c.borrow_mut()))
    });
    let (st, set_dh) = match step {
        Ok(x) => x,
        Err(e) => return reject(&e),
    };
    let given = !rounds.is_empty();
    let mut rounds = rounds.into_iter();
    let (mut st, mut dh_gen, mut resent) = (st, dh_gen, Vec::new());
    let done = loop {
        match st.handle_dh_gen(&dh_gen) {
            Ok(DhGenOutcome::Done(d)) => {
                if rounds.next().is_some() {
                    return Err(format!(
                        "field `retries`: the exchange ended with dh_gen_ok after {} of its rounds",
                        resent.len()
                    ));
                }
                break d;
            }
            Ok(DhGenOutcome::Retry(r)) => {
                let Some((random, next_gen)) = rounds.next() else {
                    return Err("dh_gen_retry with no round left in `retries`".into());
                };
                let (next, set) = match r.resend(&random) {
                    Ok(x) => x,
                    Err(e) => return reject(&e),
                };
                resent.push(set);
                st = next;
                dh_gen = next_gen;
            }
            Err(e) => return reject(&e),
        }
    };
    let mut f = Fields::new();
    fields::put_hex(&mut f, "reqPqMulti", &req_pq);
    fields::put_hex(&mut f, "reqDhParams", &req_dh);
    fields::put_hex(&mut f, "setClientDhParams", &set_dh);
    fields::put_hex(&mut f, "authKey", done.auth_key.as_bytes());
    fields::put_hex(&mut f, "serverSalt", &done.server_salt);
    f.insert("timeOffset".into(), Value::from(done.time_offset));
    if given {
        f.insert(
            "retries".into(),
            round_answers(&resent, "setClientDhParams"),
        );
    }
    Ok(Answer::Ok(f))
}

/// The objects of a request's optional `retries` (none when absent).
fn rounds(request: &Fields) -> Result<Vec<&Fields>, String> {
    match request.get("retries") {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(a)) => a
            .iter()
            .enumerate()
            .map(|(k, v)| {
                v.as_object()
                    .ok_or_else(|| format!("field `retries[{k}]`: expected an object"))
            })
            .collect(),
        Some(_) => Err("field `retries`: expected an array".into()),
    }
}

/// `[{name: hex}, …]`, an answer's `retries`.
fn round_answers(messages: &[Vec<u8>], name: &str) -> Value {
    Value::Array(
        messages
            .iter()
            .map(|m| {
                let mut o = Fields::new();
                fields::put_hex(&mut o, name, m);
                Value::Object(o)
            })
            .collect(),
    )
}

/// A `dhGenAnswer`: `retry`, `fail`, or absent for `ok`.
fn dh_gen_answer(request: &Fields) -> Result<DhGenVerdict, String> {
    match request.get("dhGenAnswer") {
        None | Some(Value::Null) => Ok(DhGenVerdict::Ok),
        Some(Value::String(s)) if s == "retry" => Ok(DhGenVerdict::Retry),
        Some(Value::String(s)) if s == "fail" => Ok(DhGenVerdict::Fail),
        Some(other) => Err(format!(
            "field `dhGenAnswer`: expected \"retry\" or \"fail\", got {other}"
        )),
    }
}

fn u32_field(request: &Fields, name: &str) -> Result<u32, String> {
    fields::get(request, name)?
        .as_u64()
        .and_then(|v| u32::try_from(v).ok())
        .ok_or_else(|| format!("field `{name}`: expected an integer in 0..2^32"))
}

/// `handshake.server`: play the server against the scripted client messages.
pub fn server(request: &Fields) -> Result<Answer, String> {
    let key = RsaPrivateKey::from_n_e_d(
        &fields::hex(request, "rsaN")?,
        &fields::hex(request, "rsaE")?,
        &fields::hex(request, "rsaD")?,
    )
    .map_err(|e| format!("fields `rsaN`/`rsaE`/`rsaD`: {e}"))?;
    let dh_prime = fields::hex(request, "dhPrime")?;
    let g = fields::int(request, "g")?;
    let seed = seed();
    let group = CACHE
        .with(|c| dh::check_params(&dh_prime, g.into(), &seed, Some(&mut c.borrow_mut())))
        .map_err(|e| format!("fields `dhPrime`/`g`: the server's own group fails: {e}"))?;
    let res_pq_random = ResPqRandom {
        server_nonce: fields::hex_array::<16>(request, "serverNonce")?,
        p: u32_field(request, "p")?,
        q: u32_field(request, "q")?,
    };
    let dh_random = ServerDhRandom {
        a: fields::hex_array::<256>(request, "a")?,
        padding: fields::hex_array::<16>(request, "dhPadding")?,
        server_time: fields::int(request, "serverTime")?,
    };
    let req_pq = fields::hex(request, "reqPqMulti")?;
    let req_dh = fields::hex(request, "reqDhParams")?;
    let set_dh = fields::hex(request, "setClientDhParams")?;
    let first_answer = dh_gen_answer(request)?;
    let rounds = rounds(request)?
        .iter()
        .enumerate()
        .map(|(k, r)| {
            let at = |e: String| format!("retries[{k}]: {e}");
            Ok((
                fields::hex(r, "setClientDhParams").map_err(at)?,
                dh_gen_answer(r).map_err(at)?,
            ))
        })
        .collect::<Result<Vec<_>, String>>()?;

    let reject = |e: &dyn ProtocolError| Ok(Answer::rejected(e));
    let fingerprint = key.public().fingerprint();
    let (st, res_pq) = match server::handle_req_pq(&req_pq, &[fingerprint], &res_pq_random) {
        Ok(x) => x,
        Err(e) => return reject(&e),
    };
    let (st, server_dh) =
        match st.handle_req_dh_params(&req_dh, std::slice::from_ref(&key), &group, &dh_random) {
            Ok(x) => x,
            Err(e) => return reject(&e),
        };
    let requested = st.requested;
    let given = !rounds.is_empty();
    let mut rounds = rounds.into_iter();
    let (mut st, mut body, mut answer, mut sent) = (st, set_dh, first_answer, Vec::new());
    let done = loop {
        let (next, dh_gen) = match st.answer_set_client_dh_params(&body, answer) {
            Ok(x) => x,
            Err(e) => return reject(&e),
        };
        sent.push(dh_gen);
        let done = match next {
            ServerDhGen::Retry(s) => {
                let Some((resent, next_answer)) = rounds.next() else {
                    return Err("dhGenAnswer \"retry\" with no round left in `retries`".into());
                };
                st = *s;
                body = resent;
                answer = next_answer;
                continue;
            }
            ServerDhGen::Done(d) => Some(d),
            ServerDhGen::Failed => None,
        };
        if rounds.next().is_some() {
            return Err(format!(
                "field `retries`: the exchange ended after {} of its rounds",
                sent.len() - 1
            ));
        }
        break done;
    };
    let mut f = Fields::new();
    fields::put_hex(&mut f, "resPq", &res_pq);
    fields::put_hex(&mut f, "serverDhParams", &server_dh);
    let mut sent = sent.into_iter();
    fields::put_hex(&mut f, "dhGen", &sent.next().unwrap_or_default());
    if let Some(done) = done {
        fields::put_hex(&mut f, "authKey", done.auth_key.as_bytes());
        fields::put_hex(&mut f, "serverSalt", &done.server_salt);
    }
    f.insert("dc".into(), Value::from(requested.dc));
    f.insert(
        "expiresIn".into(),
        Value::from(requested.expires_in.unwrap_or(0)),
    );
    if given {
        f.insert(
            "retries".into(),
            round_answers(&sent.collect::<Vec<_>>(), "dhGen"),
        );
    }
    Ok(Answer::Ok(f))
}

/// Dispatch one of [`OPS`]; `None` for any other op.
pub fn call(op: &str, request: &Fields) -> Option<Result<Answer, String>> {
    Some(match op {
        DH_CHECK_PARAMS => check_params(request),
        DH_CHECK_VALUE => check_value(request),
        PQ_FACTORIZE => factorize(request),
        HANDSHAKE_CLIENT => client(request),
        HANDSHAKE_SERVER => server(request),
        _ => return None,
    })
}
