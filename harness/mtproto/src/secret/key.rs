//! Secret-chat key exchange and the key fingerprint (spec §5, §8.1).
//!
//! ```text
//! A: g_a = g^a mod p                         -> messages.requestEncryption(g_a)
//! B: checks g_a; key = g_a^b mod p (256 B)   -> messages.acceptEncryption(g_b, key_fingerprint)
//! A: checks g_b; key = g_b^a mod p; a fingerprint that differs from the received one MUST
//!    make A discard the chat ([e2e], spec §8.1 step 3)
//! key_fingerprint = SHA1(key)[12..20]  (the 64 lower-order bits of SHA1(key), SHA1 even for
//!                                      MTProto 2.0)
//! ```
//!
//! Parameters come from `messages.getDhConfig` and go through the same [`check_params`] as the
//! auth-key handshake; `g_a`/`g_b` (the peer's and this side's own) through the same
//! [`check_value`] (spec §5). The secret exponent mixes the server's `random` into local
//! randomness ([`client_secret`]). The key keeps its leading zero bytes: it is always 256 bytes.
//!
//! [e2e]: https://core.telegram.org/api/end-to-end
//! [`check_params`]: crate::crypto::dh::check_params
//! [`check_value`]: crate::crypto::dh::check_value

use subtle::ConstantTimeEq;
use zeroize::Zeroize;

use crate::auth_key::AuthKey;
use crate::crypto::dh::{DhGroup, PRIME_LEN};
use crate::error::SecretError;

/// A secret-chat (or call) key: 256 bytes, zeroized on drop, with its fingerprint.
///
/// The fingerprint is `SHA1(key)[12..20]`, the same bytes an [`AuthKey`] calls its id; the wire
/// puts them first in every encrypted message (spec §8.2).
#[derive(Clone, Debug)]
pub struct ChatKey(AuthKey);

impl ChatKey {
    /// A key from its 256 bytes.
    pub fn new(bytes: [u8; PRIME_LEN]) -> Self {
        Self(AuthKey::new(bytes))
    }

    /// The key bytes.
    pub fn as_bytes(&self) -> &[u8; PRIME_LEN] {
        self.0.as_bytes()
    }

    /// `key_fingerprint` as its 8 wire bytes, `SHA1(key)[12..20]`.
    pub fn fingerprint(&self) -> [u8; 8] {
        self.0.id()
    }

    /// `key_fingerprint` as the TL `long` those bytes encode.
    pub fn fingerprint_long(&self) -> i64 {
        self.0.id_long()
    }

    /// The key as the envelope layer sees it.
    pub fn as_auth_key(&self) -> &AuthKey {
        &self.0
    }

    /// Whether `fingerprint` (the TL `long`) is this key's, compared in constant time.
    pub fn fingerprint_matches(&self, fingerprint: i64) -> bool {
        bool::from(self.fingerprint().ct_eq(&fingerprint.to_le_bytes()))
    }
}

/// The secret exponent from local randomness and the server's `random` (spec §5):
/// `a[i] = local_random[i] XOR server_random[i]`, as the official Android client does. The server
/// random "in its raw form may be unsafe, it must be combined with a client sequence" (spec §5,
/// [sec]): it never replaces the local bytes. A server random shorter than 256 bytes mixes into the
/// first bytes only; extra bytes are ignored.
///
/// [sec]: https://core.telegram.org/mtproto/security_guidelines
pub fn client_secret(local_random: &[u8; PRIME_LEN], server_random: &[u8]) -> [u8; PRIME_LEN] {
    let mut out = *local_random;
    for (o, s) in out.iter_mut().zip(server_random) {
        *o ^= s;
    }
    out
}

/// `g^secret mod p`, checked like a peer's value would be (spec §5: both sides are to check g_a and g_b).
fn own_public(group: &DhGroup, secret: &[u8; PRIME_LEN]) -> Result<[u8; PRIME_LEN], SecretError> {
    let value = group.pow_g(secret);
    group.check_value(&value)?;
    Ok(value)
}

/// The originator's side between `requestEncryption` and `encryptedChat` (spec §8.1 steps 1, 3).
pub struct Requester {
    group: DhGroup,
    a: [u8; PRIME_LEN],
    g_a: [u8; PRIME_LEN],
}

impl core::fmt::Debug for Requester {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Requester").finish_non_exhaustive()
    }
}

impl Drop for Requester {
    fn drop(&mut self) {
        self.a.zeroize();
    }
}

impl Requester {
    /// Start with a checked group and the secret `a` (from [`client_secret`]). Fails if `g_a`
    /// would not pass the peer's checks.
    pub fn new(group: DhGroup, a: [u8; PRIME_LEN]) -> Result<Self, SecretError> {
        let g_a = own_public(&group, &a)?;
        Ok(Self { group, a, g_a })
    }

    /// `g_a` for `messages.requestEncryption`, 256 big-endian bytes.
    pub fn g_a(&self) -> &[u8; PRIME_LEN] {
        &self.g_a
    }

    /// The group, for the re-keying exchanges that reuse it.
    pub fn group(&self) -> &DhGroup {
        &self.group
    }

    /// Step 3: `encryptedChat` brought `g_b` and `key_fingerprint`. Checks `g_b` (spec §5),
    /// computes the key and requires the fingerprint to match (else the chat MUST be discarded, [e2e]).
    ///
    /// [e2e]: https://core.telegram.org/api/end-to-end
    pub fn complete(&self, g_b: &[u8], key_fingerprint: i64) -> Result<ChatKey, SecretError> {
        let g_b = self.group.check_value(g_b)?;
        let key = ChatKey::new(self.group.pow(&g_b, &self.a));
        if !key.fingerprint_matches(key_fingerprint) {
            return Err(SecretError::KeyFingerprintMismatch);
        }
        Ok(key)
    }
}

/// The acceptor's answer to `encryptedChatRequested` (spec §8.1 step 2).
#[derive(Debug)]
pub struct Accepted {
    /// The chat key.
    pub key: ChatKey,
    /// `g_b` for `messages.acceptEncryption`.
    pub g_b: [u8; PRIME_LEN],
}

impl Accepted {
    /// `key_fingerprint` for `messages.acceptEncryption`.
    pub fn key_fingerprint(&self) -> i64 {
        self.key.fingerprint_long()
    }
}

/// Step 2: check the originator's `g_a` (spec §5), compute `g_b` and the key with secret `b`.
pub fn accept(group: &DhGroup, g_a: &[u8], b: &[u8; PRIME_LEN]) -> Result<Accepted, SecretError> {
    let g_a = group.check_value(g_a)?;
    let g_b = own_public(group, b)?;
    Ok(Accepted {
        key: ChatKey::new(group.pow(&g_a, b)),
        g_b,
    })
}
