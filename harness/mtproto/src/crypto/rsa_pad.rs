//! RSA public keys, their TL fingerprints, and RSA_PAD, the MTProto 2.0 "RSA-OAEP+ variant"
//! that encrypts `p_q_inner_data` (<https://core.telegram.org/mtproto/auth_key>).
//!
//! ```text
//! data_with_padding = data (<= 144 bytes) + random padding, total 192 bytes
//! data_pad_reversed = BYTE_REVERSE(data_with_padding)
//! loop:
//!   temp_key          = 32 random bytes
//!   data_with_hash    = data_pad_reversed + SHA256(temp_key + data_with_padding)     224 bytes
//!   aes_encrypted     = AES256_IGE(data_with_hash, key = temp_key, iv = 32 zero bytes)
//!   temp_key_xor      = temp_key XOR SHA256(aes_encrypted)                           32 bytes
//!   key_aes_encrypted = temp_key_xor + aes_encrypted                                 256 bytes
//!   if key_aes_encrypted >= n (big-endian): try again with a new temp_key
//! encrypted_data = key_aes_encrypted ^ e mod n, 256 big-endian bytes
//! ```
//!
//! "The client should check whether key_aes_encrypted is greater than the RSA modulus ... and
//! if so, regenerate temp_key" ([auth]). The caller supplies the temp keys (sans-IO); running
//! out of them is [`RsaError::RetriesExhausted`].
//!
//! The server side ([`RsaPrivateKey::rsa_pad_decrypt`]) inverts this and checks
//! `SHA256(temp_key + data_with_padding)` over **all 192 bytes** before anything is parsed: the
//! old encoding hashed only the data, so the server had to parse variable-length fields first,
//! which is the timing oracle of attack 4 in Albrecht et al., "Four Attacks and a Proof for
//! Telegram" (2022). The comparison is constant-time and the decryption uses a
//! constant-time exponentiation.
//!
//! The fingerprint is "the 64 lower-order bits of SHA1(server_public_key)", the key serialized
//! as the bare TL `rsa_public_key n:string e:string` ([auth]).
//!
//! [auth]: https://core.telegram.org/mtproto/auth_key
#![deny(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use core::cmp::Ordering;

use crypto_bigint::modular::{FixedMontyForm, FixedMontyParams};
use crypto_bigint::{NonZero, Odd, U1024, U2048, Uint};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, Zeroizing};

use crate::codec::{Reader, put_tl_bytes};
use crate::crypto::ige::{aes256_ige_decrypt, aes256_ige_encrypt};
use crate::error::RsaError;

/// Bytes of a 2048-bit modulus, and of every RSA_PAD ciphertext.
pub const MODULUS_LEN: usize = 256;
/// Most bytes of data RSA_PAD carries.
pub const MAX_DATA_LEN: usize = 144;
/// `data_with_padding` length.
pub const PADDED_LEN: usize = 192;

type Params = FixedMontyParams<{ U2048::LIMBS }>;
type Monty = FixedMontyForm<{ U2048::LIMBS }>;
type HalfParams = FixedMontyParams<{ U1024::LIMBS }>;
type HalfMonty = FixedMontyForm<{ U1024::LIMBS }>;

/// An RSA public key with a 2048-bit modulus.
#[derive(Clone, Debug)]
pub struct RsaPublicKey {
    n: U2048,
    e: U2048,
    n_bytes: Vec<u8>,
    e_bytes: Vec<u8>,
    params: Params,
}

fn strip_zeros(b: &[u8]) -> &[u8] {
    let first = b.iter().position(|&x| x != 0).unwrap_or(b.len());
    b.get(first..).unwrap_or(&[])
}

/// A big-endian number (leading zero bytes allowed) as a `Uint` of at most 2048 bits, or `None`
/// when its digits do not fit.
fn to_uint<const LIMBS: usize>(b: &[u8]) -> Option<Uint<LIMBS>> {
    let digits = strip_zeros(b);
    let width = Uint::<LIMBS>::BYTES;
    let start = width.checked_sub(digits.len())?;
    let mut buf = [0u8; MODULUS_LEN];
    buf.get_mut(start..width)?.copy_from_slice(digits);
    Some(Uint::from_be_slice(buf.get(..width)?))
}

fn to_u2048(b: &[u8]) -> Option<U2048> {
    to_uint(b)
}

fn to_bytes(v: &U2048) -> [u8; MODULUS_LEN] {
    let mut out = [0u8; MODULUS_LEN];
    out.copy_from_slice(v.to_be_bytes().as_ref());
    out
}

impl RsaPublicKey {
    /// A key from its big-endian modulus and exponent. The modulus must be exactly 2048 bits and
    /// odd; the exponent odd and greater than 1.
    pub fn from_n_e(n: &[u8], e: &[u8]) -> Result<Self, RsaError> {
        let n_digits = strip_zeros(n);
        let e_digits = strip_zeros(e);
        if n_digits.len() != MODULUS_LEN || n_digits.first().is_none_or(|&b| b & 0x80 == 0) {
            return Err(RsaError::KeyUnsupported);
        }
        let nv = to_u2048(n_digits).ok_or(RsaError::KeyUnsupported)?;
        let ev = to_u2048(e_digits).ok_or(RsaError::KeyUnsupported)?;
        if e_digits.last().is_none_or(|&b| b & 1 == 0) || ev.cmp_vartime(&U2048::ONE).is_le() {
            return Err(RsaError::KeyUnsupported);
        }
        let odd = Odd::new(nv).into_option().ok_or(RsaError::KeyUnsupported)?;
        Ok(Self {
            n: nv,
            e: ev,
            n_bytes: n_digits.to_vec(),
            e_bytes: e_digits.to_vec(),
            params: Params::new_vartime(odd),
        })
    }

    /// A key from a PKCS#1 PEM (`-----BEGIN RSA PUBLIC KEY-----`), as Telegram publishes them.
    pub fn from_pkcs1_pem(pem: &str) -> Result<Self, RsaError> {
        let der = pem_body(pem, "RSA PUBLIC KEY")?;
        let mut outer = Reader::new(&der);
        let mut seq = Reader::new(der_tlv(&mut outer, 0x30)?);
        outer.finish().map_err(|_| RsaError::KeyMalformed)?;
        let n = der_uint(&mut seq)?;
        let e = der_uint(&mut seq)?;
        seq.finish().map_err(|_| RsaError::KeyMalformed)?;
        Self::from_n_e(n, e)
    }

    /// The modulus, big-endian, 256 bytes.
    pub fn n(&self) -> &[u8] {
        &self.n_bytes
    }

    /// The public exponent, big-endian, without leading zeros.
    pub fn e(&self) -> &[u8] {
        &self.e_bytes
    }

    /// The fingerprint's 8 wire bytes: `SHA1(rsa_public_key n:string e:string)[12..20]`.
    pub fn fingerprint_bytes(&self) -> [u8; 8] {
        fingerprint_of(&self.n_bytes, &self.e_bytes)
    }

    /// The fingerprint as the TL `long` resPQ lists.
    pub fn fingerprint(&self) -> i64 {
        i64::from_le_bytes(self.fingerprint_bytes())
    }

    /// `m^e mod n` for a 256-byte big-endian `m < n`: the raw RSA step of RSA_PAD, for writing
    /// vectors whose `key_aes_encrypted` was built by hand (a tampered hash).
    pub fn encrypt_block(&self, m: &[u8; MODULUS_LEN]) -> Result<[u8; MODULUS_LEN], RsaError> {
        let v = U2048::from_be_slice(m);
        if !self.less_than_n(&v) {
            return Err(RsaError::CiphertextOutOfRange);
        }
        Ok(self.encrypt_raw(&v))
    }

    /// Whether a 256-byte big-endian value is below the modulus (RSA_PAD's retry test).
    pub fn is_below_n(&self, v: &[u8; MODULUS_LEN]) -> bool {
        self.less_than_n(&U2048::from_be_slice(v))
    }

    /// `m^e mod n` for `m < n` (variable-time in the public exponent only).
    fn encrypt_raw(&self, m: &U2048) -> [u8; MODULUS_LEN] {
        let computed = || to_bytes(&Monty::new(m, &self.params).pow_vartime(&self.e).retrieve());
        // Fuzz builds only: a memo keyed by n, m and e (`fuzzing::memo`).
        #[cfg(fuzzing)]
        let computed = || {
            crate::fuzzing::memo::modpow(
                crate::fuzzing::memo::Op::RsaEncrypt,
                &to_bytes(&self.n),
                &to_bytes(m),
                &to_bytes(&self.e),
                computed,
            )
        };
        computed()
    }

    fn less_than_n(&self, v: &U2048) -> bool {
        v.cmp_vartime(&self.n) == Ordering::Less
    }
}

/// The fingerprint's 8 wire bytes of any `(n, e)`, given big-endian with or without leading zero
/// bytes: `SHA1(rsa_public_key n:string e:string)[12..20]`.
///
/// The auth_key page defines n and e as numbers "in big endian format serialized as strings of
/// bytes", so what is hashed is each number's own big-endian form, without leading zeros: the
/// zero byte DER puts before a modulus whose top bit is set (a PKCS#1 key's INTEGER content),
/// or an exponent written `00 01 00 01`, is not part of the number. A TL string longer than
/// 2^24 - 1 bytes cannot be serialized; such a number hashes as the empty string (no real key
/// comes near it).
pub fn fingerprint_of(n: &[u8], e: &[u8]) -> [u8; 8] {
    // Mutant: the bytes as given (DER's sign byte, a padded exponent) are hashed.
    let (n, e) = if mutant!(FingerprintRawBytes) {
        (n, e)
    } else {
        (strip_zeros(n), strip_zeros(e))
    };
    let mut tl = Vec::with_capacity(n.len().saturating_add(e.len()).saturating_add(16));
    if put_tl_bytes(&mut tl, n).is_err() || put_tl_bytes(&mut tl, e).is_err() {
        tl.clear();
    }
    let d: [u8; 20] = Sha1::digest(&tl).into();
    d.last_chunk::<8>().copied().unwrap_or([0; 8])
}

/// `SHA256(temp_key + data_with_padding)`.
fn pad_hash(temp_key: &[u8; 32], data_with_padding: &[u8; PADDED_LEN]) -> [u8; 32] {
    Sha256::new()
        .chain_update(temp_key)
        .chain_update(data_with_padding)
        .finalize()
        .into()
}

/// One RSA_PAD attempt: `key_aes_encrypted` for one `temp_key`.
pub fn key_aes_encrypted(
    data_with_padding: &[u8; PADDED_LEN],
    temp_key: &[u8; 32],
) -> Zeroizing<[u8; MODULUS_LEN]> {
    let mut out = Zeroizing::new([0u8; MODULUS_LEN]);
    let (xor, aes) = out.split_at_mut(32);
    let (reversed, hash) = aes.split_at_mut(PADDED_LEN);
    reversed.copy_from_slice(data_with_padding);
    reversed.reverse();
    hash.copy_from_slice(&pad_hash(temp_key, data_with_padding));
    // 224 bytes: block aligned, cannot fail.
    let _ = aes256_ige_encrypt(temp_key, &[0u8; 32], aes);
    let h: [u8; 32] = Sha256::digest(&*aes).into();
    for ((x, k), hh) in xor.iter_mut().zip(temp_key).zip(h) {
        *x = k ^ hh;
    }
    out
}

/// RSA_PAD(data, key) with the caller's randomness: `padding` must bring `data` to exactly 192
/// bytes; `temp_keys` are tried in order until `key_aes_encrypted < n`. Returns
/// `encrypted_data` (256 bytes) and the index of the temp key used.
pub fn rsa_pad_encrypt(
    key: &RsaPublicKey,
    data: &[u8],
    padding: &[u8],
    temp_keys: &[[u8; 32]],
) -> Result<([u8; MODULUS_LEN], usize), RsaError> {
    if data.len() > MAX_DATA_LEN {
        return Err(RsaError::DataTooLong { len: data.len() });
    }
    let mut dwp = Zeroizing::new([0u8; PADDED_LEN]);
    let (d, p) = dwp.split_at_mut(data.len());
    if p.len() != padding.len() {
        return Err(RsaError::DataTooLong {
            len: data.len().saturating_add(padding.len()),
        });
    }
    d.copy_from_slice(data);
    p.copy_from_slice(padding);
    for (i, temp_key) in temp_keys.iter().enumerate() {
        let kae = key_aes_encrypted(&dwp, temp_key);
        let m = U2048::from_be_slice(&*kae);
        // "If key_aes_encrypted turns out to be greater than or equal to the RSA modulus, the
        // previous steps starting from the generation of new random temp_key are repeated."
        // Mutant: the first temp_key is used whatever its value (m^e is then taken mod n).
        if key.less_than_n(&m) || mutant!(SkipRsaRetry) {
            return Ok((key.encrypt_raw(&m), i));
        }
    }
    Err(RsaError::RetriesExhausted)
}

/// An RSA private key (the server side of RSA_PAD). `d` and the CRT values (the primes, their
/// Montgomery parameters, `dp`, `dq`, `q^-1 mod p`) are zeroized on drop.
#[derive(Clone)]
pub struct RsaPrivateKey {
    public: RsaPublicKey,
    d: U2048,
    /// The Chinese-remainder form of `d`, when the key came with its primes (a PKCS#1 key):
    /// decryption then takes two 1024-bit exponentiations instead of one 2048-bit one, about a
    /// quarter of the work. Absent for a key given as `n`, `e`, `d` only.
    crt: Option<Crt>,
}

impl Drop for RsaPrivateKey {
    fn drop(&mut self) {
        self.d.zeroize();
    }
}

/// `d` in Chinese-remainder form: `m = c^d mod n` from `m_p = c^dp mod p`, `m_q = c^dq mod q`
/// and `m = m_q + q · (q_inv · (m_p − m_q) mod p)` (Garner), for primes `p`, `q` with `n = p·q`.
#[derive(Clone)]
struct Crt {
    p: NonZero<U1024>,
    q: NonZero<U1024>,
    p_params: HalfParams,
    q_params: HalfParams,
    dp: U1024,
    dq: U1024,
    /// `q^-1 mod p`, in Montgomery form mod `p`.
    q_inv: HalfMonty,
}

impl Crt {
    /// The CRT form of `d` for `n = p·q`, or `None` when `p`, `q` do not fit (not odd, not below
    /// 2^1024, `p·q ≠ n`, `q` not invertible mod `p`) or the result disagrees with `e` on any of
    /// the values of `crt_probes` (a composite `p` or `q`, or a `d` that belongs to other primes, makes
    /// `dp`/`dq` wrong): the caller then decrypts with `d` alone. The primes are secret, so their
    /// Montgomery parameters are computed in constant time too.
    fn new(public: &RsaPublicKey, d: &U2048, p: &[u8], q: &[u8]) -> Option<Self> {
        let (p, q): (U1024, U1024) = (to_uint(p)?, to_uint(q)?);
        let (lo, hi) = p.widening_mul(&q);
        if lo.concat(&hi) != public.n {
            return None;
        }
        let (p_odd, q_odd) = (
            Option::<Odd<U1024>>::from(Odd::new(p))?,
            Option::<Odd<U1024>>::from(Odd::new(q))?,
        );
        let (p_params, q_params) = (HalfParams::new(p_odd), HalfParams::new(q_odd));
        let p_minus_one = NonZero::new(p.wrapping_sub(&U1024::ONE)).into_option()?;
        let q_minus_one = NonZero::new(q.wrapping_sub(&U1024::ONE)).into_option()?;
        let dp = d.rem(&p_minus_one);
        let dq = d.rem(&q_minus_one);
        let (p_nz, q_nz) = (*p_odd.as_nz_ref(), *q_odd.as_nz_ref());
        let mut q_inv = q.rem(&p_nz).invert_odd_mod(&p_odd).into_option()?;
        let crt = Self {
            p: p_nz,
            q: q_nz,
            p_params,
            q_params,
            dp,
            dq,
            q_inv: HalfMonty::new(&q_inv, &p_params),
        };
        q_inv.zeroize();
        // A key whose d does not match its primes would decrypt wrongly: check m = (m^e)^d for
        // small values and for values spread over the range of n.
        let agrees = crt_probes().iter().all(|probe| {
            let c = Monty::new(probe, &public.params)
                .pow_vartime(&public.e)
                .retrieve();
            crt.decrypt(&c) == *probe
        });
        agrees.then_some(crt)
    }

    /// `c^d mod n` for `c < n` (constant time in the secret values).
    fn decrypt(&self, c: &U2048) -> U2048 {
        let mut m_p = HalfMonty::new(&c.rem(&self.p), &self.p_params).pow(&self.dp);
        let mut m_q = HalfMonty::new(&c.rem(&self.q), &self.q_params)
            .pow(&self.dq)
            .retrieve();
        let m_q_mod_p = HalfMonty::new(&m_q.rem(&self.p), &self.p_params);
        let mut h = m_p.sub(&m_q_mod_p).mul(&self.q_inv).retrieve();
        let (lo, hi) = h.widening_mul(self.q.as_ref());
        let m = lo
            .concat(&hi)
            .wrapping_add(&m_q.resize::<{ U2048::LIMBS }>());
        m_p.zeroize();
        m_q.zeroize();
        h.zeroize();
        m
    }
}

/// The values `Crt::new` decrypts after encrypting: 2, 3, 5, 7 and four of 2040 bits (hash bytes
/// with the top byte zero, so below any 2048-bit `n`).
fn crt_probes() -> Vec<U2048> {
    let mut probes: Vec<U2048> = [2u8, 3, 5, 7].map(U2048::from_u8).to_vec();
    for k in 0..4u8 {
        let mut bytes = [0u8; MODULUS_LEN];
        for (i, chunk) in (0u8..).zip(bytes.chunks_mut(32)) {
            chunk.copy_from_slice(&Sha256::digest([b'c', b'r', b't', k, i]));
        }
        bytes[0] = 0;
        probes.push(U2048::from_be_slice(&bytes));
    }
    probes
}

impl Drop for Crt {
    fn drop(&mut self) {
        self.p.zeroize();
        self.q.zeroize();
        self.p_params.zeroize();
        self.q_params.zeroize();
        self.dp.zeroize();
        self.dq.zeroize();
        self.q_inv.zeroize();
    }
}

impl core::fmt::Debug for RsaPrivateKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RsaPrivateKey")
            .field(
                "fingerprint",
                &format_args!("{:016x}", self.public.fingerprint()),
            )
            .field("crt", &self.crt.is_some())
            .finish_non_exhaustive()
    }
}

impl RsaPrivateKey {
    /// A key from `n`, `e` and `d`, big-endian.
    pub fn from_n_e_d(n: &[u8], e: &[u8], d: &[u8]) -> Result<Self, RsaError> {
        let public = RsaPublicKey::from_n_e(n, e)?;
        let d = to_u2048(d).ok_or(RsaError::KeyUnsupported)?;
        Ok(Self {
            public,
            d,
            crt: None,
        })
    }

    /// A key from a PKCS#1 PEM (`-----BEGIN RSA PRIVATE KEY-----`, `openssl genrsa -traditional`).
    pub fn from_pkcs1_pem(pem: &str) -> Result<Self, RsaError> {
        let der = Zeroizing::new(pem_body(pem, "RSA PRIVATE KEY")?);
        let mut outer = Reader::new(&der);
        let mut seq = Reader::new(der_tlv(&mut outer, 0x30)?);
        let version = der_uint(&mut seq)?;
        if !strip_zeros(version).is_empty() {
            return Err(RsaError::KeyUnsupported);
        }
        let n = der_uint(&mut seq)?;
        let e = der_uint(&mut seq)?;
        let d = der_uint(&mut seq)?;
        let mut key = Self::from_n_e_d(n, e, d)?;
        // prime1, prime2 (exponent1, exponent2 and the coefficient are recomputed from them).
        if let (Ok(p), Ok(q)) = (der_uint(&mut seq), der_uint(&mut seq)) {
            key.crt = Crt::new(&key.public, &key.d, p, q);
        }
        Ok(key)
    }

    /// The public half.
    pub fn public(&self) -> &RsaPublicKey {
        &self.public
    }

    /// `d` as 256 big-endian bytes (for writing server-role vectors).
    pub fn d_bytes(&self) -> Zeroizing<[u8; MODULUS_LEN]> {
        Zeroizing::new(to_bytes(&self.d))
    }

    /// `c^d mod n` as 256 big-endian bytes (constant time in `d`).
    fn decrypt_raw(&self, c: &U2048) -> [u8; MODULUS_LEN] {
        let computed = || self.decrypt_raw_computed(c);
        // Fuzz builds only: a memo keyed by n, c and d (`fuzzing::memo`).
        #[cfg(fuzzing)]
        let computed = || {
            crate::fuzzing::memo::modpow(
                crate::fuzzing::memo::Op::RsaDecrypt,
                &to_bytes(&self.public.n),
                &to_bytes(c),
                &self.d_bytes(),
                computed,
            )
        };
        computed()
    }

    fn decrypt_raw_computed(&self, c: &U2048) -> [u8; MODULUS_LEN] {
        let mut m = match &self.crt {
            Some(crt) => crt.decrypt(c),
            None => Monty::new(c, &self.public.params).pow(&self.d).retrieve(),
        };
        let out = to_bytes(&m);
        m.zeroize();
        out
    }

    /// Undo RSA_PAD and return `data_with_padding` (192 bytes, TL object first), checking the
    /// hash over all of it before the caller parses anything. The checks, in order:
    ///
    /// 1. `encrypted_data` is 256 bytes ([`RsaError::CiphertextWrongSize`]);
    /// 2. as a big-endian number it is `< n` ([`RsaError::CiphertextOutOfRange`]): a conforming
    ///    client only encrypts `key_aes_encrypted < n`, so its ciphertext is a residue mod n;
    /// 3. `SHA256(temp_key + data_with_padding)` equals the last 32 bytes of the decrypted
    ///    block, compared in constant time ([`RsaError::HashMismatch`]).
    pub fn rsa_pad_decrypt(
        &self,
        encrypted_data: &[u8],
    ) -> Result<Zeroizing<[u8; PADDED_LEN]>, RsaError> {
        let (dwp, hash_ok) = self.rsa_pad_unwrap(encrypted_data)?;
        if hash_ok {
            Ok(dwp)
        } else {
            Err(RsaError::HashMismatch)
        }
    }

    /// Checks 1 and 2 of [`rsa_pad_decrypt`](Self::rsa_pad_decrypt), then the decrypted
    /// `data_with_padding` with the outcome of check 3 (computed in constant time; the caller
    /// must not look at the bytes when it is `false`).
    pub(crate) fn rsa_pad_unwrap(
        &self,
        encrypted_data: &[u8],
    ) -> Result<(Zeroizing<[u8; PADDED_LEN]>, bool), RsaError> {
        let c: [u8; MODULUS_LEN] =
            encrypted_data
                .try_into()
                .map_err(|_| RsaError::CiphertextWrongSize {
                    len: encrypted_data.len(),
                })?;
        let c = U2048::from_be_slice(&c);
        // Mutant: a ciphertext >= n is decrypted (as c mod n) instead of refused.
        if !self.public.less_than_n(&c) && !mutant!(AcceptCiphertextAboveN) {
            return Err(RsaError::CiphertextOutOfRange);
        }
        let mut kae = Zeroizing::new(self.decrypt_raw(&c));
        let (xor, aes) = kae.split_at_mut(32);
        let h: [u8; 32] = Sha256::digest(&*aes).into();
        let mut temp_key = Zeroizing::new([0u8; 32]);
        for ((t, x), hh) in temp_key.iter_mut().zip(xor.iter()).zip(h) {
            *t = x ^ hh;
        }
        let _ = aes256_ige_decrypt(&temp_key, &[0u8; 32], aes);
        let (reversed, hash) = aes.split_at(PADDED_LEN);
        let mut dwp = Zeroizing::new([0u8; PADDED_LEN]);
        dwp.copy_from_slice(reversed);
        dwp.reverse();
        let expected = pad_hash(&temp_key, &dwp);
        let ok = bool::from(expected.ct_eq(hash));
        Ok((dwp, ok))
    }
}

/// The base64 body of the one PEM block labelled `label`.
fn pem_body(pem: &str, label: &str) -> Result<Vec<u8>, RsaError> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = pem
        .find(&begin)
        .and_then(|i| i.checked_add(begin.len()))
        .ok_or(RsaError::KeyMalformed)?;
    let rest = pem.get(start..).ok_or(RsaError::KeyMalformed)?;
    let stop = rest.find(&end).ok_or(RsaError::KeyMalformed)?;
    base64_decode(rest.get(..stop).ok_or(RsaError::KeyMalformed)?)
}

/// Standard base64 (RFC 4648 §4), whitespace ignored, `=` padding only at the end.
fn base64_decode(s: &str) -> Result<Vec<u8>, RsaError> {
    let mut out = Vec::with_capacity(s.len().saturating_mul(3) / 4);
    let mut acc: u32 = 0;
    let mut bits: u32 = 0;
    let mut pad = 0usize;
    for c in s.bytes().filter(|c| !c.is_ascii_whitespace()) {
        let v = match c {
            b'A'..=b'Z' => c.wrapping_sub(b'A'),
            b'a'..=b'z' => c.wrapping_sub(b'a').wrapping_add(26),
            b'0'..=b'9' => c.wrapping_sub(b'0').wrapping_add(52),
            b'+' => 62,
            b'/' => 63,
            b'=' => {
                pad = pad.saturating_add(1);
                continue;
            }
            _ => return Err(RsaError::KeyMalformed),
        };
        if pad > 0 {
            return Err(RsaError::KeyMalformed);
        }
        acc = ((acc << 6) | u32::from(v)) & 0xffff;
        bits = bits.saturating_add(6);
        if bits >= 8 {
            bits = bits.saturating_sub(8);
            out.push(u8::try_from((acc >> bits) & 0xff).unwrap_or(0));
        }
    }
    if pad > 2 {
        return Err(RsaError::KeyMalformed);
    }
    Ok(out)
}

/// One DER TLV with the given tag; definite lengths up to 2^16.
fn der_tlv<'a>(r: &mut Reader<'a>, tag: u8) -> Result<&'a [u8], RsaError> {
    let bad = RsaError::KeyMalformed;
    let [t] = r.take_array::<1>().ok_or(bad)?;
    if t != tag {
        return Err(bad);
    }
    let [l] = r.take_array::<1>().ok_or(bad)?;
    let len = match l {
        0..=0x7f => usize::from(l),
        0x81 => {
            let [b] = r.take_array::<1>().ok_or(bad)?;
            usize::from(b)
        }
        0x82 => usize::from(u16::from_be_bytes(r.take_array::<2>().ok_or(bad)?)),
        _ => return Err(bad),
    };
    r.take(len).ok_or(bad)
}

/// A non-negative DER INTEGER's magnitude, big-endian.
fn der_uint<'a>(r: &mut Reader<'a>) -> Result<&'a [u8], RsaError> {
    let v = der_tlv(r, 0x02)?;
    if v.first().is_none_or(|&b| b & 0x80 != 0) {
        return Err(RsaError::KeyMalformed);
    }
    Ok(strip_zeros(v))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    const PEM: &str = include_str!("../../tests/data/test_server_rsa_private.pem");

    /// The test key's n, e, d, p, q as big-endian bytes.
    fn parts() -> Vec<Vec<u8>> {
        let der = pem_body(PEM, "RSA PRIVATE KEY").unwrap();
        let mut outer = Reader::new(&der);
        let mut seq = Reader::new(der_tlv(&mut outer, 0x30).unwrap());
        (0..6)
            .map(|_| der_uint(&mut seq).unwrap().to_vec())
            .skip(1)
            .collect()
    }

    /// The CRT form is taken only when it decrypts like `d`: swapped-in wrong primes and a `d`
    /// that belongs to other primes are refused, the right ones accepted.
    #[test]
    fn crt_is_refused_unless_it_matches_the_key() {
        let [n, e, d, p, q] = <[Vec<u8>; 5]>::try_from(parts()).unwrap();
        let public = RsaPublicKey::from_n_e(&n, &e).unwrap();
        let d_num = to_u2048(&d).unwrap();
        assert!(Crt::new(&public, &d_num, &p, &q).is_some());
        assert!(Crt::new(&public, &d_num, &q, &p).is_some(), "either order");
        assert!(Crt::new(&public, &d_num, &p, &p).is_none(), "p·p is not n");
        let one = [1u8];
        assert!(
            Crt::new(&public, &d_num, &one, &n).is_none(),
            "n does not fit 1024 bits"
        );
        let other_d = d_num.wrapping_add(&U2048::from_u8(2));
        assert!(
            Crt::new(&public, &other_d, &p, &q).is_none(),
            "d + 2 decrypts wrongly"
        );
    }
}
