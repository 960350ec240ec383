//! The `pq` family, `PqTest` (spec §4 step 3): `pq.factorize` {pq} must give p and q (p <= q,
//! big-endian, no leading zeros), or reject with `PqNotFactorable`.
//!
//! What the spec decides and what it leaves open ([auth]): pq is "the product of two different
//! odd prime numbers", which the client "decomposes into prime factors such that p < q". A pq
//! that is not a product of exactly two primes (a prime, 0, 1, three or more prime factors) has
//! no answer: `invalid`. A product of two primes one of which is 2^32 or more is factorable, and
//! the spec says nothing about a client meeting one; only the server's rule that `p` and `q` are
//! 4-byte strings makes it unusable. Such a case is `acceptable` (flag `PqFactorAbove32Bits`)
//! and still gives p and q, so an implementation that accepts it must answer the right ones.
//!
//! [auth]: https://core.telegram.org/mtproto/auth_key

use mtproto::ProtocolError;
use mtproto::handshake::pq::{factorize_be, minimal_be, split_two_primes};
use mtproto_iut::handshake::PQ_FACTORIZE;
use mtproto_iut::{Fields, Iut};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::core::family::{Family, GroupType};
use crate::core::file::{CaseGroup, CaseHeader, Hex, Source};
use crate::core::generate::{Builder, Drbg, Flag, GenerateError, Suite, next_prime, self_source};
use crate::core::judge::{Ran, RunOptions, Want, judge_request, merged};
use crate::core::load::{LoadError, Part, err};
use crate::core::result::Verdict;

/// The `pq` family.
#[derive(Clone, Copy, Debug)]
pub struct Pq;

/// A `PqTest` case.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PqCase {
    /// The case id.
    pub tc_id: u64,
    /// What the case is about.
    pub comment: String,
    /// Flags.
    pub flags: Vec<String>,
    /// `pq`, big-endian as on the wire.
    pub pq: Hex,
    /// `p` (valid and acceptable cases), big-endian without leading zeros, `p <= q`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p: Option<Hex>,
    /// `q` (valid and acceptable cases).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q: Option<Hex>,
    /// Expected verdict.
    pub result: Verdict,
    /// Expected error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

macro_rules! group_struct {
    ($(#[$m:meta])* $name:ident, $case:ty { $($(#[$fm:meta])* $field:ident : $ty:ty),* $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
        #[serde(rename_all = "camelCase", deny_unknown_fields)]
        pub struct $name {
            /// The group type.
            #[serde(rename = "type")]
            pub group_type: String,
            $($(#[$fm])* pub $field: $ty,)*
            /// Where the numbers come from.
            pub source: Source,
            /// The cases.
            pub tests: Vec<$case>,
        }
    };
}

group_struct!(
    /// A group of `PqTest` cases.
    PqGroup, PqCase {}
);

impl CaseGroup for PqGroup {
    fn type_name(&self) -> &'static str {
        "PqTest"
    }
    fn source(&self) -> &Source {
        &self.source
    }
    fn headers(&self) -> Vec<CaseHeader<'_>> {
        self.tests.iter().map(|t| crate::header_of!(t)).collect()
    }
}

impl Family for Pq {
    type Group = PqGroup;

    const GROUP_TYPES: &'static [GroupType] = &[GroupType {
        name: "PqTest",
        family: "pq",
        schema: "pq_test_schema_v1.json",
        errors: None,
    }];

    fn parse(part: &Part<'_>, _group_type: &str) -> Result<PqGroup, LoadError> {
        part.parse()
    }

    /// A valid or acceptable case gives p and q (so an accepting answer is checked), an invalid
    /// one neither.
    fn check(file: &str, g: usize, group: &PqGroup) -> Result<(), LoadError> {
        let at = |t: usize| format!("testGroups[{g}].tests[{t}]");
        for (t, c) in group.tests.iter().enumerate() {
            let answers = matches!(c.result, Verdict::Valid | Verdict::Acceptable);
            if answers != (c.p.is_some() && c.q.is_some()) || (c.p.is_some() != c.q.is_some()) {
                return Err(err(
                    file,
                    at(t),
                    "a valid or acceptable case gives p and q, an invalid one neither",
                ));
            }
        }
        Ok(())
    }

    /// An accepting answer is compared with the case's p and q, for acceptable cases too: an
    /// implementation that accepts a spec-open pq with wrong factors fails.
    fn run(g: &PqGroup, index: usize, iut: &mut dyn Iut, opts: &RunOptions) -> Option<Ran> {
        let c = g.tests.get(index)?;
        let mut req = Fields::new();
        req.insert("pq".into(), Value::String(c.pq.to_hex()));
        let mut wants = Vec::new();
        if let (Some(p), Some(q)) = (&c.p, &c.q) {
            wants.push(("p", Want::Hex(p.as_bytes())));
            wants.push(("q", Want::Hex(q.as_bytes())));
        }
        let judged = judge_request(
            iut.call(PQ_FACTORIZE, &req),
            PQ_FACTORIZE,
            &wants,
            (c.result, c.error.as_deref()),
            opts,
        );
        Some(Ran {
            judged,
            vector: merged(c, &g.group_type, &g.source, &[]),
        })
    }

    fn generate() -> Result<Vec<Suite<PqGroup>>, GenerateError> {
        Ok(vec![pq()?])
    }
}

// ---------------------------------------------------------------------------------------------
// Generator

fn source(name: &str, version: &str) -> Source {
    Source {
        name: name.into(),
        version: version.into(),
    }
}

/// The flags this family's cases carry.
const FLAGS: &[Flag] = &[
    (
        "Ktv",
        "BASIC",
        "A value from an independent origin (the official sample, an RFC, OpenSSL); see the \
         group's source.",
        &[],
    ),
    (
        "Pseudorandom",
        "FUNCTIONALITY",
        "Inputs from the generator's deterministic DRBG; outputs computed by this project's \
         reference (a regression pin, not independent evidence).",
        &[],
    ),
    (
        "PqShape",
        "EDGE_CASE",
        "An unusual but factorable pq: even, a square, >= 2^63, or tiny.",
        &["https://core.telegram.org/mtproto/auth_key"],
    ),
    (
        "PqNotFactorable",
        "MODIFIED_PARAMETER",
        "pq is not the product of exactly two primes (a prime, 0, 1, empty, three or more prime \
         factors): the auth_key page defines pq as \"the product of two different odd prime \
         numbers\", so there is no p, q to answer.",
        &["https://core.telegram.org/mtproto/auth_key"],
    ),
    (
        PQ_FACTOR_ABOVE_32_BITS,
        "EDGE_CASE",
        "pq is the product of two primes one of which is 2^32 or more: mathematically factorable, \
         and the case gives p and q. The auth_key page is silent on a client meeting such a pq; \
         only the server's rule that p and q are 4-byte strings in req_DH_params makes it \
         unusable. So the verdict is open: rejecting (PqNotFactorable) passes, and accepting \
         passes only with exactly these p and q (and fails under --acceptable fail).",
        &["https://core.telegram.org/mtproto/auth_key"],
    ),
];

/// The flag of a spec-open pq: two primes, one of them 2^32 or more.
pub const PQ_FACTOR_ABOVE_32_BITS: &str = "PqFactorAbove32Bits";

/// What a `PqTest` case expects for a `pq`, decided in one place for the generator and
/// `fuzz-to-vector`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expected {
    /// `p` (valid and acceptable).
    pub p: Option<Hex>,
    /// `q` (valid and acceptable).
    pub q: Option<Hex>,
    /// The verdict.
    pub result: Verdict,
    /// The error a rejecting side names (invalid, and acceptable: what the reference says).
    pub error: Option<String>,
    /// The flag an acceptable case must carry ([`PQ_FACTOR_ABOVE_32_BITS`]).
    pub flag: Option<&'static str>,
}

/// The expectation for `pq` (big-endian as on the wire): valid when the reference splits it into
/// two primes below 2^32; acceptable, with p and q, when it is two primes one of which is 2^32 or
/// more (spec-open, see the module doc); invalid otherwise (PqNotFactorable). A pq of more than
/// 8 significant bytes is not split here and stays invalid.
pub fn expected(pq: &[u8]) -> Expected {
    match factorize_be(pq) {
        Ok((p, q)) => Expected {
            p: Some(Hex(p)),
            q: Some(Hex(q)),
            result: Verdict::Valid,
            error: None,
            flag: None,
        },
        Err(e) => {
            let first = pq.iter().position(|&b| b != 0).unwrap_or(pq.len());
            let digits = pq.get(first..).unwrap_or(&[]);
            let split = (digits.len() <= 8)
                .then(|| {
                    digits
                        .iter()
                        .fold(0u64, |acc, &b| (acc << 8) | u64::from(b))
                })
                .and_then(split_two_primes);
            let (p, q, result, flag) = match split {
                Some((p, q)) => (
                    Some(Hex(minimal_be(p))),
                    Some(Hex(minimal_be(q))),
                    Verdict::Acceptable,
                    Some(PQ_FACTOR_ABOVE_32_BITS),
                ),
                None => (None, None, Verdict::Invalid, None),
            };
            Expected {
                p,
                q,
                result,
                error: Some(e.name().to_owned()),
                flag,
            }
        }
    }
}

fn pq_case(
    b: &mut Builder,
    tests: &mut Vec<PqCase>,
    pq: &[u8],
    flags: &[&str],
    comment: String,
) -> Result<(), GenerateError> {
    let Expected {
        p,
        q,
        result,
        error,
        flag,
    } = expected(pq);
    // A spec-open pq carries its flag instead of the generic "not factorable" one.
    let mut flags: Vec<&str> = flags
        .iter()
        .copied()
        .filter(|&f| flag.is_none() || f != "PqNotFactorable")
        .collect();
    flags.extend(flag);
    let (tc_id, flags) = b.case(&flags)?;
    tests.push(PqCase {
        tc_id,
        comment,
        flags,
        pq: Hex(pq.to_vec()),
        p,
        q,
        result,
        error,
    });
    Ok(())
}

fn pq() -> Result<Suite<PqGroup>, GenerateError> {
    let file = "pq/pq_test.json";
    let mut b = Builder::new(file, FLAGS);
    let mut rng = Drbg::new("pq");
    let mut official = Vec::new();
    for (pq, what) in [
        (
            0x17ed_4894_1a08_f981u64,
            "the classic auth_key page example",
        ),
        (0x1460_e7d3_fa72_7791, "the current samples-auth_key page"),
    ] {
        pq_case(
            &mut b,
            &mut official,
            &pq.to_be_bytes(),
            &["Ktv"],
            format!("pq of {what}"),
        )?;
    }
    let mut tests = Vec::new();
    for i in 0..240u64 {
        // q has 32 bits; p has 32 bits (even i) or 33 bits (odd i: p >= 2^32, a spec-open case).
        // Products from 2^62 to 2^64; the comment gives pq's size and the factors'.
        let bits_p = 31 + (i % 2);
        let p = next_prime((1 << bits_p) | rng.below(1 << bits_p));
        let q = next_prime((1 << 31) | rng.below(1 << 31));
        let pq = u128::from(p) * u128::from(q);
        let Ok(pq) = u64::try_from(pq) else { continue };
        let flags: &[&str] = if pq >= 1 << 63 {
            &["Pseudorandom", "PqShape"]
        } else {
            &["Pseudorandom"]
        };
        pq_case(
            &mut b,
            &mut tests,
            &minimal_be(pq),
            flags,
            format!(
                "random product #{i} ({}-bit pq = {}-bit p * {}-bit q)",
                64 - pq.leading_zeros(),
                64 - p.leading_zeros(),
                64 - q.leading_zeros()
            ),
        )?;
    }
    for i in 0..20u64 {
        let p = next_prime(rng.below(1 << 32).max(3));
        if let Some(sq) = p.checked_mul(p) {
            pq_case(
                &mut b,
                &mut tests,
                &minimal_be(sq),
                &["PqShape"],
                format!("p = q #{i}"),
            )?;
        }
        let q = next_prime(rng.below(1 << 32).max(3));
        pq_case(
            &mut b,
            &mut tests,
            &minimal_be(2 * q),
            &["PqShape"],
            format!("even: 2 * q #{i}"),
        )?;
    }
    for (pq, what) in [
        (4u64, "4 = 2 * 2"),
        (6, "6 = 2 * 3"),
        (15, "15 = 3 * 5"),
        (
            4_294_967_279 * 4_294_967_291,
            "the two largest 32-bit primes",
        ),
        (
            4_294_967_291 * 4_294_967_291,
            "the largest 32-bit prime squared",
        ),
    ] {
        pq_case(
            &mut b,
            &mut tests,
            &minimal_be(pq),
            &["PqShape"],
            what.into(),
        )?;
    }
    pq_case(
        &mut b,
        &mut tests,
        &[0, 0, 0, 0x17, 0xed, 0x48, 0x94, 0x1a, 0x08, 0xf9, 0x81],
        &["PqShape"],
        "leading zero bytes".into(),
    )?;
    // Not a product of two primes (invalid), or two primes with one of 2^32 or more (acceptable).
    for i in 0..20u64 {
        let p = next_prime((1 << 62) | rng.below(1 << 62));
        pq_case(
            &mut b,
            &mut tests,
            &minimal_be(p),
            &["PqNotFactorable"],
            format!("a 63-bit prime #{i}"),
        )?;
    }
    for i in 0..10u64 {
        let a = next_prime((1 << 20) | rng.below(1 << 20));
        let c = next_prime((1 << 20) | rng.below(1 << 20));
        let d = next_prime((1 << 20) | rng.below(1 << 20));
        pq_case(
            &mut b,
            &mut tests,
            &minimal_be(a * c * d),
            &["PqNotFactorable"],
            format!("three primes #{i}"),
        )?;
        let big = next_prime((1 << 40) | rng.below(1 << 40));
        let small = next_prime((1 << 20) | rng.below(1 << 20));
        pq_case(
            &mut b,
            &mut tests,
            &minimal_be(big * small),
            &["PqNotFactorable"],
            format!("a 41-bit prime times a 21-bit prime #{i}"),
        )?;
    }
    for (pq, what) in [
        (vec![], "empty"),
        (vec![0], "0"),
        (vec![1], "1"),
        (vec![2], "2 (prime)"),
        (vec![1, 0, 0, 0, 0, 0, 0, 0, 15], "9 significant bytes"),
        (
            u64::MAX.to_be_bytes().to_vec(),
            "2^64 - 1 = 3·5·17·257·641·65537·6700417",
        ),
    ] {
        pq_case(&mut b, &mut tests, &pq, &["PqNotFactorable"], what.into())?;
    }
    let groups = vec![
        PqGroup {
            group_type: "PqTest".into(),
            source: source("telegram-docs", "auth_key and samples-auth_key pages"),
            tests: official,
        },
        PqGroup {
            group_type: "PqTest".into(),
            source: self_source(),
            tests,
        },
    ];
    Ok(b.finish(
        "MTProto-pq",
        "pq_test_schema_v1.json",
        &[
            "Factoring pq (spec §4 step 3): p <= q, both prime and below 2^32; else PqNotFactorable.",
            "A product of two primes one of which is 2^32 or more is acceptable (flag PqFactorAbove32Bits): the spec is silent on it, only the server's 4-byte p/q rule makes it unusable; an accepting answer must give the case's p and q.",
        ],
        groups,
    ))
}
