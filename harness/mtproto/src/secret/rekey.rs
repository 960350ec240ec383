//! Re-keying of a secret chat for forward secrecy (spec §8.4, [e2e-pfs]): an explicit state
//! machine over the four service actions.
//!
//! ```text
//! A → decryptedMessageActionRequestKey(exchange_id, g_a)
//! B → decryptedMessageActionAcceptKey(exchange_id, g_b, key_fingerprint of the new key)
//! A → decryptedMessageActionCommitKey(exchange_id, key_fingerprint)   (A checks it first)
//! either → decryptedMessageActionAbortKey(exchange_id)   (never after its own Accept/Commit)
//! ```
//!
//! | state | event | next | this side sends |
//! |---|---|---|---|
//! | Idle | [`Rekey::request`] | Requested | RequestKey |
//! | Idle | RequestKey | Accepted | AcceptKey |
//! | Requested(x) | RequestKey(y), y > x | Accepted(y) | AcceptKey(y) |
//! | Requested(x) | RequestKey(y), y < x | Requested(x) | — (theirs ignored) |
//! | Requested(x) | RequestKey(x) | Idle | — (both abort silently) |
//! | Requested(x) | AcceptKey(x), g_b and fingerprint good | Committing(x) | CommitKey(x) |
//! | Accepted(x) | CommitKey(x), fingerprint of the pending key | Idle, new key current | — |
//! | Requested(x) / Accepted(x) | AbortKey(x) | Idle | — |
//!
//! Concurrent requests resolve by the larger `exchange_id`, compared as a signed 64-bit integer;
//! equal ids abort both silently (spec §8.4). Every `g_a`/`g_b` goes through the §5 checks
//! against the chat's group. Anything else — an Accept or Commit for another exchange, a
//! fingerprint that does not match, an abort from a party that already sent its Accept, a new
//! request while one is half done — is `RekeyUnexpected` or `KeyFingerprintMismatch` and closes the
//! chat: only the peer's key holder can send these actions, and Miculan–Vitacolonna's unknown
//! key-share finding (spec §10.3) is a reason to run re-keying only inside this strict machine.
//!
//! [e2e-pfs]: https://core.telegram.org/api/end-to-end/pfs

use zeroize::Zeroize;

use crate::crypto::dh::{DhGroup, PRIME_LEN};
use crate::error::SecretError;
use crate::tl::generated::secret::enums::DecryptedMessageAction;
use crate::tl::generated::secret::types::{
    DecryptedMessageActionAcceptKey, DecryptedMessageActionCommitKey,
    DecryptedMessageActionRequestKey,
};

use super::key::ChatKey;

/// Messages (encrypted plus decrypted) after which a key is replaced ([e2e-pfs]: a key used to
/// decrypt and encrypt more than 100 messages).
///
/// [e2e-pfs]: https://core.telegram.org/api/end-to-end/pfs
pub const REKEY_AFTER_MESSAGES: u32 = 100;
/// Seconds after which a key is replaced (a key in use for more than one week).
pub const REKEY_AFTER_SECONDS: u64 = 7 * 24 * 3600;

/// Where the exchange stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RekeyPhase {
    /// No exchange in progress.
    Idle,
    /// This side sent RequestKey.
    Requested {
        /// Its exchange_id.
        exchange_id: i64,
    },
    /// This side sent AcceptKey and holds the new key until CommitKey.
    Accepted {
        /// The exchange_id.
        exchange_id: i64,
    },
    /// This side checked the peer's AcceptKey and must send CommitKey; the new key becomes
    /// current for sending once it has.
    Committing {
        /// The exchange_id.
        exchange_id: i64,
    },
}

/// What a re-keying action did.
#[derive(Debug)]
pub enum RekeyOutcome {
    /// Nothing to do (a smaller concurrent request ignored, an abort of something not pending).
    Nothing,
    /// Send this action.
    Send(DecryptedMessageAction),
    /// Both requests had the same exchange_id: both sides drop the exchange silently.
    AbortedSilently,
    /// Send this action; the new key becomes current once it is sent (the originator's Commit).
    CommitThenSwitch(DecryptedMessageAction, ChatKey),
    /// The exchange completed on this side: the new key is current from now on.
    Switch(ChatKey),
}

/// The re-keying state of one side.
pub struct Rekey {
    group: DhGroup,
    phase: RekeyPhase,
    secret: [u8; PRIME_LEN],
    pending: Option<ChatKey>,
    last_completed: Option<i64>,
}

impl core::fmt::Debug for Rekey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Rekey")
            .field("phase", &self.phase)
            .finish_non_exhaustive()
    }
}

impl Drop for Rekey {
    fn drop(&mut self) {
        self.secret.zeroize();
    }
}

impl Rekey {
    /// Idle, for a chat whose DH parameters are `group` (re-keying reuses p and g).
    pub fn new(group: DhGroup) -> Self {
        Self {
            group,
            phase: RekeyPhase::Idle,
            secret: [0; PRIME_LEN],
            pending: None,
            last_completed: None,
        }
    }

    /// The phase.
    pub fn phase(&self) -> &RekeyPhase {
        &self.phase
    }

    /// The key this side computed and has not switched to yet (the acceptor's, until Commit).
    pub fn pending_key(&self) -> Option<&ChatKey> {
        self.pending.as_ref()
    }

    /// Start an exchange with secret `a`: a new instance never starts while one is pending (spec §8.4).
    pub fn request(
        &mut self,
        exchange_id: i64,
        a: &[u8; PRIME_LEN],
    ) -> Result<DecryptedMessageAction, SecretError> {
        if self.phase != RekeyPhase::Idle {
            return Err(SecretError::RekeyPending);
        }
        let g_a = self.group.pow_g(a);
        self.group.check_value(&g_a)?;
        self.secret = *a;
        self.phase = RekeyPhase::Requested { exchange_id };
        Ok(DecryptedMessageAction::DecryptedMessageActionRequestKey(
            DecryptedMessageActionRequestKey {
                exchange_id,
                g_a: g_a.to_vec(),
            },
        ))
    }

    /// Handle one of the four actions from the peer; `b` is fresh secret randomness, used only
    /// if this side answers a RequestKey. Other actions give [`RekeyOutcome::Nothing`].
    pub fn on_action(
        &mut self,
        action: &DecryptedMessageAction,
        b: &[u8; PRIME_LEN],
    ) -> Result<RekeyOutcome, SecretError> {
        use DecryptedMessageAction as A;
        match action {
            A::DecryptedMessageActionRequestKey(r) => self.on_request(r.exchange_id, &r.g_a, b),
            A::DecryptedMessageActionAcceptKey(a) => {
                self.on_accept(a.exchange_id, &a.g_b, a.key_fingerprint)
            }
            A::DecryptedMessageActionCommitKey(c) => {
                self.on_commit(c.exchange_id, c.key_fingerprint)
            }
            A::DecryptedMessageActionAbortKey(a) => self.on_abort(a.exchange_id),
            _ => Ok(RekeyOutcome::Nothing),
        }
    }

    fn on_request(
        &mut self,
        exchange_id: i64,
        g_a: &[u8],
        b: &[u8; PRIME_LEN],
    ) -> Result<RekeyOutcome, SecretError> {
        match self.phase {
            RekeyPhase::Idle => {}
            RekeyPhase::Requested { exchange_id: ours } if larger(ours, exchange_id) => {
                return Ok(RekeyOutcome::Nothing);
            }
            RekeyPhase::Requested { exchange_id: ours } if ours == exchange_id => {
                self.reset();
                return Ok(RekeyOutcome::AbortedSilently);
            }
            RekeyPhase::Requested { .. } => self.reset(),
            RekeyPhase::Accepted { .. } | RekeyPhase::Committing { .. } => {
                return Err(SecretError::RekeyUnexpected { exchange_id });
            }
        }
        let g_a = self.group.check_value(g_a)?;
        let g_b = self.group.pow_g(b);
        self.group.check_value(&g_b)?;
        let key = ChatKey::new(self.group.pow(&g_a, b));
        let key_fingerprint = key.fingerprint_long();
        self.pending = Some(key);
        self.phase = RekeyPhase::Accepted { exchange_id };
        Ok(RekeyOutcome::Send(
            DecryptedMessageAction::DecryptedMessageActionAcceptKey(
                DecryptedMessageActionAcceptKey {
                    exchange_id,
                    g_b: g_b.to_vec(),
                    key_fingerprint,
                },
            ),
        ))
    }

    fn on_accept(
        &mut self,
        exchange_id: i64,
        g_b: &[u8],
        key_fingerprint: i64,
    ) -> Result<RekeyOutcome, SecretError> {
        if self.phase != (RekeyPhase::Requested { exchange_id }) {
            return Err(SecretError::RekeyUnexpected { exchange_id });
        }
        let g_b = self.group.check_value(g_b)?;
        let key = ChatKey::new(self.group.pow(&g_b, &self.secret));
        if !key.fingerprint_matches(key_fingerprint) {
            return Err(SecretError::KeyFingerprintMismatch);
        }
        self.secret.zeroize();
        self.phase = RekeyPhase::Committing { exchange_id };
        Ok(RekeyOutcome::CommitThenSwitch(
            DecryptedMessageAction::DecryptedMessageActionCommitKey(
                DecryptedMessageActionCommitKey {
                    exchange_id,
                    key_fingerprint,
                },
            ),
            key,
        ))
    }

    /// The originator sent its CommitKey for `exchange_id`: the exchange is over on this side.
    pub fn committed(&mut self, exchange_id: i64) {
        if self.phase == (RekeyPhase::Committing { exchange_id }) {
            self.last_completed = Some(exchange_id);
            self.phase = RekeyPhase::Idle;
        }
    }

    fn on_commit(
        &mut self,
        exchange_id: i64,
        key_fingerprint: i64,
    ) -> Result<RekeyOutcome, SecretError> {
        if self.phase != (RekeyPhase::Accepted { exchange_id }) {
            return Err(SecretError::RekeyUnexpected { exchange_id });
        }
        let Some(key) = self.pending.take() else {
            return Err(SecretError::RekeyUnexpected { exchange_id });
        };
        if !key.fingerprint_matches(key_fingerprint) && !mutant!(SkipCommitFingerprint) {
            self.pending = Some(key);
            return Err(SecretError::KeyFingerprintMismatch);
        }
        self.last_completed = Some(exchange_id);
        self.phase = RekeyPhase::Idle;
        Ok(RekeyOutcome::Switch(key))
    }

    fn on_abort(&mut self, exchange_id: i64) -> Result<RekeyOutcome, SecretError> {
        match self.phase {
            RekeyPhase::Requested { exchange_id: x } | RekeyPhase::Accepted { exchange_id: x }
                if x == exchange_id =>
            {
                self.reset();
                Ok(RekeyOutcome::Nothing)
            }
            // The peer already sent its Accept for this exchange: it may no longer abort.
            RekeyPhase::Committing { exchange_id: x } if x == exchange_id => {
                Err(SecretError::RekeyUnexpected { exchange_id })
            }
            _ if self.last_completed == Some(exchange_id) => {
                Err(SecretError::RekeyUnexpected { exchange_id })
            }
            _ => Ok(RekeyOutcome::Nothing),
        }
    }

    fn reset(&mut self) {
        self.secret.zeroize();
        self.pending = None;
        self.phase = RekeyPhase::Idle;
    }
}

/// The re-keying trigger of spec §8.4: the key was used to decrypt and encrypt more than 100
/// messages, or has been in use for more than a week, and it encrypted at least one message
/// ([e2e-pfs]).
///
/// [e2e-pfs]: https://core.telegram.org/api/end-to-end/pfs
pub fn rekey_due(uses: u32, encrypted: u32, key_age_seconds: u64) -> bool {
    encrypted >= 1 && (uses > REKEY_AFTER_MESSAGES || key_age_seconds > REKEY_AFTER_SECONDS)
}

/// Whether `ours` wins over `theirs`: the larger `exchange_id` as a signed 64-bit integer
/// (spec §8.4). The mutant compares the wire bytes as unsigned, so a negative id wins.
pub(crate) fn larger(ours: i64, theirs: i64) -> bool {
    if mutant!(UnsignedExchangeId) {
        return ours.cast_unsigned() > theirs.cast_unsigned();
    }
    ours > theirs
}
