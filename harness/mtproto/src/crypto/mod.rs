//! The cryptographic building blocks: AES-IGE and the message key derivations.

pub mod dh;
pub mod ige;
pub mod kdf;
pub mod rsa_pad;
