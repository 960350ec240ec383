//! End-to-end calls (spec §9, [vc]): the key exchange with a hash commitment, the key
//! fingerprint, the four emoji both parties compare, and call packet encryption.
//!
//! ```text
//! A (caller): g_a = g^a mod p, sends g_a_hash = SHA256(g_a) only          phone.requestCall
//! B (callee): stores g_a_hash, sends g_b                                   phone.acceptCall
//! A: checks g_b, key = g_b^a mod p, sends g_a and key_fingerprint          phone.confirmCall
//! B: SHA256(g_a) == g_a_hash (MUST), checks g_a, key = g_a^b mod p, fingerprint equal
//! emoji: h = SHA256(key ‖ g_a); for i in 0..4:
//!        emoji[i] = TABLE[(big_endian_u64(h[8i..8i+8]) & 0x7fff_ffff_ffff_ffff) mod 333]
//! ```
//!
//! The commitment is what makes four emoji enough: the callee has fixed `g_b` before it sees
//! `g_a`, and the caller fixed `g_a` (through its hash) before it saw `g_b`, so a man in the
//! middle gets one guess at a matching visualisation instead of a search ([vc]). DH parameters
//! and values go through the checks of spec §5 ([`crate::crypto::dh`]), the same code as the
//! auth-key handshake.
//!
//! [vc]: https://core.telegram.org/api/end-to-end/video-calls

pub mod emoji_table;
pub mod packet;
pub mod seq;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::Zeroize;

use crate::crypto::dh::{DhGroup, PRIME_LEN};
use crate::error::CallError;
use crate::secret::ChatKey;

pub use emoji_table::{EMOJI, EMOJI_COUNT};

/// `g_a_hash = SHA256(g_a)`, the caller's commitment (spec §9.1 step 1).
pub fn g_a_hash(g_a: &[u8]) -> [u8; 32] {
    Sha256::digest(g_a).into()
}

/// The four emoji indices into [`EMOJI`] for `key` and the caller's `g_a` (spec §9.2).
pub fn emoji_indices(key: &[u8; PRIME_LEN], g_a: &[u8; PRIME_LEN]) -> [usize; 4] {
    let h: [u8; 32] = Sha256::new()
        .chain_update(key)
        .chain_update(g_a)
        .finalize()
        .into();
    let (chunks, _) = h.as_chunks::<8>();
    let mut out = [0usize; 4];
    for (o, c) in out.iter_mut().zip(chunks) {
        // The mutant omits the top-bit mask, as the old call documentation did.
        let mask = if mutant!(EmojiWithoutMask) {
            u64::MAX
        } else {
            0x7fff_ffff_ffff_ffff
        };
        let v = u64::from_be_bytes(*c) & mask;
        // v mod 333 < 333 always fits a usize.
        *o = usize::try_from(v.checked_rem(EMOJI_COUNT as u64).unwrap_or(0)).unwrap_or(0);
    }
    out
}

/// An agreed call key with the caller's `g_a`, from which both sides derive what they show.
#[derive(Clone, Debug)]
pub struct CallKey {
    key: ChatKey,
    g_a: [u8; PRIME_LEN],
}

impl CallKey {
    /// A call key from its parts (for vectors and tests; the exchange makes them otherwise).
    pub fn new(key: [u8; PRIME_LEN], g_a: [u8; PRIME_LEN]) -> Self {
        Self {
            key: ChatKey::new(key),
            g_a,
        }
    }

    /// The shared key.
    pub fn key(&self) -> &ChatKey {
        &self.key
    }

    /// The caller's `g_a`, 256 big-endian bytes.
    pub fn g_a(&self) -> &[u8; PRIME_LEN] {
        &self.g_a
    }

    /// `key_fingerprint`: the lower 64 bits of SHA1(key), `SHA1(key)[12..20]`, as its wire bytes.
    pub fn fingerprint(&self) -> [u8; 8] {
        self.key.fingerprint()
    }

    /// The emoji indices (spec §9.2).
    pub fn emoji_indices(&self) -> [usize; 4] {
        emoji_indices(self.key.as_bytes(), &self.g_a)
    }

    /// The four emoji (spec §9.2, §12).
    pub fn emoji(&self) -> [&'static str; 4] {
        self.emoji_indices()
            .map(|i| EMOJI.get(i).copied().unwrap_or(""))
    }

    /// `voice_call_id` of the pre-7.0 protocol: the lower 128 bits of `SHA256(key)`,
    /// `SHA256(key)[16..32]` ([vcold]).
    ///
    /// [vcold]: https://core.telegram.org/api/end-to-end/voice-calls
    pub fn voice_call_id(&self) -> [u8; 16] {
        let d: [u8; 32] = Sha256::digest(self.key.as_bytes()).into();
        d.last_chunk::<16>().copied().unwrap_or([0; 16])
    }
}

fn own_public(group: &DhGroup, secret: &[u8; PRIME_LEN]) -> Result<[u8; PRIME_LEN], CallError> {
    let value = group.pow_g(secret);
    group.check_value(&value)?;
    Ok(value)
}

/// The caller between `phone.requestCall` and `phone.confirmCall` (spec §9.1 steps 1, 3).
pub struct Caller {
    group: DhGroup,
    a: [u8; PRIME_LEN],
    g_a: [u8; PRIME_LEN],
}

impl core::fmt::Debug for Caller {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Caller").finish_non_exhaustive()
    }
}

impl Drop for Caller {
    fn drop(&mut self) {
        self.a.zeroize();
    }
}

impl Caller {
    /// Start a call with a checked group and secret `a`.
    pub fn new(group: DhGroup, a: [u8; PRIME_LEN]) -> Result<Self, CallError> {
        let g_a = own_public(&group, &a)?;
        Ok(Self { group, a, g_a })
    }

    /// `g_a_hash` for `phone.requestCall` (the hash, not `g_a`).
    pub fn g_a_hash(&self) -> [u8; 32] {
        g_a_hash(&self.g_a)
    }

    /// `g_a`, revealed only in `phone.confirmCall`.
    pub fn g_a(&self) -> &[u8; PRIME_LEN] {
        &self.g_a
    }

    /// Step 3: `phoneCallAccepted` brought `g_b`; check it (spec §5) and compute the key. Send
    /// [`Caller::g_a`] and the key's fingerprint in `phone.confirmCall`.
    pub fn on_accepted(&self, g_b: &[u8]) -> Result<CallKey, CallError> {
        let g_b = self.group.check_value(g_b)?;
        Ok(CallKey {
            key: ChatKey::new(self.group.pow(&g_b, &self.a)),
            g_a: self.g_a,
        })
    }
}

/// The callee between `phoneCallRequested` and `phoneCall` (spec §9.1 steps 2, 4).
pub struct Callee {
    group: DhGroup,
    g_a_hash: Vec<u8>,
    b: [u8; PRIME_LEN],
    g_b: [u8; PRIME_LEN],
}

impl core::fmt::Debug for Callee {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Callee").finish_non_exhaustive()
    }
}

impl Drop for Callee {
    fn drop(&mut self) {
        self.b.zeroize();
    }
}

impl Callee {
    /// Step 2: store the `g_a_hash` received first and compute `g_b` with secret `b`.
    pub fn new(group: DhGroup, g_a_hash: &[u8], b: [u8; PRIME_LEN]) -> Result<Self, CallError> {
        let g_b = own_public(&group, &b)?;
        Ok(Self {
            group,
            g_a_hash: g_a_hash.to_vec(),
            b,
            g_b,
        })
    }

    /// `g_b` for `phone.acceptCall`.
    pub fn g_b(&self) -> &[u8; PRIME_LEN] {
        &self.g_b
    }

    /// Step 4: `phoneCall` revealed `g_a` and `key_fingerprint`. In this order: the callee
    /// MUST check that `SHA256(g_a)` equals the stored `g_a_hash` (constant time;
    /// `GaHashMismatch`), then `g_a` gets the §5 checks, then the fingerprint of the computed
    /// key must equal the one received (`KeyFingerprintMismatch`, a sanity check).
    pub fn on_confirmed(&self, g_a: &[u8], key_fingerprint: i64) -> Result<CallKey, CallError> {
        if !bool::from(g_a_hash(g_a).as_slice().ct_eq(self.g_a_hash.as_slice()))
            && !mutant!(SkipGaHash)
        {
            return Err(CallError::GaHashMismatch);
        }
        let g_a = self.group.check_value(g_a)?;
        let key = ChatKey::new(self.group.pow(&g_a, &self.b));
        if !key.fingerprint_matches(key_fingerprint) {
            return Err(CallError::KeyFingerprintMismatch);
        }
        Ok(CallKey {
            key,
            g_a: g_a.to_bytes(),
        })
    }
}
