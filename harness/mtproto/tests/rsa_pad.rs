//! RSA keys, fingerprints and RSA_PAD (spec §4.1, §11.4), both directions.

use mtproto::crypto::rsa_pad::{RsaPrivateKey, RsaPublicKey, key_aes_encrypted, rsa_pad_encrypt};
use mtproto::error::RsaError;

use crate::support::h;

pub const PRODUCTION_PEM: &str = include_str!("data/telegram_production_rsa.pem");
pub const TEST_DC_PEM: &str = include_str!("data/telegram_test_dc_rsa.pem");
pub const SERVER_PRIVATE_PEM: &str = include_str!("data/test_server_rsa_private.pem");
pub const SERVER_PUBLIC_PEM: &str = include_str!("data/test_server_rsa_public.pem");

/// Spec §11.3: the sample's p_q_inner_data_dc and its 92 random padding bytes.
pub const SAMPLE_DATA: &str = "955FF5A9081460E7D3FA727791000000043C2357CF0000000456BFB29F00000015A084B3B9CA2A17F03925F44B78FE68D6701FCD212CEB87C966E5318F5564A8845FAD32D10A4C7967DA49A89FBE508AD24AA3150992B499B3B2C72CDC0F364C02000000";
pub const SAMPLE_PADDING: &str = "5C3E7244F0896A34C58F66FC548B7A2D0A4153B5E703A8FF11FBF623B7E2F9BA25E3539490DA77CEB9AB45A44F9D7D3CB5DE7C0F69F0D5819112F5CACF06C964AE5D8BC3C727AC39A058681B8E80AAB76BF06CD90FCBC2B7CFBF8135";

#[test]
fn telegram_key_fingerprints_match_the_published_ones() {
    let prod = RsaPublicKey::from_pkcs1_pem(PRODUCTION_PEM).unwrap();
    assert_eq!(prod.fingerprint_bytes(), h("85FD64DE851D9DD0")[..]);
    assert_eq!(prod.fingerprint() as u64, 0xd09d_1d85_de64_fd85);
    assert_eq!(prod.e(), [1, 0, 1]);
    let test_dc = RsaPublicKey::from_pkcs1_pem(TEST_DC_PEM).unwrap();
    assert_eq!(test_dc.fingerprint_bytes(), h("03268D20DF9858B2")[..]);
    // The same key from n/e.
    let again = RsaPublicKey::from_n_e(prod.n(), prod.e()).unwrap();
    assert_eq!(again.fingerprint(), prod.fingerprint());
}

#[test]
fn rsa_pad_reproduces_the_computed_vector() {
    // Spec §11.4: sample data and padding, temp_key = 00..1f, production key.
    let key = RsaPublicKey::from_pkcs1_pem(PRODUCTION_PEM).unwrap();
    let temp_key: [u8; 32] = core::array::from_fn(|i| i as u8);
    let mut dwp = [0u8; 192];
    let data = h(SAMPLE_DATA);
    dwp[..data.len()].copy_from_slice(&data);
    dwp[data.len()..].copy_from_slice(&h(SAMPLE_PADDING));
    assert_eq!(
        key_aes_encrypted(&dwp, &temp_key).to_vec(),
        h("7d6e2f302af0130766a860bf6de164d32693555bd2cdaefabab3e296bdb5b8a7587f18e5ffa9d70958720c04d156c4dc33a49359b180965a403868c0c90cd8c3
           ce0bdcc07cd49072d13f1901b910e597532b34b4fe384180ab2d0d400599ef4ab6c731f2b1b5b5b520b7e8d75644b8c6eb931b3d81b6ada038dfc4fe8d3e9720
           cb117a5916e4dc80dbaaaa1907ef573e3a70523b71215b7903269a0af2b87596244575b154e8cb477564ea15be2ad4164cff73d07c6df1556537208ce792ff4c
           f804cba4d430618fe0506ac3d534016ab0f8073b54c936fa8010d885313c89ff7dc6ade7df46130afb73459ce785e96ae1a0a4de562480ee759db1694a3aaa47")
    );
    let (ct, used) = rsa_pad_encrypt(&key, &data, &h(SAMPLE_PADDING), &[temp_key]).unwrap();
    assert_eq!(used, 0);
    assert_eq!(
        ct.to_vec(),
        h("c2d08707e8a710fbd2aa6bd42322a0328be2a01792271b93b9beb382b1f0d40240db2cb1ecd8fdcc38eb4f7dd3e39413db4c678e8dafb7c0fdf9b0a5319a8a8a
           6f9446b9d0e8d08cda04e18d199837fea3e95a880448ba52206828936e60df11f3c087de83a6494bee94c1e565e214e7d1e6576f30a0533a0260afcbbe05c7f8
           b51e3712280b1fd97d69fdb5c6985e8504c322374acb9116e5da7822b7bcb7e9dd499a8fffc1688745e2422aa6f3fefd61778a816c6017117da5b73dd6ca54e6
           8bfa07965eae6fceb96165791c13fad0d6b08c33bc31edd7e53e332683df08b8bae19352fcaf4c56af085e01272ec5dbf67e6d04f511128c9fbc2f6b78ba3822")
    );
}

fn server() -> RsaPrivateKey {
    RsaPrivateKey::from_pkcs1_pem(SERVER_PRIVATE_PEM).unwrap()
}

#[test]
fn committed_key_pair_round_trips_and_the_retry_rule_skips_values_at_or_above_n() {
    let key = server();
    let public = RsaPublicKey::from_pkcs1_pem(SERVER_PUBLIC_PEM).unwrap();
    assert_eq!(public.fingerprint(), key.public().fingerprint());
    let data = h(SAMPLE_DATA);
    let padding = h(SAMPLE_PADDING);
    let mut dwp = [0u8; 192];
    dwp[..data.len()].copy_from_slice(&data);
    dwp[data.len()..].copy_from_slice(&padding);
    // Find a temp_key whose key_aes_encrypted is >= n: the encoder must skip it.
    let n = public.n().to_vec();
    let tk = |i: u8| [i; 32];
    let big = (0..=255u8)
        .find(|&i| key_aes_encrypted(&dwp, &tk(i)).to_vec() >= n)
        .expect("some temp_key gives a value >= n");
    let small = (0..=255u8)
        .find(|&i| key_aes_encrypted(&dwp, &tk(i)).to_vec() < n)
        .unwrap();
    let (ct, used) = rsa_pad_encrypt(&public, &data, &padding, &[tk(big), tk(small)]).unwrap();
    assert_eq!(used, 1);
    assert_eq!(key.rsa_pad_decrypt(&ct).unwrap().to_vec(), dwp.to_vec());
    assert_eq!(
        rsa_pad_encrypt(&public, &data, &padding, &[tk(big)]).unwrap_err(),
        RsaError::RetriesExhausted
    );
}

/// A PKCS#1 key decrypts through its primes (CRT), a key given as `n`, `e`, `d` with `d` alone:
/// both must give the same block for every temp key, including values near `n` and tiny ones.
#[test]
fn crt_decryption_equals_decryption_with_d() {
    let crt = server();
    let plain =
        RsaPrivateKey::from_n_e_d(crt.public().n(), crt.public().e(), &*crt.d_bytes()).unwrap();
    assert!(format!("{crt:?}").contains("crt: true"), "{crt:?}");
    assert!(format!("{plain:?}").contains("crt: false"), "{plain:?}");
    let public = crt.public();
    let padding = h(SAMPLE_PADDING);
    let data = h(SAMPLE_DATA);
    let mut decrypted = 0;
    for i in 0..=255u8 {
        let temp_key = [i; 32];
        let Ok((ct, _)) = rsa_pad_encrypt(public, &data, &padding, &[temp_key]) else {
            continue; // key_aes_encrypted >= n for this temp key
        };
        let (a, b) = (crt.rsa_pad_decrypt(&ct), plain.rsa_pad_decrypt(&ct));
        assert_eq!(
            a.as_deref().map(|v| v.to_vec()),
            b.as_deref().map(|v| v.to_vec())
        );
        assert!(a.is_ok(), "temp key {i}: {a:?}");
        decrypted += 1;
    }
    assert!(
        decrypted > 100,
        "only {decrypted} temp keys gave a value below n"
    );
    // Ciphertexts that are not RSA_PAD blocks (0, 1, n - 1, a 1 in each byte): the same
    // verdict from both paths.
    let n = public.n().to_vec();
    let mut n_minus_one = n.clone();
    *n_minus_one.last_mut().unwrap() -= 1;
    let mut probes = vec![vec![0u8; 256], n_minus_one];
    for at in 0..256 {
        let mut v = vec![0u8; 256];
        v[at] = 1;
        probes.push(v);
    }
    for ct in &probes {
        assert_eq!(
            crt.rsa_pad_decrypt(ct).map(|v| v.to_vec()),
            plain.rsa_pad_decrypt(ct).map(|v| v.to_vec())
        );
    }
}

#[test]
fn server_decode_rejects_any_changed_byte_before_parsing() {
    // Attack 4 (spec §10.2): the hash covers all 192 bytes, so a change anywhere is caught.
    let key = server();
    let data = h(SAMPLE_DATA);
    let (ct, _) = rsa_pad_encrypt(
        key.public(),
        &data,
        &h(SAMPLE_PADDING),
        &[[7u8; 32], [8; 32], [9; 32]],
    )
    .unwrap();
    for i in [0usize, 1, 100, 200, 255] {
        let mut bad = ct;
        bad[i] ^= 0x01;
        let e = key.rsa_pad_decrypt(&bad).unwrap_err();
        assert!(
            matches!(e, RsaError::HashMismatch | RsaError::CiphertextOutOfRange),
            "{i}: {e:?}"
        );
    }
    assert_eq!(
        key.rsa_pad_decrypt(&ct[1..]).unwrap_err(),
        RsaError::CiphertextWrongSize { len: 255 }
    );
    assert_eq!(
        key.rsa_pad_decrypt(&[0xff; 256]).unwrap_err(),
        RsaError::CiphertextOutOfRange
    );
    assert_eq!(
        key.rsa_pad_decrypt(key.public().n()).unwrap_err(),
        RsaError::CiphertextOutOfRange
    );
}

#[test]
fn oversized_data_and_wrong_padding_are_refused() {
    let key = server();
    assert_eq!(
        rsa_pad_encrypt(key.public(), &[0; 145], &[0; 47], &[[1; 32]]).unwrap_err(),
        RsaError::DataTooLong { len: 145 }
    );
    assert!(rsa_pad_encrypt(key.public(), &[0; 100], &[0; 91], &[[1; 32]]).is_err());
}

#[test]
fn malformed_pems_and_unsupported_keys_are_errors_not_panics() {
    for pem in [
        "",
        "-----BEGIN RSA PUBLIC KEY-----\n!!!\n-----END RSA PUBLIC KEY-----",
        "-----BEGIN RSA PUBLIC KEY-----\nMAA=\n-----END RSA PUBLIC KEY-----",
        SERVER_PRIVATE_PEM,
    ] {
        assert!(RsaPublicKey::from_pkcs1_pem(pem).is_err());
    }
    let prod = RsaPublicKey::from_pkcs1_pem(PRODUCTION_PEM).unwrap();
    assert_eq!(
        RsaPublicKey::from_n_e(&prod.n()[1..], &[3]).unwrap_err(),
        RsaError::KeyUnsupported
    );
    assert_eq!(
        RsaPublicKey::from_n_e(prod.n(), &[2]).unwrap_err(),
        RsaError::KeyUnsupported
    );
    assert_eq!(
        RsaPublicKey::from_n_e(prod.n(), &[1]).unwrap_err(),
        RsaError::KeyUnsupported
    );
    // Truncating the PEM body at every point never panics.
    let body: String = PRODUCTION_PEM
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    for cut in 0..body.len() {
        let pem = format!(
            "-----BEGIN RSA PUBLIC KEY-----\n{}\n-----END RSA PUBLIC KEY-----",
            &body[..cut]
        );
        assert!(RsaPublicKey::from_pkcs1_pem(&pem).is_err());
    }
}
