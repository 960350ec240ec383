//! The JSON form of TL values, used by vectors and adapters (`docs/vector-format.md`,
//! `docs/adapter-protocol.md`).
//!
//! A constructor is an object whose `"_"` is its schema name, with one key per field:
//!
//! | TL | JSON |
//! |---|---|
//! | `int`, `long` | number |
//! | `double` | hex of its 8 little-endian bytes (exact, NaN payloads included) |
//! | `int128`, `int256`, `bytes` | lowercase hex |
//! | `string` | string |
//! | `Bool`, `flags.N?true` | `true` / `false` |
//! | `flags.N?T` absent | `null` |
//! | `Vector t`, `vector t` | array |
//!
//! The form round-trips exactly: `from_json(to_json(v)) == v` and an object with an unknown or
//! missing key, or a value of the wrong kind, is [`TlError::BadJson`](crate::error::TlError). The
//! crate has no serde (it stays dependency-light); the harness converts [`Json`] to and from
//! `serde_json`.
#![deny(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

/// A JSON value with ordered object keys.
#[derive(Clone, Debug, PartialEq)]
pub enum Json {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A string.
    Str(String),
    /// An array.
    Array(Vec<Json>),
    /// An object, keys in order.
    Object(Vec<(String, Json)>),
}

impl Json {
    /// An object's value for `key`.
    pub fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Self::Object(fields) => fields.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
}

/// Lowercase hex.
pub fn hex(b: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(b.len().saturating_mul(2));
    for &x in b {
        for nib in [x >> 4, x & 15] {
            s.push(char::from(
                DIGITS.get(usize::from(nib)).copied().unwrap_or(b'0'),
            ));
        }
    }
    s
}

/// Decode lowercase hex (`None` for anything else).
pub fn unhex(s: &str) -> Option<Vec<u8>> {
    fn nib(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => c.checked_sub(b'0'),
            b'a'..=b'f' => c.checked_sub(b'a').and_then(|v| v.checked_add(10)),
            _ => None,
        }
    }
    let b = s.as_bytes();
    if !b.len().is_multiple_of(2) {
        return None;
    }
    b.chunks_exact(2)
        .map(|p| match p {
            [h, l] => Some(nib(*h)? << 4 | nib(*l)?),
            _ => None,
        })
        .collect()
}
