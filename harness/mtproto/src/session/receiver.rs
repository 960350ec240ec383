//! The client and server receivers (spec §3.1 R6–R12, §3.3, §10.2 attack 1).

use super::ack::AckQueue;
use super::container::MAX_CONTAINER_MESSAGES;
use super::salt::SaltSchedule;
use super::window::{MsgIdWindow, Slot, WindowRefusal};
use super::{DEFAULT_WINDOW, TimeVerdict, time_verdict};
use crate::envelope::Receiver;
use crate::error::SessionError;

/// The header fields of a decrypted message that the session layer checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Inbound {
    /// `session_id`.
    pub session_id: i64,
    /// `salt` (server_salt).
    pub salt: i64,
    /// `msg_id`.
    pub msg_id: i64,
    /// `seq_no`.
    pub seq_no: i32,
    /// Whether the body is content-related (everything but `msgs_ack`, `msg_container`,
    /// `msg_copy`, `gzip_packed`, pings and the like; the caller knows from the constructor).
    pub content_related: bool,
}

/// A message inside a container, as the receivers see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct InnerHeader {
    /// `msg_id`.
    pub msg_id: i64,
    /// `seqno`.
    pub seq_no: i32,
    /// Whether the body is content-related.
    pub content_related: bool,
    /// Whether the body is itself a `msg_container` (R12 forbids it).
    pub is_container: bool,
}

/// A message passed every check and is remembered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[must_use]
pub struct Accepted {
    /// A standalone `msgs_ack` should be sent now ([`AckQueue::ack_due`]).
    pub ack_due: bool,
}

/// A client receiver's settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ClientConfig {
    /// N, the replay window (R8; clamped to `1..=MAX_WINDOW`).
    pub window: usize,
    /// Whether the client's clock is synchronised with the server's (R9: the time window applies
    /// only then; `now` is then the corrected time).
    pub clock_synced: bool,
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            window: DEFAULT_WINDOW,
            clock_synced: false,
        }
    }
}

/// A server receiver's settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ServerConfig {
    /// N, the replay window (R8).
    pub window: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            window: DEFAULT_WINDOW,
        }
    }
}

fn refusal(r: WindowRefusal, receiver: Receiver) -> SessionError {
    match r {
        WindowRefusal::Duplicate => SessionError::Duplicate { receiver },
        WindowRefusal::TooOld => SessionError::TooOld { receiver },
    }
}

/// R9 on one msg_id.
fn check_time(now: i64, id: u64, receiver: Receiver) -> Result<(), SessionError> {
    match time_verdict(now, id) {
        TimeVerdict::InWindow => Ok(()),
        TimeVerdict::TooFarPast => Err(SessionError::TimeTooFarPast { receiver }),
        TimeVerdict::TooFarFuture => Err(SessionError::TimeTooFarFuture { receiver }),
    }
}

/// R12 on a container's nested messages (the container's own checks come first).
fn check_container_structure(
    msg_id: i64,
    inner: &[InnerHeader],
    receiver: Receiver,
) -> Result<(), SessionError> {
    if inner.iter().any(|m| m.is_container) {
        return Err(SessionError::ContainerNested { receiver });
    }
    if inner.len() > MAX_CONTAINER_MESSAGES {
        return Err(SessionError::ContainerTooLarge { receiver });
    }
    let id = msg_id.cast_unsigned();
    if inner.iter().any(|m| m.msg_id.cast_unsigned() >= id) {
        return Err(SessionError::ContainerMsgIdNotGreatest { receiver });
    }
    Ok(())
}

/// A client receiving server messages (spec §3.1, client column).
///
/// Checks, in order ([sec]): `session_id` is ours (R6); the msg_id is odd, "server message
/// identifiers modulo 4 yield 1 or 3" (R7); once the clock is synchronised, its time is within
/// 300 s before and 30 s after `now` (R9); it is not among the last N msg_ids received and, the
/// window being full, not lower than all of them (R8). seq_no is not validated by clients (R10,
/// [amps-paper] §4.3), but every accepted content-related message is queued for `msgs_ack`.
///
/// [sec]: https://core.telegram.org/mtproto/security_guidelines
/// [amps-paper]: https://eprint.iacr.org/2023/469
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientReceiver {
    session_id: i64,
    window: MsgIdWindow,
    clock_synced: bool,
    acks: AckQueue,
}

impl ClientReceiver {
    /// A receiver for `session_id`.
    pub fn new(session_id: i64, config: ClientConfig) -> Self {
        Self {
            session_id,
            window: MsgIdWindow::new(config.window),
            clock_synced: config.clock_synced,
            acks: AckQueue::new(),
        }
    }

    /// Start session `session_id` afresh: every msg_id and pending ack is forgotten, the
    /// window's and the ack queue's memory is kept (no allocation). The receiver then equals
    /// `ClientReceiver::new(session_id, config)` for its window and clock setting.
    pub fn reset(&mut self, session_id: i64) {
        self.session_id = session_id;
        self.window.clear();
        self.acks.clear();
    }

    /// Whether the time window is applied.
    pub fn clock_synced(&self) -> bool {
        self.clock_synced
    }

    /// Start (or stop) applying the time window: once the offset to the server's clock is known,
    /// `now` passed in is the corrected time.
    pub fn set_clock_synced(&mut self, synced: bool) {
        self.clock_synced = synced;
    }

    /// The replay window.
    pub fn window(&self) -> &MsgIdWindow {
        &self.window
    }

    /// The acks waiting.
    pub fn acks(&mut self) -> &mut AckQueue {
        &mut self.acks
    }

    /// Bytes of state (window and ack queue included).
    pub fn state_bytes(&self) -> usize {
        size_of::<Self>()
            .saturating_add(self.window.heap_bytes())
            .saturating_add(self.acks.heap_bytes())
    }

    /// R7–R9 then R8 on one msg_id, remembering it when it passes: the hot path.
    pub fn check_msg_id(&mut self, now: i64, msg_id: i64) -> Result<(), SessionError> {
        let slot = self.locate(now, msg_id, true)?;
        self.window.insert(slot, msg_id.cast_unsigned(), 0);
        Ok(())
    }

    fn locate(&self, now: i64, msg_id: i64, check_time_window: bool) -> Result<Slot, SessionError> {
        const R: Receiver = Receiver::Client;
        let id = msg_id.cast_unsigned();
        if id & 1 == 0 && !mutant!(AcceptEvenServerMsgId) {
            return Err(SessionError::MsgIdParity { receiver: R });
        }
        if self.clock_synced && check_time_window {
            check_time(now, id, R)?;
        }
        self.window.locate(id).map_err(|r| refusal(r, R))
    }

    fn accept(
        &mut self,
        slot: Slot,
        msg_id: i64,
        content_related: bool,
    ) -> Result<Accepted, SessionError> {
        if content_related && self.acks.is_full() {
            return Err(SessionError::AckBacklogFull);
        }
        self.window.insert(slot, msg_id.cast_unsigned(), 0);
        if content_related {
            self.acks.push(msg_id);
        }
        Ok(Accepted {
            ack_due: self.acks.ack_due(),
        })
    }

    /// Every client check on a message (not a container).
    pub fn receive(&mut self, now: i64, msg: &Inbound) -> Result<Accepted, SessionError> {
        self.receive_inner_or_not(now, msg, true)
    }

    /// R9's exception: "service messages carrying client data (e.g. `bad_server_salt`,
    /// `bad_msg_notification` about a msg_id the client sent recently) may be processed even if
    /// the time looks wrong" ([sec]). Every other check applies. The caller must first have
    /// checked that the notification is about a message it sent recently ([ssm]).
    ///
    /// [sec]: https://core.telegram.org/mtproto/security_guidelines
    /// [ssm]: https://core.telegram.org/mtproto/service_messages_about_messages
    pub fn receive_time_exempt(&mut self, msg: &Inbound) -> Result<Accepted, SessionError> {
        self.receive_inner_or_not(0, msg, false)
    }

    fn receive_inner_or_not(
        &mut self,
        now: i64,
        msg: &Inbound,
        time: bool,
    ) -> Result<Accepted, SessionError> {
        if msg.session_id != self.session_id {
            return Err(SessionError::SessionIdMismatch {
                receiver: Receiver::Client,
            });
        }
        let slot = self.locate(now, msg.msg_id, time)?;
        self.accept(slot, msg.msg_id, msg.content_related)
    }

    /// A `msg_container`: the container's own checks, then R12 (no nesting, at most 1024
    /// messages, every nested msg_id lower). On success the container's msg_id is remembered;
    /// pass each nested message to [`Self::receive_inner`].
    pub fn receive_container(
        &mut self,
        now: i64,
        container: &Inbound,
        inner: &[InnerHeader],
    ) -> Result<(), SessionError> {
        if container.session_id != self.session_id {
            return Err(SessionError::SessionIdMismatch {
                receiver: Receiver::Client,
            });
        }
        let slot = self.locate(now, container.msg_id, true)?;
        check_container_structure(container.msg_id, inner, Receiver::Client)?;
        self.window
            .insert(slot, container.msg_id.cast_unsigned(), 0);
        Ok(())
    }

    /// A message from an accepted container. Its time is not checked: the container's msg_id
    /// governs ([desc]: a message too old to be accepted is re-sent "inside a container with a
    /// higher msg_id"); everything else is.
    ///
    /// [desc]: https://core.telegram.org/mtproto/description
    pub fn receive_inner(&mut self, inner: &InnerHeader) -> Result<Accepted, SessionError> {
        let slot = self.locate(0, inner.msg_id, false)?;
        self.accept(slot, inner.msg_id, inner.content_related)
    }
}

/// A server receiving client messages (spec §3.1, server column; §3.3; §10.2 attack 1).
///
/// Checks, in order: `session_id` (R6, discarded); msg_id ≡ 0 mod 4 (R7, code 18); its time
/// within 300 s before and 30 s after `now` (R9, "especially important for the server": codes 16
/// and 17); not a duplicate (R8, ignored) and not lower than all of a full window (code 20); seq_no
/// odd exactly when content-related (codes 35 and 34); seq_no in order (codes 32 and 33); the salt
/// valid now (R11, `bad_server_salt` 48).
///
/// **Order.** [ssm] defines code 32 as "the server has already received a message with a lower
/// msg_id but with either a higher or an equal and odd seqno" and 33 as "a message with a higher
/// msg_id but with either a lower or an equal and odd seqno". Those rules alone let the
/// reordering attack of Albrecht et al. through ([amps-paper] §4.3: two messages delivered in the
/// opposite order have consistent msg_ids and seq_nos and are both accepted). This receiver also
/// requires the seq_no the session expects next, `2·(content-related messages accepted)` (+1 for
/// a content-related message): a higher one means a message is missing or was overtaken (33), a
/// lower one that it was already counted (32). A message whose msg_id is lower than one already
/// received is accepted only where [ssm]'s rules allow it (a non-content-related message such as
/// an ack, whose seq_no ties with the later message's even seq_no).
///
/// [ssm]: https://core.telegram.org/mtproto/service_messages_about_messages
/// [amps-paper]: https://eprint.iacr.org/2023/469
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerReceiver {
    session_id: i64,
    window: MsgIdWindow,
    salts: SaltSchedule,
    content_count: u32,
    acks: AckQueue,
}

impl ServerReceiver {
    /// A receiver for `session_id` accepting the salts of `salts`.
    pub fn new(session_id: i64, config: ServerConfig, salts: SaltSchedule) -> Self {
        Self {
            session_id,
            window: MsgIdWindow::new(config.window),
            salts,
            content_count: 0,
            acks: AckQueue::new(),
        }
    }

    /// The replay window.
    pub fn window(&self) -> &MsgIdWindow {
        &self.window
    }

    /// Start session `session_id` afresh: every msg_id and pending ack is forgotten and the
    /// content-related count restarts at 0; the salt schedule is kept (salts belong to the auth
    /// key, not the session) and so is the memory (no allocation).
    pub fn reset(&mut self, session_id: i64) {
        self.session_id = session_id;
        self.window.clear();
        self.acks.clear();
        self.content_count = 0;
    }

    /// The salts accepted.
    pub fn salts(&mut self) -> &mut SaltSchedule {
        &mut self.salts
    }

    /// The acks waiting.
    pub fn acks(&mut self) -> &mut AckQueue {
        &mut self.acks
    }

    /// Content-related messages accepted so far.
    pub fn content_count(&self) -> u32 {
        self.content_count
    }

    /// Bytes of state (window, salts and ack queue included).
    pub fn state_bytes(&self) -> usize {
        size_of::<Self>()
            .saturating_add(self.window.heap_bytes())
            .saturating_add(self.salts.heap_bytes())
            .saturating_add(self.acks.heap_bytes())
    }

    /// The seq_no the next message must carry.
    fn expected_seq_no(&self, content_related: bool) -> Result<i32, SessionError> {
        let base = i32::try_from(self.content_count)
            .ok()
            .and_then(|c| c.checked_mul(2))
            .ok_or(SessionError::Exhausted)?;
        base.checked_add(i32::from(content_related))
            .ok_or(SessionError::Exhausted)
    }

    /// R7, R9, R8 (codes 18, 16/17, ignore, 20).
    fn locate(
        &self,
        now: i64,
        msg_id: i64,
        time: bool,
        container: bool,
    ) -> Result<Slot, SessionError> {
        const R: Receiver = Receiver::Server;
        let id = msg_id.cast_unsigned();
        if id & 3 != 0 {
            return Err(SessionError::MsgIdParity { receiver: R });
        }
        if time {
            check_time(now, id, R)?;
        }
        self.window.locate(id).map_err(|r| match r {
            WindowRefusal::Duplicate if container => SessionError::ContainerMsgIdReused,
            r => refusal(r, R),
        })
    }

    /// [ssm]'s consistency rules against the neighbours in msg_id order (codes 32, 33).
    fn check_neighbours(&self, slot: Slot, seq_no: i32) -> Result<(), SessionError> {
        let odd = seq_no & 1 == 1;
        let (below, above) = self.window.neighbours(slot);
        if below.is_some_and(|s| s > seq_no || (s == seq_no && odd)) {
            return Err(SessionError::SeqNoTooLow);
        }
        if above.is_some_and(|s| s < seq_no || (s == seq_no && odd)) {
            return Err(SessionError::SeqNoTooHigh);
        }
        Ok(())
    }

    /// Codes 35/34, then the expected seq_no (32/33), then the neighbours.
    fn check_seq_no(
        &self,
        slot: Slot,
        seq_no: i32,
        content_related: bool,
    ) -> Result<(), SessionError> {
        let odd = seq_no & 1 == 1;
        if content_related && !odd {
            return Err(SessionError::SeqNoShouldBeOdd);
        }
        if !content_related && odd {
            return Err(SessionError::SeqNoShouldBeEven);
        }
        let want = self.expected_seq_no(content_related)?;
        if seq_no < want {
            return Err(SessionError::SeqNoTooLow);
        }
        if seq_no > want {
            return Err(SessionError::SeqNoTooHigh);
        }
        self.check_neighbours(slot, seq_no)
    }

    fn accept(
        &mut self,
        slot: Slot,
        msg_id: i64,
        seq_no: i32,
        content_related: bool,
    ) -> Result<Accepted, SessionError> {
        if content_related {
            if self.acks.is_full() {
                return Err(SessionError::AckBacklogFull);
            }
            self.content_count = self
                .content_count
                .checked_add(1)
                .ok_or(SessionError::Exhausted)?;
            self.acks.push(msg_id);
        }
        self.window.insert(slot, msg_id.cast_unsigned(), seq_no);
        Ok(Accepted {
            ack_due: self.acks.ack_due(),
        })
    }

    /// Every server check on a message (not a container).
    pub fn receive(&mut self, now: i64, msg: &Inbound) -> Result<Accepted, SessionError> {
        if msg.session_id != self.session_id {
            return Err(SessionError::SessionIdMismatch {
                receiver: Receiver::Server,
            });
        }
        let slot = self.locate(now, msg.msg_id, true, false)?;
        self.check_seq_no(slot, msg.seq_no, msg.content_related)?;
        if !self.salts.accepts(msg.salt, now) {
            return Err(SessionError::BadServerSalt);
        }
        self.accept(slot, msg.msg_id, msg.seq_no, msg.content_related)
    }

    /// A `msg_container`: session, msg_id checks (a reused msg_id is code 19), not content-related
    /// (34), R12 (no nesting, at most 1024 messages, every nested msg_id lower, seq_no at least
    /// every nested one: 64), seq_no consistent with its neighbours, salt (48). On success the
    /// container is remembered; pass each nested message to [`Self::receive_inner`].
    ///
    /// The container's seq_no is not held to the session's next value: the sender numbers it after
    /// the messages it holds, which the server has not counted yet.
    pub fn receive_container(
        &mut self,
        now: i64,
        container: &Inbound,
        inner: &[InnerHeader],
    ) -> Result<(), SessionError> {
        if container.session_id != self.session_id {
            return Err(SessionError::SessionIdMismatch {
                receiver: Receiver::Server,
            });
        }
        let slot = self.locate(now, container.msg_id, true, true)?;
        if container.content_related || container.seq_no & 1 == 1 {
            return Err(SessionError::SeqNoShouldBeEven);
        }
        check_container_structure(container.msg_id, inner, Receiver::Server)?;
        if inner.iter().any(|m| m.seq_no > container.seq_no) {
            return Err(SessionError::ContainerSeqNoBelowInner);
        }
        self.check_neighbours(slot, container.seq_no)?;
        if !self.salts.accepts(container.salt, now) {
            return Err(SessionError::BadServerSalt);
        }
        self.window
            .insert(slot, container.msg_id.cast_unsigned(), container.seq_no);
        Ok(())
    }

    /// A message from an accepted container: every message check but the time (the container's
    /// governs, [desc]) and the salt (the container's).
    ///
    /// [desc]: https://core.telegram.org/mtproto/description
    pub fn receive_inner(&mut self, inner: &InnerHeader) -> Result<Accepted, SessionError> {
        let slot = self.locate(0, inner.msg_id, false, false)?;
        self.check_seq_no(slot, inner.seq_no, inner.content_related)?;
        self.accept(slot, inner.msg_id, inner.seq_no, inner.content_related)
    }
}
