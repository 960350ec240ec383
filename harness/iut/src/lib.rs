//! Implementations under test: one op-based interface for the built-in reference and for
//! external implementations behind an adapter.
//!
//! An IUT says who it is and which operations it has ([`Iut::hello`]), then answers requests
//! ([`Iut::call`]). A request is a JSON object whose fields carry the vector's own names, an answer
//! is one of [`Answer`]. This is exactly the shape of the JSON-lines adapter protocol
//! (`docs/adapter-protocol.md`), so the subprocess adapter client is one more implementation of
//! [`Iut`], and `mtproto-harness adapter` serves [`ReferenceIut`] over the wire unchanged.
//!
//! # Encoding
//!
//! - bytes are lowercase hex strings (uppercase is accepted on input);
//! - 64-bit ids (`salt`, `sessionId`, `msgId`) are the hex of their 8 **little-endian wire bytes**;
//! - `seqNo` is a JSON integer (a signed 32-bit value);
//! - `direction` is `"clientToServer"` (x = 0) or `"serverToClient"` (x = 8), `receiver` is
//!   `"client"` (receives server-to-client packets) or `"server"`.
//!
//! # Op catalogue (version 1)
//!
//! | op | request | answer (`ok`) | rejects with |
//! |---|---|---|---|
//! | `ige.encrypt` | `key` (16 B = AES-128, 32 B = AES-256), `iv` (32 B, y0 ‖ x0), `msg` | `ct` | `NotBlockAligned` |
//! | `ige.decrypt` | `key`, `iv`, `ct` | `msg` | `NotBlockAligned` |
//! | `kdf.msgKey` | `direction`, `authKey` (256 B), `plaintext` (the whole padded plaintext) | `msgKey` (16 B) | `KeyWrongLength` |
//! | `kdf.aesKeyIv` | `direction`, `authKey`, `msgKey` | `aesKey`, `aesIv` (32 B each) | `KeyWrongLength` |
//! | `envelope.encrypt` | `direction`, `authKey`, `salt`, `sessionId`, `msgId`, `seqNo`, `body`, `padding` | `packet` | `LengthNotAligned`, `PaddingTooShort`, `PaddingTooLong`, `NotBlockAligned` |
//! | `envelope.decrypt` | `receiver`, `authKey`, `sessionId` (the receiver's session), `packet` | `salt`, `sessionId`, `msgId`, `seqNo`, `body` | the envelope errors (spec §3.1), first failing check first |
//! | `session.open` / `session.feed` / `session.close` | see [`session`] | a `handle`; a step's `verdict` | — (the verdict is the output) |
//! | `transport.decode` / `transport.encode` | see [`transport`] | `frames` / `stream` | the transport errors (`CrcMismatch`, `SeqnoMismatch`, `FrameTooShort`, ...) |
//! | `tl.id` / `tl.decode` / `tl.encode` | see [`tl`] | `constructorId` / `value` / `bytes` | the TL errors (`UnknownConstructor`, `BadBool`, `NonCanonicalLength`, ...) |
//! | `rsa.fingerprint` / `rsa.padEncrypt` / `rsa.padDecrypt` | see [`rsa`] | `fingerprint` / `encryptedData`, `tempKeyIndex` / `dataWithPadding`, `data` | `RsaDataTooLong`; `RsaCiphertextWrongSize`, `RsaCiphertextOutOfRange`, `RsaPadHashMismatch`, `UnexpectedConstructor` |
//! | `secret.*` / `call.*` | see [`secret`] | key exchange, visualisation, messages, seq_no and re-keying traces, call emoji and commitment | the secret-chat and call errors (`UnknownKeyFingerprint`, `SeqNoParity`, `GaHashMismatch`, ...) |
//!
//! A rejection names an error of the shared vocabulary (`docs/error-vocabulary.md`). An adapter
//! that cannot name reasons answers [`GENERIC_REJECTION`]; the runner treats that as a rejection
//! with a different error. A request the IUT cannot even read (a missing field, bad hex, an `iv` that is not 32
//! bytes) is [`Answer::Error`] with a message naming the field; the reference never panics on any
//! request.
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod subprocess;
pub use subprocess::{StartError, SubprocessIut};

use aes::{Aes128, Aes256Dec, Aes256Enc};
use cipher::KeyInit;
use mtproto::crypto::ige::{IgeDecryptor, IgeEncryptor};
use mtproto::crypto::kdf;
use mtproto::envelope::{self, Message};
use mtproto::{AuthKey, Direction, ProtocolError, Receiver};
use serde_json::{Map, Value};

pub mod handshake;
pub mod rsa;
pub mod secret;
pub mod session;
pub mod tl;
pub mod transport;

/// The fields of a request or of an `ok` answer.
pub type Fields = Map<String, Value>;

/// The error name an adapter answers when it rejects an input but cannot say why.
pub const GENERIC_REJECTION: &str = "Rejected";

/// The operation names of version 1 of the protocol.
pub mod op {
    /// AES-IGE encryption.
    pub const IGE_ENCRYPT: &str = "ige.encrypt";
    /// AES-IGE decryption.
    pub const IGE_DECRYPT: &str = "ige.decrypt";
    /// `msg_key` of a padded plaintext.
    pub const KDF_MSG_KEY: &str = "kdf.msgKey";
    /// `aes_key` and `aes_iv` of a `msg_key`.
    pub const KDF_AES_KEY_IV: &str = "kdf.aesKeyIv";
    /// Build and encrypt a message.
    pub const ENVELOPE_ENCRYPT: &str = "envelope.encrypt";
    /// Decrypt and check a packet as a receiver.
    pub const ENVELOPE_DECRYPT: &str = "envelope.decrypt";
    /// Open a session receiver (a msg_id trace); answers a `handle`.
    pub const SESSION_OPEN: &str = "session.open";
    /// Run one trace step through an open session receiver.
    pub const SESSION_FEED: &str = "session.feed";
    /// Forget an open session receiver.
    pub const SESSION_CLOSE: &str = "session.close";
    /// Decode a transport stream into frames (see [`crate::transport`]).
    pub const TRANSPORT_DECODE: &str = "transport.decode";
    /// Encode frames into a transport stream.
    pub const TRANSPORT_ENCODE: &str = "transport.encode";
    /// The constructor id of a TL combinator line (see [`crate::tl`]).
    pub const TL_ID: &str = "tl.id";
    /// Decode TL bytes into the JSON form.
    pub const TL_DECODE: &str = "tl.decode";
    /// Encode the JSON form into TL bytes.
    pub const TL_ENCODE: &str = "tl.encode";
    /// Every op above, in catalogue order.
    pub const ALL: &[&str] = &[
        IGE_ENCRYPT,
        IGE_DECRYPT,
        KDF_MSG_KEY,
        KDF_AES_KEY_IV,
        ENVELOPE_ENCRYPT,
        ENVELOPE_DECRYPT,
        SESSION_OPEN,
        SESSION_FEED,
        SESSION_CLOSE,
        TRANSPORT_DECODE,
        TRANSPORT_ENCODE,
        TL_ID,
        TL_DECODE,
        TL_ENCODE,
    ];
}

/// Who an IUT is and what it can do: the answer to the `hello` request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hello {
    /// The implementation's name.
    pub name: String,
    /// Its version.
    pub version: String,
    /// The ops it implements.
    pub ops: Vec<String>,
}

impl Hello {
    /// Whether `op` is among [`Hello::ops`].
    pub fn supports(&self, op: &str) -> bool {
        self.ops.iter().any(|o| o == op)
    }
}

/// An IUT's answer to one request.
#[derive(Clone, Debug, PartialEq)]
pub enum Answer {
    /// Accepted; the outputs, named like the vector fields.
    Ok(Fields),
    /// The input was rejected, with an error name from the shared vocabulary (or
    /// [`GENERIC_REJECTION`]).
    Rejected {
        /// The error name.
        error: String,
    },
    /// The IUT lacks this operation.
    Unsupported,
    /// The IUT crashed, hung, answered garbage, or could not read the request. The message says
    /// which.
    Error(String),
}

impl Answer {
    /// A rejection with `error`'s vocabulary name.
    pub fn rejected(error: &dyn ProtocolError) -> Self {
        Self::Rejected {
            error: error.name().to_owned(),
        }
    }
}

/// An implementation under test.
pub trait Iut {
    /// Its name, version and ops.
    fn hello(&self) -> &Hello;
    /// Run `op` on `request`. Never panics; an unknown op is [`Answer::Unsupported`].
    fn call(&mut self, op: &str, request: &Fields) -> Answer;
}

/// Reading request fields and writing answer fields, with errors that name the field.
pub mod fields {
    use super::{Fields, Value};

    /// A field's value, or an error naming the missing field.
    pub fn get<'a>(request: &'a Fields, name: &str) -> Result<&'a Value, String> {
        request
            .get(name)
            .ok_or_else(|| format!("field `{name}`: missing"))
    }

    /// A string field.
    pub fn string<'a>(request: &'a Fields, name: &str) -> Result<&'a str, String> {
        get(request, name)?
            .as_str()
            .ok_or_else(|| format!("field `{name}`: expected a string"))
    }

    /// A hex field of any length.
    pub fn hex(request: &Fields, name: &str) -> Result<Vec<u8>, String> {
        let s = string(request, name)?;
        hex::decode(s).map_err(|e| format!("field `{name}`: invalid hex: {e}"))
    }

    /// A hex field of exactly `N` bytes.
    pub fn hex_array<const N: usize>(request: &Fields, name: &str) -> Result<[u8; N], String> {
        let bytes = hex(request, name)?;
        <[u8; N]>::try_from(bytes.as_slice())
            .map_err(|_| format!("field `{name}`: expected {N} bytes, got {}", bytes.len()))
    }

    /// A 64-bit id written as the hex of its 8 little-endian wire bytes.
    pub fn long(request: &Fields, name: &str) -> Result<i64, String> {
        hex_array::<8>(request, name).map(i64::from_le_bytes)
    }

    /// A signed 32-bit integer field.
    pub fn int(request: &Fields, name: &str) -> Result<i32, String> {
        get(request, name)?
            .as_i64()
            .and_then(|v| i32::try_from(v).ok())
            .ok_or_else(|| format!("field `{name}`: expected a 32-bit integer"))
    }

    /// Set a hex field.
    pub fn put_hex(answer: &mut Fields, name: &str, bytes: &[u8]) {
        answer.insert(name.to_owned(), Value::String(hex::encode(bytes)));
    }

    /// Set a 64-bit id field (8 little-endian bytes as hex).
    pub fn put_long(answer: &mut Fields, name: &str, value: i64) {
        put_hex(answer, name, &value.to_le_bytes());
    }
}

/// Parse a `direction` field.
pub fn parse_direction(request: &Fields) -> Result<Direction, String> {
    match fields::string(request, "direction")? {
        "clientToServer" => Ok(Direction::ClientToServer),
        "serverToClient" => Ok(Direction::ServerToClient),
        other => Err(format!(
            "field `direction`: expected \"clientToServer\" or \"serverToClient\", got {other:?}"
        )),
    }
}

/// Parse a `receiver` field.
pub fn parse_receiver(request: &Fields) -> Result<Receiver, String> {
    match fields::string(request, "receiver")? {
        "client" => Ok(Receiver::Client),
        "server" => Ok(Receiver::Server),
        other => Err(format!(
            "field `receiver`: expected \"client\" or \"server\", got {other:?}"
        )),
    }
}

/// The built-in reference (the `mtproto` crate) as an IUT. Strict, in-process, never panics.
#[derive(Clone, Debug)]
pub struct ReferenceIut {
    hello: Hello,
    sessions: session::Sessions,
}

impl Default for ReferenceIut {
    fn default() -> Self {
        Self::new()
    }
}

impl ReferenceIut {
    /// The reference, implementing every op of the catalogue.
    pub fn new() -> Self {
        Self {
            hello: Hello {
                name: "mtproto-reference".to_owned(),
                version: env!("CARGO_PKG_VERSION").to_owned(),
                ops: op::ALL
                    .iter()
                    .chain(handshake::OPS)
                    .chain(rsa::OPS)
                    .chain(secret::OPS)
                    .map(|&o| o.to_owned())
                    .collect(),
            },
            sessions: session::Sessions::default(),
        }
    }
}

impl Iut for ReferenceIut {
    fn hello(&self) -> &Hello {
        &self.hello
    }

    fn call(&mut self, op: &str, request: &Fields) -> Answer {
        let result = match op {
            op::IGE_ENCRYPT => ige(request, true),
            op::IGE_DECRYPT => ige(request, false),
            op::KDF_MSG_KEY => kdf_msg_key(request),
            op::KDF_AES_KEY_IV => kdf_aes_key_iv(request),
            op::ENVELOPE_ENCRYPT => envelope_encrypt(request),
            op::ENVELOPE_DECRYPT => envelope_decrypt(request),
            op::SESSION_OPEN => self.sessions.open(request),
            op::SESSION_FEED => self.sessions.feed(request),
            op::SESSION_CLOSE => self.sessions.close(request),
            op::TRANSPORT_DECODE => transport::decode(request),
            op::TRANSPORT_ENCODE => transport::encode(request),
            op::TL_ID => tl::id(request),
            op::TL_DECODE => tl::decode(request),
            op::TL_ENCODE => tl::encode(request),
            _ if handshake::OPS.contains(&op) => {
                handshake::call(op, request).unwrap_or(Ok(Answer::Unsupported))
            }
            _ if rsa::OPS.contains(&op) => {
                rsa::call(op, request).unwrap_or(Ok(Answer::Unsupported))
            }
            _ if secret::OPS.contains(&op) => {
                secret::call(op, request).unwrap_or(Ok(Answer::Unsupported))
            }
            _ => return Answer::Unsupported,
        };
        result.unwrap_or_else(Answer::Error)
    }
}

/// The request could not be read: `Err(message)`. Otherwise the answer.
type OpResult = Result<Answer, String>;

fn ige(request: &Fields, encrypt: bool) -> OpResult {
    let key = fields::hex(request, "key")?;
    let iv = fields::hex_array::<32>(request, "iv")?;
    let (input, output) = if encrypt {
        ("msg", "ct")
    } else {
        ("ct", "msg")
    };
    let mut data = fields::hex(request, input)?;
    let done = match (key.len(), encrypt) {
        (16, _) => {
            let mut k = [0u8; 16];
            k.copy_from_slice(&key);
            let cipher = Aes128::new(&k.into());
            if encrypt {
                IgeEncryptor::new(cipher, &iv).encrypt(&mut data)
            } else {
                IgeDecryptor::new(cipher, &iv).decrypt(&mut data)
            }
        }
        (32, true) => {
            let mut k = [0u8; 32];
            k.copy_from_slice(&key);
            IgeEncryptor::new(Aes256Enc::new(&k.into()), &iv).encrypt(&mut data)
        }
        (32, false) => {
            let mut k = [0u8; 32];
            k.copy_from_slice(&key);
            IgeDecryptor::new(Aes256Dec::new(&k.into()), &iv).decrypt(&mut data)
        }
        (n, _) => return Err(format!("field `key`: expected 16 or 32 bytes, got {n}")),
    };
    Ok(match done {
        Ok(()) => {
            let mut answer = Fields::new();
            fields::put_hex(&mut answer, output, &data);
            Answer::Ok(answer)
        }
        Err(e) => Answer::rejected(&e),
    })
}

/// The `authKey` field; a key that is not 256 bytes is rejected like the reference rejects it.
fn auth_key(request: &Fields) -> Result<Result<AuthKey, Answer>, String> {
    let bytes = fields::hex(request, "authKey")?;
    Ok(AuthKey::from_slice(&bytes).map_err(|e| Answer::rejected(&e)))
}

fn kdf_msg_key(request: &Fields) -> OpResult {
    let direction = parse_direction(request)?;
    let key = match auth_key(request)? {
        Ok(k) => k,
        Err(answer) => return Ok(answer),
    };
    let plaintext = fields::hex(request, "plaintext")?;
    let mut answer = Fields::new();
    fields::put_hex(
        &mut answer,
        "msgKey",
        &kdf::msg_key(&key, direction, &plaintext),
    );
    Ok(Answer::Ok(answer))
}

fn kdf_aes_key_iv(request: &Fields) -> OpResult {
    let direction = parse_direction(request)?;
    let key = match auth_key(request)? {
        Ok(k) => k,
        Err(answer) => return Ok(answer),
    };
    let msg_key = fields::hex_array::<16>(request, "msgKey")?;
    let keys = kdf::derive(&key, direction, &msg_key);
    let mut answer = Fields::new();
    fields::put_hex(&mut answer, "aesKey", &keys.aes_key);
    fields::put_hex(&mut answer, "aesIv", &keys.aes_iv);
    Ok(Answer::Ok(answer))
}

fn envelope_encrypt(request: &Fields) -> OpResult {
    let direction = parse_direction(request)?;
    let key = match auth_key(request)? {
        Ok(k) => k,
        Err(answer) => return Ok(answer),
    };
    let body = fields::hex(request, "body")?;
    let padding = fields::hex(request, "padding")?;
    let message = Message {
        salt: fields::long(request, "salt")?,
        session_id: fields::long(request, "sessionId")?,
        msg_id: fields::long(request, "msgId")?,
        seq_no: fields::int(request, "seqNo")?,
        body: &body,
    };
    Ok(
        match envelope::encrypt(&key, direction, &message, &padding) {
            Ok(packet) => {
                let mut answer = Fields::new();
                fields::put_hex(&mut answer, "packet", &packet);
                Answer::Ok(answer)
            }
            Err(e) => Answer::rejected(&e),
        },
    )
}

fn envelope_decrypt(request: &Fields) -> OpResult {
    let receiver = parse_receiver(request)?;
    let key = match auth_key(request)? {
        Ok(k) => k,
        Err(answer) => return Ok(answer),
    };
    let session_id = fields::long(request, "sessionId")?;
    let packet = fields::hex(request, "packet")?;
    Ok(
        match envelope::decrypt(&key, receiver, session_id, &packet) {
            Ok(message) => {
                let mut answer = Fields::new();
                fields::put_long(&mut answer, "salt", message.salt);
                fields::put_long(&mut answer, "sessionId", message.session_id);
                fields::put_long(&mut answer, "msgId", message.msg_id);
                answer.insert("seqNo".to_owned(), Value::from(message.seq_no));
                fields::put_hex(&mut answer, "body", message.body());
                Answer::Ok(answer)
            }
            Err(e) => Answer::rejected(&e),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn req(v: Value) -> Fields {
        match v {
            Value::Object(m) => m,
            _ => Fields::new(),
        }
    }

    fn seq(n: usize, start: u8) -> String {
        hex::encode(
            (0..n)
                .map(|i| start.wrapping_add(i as u8))
                .collect::<Vec<_>>(),
        )
    }

    #[test]
    fn hello_lists_every_op() {
        let iut = ReferenceIut::new();
        for op in op::ALL {
            assert!(iut.hello().supports(op));
        }
        assert!(!iut.hello().supports("dh.params"));
    }

    #[test]
    fn unknown_op_is_unsupported() {
        assert_eq!(
            ReferenceIut::new().call("dh.params", &Fields::new()),
            Answer::Unsupported
        );
    }

    #[test]
    fn ige_known_answers_both_key_sizes() {
        let mut iut = ReferenceIut::new();
        // OpenSSL igetest vector 0 (spec §1.2), AES-128.
        let a = iut.call(
            op::IGE_ENCRYPT,
            &req(json!({"key": seq(16, 0), "iv": seq(32, 0), "msg": "00".repeat(32)})),
        );
        let mut want = Fields::new();
        want.insert(
            "ct".into(),
            json!("1a8519a6557be652e9da8e43da4ef4453cf456b4ca488aa383c79c98b34797cb"),
        );
        assert_eq!(a, Answer::Ok(want));
        // grammers (spec §1.3), AES-256 decrypt.
        let a = iut.call(
            op::IGE_DECRYPT,
            &req(json!({"key": seq(32, 0), "iv": seq(32, 0), "ct": seq(32, 0)})),
        );
        let mut want = Fields::new();
        want.insert(
            "msg".into(),
            json!("e5777afacd7b2c16f7ac40cae61ef603fee6098fb8a8860ab9ee672cd7e5bacc"),
        );
        assert_eq!(a, Answer::Ok(want));
    }

    #[test]
    fn ige_rejects_unaligned() {
        let a = ReferenceIut::new().call(
            op::IGE_ENCRYPT,
            &req(json!({"key": seq(32, 0), "iv": seq(32, 0), "msg": "00"})),
        );
        assert_eq!(
            a,
            Answer::Rejected {
                error: "NotBlockAligned".into()
            }
        );
    }

    #[test]
    fn malformed_requests_name_the_field() {
        let mut iut = ReferenceIut::new();
        let cases = [
            (
                op::IGE_ENCRYPT,
                json!({"key": seq(32, 0), "msg": ""}),
                "`iv`: missing",
            ),
            (
                op::IGE_ENCRYPT,
                json!({"key": seq(32, 0), "iv": seq(31, 0), "msg": ""}),
                "`iv`: expected 32 bytes, got 31",
            ),
            (
                op::IGE_ENCRYPT,
                json!({"key": seq(20, 0), "iv": seq(32, 0), "msg": ""}),
                "`key`: expected 16 or 32 bytes",
            ),
            (
                op::IGE_DECRYPT,
                json!({"key": seq(16, 0), "iv": seq(32, 0), "ct": "zz"}),
                "`ct`: invalid hex",
            ),
            (
                op::KDF_MSG_KEY,
                json!({"direction": "up", "authKey": seq(256, 0), "plaintext": ""}),
                "`direction`",
            ),
            (
                op::ENVELOPE_ENCRYPT,
                json!({"direction": "clientToServer", "authKey": seq(256, 0), "salt": seq(8, 0),
                       "sessionId": seq(8, 0), "msgId": seq(8, 0), "seqNo": "1", "body": "",
                       "padding": seq(16, 0)}),
                "`seqNo`",
            ),
            (
                op::ENVELOPE_DECRYPT,
                json!({"receiver": "client", "authKey": seq(256, 0), "packet": ""}),
                "`sessionId`: missing",
            ),
        ];
        for (op, r, want) in cases {
            match iut.call(op, &req(r)) {
                Answer::Error(msg) => assert!(msg.contains(want), "{msg} lacks {want}"),
                other => panic!("{op}: {other:?}"),
            }
        }
    }

    #[test]
    fn no_request_makes_the_reference_panic() {
        let good = [
            (
                op::IGE_ENCRYPT,
                json!({"key": seq(32, 0), "iv": seq(32, 0), "msg": seq(16, 0)}),
            ),
            (
                op::IGE_DECRYPT,
                json!({"key": seq(16, 0), "iv": seq(32, 0), "ct": seq(16, 0)}),
            ),
            (
                op::KDF_MSG_KEY,
                json!({"direction": "clientToServer", "authKey": seq(256, 0), "plaintext": seq(48, 0)}),
            ),
            (
                op::KDF_AES_KEY_IV,
                json!({"direction": "serverToClient", "authKey": seq(256, 0), "msgKey": seq(16, 0)}),
            ),
            (
                op::ENVELOPE_ENCRYPT,
                json!({"direction": "clientToServer", "authKey": seq(256, 0),
                "salt": seq(8, 0), "sessionId": seq(8, 0), "msgId": seq(8, 0), "seqNo": 1,
                "body": seq(4, 0), "padding": seq(12, 0)}),
            ),
            (
                op::ENVELOPE_DECRYPT,
                json!({"receiver": "server", "authKey": seq(256, 0),
                "sessionId": seq(8, 0), "packet": seq(72, 0)}),
            ),
        ];
        let bad = [
            json!(null),
            json!(1),
            json!(-1),
            json!(1e300),
            json!(i64::MAX),
            json!(""),
            json!("0"),
            json!("zz"),
            json!("clientToServer"),
            json!(seq(1, 0)),
            json!(seq(300, 0)),
            json!([]),
            json!({}),
        ];
        let mut iut = ReferenceIut::new();
        for (op, request) in good {
            let request = req(request);
            assert!(matches!(
                iut.call(op, &request),
                Answer::Ok(_) | Answer::Rejected { .. }
            ));
            for name in request.keys() {
                let mut missing = request.clone();
                missing.remove(name);
                assert!(
                    matches!(iut.call(op, &missing), Answer::Error(m) if m.contains(name.as_str()))
                );
                for value in &bad {
                    let mut changed = request.clone();
                    changed.insert(name.clone(), value.clone());
                    let _ = iut.call(op, &changed);
                }
            }
        }
    }

    #[test]
    fn short_auth_key_is_rejected() {
        let a = ReferenceIut::new().call(
            op::KDF_AES_KEY_IV,
            &req(
                json!({"direction": "serverToClient", "authKey": seq(255, 0), "msgKey": seq(16, 0)}),
            ),
        );
        assert_eq!(
            a,
            Answer::Rejected {
                error: "KeyWrongLength".into()
            }
        );
    }

    #[test]
    fn kdf_known_answer() {
        // spec §11.2, x = 8.
        let a = ReferenceIut::new().call(
            op::KDF_AES_KEY_IV,
            &req(
                json!({"direction": "serverToClient", "authKey": seq(256, 0), "msgKey": seq(16, 0)}),
            ),
        );
        let Answer::Ok(f) = a else { panic!("{a:?}") };
        assert_eq!(
            f["aesKey"],
            json!("217725799b245806458174a1fcfbc883906807b15033fdd0ea2b4d69cf9c364e")
        );
    }

    #[test]
    fn envelope_round_trip_and_rejection() {
        let mut iut = ReferenceIut::new();
        let enc = iut.call(
            op::ENVELOPE_ENCRYPT,
            &req(
                json!({"direction": "serverToClient", "authKey": seq(256, 0),
                        "salt": seq(8, 1), "sessionId": seq(8, 2), "msgId": seq(8, 3),
                        "seqNo": 7, "body": seq(4, 9), "padding": seq(12, 0)}),
            ),
        );
        let Answer::Ok(f) = enc else {
            panic!("{enc:?}")
        };
        let packet = f["packet"].clone();
        let dec = iut.call(
            op::ENVELOPE_DECRYPT,
            &req(json!({"receiver": "client", "authKey": seq(256, 0),
                        "sessionId": seq(8, 2), "packet": packet.clone()})),
        );
        let Answer::Ok(f) = dec else {
            panic!("{dec:?}")
        };
        assert_eq!(f["seqNo"], json!(7));
        assert_eq!(f["body"], json!(seq(4, 9)));
        assert_eq!(f["msgId"], json!(seq(8, 3)));
        let wrong = iut.call(
            op::ENVELOPE_DECRYPT,
            &req(json!({"receiver": "server", "authKey": seq(256, 0),
                        "sessionId": seq(8, 2), "packet": packet})),
        );
        assert_eq!(
            wrong,
            Answer::Rejected {
                error: "MsgKeyMismatch".into()
            }
        );
    }
}
