//! TL ops of the reference IUT (`TlIdTest`, `TlCodecTest`, spec §7).
//!
//! | op | request | answer |
//! |---|---|---|
//! | `tl.id` | `combinator` (a schema line) | `constructorId` (8 hex digits, the id as a big-endian number; not `id`, which is the adapter protocol's request id) |
//! | `tl.decode` | `schema` (`mtproto` / `secret`), `bytes`, optional `as` (`Bool`) | `value` (the JSON form; a boolean for `as: Bool`) |
//! | `tl.encode` | `schema`, `value`, optional `as` | `bytes` |
//!
//! Without `as` the bytes are any boxed value of the schema (`Object`). `as: "Bool"` reads them
//! as a boxed `Bool`, as a receiver does for the result of a function declared `= Bool`: only
//! `boolTrue`/`boolFalse`, anything else `BadBool`.
//!
//! The JSON form is [`mtproto::tl::json`]'s: an object per constructor with `"_"` its name.

use mtproto::tl::generated::{mtproto as mt, secret};
use mtproto::tl::schema::{crc32, normalize, normalize_keeping_bytes};
use mtproto::tl::{Json, Tl};
use serde_json::{Map, Value};

use crate::{Answer, Fields, fields};

/// [`Json`] to `serde_json`.
pub fn to_serde(j: &Json) -> Value {
    match j {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(*b),
        Json::Int(n) => Value::from(*n),
        Json::Str(s) => Value::String(s.clone()),
        Json::Array(v) => Value::Array(v.iter().map(to_serde).collect()),
        Json::Object(f) => {
            let mut m = Map::new();
            for (k, v) in f {
                m.insert(k.clone(), to_serde(v));
            }
            Value::Object(m)
        }
    }
}

/// `serde_json` to [`Json`]; `None` for non-integer numbers.
pub fn from_serde(v: &Value) -> Option<Json> {
    Some(match v {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Number(n) => Json::Int(n.as_i64()?),
        Value::String(s) => Json::Str(s.clone()),
        Value::Array(a) => Json::Array(a.iter().map(from_serde).collect::<Option<_>>()?),
        Value::Object(m) => Json::Object(
            m.iter()
                .map(|(k, v)| Some((k.clone(), from_serde(v)?)))
                .collect::<Option<_>>()?,
        ),
    })
}

/// Published combinators whose id is the CRC32 of the line with `bytes` as written, not of the
/// line spec §7.1 rule 2 gives (`bytes` hashed as `string`), with their published ids. Telegram
/// sends these ids, so an implementation that derives ids from lines needs this list.
///
/// - `decryptedMessageMediaDocument#6abd9782` (end-to-end schema, layer 143;
///   <https://core.telegram.org/constructor/decryptedMessageMediaDocument>): rule 2 gives
///   `8e4c064c`;
/// - `ipPortSecret#37982646` (API schema, `help.configSimple`;
///   <https://core.telegram.org/constructor/ipPortSecret>): rule 2 gives `402d9b47`.
pub const BYTES_AS_WRITTEN: &[(&str, u32)] = &[
    (
        "decryptedMessageMediaDocument thumb:bytes thumb_w:int thumb_h:int mime_type:string \
         size:long key:bytes iv:bytes attributes:Vector<DocumentAttribute> caption:string = \
         DecryptedMessageMedia",
        0x6abd_9782,
    ),
    (
        "ipPortSecret ipv4:int port:int secret:bytes = IpPort",
        0x3798_2646,
    ),
];

/// The id of a combinator line: the CRC32 of its normalized form (rules 1–6 of
/// [`mtproto::tl::schema`]), or for a line of [`BYTES_AS_WRITTEN`] of the form that keeps
/// `bytes`.
pub fn line_id(line: &str) -> u32 {
    let kept = normalize_keeping_bytes(line);
    if BYTES_AS_WRITTEN
        .iter()
        .any(|(l, _)| normalize_keeping_bytes(l) == kept)
    {
        crc32(&kept)
    } else {
        crc32(&normalize(line))
    }
}

/// `tl.id`.
pub fn id(request: &Fields) -> Result<Answer, String> {
    let line = fields::string(request, "combinator")?;
    let mut a = Fields::new();
    a.insert(
        "constructorId".into(),
        Value::String(format!("{:08x}", line_id(line))),
    );
    Ok(Answer::Ok(a))
}

fn schema(request: &Fields) -> Result<bool, String> {
    match fields::string(request, "schema")? {
        "mtproto" => Ok(false),
        "secret" => Ok(true),
        other => Err(format!("field `schema`: unknown schema {other:?}")),
    }
}

/// Whether `as` asks for `Bool` (absent: `Object`; anything else is refused).
fn decode_as_bool(request: &Fields) -> Result<bool, String> {
    match request.get("as") {
        None | Some(Value::Null) => Ok(false),
        Some(Value::String(s)) if s == "Bool" => Ok(true),
        Some(other) => Err(format!("field `as`: unsupported type {other}")),
    }
}

/// `tl.decode`.
pub fn decode(request: &Fields) -> Result<Answer, String> {
    let is_secret = schema(request)?;
    let bytes = fields::hex(request, "bytes")?;
    let value = if decode_as_bool(request)? {
        let mut r = mtproto::codec::Reader::new(&bytes);
        mtproto::tl::rt::read_bool(&mut r)
            .and_then(|v| r.finish().map(|()| Json::Bool(v)).map_err(Into::into))
    } else if is_secret {
        secret::Object::from_bytes(&bytes).map(|v| v.to_json())
    } else {
        mt::Object::from_bytes(&bytes).map(|v| v.to_json())
    };
    Ok(match value {
        Ok(j) => {
            let mut a = Fields::new();
            a.insert("value".into(), to_serde(&j));
            Answer::Ok(a)
        }
        Err(e) => Answer::rejected(&e),
    })
}

/// `tl.encode`.
pub fn encode(request: &Fields) -> Result<Answer, String> {
    let is_secret = schema(request)?;
    let value = from_serde(fields::get(request, "value")?)
        .ok_or("field `value`: numbers must be integers")?;
    let bytes = if decode_as_bool(request)? {
        match value {
            Json::Bool(v) => {
                let mut out = Vec::new();
                mtproto::tl::rt::write_bool(&mut out, v);
                Ok(out)
            }
            _ => return Err("field `value`: a Bool is true or false".into()),
        }
    } else if is_secret {
        secret::Object::from_json(&value).map(|v| v.to_bytes())
    } else {
        mt::Object::from_json(&value).map(|v| v.to_bytes())
    };
    Ok(match bytes {
        Ok(b) => {
            let mut a = Fields::new();
            fields::put_hex(&mut a, "bytes", &b);
            Answer::Ok(a)
        }
        Err(e) => Answer::rejected(&e),
    })
}
