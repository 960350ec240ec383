//! Known answers from independent origins (grammers' tests, a packet captured from a real
//! Telegram server) that more than one family's generator uses.

use mtproto::AuthKey;

use super::generate::{GenerateError, gen_err};

/// The message of grammers' known-answer encryption.
pub const HELLO: &[u8] = b"Hello, world! This data should remain secure!";

/// spec §11.2: the real server packet that grammers' tests decrypt.
pub const SERVER_AUTH_KEY: &str = "5d2e7d65f49ec28bd029a88761ea27b8a4c79f12226525443e7d7c596ef330353\
0db2107e89aa997c7a0164ab694187adeff156bd6ef7118a1962347753c0e7e89a0354b8ec364f9997e71bc6923fb86\
e8e43491e010606a6ce845e2fa01940977ef0aa32adf5a97dbf6d428ec0434d717a2d3ad19622cc05887642113c7965f\
fb862a3e3ccb0ab95addda57f89245dbd76b492348f8e94bd5a7c0e0b84808523cfd1ea80b32fe9ad198bc2e103fceb7\
d52492ecc0273a28674bc923eee59265ab17a002df1f4aa2c59b819a5e5e1d105ec117336f5c76c6b187037d4b4270ce\
e9cc21071d97e9bca220c6d7b01b998cf2e5cdb9a50ecda1852a36e635690c8e";
/// The packet of that server answer.
pub const SERVER_PACKET: &str = "7a7183c2c10e4f4df945fa9a9abd35e7c3840b61f045304f39674c19c0e209784f\
50f6226a073529d675c92cbf0bfa8c99a79b3f39c72a5d9a026d431ab7407ca04ecc55187d6c45f17871524edd90cea0\
2ed728e14d7cb18aea2a636158f09459a9437710d894c79f368c4e8164b7647ea98612aefe942c5d92121acb8db02dcc\
ceb66d0f8720ac12a06db0582bfd955be34f365118e3bab8cd080ce6b45b28eac56dcd2a29374e";
/// Its plaintext.
pub const SERVER_PLAINTEXT: &str = "fc826a02248b28fd60f2c4822443ad6801f0c1c2918b305e02000000580000\
00dcf8f1730200000001a8c1c2918b305e010000001c0000000809c29ec4fd33ad918b305e18a88ea607ee5816fc826a\
02248b28fd01ccc1c2918b305e0200000014000000c5737734c4fd33ad918b305e6408300000000000fce66704a3cd8e\
e9d0ae6fab672c60c04a3f1fd4490e51f6";
/// spec §11.2: grammers' encryption of [`HELLO`] + 19 zero bytes, x = 0, auth_key 0x00..0xff.
pub const HELLO_PACKET: &str = "32d1586ea457dfc8a81729d46db54019a2bfd7f744f9b96c4f716cfdc4477db2a2c1\
5f6ddb85235fb9552f1d8407c6aaea00cc844c5a1bf6ac44b79b5edc2a23868b3d6073a590992c0f2975243d563ea18\
0d218ee757c9a";

/// [`HELLO`] padded with zero bytes to 64 bytes.
pub fn hello_plaintext() -> Vec<u8> {
    let mut p = HELLO.to_vec();
    p.resize(64, 0);
    p
}

/// An auth key from 256 bytes.
pub fn auth_key(bytes: &[u8], file: &str) -> Result<AuthKey, GenerateError> {
    AuthKey::from_slice(bytes).map_err(|e| gen_err(file, e))
}

/// The seed of the reference's DH checks in the generators.
pub const SEED: [u8; 32] = [0x42; 32];

/// The 2048-bit numbers of `harness/mtproto/tests/data/dh_primes.txt`: (name, source, bytes).
pub fn primes() -> Vec<(&'static str, &'static str, Vec<u8>)> {
    include_str!("../../../mtproto/tests/data/dh_primes.txt")
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let mut it = l.split_whitespace();
            Some((it.next()?, it.next()?, hex::decode(it.next()?).ok()?))
        })
        .collect()
}

/// The number named `name` in [`primes`] (empty when there is none).
pub fn prime(name: &str) -> Vec<u8> {
    primes()
        .into_iter()
        .find(|(n, ..)| *n == name)
        .map(|(.., b)| b)
        .unwrap_or_default()
}
