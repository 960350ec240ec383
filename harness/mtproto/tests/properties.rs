//! Property tests: round trips, agreement with RustCrypto's `ige`, and "any change to
//! a packet is an error, never a panic".

use aes::{Aes128, Aes256, Aes256Dec, Aes256Enc};
use cipher::{Block, BlockModeDecrypt, BlockModeEncrypt, KeyInit, KeyIvInit};
use mtproto::crypto::ige::{IgeDecryptor, IgeEncryptor, aes256_ige_decrypt, aes256_ige_encrypt};
use mtproto::crypto::kdf;
use mtproto::envelope::{self, Message};
use mtproto::{AuthKey, Direction, EnvelopeError, Receiver};
use proptest::prelude::*;

/// RustCrypto `ige` 0.2 over `C`, the independent implementation we compare against.
fn rustcrypto_ige<C>(key: &[u8], iv: &[u8; 32], data: &[u8], encrypt: bool) -> Vec<u8>
where
    C: cipher::BlockCipherEncrypt<BlockSize = cipher::consts::U16>
        + cipher::BlockCipherDecrypt<BlockSize = cipher::consts::U16>
        + KeyInit,
{
    let mut out = data.to_vec();
    let key = cipher::Key::<C>::try_from(key).unwrap();
    if encrypt {
        let mut m = ige::Encryptor::<C>::new(&key, &(*iv).into());
        for b in out.chunks_exact_mut(16) {
            let mut blk = Block::<C>::try_from(&*b).unwrap();
            m.encrypt_block(&mut blk);
            b.copy_from_slice(&blk);
        }
    } else {
        let mut m = ige::Decryptor::<C>::new(&key, &(*iv).into());
        for b in out.chunks_exact_mut(16) {
            let mut blk = Block::<C>::try_from(&*b).unwrap();
            m.decrypt_block(&mut blk);
            b.copy_from_slice(&blk);
        }
    }
    out
}

fn aligned_bytes(max_blocks: usize) -> impl Strategy<Value = Vec<u8>> {
    (0..=max_blocks).prop_flat_map(|n| proptest::collection::vec(any::<u8>(), n * 16))
}

fn auth_key() -> impl Strategy<Value = AuthKey> {
    proptest::collection::vec(any::<u8>(), 256).prop_map(|v| AuthKey::from_slice(&v).unwrap())
}

fn receiver() -> impl Strategy<Value = Receiver> {
    prop_oneof![Just(Receiver::Client), Just(Receiver::Server)]
}

/// A body (multiple of 4) and a padding (12..=1024) whose total with the header is 16-aligned.
fn body_and_padding() -> impl Strategy<Value = (Vec<u8>, Vec<u8>)> {
    (0usize..300, 0usize..63).prop_flat_map(|(words, extra_blocks)| {
        let body_len = words * 4;
        // Smallest padding >= 12 that aligns, then up to 63 more blocks, capped at 1024.
        let min_pad = 12 + (16 - (32 + body_len + 12) % 16) % 16;
        let pad = (min_pad + extra_blocks * 16).min(1024 - (1024 - min_pad) % 16);
        (
            proptest::collection::vec(any::<u8>(), body_len),
            proptest::collection::vec(any::<u8>(), pad),
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    #[test]
    fn ige_round_trip_every_length(key: [u8; 32], iv: [u8; 32], data in aligned_bytes(256)) {
        let mut buf = data.clone();
        aes256_ige_encrypt(&key, &iv, &mut buf).unwrap();
        if !data.is_empty() {
            prop_assert_ne!(&buf, &data);
        }
        aes256_ige_decrypt(&key, &iv, &mut buf).unwrap();
        prop_assert_eq!(buf, data);
    }

    #[test]
    fn ige_unaligned_is_an_error(key: [u8; 32], iv: [u8; 32],
                                 data in proptest::collection::vec(any::<u8>(), 0..600)) {
        prop_assume!(data.len() % 16 != 0);
        let mut buf = data.clone();
        prop_assert!(aes256_ige_encrypt(&key, &iv, &mut buf).is_err());
        prop_assert!(aes256_ige_decrypt(&key, &iv, &mut buf).is_err());
        prop_assert_eq!(buf, data);
    }

    #[test]
    fn ige_aes256_equals_rustcrypto(key: [u8; 32], iv: [u8; 32], data in aligned_bytes(64)) {
        let mut ours = data.clone();
        aes256_ige_encrypt(&key, &iv, &mut ours).unwrap();
        prop_assert_eq!(&ours, &rustcrypto_ige::<Aes256>(&key, &iv, &data, true));
        let mut ours = data.clone();
        aes256_ige_decrypt(&key, &iv, &mut ours).unwrap();
        prop_assert_eq!(&ours, &rustcrypto_ige::<Aes256>(&key, &iv, &data, false));
    }

    #[test]
    fn ige_aes128_equals_rustcrypto(key: [u8; 16], iv: [u8; 32], data in aligned_bytes(64)) {
        let mut ours = data.clone();
        IgeEncryptor::new(Aes128::new(&key.into()), &iv).encrypt(&mut ours).unwrap();
        prop_assert_eq!(&ours, &rustcrypto_ige::<Aes128>(&key, &iv, &data, true));
        let mut ours = data.clone();
        IgeDecryptor::new(Aes128::new(&key.into()), &iv).decrypt(&mut ours).unwrap();
        prop_assert_eq!(&ours, &rustcrypto_ige::<Aes128>(&key, &iv, &data, false));
    }

    /// Splitting anywhere on a block boundary, and resuming, gives the whole-buffer bytes.
    #[test]
    fn ige_split_and_resume_equals_whole(key: [u8; 32], iv: [u8; 32], data in aligned_bytes(64),
                                         cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..5)) {
        let blocks = data.len() / 16;
        let mut points: Vec<usize> = cuts.iter().map(|c| c.index(blocks + 1) * 16).collect();
        points.sort_unstable();
        let mut whole = data.clone();
        aes256_ige_encrypt(&key, &iv, &mut whole).unwrap();

        let mut pieces = data.clone();
        let mut enc = IgeEncryptor::new(Aes256Enc::new(&key.into()), &iv);
        let mut start = 0;
        for &p in points.iter().chain(std::iter::once(&data.len())) {
            enc.encrypt(&mut pieces[start..p]).unwrap();
            start = p;
        }
        prop_assert_eq!(&pieces, &whole);

        let mut dec = IgeDecryptor::new(Aes256Dec::new(&key.into()), &iv);
        let mut start = 0;
        for &p in points.iter().chain(std::iter::once(&data.len())) {
            dec.decrypt(&mut pieces[start..p]).unwrap();
            start = p;
        }
        prop_assert_eq!(pieces, data);
    }

    #[test]
    fn kdf_directions_differ(key in auth_key(), msg_key: [u8; 16],
                             plaintext in aligned_bytes(8)) {
        let a = kdf::derive(&key, Direction::ClientToServer, &msg_key);
        let b = kdf::derive(&key, Direction::ServerToClient, &msg_key);
        prop_assert_ne!(a.aes_key, b.aes_key);
        prop_assert_ne!(a.aes_iv, b.aes_iv);
        prop_assert_ne!(
            kdf::msg_key(&key, Direction::ClientToServer, &plaintext),
            kdf::msg_key(&key, Direction::ServerToClient, &plaintext)
        );
    }

    #[test]
    fn envelope_round_trip(key in auth_key(), to in receiver(), salt: i64, session_id: i64,
                           msg_id: i64, seq_no: i32, (body, padding) in body_and_padding()) {
        let msg = Message { salt, session_id, msg_id, seq_no, body: &body };
        let packet = envelope::encrypt(&key, to.direction(), &msg, &padding).unwrap();
        prop_assert_eq!(packet.len(), 24 + 32 + body.len() + padding.len());
        let m = envelope::decrypt(&key, to, session_id, &packet).unwrap();
        prop_assert_eq!((m.salt, m.session_id, m.msg_id, m.seq_no), (salt, session_id, msg_id, seq_no));
        prop_assert_eq!(m.body(), &body[..]);
        prop_assert_eq!(m.padding(), &padding[..]);
    }

    #[test]
    fn envelope_for_one_receiver_is_rejected_by_the_other(key in auth_key(), to in receiver(),
                                                         (body, padding) in body_and_padding()) {
        let msg = Message { salt: 1, session_id: 2, msg_id: 3, seq_no: 4, body: &body };
        let packet = envelope::encrypt(&key, to.direction(), &msg, &padding).unwrap();
        let other = match to { Receiver::Client => Receiver::Server, Receiver::Server => Receiver::Client };
        prop_assert_eq!(envelope::decrypt(&key, other, 2, &packet).unwrap_err(), EnvelopeError::MsgKeyMismatch);
    }

    /// Any single flipped bit is an error (and never a panic): in auth_key_id it is the key id
    /// check, anywhere else the msg_key check.
    #[test]
    fn envelope_any_bit_flip_is_an_error(key in auth_key(), to in receiver(),
                                         (body, padding) in body_and_padding(), bit: prop::sample::Index) {
        let msg = Message { salt: 1, session_id: 2, msg_id: 3, seq_no: 4, body: &body };
        let mut packet = envelope::encrypt(&key, to.direction(), &msg, &padding).unwrap();
        let bit = bit.index(packet.len() * 8);
        packet[bit / 8] ^= 1 << (bit % 8);
        let err = envelope::decrypt(&key, to, 2, &packet).unwrap_err();
        if bit < 64 {
            prop_assert_eq!(err, EnvelopeError::AuthKeyIdMismatch);
        } else {
            prop_assert_eq!(err, EnvelopeError::MsgKeyMismatch);
        }
    }

    #[test]
    fn envelope_every_truncation_is_an_error(key in auth_key(), to in receiver(),
                                             (body, padding) in body_and_padding()) {
        let msg = Message { salt: 1, session_id: 2, msg_id: 3, seq_no: 4, body: &body };
        let packet = envelope::encrypt(&key, to.direction(), &msg, &padding).unwrap();
        for len in 0..packet.len() {
            prop_assert!(envelope::decrypt(&key, to, 2, &packet[..len]).is_err(), "len {}", len);
        }
    }

    /// Arbitrary bytes, with the right key id so they reach the msg_key check, never panic.
    #[test]
    fn envelope_arbitrary_bytes_never_panic(key in auth_key(), to in receiver(),
                                            tail in proptest::collection::vec(any::<u8>(), 0..400)) {
        let mut packet = key.id().to_vec();
        packet.extend_from_slice(&tail);
        let _ = envelope::decrypt(&key, to, 0, &packet);
        let _ = envelope::unencrypted::decode(&tail);
    }
}

/// The production group, proven once for all cases.
fn telegram_group() -> &'static mtproto::crypto::dh::DhGroup {
    static GROUP: std::sync::OnceLock<mtproto::crypto::dh::DhGroup> = std::sync::OnceLock::new();
    GROUP.get_or_init(crate::dh::telegram_group)
}

/// A secret of 256 bytes with 0 to 255 leading zero bytes (short secrets are where a
/// byte-length slip would show).
fn dh_secret() -> impl Strategy<Value = [u8; 256]> {
    (0usize..256, proptest::collection::vec(any::<u8>(), 256)).prop_map(|(zeros, bytes)| {
        let mut out = [0u8; 256];
        out.copy_from_slice(&bytes);
        out[..zeros].fill(0);
        out
    })
}

proptest! {
    // Four constant-time 2048-bit exponentiations and one variable-time one per case.
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]

    /// Diffie-Hellman agreement for arbitrary secrets, `(g^a)^b = (g^b)^a`, and `g^a` against
    /// crypto-bigint's variable-time exponentiation (another algorithm than the reference's
    /// constant-time almost-Montgomery one). The `dh_checks` fuzz target draws its secrets from a
    /// small table so that a fuzz build finds them memoised; arbitrary ones are checked here.
    #[test]
    fn dh_agreement_for_any_secrets(a in dh_secret(), b in dh_secret()) {
        use crypto_bigint::modular::{FixedMontyForm, FixedMontyParams};
        use crypto_bigint::{Odd, U2048};
        let group = telegram_group();
        let (ga, gb) = (group.pow_g(&a), group.pow_g(&b));
        let params = FixedMontyParams::new_vartime(
            Odd::new(U2048::from_be_slice(group.p())).unwrap(),
        );
        let model = FixedMontyForm::new(&U2048::from_u32(group.g()), &params)
            .pow_vartime(&U2048::from_be_slice(&a))
            .retrieve()
            .to_be_bytes();
        prop_assert_eq!(&ga[..], &model[..], "g^a differs from the variable-time model");
        // Secrets this small or this large give values the §5 margin refuses; agreement is
        // only asked of values that pass.
        if let (Ok(va), Ok(vb)) = (group.check_value(&ga), group.check_value(&gb)) {
            prop_assert_eq!(group.pow(&vb, &a), group.pow(&va, &b));
        }
    }
}
