//! Requests and answers of the adapter protocol.

use serde_json::{Map, Value};

/// A request: the JSON object with the vector's own field names.
pub type Req = Map<String, Value>;

/// What an op answers.
#[derive(Debug)]
pub enum Answer {
    /// `ok: true` with these outputs.
    Ok(Map<String, Value>),
    /// ferogram refused the input: a vocabulary name and what ferogram said.
    Rejected(&'static str, String),
    /// ferogram cannot be driven to this request.
    Unsupported,
    /// The adapter or ferogram failed (a panic, an unreadable request): an `error` case.
    Internal(String),
}

impl Answer {
    /// Add this answer's fields to `out` (which holds the request's `id`).
    pub fn write(self, out: &mut Map<String, Value>) {
        match self {
            Answer::Ok(fields) => {
                out.insert("ok".into(), Value::Bool(true));
                out.extend(fields);
            }
            Answer::Rejected(error, detail) => {
                out.insert("ok".into(), Value::Bool(false));
                out.insert("error".into(), error.into());
                out.insert("detail".into(), detail.into());
            }
            Answer::Unsupported => {
                out.insert("unsupported".into(), Value::Bool(true));
            }
            Answer::Internal(message) => {
                out.insert("ok".into(), Value::Bool(false));
                out.insert("internal".into(), message.into());
            }
        }
    }
}

/// An op's result: `Err` is a request the adapter cannot read (an `error` case).
pub type OpResult = Result<Answer, String>;

/// Field `name` as bytes from hex.
pub fn hex(req: &Req, name: &str) -> Result<Vec<u8>, String> {
    let s = req
        .get(name)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("field `{name}`: expected a hex string"))?;
    ::hex::decode(s).map_err(|e| format!("field `{name}`: {e}"))
}

/// Field `name` as exactly `N` bytes.
pub fn hex_array<const N: usize>(req: &Req, name: &str) -> Result<[u8; N], String> {
    let v = hex(req, name)?;
    <[u8; N]>::try_from(v.as_slice())
        .map_err(|_| format!("field `{name}`: expected {N} bytes, got {}", v.len()))
}

/// Field `name` as a string.
pub fn string<'a>(req: &'a Req, name: &str) -> Result<&'a str, String> {
    req.get(name)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("field `{name}`: expected a string"))
}

/// Field `name` as an integer.
pub fn int(req: &Req, name: &str) -> Result<i64, String> {
    req.get(name)
        .and_then(Value::as_i64)
        .ok_or_else(|| format!("field `{name}`: expected an integer"))
}

/// An `ok` answer from `(name, value)` pairs.
pub fn ok<const N: usize>(fields: [(&str, Value); N]) -> Answer {
    Answer::Ok(fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
}

/// Bytes as a hex JSON string.
pub fn hx(bytes: &[u8]) -> Value {
    Value::from(::hex::encode(bytes))
}
