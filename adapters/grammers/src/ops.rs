//! IGE, msg_key, the envelope and pq through grammers' public functions.

use grammers_crypto::{AuthKey, DequeBuffer};
use grammers_mtproto::mtp::{DeserializeError, Encrypted, Mtp};
use serde_json::Value;

use crate::proto::{Answer, OpResult, Req, hex, hex_array, hx, int, ok, string};
use crate::random;

/// `ige.encrypt` / `ige.decrypt`: `grammers_crypto::aes::ige_{en,de}crypt`, in place. AES-256
/// only (the functions take a 32-byte key); a length that is not a multiple of 16 makes them
/// panic (`assert_eq!`), which is answered `internal`.
pub fn ige(req: &Req, encrypt: bool) -> OpResult {
    let key = hex(req, "key")?;
    let iv = hex_array::<32>(req, "iv")?;
    let Ok(key) = <[u8; 32]>::try_from(key.as_slice()) else {
        return Ok(Answer::Unsupported);
    };
    let mut data = hex(req, if encrypt { "msg" } else { "ct" })?;
    if encrypt {
        grammers_crypto::aes::ige_encrypt(&mut data, &key, &iv);
        Ok(ok([("ct", hx(&data))]))
    } else {
        grammers_crypto::aes::ige_decrypt(&mut data, &key, &iv);
        Ok(ok([("msg", hx(&data))]))
    }
}

fn client_to_server(req: &Req) -> Result<bool, String> {
    match string(req, "direction")? {
        "clientToServer" => Ok(true),
        "serverToClient" => Ok(false),
        other => Err(format!("field `direction`: unknown direction {other:?}")),
    }
}

/// grammers' own padding rule (`determine_padding_v2_length`): 16 + (16 - len % 16), 17..=32
/// bytes, never the 12..16 the spec also allows.
fn grammers_padding(len: usize) -> usize {
    16 + (16 - len % 16)
}

/// `encrypt_data_v2` over `data` with `padding` as its random bytes: the packet, or `None` when
/// grammers would pick another padding length than `padding.len()`.
fn encrypt_v2(key: [u8; 256], data: &[u8], padding: &[u8]) -> Option<Vec<u8>> {
    if grammers_padding(data.len()) != padding.len() {
        return None;
    }
    // It draws 32 random bytes and uses the first `padding.len()`.
    let mut random_bytes = [0u8; 32];
    random_bytes
        .iter_mut()
        .zip(padding)
        .for_each(|(r, p)| *r = *p);
    random::feed(&random_bytes);
    let mut buffer = DequeBuffer::with_capacity(data.len(), 24);
    buffer.extend(data.iter().copied());
    grammers_crypto::encrypt_data_v2(&mut buffer, &AuthKey::from_bytes(key));
    Some(buffer.as_ref().to_vec())
}

/// `kdf.msgKey`, client to server only: the msg_key of the packet `encrypt_data_v2` makes from
/// the plaintext, when the plaintext ends in padding of the length grammers itself would add.
/// The x = 8 msg_key and `kdf.aesKeyIv` are private to grammers (`calc_key`).
pub fn kdf_msg_key(req: &Req) -> OpResult {
    if !client_to_server(req)? {
        return Ok(Answer::Unsupported);
    }
    let Ok(key) = hex_array::<256>(req, "authKey") else {
        return Ok(Answer::Unsupported);
    };
    let plaintext = hex(req, "plaintext")?;
    for pad in 17..=32usize {
        let Some(data_len) = plaintext.len().checked_sub(pad) else {
            continue;
        };
        let (data, padding) = plaintext.split_at(data_len);
        if let Some(packet) = encrypt_v2(key, data, padding) {
            return Ok(ok([("msgKey", hx(packet.get(8..24).unwrap_or_default()))]));
        }
    }
    Ok(Answer::Unsupported)
}

fn long(req: &Req, name: &str) -> Result<[u8; 8], String> {
    hex_array::<8>(req, name)
}

/// `envelope.encrypt`, client to server: the plaintext header (salt, session_id, msg_id,
/// seq_no, length) is laid out here, because grammers' `Encrypted` takes msg_id from the clock;
/// padding, msg_key, the key derivation and IGE are `encrypt_data_v2`'s. grammers picks its own
/// padding length, so only requests whose padding has that length are reachable.
pub fn envelope_encrypt(req: &Req) -> OpResult {
    if !client_to_server(req)? {
        return Ok(Answer::Unsupported);
    }
    let Ok(key) = hex_array::<256>(req, "authKey") else {
        return Ok(Answer::Unsupported);
    };
    let body = hex(req, "body")?;
    let padding = hex(req, "padding")?;
    let seq_no = i32::try_from(int(req, "seqNo")?).map_err(|e| format!("field `seqNo`: {e}"))?;
    let len = i32::try_from(body.len()).map_err(|e| format!("field `body`: {e}"))?;
    let mut data = Vec::with_capacity(32 + body.len());
    data.extend_from_slice(&long(req, "salt")?);
    data.extend_from_slice(&long(req, "sessionId")?);
    data.extend_from_slice(&long(req, "msgId")?);
    data.extend_from_slice(&seq_no.to_le_bytes());
    data.extend_from_slice(&len.to_le_bytes());
    data.extend_from_slice(&body);
    Ok(match encrypt_v2(key, &data, &padding) {
        Some(packet) => ok([("packet", hx(&packet))]),
        None => Answer::Unsupported,
    })
}

fn rejected(e: &DeserializeError, packet_len: usize) -> Answer {
    use grammers_crypto::Error as C;
    let name = match e {
        DeserializeError::BadAuthKey { .. }
        | DeserializeError::DecryptionError(C::AuthKeyMismatch) => "AuthKeyIdMismatch",
        DeserializeError::DecryptionError(C::MessageKeyMismatch) => "MsgKeyMismatch",
        DeserializeError::DecryptionError(C::InvalidBuffer)
            if packet_len >= 24 && !(packet_len - 24).is_multiple_of(16) =>
        {
            "NotBlockAligned"
        }
        DeserializeError::DecryptionError(C::InvalidBuffer)
        | DeserializeError::MessageBufferTooSmall => "TooShort",
        DeserializeError::NegativeMessageLength { .. }
        | DeserializeError::TooLongMessageLength { .. } => "LengthOutOfRange",
        _ => "Rejected",
    };
    Answer::Rejected(name, e.to_string())
}

/// `envelope.decrypt`, receiver client: `Encrypted::deserialize`, the function grammers runs on
/// every packet from the server, with the session_id `Encrypted` drew from getrandom set to the
/// request's. It decrypts in place; the answer's fields are read from the plaintext it left, the
/// body by the length it accepted. grammers has no server side.
pub fn envelope_decrypt(req: &Req) -> OpResult {
    if string(req, "receiver")? != "client" {
        return Ok(Answer::Unsupported);
    }
    let Ok(key) = hex_array::<256>(req, "authKey") else {
        return Ok(Answer::Unsupported);
    };
    random::feed(&long(req, "sessionId")?);
    let mut mtp = Encrypted::build().finish(key);
    if random::left() != 0 {
        return Err("grammers did not draw the session_id as expected".into());
    }
    let mut packet = hex(req, "packet")?;
    let packet_len = packet.len();
    if let Err(e) = mtp.deserialize(&mut packet) {
        return Ok(rejected(&e, packet_len));
    }
    let pt = packet.get(24..).unwrap_or_default();
    let at = |r: std::ops::Range<usize>| pt.get(r).unwrap_or_default();
    let int32 = |r| {
        <[u8; 4]>::try_from(at(r))
            .map(i32::from_le_bytes)
            .unwrap_or(-1)
    };
    let len = usize::try_from(int32(28..32)).unwrap_or(0);
    Ok(ok([
        ("salt", hx(at(0..8))),
        ("sessionId", hx(at(8..16))),
        ("msgId", hx(at(16..24))),
        ("seqNo", Value::from(int32(24..28))),
        ("body", hx(at(32..32 + len))),
    ]))
}

/// `pq.factorize`: `grammers_crypto::factorize(u64)`. grammers' handshake refuses a pq that is
/// not exactly 8 bytes (`InvalidPqSize`); a pq it cannot split makes `factorize` panic after five
/// attempts (answered `internal`). p and q are answered as the handshake sends them: big-endian,
/// leading zeros dropped.
pub fn pq_factorize(req: &Req) -> OpResult {
    let pq = hex(req, "pq")?;
    let Ok(pq8) = <[u8; 8]>::try_from(pq.as_slice()) else {
        return Ok(Answer::Rejected(
            "PqNotFactorable",
            format!(
                "invalid pq size {} (grammers' step2 wants 8 bytes)",
                pq.len()
            ),
        ));
    };
    let (p, q) = grammers_crypto::factorize(u64::from_be_bytes(pq8));
    let minimal = |v: u64| {
        let b = v.to_be_bytes();
        let start = b.iter().position(|&x| x != 0).unwrap_or(b.len());
        b.get(start..).unwrap_or_default().to_vec()
    };
    Ok(ok([("p", hx(&minimal(p))), ("q", hx(&minimal(q)))]))
}
