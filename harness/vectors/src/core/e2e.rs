//! What the end-to-end families share (two parties, `originator` and `acceptor`, that agree a key
//! by Diffie-Hellman in Telegram's group and then exchange packets): the role names, the
//! load-time checks of a role and of a case's outputs, the bound on trace steps, the building of
//! requests from hex fields, one-shot requests judged on JSON outputs, and the generators' DH
//! helpers. It names no family.

use mtproto::ProtocolError;
use mtproto::crypto::dh::{self, DhGroup, TELEGRAM_DH_PRIME};
use mtproto::secret::Role;
use mtproto_iut::{Fields, Iut};
use serde_json::Value;

use super::file::Hex;
use super::generate::{Drbg, GenerateError, gen_err};
use super::judge::{Judged, RunOptions, Want, judge_request};
use super::load::{LoadError, err};
use super::result::Verdict;

// ---------------------------------------------------------------------------------------------
// Loader checks

/// The most steps a trace may have (traces are untrusted input).
pub const MAX_STEPS: usize = 10_000;

/// A role field must name one of the two parties.
pub fn check_role(file: &str, path: String, role: &str) -> Result<(), LoadError> {
    if matches!(role, "originator" | "acceptor") {
        Ok(())
    } else {
        Err(err(
            file,
            path,
            format!("{role:?} is neither \"originator\" nor \"acceptor\""),
        ))
    }
}

/// Whether `present` matches what the result requires: every output for a valid case and for an
/// acceptable one (so that an accepting answer is judged by its outputs, not waved through),
/// none for an invalid one.
pub fn check_outputs(
    file: &str,
    at: String,
    result: Verdict,
    present: &[bool],
) -> Result<(), LoadError> {
    let gives = result != Verdict::Invalid;
    if present.iter().all(|&p| p == gives) {
        Ok(())
    } else {
        Err(err(
            file,
            at,
            "a valid or acceptable case gives every output of its type, an invalid one none",
        ))
    }
}

// ---------------------------------------------------------------------------------------------
// Runner

/// Put `v` into request `f` as lowercase hex under `name`.
pub fn hex_field(f: &mut Fields, name: &str, v: &Hex) {
    f.insert(name.to_owned(), hex_value(v));
}

/// [`hex_field`] when `v` is present.
pub fn opt_hex(f: &mut Fields, name: &str, v: Option<&Hex>) {
    if let Some(v) = v {
        hex_field(f, name, v);
    }
}

/// `v` as a JSON hex string.
pub fn hex_value(v: &Hex) -> Value {
    Value::String(v.to_hex())
}

/// A request that starts with the DH group: `p` (hex) and `g`.
pub fn dh_fields(p: &Hex, g: i64) -> Fields {
    let mut f = Fields::new();
    hex_field(&mut f, "p", p);
    f.insert("g".into(), Value::from(g));
    f
}

/// One request and the outputs a valid case must carry (JSON values; hex ones get a hex diff),
/// judged by the one judge.
pub fn one_shot(
    iut: &mut dyn Iut,
    op: &str,
    req: &Fields,
    expected: (Verdict, Option<&str>),
    want: &[(&str, Value)],
    opts: &RunOptions,
) -> Judged {
    let wants: Vec<(&str, Want<'_>)> = want
        .iter()
        .map(|(n, v)| (*n, Want::Json(v.clone())))
        .collect();
    judge_request(iut.call(op, req), op, &wants, expected, opts)
}

// ---------------------------------------------------------------------------------------------
// Generator

/// The name a vector file gives `role`.
pub fn role_name(role: Role) -> &'static str {
    match role {
        Role::Originator => "originator",
        Role::Acceptor => "acceptor",
    }
}

/// The expected `result` and `error` of a case, from the reference's answer.
pub fn verdict_of<T, E: ProtocolError>(r: &Result<T, E>) -> (Verdict, Option<String>) {
    match r {
        Ok(_) => (Verdict::Valid, None),
        Err(e) => (Verdict::Invalid, Some(e.name().to_owned())),
    }
}

/// Telegram's DH group (the 2048-bit prime, g = 3), checked by the reference; `file` names the
/// suite in the error.
pub fn telegram_group(file: &str) -> Result<DhGroup, GenerateError> {
    dh::check_params(&TELEGRAM_DH_PRIME, 3, &[0x42; 32], None).map_err(|e| gen_err(file, e))
}

/// A DH secret exponent from `d`, its top bit cleared.
pub fn dh_secret(d: &mut Drbg) -> [u8; 256] {
    let mut s = d.array::<256>();
    if let Some(b) = s.first_mut() {
        *b &= 0x7f;
    }
    s
}
