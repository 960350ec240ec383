//! Deliberate bugs for the mutation self-test (`mtproto-harness self-test`), compiled in only with
//! the `mutants` feature: a normal build contains neither this module nor any check site.
//!
//! One mutant at a time is active for the whole process ([`activate`]); the adapter subcommand
//! selects it with `--mutant NAME`. Each check site is a `#[cfg(feature = "mutants")]` line that
//! asks [`on`] whether its mutant is the active one.

use core::sync::atomic::{AtomicU8, Ordering};

/// The deliberate bugs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Mutant {
    /// Accept a packet whose msg_key does not match the plaintext (R4 skipped).
    SkipMsgKey = 1,
    /// Accept padding shorter than 12 bytes.
    AcceptShortPadding,
    /// Accept padding longer than 1024 bytes.
    AcceptLongPadding,
    /// Skip the `message_data_length % 4 == 0` check.
    SkipLengthAlign,
    /// Use x = 8 where x = 0 belongs and the other way round in the key derivation.
    SwapX,
    /// Skip the session_id check (R6).
    SkipSessionId,
    /// Skip the auth_key_id check (R2).
    SkipAuthKeyId,
}

/// Every mutant, in the order of [`ALL`].
const MUTANTS: [Mutant; 7] = [
    Mutant::SkipMsgKey,
    Mutant::AcceptShortPadding,
    Mutant::AcceptLongPadding,
    Mutant::SkipLengthAlign,
    Mutant::SwapX,
    Mutant::SkipSessionId,
    Mutant::SkipAuthKeyId,
];

/// The mutants' names, as `--mutant` takes them.
pub const ALL: &[&str] = &[
    "skip-msg-key",
    "accept-short-padding",
    "accept-long-padding",
    "skip-length-align",
    "swap-x",
    "skip-session-id",
    "skip-auth-key-id",
];

static ACTIVE: AtomicU8 = AtomicU8::new(0);

/// Make the mutant named `name` the active one for this process; `false` if there is none.
pub fn activate(name: &str) -> bool {
    let Some(m) = ALL
        .iter()
        .zip(MUTANTS)
        .find_map(|(n, m)| (*n == name).then_some(m))
    else {
        return false;
    };
    ACTIVE.store(m as u8, Ordering::Relaxed);
    true
}

/// Whether `m` is the active mutant.
pub fn on(m: Mutant) -> bool {
    ACTIVE.load(Ordering::Relaxed) == m as u8
}
