//! What the fuzz harness needs inside the reference, compiled only under `cfg(fuzzing)` (the rustc
//! cfg cargo-fuzz sets; there is no cargo feature for it, so no normal build can turn it on).
//!
//! The harness itself (entry points, oracles, models, input layouts, replay) is its own crate,
//! `mtproto-fuzzing` (`harness/fuzzing`), on top of the plain reference. Only this stays here:
//!
//! - [`memo`]: the per-thread memo of the 2048-bit exponentiations, consulted by
//!   `DhGroup::pow_u2048` (`crypto::dh`) and the RSA_PAD decryption (`crypto::rsa_pad`);
//! - `envelope::VerifiedPlaintext::assume_verified_for_fuzzing` (in `envelope`, same cfg).
//!
//! The module is also compiled for the crate's own unit tests, so the memo's tests run under a
//! plain `cargo test`; its call sites stay `cfg(fuzzing)` only.
#![allow(
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::cast_possible_truncation
)]

pub mod memo;
