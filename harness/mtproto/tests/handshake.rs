//! The auth-key handshake (spec §4): the official sample byte for byte (§11.3), client against
//! server in memory, and single-bit tampering of every message.

use mtproto::ProtocolError;
use mtproto::crypto::dh::{self, SafePrimeCache, TELEGRAM_DH_PRIME};
use mtproto::crypto::rsa_pad::{RsaPrivateKey, RsaPublicKey};
use mtproto::envelope::unencrypted;
use mtproto::error::HandshakeError;
use mtproto::handshake::client::{self, ClientDhRandom, DhGenOutcome, KeyKind, ReqDhRandom};
use mtproto::handshake::server::{self, ResPqRandom, ServerDhRandom};
use mtproto::handshake::{
    AuthKeyResult, BindAuthKeyInner, bind_temp_auth_key_message, new_nonce_hash, tmp_aes,
};
use proptest::prelude::*;
use sha2::{Digest, Sha256};

use crate::dh::{SAMPLE_AUTH_KEY, SAMPLE_B};
use crate::rsa_pad::{PRODUCTION_PEM, SAMPLE_PADDING, SERVER_PRIVATE_PEM};
use crate::support::h;

const NONCE: &str = "15A084B3B9CA2A17F03925F44B78FE68";
const SERVER_NONCE: &str = "D6701FCD212CEB87C966E5318F5564A8";
const NEW_NONCE: &str = "845FAD32D10A4C7967DA49A89FBE508AD24AA3150992B499B3B2C72CDC0F364C";

const ENCRYPTED_ANSWER: &str = "
FEF627AC3A88027BC6583F95D82E610066A87B839614EE343CD8D37F2B2C81FC
964561BA164F44E4B3C39A6CC74C6E2F2687C2E5872658E4301734B3814D420C
684D94C0B93C4B335DBB346266CDAD20B3EEC91AE49B59E130EAB877FD03C07B
A786DA8EFF7BDDCB773E0C4C1C7C66FE5C5A39D32A76400D71FBD2A09D5BFDF3
B3976F17C1DA7FD77349CBD97EBC5217181541F43D8DEDB3027DC3989623DCF8
49FF391832F409903E7620EBBF7675CEFA13CEC90570BB0EE196C5BB67DB169D
B902C1192F67D9A74B1B9782FF02FD4DB78C76117D6639A6ED87F5DEB37ED492
96F2C94EA835D0988A270749C3E6D1D0B0BE88F3985D683E48F2E2AC7648175E
E72BEA1B52641C23EC8EEFBD6025516E91CCE20C25CB5159B5C9D9CA19A15DD4
A44F422946B758EC4C968BDE0832E2389D5B9F3C3AC520AC58753747717F7276
A7DF3FF841A7ABD18524A3150F537471F73A9818097E82D9645A9CE38F858D51
0FFC79CE11D96173C22DDE2B0AE490B8CC7B10BCC7BB8879027872E724DCC648
DDF7AE6F14C3229E7D611463E513D38BE913D0D50E9D439337C0FD8D71C9EF70
C602A47173D699308216C7C44C40615BF8E9806A5DFA56F4529AD70E784C1904
A9488A019A6C7AB7D822A9A6926A1916891302C1827CE54E9D8829EE079D1973
0DFEBA218D317EB4F22A2418EF9343DA75131FC6F37A80D5EEB93309711244AE
3A1D4CA1906F10B4F06C8F9BF547A6FEA9A8D0CC910B15E7DA9A0ACF0C2E7934
F7A7DBA8EFFE4D135DBD207C609BFC3BAC89BA949DDF754879712F6B97C50A54
F560D0A75DA8A078A039F21BCA129FCB";

const SET_CLIENT_DH_ENCRYPTED: &str = "79CA5B557095AD847C53D6308A38B62FC9A6F2356C07F298D21C9B0DB4002D90C4C0FB9C72626F9F146B4E3A81F59ED5CC6A0B4F59BC7411CDCA6BDA8C27B6C3B6DB548F076BB6CCB6791DB116E6368C7328BA21212121446CE754EC118CF380ED0CB0D798418CE54D7F68FCAE7AF146F4F8DF31F98794FF6EE06C35DE10A86518434A9F83CDC05FD5B151A50F63AD87D8529D7AA032498AF9C17C6F02E7EE1E8733F5752186880FA475F2977C7F00E1D8384E20613971F98EFD81A3C6BFB3B8F97969FB39D172527961341BBFDC9D2895306365A52F2CB9087C122E53990800BD596E05AA25A5642996AFB43061178A580F21E3C47080418B4CF0B6B10FC0C78595D486B3A3DD401D1BF37257C2584BFD5D71A708B138A6E22F853E522696AA6D1A8532461ABAEA7935A975E3C978A7A00C792CB3ADF688D0B1480C6C016B04CD1BC36546CD9ACABAA0C84DB571749B";

/// Spec §11.4: RSA_PAD of the sample data with temp_key = 00..1f under the production key.
const RSA_PAD_SAMPLE: &str = "c2d08707e8a710fbd2aa6bd42322a0328be2a01792271b93b9beb382b1f0d40240db2cb1ecd8fdcc38eb4f7dd3e39413db4c678e8dafb7c0fdf9b0a5319a8a8a6f9446b9d0e8d08cda04e18d199837fea3e95a880448ba52206828936e60df11f3c087de83a6494bee94c1e565e214e7d1e6576f30a0533a0260afcbbe05c7f8b51e3712280b1fd97d69fdb5c6985e8504c322374acb9116e5da7822b7bcb7e9dd499a8fffc1688745e2422aa6f3fefd61778a816c6017117da5b73dd6ca54e68bfa07965eae6fceb96165791c13fad0d6b08c33bc31edd7e53e332683df08b8bae19352fcaf4c56af085e01272ec5dbf67e6d04f511128c9fbc2f6b78ba3822";

fn arr<const N: usize>(s: &str) -> [u8; N] {
    h(s).try_into().unwrap()
}

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

fn sample_res_pq() -> Vec<u8> {
    cat(&[
        &h("63241605"),
        &h(NONCE),
        &h(SERVER_NONCE),
        &h("081460E7D3FA7277 91000000"),
        &h("15C4B51C 03000000 A5B7F709355FC30B 216BE86C022BB4C3 85FD64DE851D9DD0"),
    ])
}

#[test]
fn official_sample_is_reproduced_byte_for_byte_in_the_client_role() {
    let keys = [RsaPublicKey::from_pkcs1_pem(PRODUCTION_PEM).unwrap()];
    // Step 1: the whole packet, envelope included.
    let (st, body) = client::start(arr(NONCE));
    let msg_id = i64::from_le_bytes(arr("64F70D00FCC0AB65"));
    assert_eq!(
        unencrypted::encode(msg_id, &body).unwrap(),
        h("0000000000000000 64F70D00FCC0AB65 14000000 F18E7EBE 15A084B3B9CA2A17F03925F44B78FE68")
    );
    // Steps 2-5.
    let random = ReqDhRandom {
        new_nonce: arr(NEW_NONCE),
        rsa_padding: h(SAMPLE_PADDING),
        temp_keys: vec![core::array::from_fn(|i| i as u8)],
    };
    let (st, req_dh) = st
        .handle_res_pq(&sample_res_pq(), &keys, 2, KeyKind::Permanent, &random)
        .unwrap();
    assert_eq!(
        req_dh,
        cat(&[
            &h("BEE412D7"),
            &h(NONCE),
            &h(SERVER_NONCE),
            &h("043C2357CF000000 0456BFB29F000000 85FD64DE851D9DD0 FE000100"),
            &h(RSA_PAD_SAMPLE),
        ])
    );
    // Steps 6-8.
    let server_dh = cat(&[
        &h("5C07E8D0"),
        &h(NONCE),
        &h(SERVER_NONCE),
        &h("FE500200"),
        &h(ENCRYPTED_ANSWER),
    ]);
    let mut padding = [0u8; 16];
    padding[..12].copy_from_slice(&h("C320374A97C7BB863CFF9F97"));
    let random = ClientDhRandom {
        b: arr(SAMPLE_B),
        padding,
        primality_seed: [1; 32],
    };
    let (st, set_dh) = st
        .handle_server_dh_params(&server_dh, 1_705_754_877 - 5, &random, None)
        .unwrap();
    assert_eq!(
        set_dh,
        cat(&[
            &h("1F5F04F5"),
            &h(NONCE),
            &h(SERVER_NONCE),
            &h("FE500100"),
            &h(SET_CLIENT_DH_ENCRYPTED),
        ])
    );
    assert_eq!(st.auth_key().as_bytes().to_vec(), h(SAMPLE_AUTH_KEY));
    // Step 9.
    let ok = cat(&[
        &h("34F7CB3B"),
        &h(NONCE),
        &h(SERVER_NONCE),
        &h("677F483BB89FD206B244A2D1AC38CB31"),
    ]);
    let DhGenOutcome::Done(done) = st.handle_dh_gen(&ok).unwrap() else {
        panic!("expected dh_gen_ok")
    };
    assert_eq!(done.auth_key.id(), arr::<8>("8AE7A271969A9B1F"));
    assert_eq!(done.server_salt, arr::<8>("522FB2FFF026A7FE"));
    assert_eq!(done.time_offset, 5);
}

#[test]
fn tmp_aes_matches_the_sample_and_grammers() {
    let (k, iv) = tmp_aes(&arr(SERVER_NONCE), &arr(NEW_NONCE));
    assert_eq!(
        k,
        arr::<32>("D32E4A7F18252AE2B0406B84633E1117833ED75BDA40011D1E1700E3E08A8AE7")
    );
    assert_eq!(
        iv,
        arr::<32>("4FFC40D969D49934ED3740FF66D9179947A5E1D85C4C7F15555920C1845FAD32")
    );
    let (k, iv) = tmp_aes(
        &core::array::from_fn(|i| i as u8),
        &core::array::from_fn(|i| i as u8),
    );
    assert_eq!(
        k,
        arr::<32>("0758f1533b615d24f6e8a94a6fcbee0a55eaab2217d7295ca9213d1a2d7d16a6")
    );
    assert_eq!(
        iv,
        arr::<32>("5a84108e9805656ce864070e166e6218f6783e8511471a5ab7802cf200010203")
    );
}

/// Deterministic "random" bytes for a seed: SHA-256 in counter mode.
struct Script {
    seed: u64,
    counter: u64,
}

impl Script {
    fn new(seed: u64) -> Self {
        Self { seed, counter: 0 }
    }
    fn bytes<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        for chunk in out.chunks_mut(32) {
            self.counter += 1;
            let d = Sha256::new()
                .chain_update(self.seed.to_le_bytes())
                .chain_update(self.counter.to_le_bytes())
                .finalize();
            chunk.copy_from_slice(&d[..chunk.len()]);
        }
        out
    }
}

/// A live exchange; `tamper(i, msg)` may change message `i` in flight (0 = req_pq_multi,
/// 1 = resPQ, 2 = req_DH_params, 3 = server_DH_params_ok, 4 = set_client_DH_params,
/// 5 = dh_gen_ok).
fn exchange(
    seed: u64,
    kind: KeyKind,
    cache: &mut SafePrimeCache,
    mut tamper: impl FnMut(usize, &mut Vec<u8>),
) -> Result<(AuthKeyResult, AuthKeyResult), (usize, HandshakeError)> {
    let server_key = RsaPrivateKey::from_pkcs1_pem(SERVER_PRIVATE_PEM).unwrap();
    let client_keys = [server_key.public().clone()];
    let group = dh::check_params(&TELEGRAM_DH_PRIME, 3, &[0; 32], Some(cache)).unwrap();
    let mut rng = Script::new(seed);
    let now: i32 = 1_700_000_000;

    let (c, mut m) = client::start(rng.bytes());
    tamper(0, &mut m);
    let (s, mut m) = server::handle_req_pq(
        &m,
        &[server_key.public().fingerprint()],
        &ResPqRandom {
            server_nonce: rng.bytes(),
            p: 1_229_739_323,
            q: 1_402_015_859,
        },
    )
    .map_err(|e| (0, e))?;
    tamper(1, &mut m);
    let random = ReqDhRandom {
        new_nonce: rng.bytes(),
        rsa_padding: rng.bytes::<192>().to_vec(),
        temp_keys: (0..8).map(|_| rng.bytes()).collect(),
    };
    let (c, mut m) = c
        .handle_res_pq(&m, &client_keys, 2, kind, &random)
        .map_err(|e| (1, e))?;
    tamper(2, &mut m);
    let srandom = ServerDhRandom {
        a: rng.bytes(),
        padding: rng.bytes(),
        server_time: now + 7,
    };
    let (s, mut m) = s
        .handle_req_dh_params(&m, &[server_key], &group, &srandom)
        .map_err(|e| (2, e))?;
    tamper(3, &mut m);
    let crandom = ClientDhRandom {
        b: rng.bytes(),
        padding: rng.bytes(),
        primality_seed: rng.bytes(),
    };
    let (c, mut m) = c
        .handle_server_dh_params(&m, i64::from(now), &crandom, Some(cache))
        .map_err(|e| (3, e))?;
    tamper(4, &mut m);
    let (server_result, mut m) = s.handle_set_client_dh_params(&m).map_err(|e| (4, e))?;
    tamper(5, &mut m);
    match c.handle_dh_gen(&m).map_err(|e| (5, e))? {
        DhGenOutcome::Done(client_result) => Ok((*client_result, server_result)),
        DhGenOutcome::Retry(_) => Err((5, HandshakeError::DhGenFail)),
    }
}

#[test]
fn client_and_server_agree_on_the_key_for_many_seeds() {
    let mut cache = SafePrimeCache::new();
    for seed in 0..12u64 {
        let kind = if seed % 2 == 0 {
            KeyKind::Permanent
        } else {
            KeyKind::Temporary { expires_in: 86_400 }
        };
        let (c, s) = exchange(seed, kind, &mut cache, |_, _| {}).unwrap();
        assert_eq!(c.auth_key.as_bytes(), s.auth_key.as_bytes(), "seed {seed}");
        assert_eq!(c.server_salt, s.server_salt);
        assert_eq!(c.time_offset, 7);
    }
}

/// One proof of the Telegram prime for the whole property run.
static SHARED_CACHE: std::sync::Mutex<SafePrimeCache> =
    std::sync::Mutex::new(SafePrimeCache::new());

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]
    /// Any single-bit change to any message in flight makes one side fail with an error (never a
    /// panic, never two parties that both think they are done).
    #[test]
    fn a_single_bit_flip_in_any_message_aborts_the_handshake(msg in 0usize..6, bit in any::<prop::sample::Index>(), seed in 0u64..4) {
        let mut cache = SHARED_CACHE.lock().unwrap_or_else(|e| e.into_inner());
        let r = exchange(seed, KeyKind::Permanent, &mut cache, |i, m| {
            if i == msg {
                let b = bit.index(m.len() * 8);
                m[b / 8] ^= 1 << (b % 8);
            }
        });
        prop_assert!(r.is_err(), "flip in message {} bit {:?} went through", msg, bit);
    }
}

/// Run the client through step 6 against a real server, then hand `f` the server's
/// server_DH_params_ok body to change before the client sees it.
fn client_error_at_step6(f: impl FnOnce(&mut Vec<u8>)) -> HandshakeError {
    let mut cache = SafePrimeCache::new();
    let mut f = Some(f);
    exchange(3, KeyKind::Permanent, &mut cache, |i, m| {
        if i == 3 {
            (f.take().unwrap())(m)
        }
    })
    .unwrap_err()
    .1
}

#[test]
fn each_client_check_on_server_dh_params_ok_names_its_error() {
    // Outer nonce, outer server_nonce, constructor, misaligned answer, changed answer byte.
    assert_eq!(
        client_error_at_step6(|m| m[4] ^= 1),
        HandshakeError::NonceMismatch
    );
    assert_eq!(
        client_error_at_step6(|m| m[20] ^= 1),
        HandshakeError::ServerNonceMismatch
    );
    assert!(matches!(
        client_error_at_step6(|m| m[0] ^= 1),
        HandshakeError::UnexpectedConstructor { .. }
    ));
    let e = client_error_at_step6(|m| {
        let n = m.len();
        m[n - 1] ^= 0x80; // last ciphertext block: only the padding/tail changes
    });
    assert!(
        matches!(
            e,
            HandshakeError::AnswerHashMismatch | HandshakeError::Codec(_)
        ),
        "{e:?}"
    );
}

#[test]
fn new_nonce_hash_mismatch_retry_and_fail_at_step_9() {
    let mut cache = SafePrimeCache::new();
    let e = exchange(1, KeyKind::Permanent, &mut cache, |i, m| {
        if i == 5 {
            m[40] ^= 1
        }
    })
    .unwrap_err();
    assert_eq!(e, (5, HandshakeError::NewNonceHashMismatch));
    assert_eq!(e.1.name(), "NewNonceHashMismatch");
    // dh_gen_ok's hash under the dh_gen_retry constructor is a mismatch: the hashes are distinct
    // so an intruder cannot turn ok into retry ([auth]).
    let e = exchange(1, KeyKind::Permanent, &mut cache, |i, m| {
        if i == 5 {
            m[..4].copy_from_slice(&0x46dc_1fb9u32.to_le_bytes())
        }
    })
    .unwrap_err();
    assert_eq!(e.1, HandshakeError::NewNonceHashMismatch);
    let _ = new_nonce_hash;
}

#[test]
fn the_server_rejects_wrong_p_q_and_unknown_fingerprints() {
    let mut cache = SafePrimeCache::new();
    // p and q swapped in req_DH_params: bytes 36..44 and 44..52.
    let e = exchange(2, KeyKind::Permanent, &mut cache, |i, m| {
        if i == 2 {
            let (p, q) = (m[36..44].to_vec(), m[44..52].to_vec());
            m[36..44].copy_from_slice(&q);
            m[44..52].copy_from_slice(&p);
        }
    })
    .unwrap_err();
    assert_eq!(e, (2, HandshakeError::PqMismatch));
    let e = exchange(2, KeyKind::Permanent, &mut cache, |i, m| {
        if i == 2 {
            m[52] ^= 1
        }
    })
    .unwrap_err();
    assert_eq!(e, (2, HandshakeError::NoKnownFingerprint));
    // Any byte of encrypted_data changed: the RSA_PAD hash catches it before parsing.
    let e = exchange(2, KeyKind::Permanent, &mut cache, |i, m| {
        if i == 2 {
            let n = m.len();
            m[n - 100] ^= 1
        }
    })
    .unwrap_err();
    assert!(
        matches!(e.1.name(), "RsaPadHashMismatch" | "RsaCiphertextOutOfRange"),
        "{e:?}"
    );
}

#[test]
fn bind_temp_auth_key_inner_message_decrypts_under_the_v1_kdf() {
    use mtproto::crypto::ige::aes256_ige_decrypt;
    use mtproto::crypto::kdf::{self, Direction};
    let perm = crate::support::key_0_255();
    let inner = BindAuthKeyInner {
        nonce: 0x0102_0304_0506_0708,
        temp_auth_key_id: 11,
        perm_auth_key_id: perm.id_long(),
        temp_session_id: 13,
        expires_at: 1_700_086_400,
    };
    let msg = bind_temp_auth_key_message(&perm, &inner, 0x5e0b_700a_0000_0004, &[9; 16], &[7; 8]);
    assert_eq!(msg.len(), 8 + 16 + 80);
    assert_eq!(msg[..8], perm.id());
    let msg_key: [u8; 16] = msg[8..24].try_into().unwrap();
    let keys = kdf::v1::derive(&perm, Direction::ClientToServer, &msg_key);
    let mut plain = msg[24..].to_vec();
    aes256_ige_decrypt(&keys.aes_key, &keys.aes_iv, &mut plain).unwrap();
    assert_eq!(kdf::v1::msg_key(&plain[..72]), msg_key);
    assert_eq!(plain[28..32], 40u32.to_le_bytes());
    assert_eq!(plain[32..36], 0x75a3_f765u32.to_le_bytes());
    assert_eq!(plain[68..72], 1_700_086_400i32.to_le_bytes());
}

/// Steps 1–7 against the reference server for `seed`: the client waiting for `dh_gen_*`, the
/// server waiting for `set_client_DH_params`, that message, and the script for more randomness.
fn through_step7(
    seed: u64,
    cache: &mut SafePrimeCache,
) -> (
    client::ExpectDhGen,
    server::ExpectSetClientDh,
    Vec<u8>,
    Script,
) {
    let server_key = RsaPrivateKey::from_pkcs1_pem(SERVER_PRIVATE_PEM).unwrap();
    let group = dh::check_params(&TELEGRAM_DH_PRIME, 3, &[0; 32], Some(cache)).unwrap();
    let mut rng = Script::new(seed);
    let (c, m) = client::start(rng.bytes());
    let res_pq_random = ResPqRandom {
        server_nonce: rng.bytes(),
        p: 1_229_739_323,
        q: 1_402_015_859,
    };
    let (s, m) =
        server::handle_req_pq(&m, &[server_key.public().fingerprint()], &res_pq_random).unwrap();
    let random = ReqDhRandom {
        new_nonce: rng.bytes(),
        rsa_padding: rng.bytes::<192>().to_vec(),
        temp_keys: (0..8).map(|_| rng.bytes()).collect(),
    };
    let (c, m) = c
        .handle_res_pq(
            &m,
            &[server_key.public().clone()],
            2,
            KeyKind::Permanent,
            &random,
        )
        .unwrap();
    let srandom = ServerDhRandom {
        a: rng.bytes(),
        padding: rng.bytes(),
        server_time: 1_700_000_000,
    };
    let (s, m) = s
        .handle_req_dh_params(&m, &[server_key], &group, &srandom)
        .unwrap();
    let (c, m) = c
        .handle_server_dh_params(&m, 1_700_000_000, &client_dh_random(&mut rng), Some(cache))
        .unwrap();
    (c, s, m, rng)
}

fn client_dh_random(rng: &mut Script) -> ClientDhRandom {
    ClientDhRandom {
        b: rng.bytes(),
        padding: rng.bytes(),
        primality_seed: rng.bytes(),
    }
}

/// `dh_gen_retry` (spec §4 step 9: "retry ⇒ go to step 7 with a new b and retry_id =
/// auth_key_aux_hash"): the client resends with a new `b` and the rejected key's aux hash, the
/// server accepts it, and after `dh_gen_ok` both hold the same key, unlike every rejected one.
#[test]
fn dh_gen_retry_resends_step_7_with_the_previous_aux_hash_as_retry_id() {
    use server::{DhGenVerdict, ServerDhGen};
    let mut cache = SafePrimeCache::new();
    for retries in 1..=2u64 {
        let (mut c, mut s, mut m, mut rng) = through_step7(40 + retries, &mut cache);
        let mut rejected = Vec::new();
        for _ in 0..retries {
            let (next, answer) = s
                .answer_set_client_dh_params(&m, DhGenVerdict::Retry)
                .unwrap();
            let ServerDhGen::Retry(next) = next else {
                panic!("the server did not wait for a retry")
            };
            rejected.push(*c.auth_key().as_bytes());
            let DhGenOutcome::Retry(retry) = c.handle_dh_gen(&answer).unwrap() else {
                panic!("dh_gen_retry was not taken for a retry")
            };
            (c, m) = retry.resend(&client_dh_random(&mut rng)).unwrap();
            s = *next;
        }
        let (done, answer) = s.answer_set_client_dh_params(&m, DhGenVerdict::Ok).unwrap();
        let ServerDhGen::Done(server_result) = done else {
            panic!("dh_gen_ok did not finish the server")
        };
        let DhGenOutcome::Done(client_result) = c.handle_dh_gen(&answer).unwrap() else {
            panic!("dh_gen_ok did not finish the client")
        };
        assert_eq!(
            client_result.auth_key.as_bytes(),
            server_result.auth_key.as_bytes()
        );
        assert_eq!(client_result.server_salt, server_result.server_salt);
        for old in &rejected {
            assert_ne!(client_result.auth_key.as_bytes(), old);
        }
    }
}

/// The server's `retry_id` check both ways: after a retry, the first attempt (retry_id 0)
/// replayed is refused; before any retry, a resend carrying an aux hash is refused. Without the
/// check both would be accepted (and the key of the replayed `g_b` re-established).
#[test]
fn the_server_accepts_only_the_retry_id_it_expects() {
    use server::{DhGenVerdict, ServerDhGen};
    let mut cache = SafePrimeCache::new();
    let (c, s, first, mut rng) = through_step7(50, &mut cache);
    // The same seed gives a second, identical server still expecting retry_id 0.
    let (_, fresh_server, _, _) = through_step7(50, &mut cache);
    let (next, answer) = s
        .answer_set_client_dh_params(&first, DhGenVerdict::Retry)
        .unwrap();
    let ServerDhGen::Retry(next) = next else {
        panic!("the server did not wait for a retry")
    };
    let DhGenOutcome::Retry(retry) = c.handle_dh_gen(&answer).unwrap() else {
        panic!("dh_gen_retry was not taken for a retry")
    };
    let (_, resent) = retry.resend(&client_dh_random(&mut rng)).unwrap();
    let e = next
        .answer_set_client_dh_params(&first, DhGenVerdict::Ok)
        .unwrap_err();
    assert_eq!(e, HandshakeError::RetryIdMismatch);
    assert_eq!(e.name(), "RetryIdMismatch");
    assert_eq!(
        fresh_server
            .handle_set_client_dh_params(&resent)
            .unwrap_err(),
        HandshakeError::RetryIdMismatch
    );
}

/// `dh_gen_fail` with a valid `new_nonce_hash3` ends both sides: the client with `DhGenFail`.
#[test]
fn dh_gen_fail_ends_the_exchange_on_both_sides() {
    use server::{DhGenVerdict, ServerDhGen};
    let mut cache = SafePrimeCache::new();
    let (c, s, m, _) = through_step7(60, &mut cache);
    let (next, answer) = s
        .answer_set_client_dh_params(&m, DhGenVerdict::Fail)
        .unwrap();
    assert!(matches!(next, ServerDhGen::Failed));
    assert_eq!(answer[..4], 0xa69d_ae02u32.to_le_bytes());
    assert_eq!(
        c.handle_dh_gen(&answer).unwrap_err(),
        HandshakeError::DhGenFail
    );
}

/// The error names the server may give for a single-bit change anywhere in each client message
/// (0 = req_pq_multi, 2 = req_DH_params, 4 = set_client_DH_params), by what the bit can hit.
/// A flipped `nonce` in req_pq_multi is not the server's to notice: it echoes it and the client
/// refuses resPQ (step 1, `NonceMismatch`).
const SERVER_ERRORS: [(usize, &[&str]); 3] = [
    (
        0,
        // constructor, length (truncation / trailing bytes)
        &["UnexpectedConstructor", "UnexpectedEnd", "TrailingBytes"],
    ),
    (
        2,
        &[
            "UnexpectedConstructor",
            "UnexpectedEnd",
            "TrailingBytes",
            "NonCanonicalLength",
            "NonZeroPadding",
            "NonceMismatch",
            "ServerNonceMismatch",
            "PqMismatch",
            "NoKnownFingerprint",
            "RsaCiphertextWrongSize",
            "RsaCiphertextOutOfRange",
            "RsaPadHashMismatch",
        ],
    ),
    (
        4,
        &[
            "UnexpectedConstructor",
            "UnexpectedEnd",
            "TrailingBytes",
            "NonCanonicalLength",
            "NonZeroPadding",
            "NonceMismatch",
            "ServerNonceMismatch",
            "NotBlockAligned",
            "AnswerHashMismatch",
        ],
    ),
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    /// Any single-bit change to a client message is refused by the server at that message with
    /// an error its bits can explain (never a panic, never a later step), except the echoed
    /// nonce of req_pq_multi, which the client refuses.
    #[test]
    fn a_single_bit_flip_in_a_client_message_names_a_server_error(which in 0usize..3, bit in any::<prop::sample::Index>(), seed in 0u64..4) {
        let (msg, allowed) = SERVER_ERRORS[which];
        let mut cache = SHARED_CACHE.lock().unwrap_or_else(|e| e.into_inner());
        let mut flipped = None;
        let r = exchange(seed, KeyKind::Permanent, &mut cache, |i, m| {
            if i == msg {
                let b = bit.index(m.len() * 8);
                m[b / 8] ^= 1 << (b % 8);
                flipped = Some(b / 8);
            }
        });
        let (step, e) = r.expect_err("a flipped client message went through");
        let byte = flipped.unwrap();
        if msg == 0 && (4..20).contains(&byte) {
            prop_assert_eq!((step, e.name()), (1, "NonceMismatch"));
        } else {
            prop_assert_eq!(step, msg, "byte {} refused at step {} with {:?}", byte, step, e);
            prop_assert!(allowed.contains(&e.name()), "byte {} of message {}: {:?}", byte, msg, e);
        }
    }
}

/// `req_DH_params` carrying the legacy `p_q_inner_data#83c95aec` (no dc) for the exchange that
/// `req_pq` (the client's `req_pq_multi` body) and `res_pq` (the server's answer) started.
fn req_dh_with_legacy_inner(req_pq: &[u8], res_pq: &[u8], key: &RsaPrivateKey) -> Vec<u8> {
    fn tl_str(out: &mut Vec<u8>, b: &[u8]) {
        assert!(b.len() < 254);
        out.push(b.len() as u8);
        out.extend_from_slice(b);
        while !out.len().is_multiple_of(4) {
            out.push(0);
        }
    }
    let nonce = &req_pq[4..20];
    let server_nonce = &res_pq[20..36];
    let (p, q) = (1_229_739_323u64, 1_402_015_859u64);
    let be = mtproto::handshake::pq::minimal_be;
    let mut inner = Vec::new();
    inner.extend_from_slice(&0x83c9_5aecu32.to_le_bytes());
    let mut s = Vec::new();
    tl_str(&mut s, &be(p * q));
    tl_str(&mut s, &be(p));
    tl_str(&mut s, &be(q));
    inner.extend_from_slice(&s);
    inner.extend_from_slice(nonce);
    inner.extend_from_slice(server_nonce);
    inner.extend_from_slice(&[0x5a; 32]); // new_nonce
    let padding = vec![0x33; 192 - inner.len()];
    let (encrypted, _) = mtproto::crypto::rsa_pad::rsa_pad_encrypt(
        key.public(),
        &inner,
        &padding,
        // RSA_PAD draws another temp_key while the result is not below the modulus.
        &(1..=32u8).map(|i| [i; 32]).collect::<Vec<_>>(),
    )
    .unwrap();
    let mut out = 0xd712_e4beu32.to_le_bytes().to_vec();
    out.extend_from_slice(nonce);
    out.extend_from_slice(server_nonce);
    let mut t = Vec::new();
    tl_str(&mut t, &be(p));
    tl_str(&mut t, &be(q));
    out.extend_from_slice(&t);
    out.extend_from_slice(&key.public().fingerprint().to_le_bytes());
    // encrypted_data: 256 bytes, the long TL string form (0xfe + 3-byte length).
    out.extend_from_slice(&[0xfe, 0, 1, 0]);
    out.extend_from_slice(&encrypted);
    out
}

#[test]
fn the_legacy_inner_data_is_refused_unless_the_server_is_told_to_take_it() {
    let key = RsaPrivateKey::from_pkcs1_pem(SERVER_PRIVATE_PEM).unwrap();
    let mut cache = SafePrimeCache::new();
    let group = dh::check_params(&TELEGRAM_DH_PRIME, 3, &[0; 32], Some(&mut cache)).unwrap();
    let random = ServerDhRandom {
        a: [3; 256],
        padding: [4; 16],
        server_time: 1_700_000_000,
    };
    let res_random = ResPqRandom {
        server_nonce: [2; 16],
        p: 1_229_739_323,
        q: 1_402_015_859,
    };
    let (_, req_pq) = client::start([1; 16]);
    for lenient in [false, true] {
        let (s, res_pq) =
            server::handle_req_pq(&req_pq, &[key.public().fingerprint()], &res_random).unwrap();
        let body = req_dh_with_legacy_inner(&req_pq, &res_pq, &key);
        let s = if lenient {
            s.accepting_legacy_inner_data()
        } else {
            s
        };
        let got = s.handle_req_dh_params(&body, std::slice::from_ref(&key), &group, &random);
        if lenient {
            let (st, _) = got.unwrap();
            assert_eq!(st.requested.dc, 0, "the legacy constructor names no dc");
            assert_eq!(st.requested.expires_in, None);
        } else {
            assert_eq!(
                got.unwrap_err(),
                HandshakeError::UnexpectedConstructor { id: 0x83c9_5aec }
            );
        }
    }
}
