//! Server salts that rotate and overlap (spec §3.2, [desc], [sm]).
//!
//! [desc]: "A (random) 64-bit number periodically (say, every 24 hours) changed (separately for
//! each session) at the request of the server. All subsequent messages must contain the new salt
//! (although, messages with the old salt are still accepted for a further 1800 seconds)." Salts
//! now change about every 30 minutes and overlap ([amps-paper] fn. 22). A `future_salt` carries
//! `valid_since` and `valid_until`; a salt is accepted at `now` when `valid_since ≤ now <
//! valid_until`, so two consecutive salts are both accepted during their overlap.
//!
//! [desc]: https://core.telegram.org/mtproto/description
//! [sm]: https://core.telegram.org/mtproto/service_messages
//! [amps-paper]: https://eprint.iacr.org/2023/469

/// `get_future_salts` returns at most 64 salts ([sm]); the schedule keeps at most this many.
///
/// [sm]: https://core.telegram.org/mtproto/service_messages
pub const MAX_FUTURE_SALTS: usize = 64;

/// `future_salt#0949d9dc valid_since:int valid_until:int salt:long`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FutureSalt {
    /// The salt.
    pub salt: i64,
    /// First second (unix time) the salt is accepted.
    pub valid_since: i64,
    /// First second it is no longer accepted.
    pub valid_until: i64,
}

impl FutureSalt {
    /// Whether the salt is accepted at `now`.
    pub fn valid_at(&self, now: i64) -> bool {
        self.valid_since <= now && now < self.valid_until
    }
}

/// The salts a server accepts for one session, at most [`MAX_FUTURE_SALTS`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SaltSchedule {
    salts: Vec<FutureSalt>,
}

impl Default for SaltSchedule {
    fn default() -> Self {
        Self::new(&[])
    }
}

impl SaltSchedule {
    /// A schedule holding the first [`MAX_FUTURE_SALTS`] of `salts`.
    pub fn new(salts: &[FutureSalt]) -> Self {
        let mut s = Self {
            salts: Vec::with_capacity(MAX_FUTURE_SALTS),
        };
        for &salt in salts.iter().take(MAX_FUTURE_SALTS) {
            s.salts.push(salt);
        }
        s
    }

    /// Bytes of the preallocated list.
    pub fn heap_bytes(&self) -> usize {
        self.salts
            .capacity()
            .saturating_mul(size_of::<FutureSalt>())
    }

    /// The salts held.
    pub fn salts(&self) -> &[FutureSalt] {
        &self.salts
    }

    /// Whether `salt` is accepted at `now` (R11; else `bad_server_salt`, code 48).
    pub fn accepts(&self, salt: i64, now: i64) -> bool {
        self.salts.iter().any(|s| s.salt == salt && s.valid_at(now))
    }

    /// The salt to tell a client about at `now` (in `bad_server_salt`): of those valid, the one
    /// that became valid last.
    pub fn current(&self, now: i64) -> Option<i64> {
        self.salts
            .iter()
            .filter(|s| s.valid_at(now))
            .max_by_key(|s| s.valid_since)
            .map(|s| s.salt)
    }

    /// Rotate: forget the salts expired at `now`, then add `next` if there is room. Returns
    /// whether it was added.
    pub fn rotate(&mut self, now: i64, next: FutureSalt) -> bool {
        self.salts.retain(|s| s.valid_until > now);
        if self.salts.len() >= MAX_FUTURE_SALTS {
            return false;
        }
        self.salts.push(next);
        true
    }
}
