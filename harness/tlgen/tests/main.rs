//! The committed generated code is exactly what the generator writes.

#[test]
fn committed_generated_rs_is_byte_identical_to_a_fresh_generation() {
    let want = mtproto_tlgen::generate_all().unwrap();
    let got = std::fs::read_to_string(mtproto_tlgen::output_path()).unwrap_or_default();
    assert!(
        got == want,
        "harness/mtproto/src/tl/generated.rs is stale: run `cargo run -p mtproto-tlgen` and commit"
    );
}

#[test]
fn generation_is_deterministic() {
    assert_eq!(
        mtproto_tlgen::generate_all().unwrap(),
        mtproto_tlgen::generate_all().unwrap()
    );
}
