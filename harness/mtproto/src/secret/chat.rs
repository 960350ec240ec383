//! One side of a secret chat: keys, seq_no, re-keying and resends behind one sans-IO API.
//!
//! [`SecretChat::receive`] takes a packet as the relay delivered it and returns a [`Verdict`]:
//! the messages it made deliverable in order (none while a gap is open, several when one closes)
//! and the packets this side must send in reply (resend requests, resends, re-keying steps), or
//! the error that rejected it, or the error that closed the chat. Rejections that a relay can
//! cause (tampering, replays) change nothing; what only the peer's key holder can do wrong closes
//! the chat for good (see [`SecretError`]'s reactions).
//!
//! ## Layers (spec §8.2, [e2e], [td-sc])
//!
//! "layer > supported ⇒ notify user to update; remote layer stored, starts at 46, updated on any
//! higher layer or `decryptedMessageActionNotifyLayer`". The chat keeps:
//!
//! * **the peer's layer** ([`SecretChat::peer_layer`]): 46 at the start, raised (never lowered)
//!   by the `layer` of every message accepted (queued ones included) and by every
//!   `NotifyLayer` processed. A rise above [`LAYER`] comes back as
//!   [`Notice::PeerLayerNewer`] in the [`Verdict`]: the message is still accepted (its
//!   constructors decoded), and the application must tell the user to update.
//! * **the layer it sends** ([`SecretChat::send_layer`]): TDLib's choice, the lower of
//!   [`LAYER`] and the peer's layer, but never below 73, since this side only sends MTProto 2.0.
//! * **announcements**: [`SecretChat::announce_layer`] sends `NotifyLayer(LAYER)`; TDLib does so
//!   on both sides as soon as the chat is ready, and the application should call it then. If it
//!   has not, the first in-order message from a peer whose layer is below [`LAYER`] makes the
//!   chat reply with one `NotifyLayer(LAYER)` (once per chat), so an older peer learns that it
//!   may move up.
//! * **the layer sequence**: a message processed in order whose `layer` is below the previous
//!   in-order message's closes the chat (`LayerDecreased`, TDLib's "his_layer is not
//!   monotonic"). A `NotifyLayer` below the known layer is ignored.
//! * **MTProto 1.0** ([`message::decrypt_any`]): accepted from an older peer, but a 1.0 message
//!   whose layer is 73 or higher, or whose out_seq_no is above that of a 2.0 message already
//!   received ("after the first v2 message, all higher seq_no must be v2"), closes the chat
//!   (`MtProto1Forbidden`, as TDLib's "MTProto 1.0 encryption is forbidden for this layer").
//!   A lower out_seq_no stays allowed: a 1.0 message sent before the peer switched may arrive
//!   late. Both rules apply after the repeat check, so a replayed old 1.0 message is only a
//!   repeat. Together they are the "once both sides ≥ 73, only 2.0" rule: a peer at 73 sends
//!   layer ≥ 73 (rejected under 1.0) and cannot go back (`LayerDecreased`).
//!
//! [e2e]: https://core.telegram.org/api/end-to-end
//! [td-sc]: https://github.com/tdlib/td/blob/master/td/telegram/SecretChatActor.cpp
//!
//! Randomness (padding, `random_bytes`, `random_id`, DH secrets for re-keying) comes from the
//! 32-byte `fresh` seed each call takes, expanded with SHA-256 in counter mode; the caller must
//! pass fresh CSPRNG output (mixed with the server's `random`, spec §5, for re-keying secrets).
//! Time comes in as `now` (unix seconds). Nothing else is read.

use std::collections::{BTreeMap, BTreeSet};

use sha2::{Digest, Sha256};
use zeroize::Zeroize;

use crate::crypto::dh::{DhGroup, PRIME_LEN};
use crate::error::{ProtocolError, Reaction, SecretError};
use crate::tl::Tl;
use crate::tl::generated::secret::enums::{DecryptedMessage, DecryptedMessageAction};
use crate::tl::generated::secret::types::{
    DecryptedMessageActionAbortKey, DecryptedMessageActionNotifyLayer,
    DecryptedMessageActionResend, DecryptedMessageLayer, DecryptedMessageService17,
};

use super::key::ChatKey;
use super::message::{self, MTPROTO2_LAYER, Role, Version};
use super::rekey::{self, Rekey, RekeyOutcome, RekeyPhase};
use super::seq::{Arrival, SeqState};
use super::visual::{KEY_HASH_LEN, key_hash};

/// The layer this side announces and builds its messages at. The codec reads every layer of
/// `schema/secret.tl` (up to 144), but the chat logic and its vectors are written for 73, the
/// first layer at which only MTProto 2.0 is allowed; raising it changes the `NotifyLayer`
/// replies and the send layer the vectors expect.
pub const LAYER: i32 = 73;
/// `random_bytes` this side puts in every layer (at least 15 are required).
const RANDOM_BYTES: usize = 16;
/// The most sent messages kept for resending while the peer has not acknowledged them (its
/// in_seq_no has not passed them, spec §8.3). A peer that stops acknowledging — it may keep
/// in_seq_no unchanged forever, and every gap it opens makes this side send a resend request —
/// could otherwise grow the log without end, and one `decryptedMessageActionResend` over the
/// whole log would re-encrypt all of it. One more send is refused (`BadRequest`); inside
/// [`SecretChat::receive`] that closes the chat.
pub const MAX_UNACKED: usize = 1024;

/// A message processed in order.
#[derive(Clone, Debug, PartialEq)]
pub struct Delivered {
    /// The sender's transmitted `out_seq_no`.
    pub out_seq_no: i32,
    /// The decoded layer.
    pub layer: DecryptedMessageLayer,
}

/// Something the application must act on beyond the messages themselves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Notice {
    /// The peer's layer rose above the one this side supports: "notify user to update"
    /// (spec §8.2, [e2e]).
    ///
    /// [e2e]: https://core.telegram.org/api/end-to-end
    PeerLayerNewer {
        /// The peer's layer now.
        peer_layer: i32,
        /// [`LAYER`].
        supported: i32,
    },
}

/// What a packet did.
#[derive(Debug)]
pub enum Verdict {
    /// Accepted: `delivered` in order (empty while a gap is open), `replies` to send now, and
    /// `notices` for the application.
    Accepted {
        /// Messages now processed, in out_seq_no order.
        delivered: Vec<Delivered>,
        /// Packets this side must send (resend requests, resends, re-keying steps, a
        /// `NotifyLayer`).
        replies: Vec<Vec<u8>>,
        /// What the user must be told (a peer on a newer layer).
        notices: Vec<Notice>,
    },
    /// Rejected with no change of state (the reaction is [`Reaction::Discard`] or
    /// [`Reaction::Ignore`]).
    Rejected(SecretError),
    /// The chat is closed: by this packet (its error) or before it ([`SecretError::ChatClosed`]).
    Closed(SecretError),
}

/// SHA-256 in counter mode over a caller's 32-byte seed.
struct Expander {
    seed: [u8; 32],
    counter: u64,
}

impl Expander {
    fn new(seed: &[u8; 32]) -> Self {
        Self {
            seed: *seed,
            counter: 0,
        }
    }

    fn fill(&mut self, out: &mut [u8]) {
        for chunk in out.chunks_mut(32) {
            let mut block: [u8; 32] = Sha256::new()
                .chain_update(self.seed)
                .chain_update(b"mtproto-secret-chat")
                .chain_update(self.counter.to_le_bytes())
                .finalize()
                .into();
            self.counter = self.counter.wrapping_add(1);
            for (o, b) in chunk.iter_mut().zip(block) {
                *o = b;
            }
            block.zeroize();
        }
    }

    fn array<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        self.fill(&mut out);
        out
    }
}

impl Drop for Expander {
    fn drop(&mut self) {
        self.seed.zeroize();
    }
}

struct Slot {
    key: ChatKey,
}

/// A decrypted message waiting in the seq_no queue, with the fingerprint of the key that
/// decrypted it.
#[derive(Debug)]
struct Incoming {
    layer: DecryptedMessageLayer,
    fingerprint: [u8; 8],
}

/// One side of a secret chat.
pub struct SecretChat {
    role: Role,
    current: Slot,
    old: Option<Slot>,
    committing: Option<(i64, ChatKey)>,
    seq: SeqState<Incoming>,
    rekey: Rekey,
    sent_log: BTreeMap<u32, DecryptedMessageLayer>,
    early_resends: BTreeSet<u32>,
    peer_layer: i32,
    last_layer: Option<i32>,
    first_v2_out: Option<u32>,
    announced: bool,
    closed: bool,
    uses: u32,
    encrypted: u32,
    key_since: u64,
    visual: [u8; KEY_HASH_LEN],
}

impl core::fmt::Debug for SecretChat {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SecretChat")
            .field("role", &self.role)
            .field("fingerprint", &self.current.key.fingerprint())
            .field("sent", &self.seq.sent())
            .field("received", &self.seq.received())
            .field("closed", &self.closed)
            .finish_non_exhaustive()
    }
}

impl SecretChat {
    /// A chat that has just agreed on `key` ([`super::key`]) over the checked `group`, created
    /// at layer 46 or later (so the key visualisation is over `key` alone, spec §8.5).
    pub fn new(role: Role, key: ChatKey, group: DhGroup, now: u64) -> Self {
        let visual = key_hash(&key, None);
        Self {
            role,
            current: Slot { key },
            old: None,
            committing: None,
            seq: SeqState::new(role),
            rekey: Rekey::new(group),
            sent_log: BTreeMap::new(),
            early_resends: BTreeSet::new(),
            peer_layer: 46,
            last_layer: None,
            first_v2_out: None,
            announced: false,
            closed: false,
            uses: 0,
            encrypted: 0,
            key_since: now,
            visual,
        }
    }

    /// This side's role.
    pub fn role(&self) -> Role {
        self.role
    }

    /// The key messages are sent with.
    pub fn current_key(&self) -> &ChatKey {
        &self.current.key
    }

    /// Whether an old key is still kept for messages sent before a re-key.
    pub fn holds_old_key(&self) -> bool {
        self.old.is_some()
    }

    /// The old key kept after a re-key (spec §8.4: messages sent before the switch, the
    /// originator's Commit among them, are still under it), if any.
    pub fn old_key(&self) -> Option<&ChatKey> {
        self.old.as_ref().map(|s| &s.key)
    }

    /// The 36-byte key visualisation (spec §8.5).
    pub fn visualisation(&self) -> &[u8; KEY_HASH_LEN] {
        &self.visual
    }

    /// The peer's layer: 46 at the start, raised by every higher layer it sends or notifies.
    pub fn peer_layer(&self) -> i32 {
        self.peer_layer
    }

    /// The layer this side's messages carry: the lower of [`LAYER`] and the peer's layer, at
    /// least 73 (TDLib's `current_layer`; this side sends only MTProto 2.0).
    pub fn send_layer(&self) -> i32 {
        LAYER.min(self.peer_layer).max(MTPROTO2_LAYER)
    }

    /// Send `decryptedMessageActionNotifyLayer(LAYER)`: call it once the chat is ready (TDLib
    /// does, on both sides). Afterwards the chat does not announce on its own.
    pub fn announce_layer(&mut self, now: u64, fresh: &[u8; 32]) -> Result<Vec<u8>, SecretError> {
        let packet = self.send_action(Self::notify_layer(), now, fresh)?;
        self.announced = true;
        Ok(packet)
    }

    fn notify_layer() -> DecryptedMessageAction {
        DecryptedMessageAction::DecryptedMessageActionNotifyLayer(
            DecryptedMessageActionNotifyLayer { layer: LAYER },
        )
    }

    fn raise_peer_layer(&mut self, layer: i32, notices: &mut Vec<Notice>) {
        if layer > self.peer_layer {
            self.peer_layer = layer;
            if layer > LAYER {
                notices.push(Notice::PeerLayerNewer {
                    peer_layer: layer,
                    supported: LAYER,
                });
            }
        }
    }

    /// Messages sent and messages received in order.
    pub fn counts(&self) -> (u32, u32) {
        (self.seq.sent(), self.seq.received())
    }

    /// Whether the chat is closed.
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// The re-keying phase.
    pub fn rekey_phase(&self) -> &RekeyPhase {
        self.rekey.phase()
    }

    /// Whether the key is due for replacement at `now` ([`rekey::rekey_due`]) and no exchange is
    /// pending.
    pub fn rekey_due(&self, now: u64) -> bool {
        *self.rekey.phase() == RekeyPhase::Idle
            && self.old.is_none()
            && rekey::rekey_due(
                self.uses,
                self.encrypted,
                now.saturating_sub(self.key_since),
            )
    }

    /// Send a message: assigns its seq_nos, wraps it in a layer and encrypts it under the
    /// current key.
    pub fn send(
        &mut self,
        message: DecryptedMessage,
        now: u64,
        fresh: &[u8; 32],
    ) -> Result<Vec<u8>, SecretError> {
        self.send_with(message, now, &mut Expander::new(fresh))
    }

    /// Send a service action as `decryptedMessageService`.
    pub fn send_action(
        &mut self,
        action: DecryptedMessageAction,
        now: u64,
        fresh: &[u8; 32],
    ) -> Result<Vec<u8>, SecretError> {
        let mut rng = Expander::new(fresh);
        self.send_action_with(action, now, &mut rng)
    }

    /// Start re-keying with `exchange_id` and secret `a` (spec §8.4); returns the RequestKey
    /// packet. Refused while an exchange is pending or an old key is still kept.
    pub fn start_rekey(
        &mut self,
        exchange_id: i64,
        a: &[u8; PRIME_LEN],
        now: u64,
        fresh: &[u8; 32],
    ) -> Result<Vec<u8>, SecretError> {
        if self.closed {
            return Err(SecretError::ChatClosed);
        }
        if self.old.is_some() {
            return Err(SecretError::RekeyPending);
        }
        let action = self.rekey.request(exchange_id, a)?;
        self.send_action(action, now, fresh)
    }

    fn send_action_with(
        &mut self,
        action: DecryptedMessageAction,
        now: u64,
        rng: &mut Expander,
    ) -> Result<Vec<u8>, SecretError> {
        let random_id = i64::from_le_bytes(rng.array::<8>());
        let message = DecryptedMessage::DecryptedMessageService17(DecryptedMessageService17 {
            random_id,
            action,
        });
        self.send_with(message, now, rng)
    }

    fn send_with(
        &mut self,
        message: DecryptedMessage,
        now: u64,
        rng: &mut Expander,
    ) -> Result<Vec<u8>, SecretError> {
        if self.closed {
            return Err(SecretError::ChatClosed);
        }
        if self.sent_log.len() >= MAX_UNACKED {
            return Err(SecretError::BadRequest {
                what: "too many sent messages the peer has not acknowledged",
            });
        }
        let commit = match &message {
            DecryptedMessage::DecryptedMessageService17(DecryptedMessageService17 {
                action: DecryptedMessageAction::DecryptedMessageActionCommitKey(c),
                ..
            }) => Some(c.exchange_id),
            _ => None,
        };
        let (in_seq_no, out_seq_no) = self.seq.next_send()?;
        let layer = DecryptedMessageLayer {
            random_bytes: rng.array::<RANDOM_BYTES>().to_vec(),
            layer: self.send_layer(),
            in_seq_no,
            out_seq_no,
            message,
        };
        let packet = self.encrypt_layer(&layer, rng)?;
        self.sent_log
            .insert(self.seq.sent().saturating_sub(1), layer);
        self.uses = self.uses.saturating_add(1);
        self.encrypted = self.encrypted.saturating_add(1);
        // The originator encrypts with the new key only after its Commit (spec §8.4); the Commit
        // itself goes under the old key.
        if let (Some(ex), Some((pending_ex, _))) = (commit, &self.committing)
            && ex == *pending_ex
            && let Some((ex, key)) = self.committing.take()
        {
            self.switch_to(key, now);
            self.rekey.committed(ex);
        }
        Ok(packet)
    }

    fn encrypt_layer(
        &self,
        layer: &DecryptedMessageLayer,
        rng: &mut Expander,
    ) -> Result<Vec<u8>, SecretError> {
        let inner = layer.to_bytes();
        let extra = usize::from(rng.array::<1>()[0] % 4);
        let mut padding = vec![0u8; message::padding_len(inner.len(), extra)];
        rng.fill(&mut padding);
        message::encrypt(&self.current.key, self.role, &inner, &padding)
    }

    fn switch_to(&mut self, key: ChatKey, now: u64) {
        let previous = core::mem::replace(&mut self.current, Slot { key });
        self.old = Some(previous);
        self.uses = 0;
        self.encrypted = 0;
        self.key_since = now;
    }

    /// The key whose fingerprint the packet names: current, old, or the pending new key.
    fn key_for(&self, packet: &[u8]) -> Option<&ChatKey> {
        let fp = packet.first_chunk::<8>()?;
        [
            Some(&self.current.key),
            self.old.as_ref().map(|s| &s.key),
            self.rekey.pending_key(),
        ]
        .into_iter()
        .flatten()
        .find(|k| k.fingerprint() == *fp)
    }

    /// Receive one packet from the relay (spec §8.2–§8.4).
    pub fn receive(&mut self, packet: &[u8], now: u64, fresh: &[u8; 32]) -> Verdict {
        if self.closed {
            return Verdict::Closed(SecretError::ChatClosed);
        }
        let mut changed = false;
        let mut notices = Vec::new();
        match self.receive_inner(
            packet,
            now,
            &mut Expander::new(fresh),
            &mut changed,
            &mut notices,
        ) {
            Ok((delivered, replies)) => Verdict::Accepted {
                delivered,
                replies,
                notices,
            },
            // Once the seq_no state took the message, any failure leaves the chat inconsistent.
            Err(e) if changed || e.reaction() == Reaction::CloseChat => {
                self.close();
                Verdict::Closed(e)
            }
            Err(e) => Verdict::Rejected(e),
        }
    }

    fn close(&mut self) {
        self.closed = true;
        self.committing = None;
        self.old = None;
        self.sent_log.clear();
    }

    #[allow(clippy::type_complexity)]
    fn receive_inner(
        &mut self,
        packet: &[u8],
        now: u64,
        rng: &mut Expander,
        changed: &mut bool,
        notices: &mut Vec<Notice>,
    ) -> Result<(Vec<Delivered>, Vec<Vec<u8>>), SecretError> {
        let ((layer, version), fingerprint) = match self.key_for(packet) {
            Some(key) => (
                message::decrypt_any(key, self.role, packet)?,
                key.fingerprint(),
            ),
            // Run the checks anyway under the current key: the packet fails as the envelope
            // orders its failures (UnknownKeyFingerprint unless it is too short to have one).
            None => {
                message::decrypt(&self.current.key, self.role, packet)?;
                return Err(SecretError::UnknownKeyFingerprint);
            }
        };
        let in_seq_no = layer.in_seq_no;
        let out_seq_no = layer.out_seq_no;
        let resend = match &layer.message {
            DecryptedMessage::DecryptedMessageService17(DecryptedMessageService17 {
                action: DecryptedMessageAction::DecryptedMessageActionResend(r),
                ..
            }) => Some((r.start_seq_no, r.end_seq_no)),
            _ => None,
        };
        let message_layer = layer.layer;
        let arrival = self
            .seq
            .arrive(in_seq_no, out_seq_no, Incoming { layer, fingerprint })?;
        *changed = true;
        // Not a repeat: the version rules of spec §8.2 (see the module docs).
        let raw_out = u32::try_from(out_seq_no).unwrap_or(0) / 2;
        match version {
            Version::V1 if message_layer >= MTPROTO2_LAYER => {
                return Err(SecretError::MtProto1Forbidden {
                    layer: message_layer,
                    after_v2: None,
                });
            }
            Version::V1 => {
                if let Some(first) = self.first_v2_out.filter(|f| raw_out > *f) {
                    let (_, parity) = super::seq::parities(self.role.peer());
                    return Err(SecretError::MtProto1Forbidden {
                        layer: message_layer,
                        after_v2: Some(
                            i32::try_from(first)
                                .unwrap_or(i32::MAX / 2)
                                .saturating_mul(2)
                                .saturating_add(parity),
                        ),
                    });
                }
            }
            Version::V2 => {
                self.first_v2_out = Some(self.first_v2_out.map_or(raw_out, |f| f.min(raw_out)));
            }
        }
        self.raise_peer_layer(message_layer, notices);
        let mut replies = Vec::new();
        match arrival {
            Arrival::Queued(request) => {
                // A resend request is processed as soon as it arrives, gap or not, and only once (§8.3).
                if let Some((start, end)) = resend {
                    self.resend(start, end, now, rng, &mut replies)?;
                    if let Ok(raw) = u32::try_from(out_seq_no).map(|o| o / 2) {
                        self.early_resends.insert(raw);
                    }
                }
                if let Some(r) = request {
                    let action = DecryptedMessageAction::DecryptedMessageActionResend(
                        DecryptedMessageActionResend {
                            start_seq_no: r.start_seq_no,
                            end_seq_no: r.end_seq_no,
                        },
                    );
                    replies.push(self.send_action_with(action, now, rng)?);
                }
                Ok((Vec::new(), replies))
            }
            Arrival::Deliver(items) => {
                let mut delivered = Vec::with_capacity(items.len());
                for (raw, item) in items {
                    self.process(raw, &item, now, rng, &mut replies, notices)?;
                    if item.fingerprint == self.current.key.fingerprint() && self.seq.queued() == 0
                    {
                        // Gaps are filled and the peer uses the current key: the old one goes.
                        self.old = None;
                    }
                    delivered.push(Delivered {
                        out_seq_no: item.layer.out_seq_no,
                        layer: item.layer,
                    });
                }
                // Our messages the peer has processed in order will never be asked for again.
                let acked = self.peer_acked();
                self.sent_log = self.sent_log.split_off(&acked);
                // An older peer that was never told this side's layer hears it once.
                if !self.announced && self.peer_layer < LAYER {
                    self.announced = true;
                    replies.push(self.send_action_with(Self::notify_layer(), now, rng)?);
                }
                Ok((delivered, replies))
            }
        }
    }

    /// The raw count of this side's messages the peer has processed, from the last in_seq_no.
    fn peer_acked(&self) -> u32 {
        self.seq.peer_received()
    }

    fn process(
        &mut self,
        raw_out: u32,
        item: &Incoming,
        now: u64,
        rng: &mut Expander,
        replies: &mut Vec<Vec<u8>>,
        notices: &mut Vec<Notice>,
    ) -> Result<(), SecretError> {
        let layer = item.layer.layer;
        if let Some(previous) = self.last_layer.filter(|p| layer < *p) {
            return Err(SecretError::LayerDecreased { layer, previous });
        }
        self.last_layer = Some(layer);
        self.uses = self.uses.saturating_add(1);
        let action = match &item.layer.message {
            DecryptedMessage::DecryptedMessageService17(s) => &s.action,
            DecryptedMessage::DecryptedMessageService8(s) => &s.action,
            _ => return Ok(()),
        };
        use DecryptedMessageAction as A;
        match action {
            A::DecryptedMessageActionResend(r) if !self.early_resends.remove(&raw_out) => {
                self.resend(r.start_seq_no, r.end_seq_no, now, rng, replies)?;
            }
            A::DecryptedMessageActionNotifyLayer(n) => self.raise_peer_layer(n.layer, notices),
            A::DecryptedMessageActionRequestKey(r)
                if self.old.is_some() && *self.rekey.phase() == RekeyPhase::Idle =>
            {
                // Still holding the key before the last exchange: refuse this one (allowed
                // before this side's own Accept).
                let abort = A::DecryptedMessageActionAbortKey(DecryptedMessageActionAbortKey {
                    exchange_id: r.exchange_id,
                });
                replies.push(self.send_action_with(abort, now, rng)?);
            }
            A::DecryptedMessageActionRequestKey(_)
            | A::DecryptedMessageActionAcceptKey(_)
            | A::DecryptedMessageActionCommitKey(_)
            | A::DecryptedMessageActionAbortKey(_) => {
                let mut b = [0u8; PRIME_LEN];
                rng.fill(&mut b);
                let outcome = self.rekey.on_action(action, &b);
                b.zeroize();
                match outcome? {
                    RekeyOutcome::Nothing | RekeyOutcome::AbortedSilently => {}
                    RekeyOutcome::Send(a) => replies.push(self.send_action_with(a, now, rng)?),
                    RekeyOutcome::CommitThenSwitch(a, key) => {
                        let exchange_id = match &a {
                            A::DecryptedMessageActionCommitKey(c) => c.exchange_id,
                            _ => 0,
                        };
                        self.committing = Some((exchange_id, key));
                        replies.push(self.send_action_with(a, now, rng)?);
                    }
                    RekeyOutcome::Switch(key) => self.switch_to(key, now),
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn resend(
        &mut self,
        start: i32,
        end: i32,
        _now: u64,
        rng: &mut Expander,
        replies: &mut Vec<Vec<u8>>,
    ) -> Result<(), SecretError> {
        let range = self.seq.check_resend(start, end)?;
        let missing = SecretError::ResendInvalid { start, end };
        let mut packets = Vec::new();
        for raw in range {
            let layer = self.sent_log.get(&raw).ok_or(missing.clone())?;
            packets.push(self.encrypt_layer(layer, rng)?);
        }
        replies.extend(packets);
        Ok(())
    }
}
