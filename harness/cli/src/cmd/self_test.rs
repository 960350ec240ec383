//! `mtproto-harness self-test`: the mutation self-test. Each named deliberate bug of the reference
//! (`harness/mtproto/src/mutants.rs`, feature `mutants`) is served by `adapter --mutant NAME`
//! through the adapter protocol and run against the suites, judged as strictly as the reference;
//! a mutant is killed when at least one case fails or errors. Every mutant must be killed: a
//! survivor means the vectors miss a check, and the command exits 1.
//!
//! Being killed is not enough: [`EXPECTED`] names, per mutant, the vectors written to kill it (a
//! flag, or `file#tcId`), and each of them that was run must be among the killing cases. A
//! mutant killed only by accident (a pseudorandom case that happens to cross its site) with its
//! own vector silent means that vector is broken; it is reported `MISSED` and the command exits
//! 1, as it does for a mutant with no entry in the table.
//!
//! The wire: each mutant [`WIRE_EXPECTED`] lists is also run through the `wire` family, its
//! deliberate bug compiled into the reference drivers (`wire-client --mutant NAME`,
//! `wire-server --mutant NAME`) that `run --client/--server` plays against over TCP; its listed
//! wire cases are run and must kill it. [`WIRE_UNREACHABLE`] says, for every other mutant, why no wire case
//! can reach its check.

use std::fmt::Write as _;
use std::io::Write as _;

use serde::Serialize;

use crate::Status;
use crate::cli::{Acceptable, Selection, SelfTestArgs};
use crate::engine;
use crate::error::HarnessError;

/// The vectors that must kill each mutant: a flag (any killing case carrying it) or
/// `file#tcId` (that case, by the file's name). Kept in step with the README's kill table.
pub const EXPECTED: &[(&str, &[&str])] = &[
    ("skip-msg-key", &["ModifiedMsgKey"]),
    ("accept-short-padding", &["PaddingTooShort"]),
    ("accept-long-padding", &["PaddingTooLong"]),
    ("skip-length-align", &["LengthNotAligned"]),
    ("swap-x", &["PaddingInMsgKey"]),
    ("skip-session-id", &["WrongSessionId"]),
    ("skip-auth-key-id", &["WrongAuthKeyId", "UnencryptedMarker"]),
    ("accept-even-server-msg-id", &["MsgIdParity"]),
    ("newest-only-window", &["ReplayOlderInWindow"]),
    ("skip-safe-prime", &["NotSafePrime"]),
    ("skip-dh-margin", &["DhValueMargin"]),
    (
        "skip-dh-range",
        &[
            "ValueBound",
            "handshake_client_test.json#25",
            "handshake_client_test.json#26",
        ],
    ),
    ("skip-g-generator", &["GNotGenerator"]),
    ("skip-new-nonce-hash1", &["handshake_client_test.json#31"]),
    ("drop-leading-zero", &["LeadingZeroKey"]),
    ("call-newest-only-window", &["CallReplayInWindow"]),
    ("unmasked-call-seq", &["CallSeqFlagBits"]),
    ("accept-wrong-seq-parity", &["SeqNoParity"]),
    ("secret-repeat-as-new", &["Replay"]),
    (
        "skip-in-seq-no-bound",
        &[
            "secret_seq_trace_test.json#11",
            "secret_seq_trace_test.json#38",
        ],
    ),
    ("accept-short-random-bytes", &["RandomBytes"]),
    ("swap-secret-x", &["WrongRole"]),
    ("skip-commit-fingerprint", &["secret_rekey_test.json#11"]),
    ("unsigned-exchange-id", &["ConcurrentRequests"]),
    ("skip-g-a-hash", &["Commitment"]),
    ("emoji-without-mask", &["TopBitMask"]),
    ("rsa-hash-after-parse", &["HashBeforeParse"]),
    ("skip-rsa-retry", &["TempKeyRetry"]),
    ("accept-ciphertext-above-n", &["CiphertextAboveN"]),
    ("fingerprint-raw-bytes", &["NonMinimalEncoding"]),
    ("dh-gen-retry-as-ok", &["DhGenRetry"]),
    ("retry-id-zero", &["DhGenRetry"]),
    ("server-retry-id-stale", &["DhGenRetry"]),
    ("key-hash-wrong-slice", &["KeyHashOnly"]),
];

/// The wire cases that must kill each mutant the wire reaches (`file#tcId` or a flag), through
/// the reference drivers built with it.
pub const WIRE_EXPECTED: &[(&str, &[&str])] = &[
    ("skip-msg-key", &["wire_client_test.json#55"]),
    ("accept-short-padding", &["wire_client_test.json#14"]),
    ("accept-long-padding", &["wire_client_test.json#15"]),
    (
        "swap-x",
        &["wire_client_test.json#1", "wire_server_test.json#1001"],
    ),
    ("skip-auth-key-id", &["wire_client_test.json#7"]),
    ("accept-even-server-msg-id", &["wire_client_test.json#17"]),
    ("newest-only-window", &["Replay"]),
    ("skip-safe-prime", &["wire_client_test.json#33"]),
    ("skip-dh-margin", &["DhMargin"]),
    ("skip-dh-range", &["DhRange"]),
    ("skip-g-generator", &["wire_client_test.json#34"]),
    ("skip-new-nonce-hash1", &["wire_client_test.json#26"]),
];

/// Why the wire cannot reach the other mutants.
pub const WIRE_UNREACHABLE: &[(&str, &str)] = &[
    (
        "skip-length-align",
        "behind it the reference client decodes the body as TL, and no TL value has a length \
         that is not a multiple of 4: the decoy (wire_client_test.json#12) is still dropped \
         (TrailingBytes). A library that reads a body's prefix and ignores the rest would take \
         it; the envelope vectors (LengthNotAligned) test this check alone",
    ),
    (
        "skip-session-id",
        "the reference client checks session_id twice, in the envelope (R6) and again in its \
         session layer; without the first the second still drops the decoy \
         (wire_client_test.json#16). The envelope vectors (WrongSessionId) test the first alone",
    ),
    (
        "drop-leading-zero",
        "needs an auth key whose first byte is zero (1 handshake in 256); the server cannot \
         force it: the client picks b after the server's g_a, so only a seed search for one \
         driver could, and a case built on a driver's seed tests nothing in another library",
    ),
    (
        "call-newest-only-window",
        "a call (VoIP) packet check: the wire speaks MTProto with the server, no call packets",
    ),
    (
        "unmasked-call-seq",
        "a call (VoIP) packet check: the wire speaks MTProto with the server, no call packets",
    ),
    (
        "accept-wrong-seq-parity",
        "a secret-chat layer check (end-to-end, inside messages the server relays): no wire \
         case carries secret-chat messages",
    ),
    (
        "secret-repeat-as-new",
        "a secret-chat layer check: no wire case carries secret-chat messages",
    ),
    (
        "skip-in-seq-no-bound",
        "a secret-chat layer check: no wire case carries secret-chat messages",
    ),
    (
        "accept-short-random-bytes",
        "a secret-chat layer check: no wire case carries secret-chat messages",
    ),
    (
        "swap-secret-x",
        "a secret-chat layer check: no wire case carries secret-chat messages",
    ),
    (
        "skip-commit-fingerprint",
        "a secret-chat re-keying check: no wire case carries secret-chat messages",
    ),
    (
        "unsigned-exchange-id",
        "a secret-chat re-keying check: no wire case carries secret-chat messages",
    ),
    (
        "skip-g-a-hash",
        "a call key-exchange check (phone.* commitments): no wire case carries call messages",
    ),
    (
        "emoji-without-mask",
        "the call key visualisation (emoji): nothing on the wire depends on it",
    ),
    (
        "rsa-hash-after-parse",
        "no wire server case sends an RSA_PAD block whose hash and inner object are both wrong; \
         the rsa vectors (HashBeforeParse) test the order",
    ),
    (
        "skip-rsa-retry",
        "the retry happens only when the client's own random temp_key makes key_aes_encrypted \
         >= n, which the server cannot force; the rsa vectors (TempKeyRetry) fix the temp_keys",
    ),
    (
        "accept-ciphertext-above-n",
        "no wire server case sends an RSA ciphertext >= n; the rsa vectors (CiphertextAboveN) do",
    ),
    (
        "fingerprint-raw-bytes",
        "the wire's keys are read from PEM as numbers, never with a leading zero byte or a padded \
         exponent, so the fingerprint is the same with the bug; the rsa vectors \
         (NonMinimalEncoding) give such encodings",
    ),
    (
        "dh-gen-retry-as-ok",
        "no wire case answers dh_gen_retry yet; the handshake vectors (DhGenRetry) do",
    ),
    (
        "retry-id-zero",
        "no wire case answers dh_gen_retry yet; the handshake vectors (DhGenRetry) do",
    ),
    (
        "server-retry-id-stale",
        "no wire server case makes the server answer dh_gen_retry; the handshake vectors \
         (DhGenRetry) do",
    ),
    (
        "key-hash-wrong-slice",
        "the secret-chat key visualisation: nothing on the wire depends on it",
    ),
];

/// Whether `r` is a case `killer` (an [`EXPECTED`] entry) names.
fn names(killer: &str, r: &mtproto_vectors::CaseResult) -> bool {
    match killer.split_once('#') {
        Some((file, tc)) => r.file.rsplit('/').next() == Some(file) && tc.parse() == Ok(r.tc_id),
        None => r.flags.iter().any(|f| f == killer),
    }
}

/// The expected killers of `mutant` that ran but did not kill it; `None` when the mutant has no
/// entry in [`EXPECTED`].
fn missed(
    mutant: &str,
    results: &[mtproto_vectors::CaseResult],
    killing: &[&mtproto_vectors::CaseResult],
) -> Option<Vec<String>> {
    missed_in(EXPECTED, mutant, results, killing)
}

/// [`missed`] against the table `table`.
fn missed_in(
    table: &[(&str, &[&str])],
    mutant: &str,
    results: &[mtproto_vectors::CaseResult],
    killing: &[&mtproto_vectors::CaseResult],
) -> Option<Vec<String>> {
    let (_, killers) = table.iter().find(|(m, _)| *m == mutant)?;
    Some(
        killers
            .iter()
            .filter(|k| results.iter().any(|r| names(k, r)))
            .filter(|k| !killing.iter().any(|r| names(k, r)))
            .map(|k| (*k).to_owned())
            .collect(),
    )
}

/// One mutant's result.
#[derive(Debug, Serialize)]
pub struct Kill {
    /// The mutant's name.
    pub mutant: String,
    /// Whether some case failed or errored.
    pub killed: bool,
    /// How many cases killed it.
    pub killing_cases: usize,
    /// Killing cases per vector file and flag.
    pub by_flag: Vec<(String, String, usize)>,
    /// The first killing cases (file, tcId).
    pub first: Vec<(String, u64)>,
    /// Its [`EXPECTED`] killers that ran and did not kill it (`["(none declared)"]` when the
    /// table has no entry for it).
    pub missed: Vec<String>,
    /// Through the wire.
    pub wire: WireKill,
}

/// One mutant through the wire.
#[derive(Debug, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WireKill {
    /// Run through the wire cases.
    Ran {
        /// How many wire cases killed it.
        killing_cases: usize,
        /// The first killing cases (file, tcId).
        first: Vec<(String, u64)>,
        /// Its [`WIRE_EXPECTED`] killers that ran and did not kill it.
        missed: Vec<String>,
        /// Wall time of its wire run, ms.
        elapsed_ms: u64,
    },
    /// Not run: why the wire cannot reach it ([`WIRE_UNREACHABLE`]).
    Unreachable(String),
    /// Not run: its wire cases are not under the paths.
    NoWireFiles,
}

impl Kill {
    /// Killed, and by every expected vector that ran (the wire's too).
    pub fn proven(&self) -> bool {
        self.killed
            && self.missed.is_empty()
            && match &self.wire {
                WireKill::Ran {
                    killing_cases,
                    missed,
                    ..
                } => *killing_cases > 0 && missed.is_empty(),
                WireKill::Unreachable(_) | WireKill::NoWireFiles => true,
            }
    }
}

#[cfg(feature = "mutants")]
fn mutant_names() -> Result<Vec<String>, HarnessError> {
    Ok(mtproto::mutants::names().map(str::to_owned).collect())
}

#[cfg(not(feature = "mutants"))]
fn mutant_names() -> Result<Vec<String>, HarnessError> {
    Err(HarnessError::Adapter(
        "self-test needs a binary built with the `mutants` feature: \
         cargo run --release -p mtproto-harness --features mutants -- self-test"
            .to_owned(),
    ))
}

/// Runs `self-test`.
pub fn run(args: &SelfTestArgs) -> Result<Status, HarnessError> {
    let all = mutant_names()?;
    if let Some(unknown) = args.mutants.iter().find(|m| !all.contains(m)) {
        return Err(HarnessError::Adapter(format!(
            "unknown mutant {unknown:?}; the mutants are: {}",
            all.join(", ")
        )));
    }
    let names: Vec<String> = if args.mutants.is_empty() {
        all
    } else {
        args.mutants.clone()
    };
    let exe = std::env::current_exe()
        .map_err(|e| HarnessError::Adapter(format!("cannot find this binary: {e}")))?;
    let sel = Selection {
        paths: args.paths.clone(),
        filters: Vec::new(),
        acceptable: Acceptable::Pass,
        strict_errors: true,
        quiet: true,
    };
    let mut kills = Vec::new();
    for name in &names {
        let command = format!(
            "'{}' adapter --mutant {name}",
            exe.display().to_string().replace('\'', "'\\''")
        );
        // No breaker: a mutant given up would turn every later case into an `error`, a kill
        // the mutant did not earn.
        let limits = mtproto_iut::subprocess::Limits {
            timeout: std::time::Duration::from_millis(args.timeout_ms),
            breaker: 0,
            deadline: None,
        };
        let mut iut = engine::start_adapter(&command, limits)?;
        // Judged as the reference is: a rejection with another error name fails.
        let ex = engine::execute_with(&sel, None, &mut iut, true, engine::WireMode::Skip)?;
        let killing: Vec<_> = ex
            .results
            .iter()
            .filter(|r| {
                matches!(
                    r.outcome,
                    mtproto_vectors::Outcome::Fail | mtproto_vectors::Outcome::Error
                )
            })
            .collect();
        let mut by_flag: std::collections::BTreeMap<(String, String), usize> =
            std::collections::BTreeMap::new();
        for r in &killing {
            let flags = if r.flags.is_empty() {
                vec!["(no flag)".to_owned()]
            } else {
                r.flags.clone()
            };
            for f in flags {
                *by_flag.entry((r.file.clone(), f)).or_default() += 1;
            }
        }
        let missed = missed(name, &ex.results, &killing)
            .unwrap_or_else(|| vec!["(none declared)".to_owned()]);
        let wire = wire_kill(&exe, name, args)?;
        kills.push(Kill {
            mutant: name.clone(),
            missed,
            wire,
            killed: !killing.is_empty(),
            killing_cases: killing.len(),
            by_flag: by_flag.into_iter().map(|((a, b), n)| (a, b, n)).collect(),
            first: killing
                .iter()
                .take(3)
                .map(|r| (r.file.clone(), r.tc_id))
                .collect(),
        });
    }
    let table = kill_table(&kills);
    std::fs::create_dir_all(&args.out).map_err(|source| HarnessError::Write {
        path: args.out.clone(),
        source,
    })?;
    let md = args.out.join("self-test.md");
    std::fs::write(&md, &table).map_err(|source| HarnessError::Write {
        path: md.clone(),
        source,
    })?;
    let json = args.out.join("self-test.json");
    let text = serde_json::to_string_pretty(&kills).unwrap_or_default();
    std::fs::write(&json, format!("{text}\n")).map_err(|source| HarnessError::Write {
        path: json.clone(),
        source,
    })?;
    let survivors: Vec<_> = kills.iter().filter(|k| !k.killed).collect();
    let unproven: Vec<_> = kills.iter().filter(|k| k.killed && !k.proven()).collect();
    let mut out = std::io::stdout().lock();
    let _ = write!(out, "{table}");
    for s in &survivors {
        let _ = writeln!(out, "SURVIVED {}", s.mutant);
    }
    for s in &unproven {
        let mut missed = s.missed.clone();
        if let WireKill::Ran {
            killing_cases,
            missed: m,
            ..
        } = &s.wire
        {
            missed.extend(m.iter().map(|k| format!("wire {k}")));
            if *killing_cases == 0 {
                missed.push("(the wire did not kill it at all)".to_owned());
            }
        }
        let _ = writeln!(
            out,
            "MISSED {}: not killed by its own vectors {}",
            s.mutant,
            missed.join(", ")
        );
    }
    let _ = writeln!(
        out,
        "self-test: {} mutants, {} killed, {} survived, {} killed but not by their own vectors",
        kills.len(),
        kills.len() - survivors.len(),
        survivors.len(),
        unproven.len()
    );
    Ok(if survivors.is_empty() && unproven.is_empty() {
        Status::Success
    } else {
        Status::Failures
    })
}

/// Run the wire cases against the reference drivers built with `mutant` (when the wire reaches
/// it), judged as for any driver.
fn wire_kill(
    exe: &std::path::Path,
    mutant: &str,
    args: &SelfTestArgs,
) -> Result<WireKill, HarnessError> {
    if !WIRE_EXPECTED.iter().any(|(m, _)| *m == mutant) {
        let why = WIRE_UNREACHABLE
            .iter()
            .find(|(m, _)| *m == mutant)
            .map_or("(no reason given)", |(_, why)| why);
        return Ok(WireKill::Unreachable(why.to_owned()));
    }
    let exe = exe.display().to_string().replace('\'', "'\\''");
    let client = format!("'{exe}' wire-client --mutant {mutant}");
    let server = format!("'{exe}' wire-server --mutant {mutant}");
    let plan = crate::wire::WirePlan::commands(
        Some(&client),
        Some(&server),
        std::time::Duration::from_millis(args.timeout_ms.min(WIRE_CASE_MS)),
    );
    let killers = WIRE_EXPECTED
        .iter()
        .find(|(m, _)| *m == mutant)
        .map_or(&[][..], |(_, k)| *k);
    let started = std::time::Instant::now();
    // Only its own wire cases: a mutant that breaks every session (swap-x) would otherwise cost
    // a timeout per case of the whole suite.
    let mut results = Vec::new();
    for killer in killers {
        let filters = match killer.split_once('#') {
            Some((file, tc)) => vec![format!("file={file}"), format!("tcId={tc}")],
            None => vec![format!("flag={killer}")],
        };
        let sel = Selection {
            paths: args.paths.clone(),
            filters,
            acceptable: Acceptable::Pass,
            strict_errors: true,
            quiet: true,
        };
        let mut unused = mtproto_iut::ReferenceIut::new();
        match engine::execute_with(
            &sel,
            None,
            &mut unused,
            false,
            engine::WireMode::Only(&plan),
        ) {
            Ok(mut ex) => results.append(&mut ex.results),
            // Not under the paths (a narrowed self-test): not required.
            Err(HarnessError::NoCases { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    if results.is_empty() {
        return Ok(WireKill::NoWireFiles);
    }
    let killing: Vec<_> = results
        .iter()
        .filter(|r| {
            matches!(
                r.outcome,
                mtproto_vectors::Outcome::Fail | mtproto_vectors::Outcome::Error
            )
        })
        .collect();
    let missed = missed_in(WIRE_EXPECTED, mutant, &results, &killing).unwrap_or_default();
    Ok(WireKill::Ran {
        killing_cases: killing.len(),
        first: killing
            .iter()
            .take(3)
            .map(|r| (r.file.clone(), r.tc_id))
            .collect(),
        missed,
        elapsed_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
    })
}

/// The bound of each wire case in the self-test (a mutant that hangs a case costs this).
const WIRE_CASE_MS: u64 = 5_000;

/// The wire cell of the kill table.
fn wire_cell(k: &Kill) -> String {
    match &k.wire {
        WireKill::Ran {
            killing_cases,
            first,
            missed,
            ..
        } => {
            let first: Vec<String> = first
                .iter()
                .map(|(f, id)| format!("{} #{id}", f.rsplit('/').next().unwrap_or(f)))
                .collect();
            let own = WIRE_EXPECTED
                .iter()
                .find(|(m, _)| *m == k.mutant)
                .map(|(_, v)| {
                    v.iter()
                        .map(|s| format!("`{s}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default();
            if *killing_cases == 0 {
                format!("**NOT KILLED** (expected {own})")
            } else if !missed.is_empty() {
                format!("**MISSED** {}", missed.join(", "))
            } else {
                format!(
                    "killed by {own}: {killing_cases} cases ({})",
                    first.join(", ")
                )
            }
        }
        WireKill::Unreachable(why) => format!("unreachable: {why}"),
        WireKill::NoWireFiles => "not run (its wire cases are not under the paths)".to_owned(),
    }
}

/// The "its own vectors" cell: the expected killers, or what they missed.
fn own(k: &Kill) -> String {
    let declared = EXPECTED
        .iter()
        .find(|(m, _)| *m == k.mutant)
        .map(|(_, v)| {
            v.iter()
                .map(|s| format!("`{s}`"))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default();
    if k.missed.is_empty() {
        declared
    } else {
        format!("**MISSED** {}", k.missed.join(", "))
    }
}

/// The kill table in Markdown.
pub fn kill_table(kills: &[Kill]) -> String {
    let mut s = String::from(
        "| mutant | killed | its own vectors | killing cases | killed by (file: flag × cases) | first killing cases | over the wire |\n|---|---|---|---|---|---|---|\n",
    );
    for k in kills {
        let mut flags: Vec<_> = k.by_flag.iter().collect();
        flags.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.1.cmp(&b.1)));
        let flags: Vec<String> = flags
            .iter()
            .take(4)
            .map(|(file, flag, n)| {
                let short = file.rsplit('/').next().unwrap_or(file);
                format!("{short}: `{flag}` × {n}")
            })
            .collect();
        let first: Vec<String> = k
            .first
            .iter()
            .map(|(f, id)| format!("{} #{id}", f.rsplit('/').next().unwrap_or(f)))
            .collect();
        let _ = writeln!(
            s,
            "| `{}` | {} | {} | {} | {} | {} | {} |",
            k.mutant,
            if k.killed { "yes" } else { "**NO**" },
            own(k),
            k.killing_cases,
            flags.join("; "),
            first.join(", "),
            wire_cell(k)
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use mtproto_vectors::{CaseResult, Outcome, Verdict};

    fn case(file: &str, tc_id: u64, flags: &[&str], outcome: Outcome) -> CaseResult {
        CaseResult {
            file: file.into(),
            family: String::new(),
            algorithm: String::new(),
            tc_id,
            group_type: String::new(),
            comment: String::new(),
            flags: flags.iter().map(|&f| f.to_owned()).collect(),
            bug_types: Vec::new(),
            expected: Verdict::Invalid,
            expected_error: None,
            outcome,
            error: None,
            detail: String::new(),
            vector: serde_json::Value::Null,
        }
    }

    fn killing(results: &[CaseResult]) -> Vec<&CaseResult> {
        results
            .iter()
            .filter(|r| r.outcome != Outcome::Pass)
            .collect()
    }

    #[cfg(feature = "mutants")]
    #[test]
    fn every_mutant_is_reached_by_the_wire_or_says_why_not() {
        for name in mtproto::mutants::names() {
            let reached = WIRE_EXPECTED.iter().filter(|(m, _)| *m == name).count();
            let not = WIRE_UNREACHABLE.iter().filter(|(m, _)| *m == name).count();
            assert_eq!(reached + not, 1, "{name}");
        }
        assert_eq!(
            WIRE_EXPECTED.len() + WIRE_UNREACHABLE.len(),
            mtproto::mutants::names().count()
        );
    }

    #[test]
    fn every_mutant_has_expected_killers() {
        for (m, killers) in EXPECTED {
            assert!(!killers.is_empty(), "{m}");
        }
        let mut names: Vec<_> = EXPECTED.iter().map(|(m, _)| *m).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), EXPECTED.len());
    }

    #[test]
    fn a_kill_by_other_vectors_only_misses_the_own_vector() {
        let f = "vectors/handshake/handshake_client_test.json";
        // #31 ran and passed; #32 killed the mutant.
        let results = [
            case(f, 31, &["TamperedTranscript"], Outcome::Pass),
            case(f, 32, &["TamperedTranscript"], Outcome::Fail),
        ];
        assert_eq!(
            missed("skip-new-nonce-hash1", &results, &killing(&results)),
            Some(vec!["handshake_client_test.json#31".to_owned()])
        );
        let results = [case(f, 31, &["TamperedTranscript"], Outcome::Error)];
        assert_eq!(
            missed("skip-new-nonce-hash1", &results, &killing(&results)),
            Some(Vec::new())
        );
        // A flag: any killing case carrying it.
        let e = "vectors/envelope/envelope_decrypt_test.json";
        let results = [
            case(e, 1, &["LeadingZeroKey"], Outcome::Pass),
            case(e, 2, &["LeadingZeroKey"], Outcome::Fail),
        ];
        assert_eq!(
            missed("drop-leading-zero", &results, &killing(&results)),
            Some(Vec::new())
        );
        let results = [
            case(e, 1, &["LeadingZeroKey"], Outcome::Pass),
            case(e, 2, &["Pseudorandom"], Outcome::Fail),
        ];
        assert_eq!(
            missed("drop-leading-zero", &results, &killing(&results)),
            Some(vec!["LeadingZeroKey".to_owned()])
        );
        // Killers that did not run are not required (a narrowed run).
        assert_eq!(missed("drop-leading-zero", &[], &[]), Some(Vec::new()));
        assert_eq!(missed("no-such-mutant", &[], &[]), None);
    }
}
