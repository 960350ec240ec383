#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| mtproto_fuzzing::transport_abridged(data));
