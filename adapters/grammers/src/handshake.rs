//! `handshake.client` through `grammers_mtproto::authentication` (`step1`, `step2`, `step3`,
//! `create_key`), with every random byte the steps draw taken from the transcript (src/random.rs).
//!
//! Reachable transcripts are limited by grammers' API:
//! - the server key: grammers knows only Telegram's production and test keys, built in
//!   (`key_for_fingerprint`); a transcript for another key is `unsupported`;
//! - temporary keys (`expiresIn`): grammers only makes permanent keys, so `unsupported`;
//! - `now`: step3 reads the system clock; the answer's `timeOffset` is grammers' value moved
//!   by the difference between that clock and the transcript's `now` (the clock is read around
//!   the step, and the handshake is run again if a second boundary fell inside it).

use std::time::{SystemTime, UNIX_EPOCH};

use grammers_mtproto::authentication::{self, Error};
use grammers_tl_types::{self as tl, Deserializable, Serializable};
use num_bigint::BigUint;
use serde_json::Value;

use crate::proto::{Answer, OpResult, Req, hex, hex_array, hx, int, ok};
use crate::random;

/// The RSA moduli grammers has built in (grammers-mtproto 0.11.0, `key_for_fingerprint`).
const KNOWN_MODULI: [&str; 2] = [
    "29379598170669337022986177149456128565388431120058863768162556424047512191330847455146576344487764408661701890505066208632169112269581063774293102577308490531282748465986139880977280302242772832972539403531316010870401287642763009136156734339538042419388722777357134487746169093539093850251243897188928735903389451772730245253062963384108812842079887538976360465290946139638691491496062099570836476454855996319192747663615955633778034897140982517446405334423701359108810182097749467210509584293428076654573384828809574217079944388301239431309115013843331317877374435868468779972014486325557807783825502498215169806323",
    "25342889448840415564971689590713473206898847759084779052582026594546022463853940585885215951168491965708222649399180603818074200620463776135424884632162512403163793083921641631564740959529419359595852941166848940585952337613333022396096584117954892216031229237302943701877588456738335398602461675225081791820393153757504952636234951323237820036543581047826906120927972487366805292115792231423684261262330394324750785450942589751755390156647751460719351439969059949569615302809050721500330239005077889855323917509948255722081644689442127297605422579707142646660768825302832201908302295573257427896031830742328565032949",
];

fn known_key(n: &[u8], e: &[u8]) -> bool {
    let n = BigUint::from_bytes_be(n);
    BigUint::from_bytes_be(e) == BigUint::from(65_537u32)
        && KNOWN_MODULI
            .iter()
            .any(|m| BigUint::parse_bytes(m.as_bytes(), 10).as_ref() == Some(&n))
}

fn tl_rejected(e: &tl::deserialize::Error) -> Answer {
    let name = match e {
        tl::deserialize::Error::UnexpectedConstructor { .. } => "UnexpectedConstructor",
        tl::deserialize::Error::UnexpectedEof => "Rejected",
    };
    Answer::Rejected(name, e.to_string())
}

fn rejected(e: &Error) -> Answer {
    let name = match e {
        Error::InvalidNonce { .. } => "NonceMismatch",
        Error::InvalidServerNonce { .. } => "ServerNonceMismatch",
        Error::InvalidPqSize { .. } => "PqNotFactorable",
        Error::UnknownFingerprints { .. } => "NoKnownFingerprint",
        Error::EncryptedResponseNotPadded { .. } => "NotBlockAligned",
        Error::InvalidDhInnerData {
            error: tl::deserialize::Error::UnexpectedConstructor { .. },
        } => "UnexpectedConstructor",
        Error::GParameterOutOfRange { low, .. } if *low == BigUint::from(1u32) => "ValueOutOfRange",
        Error::GParameterOutOfRange { .. } => "ValueUnsafe",
        Error::DhGenFail => "DhGenFail",
        Error::InvalidAnswerHash { .. } => "AnswerHashMismatch",
        Error::InvalidNewNonceHash { .. } => "NewNonceHashMismatch",
        _ => "Rejected",
    };
    Answer::Rejected(name, e.to_string())
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// The transcript's inputs.
struct Transcript {
    nonce: [u8; 16],
    step2_random: Vec<u8>,
    step3_random: Vec<u8>,
    now: i64,
    res_pq: Vec<u8>,
    server_dh: Vec<u8>,
    dh_gen: Vec<u8>,
}

/// What one run of the four steps gave: outputs, or the rejection.
enum Run {
    Done(Answer),
    /// A second boundary fell inside step3: run again.
    ClockMoved,
}

fn run(t: &Transcript) -> Result<Run, String> {
    macro_rules! tl_parse {
        ($ty:ty, $bytes:expr) => {
            match <$ty>::from_bytes($bytes) {
                Ok(v) => v,
                Err(e) => return Ok(Run::Done(tl_rejected(&e))),
            }
        };
    }
    macro_rules! step {
        ($e:expr) => {
            match $e {
                Ok(v) => v,
                Err(e) => return Ok(Run::Done(rejected(&e))),
            }
        };
    }
    random::feed(&t.nonce);
    let (req_pq, s1) = step!(authentication::step1());
    let res_pq = tl_parse!(tl::enums::ResPq, &t.res_pq);
    random::feed(&t.step2_random);
    let (req_dh, s2) = step!(authentication::step2(s1, res_pq));
    let server_dh = tl_parse!(tl::enums::ServerDhParams, &t.server_dh);
    random::feed(&t.step3_random);
    let before = unix_now();
    let step3 = authentication::step3(s2, server_dh);
    if unix_now() != before {
        return Ok(Run::ClockMoved);
    }
    let (set_dh, s3) = step!(step3);
    let dh_gen = tl_parse!(tl::enums::SetClientDhParamsAnswer, &t.dh_gen);
    let done = step!(authentication::create_key(s3, dh_gen));
    if random::left() != 0 {
        return Err(format!(
            "grammers left {} of the transcript's random bytes unused",
            random::left()
        ));
    }
    // grammers computed server_time - (clock at step3); the transcript's client clock is `now`.
    let offset = i64::from(done.time_offset) + (before - t.now);
    Ok(Run::Done(ok([
        ("reqPqMulti", hx(&req_pq.to_bytes())),
        ("reqDhParams", hx(&req_dh.to_bytes())),
        ("setClientDhParams", hx(&set_dh.to_bytes())),
        ("authKey", hx(&done.auth_key)),
        ("serverSalt", hx(&done.first_salt.to_le_bytes())),
        ("timeOffset", Value::from(offset)),
    ])))
}

/// `handshake.client`.
pub fn client(req: &Req) -> OpResult {
    if req.contains_key("expiresIn") || !known_key(&hex(req, "rsaN")?, &hex(req, "rsaE")?) {
        return Ok(Answer::Unsupported);
    }
    let temp_keys = req
        .get("tempKeys")
        .and_then(Value::as_array)
        .ok_or("field `tempKeys`: expected an array")?;
    let first_temp_key = temp_keys
        .first()
        .and_then(Value::as_str)
        .ok_or("field `tempKeys`: expected at least one hex string")?;
    let first_temp_key =
        hex::decode(first_temp_key).map_err(|e| format!("field `tempKeys[0]`: {e}"))?;
    // step2 draws new_nonce (32), then 224 bytes for RSA_PAD: padding (the first
    // 192 - len(data) are used) and temp_key. A temp_key that gives a value >= n is
    // incremented by grammers, not drawn again.
    let mut step2_random = hex_array::<32>(req, "newNonce")?.to_vec();
    let mut padding = hex(req, "rsaPadding")?;
    padding.resize(192, 0);
    step2_random.extend_from_slice(&padding);
    if first_temp_key.len() != 32 {
        return Err("field `tempKeys[0]`: expected 32 bytes".into());
    }
    step2_random.extend_from_slice(&first_temp_key);
    // step3 draws b (256) and 16 bytes of which the padding takes what it needs.
    let mut step3_random = hex_array::<256>(req, "b")?.to_vec();
    step3_random.extend_from_slice(&hex_array::<16>(req, "dhPadding")?);
    let t = Transcript {
        nonce: hex_array::<16>(req, "nonce")?,
        step2_random,
        step3_random,
        now: int(req, "now")?,
        res_pq: hex(req, "resPq")?,
        server_dh: hex(req, "serverDhParams")?,
        dh_gen: hex(req, "dhGen")?,
    };
    for _ in 0..3 {
        random::clear();
        if let Run::Done(answer) = run(&t)? {
            return Ok(answer);
        }
    }
    Err("the clock crossed a second boundary during step3 three times".into())
}
