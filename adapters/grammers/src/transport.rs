//! Transports through `grammers_mtproto::transport`: a client's transports, so `pack` makes
//! client-to-server streams (`transport.encode`) and `unpack` reads server-to-client ones
//! (`transport.decode`). No padded intermediate, no MTProxy secret, no quick-ack request on
//! send, no obfuscated full transport (`Full` is not `Tagged`): those are `unsupported`.

use grammers_crypto::DequeBuffer;
use grammers_mtproto::transport::{
    Abridged, Error, Full, Intermediate, Obfuscated, Transport, UnpackedOffset,
};
use serde_json::{Map, Value};

use crate::proto::{Answer, OpResult, Req, flag, hex, hex_array, hx, ok, string};
use crate::random;

/// The transport the request names, or `None` if grammers has no such transport. An
/// obfuscated one draws its 64-byte init from getrandom: the request's `init`.
fn transport(req: &Req) -> Result<Option<Box<dyn Transport>>, String> {
    let obfuscated = flag(req, "obfuscated")?;
    if req.contains_key("secret") {
        return Ok(None);
    }
    if obfuscated {
        random::feed(&hex_array::<64>(req, "init")?);
    }
    Ok(match (string(req, "transport")?, obfuscated) {
        ("abridged", false) => Some(Box::new(Abridged::new())),
        ("intermediate", false) => Some(Box::new(Intermediate::new())),
        ("full", false) => Some(Box::new(Full::new())),
        ("abridged", true) => Some(Box::new(Obfuscated::new(Abridged::new()))),
        ("intermediate", true) => Some(Box::new(Obfuscated::new(Intermediate::new()))),
        _ => None,
    })
}

fn direction_is(req: &Req, want: &str) -> Result<bool, String> {
    Ok(string(req, "direction")? == want)
}

fn payload(data: &[u8]) -> Value {
    let mut m = Map::new();
    m.insert("kind".into(), "payload".into());
    m.insert("data".into(), hx(data));
    m.insert("quickAck".into(), Value::Bool(false));
    Value::Object(m)
}

fn rejected(e: &Error) -> Answer {
    let name = match e {
        Error::MissingBytes => "Truncated",
        Error::BadLen { got } if *got < 12 => "FrameTooShort",
        Error::BadLen { .. } => "FrameTooLong",
        Error::BadSeq { .. } => "SeqnoMismatch",
        Error::BadCrc { .. } => "CrcMismatch",
        Error::BadStatus { .. } => "Rejected",
    };
    Answer::Rejected(name, e.to_string())
}

/// `transport.decode`, server to client: `unpack` until the stream is used up. A negative length
/// (`BadStatus`) is grammers reporting a transport error code: answered as an error frame, and
/// the stream ends there (grammers gives no offset past it).
pub fn decode(req: &Req) -> OpResult {
    if !direction_is(req, "serverToClient")? {
        return Ok(Answer::Unsupported);
    }
    let Some(mut t) = transport(req)? else {
        return Ok(Answer::Unsupported);
    };
    let mut stream = hex(req, "stream")?;
    let mut frames = Vec::new();
    let mut at = 0usize;
    while at < stream.len() {
        let rest = stream.get_mut(at..).unwrap_or_default();
        match t.unpack(rest) {
            Ok(UnpackedOffset {
                data_range,
                next_offset,
            }) => {
                frames.push(payload(rest.get(data_range).unwrap_or_default()));
                if next_offset == 0 {
                    return Err("grammers unpacked a frame of no bytes".into());
                }
                at += next_offset;
            }
            Err(Error::BadStatus { status }) => {
                let mut m = Map::new();
                m.insert("kind".into(), "error".into());
                m.insert("code".into(), Value::from(-i64::from(status)));
                frames.push(Value::Object(m));
                break;
            }
            Err(e) => return Ok(rejected(&e)),
        }
    }
    Ok(ok([("frames", Value::Array(frames))]))
}

/// `transport.encode`, client to server: `pack` each payload in turn (the first carries the
/// transport's tag, or the obfuscated header).
pub fn encode(req: &Req) -> OpResult {
    if !direction_is(req, "clientToServer")? {
        return Ok(Answer::Unsupported);
    }
    let frames = req
        .get("frames")
        .and_then(Value::as_array)
        .ok_or("field `frames`: expected an array")?;
    let mut payloads = Vec::with_capacity(frames.len());
    for (i, f) in frames.iter().enumerate() {
        let Value::Object(f) = f else {
            return Err(format!("frames[{i}]: expected an object"));
        };
        // grammers sends payloads only, and never asks for a quick ack.
        if string(f, "kind")? != "payload" || flag(f, "quickAck")? {
            return Ok(Answer::Unsupported);
        }
        payloads.push(hex(f, "data").map_err(|e| format!("frames[{i}]: {e}"))?);
    }
    let Some(mut t) = transport(req)? else {
        return Ok(Answer::Unsupported);
    };
    let mut stream = Vec::new();
    for p in payloads {
        let mut buffer = DequeBuffer::with_capacity(p.len(), 64 + 12);
        buffer.extend(p);
        t.pack(&mut buffer);
        stream.extend_from_slice(buffer.as_ref());
    }
    Ok(ok([("stream", hx(&stream))]))
}
