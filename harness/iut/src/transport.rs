//! Transport ops of the reference IUT (`TransportTest`, spec §6).
//!
//! | op | request | answer |
//! |---|---|---|
//! | `transport.decode` | `transport`, `direction`, `obfuscated`, `stream`, optional `init`, `secret` | `frames` |
//! | `transport.encode` | `transport`, `direction`, `obfuscated`, `frames`, optional `init`, `secret` | `stream` |
//!
//! `transport` is `abridged`, `intermediate`, `padded` or `full`; `direction` the direction the
//! stream flows. A frame is `{"kind": "payload", "data": HEX, "quickAck": BOOL}`,
//! `{"kind": "quickAck", "token": U32}` or `{"kind": "error", "code": I32}`. Obfuscated streams:
//! client to server, `stream` starts with the 64-byte header (`init`, the client's plaintext init,
//! is needed only to encode); server to client, `init` is the client's plaintext init. `secret` is
//! an MTProxy secret.

use mtproto::Direction;
use mtproto::transport::obfuscated::{self, INIT_LEN};
use mtproto::transport::{Decoder, Encoder, Frame, Kind, decode_all};
use serde_json::{Map, Value};

use crate::{Answer, Fields, fields, parse_direction};

fn kind(request: &Fields) -> Result<Kind, String> {
    let name = fields::string(request, "transport")?;
    Kind::from_name(name).ok_or_else(|| format!("field `transport`: unknown transport {name:?}"))
}

fn obfuscated_flag(request: &Fields) -> Result<bool, String> {
    match request.get("obfuscated") {
        None => Ok(false),
        Some(v) => v
            .as_bool()
            .ok_or_else(|| "field `obfuscated`: expected a boolean".to_owned()),
    }
}

fn opt_hex(request: &Fields, name: &str) -> Result<Option<Vec<u8>>, String> {
    if request.contains_key(name) {
        fields::hex(request, name).map(Some)
    } else {
        Ok(None)
    }
}

fn init(request: &Fields) -> Result<[u8; INIT_LEN], String> {
    fields::hex_array::<INIT_LEN>(request, "init")
}

/// A frame's JSON form.
pub fn frame_to_json(f: &Frame) -> Value {
    let mut m = Map::new();
    match f {
        Frame::Payload { data, quick_ack } => {
            m.insert("kind".into(), Value::from("payload"));
            m.insert("data".into(), Value::from(hex::encode(data)));
            m.insert("quickAck".into(), Value::from(*quick_ack));
        }
        Frame::QuickAck { token } => {
            m.insert("kind".into(), Value::from("quickAck"));
            m.insert("token".into(), Value::from(*token));
        }
        Frame::Error { code } => {
            m.insert("kind".into(), Value::from("error"));
            m.insert("code".into(), Value::from(*code));
        }
    }
    Value::Object(m)
}

/// Read a frame's JSON form.
pub fn frame_from_json(v: &Value) -> Result<Frame, String> {
    let bad = || format!("frame {v}: expected a payload, quickAck or error frame");
    let m = v.as_object().ok_or_else(bad)?;
    match m.get("kind").and_then(Value::as_str) {
        Some("payload") => Ok(Frame::Payload {
            data: fields::hex(m, "data")?,
            quick_ack: m.get("quickAck").and_then(Value::as_bool).unwrap_or(false),
        }),
        Some("quickAck") => Ok(Frame::QuickAck {
            token: m
                .get("token")
                .and_then(Value::as_u64)
                .and_then(|t| u32::try_from(t).ok())
                .ok_or_else(bad)?,
        }),
        Some("error") => Ok(Frame::Error {
            code: fields::int(m, "code")?,
        }),
        _ => Err(bad()),
    }
}

fn answer_frames(frames: &[Frame]) -> Answer {
    let mut a = Fields::new();
    a.insert(
        "frames".into(),
        Value::Array(frames.iter().map(frame_to_json).collect()),
    );
    Answer::Ok(a)
}

/// `transport.decode`.
pub fn decode(request: &Fields) -> Result<Answer, String> {
    let kind = kind(request)?;
    let dir = parse_direction(request)?;
    let stream = fields::hex(request, "stream")?;
    let secret = opt_hex(request, "secret")?;
    let result = if !obfuscated_flag(request)? {
        decode_all(&mut Decoder::new(kind, dir), &stream)
    } else if dir == Direction::ClientToServer {
        let Some((header, rest)) = stream.split_first_chunk::<INIT_LEN>() else {
            return Ok(Answer::rejected(
                &mtproto::error::TransportError::Truncated { have: stream.len() },
            ));
        };
        match obfuscated::accept(header, secret.as_deref()) {
            Ok(s) if s.kind != kind => Err(mtproto::error::TransportError::UnknownProtocolTag {
                tag: u32::from_le_bytes(
                    s.init
                        .get(56..60)
                        .and_then(|t| t.try_into().ok())
                        .unwrap_or([0; 4]),
                ),
            }),
            Ok(mut s) => obfuscated::decode_all(&mut s.decoder, rest),
            Err(e) => Err(e),
        }
    } else {
        match obfuscated::client_with_init(&init(request)?, secret.as_deref()) {
            Ok(mut c) => obfuscated::decode_all(&mut c.decoder, &stream),
            Err(e) => Err(e),
        }
    };
    Ok(match result {
        Ok(frames) => answer_frames(&frames),
        Err(e) => Answer::rejected(&e),
    })
}

/// `transport.encode`.
pub fn encode(request: &Fields) -> Result<Answer, String> {
    let kind = kind(request)?;
    let dir = parse_direction(request)?;
    let frames: Vec<Frame> = fields::get(request, "frames")?
        .as_array()
        .ok_or("field `frames`: expected an array")?
        .iter()
        .map(frame_from_json)
        .collect::<Result<_, _>>()?;
    let secret = opt_hex(request, "secret")?;
    let mut out = Vec::new();
    let done = if !obfuscated_flag(request)? {
        let mut enc = Encoder::new(kind, dir);
        frames
            .iter()
            .try_for_each(|f| enc.encode(f.as_packet(), &[], &mut out))
    } else {
        let init = init(request)?;
        match obfuscated::client_with_init(&init, secret.as_deref()) {
            Err(e) => Err(e),
            Ok(c) if dir == Direction::ClientToServer => {
                out.extend_from_slice(&c.header);
                let mut enc = c.encoder;
                frames
                    .iter()
                    .try_for_each(|f| enc.encode(f.as_packet(), &[], &mut out))
            }
            Ok(c) => match obfuscated::accept(&c.header, secret.as_deref()) {
                Err(e) => Err(e),
                Ok(s) => {
                    let mut enc = s.encoder;
                    frames
                        .iter()
                        .try_for_each(|f| enc.encode(f.as_packet(), &[], &mut out))
                }
            },
        }
    };
    Ok(match done {
        Ok(()) => {
            let mut a = Fields::new();
            fields::put_hex(&mut a, "stream", &out);
            Answer::Ok(a)
        }
        Err(e) => Answer::rejected(&e),
    })
}
