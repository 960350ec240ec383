//! AES Infinite Garble Extension, Ben Laurie's OpenSSL variant, as Telegram uses it (spec §1.1).
//!
//! ```text
//! encrypt: y_i = E_K(x_i XOR y_{i-1}) XOR x_{i-1}
//! decrypt: x_i = D_K(y_i XOR x_{i-1}) XOR y_{i-1}
//! iv (32 bytes) = y_0 (bytes 0..16) || x_0 (bytes 16..32)
//! ```
//!
//! "Telegram passes its 32-byte aes_iv unchanged as this ivec" ([openssl-ige], spec §1.1): the first
//! half is the previous ciphertext block, XORed in before the block cipher on encryption; the second
//! half is the previous plaintext block, XORed in after it.
//!
//! The mode is generic over any 128-bit block cipher so OpenSSL's AES-128 known answers run through
//! the same code as Telegram's AES-256. Both directions are a single dependent chain (every block
//! needs the previous one), so speed comes from entering the cipher backend once per buffer: the
//! whole loop runs inside one [`BlockCipherEncClosure`] / [`BlockCipherDecClosure`], where the
//! backend (AES-NI when present) is resolved once and its block function inlined.
//!
//! A length that is not a multiple of 16 is an [`IgeError::NotBlockAligned`] and leaves the buffer
//! untouched. The chaining state can be carried across calls ([`IgeEncryptor`], [`IgeDecryptor`]):
//! splitting a buffer anywhere on a block boundary gives the same bytes as one call.
//!
//! [openssl-ige]: https://github.com/openssl/openssl/blob/master/crypto/aes/aes_ige.c

use aes::{Aes256Dec, Aes256Enc};
use cipher::consts::U16;
use cipher::{
    Block, BlockCipherDecBackend, BlockCipherDecClosure, BlockCipherDecrypt, BlockCipherEncBackend,
    BlockCipherEncClosure, BlockCipherEncrypt, BlockSizeUser, KeyInit,
};
use zeroize::Zeroize;

use crate::error::IgeError;

/// Bytes in one block.
pub const BLOCK_LEN: usize = 16;

type Bytes16 = [u8; BLOCK_LEN];

/// Byte-wise XOR; LLVM lowers it to one SIMD `xor`, keeping the chain in vector registers (a
/// `u128` XOR would round-trip through general-purpose registers on the critical path).
#[inline(always)]
fn xor(a: Bytes16, b: Bytes16) -> Bytes16 {
    let mut out = a;
    for (o, b) in out.iter_mut().zip(b) {
        *o ^= b;
    }
    out
}

fn split_iv(iv: &[u8; 32]) -> (Bytes16, Bytes16) {
    let (y0, x0) = iv.split_at(BLOCK_LEN);
    let mut y = [0u8; BLOCK_LEN];
    let mut x = [0u8; BLOCK_LEN];
    y.copy_from_slice(y0);
    x.copy_from_slice(x0);
    (y, x)
}

fn join_iv(y: &Bytes16, x: &Bytes16) -> [u8; 32] {
    let mut iv = [0u8; 32];
    let (a, b) = iv.split_at_mut(BLOCK_LEN);
    a.copy_from_slice(y);
    b.copy_from_slice(x);
    iv
}

fn blocks_mut(data: &mut [u8]) -> Result<&mut [Bytes16], IgeError> {
    let len = data.len();
    match data.as_chunks_mut::<BLOCK_LEN>() {
        (blocks, []) => Ok(blocks),
        _ => Err(IgeError::NotBlockAligned { len }),
    }
}

fn blocks(data: &[u8]) -> Result<&[Bytes16], IgeError> {
    match data.as_chunks::<BLOCK_LEN>() {
        (blocks, []) => Ok(blocks),
        _ => Err(IgeError::NotBlockAligned { len: data.len() }),
    }
}

/// Where the blocks come from and go to: in place, or from one buffer into another.
enum Blocks<'a> {
    InPlace(&'a mut [Bytes16]),
    Copy(&'a [Bytes16], &'a mut [Bytes16]),
}

/// The IGE chaining state: previous ciphertext block `y` and previous plaintext block `x`.
struct Chain<'s, 'b> {
    y: &'s mut Bytes16,
    x: &'s mut Bytes16,
    blocks: Blocks<'b>,
}

impl BlockSizeUser for Chain<'_, '_> {
    type BlockSize = U16;
}

/// Runs the whole buffer through one entry into the cipher backend.
macro_rules! run_chain {
    ($self:ident, $step:expr) => {{
        let Chain { y, x, blocks } = $self;
        let (mut py, mut px) = (*y, *x);
        match blocks {
            Blocks::InPlace(bufs) => {
                for b in bufs.iter_mut() {
                    *b = $step(*b, &mut py, &mut px);
                }
            }
            Blocks::Copy(input, output) => {
                for (i, o) in input.iter().zip(output.iter_mut()) {
                    *o = $step(*i, &mut py, &mut px);
                }
            }
        }
        *y = py;
        *x = px;
    }};
}

impl BlockCipherEncClosure for Chain<'_, '_> {
    #[inline(always)]
    fn call<B: BlockCipherEncBackend<BlockSize = U16>>(self, backend: &B) {
        // y_i = E(x_i ^ y_{i-1}) ^ x_{i-1}
        let step = |xi: Bytes16, y: &mut Bytes16, x: &mut Bytes16| {
            let mut t: Block<B> = xor(xi, *y).into();
            backend.encrypt_block_inplace(&mut t);
            let yi = xor(t.into(), *x);
            *y = yi;
            *x = xi;
            yi
        };
        run_chain!(self, step)
    }
}

impl BlockCipherDecClosure for Chain<'_, '_> {
    #[inline(always)]
    fn call<B: BlockCipherDecBackend<BlockSize = U16>>(self, backend: &B) {
        // x_i = D(y_i ^ x_{i-1}) ^ y_{i-1}
        let step = |yi: Bytes16, y: &mut Bytes16, x: &mut Bytes16| {
            let mut t: Block<B> = xor(yi, *x).into();
            backend.decrypt_block_inplace(&mut t);
            let xi = xor(t.into(), *y);
            *y = yi;
            *x = xi;
            xi
        };
        run_chain!(self, step)
    }
}

/// IGE encryption with a chaining state that carries over between calls.
pub struct IgeEncryptor<C> {
    cipher: C,
    y: Bytes16,
    x: Bytes16,
}

impl<C: BlockCipherEncrypt<BlockSize = U16>> IgeEncryptor<C> {
    /// Start encrypting under `cipher` with the 32-byte `iv` = y0 ‖ x0.
    pub fn new(cipher: C, iv: &[u8; 32]) -> Self {
        let (y, x) = split_iv(iv);
        Self { cipher, y, x }
    }

    /// Encrypt `data` in place, continuing the chain.
    pub fn encrypt(&mut self, data: &mut [u8]) -> Result<(), IgeError> {
        let blocks = Blocks::InPlace(blocks_mut(data)?);
        self.run(blocks);
        Ok(())
    }

    /// Encrypt `input` into `output` (same length), continuing the chain.
    pub fn encrypt_b2b(&mut self, input: &[u8], output: &mut [u8]) -> Result<(), IgeError> {
        if input.len() != output.len() {
            return Err(IgeError::LengthMismatch {
                input: input.len(),
                output: output.len(),
            });
        }
        let blocks = Blocks::Copy(blocks(input)?, blocks_mut(output)?);
        self.run(blocks);
        Ok(())
    }

    fn run(&mut self, blocks: Blocks<'_>) {
        self.cipher.encrypt_with_backend(Chain {
            y: &mut self.y,
            x: &mut self.x,
            blocks,
        });
    }

    /// The current chaining value `y_n ‖ x_n`, as OpenSSL leaves it in `ivec`.
    pub fn iv(&self) -> [u8; 32] {
        join_iv(&self.y, &self.x)
    }
}

/// IGE decryption with a chaining state that carries over between calls.
pub struct IgeDecryptor<C> {
    cipher: C,
    y: Bytes16,
    x: Bytes16,
}

impl<C: BlockCipherDecrypt<BlockSize = U16>> IgeDecryptor<C> {
    /// Start decrypting under `cipher` with the 32-byte `iv` = y0 ‖ x0.
    pub fn new(cipher: C, iv: &[u8; 32]) -> Self {
        let (y, x) = split_iv(iv);
        Self { cipher, y, x }
    }

    /// Decrypt `data` in place, continuing the chain.
    pub fn decrypt(&mut self, data: &mut [u8]) -> Result<(), IgeError> {
        let blocks = Blocks::InPlace(blocks_mut(data)?);
        self.run(blocks);
        Ok(())
    }

    /// Decrypt `input` into `output` (same length), continuing the chain.
    pub fn decrypt_b2b(&mut self, input: &[u8], output: &mut [u8]) -> Result<(), IgeError> {
        if input.len() != output.len() {
            return Err(IgeError::LengthMismatch {
                input: input.len(),
                output: output.len(),
            });
        }
        let blocks = Blocks::Copy(blocks(input)?, blocks_mut(output)?);
        self.run(blocks);
        Ok(())
    }

    fn run(&mut self, blocks: Blocks<'_>) {
        self.cipher.decrypt_with_backend(Chain {
            y: &mut self.y,
            x: &mut self.x,
            blocks,
        });
    }

    /// The current chaining value `y_n ‖ x_n`, as OpenSSL leaves it in `ivec`.
    pub fn iv(&self) -> [u8; 32] {
        join_iv(&self.y, &self.x)
    }
}

impl<C> Drop for IgeEncryptor<C> {
    fn drop(&mut self) {
        self.y.zeroize();
        self.x.zeroize();
    }
}

impl<C> Drop for IgeDecryptor<C> {
    fn drop(&mut self) {
        self.y.zeroize();
        self.x.zeroize();
    }
}

/// AES-256-IGE encryption of `data` in place under `key` and `iv` (spec §1.1).
pub fn aes256_ige_encrypt(key: &[u8; 32], iv: &[u8; 32], data: &mut [u8]) -> Result<(), IgeError> {
    // Check first so an unaligned buffer costs no key schedule.
    blocks_mut(data)?;
    IgeEncryptor::new(Aes256Enc::new(key.into()), iv).encrypt(data)
}

/// AES-256-IGE decryption of `data` in place under `key` and `iv` (spec §1.1).
pub fn aes256_ige_decrypt(key: &[u8; 32], iv: &[u8; 32], data: &mut [u8]) -> Result<(), IgeError> {
    blocks_mut(data)?;
    IgeDecryptor::new(Aes256Dec::new(key.into()), iv).decrypt(data)
}

#[cfg(test)]
mod tests {
    use super::*;
    use aes::Aes128;

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s).unwrap()
    }

    fn seq(n: usize, start: u8) -> Vec<u8> {
        (0..n).map(|i| start.wrapping_add(i as u8)).collect()
    }

    /// OpenSSL `test/igetest.c` vector 0 (spec §1.2), AES-128.
    #[test]
    fn openssl_igetest_vector_0_aes128() {
        let key: [u8; 16] = seq(16, 0).try_into().unwrap();
        let iv: [u8; 32] = seq(32, 0).try_into().unwrap();
        let mut data = vec![0u8; 32];
        IgeEncryptor::new(Aes128::new(&key.into()), &iv)
            .encrypt(&mut data)
            .unwrap();
        assert_eq!(
            hex::encode(&data),
            "1a8519a6557be652e9da8e43da4ef4453cf456b4ca488aa383c79c98b34797cb"
        );
        IgeDecryptor::new(Aes128::new(&key.into()), &iv)
            .decrypt(&mut data)
            .unwrap();
        assert_eq!(data, vec![0u8; 32]);
    }

    /// OpenSSL `test/igetest.c` vector 1 (spec §1.2), AES-128: `AES_DECRYPT` of the ASCII input
    /// gives `9970…f53b`; equivalently, encrypting `9970…f53b` gives the ASCII.
    #[test]
    fn openssl_igetest_vector_1_aes128() {
        let key: [u8; 16] = b"This is an imple".to_owned();
        let iv: [u8; 32] = b"mentation of IGE mode for OpenSS".to_owned();
        let input = b"L. Let's hope Ben got it right!\n".to_vec();
        let output = h("99706487a1cde613bc6de0b6f24b1c7aa448c8b9c3403e3467a8cad89340f53b");
        let mut data = input.clone();
        IgeDecryptor::new(Aes128::new(&key.into()), &iv)
            .decrypt(&mut data)
            .unwrap();
        assert_eq!(data, output);
        IgeEncryptor::new(Aes128::new(&key.into()), &iv)
            .encrypt(&mut data)
            .unwrap();
        assert_eq!(data, input);
    }

    /// grammers AES-256-IGE known answers (spec §1.3): key = iv = input = 0x00..0x1f.
    #[test]
    fn grammers_aes256_known_answers() {
        let k: [u8; 32] = seq(32, 0).try_into().unwrap();
        let mut data = seq(32, 0);
        aes256_ige_encrypt(&k, &k, &mut data).unwrap();
        assert_eq!(
            hex::encode(&data),
            "e28112a53e5c89c7b1ea8071c133699fd4e86b26c4bac9fc5af1ab8ce27a44a4"
        );
        let mut data = seq(32, 0);
        aes256_ige_decrypt(&k, &k, &mut data).unwrap();
        assert_eq!(
            hex::encode(&data),
            "e5777afacd7b2c16f7ac40cae61ef603fee6098fb8a8860ab9ee672cd7e5bacc"
        );
    }

    #[test]
    fn unaligned_lengths_are_errors_and_leave_data_untouched() {
        let k = [7u8; 32];
        for len in [1usize, 15, 17, 31, 33, 4095] {
            let mut data = vec![0xabu8; len];
            assert_eq!(
                aes256_ige_encrypt(&k, &k, &mut data),
                Err(IgeError::NotBlockAligned { len })
            );
            assert_eq!(
                aes256_ige_decrypt(&k, &k, &mut data),
                Err(IgeError::NotBlockAligned { len })
            );
            assert!(data.iter().all(|&b| b == 0xab));
        }
        // The empty buffer is aligned and a no-op.
        aes256_ige_encrypt(&k, &k, &mut []).unwrap();
    }

    #[test]
    fn chaining_value_is_last_blocks_like_openssl() {
        let k = [3u8; 32];
        let iv = [9u8; 32];
        let pt = seq(64, 5);
        let mut ct = pt.clone();
        let mut enc = IgeEncryptor::new(Aes256Enc::new(&k.into()), &iv);
        enc.encrypt(&mut ct).unwrap();
        let mut expected = ct[48..64].to_vec();
        expected.extend_from_slice(&pt[48..64]);
        assert_eq!(enc.iv().to_vec(), expected);
    }

    #[test]
    fn b2b_equals_in_place() {
        let k = [1u8; 32];
        let iv = [2u8; 32];
        let pt = seq(160, 0);
        let mut a = pt.clone();
        aes256_ige_encrypt(&k, &iv, &mut a).unwrap();
        let mut b = vec![0u8; pt.len()];
        IgeEncryptor::new(Aes256Enc::new(&k.into()), &iv)
            .encrypt_b2b(&pt, &mut b)
            .unwrap();
        assert_eq!(a, b);
        let mut c = vec![0u8; pt.len()];
        IgeDecryptor::new(Aes256Dec::new(&k.into()), &iv)
            .decrypt_b2b(&a, &mut c)
            .unwrap();
        assert_eq!(c, pt);
        assert!(
            IgeEncryptor::new(Aes256Enc::new(&k.into()), &iv)
                .encrypt_b2b(&pt, &mut [0u8; 16])
                .is_err()
        );
    }
}
