//! The committed **test-only** RSA key of the harness's server (`data/*.pem`: generated once for
//! this project, never used by Telegram; its fingerprint is [`test_fingerprint`]), and the DH
//! group the harness's server offers (Telegram's published 2048-bit safe prime, g = 3).

use std::sync::Mutex;

use mtproto::crypto::dh::{self, DhGroup, SafePrimeCache, TELEGRAM_DH_PRIME};
use mtproto::crypto::rsa_pad::{RsaPrivateKey, RsaPublicKey};

use crate::error::{Result, WireError};

/// The test server's private key, PKCS#1 PEM. Test-only: it is public in the repository.
pub const TEST_RSA_PRIVATE_PEM: &str = include_str!("../data/test_server_rsa_private.pem");
/// The test server's public key, PKCS#1 PEM.
pub const TEST_RSA_PUBLIC_PEM: &str = include_str!("../data/test_server_rsa_public.pem");

/// The generator the harness's server offers.
pub const DH_G: i64 = 3;

/// Safe primes proven in this process (a client checks `dh_prime` once per process).
static PRIME_CACHE: Mutex<SafePrimeCache> = Mutex::new(SafePrimeCache::new());

/// Run `f` with the process-wide safe-prime cache.
pub fn with_prime_cache<R>(f: impl FnOnce(&mut SafePrimeCache) -> R) -> R {
    match PRIME_CACHE.lock() {
        Ok(mut c) => f(&mut c),
        Err(poisoned) => f(&mut poisoned.into_inner()),
    }
}

/// Parse a private key from PEM.
pub fn private_key(pem: &str) -> Result<RsaPrivateKey> {
    RsaPrivateKey::from_pkcs1_pem(pem)
        .map_err(|e| WireError::config("RSA private key", e.to_string()))
}

/// Parse a public key from PEM.
pub fn public_key(pem: &str) -> Result<RsaPublicKey> {
    RsaPublicKey::from_pkcs1_pem(pem)
        .map_err(|e| WireError::config("RSA public key", e.to_string()))
}

/// The test key's fingerprint (`server_public_key_fingerprints` entry), as the TL `long`.
pub fn test_fingerprint() -> Result<i64> {
    Ok(public_key(TEST_RSA_PUBLIC_PEM)?.fingerprint())
}

/// The DH group the harness's server offers, checked once per process.
pub fn server_group() -> Result<DhGroup> {
    with_prime_cache(|cache| dh::check_params(&TELEGRAM_DH_PRIME, DH_G, &[7; 32], Some(cache)))
        .map_err(|e| WireError::protocol("DH group", e))
}
