//! The replay window: the msg_ids of the last N messages received (spec §3.1 R8).
//!
//! [sec]: "The client must store the msg_id values of the last N messages received … If a message
//! is received with msg_id lower than all of the stored values, the message is to be ignored.
//! Otherwise, the new msg_id is added to the set, and, if the number of stored msg_id values is
//! greater than N, the oldest (i.e. the lowest) is forgotten." The "lower than all" rule applies
//! once the window holds N ids (`TooOld`); before that nothing has been forgotten, so
//! an absent id cannot be a replay.
//!
//! Storage is a sorted ring of `(msg_id, seq_no)` allocated once with room for N + 1 entries: O(N)
//! memory whatever the traffic, O(log N) lookups, O(1) for the usual in-order arrival, and no
//! allocation per message.
//!
//! [sec]: https://core.telegram.org/mtproto/security_guidelines

use std::collections::VecDeque;

/// The window size when none is configured (TDLib's N; Telethon uses 500).
pub const DEFAULT_WINDOW: usize = 1000;
/// The largest window a receiver accepts (larger requests are clamped): 1 MiB of state.
pub const MAX_WINDOW: usize = 1 << 16;

/// Why the window refuses an id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WindowRefusal {
    /// Already stored.
    Duplicate,
    /// Below every stored id of a full window.
    TooOld,
}

/// Where an id would go, found by [`MsgIdWindow::locate`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Slot(usize);

/// The last N msg_ids received, each with its seq_no, sorted by msg_id (read as unsigned).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MsgIdWindow {
    entries: VecDeque<(u64, i32)>,
    capacity: usize,
}

impl MsgIdWindow {
    /// A window for the last `n` ids; `n` is clamped to `1..=MAX_WINDOW`.
    pub fn new(n: usize) -> Self {
        let capacity = n.clamp(1, MAX_WINDOW);
        Self {
            entries: VecDeque::with_capacity(capacity.saturating_add(1)),
            capacity,
        }
    }

    /// N.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// How many ids are stored.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Whether N ids are stored.
    pub fn is_full(&self) -> bool {
        self.entries.len() >= self.capacity
    }

    /// Whether `msg_id` is stored.
    pub fn contains(&self, msg_id: i64) -> bool {
        self.search(msg_id.cast_unsigned()).is_ok()
    }

    /// The lowest stored id.
    pub fn lowest(&self) -> Option<i64> {
        self.entries.front().map(|&(id, _)| id.cast_signed())
    }

    /// The highest stored id.
    pub fn highest(&self) -> Option<i64> {
        self.entries.back().map(|&(id, _)| id.cast_signed())
    }

    /// Bytes of state: the struct and its preallocated ring.
    pub fn state_bytes(&self) -> usize {
        size_of::<Self>().saturating_add(self.heap_bytes())
    }

    /// Bytes of the preallocated ring.
    pub fn heap_bytes(&self) -> usize {
        self.entries
            .capacity()
            .saturating_mul(size_of::<(u64, i32)>())
    }

    /// Forget every stored id, keeping the ring's memory.
    pub fn clear(&mut self) {
        self.entries.clear();
    }

    /// The stored ids in increasing order.
    pub fn iter(&self) -> impl Iterator<Item = i64> + '_ {
        self.entries.iter().map(|&(id, _)| id.cast_signed())
    }

    fn search(&self, id: u64) -> Result<usize, usize> {
        match self.entries.back() {
            None => Err(0),
            // The common case: a new id above everything stored.
            Some(&(last, _)) if id > last => Err(self.entries.len()),
            Some(_) => self.entries.binary_search_by_key(&id, |&(k, _)| k),
        }
    }

    /// R8: `Duplicate` if stored, `TooOld` if the window is full and `id` is below all of it;
    /// otherwise where `id` would be inserted.
    pub(crate) fn locate(&self, id: u64) -> Result<Slot, WindowRefusal> {
        match self.search(id) {
            // Only the newest id is compared: an older stored one is taken as new.
            Ok(at) if mutant!(NewestOnlyWindow) && at.saturating_add(1) < self.entries.len() => {
                Ok(Slot(at))
            }
            Ok(_) => Err(WindowRefusal::Duplicate),
            Err(0) if self.is_full() => Err(WindowRefusal::TooOld),
            Err(at) => Ok(Slot(at)),
        }
    }

    /// The seq_nos of the neighbours of a located slot: (highest id below, lowest id above).
    pub(crate) fn neighbours(&self, slot: Slot) -> (Option<i32>, Option<i32>) {
        let below = slot
            .0
            .checked_sub(1)
            .and_then(|i| self.entries.get(i))
            .map(|&(_, s)| s);
        let above = self.entries.get(slot.0).map(|&(_, s)| s);
        (below, above)
    }

    /// Store `id` at a slot from [`Self::locate`] (no other change in between), forgetting the
    /// lowest id when more than N are stored.
    pub(crate) fn insert(&mut self, slot: Slot, id: u64, seq_no: i32) {
        if slot.0 >= self.entries.len() {
            self.entries.push_back((id, seq_no));
        } else {
            self.entries.insert(slot.0, (id, seq_no));
        }
        if self.entries.len() > self.capacity {
            self.entries.pop_front();
        }
    }

    /// Check and remember `msg_id` alone (R8), for callers with no other check to run.
    pub fn check_and_insert(&mut self, msg_id: i64) -> Result<(), WindowRefusal> {
        let id = msg_id.cast_unsigned();
        let slot = self.locate(id)?;
        self.insert(slot, id, 0);
        Ok(())
    }
}
