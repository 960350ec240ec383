//! A plain model of the session receivers (<https://core.telegram.org/mtproto/description>,
//! <https://core.telegram.org/mtproto/service_messages>), written as simply as possible:
//! a `BTreeMap` of msg_id ⇒ seq_no and the rules one after the other, no performance tricks.
//!
//! Three uses, one copy: the reference's state-machine property test
//! (`harness/mtproto/tests/session.rs`) and the `session_client` / `session_server` fuzz targets
//! check the real receivers against it step for step, and the vectors crate's `session_bugs` test
//! runs the shipped traces through copies of it built with one [`Bug`] each
//! and checks the suite catches every one. Both tests include this file by path (so it must only
//! use `std`): neither crate depends on this one.
#![allow(dead_code, clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::ops::Bound::{Excluded, Unbounded};

/// One bug a real receiver has been seen (or could be expected) to have.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Bug {
    /// Remembers only the newest msg_id: an older stored one replayed is accepted.
    KeepOnlyNewest,
    /// "Highest seen" moves backwards to an out-of-order msg_id, and ids above it skip the lookup.
    HighestSeenMovesBackwards,
    /// The lower-than-all rule waits for a buffer of 2N to fill, which eviction at N never does.
    LowerThanAllSkippedUntilFull,
    /// No msg_id parity check.
    NoParityCheck,
    /// No time window.
    NoTimeWindow,
    /// A client applying the time window before its clock is synchronised.
    TimeWindowWhenUnsynced,
    /// No session_id check.
    NoSessionCheck,
    /// A rejected msg_id is remembered anyway.
    RejectedIdRemembered,
    /// Server: no seq_no checks at all.
    NoSeqNoCheck,
    /// Server: only [ssm]'s msg_id/seq_no consistency rules, no "next seq_no" (the reordering
    /// attack goes through).
    DocOnlySeqNoRules,
    /// Server: no salt check.
    NoSaltCheck,
    /// Server: only the newest valid salt is accepted (no overlap).
    SaltNoOverlap,
    /// No container rules (nesting, size, nested msg_ids, seq_no).
    NoContainerRules,
    /// A container of exactly 1024 messages is refused.
    ContainerLimitOffByOne,
}

impl Bug {
    /// Every bug.
    pub const ALL: &[Bug] = &[
        Bug::KeepOnlyNewest,
        Bug::HighestSeenMovesBackwards,
        Bug::LowerThanAllSkippedUntilFull,
        Bug::NoParityCheck,
        Bug::NoTimeWindow,
        Bug::TimeWindowWhenUnsynced,
        Bug::NoSessionCheck,
        Bug::RejectedIdRemembered,
        Bug::NoSeqNoCheck,
        Bug::DocOnlySeqNoRules,
        Bug::NoSaltCheck,
        Bug::SaltNoOverlap,
        Bug::NoContainerRules,
        Bug::ContainerLimitOffByOne,
    ];
}

/// A verdict: accepted, ignored with an error name, or a `bad_msg_notification` code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum V {
    /// Accepted.
    Accept,
    /// Ignored (client, or a server duplicate), with the error name.
    Ignore(&'static str),
    /// Server: answered with `bad_msg_notification` / `bad_server_salt` of this code.
    Bad(i32),
}

/// One delivered message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Msg {
    /// The receiver's clock, unix seconds.
    pub now: i64,
    /// `session_id`.
    pub session_id: i64,
    /// `salt`.
    pub salt: i64,
    /// `msg_id`.
    pub msg_id: i64,
    /// `seq_no`.
    pub seq_no: i32,
    /// Whether the message is content-related.
    pub content_related: bool,
}

/// A message inside a container.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Inner {
    /// `msg_id`.
    pub msg_id: i64,
    /// `seqno`.
    pub seq_no: i32,
    /// Whether the message is content-related.
    pub content_related: bool,
    /// Whether its body is itself a `msg_container`.
    pub is_container: bool,
}

/// The model receiver.
#[derive(Clone, Debug)]
pub struct Model {
    /// The server's receiver (else the client's).
    pub server: bool,
    /// Replay window size N.
    pub window: usize,
    /// Client: whether its clock is synchronised (the time window applies).
    pub synced: bool,
    /// The session.
    pub session_id: i64,
    /// (salt, valid_since, valid_until)
    pub salts: Vec<(i64, i64, i64)>,
    /// The bug this copy has, if any.
    pub bug: Option<Bug>,
    ids: BTreeMap<u64, i32>,
    count: i32,
    newest: Option<u64>,
    highest: Option<u64>,
}

impl Model {
    /// A client receiver.
    pub fn client(session_id: i64, window: usize, synced: bool, bug: Option<Bug>) -> Self {
        Self::new(false, session_id, window, synced, Vec::new(), bug)
    }

    /// A server receiver.
    pub fn server(
        session_id: i64,
        window: usize,
        salts: Vec<(i64, i64, i64)>,
        bug: Option<Bug>,
    ) -> Self {
        Self::new(true, session_id, window, true, salts, bug)
    }

    fn new(
        server: bool,
        session_id: i64,
        window: usize,
        synced: bool,
        salts: Vec<(i64, i64, i64)>,
        bug: Option<Bug>,
    ) -> Self {
        Self {
            server,
            window: window.max(1),
            synced,
            session_id,
            salts,
            bug,
            ids: BTreeMap::new(),
            count: 0,
            newest: None,
            highest: None,
        }
    }

    fn has(&self, bug: Bug) -> bool {
        self.bug == Some(bug)
    }

    fn reject(&self, client: &'static str, code: i32) -> V {
        if self.server {
            V::Bad(code)
        } else {
            V::Ignore(client)
        }
    }

    /// Session, parity and (unless `inner`) time.
    fn id_checks(&self, m: &Msg, inner: bool) -> Option<V> {
        if !inner && m.session_id != self.session_id && !self.has(Bug::NoSessionCheck) {
            return Some(V::Ignore("SessionIdMismatch"));
        }
        let id = m.msg_id as u64;
        let parity_ok = if self.server {
            id.is_multiple_of(4)
        } else {
            id % 2 == 1
        };
        if !parity_ok && !self.has(Bug::NoParityCheck) {
            return Some(self.reject("MsgIdParity", 18));
        }
        let time = self.server || self.synced || self.has(Bug::TimeWindowWhenUnsynced);
        if !inner && time && !self.has(Bug::NoTimeWindow) {
            let t = id as i128;
            if t < ((m.now as i128) - 300) * (1i128 << 32) {
                return Some(self.reject("TimeTooFarPast", 16));
            }
            if t > ((m.now as i128) + 30) * (1i128 << 32) {
                return Some(self.reject("TimeTooFarFuture", 17));
            }
        }
        None
    }

    /// R8: `Some(verdict)` when the window refuses the id.
    fn window_check(&self, id: u64, container: bool) -> Option<V> {
        let dup = if self.has(Bug::KeepOnlyNewest) {
            self.newest == Some(id)
        } else if self.has(Bug::HighestSeenMovesBackwards) && self.highest.is_some_and(|h| id > h) {
            false
        } else {
            self.ids.contains_key(&id)
        };
        if dup {
            return Some(if self.server && container {
                V::Bad(19)
            } else {
                V::Ignore("Duplicate")
            });
        }
        let full = if self.has(Bug::LowerThanAllSkippedUntilFull) {
            self.ids.len() >= 2 * self.window
        } else {
            self.ids.len() >= self.window
        };
        let lowest = self.ids.keys().next().copied();
        if !self.has(Bug::KeepOnlyNewest) && full && lowest.is_some_and(|l| id < l) {
            return Some(self.reject("TooOld", 20));
        }
        None
    }

    fn seq_checks(&self, id: u64, seq: i32, content: bool) -> Option<V> {
        if self.has(Bug::NoSeqNoCheck) {
            return None;
        }
        let odd = seq % 2 != 0;
        if content && !odd {
            return Some(V::Bad(35));
        }
        if !content && odd {
            return Some(V::Bad(34));
        }
        if !self.has(Bug::DocOnlySeqNoRules) {
            let want = 2 * self.count + i32::from(content);
            if seq < want {
                return Some(V::Bad(32));
            }
            if seq > want {
                return Some(V::Bad(33));
            }
        }
        self.consistency(id, seq)
    }

    /// [ssm] 32 / 33 against every stored message.
    fn consistency(&self, id: u64, seq: i32) -> Option<V> {
        if self.has(Bug::NoSeqNoCheck) {
            return None;
        }
        let odd = seq % 2 != 0;
        if self
            .ids
            .range(..id)
            .any(|(_, &s)| s > seq || (s == seq && odd))
        {
            return Some(V::Bad(32));
        }
        if self
            .ids
            .range((Excluded(id), Unbounded))
            .any(|(_, &s)| s < seq || (s == seq && odd))
        {
            return Some(V::Bad(33));
        }
        None
    }

    fn salt_ok(&self, salt: i64, now: i64) -> bool {
        if self.has(Bug::NoSaltCheck) {
            return true;
        }
        let mut valid = self.salts.iter().filter(|s| s.1 <= now && now < s.2);
        if self.has(Bug::SaltNoOverlap) {
            return valid.max_by_key(|s| s.1).is_some_and(|s| s.0 == salt);
        }
        valid.any(|s| s.0 == salt)
    }

    fn remember(&mut self, id: u64, seq: i32) {
        self.ids.insert(id, seq);
        if self.ids.len() > self.window {
            let lowest = *self.ids.keys().next().unwrap();
            self.ids.remove(&lowest);
        }
        self.newest = Some(self.newest.map_or(id, |n| n.max(id)));
        self.highest = Some(id);
    }

    /// Remember a rejected id under [`Bug::RejectedIdRemembered`].
    fn rejected(&mut self, id: u64, v: V) -> V {
        if self.has(Bug::RejectedIdRemembered) && v != V::Ignore("Duplicate") {
            self.remember(id, -1);
        }
        v
    }

    fn message(&mut self, m: &Msg, inner: bool) -> V {
        let id = m.msg_id as u64;
        if let Some(v) = self.id_checks(m, inner) {
            return self.rejected(id, v);
        }
        if let Some(v) = self.window_check(id, false) {
            return self.rejected(id, v);
        }
        if self.server {
            if let Some(v) = self.seq_checks(id, m.seq_no, m.content_related) {
                return self.rejected(id, v);
            }
            if !inner && !self.salt_ok(m.salt, m.now) {
                return self.rejected(id, V::Bad(48));
            }
            if m.content_related {
                self.count += 1;
            }
        }
        self.remember(id, if self.server { m.seq_no } else { 0 });
        V::Accept
    }

    /// A message that is not a container.
    pub fn feed(&mut self, m: &Msg) -> V {
        self.message(m, false)
    }

    /// A container and, when it is accepted, each message it holds.
    pub fn feed_container(&mut self, m: &Msg, inner: &[Inner]) -> (V, Option<Vec<V>>) {
        let id = m.msg_id as u64;
        if let Some(v) = self.id_checks(m, false) {
            return (self.rejected(id, v), None);
        }
        if let Some(v) = self.window_check(id, true) {
            return (self.rejected(id, v), None);
        }
        if self.server && (m.seq_no % 2 != 0 || m.content_related) && !self.has(Bug::NoSeqNoCheck) {
            return (self.rejected(id, V::Bad(34)), None);
        }
        if !self.has(Bug::NoContainerRules) {
            let limit = if self.has(Bug::ContainerLimitOffByOne) {
                1023
            } else {
                1024
            };
            let broken = if inner.iter().any(|i| i.is_container) {
                Some("ContainerNested")
            } else if inner.len() > limit {
                Some("ContainerTooLarge")
            } else if inner.iter().any(|i| i.msg_id as u64 >= id) {
                Some("ContainerMsgIdNotGreatest")
            } else if self.server && inner.iter().any(|i| i.seq_no > m.seq_no) {
                Some("ContainerSeqNoBelowInner")
            } else {
                None
            };
            if let Some(name) = broken {
                let v = self.reject(name, 64);
                return (self.rejected(id, v), None);
            }
        }
        if self.server {
            if let Some(v) = self.consistency(id, m.seq_no) {
                return (self.rejected(id, v), None);
            }
            if !self.salt_ok(m.salt, m.now) {
                return (self.rejected(id, V::Bad(48)), None);
            }
        }
        self.remember(id, if self.server { m.seq_no } else { 0 });
        let verdicts = inner
            .iter()
            .map(|i| {
                self.message(
                    &Msg {
                        now: m.now,
                        session_id: m.session_id,
                        salt: m.salt,
                        msg_id: i.msg_id,
                        seq_no: i.seq_no,
                        content_related: i.content_related,
                    },
                    true,
                )
            })
            .collect();
        (V::Accept, Some(verdicts))
    }

    /// The stored ids, ascending.
    pub fn stored(&self) -> Vec<i64> {
        self.stored_ids().collect()
    }

    /// How many msg_ids are stored.
    pub fn stored_len(&self) -> usize {
        self.ids.len()
    }

    /// [`Model::stored`] without collecting them.
    pub fn stored_ids(&self) -> impl Iterator<Item = i64> + '_ {
        self.ids.keys().map(|&k| k as i64)
    }
}
