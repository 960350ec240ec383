//! Round trips of generated TL values for every combinator of every shipped schema (issue 6:
//! "TL encode/decode round-trips for every generated type (proptest with generated values)").
//!
//! The values come from the schema, not from the generated code: a small generator walks each
//! combinator's parameters (the parsed `schema/*.tl`, [`mtproto::tl::schema`]) and builds a
//! random value in the JSON form (`tl::json`), choosing random constructors for boxed types,
//! random lengths for vectors, bytes and strings, and random presence for `flags.N?` fields.
//! For each value the generated code must then agree with itself through every representation:
//! `from_json` accepts it, `to_json` gives it back, and the TL bytes decode (strictly, the whole
//! buffer) to the same JSON and re-encode to the same bytes. Comparing JSON rather than values
//! keeps `double` exact (NaN payloads included).
//!
//! Special forms (spec §7.2) are generated as the schema's comments say the codec treats them:
//! `message.bytes` is not a field of the JSON form (it is the body's length), and a message body
//! is never a `msg_container` (containers do not nest).

use std::collections::BTreeMap;

use mtproto::tl::Tl;
use mtproto::tl::generated::{mtproto as mt, secret};
use mtproto::tl::json::{Json, hex};
use mtproto::tl::schema::{self, Combinator, ParamKind, Section, TypeRef};
use proptest::prelude::*;

/// Deeper than this, optional fields are absent, vectors empty and boxed types take their
/// smallest constructor, so every value is finite.
const MAX_DEPTH: usize = 4;

/// xorshift64*: the generator's randomness, seeded by proptest.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
    /// Lengths around the 1-byte/4-byte `bytes` length forms (253/254) as well as small ones.
    fn len(&mut self) -> usize {
        match self.below(8) {
            0 => 253 + self.below(3),
            1 => 0,
            _ => self.below(40),
        }
    }
}

struct Gen<'s> {
    combs: Vec<&'s Combinator>,
    /// Boxed type name → constructors (with an id) of that type.
    by_type: BTreeMap<&'s str, Vec<usize>>,
}

impl<'s> Gen<'s> {
    fn new(s: &'s schema::Schema) -> Self {
        let combs: Vec<&Combinator> = s.combinators.iter().filter(|c| in_object(c)).collect();
        let mut by_type: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (i, c) in combs.iter().enumerate() {
            if c.section == Section::Types && c.explicit_id.is_some() && c.result != "Bool" {
                by_type.entry(c.result.as_str()).or_default().push(i);
            }
        }
        Self { combs, by_type }
    }

    /// The JSON `_` (the schema name, with `#id` when the name is declared in several layers).
    fn json_name(&self, c: &Combinator) -> String {
        let dup = self
            .combs
            .iter()
            .filter(|d| d.section == c.section && d.name == c.name)
            .count()
            > 1;
        if dup {
            format!("{}#{:08x}", c.name, c.id())
        } else {
            c.name.clone()
        }
    }

    /// How many fields of `c` force more nesting (used to pick small constructors when deep).
    fn weight(&self, c: &Combinator) -> usize {
        c.params
            .iter()
            .filter(|p| match &p.kind {
                ParamKind::Field { flag: None, ty } => !is_primitive(ty),
                _ => false,
            })
            .count()
    }

    /// Every constructor and function that `Object` holds (those with an id).
    fn boxed(&self) -> Vec<usize> {
        (0..self.combs.len())
            .filter(|&i| self.combs[i].explicit_id.is_some())
            .collect()
    }

    fn pick(&self, rng: &mut Rng, among: &[usize], depth: usize) -> usize {
        if depth >= MAX_DEPTH {
            *among
                .iter()
                .min_by_key(|&&i| self.weight(self.combs[i]))
                .unwrap()
        } else {
            among[rng.below(among.len())]
        }
    }

    /// Any boxed value (for `Object` and generic `!X` fields); never a container.
    fn object(&self, rng: &mut Rng, depth: usize) -> Json {
        let among: Vec<usize> = self
            .boxed()
            .into_iter()
            .filter(|&i| self.combs[i].name != "msg_container")
            .collect();
        let i = self.pick(rng, &among, depth);
        self.constructor(rng, i, depth + 1)
    }

    /// A value of constructor `i` in the JSON form.
    fn constructor(&self, rng: &mut Rng, i: usize, depth: usize) -> Json {
        let c = self.combs[i];
        let mut fields = vec![("_".to_owned(), Json::Str(self.json_name(c)))];
        // flags field → bit → present (one decision per bit, shared by every field on it).
        let mut bits: BTreeMap<(String, u32), bool> = BTreeMap::new();
        for p in &c.params {
            let ParamKind::Field { flag, ty } = &p.kind else {
                continue; // `name:#` is not in the JSON form: the bits follow from the fields
            };
            if c.name == "message" && p.name == "bytes" {
                continue; // spec §7.2: the body's length, not stored
            }
            let value = match flag {
                None => self.value(rng, ty, &c.generics, depth),
                Some(bit) => {
                    let present = *bits
                        .entry(bit.clone())
                        .or_insert_with(|| depth < MAX_DEPTH && rng.below(2) == 0);
                    match (ty.name.as_str(), present) {
                        ("true", p) => Json::Bool(p),
                        (_, false) => Json::Null,
                        (_, true) => self.value(rng, ty, &c.generics, depth),
                    }
                }
            };
            fields.push((p.name.clone(), value));
        }
        Json::Object(fields)
    }

    fn value(&self, rng: &mut Rng, ty: &TypeRef, generics: &[String], depth: usize) -> Json {
        match ty.name.as_str() {
            "int" => Json::Int(i64::from(rng.next() as i32)),
            "long" => Json::Int(rng.next() as i64),
            "double" => Json::Str(hex(&rng.next().to_le_bytes())),
            "int128" => Json::Str(hex(&rng.bytes(16))),
            "int256" => Json::Str(hex(&rng.bytes(32))),
            "bytes" => {
                let n = rng.len();
                Json::Str(hex(&rng.bytes(n)))
            }
            "string" => {
                let n = rng.len();
                let s: String = (0..n)
                    .map(|_| ['a', 'Z', '0', ' ', 'é', 'ж', '✓', '😀'][rng.below(8)])
                    .collect();
                Json::Str(s)
            }
            "Bool" | "true" => Json::Bool(rng.below(2) == 0),
            "Vector" | "vector" => {
                let n = if depth >= MAX_DEPTH { 0 } else { rng.below(4) };
                let arg = ty.arg.as_deref().expect("vector without an element type");
                Json::Array(
                    (0..n)
                        .map(|_| self.value(rng, arg, generics, depth + 1))
                        .collect(),
                )
            }
            "Object" => self.object(rng, depth),
            name if generics.iter().any(|g| g == name) => self.object(rng, depth),
            name if ty.bare || name.starts_with(|c: char| c.is_lowercase()) => {
                // A bare constructor: `%Message` names its type, `future_salt` the constructor.
                let i = (0..self.combs.len())
                    .find(|&i| {
                        let c = self.combs[i];
                        c.section == Section::Types && (c.name == name || c.result == name)
                    })
                    .unwrap_or_else(|| panic!("no constructor for bare type {name}"));
                self.constructor(rng, i, depth + 1)
            }
            name => {
                let among = self
                    .by_type
                    .get(name)
                    .unwrap_or_else(|| panic!("no constructor of type {name}"));
                let i = self.pick(rng, among, depth);
                self.constructor(rng, i, depth + 1)
            }
        }
    }
}

/// What the generated `Object` holds: every non-built-in combinator, and `boolTrue` /
/// `boolFalse` (a boxed `Bool` can be an `rpc_result`'s result).
fn in_object(c: &Combinator) -> bool {
    !c.builtin || (c.result == "Bool" && c.explicit_id.is_some())
}

fn is_primitive(ty: &TypeRef) -> bool {
    matches!(
        ty.name.as_str(),
        "int" | "long" | "double" | "int128" | "int256" | "bytes" | "string" | "Bool" | "true"
    ) || matches!(ty.name.as_str(), "Vector" | "vector")
}

/// `from_json` → `to_json`, `to_bytes` → `from_bytes` → `to_json` / `to_bytes`, all equal.
fn round_trip<T: Tl>(j: &Json) -> Result<(), String> {
    let v = T::from_json(j).map_err(|e| format!("from_json refused it: {e}"))?;
    if &v.to_json() != j {
        return Err(format!("to_json differs: {:?}", v.to_json()));
    }
    let bytes = v.to_bytes();
    let back = T::from_bytes(&bytes).map_err(|e| format!("decoding its bytes: {e}"))?;
    if &back.to_json() != j {
        return Err(format!("decoded value differs: {:?}", back.to_json()));
    }
    if back.to_bytes() != bytes {
        return Err("re-encoding gives other bytes".into());
    }
    Ok(())
}

fn schemas() -> Vec<(&'static str, schema::Schema)> {
    mtproto::tl::SCHEMAS
        .iter()
        .map(|(name, text)| (*name, schema::parse(text).unwrap()))
        .collect()
}

/// Every combinator with an id of one schema, `cases` random values each.
fn check_schema(name: &str, s: &schema::Schema, seed: u64) -> Result<usize, String> {
    let g = Gen::new(s);
    let mut rng = Rng(seed | 1);
    let mut checked = 0;
    for i in g.boxed() {
        let j = g.constructor(&mut rng, i, 0);
        let r = match name {
            "mtproto" => round_trip::<mt::Object>(&j),
            "secret" => round_trip::<secret::Object>(&j),
            other => return Err(format!("no generated module for schema {other}")),
        };
        r.map_err(|e| format!("{name}: {}: {e}\nvalue: {j:?}", g.combs[i].text))?;
        checked += 1;
    }
    Ok(checked)
}

#[test]
fn the_value_generator_reaches_every_combinator_with_an_id() {
    for (name, s) in schemas() {
        let n = check_schema(name, &s, 1).unwrap();
        let with_id = s
            .combinators
            .iter()
            .filter(|c| in_object(c) && c.explicit_id.is_some())
            .count();
        assert_eq!(n, with_id, "{name}");
        assert!(n > 10, "{name}: only {n} combinators");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    /// One random value of every combinator of every schema per case.
    #[test]
    fn every_generated_type_round_trips_through_json_and_bytes(seed in any::<u64>()) {
        for (name, s) in schemas() {
            if let Err(e) = check_schema(name, &s, seed) {
                prop_assert!(false, "{}", e);
            }
        }
    }
}
