#![no_main]
libfuzzer_sys::fuzz_target!(init: mtproto_fuzzing::mutant_bench::init(), |data: &[u8]| {
    mtproto_fuzzing::rsa(data)
});
