//! DH parameter and value checks (spec §5): every rule, its bounds, and the primality test on
//! adversarial numbers.

use mtproto::ProtocolError;
use mtproto::crypto::dh::{
    self, DhGroup, MARGIN_BITS, SafePrimeCache, TELEGRAM_DH_PRIME, bpsw_vartime, check_params,
    check_value, check_value_range,
};
use mtproto::error::DhError;

use crate::support::h;

const SEED: [u8; 32] = [0x5a; 32];

/// A 2048-bit number from `tests/data/dh_primes.txt` by name.
pub fn prime(name: &str) -> Vec<u8> {
    include_str!("data/dh_primes.txt")
        .lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|l| {
            let mut it = l.split_whitespace();
            (it.next() == Some(name)).then(|| h(it.nth(1).unwrap()))
        })
        .unwrap_or_else(|| panic!("no prime {name}"))
}

pub(crate) fn telegram_group() -> DhGroup {
    check_params(&TELEGRAM_DH_PRIME, 3, &SEED, None).unwrap()
}

fn err(p: &[u8], g: i64) -> DhError {
    check_params(p, g, &SEED, None).unwrap_err()
}

#[test]
fn published_safe_primes_are_accepted_with_their_generators() {
    assert_eq!(prime("telegram"), TELEGRAM_DH_PRIME.to_vec());
    for g in [3, 4, 7] {
        check_params(&TELEGRAM_DH_PRIME, g, &SEED, None).unwrap();
    }
    // RFC 3526 group 14 satisfies every congruence.
    let modp = prime("rfc3526_modp2048");
    let mut cache = SafePrimeCache::new();
    for g in 2..=7 {
        check_params(&modp, g, &SEED, Some(&mut cache)).unwrap();
    }
    assert_eq!(cache.len(), 1);
}

#[test]
fn generator_congruence_failures_are_gnotgenerator() {
    // The Telegram prime: p mod 8 = 3, p mod 5 = 3, p mod 24 = 11.
    for g in [2u32, 5, 6] {
        assert_eq!(
            err(&TELEGRAM_DH_PRIME, g.into()),
            DhError::GNotGenerator { g }
        );
    }
}

#[test]
fn g_outside_2_to_7_is_out_of_range_even_for_a_good_prime() {
    for g in [i64::MIN, -3, 0, 1, 8, 9, 256, 1 << 32, i64::MAX] {
        assert_eq!(err(&TELEGRAM_DH_PRIME, g), DhError::GOutOfRange { g });
    }
}

#[test]
fn a_prime_of_the_wrong_size_or_encoding_is_pwrongsize() {
    let p = TELEGRAM_DH_PRIME;
    // 255 bytes (2040 bits), 257 bytes with a leading zero, 257 bytes, top bit clear, empty.
    let mut with_zero = vec![0u8];
    with_zero.extend_from_slice(&p);
    let mut top_clear = p;
    top_clear[0] &= 0x7f;
    for (bad, len) in [
        (p[1..].to_vec(), 255),
        (with_zero, 257),
        (vec![0xffu8; 257], 257),
        (top_clear.to_vec(), 256),
        (Vec::new(), 0),
    ] {
        assert_eq!(err(&bad, 3), DhError::PWrongSize { len });
    }
    // Size is checked before g: a bad size with a bad g is still PWrongSize.
    assert_eq!(err(&p[1..], 99), DhError::PWrongSize { len: 255 });
}

#[test]
fn composite_p_is_pnotprime() {
    assert_eq!(err(&prime("composite_rsa"), 3), DhError::PNotPrime);
    // Even p and p with a small factor.
    let mut even = TELEGRAM_DH_PRIME;
    even[255] &= 0xfe;
    assert_eq!(err(&even, 4), DhError::PNotPrime);
    let mut plus_two = TELEGRAM_DH_PRIME;
    plus_two[255] = plus_two[255].wrapping_add(2);
    assert_ne!(check_params(&plus_two, 4, &SEED, None).map(|_| ()), Ok(()));
}

#[test]
fn q_prime_but_p_composite_is_pnotprime_via_the_pocklington_step() {
    // Catches a checker that proves q and then assumes p = 2q + 1 is prime.
    assert_eq!(err(&prime("q_prime_p_composite"), 3), DhError::PNotPrime);
}

#[test]
fn prime_but_not_safe_is_pnotsafeprime() {
    // Catches a checker that tests only p.
    assert_eq!(err(&prime("prime_not_safe"), 3), DhError::PNotSafePrime);
    assert_eq!(err(&prime("prime_1_mod_4"), 4), DhError::PNotSafePrime);
}

#[test]
fn bpsw_rejects_base_2_strong_pseudoprimes_and_strong_lucas_pseudoprimes() {
    use crypto_bigint::U2048;
    // 2047 = 23·89 and 3215031751 = 151·751·28351: strong pseudoprimes to base 2;
    // 5459 = 53·103, 5777 = 53·109: strong Lucas pseudoprimes (Selfridge parameters).
    for n in [
        2047u64,
        3_215_031_751,
        5459,
        5777,
        10877,
        1_194_649 * 1_194_649,
    ] {
        assert!(!bpsw_vartime(&U2048::from_u64(n)), "{n}");
    }
    for n in [3u64, 5, 7, 1_000_000_007, 4_294_967_291] {
        assert!(bpsw_vartime(&U2048::from_u64(n)), "{n}");
    }
}

#[test]
fn the_cache_is_consulted_and_holds_only_proven_primes() {
    let mut cache = SafePrimeCache::new();
    assert!(check_params(&prime("prime_not_safe"), 3, &SEED, Some(&mut cache)).is_err());
    assert!(cache.is_empty());
    check_params(&TELEGRAM_DH_PRIME, 3, &SEED, Some(&mut cache)).unwrap();
    assert!(cache.contains(&TELEGRAM_DH_PRIME));
    // Cached: the congruence is still checked.
    assert_eq!(
        check_params(&TELEGRAM_DH_PRIME, 2, &SEED, Some(&mut cache)).unwrap_err(),
        DhError::GNotGenerator { g: 2 }
    );
    check_params(&TELEGRAM_DH_PRIME, 7, &SEED, Some(&mut cache)).unwrap();
}

/// A cache hit reuses the stored Montgomery parameters and `p mod 840`: every `g` must get the
/// same verdict as a cold check, and the groups must compute the same values.
#[test]
fn a_cached_group_behaves_like_a_cold_one() {
    let mut cache = SafePrimeCache::new();
    for p in [TELEGRAM_DH_PRIME.to_vec(), prime("rfc3526_modp2048")] {
        let p_arr: [u8; 256] = p.clone().try_into().unwrap();
        for g in 2..=7i64 {
            let cold = check_params(&p, g, &SEED, None);
            let warm = check_params(&p, g, &SEED, Some(&mut cache));
            assert_eq!(
                cold.as_ref().err(),
                warm.as_ref().err(),
                "g = {g}: cached verdict differs"
            );
            assert_eq!(
                cold.is_ok(),
                dh::g_congruence_holds(&p, u32::try_from(g).unwrap())
            );
            if let (Ok(cold), Ok(warm)) = (cold, warm) {
                assert!(cache.contains(&p_arr));
                assert_eq!(warm.p(), cold.p());
                assert_eq!(warm.g(), cold.g());
                assert_eq!(warm.pow_g(&[0xa5; 256]), cold.pow_g(&[0xa5; 256]));
            }
        }
    }
}

fn be(v: &crypto_bigint::U2048) -> Vec<u8> {
    v.to_be_bytes().as_ref().to_vec()
}

/// The bounds of spec §5 as numbers: 1, p-1, 2^1984, p-2^1984.
fn bounds(group: &DhGroup) -> [crypto_bigint::U2048; 4] {
    use crypto_bigint::U2048;
    let p = U2048::from_be_slice(group.p());
    let m = U2048::ONE.shl_vartime(MARGIN_BITS);
    [
        U2048::ONE,
        p.wrapping_sub(&U2048::ONE),
        m,
        p.wrapping_sub(&m),
    ]
}

#[test]
fn values_at_and_around_every_bound() {
    use crypto_bigint::U2048;
    let group = telegram_group();
    let [one, p1, lo, hi] = bounds(&group);
    let o = U2048::ONE;
    type Expect = Result<(), &'static str>;
    let cases: [(U2048, Expect, Expect); 12] = [
        // (value, strict, range-only)
        (U2048::ZERO, Err("ValueOutOfRange"), Err("ValueOutOfRange")),
        (one, Err("ValueOutOfRange"), Err("ValueOutOfRange")),
        (one.wrapping_add(&o), Err("ValueUnsafe"), Ok(())),
        (p1.wrapping_sub(&o), Err("ValueUnsafe"), Ok(())),
        (p1, Err("ValueOutOfRange"), Err("ValueOutOfRange")),
        (
            p1.wrapping_add(&o),
            Err("ValueOutOfRange"),
            Err("ValueOutOfRange"),
        ),
        (lo.wrapping_sub(&o), Err("ValueUnsafe"), Ok(())),
        (lo, Ok(()), Ok(())),
        (lo.wrapping_add(&o), Ok(()), Ok(())),
        (hi.wrapping_sub(&o), Ok(()), Ok(())),
        (hi, Ok(()), Ok(())),
        (hi.wrapping_add(&o), Err("ValueUnsafe"), Ok(())),
    ];
    for (i, (v, strict, range)) in cases.iter().enumerate() {
        let bytes = be(v);
        let got = check_value(&group, &bytes)
            .map(|_| ())
            .map_err(|e| e.name());
        assert_eq!(&got, strict, "case {i} strict");
        let got = check_value_range(&group, &bytes)
            .map(|_| ())
            .map_err(|e| e.name());
        assert_eq!(&got, range, "case {i} range");
    }
    // Longer than 256 significant bytes, and leading zeros.
    let mut long = vec![1u8];
    long.extend_from_slice(&be(&lo));
    assert_eq!(
        check_value(&group, &long).unwrap_err(),
        DhError::ValueOutOfRange
    );
    let mut padded = vec![0u8, 0];
    padded.extend_from_slice(&be(&lo));
    check_value(&group, &padded).unwrap();
    assert_eq!(
        check_value(&group, &[]).unwrap_err(),
        DhError::ValueOutOfRange
    );
}

#[test]
fn modexp_reproduces_the_official_sample() {
    // Spec §11.3: g_b = 3^b mod p and auth_key = g_a^b mod p.
    let group = telegram_group();
    let b: [u8; 256] = h(SAMPLE_B).try_into().unwrap();
    assert_eq!(group.pow_g(&b).to_vec(), h(SAMPLE_G_B));
    let g_a = check_value(&group, &h(SAMPLE_G_A)).unwrap();
    assert_eq!(group.pow(&g_a, &b).to_vec(), h(SAMPLE_AUTH_KEY));
    let _ = dh::PRIME_LEN;
}

pub const SAMPLE_B: &str = "
A521C97B9D210812C56055C62FE8C3CE7FC97A75E51D4428F78F7D5F7325FCE0
3FF70D99039502FB75059DC40E36CF4F4D7A073937CC6DBC86AB864E7B3F26EF
E833F766856033931BC41F031507DD571FCFEBB28F1B3DF1577A90C25B95C568
94AAB64C681961AC68AFA9AADF03752D0E26EADD645A02D7895B64846EB83B3D
DD458D856870CD8C0765B985C1ED50D5D802DDE67B159C899898A9B738D17802
F3D50B83A868738D8502BBE33B8D7FBC3348E3E444352816FD84D300A2A8E211
7CAC0EAEC654235183187D85548791BF25ABFD1AC97EAB7FA685F67A57E7BBE4
7B96A99B8F34B8EB523C18AEE074EABACB6FA9A28A41F4F961F41D86B19F4EC1";

pub const SAMPLE_G_A: &str = "
9828B2E4CAEC188BB94216F5E2DB632A17630A21FD00C67465E741D26137C8E2
B757F349D8DD1B62B601642ACB9E3B390ABF153D3A11615A128ED1D79379D763
C14D2DF5CEF99C96945C51290C1FD82C4B482078863B2BC7022C7886C21C0F1D
24814C768321C05934303E50AE22CBC83F2A3994BBC3C72E77BF10CDB695CBD8
6655D1BC0A083551E59D0FBFCFA13825A182105A78DA35AF5A15C064275B6E67
29049C84209B898675C9110ADCD1CBB2AAB333C05D3E9F70D05FEE7C54EFCE92
7E1B40A719D04D15C7E950EB885E60AAAE990231719DBDDD84C65B2F3A606FE1
F78DEA7C8FAD25C1CD7876EB6F5A46270B82D549E31EDD3C2DC2F82970A4999C";

pub const SAMPLE_G_B: &str = "
A0BB357C5A5FBC4EC9D8B2171C030CB68A693A8024CD9E3630BAE4CE000A14A5
DBF8A40DFB322678A797ED3D591032D0A1C529BE4E76B7EBD5436E7BF7539A9A
B5A5FE9DD62F37CAE704EFE0C10DD608E5D9554F7B2F7198E99CE29A9A86CCE0
FBB1491EBA269DEB6AA20C5CB2134E75E5C70A7C0E7D47EE16F87189D135EDAE
37EAD992063C11AEA4AC660CF3EBE61B6C21ADAAC2A9317120A6F4D1DA65978F
A74BF94CC65A0CA2479D064906E78575049E7654D346CA576C6778F478CDB48F
CA2FD9202E6E5F95FEF623A206207AFB41619C419357B49F4F8825B37EF7E748
11FBA22BDF45730F423793C5049514363232F3358BC5F60A416BDCE7D7BBFB49";

pub const SAMPLE_AUTH_KEY: &str = "
77379866D71627E6C3635361F9681B03C9EE8A7AAB9552EF513A13315EABC18A
118ED649614AE1F01DAB8F71D83341309C5999AD4889E5D9F3E911AAAD00D9DD
C24273D7B97DD92151F969242F347C8F9D5DE44E8D7E87A69C2AE1757F5ECD20
AAFC586EDD34C89AC8D5B8F7C9EB33A0C7F06A69632BCEB8DE03E336E5AF0332
D4B1F52BA73FBE7A3A6FE8C2268C10B9357E5474A7CCEB0E39FE3B4A92900CD0
9AF3C307D8FA90CB9DA2AD35643FB0335BD0B7E6D30D1038741EB632E6A97B69
2A1F76F418AF74337D05539B59DF1D4E16B7E0C87240595DDFD26037CDB7E70D
B4B6C5CAE532F49BC6974F6F46FD3CBDCD90EBB6795FD9A43421BCDF893D5C46";
