//! Secret-chat files and self-destruct timers (spec §8.6, [e2e], [dm]).
//!
//! A file sent in a secret chat is encrypted on the client with a one-time key before upload:
//!
//! ```text
//! key, iv     = 32 + 32 random bytes, sent to the peer inside the encrypted message
//!               (decryptedMessageMedia*: key:bytes iv:bytes)
//! encrypted   = AES-256-IGE(file ‖ padding to a multiple of 16, key, iv), uploaded in parts;
//!               the IGE chain runs across the parts (each part but the last a whole number of
//!               blocks), so part-by-part equals the whole file at once
//! fingerprint = md5(key ‖ iv)[0..4] XOR md5(key ‖ iv)[4..8]
//!               (inputEncryptedFileUploaded / encryptedFile key_fingerprint:int)
//! ```
//!
//! **Byte order of the fingerprint.** Spec §8.6 writes the formula over bytes; the field it goes
//! in is a TL `int`. TDLib reads both 4-byte halves of the MD5 as native (little-endian) `int32`
//! and XORs them ([td-fek]), which is the TL `int` whose little-endian wire bytes are
//! `md5[0..4] XOR md5[4..8]`. [`fingerprint`] returns that `i32`; [`fingerprint_bytes`] its four
//! wire bytes.
//!
//! **Receiver.** The key and iv arrive inside the end-to-end message, the fingerprint outside it
//! (from the server's `encryptedFile`); a fingerprint that does not match the key and iv means the
//! file is not the one the message describes, and it is rejected
//! (`FileFingerprintMismatch`). The decrypted file is cut to the `size` the message declares; an
//! encrypted length that is not a whole number of blocks, or that does not hold `size` with less
//! than one block of padding, is `FileSizeInvalid`.
//!
//! **Self-destruct** ([dm]): `decryptedMessage.ttl` is a message's own lifetime in seconds and
//! takes priority; `decryptedMessageActionSetMessageTTL#a1733aec ttl_seconds:int` sets the chat's
//! timer, which deletes messages `ttl_seconds` after they were read (spec §8.6). Both count from
//! the moment the message was read. [`ttl_deadline`] and [`chat_ttl_after`] are that arithmetic,
//! without clocks.
//!
//! [e2e]: https://core.telegram.org/api/end-to-end
//! [dm]: https://core.telegram.org/constructor/decryptedMessage
//! [td-fek]: https://github.com/tdlib/td/blob/master/td/telegram/files/FileEncryptionKey.cpp

use aes::{Aes256Dec, Aes256Enc};
use cipher::KeyInit;
use md5::{Digest, Md5};
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::crypto::ige::{IgeDecryptor, IgeEncryptor};
use crate::error::{EnvelopeError, SecretError};

/// The one-time key and iv of a secret-chat file. Zeroized on drop.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct FileKey {
    key: [u8; 32],
    iv: [u8; 32],
}

impl core::fmt::Debug for FileKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("FileKey")
            .field("fingerprint", &self.fingerprint())
            .finish_non_exhaustive()
    }
}

/// `md5(key ‖ iv)[0..4] XOR md5(key ‖ iv)[4..8]` as its four wire bytes (spec §8.6), over the
/// key and iv as a message carries them (a [`FileKey`] holds 32 bytes of each; other lengths
/// only occur in what a peer sends, which [`FileKey::from_fields`] refuses).
pub fn fingerprint_bytes(key: &[u8], iv: &[u8]) -> [u8; 4] {
    let digest: [u8; 16] = Md5::new()
        .chain_update(key)
        .chain_update(iv)
        .finalize()
        .into();
    let mut out = [0u8; 4];
    for ((o, a), b) in out.iter_mut().zip(&digest).zip(digest.iter().skip(4)) {
        *o = a ^ b;
    }
    out
}

/// The file `key_fingerprint` as the TL `int` of `encryptedFile`: [`fingerprint_bytes`] read
/// little-endian, as TDLib computes it (see the module docs).
pub fn fingerprint(key: &[u8], iv: &[u8]) -> i32 {
    i32::from_le_bytes(fingerprint_bytes(key, iv))
}

impl FileKey {
    /// A file key from the 32-byte `key` and `iv` (fresh CSPRNG output for a file to send; the
    /// `decryptedMessageMedia*` fields for a file received).
    pub fn new(key: [u8; 32], iv: [u8; 32]) -> Self {
        Self { key, iv }
    }

    /// The key and iv from the variable-length `bytes` fields of a received message: each must
    /// be exactly 32 bytes (spec §8.6), or the file is discarded (`FileKeyInvalid`).
    pub fn from_fields(key: &[u8], iv: &[u8]) -> Result<Self, SecretError> {
        match (<[u8; 32]>::try_from(key), <[u8; 32]>::try_from(iv)) {
            (Ok(key), Ok(iv)) => Ok(Self { key, iv }),
            _ => Err(SecretError::FileKeyInvalid {
                key_len: key.len(),
                iv_len: iv.len(),
            }),
        }
    }

    /// The key, for the `key` field of the message that describes the file.
    pub fn key(&self) -> &[u8; 32] {
        &self.key
    }

    /// The iv, for the message's `iv` field.
    pub fn iv(&self) -> &[u8; 32] {
        &self.iv
    }

    /// The `key_fingerprint` to send in `inputEncryptedFileUploaded`.
    pub fn fingerprint(&self) -> i32 {
        fingerprint(&self.key, &self.iv)
    }

    /// Whether the `key_fingerprint` received with a file is this key's (spec §8.6). The
    /// fingerprint is public (it travels in the clear next to the encrypted file), so a plain
    /// comparison is enough.
    pub fn check_fingerprint(&self, received: i32) -> Result<(), SecretError> {
        let computed = self.fingerprint();
        if computed == received {
            Ok(())
        } else {
            Err(SecretError::FileFingerprintMismatch { computed, received })
        }
    }

    /// An encryptor for the file's parts, in upload order.
    pub fn encryptor(&self) -> FileEncryptor {
        FileEncryptor(IgeEncryptor::new(
            Aes256Enc::new(&self.key.into()),
            &self.iv,
        ))
    }

    /// A decryptor for the file's parts, in download order.
    pub fn decryptor(&self) -> FileDecryptor {
        FileDecryptor(IgeDecryptor::new(
            Aes256Dec::new(&self.key.into()),
            &self.iv,
        ))
    }
}

/// Encrypts a file part by part; the IGE chain carries over from one part to the next.
pub struct FileEncryptor(IgeEncryptor<Aes256Enc>);

impl core::fmt::Debug for FileEncryptor {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("FileEncryptor { .. }")
    }
}

impl FileEncryptor {
    /// Encrypt the next part in place. Every part must be a whole number of 16-byte blocks (the
    /// last one padded by the caller): `NotBlockAligned` otherwise, with nothing encrypted.
    pub fn encrypt_part(&mut self, part: &mut [u8]) -> Result<(), SecretError> {
        self.0
            .encrypt(part)
            .map_err(|_| EnvelopeError::NotBlockAligned { len: part.len() }.into())
    }
}

/// Decrypts a file part by part; the IGE chain carries over from one part to the next.
pub struct FileDecryptor(IgeDecryptor<Aes256Dec>);

impl core::fmt::Debug for FileDecryptor {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("FileDecryptor { .. }")
    }
}

impl FileDecryptor {
    /// Decrypt the next part in place (a whole number of blocks, else `NotBlockAligned`).
    pub fn decrypt_part(&mut self, part: &mut [u8]) -> Result<(), SecretError> {
        self.0
            .decrypt(part)
            .map_err(|_| EnvelopeError::NotBlockAligned { len: part.len() }.into())
    }
}

/// Receive a whole file (spec §8.6): check `received_fingerprint` against `key` first, then
/// that `encrypted` is whole blocks holding `size` bytes with under one block of padding, then
/// decrypt and cut to `size`.
pub fn decrypt_file(
    key: &FileKey,
    received_fingerprint: i32,
    size: i64,
    encrypted: &[u8],
) -> Result<Vec<u8>, SecretError> {
    key.check_fingerprint(received_fingerprint)?;
    let bad = SecretError::FileSizeInvalid {
        size,
        encrypted: encrypted.len(),
    };
    let len = usize::try_from(size).map_err(|_| bad.clone())?;
    if !encrypted.len().is_multiple_of(16)
        || len > encrypted.len()
        || encrypted.len().saturating_sub(len) >= 16
    {
        return Err(bad);
    }
    let mut out = encrypted.to_vec();
    key.decryptor().decrypt_part(&mut out)?;
    out.truncate(len);
    Ok(out)
}

/// Encrypt a whole file for upload: `file ‖ padding` (the caller's 0..=15 padding bytes making
/// a whole number of blocks) in parts of `part_size` bytes (a positive multiple of 16; the
/// result does not depend on it). Returns the encrypted bytes and the `key_fingerprint`.
pub fn encrypt_file(
    key: &FileKey,
    file: &[u8],
    padding: &[u8],
    part_size: usize,
) -> Result<(Vec<u8>, i32), SecretError> {
    if padding.len() >= 16 || part_size == 0 || !part_size.is_multiple_of(16) {
        return Err(SecretError::BadRequest {
            what: "file padding must be 0..=15 bytes and parts a positive multiple of 16",
        });
    }
    let mut data = Vec::with_capacity(file.len().saturating_add(padding.len()));
    data.extend_from_slice(file);
    data.extend_from_slice(padding);
    if !data.len().is_multiple_of(16) {
        let len = data.len();
        data.zeroize();
        return Err(EnvelopeError::NotBlockAligned { len }.into());
    }
    let mut enc = key.encryptor();
    for part in data.chunks_mut(part_size) {
        enc.encrypt_part(part)?;
    }
    Ok((data, key.fingerprint()))
}

/// The self-destruct deadline (unix seconds) of a message read at `read_at`: its own `ttl` when
/// positive (it takes priority, [dm]), else the chat's timer from `SetMessageTTL` when positive,
/// else none (spec §8.6). Saturates instead of overflowing.
///
/// [dm]: https://core.telegram.org/constructor/decryptedMessage
pub fn ttl_deadline(read_at: u64, message_ttl: i32, chat_ttl: i32) -> Option<u64> {
    let ttl = [message_ttl, chat_ttl].into_iter().find(|t| *t > 0)?;
    Some(read_at.saturating_add(u64::from(ttl.unsigned_abs())))
}

/// The chat's timer after `decryptedMessageActionSetMessageTTL(ttl_seconds)`: the new value, a
/// negative one read as 0 (off), as TDLib does.
pub fn chat_ttl_after(ttl_seconds: i32) -> i32 {
    ttl_seconds.max(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> FileKey {
        let mut k = [0u8; 32];
        let mut iv = [0u8; 32];
        for (i, b) in k.iter_mut().enumerate() {
            *b = i as u8;
        }
        for (i, b) in iv.iter_mut().enumerate() {
            *b = 0x80 | i as u8;
        }
        FileKey::new(k, iv)
    }

    #[test]
    fn fingerprint_is_the_little_endian_xor_of_the_md5_halves() {
        let k = key();
        let d: [u8; 16] = Md5::new()
            .chain_update(k.key)
            .chain_update(k.iv)
            .finalize()
            .into();
        let lo = i32::from_le_bytes(d[0..4].try_into().unwrap());
        let hi = i32::from_le_bytes(d[4..8].try_into().unwrap());
        assert_eq!(k.fingerprint(), lo ^ hi);
        assert_eq!(fingerprint_bytes(&k.key, &k.iv), (lo ^ hi).to_le_bytes());
    }

    #[test]
    fn a_peer_key_or_iv_of_another_length_is_discarded() {
        let k = key();
        assert!(FileKey::from_fields(&k.key, &k.iv).is_ok());
        for (kl, il) in [(31, 32), (33, 32), (0, 32), (32, 16), (32, 33)] {
            let key = vec![7u8; kl];
            let iv = vec![9u8; il];
            let e = FileKey::from_fields(&key, &iv).unwrap_err();
            assert_eq!(
                e,
                SecretError::FileKeyInvalid {
                    key_len: kl,
                    iv_len: il
                }
            );
            assert_eq!(crate::ProtocolError::name(&e), "FileKeyInvalid");
            assert_eq!(crate::ProtocolError::reaction(&e), crate::Reaction::Discard);
        }
    }

    #[test]
    fn md5_known_answer() {
        // RFC 1321 test suite: MD5("abc").
        let d: [u8; 16] = Md5::digest(b"abc").into();
        assert_eq!(hex::encode(d), "900150983cd24fb0d6963f7d28e17f72");
    }

    #[test]
    fn parts_chain_like_the_whole_file() {
        let k = key();
        let file: Vec<u8> = (0..100u8).collect();
        let pad = [7u8; 12];
        let (whole, fp) = encrypt_file(&k, &file, &pad, 112).unwrap();
        let (parts, _) = encrypt_file(&k, &file, &pad, 16).unwrap();
        assert_eq!(whole, parts);
        let mut one = [file.as_slice(), &pad].concat();
        crate::crypto::ige::aes256_ige_encrypt(&k.key, &k.iv, &mut one).unwrap();
        assert_eq!(whole, one);
        assert_eq!(decrypt_file(&k, fp, 100, &whole).unwrap(), file);
    }

    #[test]
    fn receiver_checks() {
        let k = key();
        let (enc, fp) = encrypt_file(&k, &[1u8; 32], &[], 32).unwrap();
        assert!(matches!(
            decrypt_file(&k, fp ^ 1, 32, &enc),
            Err(SecretError::FileFingerprintMismatch { .. })
        ));
        for size in [33, 16, -1] {
            assert!(matches!(
                decrypt_file(&k, fp, size, &enc),
                Err(SecretError::FileSizeInvalid { .. })
            ));
        }
        assert!(matches!(
            decrypt_file(&k, fp, 17, &enc[..31]),
            Err(SecretError::FileSizeInvalid { .. })
        ));
        assert_eq!(decrypt_file(&k, fp, 17, &enc).unwrap(), vec![1u8; 17]);
        assert!(encrypt_file(&k, &[0; 5], &[0; 3], 16).is_err());
        assert!(encrypt_file(&k, &[0; 5], &[0; 16], 16).is_err());
        assert!(encrypt_file(&k, &[0; 16], &[], 24).is_err());
    }

    #[test]
    fn ttl_rules() {
        assert_eq!(ttl_deadline(1000, 5, 60), Some(1005));
        assert_eq!(ttl_deadline(1000, 0, 60), Some(1060));
        assert_eq!(ttl_deadline(1000, -3, 60), Some(1060));
        assert_eq!(ttl_deadline(1000, 0, 0), None);
        assert_eq!(ttl_deadline(u64::MAX, 1, 0), Some(u64::MAX));
        assert_eq!(chat_ttl_after(-5), 0);
        assert_eq!(chat_ttl_after(30), 30);
    }
}
