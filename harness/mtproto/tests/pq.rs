//! Factoring pq (spec §4 step 3): the official sample, every shape of 64-bit pq, and rejections.

use mtproto::handshake::pq::{factorize, factorize_be, is_prime_u64};
use proptest::prelude::*;

#[test]
fn official_sample_pq() {
    // Spec §11.3: 0x17ED48941A08F981 = 1229739323 · 1402015859.
    assert_eq!(
        factorize(0x17ED_4894_1A08_F981),
        Ok((1_229_739_323, 1_402_015_859))
    );
    // The sample's own pq, 1468428376148703121 = 1008949199 · 1455403679.
    let (p, q) = factorize_be(&[0x14, 0x60, 0xe7, 0xd3, 0xfa, 0x72, 0x77, 0x91]).unwrap();
    assert_eq!(
        (p, q),
        (vec![0x3c, 0x23, 0x57, 0xcf], vec![0x56, 0xbf, 0xb2, 0x9f])
    );
}

#[test]
fn even_square_and_high_bit_pq_are_split() {
    assert_eq!(factorize(2 * 4_294_967_291), Ok((2, 4_294_967_291)));
    assert_eq!(factorize(4), Ok((2, 2)));
    assert_eq!(
        factorize(4_294_967_291 * 4_294_967_291),
        Ok((4_294_967_291, 4_294_967_291))
    );
    // >= 2^63: the two largest 32-bit primes.
    assert_eq!(
        factorize(4_294_967_279 * 4_294_967_291),
        Ok((4_294_967_279, 4_294_967_291))
    );
    assert_eq!(factorize(3 * 5), Ok((3, 5)));
}

#[test]
fn prime_tiny_and_three_factor_pq_are_not_factorable() {
    for pq in [
        0u64,
        1,
        2,
        3,
        5,
        1_000_000_007,
        18_446_744_073_709_551_557,
        8,
        30,
        3 * 5 * 7 * 11 * 13,
    ] {
        assert!(factorize(pq).is_err(), "{pq}");
    }
    // A factor of 2^32 or more: 3 · (a 62-bit prime).
    assert!(factorize(3 * 4_611_686_018_427_387_847).is_err());
    // More than 8 significant bytes on the wire; leading zeros are fine.
    assert!(factorize_be(&[1, 0, 0, 0, 0, 0, 0, 0, 15]).is_err());
    assert!(factorize_be(&[0, 0, 0, 0, 0, 0, 0, 0, 15]).is_ok());
    assert!(factorize_be(&[]).is_err());
}

fn naive_is_prime(n: u64) -> bool {
    n >= 2
        && (2..)
            .take_while(|d: &u64| d * d <= n)
            .all(|d| !n.is_multiple_of(d))
}

#[test]
fn is_prime_u64_agrees_with_trial_division_below_100000() {
    for n in 0..100_000u64 {
        assert_eq!(is_prime_u64(n), naive_is_prime(n), "{n}");
    }
    // Strong pseudoprimes to several small bases.
    for n in [
        2047u64,
        1_373_653,
        25_326_001,
        3_215_031_751,
        2_152_302_898_747,
        3_474_749_660_383,
        341_550_071_728_321,
        3_825_123_056_546_413_051,
    ] {
        assert!(!is_prime_u64(n), "{n}");
    }
}

fn prime_below_2_32() -> impl Strategy<Value = u64> {
    (2u64..(1 << 32)).prop_map(|mut n| {
        while !naive_is_prime(n) {
            n -= 1;
            if n < 2 {
                n = 2;
            }
        }
        n
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    #[test]
    fn any_product_of_two_32_bit_primes_is_split_in_order(p in prime_below_2_32(), q in prime_below_2_32()) {
        let (lo, hi) = (p.min(q), p.max(q));
        prop_assert_eq!(factorize(p * q), Ok((lo as u32, hi as u32)));
    }
}
