//! The `dh` family, `DhParamsTest` and `DhValueTest` (spec §5): the group and case types, the
//! runner and the generator of `vectors/dh/`.
//!
//! | type | request | a valid case passes when |
//! |---|---|---|
//! | `DhParamsTest` | `dh.checkParams` {p, g} | accepted |
//! | `DhValueTest` | `dh.checkValue` {p, g, value} | accepted |

// Generator arithmetic on fixed 256-byte arrays; the loader and runner parts never index.
#![allow(clippy::indexing_slicing)]

use mtproto::ProtocolError;
use mtproto::crypto::dh::{self, SafePrimeCache, TELEGRAM_DH_PRIME};
use mtproto_iut::handshake::{DH_CHECK_PARAMS, DH_CHECK_VALUE};
use mtproto_iut::{Answer, Fields, Iut};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::core::family::{Family, GroupType};
use crate::core::file::{CaseGroup, CaseHeader, Hex, Source};
use crate::core::generate::{
    Builder, Drbg, Flag, GenerateError, Suite, be_add, be_addsub, gen_err as gerr, self_source,
};
use crate::core::judge::{Ran, RunOptions, judge_request, merged};
use crate::core::known::{SEED, prime, primes};
use crate::core::load::{LoadError, Part};
use crate::core::result::Verdict;

/// The `dh` family.
#[derive(Clone, Copy, Debug)]
pub struct Dh;

/// A `DhParamsTest` case.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DhParamsCase {
    /// The case id.
    pub tc_id: u64,
    /// What the case is about.
    pub comment: String,
    /// Flags.
    pub flags: Vec<String>,
    /// `dh_prime`, big-endian, as sent.
    pub p: Hex,
    /// `g`.
    pub g: i64,
    /// Expected verdict.
    pub result: Verdict,
    /// Expected error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A `DhValueTest` case.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DhValueCase {
    /// The case id.
    pub tc_id: u64,
    /// What the case is about.
    pub comment: String,
    /// Flags.
    pub flags: Vec<String>,
    /// `g_a` or `g_b`, big-endian.
    pub value: Hex,
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
    /// A group of `DhParamsTest` cases.
    DhParamsGroup, DhParamsCase {}
);
group_struct!(
    /// A group of `DhValueTest` cases against one `(p, g)`.
    DhValueGroup, DhValueCase {
        /// `dh_prime`.
        p: Hex,
        /// `g`.
        g: i64,
    }
);

/// A group of the `dh` family.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Group {
    /// `DhParamsTest`.
    Params(DhParamsGroup),
    /// `DhValueTest`.
    Value(DhValueGroup),
}

impl CaseGroup for Group {
    fn type_name(&self) -> &'static str {
        match self {
            Self::Params(_) => "DhParamsTest",
            Self::Value(_) => "DhValueTest",
        }
    }
    fn source(&self) -> &Source {
        match self {
            Self::Params(g) => &g.source,
            Self::Value(g) => &g.source,
        }
    }
    fn headers(&self) -> Vec<CaseHeader<'_>> {
        match self {
            Self::Params(g) => g.tests.iter().map(|t| crate::header_of!(t)).collect(),
            Self::Value(g) => g.tests.iter().map(|t| crate::header_of!(t)).collect(),
        }
    }
}

impl Family for Dh {
    type Group = Group;

    const GROUP_TYPES: &'static [GroupType] = &[
        GroupType {
            name: "DhParamsTest",
            family: "dh",
            schema: "dh_params_test_schema_v1.json",
            errors: None,
        },
        GroupType {
            name: "DhValueTest",
            family: "dh",
            schema: "dh_value_test_schema_v1.json",
            errors: None,
        },
    ];

    fn parse(part: &Part<'_>, group_type: &str) -> Result<Group, LoadError> {
        Ok(if group_type == "DhParamsTest" {
            Group::Params(part.parse()?)
        } else {
            Group::Value(part.parse()?)
        })
    }

    /// Nothing beyond the common checks: any bytes are a candidate prime or value.
    fn check(_file: &str, _g: usize, _group: &Group) -> Result<(), LoadError> {
        Ok(())
    }

    fn run(group: &Group, index: usize, iut: &mut dyn Iut, opts: &RunOptions) -> Option<Ran> {
        let header = *group.headers().get(index)?;
        let mut req = Fields::new();
        let (check, vector) = match group {
            Group::Params(g) => {
                let c = g.tests.get(index)?;
                put_hex(&mut req, "p", c.p.as_bytes());
                req.insert("g".into(), Value::from(c.g));
                let answer = iut.call(DH_CHECK_PARAMS, &req);
                let check = Check {
                    op: DH_CHECK_PARAMS,
                    answer,
                };
                (check, merged(c, &g.group_type, &g.source, &[]))
            }
            Group::Value(g) => {
                let c = g.tests.get(index)?;
                put_hex(&mut req, "p", g.p.as_bytes());
                req.insert("g".into(), Value::from(g.g));
                put_hex(&mut req, "value", c.value.as_bytes());
                let answer = iut.call(DH_CHECK_VALUE, &req);
                let mut v = merged(c, &g.group_type, &g.source, &[]);
                if let Value::Object(m) = &mut v {
                    m.insert("p".into(), Value::String(g.p.to_hex()));
                    m.insert("g".into(), Value::from(g.g));
                }
                let check = Check {
                    op: DH_CHECK_VALUE,
                    answer,
                };
                (check, v)
            }
        };
        let judged = judge_request(
            check.answer,
            check.op,
            &[],
            (header.result, header.error),
            opts,
        );
        Some(Ran { judged, vector })
    }

    fn generate() -> Result<Vec<Suite<Group>>, GenerateError> {
        let _ = SafePrimeCache::new();
        Ok(vec![dh_params()?, dh_value()?])
    }
}

/// One request and its answer.
struct Check {
    op: &'static str,
    answer: Answer,
}

fn put_hex(f: &mut Fields, name: &str, v: &[u8]) {
    f.insert(name.to_owned(), Value::String(hex::encode(v)));
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
        "PWrongSize",
        "WEAK_PARAMS",
        "dh_prime is not a 2048-bit number in 256 bytes: \"2^2047 < p < 2^2048\".",
        &["https://core.telegram.org/mtproto/security_guidelines"],
    ),
    (
        "GOutOfRange",
        "MODIFIED_PARAMETER",
        "g outside 2..7: the client checks g against the congruence table, which only covers \
         2..7.",
        &["https://core.telegram.org/mtproto/auth_key"],
    ),
    (
        "GNotGenerator",
        "WEAK_PARAMS",
        "p fails g's congruence, so g is a non-residue and generates the whole group, leaking \
         the low bit of the secret exponent.",
        &["https://core.telegram.org/mtproto/security_guidelines"],
    ),
    (
        "CompositeP",
        "WEAK_PARAMS",
        "A composite dh_prime chosen by a malicious server; discrete logs in its subgroups are \
         easy.",
        &["https://core.telegram.org/mtproto/security_guidelines"],
    ),
    (
        "NotSafePrime",
        "WEAK_PARAMS",
        "p is prime but (p - 1) / 2 is not: small subgroups exist (Pohlig–Hellman).",
        &["https://core.telegram.org/mtproto/security_guidelines"],
    ),
    (
        "PocklingtonTrap",
        "WEAK_PARAMS",
        "q = (p - 1) / 2 is prime but p = 2q + 1 is composite: a checker that proves q and \
         assumes p accepts it.",
        &["https://core.telegram.org/mtproto/security_guidelines"],
    ),
    (
        "ValueBound",
        "EDGE_CASE",
        "A value at, one below or one above a bound of \"1 < g_a < p - 1\" (a MUST).",
        &["https://core.telegram.org/mtproto/auth_key"],
    ),
    (
        "DhValueMargin",
        "WEAK_PARAMS",
        "A value inside (1, p - 1) but outside [2^1984, p - 2^1984]. The docs only recommend \
         this check; TDLib enforces it and so does the reference (strict default). A lenient \
         implementation fails these cases: judge it by policy (--filter or a baseline).",
        &["https://core.telegram.org/mtproto/auth_key"],
    ),
];

fn verdict(r: &Result<(), String>) -> (Verdict, Option<String>) {
    match r {
        Ok(()) => (Verdict::Valid, None),
        Err(e) => (Verdict::Invalid, Some(e.clone())),
    }
}

/// The reference's verdict on `(p, g)`, as a vocabulary name.
fn params_verdict(p: &[u8], g: i64) -> Result<(), String> {
    dh::check_params(p, g, &SEED, None)
        .map(|_| ())
        .map_err(|e| e.name().to_owned())
}

fn dh_params() -> Result<Suite<Group>, GenerateError> {
    let file = "dh/dh_params_test.json";
    let mut b = Builder::new(file, FLAGS);
    let mut groups = Vec::new();
    let push = |b: &mut Builder,
                tests: &mut Vec<DhParamsCase>,
                p: &[u8],
                g: i64,
                flags: &[&str],
                want: Result<(), &str>,
                comment: String|
     -> Result<(), GenerateError> {
        let got = params_verdict(p, g);
        if got.as_ref().map(|_| ()).map_err(String::as_str) != want {
            return Err(gerr(
                file,
                format!("{comment}: reference says {got:?}, expected {want:?}"),
            ));
        }
        let (tc_id, flags) = b.case(flags)?;
        let (result, error) = verdict(&got);
        tests.push(DhParamsCase {
            tc_id,
            comment,
            flags,
            p: Hex(p.to_vec()),
            g,
            result,
            error,
        });
        Ok(())
    };
    // Published primes with every g: valid where the congruence holds, else GNotGenerator.
    for (name, src, p) in primes() {
        let (sname, sver) = match src {
            s if s.starts_with("core.telegram.org") => ("telegram-docs", "samples-auth_key"),
            s if s.starts_with("rfc3526") => ("rfc3526", "section 3 (2048-bit MODP group 14)"),
            s if s.starts_with("openssl") => ("openssl-dhparam", "3.0.19"),
            _ => continue,
        };
        let mut tests = Vec::new();
        for g in 2..=7i64 {
            let holds = dh::g_congruence_holds(&p, u32::try_from(g).unwrap_or(0));
            let (flags, want): (&[&str], _) = if holds {
                (&["Ktv"], Ok(()))
            } else {
                (&["Ktv", "GNotGenerator"], Err("GNotGenerator"))
            };
            push(
                &mut b,
                &mut tests,
                &p,
                g,
                flags,
                want,
                format!("{name} with g = {g}"),
            )?;
        }
        groups.push(Group::Params(DhParamsGroup {
            group_type: "DhParamsTest".into(),
            source: source(sname, sver),
            tests,
        }));
    }
    // Constructed failures.
    let tg = TELEGRAM_DH_PRIME.to_vec();
    let mut tests = Vec::new();
    let mut with_zero = vec![0u8];
    with_zero.extend_from_slice(&tg);
    let mut top_clear = tg.clone();
    if let Some(t) = top_clear.first_mut() {
        *t &= 0x7f;
    }
    let wrong_size: [(&str, Vec<u8>); 5] = [
        ("255 bytes (2040 bits)", tg.get(1..).unwrap_or(&[]).to_vec()),
        ("257 bytes: a leading zero byte", with_zero),
        ("257 bytes", vec![0xff; 257]),
        ("256 bytes with the top bit clear (2047 bits)", top_clear),
        ("empty", Vec::new()),
    ];
    for (what, p) in wrong_size {
        push(
            &mut b,
            &mut tests,
            &p,
            3,
            &["PWrongSize"],
            Err("PWrongSize"),
            format!("dh_prime {what}"),
        )?;
    }
    for g in [
        i64::from(i32::MIN),
        -1,
        0,
        1,
        8,
        9,
        255,
        i64::from(i32::MAX),
    ] {
        push(
            &mut b,
            &mut tests,
            &tg,
            g,
            &["GOutOfRange"],
            Err("GOutOfRange"),
            format!("Telegram prime with g = {g}"),
        )?;
    }
    let composite = prime("composite_rsa");
    push(
        &mut b,
        &mut tests,
        &composite,
        3,
        &["CompositeP"],
        Err("PNotPrime"),
        "p = a product of two 1024-bit primes".into(),
    )?;
    let mut even = tg.clone();
    if let Some(l) = even.last_mut() {
        *l &= 0xfe;
    }
    push(
        &mut b,
        &mut tests,
        &even,
        4,
        &["CompositeP"],
        Err("PNotPrime"),
        "Telegram prime - 1 (even)".into(),
    )?;
    push(
        &mut b,
        &mut tests,
        &prime("q_prime_p_composite"),
        3,
        &["CompositeP", "PocklingtonTrap"],
        Err("PNotPrime"),
        "(p - 1) / 2 prime, p composite".into(),
    )?;
    push(
        &mut b,
        &mut tests,
        &prime("prime_not_safe"),
        3,
        &["NotSafePrime"],
        Err("PNotSafePrime"),
        "p prime, (p - 1) / 2 composite".into(),
    )?;
    push(
        &mut b,
        &mut tests,
        &prime("prime_1_mod_4"),
        4,
        &["NotSafePrime"],
        Err("PNotSafePrime"),
        "p prime and 1 mod 4, so (p - 1) / 2 is even".into(),
    )?;
    // g's congruence is checked before primality: composite p, g = 3 with p mod 3 = 1.
    let mut c3 = tg.clone();
    if let Some(l) = c3.last_mut() {
        // Telegram prime mod 3 = 2; + 2 makes it 1 mod 3.
        *l = l.wrapping_add(2);
    }
    push(
        &mut b,
        &mut tests,
        &c3,
        3,
        &["GNotGenerator"],
        Err("GNotGenerator"),
        "Telegram prime + 2 (1 mod 3) with g = 3: the congruence fails before primality".into(),
    )?;
    groups.push(Group::Params(DhParamsGroup {
        group_type: "DhParamsTest".into(),
        source: self_source(),
        tests,
    }));
    Ok(b.finish(
        "MTProto-DH-params",
        "dh_params_test_schema_v1.json",
        &[
            "DH parameter checks (spec §5): dh_prime a 2048-bit safe prime, g in 2..7 with its \
             congruence. Order: PWrongSize, GOutOfRange, GNotGenerator, PNotPrime, PNotSafePrime.",
        ],
        groups,
    ))
}

fn dh_value() -> Result<Suite<Group>, GenerateError> {
    let file = "dh/dh_value_test.json";
    let mut b = Builder::new(file, FLAGS);
    let mut groups = Vec::new();
    let mut rng = Drbg::new("dh_value");
    for (pname, p, g, src) in [
        (
            "Telegram prime",
            TELEGRAM_DH_PRIME.to_vec(),
            3i64,
            source("telegram-docs", "samples-auth_key (p, g); values self"),
        ),
        (
            "RFC 3526 group 14",
            prime("rfc3526_modp2048"),
            2,
            source("rfc3526", "section 3 (p, g); values self"),
        ),
    ] {
        let group = dh::check_params(&p, g, &SEED, None).map_err(|e| gerr(file, e))?;
        let p256: [u8; 256] = p.clone().try_into().unwrap_or([0; 256]);
        let mut margin = [0u8; 256];
        if let Some(x) = margin.get_mut(7) {
            *x = 1; // 2^1984 = byte 7 (of 256) is 0x01
        }
        let p_minus_margin = be_addsub(&p256, &margin, true);
        let one = be_add(&[0; 256], false, 1);
        let p_minus_1 = be_add(&p256, true, 1);
        let mut cases: Vec<(String, Vec<u8>, &[&str])> = vec![
            ("0".into(), vec![0u8; 256], &["ValueBound"]),
            ("1".into(), one.to_vec(), &["ValueBound"]),
            (
                "2".into(),
                be_add(&one, false, 1).to_vec(),
                &["ValueBound", "DhValueMargin"],
            ),
            (
                "p - 2".into(),
                be_add(&p256, true, 2).to_vec(),
                &["ValueBound", "DhValueMargin"],
            ),
            ("p - 1".into(), p_minus_1.to_vec(), &["ValueBound"]),
            ("p".into(), p256.to_vec(), &["ValueBound"]),
            (
                "p + 1".into(),
                be_add(&p256, false, 1).to_vec(),
                &["ValueBound"],
            ),
            ("2^2048 - 1".into(), vec![0xff; 256], &["ValueBound"]),
            (
                "2^2048 (257 bytes)".into(),
                [&[1u8][..], &[0u8; 256]].concat(),
                &["ValueBound"],
            ),
            (
                "2^1984 - 1".into(),
                be_add(&margin, true, 1).to_vec(),
                &["DhValueMargin"],
            ),
            ("2^1984".into(), margin.to_vec(), &["DhValueMargin"]),
            (
                "2^1984 + 1".into(),
                be_add(&margin, false, 1).to_vec(),
                &["DhValueMargin"],
            ),
            (
                "p - 2^1984 - 1".into(),
                be_add(&p_minus_margin, true, 1).to_vec(),
                &["DhValueMargin"],
            ),
            (
                "p - 2^1984".into(),
                p_minus_margin.to_vec(),
                &["DhValueMargin"],
            ),
            (
                "p - 2^1984 + 1".into(),
                be_add(&p_minus_margin, false, 1).to_vec(),
                &["DhValueMargin"],
            ),
            (
                "2^1984 with two leading zero bytes".into(),
                [&[0u8, 0][..], &margin[..]].concat(),
                &["DhValueMargin"],
            ),
        ];
        for i in 0..8 {
            let secret: [u8; 256] = rng.array();
            cases.push((
                format!("g^a for random a #{i}"),
                group.pow_g(&secret).to_vec(),
                &["Pseudorandom"],
            ));
        }
        let mut tests = Vec::new();
        for (what, value, flags) in cases {
            let got = dh::check_value(&group, &value)
                .map(|_| ())
                .map_err(|e| e.name().to_owned());
            // Margin cases inside the margin are valid: keep the flag only where it decides.
            let flags: Vec<&str> = flags
                .iter()
                .copied()
                .filter(|&f| {
                    f != "DhValueMargin"
                        || got.as_ref().err().map(String::as_str) == Some("ValueUnsafe")
                        || what.contains("2^1984")
                })
                .collect();
            let (tc_id, flags) = b.case(&flags)?;
            let (result, error) = verdict(&got);
            tests.push(DhValueCase {
                tc_id,
                comment: format!("{pname}, g = {g}: value = {what}"),
                flags,
                value: Hex(value),
                result,
                error,
            });
        }
        groups.push(Group::Value(DhValueGroup {
            group_type: "DhValueTest".into(),
            p: Hex(p),
            g,
            source: src,
            tests,
        }));
    }
    Ok(b.finish(
        "MTProto-DH-value",
        "dh_value_test_schema_v1.json",
        &[
            "g_a / g_b range checks (spec §5): 1 < v < p - 1 (ValueOutOfRange) and, strict by \
             default, 2^1984 <= v <= p - 2^1984 (ValueUnsafe, flagged DhValueMargin).",
        ],
        groups,
    ))
}
