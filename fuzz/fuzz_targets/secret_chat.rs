#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| mtproto::fuzzing::secret_chat(data));
