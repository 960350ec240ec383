//! The error vocabulary: the names a vector's `error` (and a trace step's `error`) may hold.
//!
//! The names are the reference's: every name of every error enum's table in
//! `harness/mtproto/src/error.rs` ([`mtproto::error::VOCABULARY`]), plus the two names the
//! harness gives to trace outcomes that are no single reference error ([`HARNESS_NAMES`]).
//! Every other list is derived from this one or tested equal to it: the loader's check, each
//! group type's allowed subset (the registry), `vectors/schemas/common.json` and the table in
//! `docs/error-vocabulary.md`.

/// Names the harness gives that no reference error enum carries, with what each stands for.
pub const HARNESS_NAMES: &[(&str, &str)] = &[
    (
        "InvalidContainer",
        "a session trace's rejection by a bad_msg_notification with code 64 (invalid container), \
         which the reference reports under several finer names",
    ),
    (
        "CallAborted",
        "the answer of every call-replay step after the call was aborted",
    ),
];

/// Every name of the vocabulary, once: the reference's names in table order, then
/// [`HARNESS_NAMES`].
pub fn errors() -> Vec<&'static str> {
    let mut out = mtproto::error::vocabulary_names();
    for (name, _) in HARNESS_NAMES {
        if !out.contains(name) {
            out.push(name);
        }
    }
    out
}

/// Whether `name` is in the vocabulary.
pub fn is_error(name: &str) -> bool {
    HARNESS_NAMES.iter().any(|(n, _)| *n == name)
        || mtproto::error::VOCABULARY
            .iter()
            .any(|(_, names)| names.contains(&name))
}
