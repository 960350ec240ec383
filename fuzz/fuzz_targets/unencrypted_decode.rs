#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| mtproto::fuzzing::unencrypted_decode(data));
