//! The parts of the vector file format v1 every family shares, as strict serde types: the file
//! ([`File`]), its notes and sources, hex bytes, directions, and the fields every case has.
//!
//! Every struct denies unknown fields, and every field is used by a runner or by the loader's
//! checks: a field a runner would not look at is an error, never silently ignored. Bytes are
//! lowercase hex ([`Hex`]); 64-bit ids are the hex of their 8 little-endian wire bytes.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use super::result::Verdict;

/// Bytes, written as a lowercase hex string. Uppercase digits and odd lengths are load errors.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Hex(pub Vec<u8>);

impl Hex {
    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The number of bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no bytes.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The lowercase hex text.
    pub fn to_hex(&self) -> String {
        hex::encode(&self.0)
    }
}

impl From<Vec<u8>> for Hex {
    fn from(v: Vec<u8>) -> Self {
        Self(v)
    }
}

impl From<&[u8]> for Hex {
    fn from(v: &[u8]) -> Self {
        Self(v.to_vec())
    }
}

impl fmt::Debug for Hex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hex({})", self.to_hex())
    }
}

impl Serialize for Hex {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

/// Decode strict lowercase hex, with a message that says what is wrong.
pub fn decode_lower_hex(s: &str) -> Result<Vec<u8>, String> {
    if let Some((i, c)) = s
        .char_indices()
        .find(|&(_, c)| !matches!(c, '0'..='9' | 'a'..='f'))
    {
        let why = if c.is_ascii_hexdigit() {
            "uppercase hex digit"
        } else {
            "not a hex digit"
        };
        return Err(format!("invalid hex: {c:?} at offset {i} is {why}"));
    }
    if !s.len().is_multiple_of(2) {
        return Err(format!("invalid hex: odd number of digits ({})", s.len()));
    }
    hex::decode(s).map_err(|e| format!("invalid hex: {e}"))
}

impl<'de> Deserialize<'de> for Hex {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Hex;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a lowercase hex string")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Hex, E> {
                decode_lower_hex(s).map(Hex).map_err(E::custom)
            }
        }
        d.deserialize_str(V)
    }
}

/// The sender direction of a group (spec §2.2): x = 0 or x = 8.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum DirectionName {
    /// Client to server, x = 0.
    ClientToServer,
    /// Server to client, x = 8.
    ServerToClient,
}

impl DirectionName {
    /// The name used in vectors and requests.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ClientToServer => "clientToServer",
            Self::ServerToClient => "serverToClient",
        }
    }

    /// The reference's direction.
    pub fn direction(self) -> mtproto::Direction {
        match self {
            Self::ClientToServer => mtproto::Direction::ClientToServer,
            Self::ServerToClient => mtproto::Direction::ServerToClient,
        }
    }
}

/// The receiving side of a decrypt group.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReceiverName {
    /// A client, receiving server-to-client packets (x = 8).
    Client,
    /// A server, receiving client-to-server packets (x = 0).
    Server,
}

impl ReceiverName {
    /// The name used in vectors and requests.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Client => "client",
            Self::Server => "server",
        }
    }

    /// The reference's receiver.
    pub fn receiver(self) -> mtproto::Receiver {
        match self {
            Self::Client => mtproto::Receiver::Client,
            Self::Server => mtproto::Receiver::Server,
        }
    }
}

/// Where a group's numbers come from. `self` marks values this project computed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// The origin: `self`, or an independent one (`openssl-igetest`, `grammers`, ...).
    pub name: String,
    /// Which version or revision of the origin.
    pub version: String,
}

/// What a flag means (Wycheproof's `notes` entries).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Note {
    /// Wycheproof's bug type ([`BUG_TYPES`]).
    pub bug_type: String,
    /// What the flagged cases test.
    pub description: String,
    /// What an implementation that gets these cases wrong exposes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effect: Option<String>,
    /// Spec clauses and write-ups.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<String>,
    /// Related CVEs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cves: Vec<String>,
}

/// Wycheproof's `bugType` vocabulary.
pub const BUG_TYPES: &[&str] = &[
    "AUTH_BYPASS",
    "BASIC",
    "BER_ENCODING",
    "CAN_OF_WORMS",
    "CONFIDENTIALITY",
    "DEFINED",
    "EDGE_CASE",
    "FUNCTIONALITY",
    "KNOWN_BUG",
    "LEGACY",
    "MALLEABILITY",
    "MISSING_PARAMETER",
    "MISSING_STEP",
    "MODIFIED_PARAMETER",
    "SIGNATURE_MALLEABILITY",
    "UNKNOWN",
    "WEAK_PARAMS",
    "WRONG_PRIMITIVE",
];

/// A case struct with the fields every case has (`tcId`, `comment`, `flags`, `result`, `error`)
/// around the family's own fields.
#[macro_export]
#[doc(hidden)]
macro_rules! case_struct {
    ($(#[$m:meta])* $name:ident { $($(#[$fm:meta])* $field:ident : $ty:ty),* $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Debug, PartialEq, ::serde::Serialize, ::serde::Deserialize)]
        #[serde(rename_all = "camelCase", deny_unknown_fields)]
        pub struct $name {
            /// The case id, unique in its file.
            pub tc_id: u64,
            /// What the case is about.
            pub comment: String,
            /// Flags, each a key of the file's `notes`.
            pub flags: Vec<String>,
            $($(#[$fm])* pub $field: $ty,)*
            /// `valid`, `invalid` or `acceptable`.
            pub result: $crate::core::result::Verdict,
            /// The error an invalid case expects (a name of the vocabulary).
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub error: Option<String>,
        }
    };
}

/// The fields every case has, whatever its group type.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CaseHeader<'a> {
    /// `tcId`.
    pub tc_id: u64,
    /// `comment`.
    pub comment: &'a str,
    /// `flags`.
    pub flags: &'a [String],
    /// `result`.
    pub result: Verdict,
    /// `error`.
    pub error: Option<&'a str>,
}

/// A vector file, generic over the group type: a family's generator builds `File<ItsGroup>`,
/// the registry's [`VectorFile`](crate::VectorFile) is `File<TestGroup>`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct File<G> {
    /// Where it was loaded from, `/`-separated, as given (relative paths stay relative).
    #[serde(skip)]
    pub path: String,
    /// Its family (`ige`, `tl`, `secret`, ...): the family of its schema's group type, from the
    /// registry, whatever directory the file lies in.
    #[serde(skip)]
    pub family: String,
    /// The algorithm tested (`AES-256-IGE`, ...).
    pub algorithm: String,
    /// The schema the file follows (a file name under `vectors/schemas/`).
    pub schema: String,
    /// The number of cases in the file.
    pub number_of_tests: u64,
    /// What the file tests.
    pub header: Vec<String>,
    /// Flag name ⇒ what it means.
    pub notes: BTreeMap<String, Note>,
    /// The groups.
    pub test_groups: Vec<G>,
}

impl<G: Serialize> File<G> {
    /// The bug types of `flags`, in flag order (a flag without a note, impossible after loading,
    /// gives `UNKNOWN`).
    pub fn bug_types(&self, flags: &[String]) -> Vec<String> {
        flags
            .iter()
            .map(|f| {
                self.notes
                    .get(f)
                    .map_or_else(|| "UNKNOWN".to_owned(), |n| n.bug_type.clone())
            })
            .collect()
    }

    /// Pretty JSON (2-space indent) with a trailing newline: the committed form of a file.
    pub fn to_json_pretty(&self) -> Result<String, serde_json::Error> {
        let mut s = serde_json::to_string_pretty(self)?;
        s.push('\n');
        Ok(s)
    }
}

impl<G> File<G> {
    /// The same file with every group turned into another type (a family's group into the
    /// registry's `TestGroup`).
    pub fn map_groups<H>(self, f: impl FnMut(G) -> H) -> File<H> {
        File {
            path: self.path,
            family: self.family,
            algorithm: self.algorithm,
            schema: self.schema,
            number_of_tests: self.number_of_tests,
            header: self.header,
            notes: self.notes,
            test_groups: self.test_groups.into_iter().map(f).collect(),
        }
    }
}

/// What the loader and the runner ask of any family's test group.
pub trait CaseGroup {
    /// The group's `type`.
    fn type_name(&self) -> &'static str;
    /// Where the group's numbers come from.
    fn source(&self) -> &Source;
    /// The common fields of every case, in order.
    fn headers(&self) -> Vec<CaseHeader<'_>>;
    /// The number of cases.
    fn len(&self) -> usize {
        self.headers().len()
    }
    /// Whether the group has no cases.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The header of a case struct made by [`case_struct!`] (or any struct with the same fields).
#[macro_export]
#[doc(hidden)]
macro_rules! header_of {
    ($t:expr) => {
        $crate::core::file::CaseHeader {
            tc_id: $t.tc_id,
            comment: &$t.comment,
            flags: &$t.flags,
            result: $t.result,
            error: $t.error.as_deref(),
        }
    };
}
