//! TL serialization (spec §7): the schema parser and constructor ids ([`schema`]), the types
//! generated from `schema/*.tl` ([`generated`]), the runtime they call ([`rt`]), their JSON form
//! ([`json`]) and `gzip_packed` ([`gzip`]).
//!
//! ```text
//! boxed value:   [constructor id : 4 LE][fields...]        bare value: [fields...]
//! Vector t:      [1cb5c415][count : 4 LE][t]*               vector t:   [count : 4 LE][t]*
//! Bool:          [997275b5] (true) | [bc799737] (false)
//! flags.N?T:     present iff bit N of the `#` field is set; flags.N?true occupies no bytes
//! msg_container: [73f1f8dc][count][msg_id:8][seqno:4][bytes:4][body : bytes]*
//! ```
//!
//! Decoding is strict ([ser], [bytes]): the canonical `bytes` length form and zero padding only
//! ([`crate::codec::Reader::tl_bytes`]); `Bool` and `Vector` ids checked; flag bits no field uses
//! rejected; an unknown constructor is [`TlError::UnknownConstructor`] with its id in hex; every
//! count is bounded by the bytes left before anything is allocated; nesting is bounded
//! ([`MAX_DEPTH`]). `msg_container` holds at most 1024 messages, does not nest, and each
//! message's `bytes` delimits its body exactly; `msgs_ack`, `msgs_state_req` and `msg_resend_req`
//! carry at most 8192 ids ([sm]).
//!
//! [ser]: https://core.telegram.org/mtproto/serialize
//! [bytes]: https://core.telegram.org/type/bytes
//! [sm]: https://core.telegram.org/mtproto/service_messages
#![deny(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

/// The types generated from [`SCHEMAS`] by `mtproto-tlgen` (committed; regeneration checked).
#[rustfmt::skip]
pub mod generated;
pub mod gzip;
pub mod json;
pub mod schema;

pub use crate::error::TlError;
pub use json::Json;

use crate::codec::Reader;

/// The `.tl` files shipped with the crate: `(name, text)`.
pub const SCHEMAS: &[(&str, &str)] = &[
    ("mtproto", include_str!("../../schema/mtproto.tl")),
    ("secret", include_str!("../../schema/secret.tl")),
];

/// Deepest nesting of boxed values the decoder follows.
pub const MAX_DEPTH: usize = 64;
/// Most messages in one `msg_container` ([sm]).
///
/// [sm]: https://core.telegram.org/mtproto/service_messages
pub const MAX_CONTAINER_MESSAGES: usize = 1024;
/// Most ids in one `msgs_ack` / `msgs_state_req` / `msg_resend_req` ([sm]).
///
/// [sm]: https://core.telegram.org/mtproto/service_messages
pub const MAX_MSG_IDS: usize = 8192;

/// The `Vector` constructor id.
pub const VECTOR_ID: u32 = 0x1cb5_c415;
/// `boolTrue`.
pub const BOOL_TRUE: u32 = 0x9972_75b5;
/// `boolFalse`.
pub const BOOL_FALSE: u32 = 0xbc79_9737;

/// Decoding state: nesting depth and whether a container is open.
#[derive(Clone, Debug, Default)]
pub struct Ctx {
    depth: usize,
    in_container: bool,
}

impl Ctx {
    /// A fresh context.
    pub fn new() -> Self {
        Self::default()
    }

    /// Enter one level of nesting.
    pub fn enter(&mut self) -> Result<(), TlError> {
        if self.depth >= MAX_DEPTH {
            return Err(TlError::TooDeep);
        }
        self.depth = self.depth.saturating_add(1);
        Ok(())
    }

    /// Leave one level.
    pub fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }
}

/// A TL value the generated code can write and read.
pub trait Tl: Sized {
    /// Append the value's serialization (boxed for types, bare for constructor structs).
    fn write(&self, out: &mut Vec<u8>);
    /// Read one value.
    fn read(r: &mut Reader<'_>, cx: &mut Ctx) -> Result<Self, TlError>;
    /// The JSON form.
    fn to_json(&self) -> Json;
    /// Read the JSON form.
    fn from_json(j: &Json) -> Result<Self, TlError>;

    /// Serialize to a new buffer.
    fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.write(&mut out);
        out
    }

    /// Decode exactly one value from `bytes` (trailing bytes are an error).
    fn from_bytes(bytes: &[u8]) -> Result<Self, TlError> {
        let mut r = Reader::new(bytes);
        let v = Self::read(&mut r, &mut Ctx::new())?;
        r.finish()?;
        Ok(v)
    }
}

/// A constructor: its id and schema name.
pub trait Identifiable {
    /// The constructor id.
    const CONSTRUCTOR_ID: u32;
    /// The name in the schema.
    const NAME: &'static str;
}

/// Helpers the generated code calls.
pub mod rt {
    use super::{BOOL_FALSE, BOOL_TRUE, Ctx, Json, TlError, VECTOR_ID};
    use crate::codec::{self, Reader};

    /// A vector count, bounded by what is left (every element takes at least 4 bytes).
    pub fn count(r: &mut Reader<'_>) -> Result<usize, TlError> {
        let n = r.int()?;
        let left = r.left();
        usize::try_from(n)
            .ok()
            .filter(|&c| c <= left / 4)
            .ok_or(TlError::CountTooLarge {
                count: i64::from(n),
                left,
            })
    }

    /// A limit on a vector's length and the error for exceeding it.
    pub type Limit = Option<(usize, fn(usize) -> TlError)>;

    /// At most [`MAX_MSG_IDS`](super::MAX_MSG_IDS) ids.
    pub const MSG_IDS: Limit = Some((super::MAX_MSG_IDS, |count| TlError::TooManyIds { count }));

    /// At most [`MAX_CONTAINER_MESSAGES`](super::MAX_CONTAINER_MESSAGES) messages.
    pub const CONTAINER: Limit = Some((super::MAX_CONTAINER_MESSAGES, |count| {
        TlError::ContainerTooLarge { count }
    }));

    /// Read a bare `vector`, at most `max` elements.
    pub fn read_bare_vec<T>(
        r: &mut Reader<'_>,
        cx: &mut Ctx,
        max: Limit,
        mut item: impl FnMut(&mut Reader<'_>, &mut Ctx) -> Result<T, TlError>,
    ) -> Result<Vec<T>, TlError> {
        let n = count(r)?;
        if let Some((max, too_many)) = max
            && n > max
        {
            return Err(too_many(n));
        }
        let mut v = Vec::with_capacity(n);
        for _ in 0..n {
            v.push(item(r, cx)?);
        }
        Ok(v)
    }

    /// Read a boxed `Vector`.
    pub fn read_vec<T>(
        r: &mut Reader<'_>,
        cx: &mut Ctx,
        max: Limit,
        item: impl FnMut(&mut Reader<'_>, &mut Ctx) -> Result<T, TlError>,
    ) -> Result<Vec<T>, TlError> {
        let id = r.u32()?;
        if id != VECTOR_ID {
            return Err(TlError::BadVectorId { id });
        }
        read_bare_vec(r, cx, max, item)
    }

    /// Write a bare `vector`.
    pub fn write_bare_vec<T>(out: &mut Vec<u8>, v: &[T], mut item: impl FnMut(&mut Vec<u8>, &T)) {
        codec::put_int(out, i32::try_from(v.len()).unwrap_or(i32::MAX));
        for x in v {
            item(out, x);
        }
    }

    /// Write a boxed `Vector`.
    pub fn write_vec<T>(out: &mut Vec<u8>, v: &[T], item: impl FnMut(&mut Vec<u8>, &T)) {
        codec::put_u32(out, VECTOR_ID);
        write_bare_vec(out, v, item);
    }

    /// Read a `Bool`.
    pub fn read_bool(r: &mut Reader<'_>) -> Result<bool, TlError> {
        match r.u32()? {
            BOOL_TRUE => Ok(true),
            BOOL_FALSE => Ok(false),
            id => Err(TlError::BadBool { id }),
        }
    }

    /// Write a `Bool`.
    pub fn write_bool(out: &mut Vec<u8>, v: bool) {
        codec::put_u32(out, if v { BOOL_TRUE } else { BOOL_FALSE });
    }

    /// Read a `string` (UTF-8).
    pub fn read_string(r: &mut Reader<'_>) -> Result<String, TlError> {
        let b = r.tl_bytes()?;
        core::str::from_utf8(b)
            .map(str::to_owned)
            .map_err(|_| TlError::InvalidUtf8)
    }

    /// Write a `bytes`/`string`. A value longer than TL can carry (2^24 - 1 bytes; the decoder
    /// never builds one) is written as an empty value rather than panicking.
    pub fn write_bytes(out: &mut Vec<u8>, v: &[u8]) {
        if codec::put_tl_bytes(out, v).is_err() {
            // Longer than 2^24 - 1: not representable; write an empty value instead of panicking.
            out.extend_from_slice(&[0, 0, 0, 0]);
        }
    }

    /// Read a `double`.
    pub fn read_double(r: &mut Reader<'_>) -> Result<f64, TlError> {
        Ok(f64::from_bits(u64::from_le_bytes(r.array::<8>()?)))
    }

    /// Write a `double`.
    pub fn write_double(out: &mut Vec<u8>, v: f64) {
        out.extend_from_slice(&v.to_bits().to_le_bytes());
    }

    /// Check a flags word against the bits the constructor defines.
    pub fn check_flags(flags: u32, known: u32) -> Result<u32, TlError> {
        let bits = flags & !known;
        if bits == 0 {
            Ok(flags)
        } else {
            Err(TlError::UnknownFlags { bits })
        }
    }

    /// Open a `msg_container`: at most one level, at most 1024 messages.
    pub fn enter_container(cx: &mut Ctx) -> Result<(), TlError> {
        if cx.in_container {
            return Err(TlError::NestedContainer);
        }
        cx.in_container = true;
        Ok(())
    }

    /// Close the `msg_container` opened by [`enter_container`].
    pub fn leave_container(cx: &mut Ctx) {
        cx.in_container = false;
    }

    /// A container message's body: exactly `bytes` bytes (non-negative, a multiple of 4, present),
    /// decoded with nothing left over.
    pub fn read_body<T>(
        r: &mut Reader<'_>,
        cx: &mut Ctx,
        declared: i32,
        body: impl FnOnce(&mut Reader<'_>, &mut Ctx) -> Result<T, TlError>,
    ) -> Result<T, TlError> {
        let len = usize::try_from(declared)
            .ok()
            .filter(|&l| l.is_multiple_of(4) && l <= r.left())
            .ok_or(TlError::MessageLength { declared })?;
        let bytes = r.bytes(len)?;
        let mut sub = Reader::new(bytes);
        // A body that runs past `bytes` means `bytes` does not delimit it.
        let v = body(&mut sub, cx).map_err(|e| match e {
            TlError::Codec(crate::error::CodecError::UnexpectedEnd { .. }) => {
                TlError::MessageLength { declared }
            }
            other => other,
        })?;
        if sub.left() != 0 {
            return Err(TlError::MessageLength { declared });
        }
        Ok(v)
    }

    /// Write a container message's body with its length.
    pub fn write_body(out: &mut Vec<u8>, body: impl FnOnce(&mut Vec<u8>)) {
        let mut b = Vec::new();
        body(&mut b);
        codec::put_int(out, i32::try_from(b.len()).unwrap_or(i32::MAX));
        out.extend_from_slice(&b);
    }

    /// JSON helpers.
    pub mod j {
        use super::{Json, TlError};

        /// `{"_": name, ...fields}`.
        pub fn obj(name: &str, fields: Vec<(&str, Json)>) -> Json {
            let mut v = Vec::with_capacity(fields.len().saturating_add(1));
            v.push(("_".to_owned(), Json::Str(name.to_owned())));
            v.extend(fields.into_iter().map(|(k, x)| (k.to_owned(), x)));
            Json::Object(v)
        }

        /// The `_` of an object.
        pub fn tag<'a>(j: &'a Json, at: &'static str) -> Result<&'a str, TlError> {
            match j.get("_") {
                Some(Json::Str(s)) => Ok(s),
                _ => Err(TlError::BadJson { at }),
            }
        }

        /// Check that `j` is an object tagged `name` with exactly the keys `keys` (plus `_`).
        pub fn expect(j: &Json, name: &'static str, keys: &[&str]) -> Result<(), TlError> {
            let bad = TlError::BadJson { at: name };
            let Json::Object(fields) = j else {
                return Err(bad);
            };
            if tag(j, name)? != name {
                return Err(bad);
            }
            if fields
                .iter()
                .any(|(k, _)| k != "_" && !keys.contains(&k.as_str()))
            {
                return Err(bad);
            }
            Ok(())
        }

        /// A field (absent is `null`).
        pub fn field<'a>(j: &'a Json, key: &str) -> &'a Json {
            j.get(key).unwrap_or(&Json::Null)
        }

        /// An `int`.
        pub fn int(j: &Json, at: &'static str) -> Result<i32, TlError> {
            match j {
                Json::Int(n) => i32::try_from(*n).map_err(|_| TlError::BadJson { at }),
                _ => Err(TlError::BadJson { at }),
            }
        }

        /// A `long`.
        pub fn long(j: &Json, at: &'static str) -> Result<i64, TlError> {
            match j {
                Json::Int(n) => Ok(*n),
                _ => Err(TlError::BadJson { at }),
            }
        }

        /// A `Bool` / `true` flag.
        pub fn boolean(j: &Json, at: &'static str) -> Result<bool, TlError> {
            match j {
                Json::Bool(b) => Ok(*b),
                _ => Err(TlError::BadJson { at }),
            }
        }

        /// A `string`.
        pub fn string(j: &Json, at: &'static str) -> Result<String, TlError> {
            match j {
                Json::Str(s) => Ok(s.clone()),
                _ => Err(TlError::BadJson { at }),
            }
        }

        /// `bytes` as lowercase hex.
        pub fn bytes(j: &Json, at: &'static str) -> Result<Vec<u8>, TlError> {
            match j {
                Json::Str(s) => super::super::json::unhex(s).ok_or(TlError::BadJson { at }),
                _ => Err(TlError::BadJson { at }),
            }
        }

        /// `int128` / `int256` as hex.
        pub fn array<const N: usize>(j: &Json, at: &'static str) -> Result<[u8; N], TlError> {
            bytes(j, at)?
                .try_into()
                .map_err(|_| TlError::BadJson { at })
        }

        /// A `double` as the hex of its 8 little-endian bytes (exact, NaN payloads included).
        pub fn double(j: &Json, at: &'static str) -> Result<f64, TlError> {
            array::<8>(j, at).map(|b| f64::from_bits(u64::from_le_bytes(b)))
        }

        /// The JSON form of a `double`.
        pub fn from_double(v: f64) -> Json {
            Json::Str(super::super::json::hex(&v.to_bits().to_le_bytes()))
        }

        /// The JSON form of bytes.
        pub fn from_bytes(v: &[u8]) -> Json {
            Json::Str(super::super::json::hex(v))
        }

        /// A vector.
        pub fn vec<T>(
            j: &Json,
            at: &'static str,
            item: impl FnMut(&Json) -> Result<T, TlError>,
        ) -> Result<Vec<T>, TlError> {
            match j {
                Json::Array(v) => v.iter().map(item).collect(),
                _ => Err(TlError::BadJson { at }),
            }
        }

        /// An optional field: `null` is absent.
        pub fn opt<T>(
            j: &Json,
            item: impl FnOnce(&Json) -> Result<T, TlError>,
        ) -> Result<Option<T>, TlError> {
            match j {
                Json::Null => Ok(None),
                other => item(other).map(Some),
            }
        }
    }
}
