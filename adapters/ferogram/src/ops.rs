//! The stateless ops: IGE, msg_key, envelopes, pq and DH parameters through ferogram's public
//! functions.

use std::time::{SystemTime, UNIX_EPOCH};

use ferogram_crypto::{AuthKey, DequeBuffer, DhError, aes, check_p_and_g, encrypt_data_v2};
use ferogram_mtproto::{DecryptError, EncryptedSession};
use serde_json::Value;

use crate::proto::{Answer, OpResult, Req, hex, hex_array, hx, int, ok, string};
use crate::random;

/// `ige.encrypt` / `ige.decrypt`: `ferogram_crypto::aes::ige_encrypt` / `ige_decrypt` (AES-256;
/// they `assert!` a whole number of blocks, so unaligned input is a caught panic).
pub fn ige(req: &Req, encrypt: bool) -> OpResult {
    let key = hex(req, "key")?;
    let Ok(key) = <[u8; 32]>::try_from(key.as_slice()) else {
        return Ok(Answer::Unsupported); // AES-256 only
    };
    let iv = hex_array::<32>(req, "iv")?;
    let mut data = hex(req, if encrypt { "msg" } else { "ct" })?;
    if encrypt {
        aes::ige_encrypt(&mut data, &key, &iv);
    } else {
        aes::ige_decrypt(&mut data, &key, &iv);
    }
    Ok(ok([(if encrypt { "ct" } else { "msg" }, hx(&data))]))
}

fn auth_key(req: &Req) -> Result<Result<[u8; 256], Answer>, String> {
    let k = hex(req, "authKey")?;
    Ok(<[u8; 256]>::try_from(k.as_slice())
        .map_err(|_| Answer::Rejected("KeyWrongLength", format!("{} bytes", k.len()))))
}

fn client_direction(req: &Req) -> Result<bool, String> {
    match string(req, "direction")? {
        "clientToServer" => Ok(true),
        "serverToClient" => Ok(false),
        d => Err(format!("field `direction`: {d:?}")),
    }
}

/// The padding `encrypt_data_v2` appends to `len` bytes (12..27: the next multiple of 16 after 12).
fn ferogram_padding(len: usize) -> usize {
    let rem = (len + 12) % 16;
    if rem == 0 { 12 } else { 12 + (16 - rem) }
}

/// `encrypt_data_v2` on `plain` (salt .. body), its 32 random bytes starting with `padding`.
/// `None` when ferogram would pad `plain` with another length.
fn encrypt(key: &[u8; 256], plain: &[u8], padding: &[u8]) -> Option<Vec<u8>> {
    if ferogram_padding(plain.len()) != padding.len() {
        return None;
    }
    let mut rnd = [0u8; 32];
    rnd.get_mut(..padding.len())?.copy_from_slice(padding);
    random::feed(&rnd);
    let mut buf = DequeBuffer::with_capacity(plain.len(), 32);
    buf.extend(plain.iter().copied());
    encrypt_data_v2(&mut buf, &AuthKey::from_bytes(*key));
    Some(buf.as_ref().to_vec())
}

/// `kdf.msgKey`: the msg_key of the packet `encrypt_data_v2` makes from the plaintext (x = 0 only:
/// the server-side computation is inside `decrypt_data_v2`, compared, never returned).
pub fn kdf_msg_key(req: &Req) -> OpResult {
    if !client_direction(req)? {
        return Ok(Answer::Unsupported);
    }
    let key = match auth_key(req)? {
        Ok(k) => k,
        Err(a) => return Ok(a),
    };
    let pt = hex(req, "plaintext")?;
    let split = (12..=27)
        .filter_map(|pad| pt.len().checked_sub(pad))
        .find(|&n| ferogram_padding(n) == pt.len() - n);
    let Some(n) = split else {
        return Ok(Answer::Unsupported);
    };
    let Some(packet) = encrypt(&key, &pt[..n], &pt[n..]) else {
        return Ok(Answer::Unsupported);
    };
    Ok(ok([("msgKey", hx(packet.get(8..24).unwrap_or_default()))]))
}

/// `envelope.encrypt`: `encrypt_data_v2` over the header the adapter lays out as
/// `EncryptedSession::pack_body_at_msg_id` does (salt, session_id, msg_id, seq_no, length, body).
pub fn envelope_encrypt(req: &Req) -> OpResult {
    if !client_direction(req)? {
        return Ok(Answer::Unsupported); // ferogram encrypts as a client only
    }
    let key = match auth_key(req)? {
        Ok(k) => k,
        Err(a) => return Ok(a),
    };
    let seq_no = i32::try_from(int(req, "seqNo")?).map_err(|e| format!("field `seqNo`: {e}"))?;
    let body = hex(req, "body")?;
    let mut plain = Vec::with_capacity(32 + body.len());
    plain.extend_from_slice(&hex_array::<8>(req, "salt")?);
    plain.extend_from_slice(&hex_array::<8>(req, "sessionId")?);
    plain.extend_from_slice(&hex_array::<8>(req, "msgId")?);
    plain.extend_from_slice(&seq_no.to_le_bytes());
    plain.extend_from_slice(&u32::try_from(body.len()).unwrap_or(u32::MAX).to_le_bytes());
    plain.extend_from_slice(&body);
    match encrypt(&key, &plain, &hex(req, "padding")?) {
        Some(packet) => Ok(ok([("packet", hx(&packet))])),
        None => Ok(Answer::Unsupported),
    }
}

/// A ferogram receive error as a vocabulary name.
pub fn decrypt_error(e: &DecryptError) -> &'static str {
    use ferogram_crypto::DecryptError as C;
    match e {
        DecryptError::Crypto(C::InvalidBuffer) => "TooShort",
        DecryptError::Crypto(C::AuthKeyMismatch) => "AuthKeyIdMismatch",
        DecryptError::Crypto(C::MessageKeyMismatch) => "MsgKeyMismatch",
        DecryptError::SessionMismatch => "SessionIdMismatch",
        DecryptError::InvalidMsgId => "MsgIdParity",
        DecryptError::DuplicateMsgId => "Duplicate",
        DecryptError::MsgIdTimeWindow => "TimeWindow",
        // Every length and padding rule is this one variant.
        DecryptError::FrameTooShort => "Rejected",
    }
}

/// Seconds since the epoch on this machine's clock (what ferogram's time window reads).
pub fn system_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// `envelope.decrypt`: `EncryptedSession::decrypt_frame_with_offset`, ferogram's receive path
/// for a server frame (auth_key_id, msg_key, session_id, parity, time window, length and
/// padding). The vectors' msg_ids are from any time, so the clock offset it takes is set to put
/// the packet's own msg_id time at "now" (read by a first `decrypt_data_v2` on a copy).
pub fn envelope_decrypt(req: &Req) -> OpResult {
    if string(req, "receiver")? != "client" {
        return Ok(Answer::Unsupported); // ferogram receives as a client only
    }
    let key = match auth_key(req)? {
        Ok(k) => k,
        Err(a) => return Ok(a),
    };
    let session_id = i64::from_le_bytes(hex_array::<8>(req, "sessionId")?);
    let mut packet = hex(req, "packet")?;
    let mut copy = packet.clone();
    let offset = match ferogram_crypto::decrypt_data_v2(&mut copy, &AuthKey::from_bytes(key)) {
        Ok(pt) if pt.len() >= 24 => {
            let msg_id = i64::from_le_bytes(pt[16..24].try_into().unwrap_or_default());
            i32::try_from(((msg_id as u64) >> 32) as i64 - system_now()).unwrap_or(0)
        }
        _ => 0,
    };
    match EncryptedSession::decrypt_frame_with_offset(&key, session_id, &mut packet, offset) {
        Ok(m) => Ok(ok([
            ("salt", hx(&m.salt.to_le_bytes())),
            ("sessionId", hx(&m.session_id.to_le_bytes())),
            ("msgId", hx(&m.msg_id.to_le_bytes())),
            ("seqNo", Value::from(m.seq_no)),
            ("body", hx(&m.body)),
        ])),
        Err(e) => Ok(Answer::Rejected(decrypt_error(&e), e.to_string())),
    }
}

/// `pq.factorize`: what `authentication::step2` does with resPQ's pq: exactly 8 bytes
/// (`InvalidPqSize`), then `ferogram_crypto::factorize` (`None`: `FactorizationFailed`).
pub fn pq_factorize(req: &Req) -> OpResult {
    let pq = hex(req, "pq")?;
    let Ok(pq) = <[u8; 8]>::try_from(pq.as_slice()) else {
        return Ok(Answer::Rejected(
            "PqNotFactorable",
            format!("pq size {} invalid (expected 8)", pq.len()),
        ));
    };
    let pq = u64::from_be_bytes(pq);
    let Some((p, q)) = ferogram_crypto::factorize(pq) else {
        return Ok(Answer::Rejected(
            "PqNotFactorable",
            format!("could not factorize pq={pq}"),
        ));
    };
    let be = |v: u64| {
        let b = v.to_be_bytes();
        let start = b.iter().position(|&x| x != 0).unwrap_or(7);
        hx(&b[start..])
    };
    Ok(ok([("p", be(p)), ("q", be(q))]))
}

/// `dh.checkParams`: `ferogram_crypto::check_p_and_g`, what step 3 of the handshake runs.
pub fn dh_check_params(req: &Req) -> OpResult {
    let p = hex(req, "p")?;
    let Ok(g) = u32::try_from(int(req, "g")?) else {
        return Ok(Answer::Unsupported); // the API takes g as a u32
    };
    Ok(match check_p_and_g(&p, g) {
        Ok(()) => ok([]),
        Err(e) => {
            let name = match e {
                DhError::PrimeLengthInvalid | DhError::PrimeTooSmall => "PWrongSize",
                DhError::GeneratorOutOfRange => "GOutOfRange",
                DhError::GeneratorInvalid => "GNotGenerator",
                DhError::PrimeUnknown => "Rejected",
            };
            Answer::Rejected(name, e.to_string())
        }
    })
}
