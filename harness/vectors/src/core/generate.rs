//! Generator support shared by every family: the deterministic byte stream ([`Drbg`]), the
//! error type ([`GenerateError`]) and the [`Builder`] that numbers a file's cases and collects the
//! notes of the flags they carry.
//!
//! Every random byte of a shipped suite comes from a [`Drbg`]: SHA-256 in counter mode over a seed
//! derived from a fixed label per suite, so the output never changes unless the code does. Output
//! is pretty JSON with a 2-space indent and a trailing newline; a test asserts that regenerating
//! gives the committed files byte for byte.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::fmt;

use mtproto::handshake::pq::is_prime_u64;
use sha2::{Digest, Sha256};

use super::file::{CaseGroup, File, Note, Source};

/// Why generation failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GenerateError {
    /// The file being generated.
    pub file: String,
    /// What went wrong.
    pub message: String,
}

impl GenerateError {
    /// An error about `file`.
    pub fn new(file: &str, message: impl fmt::Display) -> Self {
        Self {
            file: file.to_owned(),
            message: message.to_string(),
        }
    }
}

impl fmt::Display for GenerateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.file, self.message)
    }
}

impl std::error::Error for GenerateError {}

/// [`GenerateError::new`], short.
pub fn gen_err(file: &str, message: impl fmt::Display) -> GenerateError {
    GenerateError::new(file, message)
}

/// The `version` of every `self` source.
pub const SELF_VERSION: &str = "mtproto-vectors generator v1";

/// The source of values this project's reference computed.
pub fn self_source() -> Source {
    Source {
        name: "self".into(),
        version: SELF_VERSION.into(),
    }
}

/// One generated suite: its path under `vectors/` and the file.
pub type Suite<G> = (String, File<G>);

/// A flag a family's generator may put on a case: name, Wycheproof bug type, description, links.
pub type Flag = (
    &'static str,
    &'static str,
    &'static str,
    &'static [&'static str],
);

/// Assigns tcIds (from 1) and collects the notes of the flags a file's cases carry, from the
/// family's flag table.
#[derive(Debug)]
pub struct Builder {
    file: String,
    flags: &'static [Flag],
    next: u64,
    notes: BTreeMap<String, Note>,
    missing: Vec<String>,
}

impl Builder {
    /// A builder for `file` (relative to `vectors/`) whose flags come from `flags`.
    pub fn new(file: &str, flags: &'static [Flag]) -> Self {
        Self {
            file: file.to_owned(),
            flags,
            next: 1,
            notes: BTreeMap::new(),
            missing: Vec::new(),
        }
    }

    /// The file being built.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// An error about the file being built.
    pub fn err(&self, message: impl fmt::Display) -> GenerateError {
        GenerateError::new(&self.file, message)
    }

    /// The next tcId, and the flags (as strings) with their notes recorded. A flag missing from
    /// the table is an error.
    pub fn case(&mut self, flags: &[&str]) -> Result<(u64, Vec<String>), GenerateError> {
        if let Some(flag) = flags
            .iter()
            .find(|&&f| !self.flags.iter().any(|(name, ..)| *name == f))
        {
            return Err(self.err(format!("no note for flag {flag}")));
        }
        Ok(self.next(flags))
    }

    /// [`case`](Self::case) for builders that cannot stop at each case: a flag missing from the
    /// table is remembered, and [`finish_checked`](Self::finish_checked) reports it.
    pub fn next(&mut self, flags: &[&str]) -> (u64, Vec<String>) {
        for &flag in flags {
            let Some(&(_, bug_type, description, links)) =
                self.flags.iter().find(|(name, ..)| *name == flag)
            else {
                self.missing.push(flag.to_owned());
                continue;
            };
            self.notes.insert(
                flag.to_owned(),
                Note {
                    bug_type: bug_type.to_owned(),
                    description: description.to_owned(),
                    effect: None,
                    links: links.iter().map(|&l| l.to_owned()).collect(),
                    cves: Vec::new(),
                },
            );
        }
        let id = self.next;
        self.next = self.next.saturating_add(1);
        (id, flags.iter().map(|&f| f.to_owned()).collect())
    }

    /// [`finish`](Self::finish), or the first flag [`next`](Self::next) found no note for.
    pub fn finish_checked<G: CaseGroup>(
        self,
        algorithm: &str,
        schema: &str,
        header: &[&str],
        groups: Vec<G>,
    ) -> Result<(String, File<G>), GenerateError> {
        if let Some(flag) = self.missing.first() {
            return Err(self.err(format!("no note for flag {flag}")));
        }
        Ok(self.finish(algorithm, schema, header, groups))
    }

    /// The finished file (its `family` is filled in by the registry).
    pub fn finish<G: CaseGroup>(
        self,
        algorithm: &str,
        schema: &str,
        header: &[&str],
        groups: Vec<G>,
    ) -> (String, File<G>) {
        let total: usize = groups.iter().map(CaseGroup::len).sum();
        let vf = File {
            path: self.file.clone(),
            family: String::new(),
            algorithm: algorithm.to_owned(),
            schema: schema.to_owned(),
            number_of_tests: u64::try_from(total).unwrap_or(u64::MAX),
            header: header.iter().map(|&s| s.to_owned()).collect(),
            notes: self.notes,
            test_groups: groups,
        };
        (self.file, vf)
    }
}

/// Lowercase hex to bytes (empty on bad input: for constants written in the source).
pub fn h(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap_or_default()
}

/// A deterministic byte stream: block `i` is `SHA-256(seed ‖ i as u64 little-endian)`, where
/// `seed = SHA-256("mtproto-harness vectors v1" ‖ 0x00 ‖ label)`.
#[derive(Clone, Debug)]
pub struct Drbg {
    seed: [u8; 32],
    counter: u64,
    buf: [u8; 32],
    used: usize,
}

thread_local! {
    /// The salt [`salted`] sets for the streams made on this thread (`None`: the shipped suites).
    static SALT: Cell<Option<u64>> = const { Cell::new(None) };
}

/// Run `f` (a family's generator) with every [`Drbg`] it makes on this thread also seeded by
/// `salt`: the same cases (every kind of valid and invalid one, with the same tcIds, flags and
/// verdict rules) with other random fields. `mtproto-harness fuzz --iut` draws its cases so; the
/// shipped suites are made without a salt.
pub fn salted<T>(salt: u64, f: impl FnOnce() -> T) -> T {
    struct Restore(Option<u64>);
    impl Drop for Restore {
        fn drop(&mut self) {
            SALT.with(|s| s.set(self.0));
        }
    }
    let _restore = Restore(SALT.with(|s| s.replace(Some(salt))));
    f()
}

impl Drbg {
    /// A stream for `label` (salted inside [`salted`]).
    pub fn new(label: &str) -> Self {
        let mut hash = Sha256::new()
            .chain_update(b"mtproto-harness vectors v1\0")
            .chain_update(label.as_bytes());
        if let Some(salt) = SALT.with(Cell::get) {
            hash = hash
                .chain_update(b"\0salt")
                .chain_update(salt.to_le_bytes());
        }
        let seed: [u8; 32] = hash.finalize().into();
        Self {
            seed,
            counter: 0,
            buf: [0; 32],
            used: 32,
        }
    }

    /// Fill `out` with the next bytes.
    pub fn fill(&mut self, out: &mut [u8]) {
        for byte in out {
            if self.used >= self.buf.len() {
                self.buf = Sha256::new()
                    .chain_update(self.seed)
                    .chain_update(self.counter.to_le_bytes())
                    .finalize()
                    .into();
                self.counter = self.counter.wrapping_add(1);
                self.used = 0;
            }
            *byte = self.buf.get(self.used).copied().unwrap_or(0);
            self.used = self.used.saturating_add(1);
        }
    }

    /// The next `n` bytes.
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        let mut v = vec![0u8; n];
        self.fill(&mut v);
        v
    }

    /// The next `N` bytes as an array.
    pub fn array<const N: usize>(&mut self) -> [u8; N] {
        let mut a = [0u8; N];
        self.fill(&mut a);
        a
    }

    /// A number in `0..n` (`0` for `n = 0`); the modulo bias is irrelevant here.
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            return 0;
        }
        u64::from_le_bytes(self.array::<8>()) % n
    }

    /// A `usize` in `lo..=hi`.
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        let span = u64::try_from(hi.saturating_sub(lo)).unwrap_or(u64::MAX);
        lo.saturating_add(usize::try_from(self.below(span.saturating_add(1))).unwrap_or(0))
    }
}

/// `a ± small` on 256-byte big-endian numbers (wrapping).
#[allow(clippy::indexing_slicing)] // fixed 256-byte arrays
pub fn be_add(a: &[u8; 256], sub: bool, small: u8) -> [u8; 256] {
    let mut b = [0u8; 256];
    b[255] = small;
    be_addsub(a, &b, sub)
}

/// `a ± b` on 256-byte big-endian numbers (wrapping).
#[allow(clippy::indexing_slicing)] // fixed 256-byte arrays
pub fn be_addsub(a: &[u8; 256], b: &[u8; 256], sub: bool) -> [u8; 256] {
    let mut out = [0u8; 256];
    let mut carry: i16 = 0;
    for i in (0..256).rev() {
        let v = if sub {
            i16::from(a[i]) - i16::from(b[i]) - carry
        } else {
            i16::from(a[i]) + i16::from(b[i]) + carry
        };
        let (byte, c) = if sub {
            if v < 0 { (v + 256, 1) } else { (v, 0) }
        } else if v > 255 {
            (v - 256, 1)
        } else {
            (v, 0)
        };
        out[i] = u8::try_from(byte).unwrap_or(0);
        carry = c;
    }
    out
}

/// The first prime at or above `n`.
pub fn next_prime(mut n: u64) -> u64 {
    while !is_prime_u64(n) {
        n = n.wrapping_add(1);
    }
    n
}
