//! Deliberate bugs for the mutation self-test (`mtproto-harness self-test`), compiled in only with
//! the `mutants` feature: a normal build contains neither this module nor any check site.
//!
//! One mutant at a time is active for the whole process ([`activate`]); the adapter subcommand
//! selects it with `--mutant NAME`. Each check site is a `#[cfg(feature = "mutants")]` line that
//! asks [`on`] whether its mutant is the active one. In this crate's unit tests the active mutant
//! is per thread, so tests that activate one cannot disturb tests running beside them.
//!
//! Each mutant mirrors a weakness found in real clients (a missing check, a shortcut in the
//! replay window, a key serialized as a minimal integer); the vectors that kill each one are
//! listed in the root README's kill table, which `self-test` enforces.

/// The deliberate bugs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Mutant {
    /// Accept a packet whose msg_key does not match the plaintext (R4 skipped).
    SkipMsgKey = 1,
    /// Accept padding shorter than 12 bytes.
    AcceptShortPadding,
    /// Accept padding longer than 1024 bytes.
    AcceptLongPadding,
    /// Skip the `message_data_length % 4 == 0` check.
    SkipLengthAlign,
    /// Use x = 8 where x = 0 belongs and the other way round in the key derivation.
    SwapX,
    /// Skip the session_id check (R6).
    SkipSessionId,
    /// Skip the auth_key_id check (R2).
    SkipAuthKeyId,
    /// The client receiver accepts even msg_ids (R7: "server message identifiers modulo 4
    /// yield 1 or 3"), so a client's own message reflected back is taken as the server's.
    AcceptEvenServerMsgId,
    /// The replay window remembers only the newest msg_id: a replay of an older message still
    /// inside the window is not recognized as a duplicate (R8).
    NewestOnlyWindow,
    /// The safe-prime test checks that `p` is prime but not that `(p - 1) / 2` is.
    SkipSafePrime,
    /// `g_a` / `g_b` are checked against `(1, p - 1)` only, not the `2^(2048-64)` margin.
    SkipDhMargin,
    /// `g_a` / `g_b` are not range-checked at all (neither `(1, p - 1)` nor the margin).
    SkipDhRange,
    /// `g` is not checked against the congruence table of `p`.
    SkipGGenerator,
    /// The client takes `dh_gen_ok` without comparing `new_nonce_hash1`.
    SkipNewNonceHash1,
    /// A key whose first byte is zero is hashed without it (a DH result serialized as a minimal
    /// big-endian integer): `auth_key_id` and `auth_key_aux_hash` come out wrong.
    DropLeadingZero,
    /// The call replay window remembers only the newest counter: a replay of an older packet
    /// still inside the window is accepted (an earlier tgcalls `registerIncomingCounter` pruned
    /// with an inverted predicate and kept only the last counter).
    CallNewestOnlyWindow,
    /// A call packet's first seq is taken as the counter without masking its two flag bits
    /// (single-message, requires-ack), so a flagged packet looks 2^30 or 2^31 ahead.
    UnmaskedCallSeq,
    /// A secret-chat seq_no with the wrong parity is processed instead of closing the chat.
    AcceptWrongSeqParity,
    /// A secret-chat message with out_seq_no ≤ C (already processed) is not dropped as a
    /// repeat but taken as new (queued as if ahead of a gap).
    SecretRepeatAsNew,
    /// in_seq_no is not bounded by D + 1 (the messages this side has sent).
    SkipInSeqNoBound,
    /// `random_bytes` shorter than 15 bytes are accepted.
    AcceptShortRandomBytes,
    /// A secret-chat message is read with the receiver's own x instead of its sender's.
    SwapSecretX,
    /// CommitKey's fingerprint is not compared with the pending key's.
    SkipCommitFingerprint,
    /// Concurrent RequestKeys compare exchange_ids as unsigned 64-bit integers.
    UnsignedExchangeId,
    /// The callee does not check SHA256(g_a) against the g_a_hash it received first.
    SkipGaHash,
    /// Emoji indices without the top-bit mask (`word mod 333`, as the old documentation said).
    EmojiWithoutMask,
    /// The server parses RSA_PAD's `p_q_inner_data` before comparing the hash over
    /// `data_with_padding` (the old encoding's order, the timing oracle of Albrecht et al.'s
    /// attack 4): a block with a wrong hash is refused for its parse error instead.
    RsaHashAfterParse,
    /// The client encrypts `key_aes_encrypted` even when it is `>= n` instead of retrying with a
    /// new temp_key (the server then decrypts `key_aes_encrypted - n`).
    SkipRsaRetry,
    /// The server decrypts an RSA ciphertext `>= n` (as `c mod n`) instead of refusing it.
    AcceptCiphertextAboveN,
    /// The fingerprint hashes n and e as given, with DER's leading zero byte or a padded
    /// exponent, instead of the numbers' own big-endian form.
    FingerprintRawBytes,
    /// The client takes `dh_gen_retry` for `dh_gen_ok`: it checks new_nonce_hash1 and keeps the
    /// key the server just rejected.
    DhGenRetryAsOk,
    /// After `dh_gen_retry` the client resends `set_client_DH_params` with `retry_id` 0 instead
    /// of the rejected key's `auth_key_aux_hash`.
    RetryIdZero,
    /// After sending `dh_gen_retry` the server keeps expecting `retry_id` 0, so it refuses the
    /// correct resend (and would take one that ignores the rejected key).
    ServerRetryIdStale,
    /// The secret-chat key hash takes SHA1(original key)[4..20] (the slice next to the
    /// fingerprint's) instead of [0..16].
    KeyHashWrongSlice,
}

/// Every mutant with its name, as `--mutant` takes it.
const TABLE: [(&str, Mutant); 34] = [
    ("skip-msg-key", Mutant::SkipMsgKey),
    ("accept-short-padding", Mutant::AcceptShortPadding),
    ("accept-long-padding", Mutant::AcceptLongPadding),
    ("skip-length-align", Mutant::SkipLengthAlign),
    ("swap-x", Mutant::SwapX),
    ("skip-session-id", Mutant::SkipSessionId),
    ("skip-auth-key-id", Mutant::SkipAuthKeyId),
    ("accept-even-server-msg-id", Mutant::AcceptEvenServerMsgId),
    ("newest-only-window", Mutant::NewestOnlyWindow),
    ("skip-safe-prime", Mutant::SkipSafePrime),
    ("skip-dh-margin", Mutant::SkipDhMargin),
    ("skip-dh-range", Mutant::SkipDhRange),
    ("skip-g-generator", Mutant::SkipGGenerator),
    ("skip-new-nonce-hash1", Mutant::SkipNewNonceHash1),
    ("drop-leading-zero", Mutant::DropLeadingZero),
    ("call-newest-only-window", Mutant::CallNewestOnlyWindow),
    ("unmasked-call-seq", Mutant::UnmaskedCallSeq),
    ("accept-wrong-seq-parity", Mutant::AcceptWrongSeqParity),
    ("secret-repeat-as-new", Mutant::SecretRepeatAsNew),
    ("skip-in-seq-no-bound", Mutant::SkipInSeqNoBound),
    ("accept-short-random-bytes", Mutant::AcceptShortRandomBytes),
    ("swap-secret-x", Mutant::SwapSecretX),
    ("skip-commit-fingerprint", Mutant::SkipCommitFingerprint),
    ("unsigned-exchange-id", Mutant::UnsignedExchangeId),
    ("skip-g-a-hash", Mutant::SkipGaHash),
    ("emoji-without-mask", Mutant::EmojiWithoutMask),
    ("rsa-hash-after-parse", Mutant::RsaHashAfterParse),
    ("skip-rsa-retry", Mutant::SkipRsaRetry),
    ("accept-ciphertext-above-n", Mutant::AcceptCiphertextAboveN),
    ("fingerprint-raw-bytes", Mutant::FingerprintRawBytes),
    ("dh-gen-retry-as-ok", Mutant::DhGenRetryAsOk),
    ("retry-id-zero", Mutant::RetryIdZero),
    ("server-retry-id-stale", Mutant::ServerRetryIdStale),
    ("key-hash-wrong-slice", Mutant::KeyHashWrongSlice),
];

/// The mutants' names, as `--mutant` takes them.
pub fn names() -> impl Iterator<Item = &'static str> {
    TABLE.iter().map(|&(n, _)| n)
}

#[cfg(not(test))]
static ACTIVE: core::sync::atomic::AtomicU8 = core::sync::atomic::AtomicU8::new(0);

#[cfg(test)]
std::thread_local! {
    static ACTIVE: core::cell::Cell<u8> = const { core::cell::Cell::new(0) };
}

fn store(v: u8) {
    #[cfg(not(test))]
    ACTIVE.store(v, core::sync::atomic::Ordering::Relaxed);
    #[cfg(test)]
    ACTIVE.with(|a| a.set(v));
}

fn load() -> u8 {
    #[cfg(not(test))]
    return ACTIVE.load(core::sync::atomic::Ordering::Relaxed);
    #[cfg(test)]
    return ACTIVE.with(core::cell::Cell::get);
}

/// Make the mutant named `name` the active one for this process; `false` if there is none.
pub fn activate(name: &str) -> bool {
    let Some(m) = TABLE.iter().find_map(|&(n, m)| (n == name).then_some(m)) else {
        return false;
    };
    store(m as u8);
    true
}

/// Deactivate any mutant (the correct reference again).
pub fn deactivate() {
    store(0);
}

/// Whether `m` is the active mutant.
pub fn on(m: Mutant) -> bool {
    load() == m as u8
}

#[cfg(test)]
mod tests {
    //! Each check site changes its verdict when, and only when, its mutant is active (the
    //! active mutant is per thread in unit tests). The vectors that kill each mutant through
    //! the adapter protocol are enforced by `mtproto-harness self-test`.
    use super::*;
    use crate::AuthKey;
    use crate::crypto::dh::{self, TELEGRAM_DH_PRIME};
    use crate::error::DhError;
    use crate::session::{ClientConfig, ClientReceiver, MsgIdWindow, WindowRefusal};

    /// `f` with no mutant, then with `name` active.
    fn both<T>(name: &str, f: impl Fn() -> T) -> (T, T) {
        deactivate();
        let correct = f();
        assert!(activate(name), "{name}");
        let mutated = f();
        deactivate();
        (correct, mutated)
    }

    #[test]
    fn every_name_activates_its_own_mutant() {
        let all: Vec<_> = names().collect();
        assert_eq!(all.len(), TABLE.len());
        for (i, n) in all.iter().enumerate() {
            assert!(activate(n));
            assert!(on(TABLE[i].1));
            assert_eq!(TABLE.iter().filter(|&&(_, m)| on(m)).count(), 1);
        }
        assert!(!activate("no-such-mutant"));
        deactivate();
        assert!(TABLE.iter().all(|&(_, m)| !on(m)));
    }

    #[test]
    fn accept_even_server_msg_id() {
        let (correct, mutated) = both("accept-even-server-msg-id", || {
            ClientReceiver::new(1, ClientConfig::default()).check_msg_id(0, 0x6000_0000_0000_0004)
        });
        assert!(correct.is_err());
        assert!(mutated.is_ok());
    }

    #[test]
    fn newest_only_window() {
        let (correct, mutated) = both("newest-only-window", || {
            let mut w = MsgIdWindow::new(8);
            let first = [w.check_and_insert(5), w.check_and_insert(9)];
            // The newest is still recognized; the older one is not.
            (first, w.check_and_insert(9), w.check_and_insert(5))
        });
        assert_eq!(correct.0, [Ok(()), Ok(())]);
        assert_eq!(correct.1, Err(WindowRefusal::Duplicate));
        assert_eq!(correct.2, Err(WindowRefusal::Duplicate));
        assert_eq!(mutated.1, Err(WindowRefusal::Duplicate));
        assert_eq!(mutated.2, Ok(()));
    }

    #[test]
    fn dh_value_range_and_margin() {
        let group = dh::check_params(&TELEGRAM_DH_PRIME, 3, &[7; 32], None).unwrap();
        let check = |v: &[u8]| group.check_value(v).map(|_| ());
        let mut below_margin = [0u8; 256];
        below_margin[8] = 0xff; // < 2^1984 = byte 7's lowest bit
        for (name, value, want) in [
            ("skip-dh-margin", &below_margin[..], DhError::ValueUnsafe),
            ("skip-dh-range", &below_margin[..], DhError::ValueUnsafe),
            ("skip-dh-range", &[1u8][..], DhError::ValueOutOfRange),
        ] {
            let (correct, mutated) = both(name, || check(value));
            assert_eq!(correct, Err(want), "{name}");
            assert_eq!(mutated, Ok(()), "{name}");
        }
        // The margin mutant keeps the range check.
        let (correct, mutated) = both("skip-dh-margin", || check(&[1]));
        assert_eq!(correct, mutated);
    }

    #[test]
    fn g_generator() {
        // The Telegram prime is 3 mod 8, so g = 2 is not a generator of the q-subgroup.
        let (correct, mutated) = both("skip-g-generator", || {
            dh::check_params(&TELEGRAM_DH_PRIME, 2, &[7; 32], None).map(|_| ())
        });
        assert_eq!(correct, Err(DhError::GNotGenerator { g: 2 }));
        assert_eq!(mutated, Ok(()));
    }

    #[test]
    fn call_window_and_seq_mask() {
        use crate::call::packet::ReplayWindow;
        use crate::call::seq::{SINGLE_MESSAGE_BIT, counter};
        let (correct, mutated) = both("call-newest-only-window", || {
            let mut w = ReplayWindow::new();
            let first = [w.check(1), w.check(2)];
            (first, w.check(2).is_err(), w.check(1).is_err())
        });
        assert_eq!(correct.0, [Ok(()), Ok(())]);
        assert!(correct.1 && correct.2);
        // The newest is still recognized; the older one is not.
        assert!(mutated.1 && !mutated.2);
        let (correct, mutated) = both("unmasked-call-seq", || counter(SINGLE_MESSAGE_BIT | 7));
        assert_eq!(correct, 7);
        assert_eq!(mutated, SINGLE_MESSAGE_BIT | 7);
    }

    #[test]
    fn secret_seq_rules() {
        use crate::secret::Role;
        use crate::secret::seq::SeqState;
        // The acceptor receives the originator's (in even, out odd) numbers.
        let arrive = |steps: &[(i32, i32)]| {
            let mut st: SeqState<()> = SeqState::new(Role::Acceptor);
            let _ = st.next_send();
            steps
                .iter()
                .map(|&(i, o)| st.arrive(i, o, ()).is_ok())
                .collect::<Vec<_>>()
        };
        for (name, steps) in [
            // Wrong out_seq_no parity.
            ("accept-wrong-seq-parity", &[(0, 2)][..]),
            // out_seq_no 1 twice.
            ("secret-repeat-as-new", &[(0, 1), (0, 1)]),
            // in_seq_no 4 (raw 2) with one message sent (D + 1 = 1).
            ("skip-in-seq-no-bound", &[(4, 1)]),
        ] {
            let (correct, mutated) = both(name, || arrive(steps));
            assert_eq!(correct.last(), Some(&false), "{name}");
            assert_eq!(mutated.last(), Some(&true), "{name}");
        }
    }

    #[test]
    fn secret_x_and_exchange_id_and_emoji_mask() {
        use crate::secret::Role;
        let (correct, mutated) = both("swap-secret-x", || {
            crate::secret::message::incoming_direction(Role::Originator)
        });
        assert_eq!(correct, Role::Acceptor.send_direction());
        assert_eq!(mutated, Role::Originator.send_direction());
        let (correct, mutated) = both("unsigned-exchange-id", || {
            crate::secret::rekey::larger(-5, 4)
        });
        assert!(!correct);
        assert!(mutated);
        // SHA256(key ‖ g_a) for this pair has a word with the top bit set (checked by the
        // inequality: the masked and unmasked indices differ for some word).
        let (correct, mutated) = both("emoji-without-mask", || {
            (0u8..=255)
                .map(|b| crate::call::emoji_indices(&[b; 256], &[0x11; 256]))
                .collect::<Vec<_>>()
        });
        assert_ne!(correct, mutated);
    }

    #[test]
    fn drop_leading_zero() {
        let mut bytes = [0x5au8; 256];
        bytes[0] = 0;
        let (correct, mutated) = both("drop-leading-zero", || AuthKey::new(bytes).id());
        assert_ne!(correct, mutated);
        // A key with a nonzero first byte is unaffected.
        bytes[0] = 1;
        let (correct, mutated) = both("drop-leading-zero", || AuthKey::new(bytes).id());
        assert_eq!(correct, mutated);
    }

    #[test]
    fn key_hash_wrong_slice() {
        use crate::secret::key::ChatKey;
        use crate::secret::visual::key_hash;
        let (correct, mutated) = both("key-hash-wrong-slice", || {
            key_hash(&ChatKey::new([0x5a; 256]), None)
        });
        // The SHA1 half moves; the SHA256 half stays.
        assert_ne!(correct[..16], mutated[..16]);
        assert_eq!(correct[16..], mutated[16..]);
    }
}
