//! The pre-RSA_PAD `req_DH_params` (Telethon 1.x, the Pyrogram forks): the reference server
//! refuses it, the wire server's translation makes the reference accept it, and a broken one
//! (SHA1 off) is not translated.

// A failing test may panic: that is how it reports.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crypto_bigint::modular::{FixedMontyForm, FixedMontyParams};
use crypto_bigint::{Odd, U2048};
use mtproto::codec::{put_long, put_tl_bytes, put_u32};
use mtproto::handshake::id;
use mtproto::handshake::server::{self as hs, ResPqRandom, ServerDhRandom};
use mtproto_wire::keys;
use mtproto_wire::legacy_rsa::{P_Q_INNER_DATA, translate_req_dh};
use mtproto_wire::rng::Rng;
use sha1::{Digest, Sha1};

const P: u32 = 1_229_739_323;
const Q: u32 = 1_402_015_859;

fn be_min(v: u64) -> Vec<u8> {
    let b = v.to_be_bytes();
    let start = b.iter().position(|&x| x != 0).unwrap_or(b.len() - 1);
    b[start..].to_vec()
}

/// `req_DH_params` as Telethon builds it: RSA(0 ‖ SHA1(data) ‖ data ‖ random) of `p_q_inner_data`.
fn legacy_req_dh(nonce: [u8; 16], server_nonce: [u8; 16], break_hash: bool) -> Vec<u8> {
    let key = keys::private_key(keys::TEST_RSA_PRIVATE_PEM).expect("test key");
    let mut data = Vec::new();
    put_u32(&mut data, P_Q_INNER_DATA);
    put_tl_bytes(&mut data, &be_min(u64::from(P) * u64::from(Q))).expect("pq");
    put_tl_bytes(&mut data, &be_min(u64::from(P))).expect("p");
    put_tl_bytes(&mut data, &be_min(u64::from(Q))).expect("q");
    data.extend_from_slice(&nonce);
    data.extend_from_slice(&server_nonce);
    data.extend_from_slice(&[7u8; 32]);
    let mut block = vec![0u8];
    block.extend_from_slice(&Sha1::digest(&data));
    if break_hash {
        block[5] ^= 1;
    }
    block.extend_from_slice(&data);
    block.resize(256, 0x5a);
    let n = U2048::from_be_slice(key.public().n());
    let mut e_bytes = [0u8; 256];
    let e = key.public().e();
    e_bytes[256 - e.len()..].copy_from_slice(e);
    let params = FixedMontyParams::new_vartime(Odd::new(n).expect("odd modulus"));
    let c = FixedMontyForm::new(&U2048::from_be_slice(&block), &params)
        .pow_vartime(&U2048::from_be_slice(&e_bytes))
        .retrieve();
    let mut enc = [0u8; 256];
    for (i, limb) in c.as_limbs().iter().rev().enumerate() {
        enc[i * 8..i * 8 + 8].copy_from_slice(&limb.0.to_be_bytes());
    }
    let mut body = Vec::new();
    put_u32(&mut body, id::REQ_DH_PARAMS);
    body.extend_from_slice(&nonce);
    body.extend_from_slice(&server_nonce);
    put_tl_bytes(&mut body, &be_min(u64::from(P))).expect("p");
    put_tl_bytes(&mut body, &be_min(u64::from(Q))).expect("q");
    put_long(&mut body, key.public().fingerprint());
    put_tl_bytes(&mut body, &enc).expect("encrypted_data");
    body
}

fn res_pq(nonce: [u8; 16], server_nonce: [u8; 16]) -> hs::ExpectReqDh {
    let key = keys::private_key(keys::TEST_RSA_PRIVATE_PEM).expect("test key");
    let mut req = Vec::new();
    put_u32(&mut req, id::REQ_PQ_MULTI);
    req.extend_from_slice(&nonce);
    let random = ResPqRandom {
        server_nonce,
        p: P,
        q: Q,
    };
    hs::handle_req_pq(&req, &[key.public().fingerprint()], &random)
        .expect("req_pq_multi")
        .0
}

fn dh_random() -> ServerDhRandom {
    ServerDhRandom {
        a: [3u8; 256],
        padding: [0u8; 16],
        server_time: 1_700_000_000,
    }
}

#[test]
fn the_old_encoding_is_translated_and_then_accepted_by_the_reference() {
    let key = keys::private_key(keys::TEST_RSA_PRIVATE_PEM).expect("test key");
    let group = keys::server_group().expect("group");
    let (nonce, server_nonce) = ([1u8; 16], [2u8; 16]);
    let body = legacy_req_dh(nonce, server_nonce, false);
    let refused = res_pq(nonce, server_nonce).handle_req_dh_params(
        &body,
        std::slice::from_ref(&key),
        &group,
        &dh_random(),
    );
    assert!(refused.is_err(), "the reference reads RSA_PAD only");
    let t = translate_req_dh(&body, std::slice::from_ref(&key), &mut Rng::from_seed(9))
        .expect("no error")
        .expect("translated");
    assert!(t.note.contains("p_q_inner_data (no dc)"), "{}", t.note);
    res_pq(nonce, server_nonce)
        .handle_req_dh_params(&t.body, std::slice::from_ref(&key), &group, &dh_random())
        .expect("the translated request is a valid RSA_PAD one");
}

#[test]
fn a_broken_old_encoding_or_an_rsa_pad_one_is_left_to_the_reference() {
    let key = keys::private_key(keys::TEST_RSA_PRIVATE_PEM).expect("test key");
    let (nonce, server_nonce) = ([1u8; 16], [2u8; 16]);
    let broken = legacy_req_dh(nonce, server_nonce, true);
    let t = translate_req_dh(&broken, std::slice::from_ref(&key), &mut Rng::from_seed(9))
        .expect("no error");
    assert!(t.is_none(), "a SHA1 mismatch must not be translated");
    let t = translate_req_dh(
        b"garbage",
        std::slice::from_ref(&key),
        &mut Rng::from_seed(9),
    )
    .expect("no error");
    assert!(t.is_none());
}
