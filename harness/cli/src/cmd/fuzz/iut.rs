//! `fuzz --iut COMMAND`: differential fuzzing of an implementation against the reference,
//! through the adapter protocol.
//!
//! Each round draws a fresh copy of the suites of every family the adapter has ops for: the
//! families' own generators, run under a salt derived from `--seed` and the round number
//! ([`salted`]), give the same kinds of case (each valid shape, each receiver check, each
//! boundary, each DH and pq condition, each trace shape) with other random fields. A drawn case
//! is sent only if the reference passes it (the generator's verdict is the reference's; a drawn
//! case the reference fails is counted and left out, never judged). The adapter's answers are
//! judged by the one judge (`mtproto_vectors::judge`, through `run_file`) exactly as `run`
//! judges them: another error name is not a disagreement, an `acceptable` case is never a
//! finding, a crash, a hang or garbage is.
//!
//! A disagreement is kept per kind (the drawn file and `tcId`): of every draw that shows it, the
//! smallest case is the one written (the shrink), alone in its group, as a vector case whose
//! group's `source` names the implementation and its version. Before it is written, the one-case
//! file is loaded by the strict loader, must pass on the reference and must still fail on the
//! adapter: what is written replays with `run FILE --iut COMMAND`.
//!
//! Stateless requests (everything but `session.*`) are sent pipelined: the reference's pass over
//! a drawn file records them, the adapter gets them in batches ([`SubprocessIut::call_many`]),
//! and the runner then takes the answers from that cache; an answer that is an error there (a
//! batch broken by a crash) is asked again on its own, so a crash is pinned on its own request.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use mtproto_iut::subprocess::Limits;
use mtproto_iut::{Answer, Fields, Hello, Iut, ReferenceIut, SubprocessIut};
use mtproto_vectors::core::generate::salted;
use mtproto_vectors::registry::family_of_schema;
use mtproto_vectors::{
    AcceptablePolicy, CaseResult, Family, GenerateError, Note, Outcome, RunOptions, TestGroup,
    VectorFile, Verdict, families, load_file, parse_str, run_file,
};
use serde_json::{Map, Value};

use crate::Status;
use crate::cli::FuzzArgs;
use crate::error::HarnessError;

/// The flag every case `fuzz --iut` writes carries, besides the drawn case's own flags.
pub const FLAG: &str = "DifferentialFinding";

/// Draws of one finding kind after which that kind is no longer sent.
const SATURATED: u64 = 3;

/// Requests sent to the adapter in one pipelined batch.
const BATCH: usize = 64;

/// Families in the order a round draws them, with their generators: every family of the
/// registry but `wire` (played over a socket by a wire driver, never through an adapter's ops).
const FAMILIES: &[&str] = &[
    "ige",
    "kdf",
    "envelope",
    "session",
    "transport",
    "tl",
    "dh",
    "pq",
    "rsa",
    "handshake",
    "secret",
    "call",
];

/// The suites of one family, as the registry's files.
fn suites_of<F: Family>(wrap: fn(F::Group) -> TestGroup) -> Result<Vec<VectorFile>, GenerateError> {
    Ok(F::generate()?
        .into_iter()
        .map(|(rel, f)| {
            let mut f = f.map_groups(wrap);
            f.family = family_of_schema(&f.schema).unwrap_or_default().to_owned();
            f.path = rel;
            f
        })
        .collect())
}

/// Family `name`'s suites, drawn under the current salt (`None`: no such family).
fn generate(name: &str) -> Option<Result<Vec<VectorFile>, GenerateError>> {
    use families::*;
    Some(match name {
        "ige" => suites_of::<ige::Ige>(TestGroup::Ige),
        "kdf" => suites_of::<kdf::Kdf>(TestGroup::Kdf),
        "envelope" => suites_of::<envelope::Envelope>(TestGroup::Envelope),
        "session" => suites_of::<session::Session>(TestGroup::Session),
        "transport" => suites_of::<transport::Transport>(TestGroup::Transport),
        "tl" => suites_of::<tl::TlFamily>(TestGroup::Tl),
        "dh" => suites_of::<dh::Dh>(TestGroup::Dh),
        "pq" => suites_of::<pq::Pq>(TestGroup::Pq),
        "rsa" => suites_of::<rsa::Rsa>(TestGroup::Rsa),
        "handshake" => suites_of::<handshake::Handshake>(TestGroup::Handshake),
        "secret" => suites_of::<secret::Secret>(TestGroup::Secret),
        "call" => suites_of::<call::Call>(TestGroup::Call),
        _ => return None,
    })
}

/// The salt of round `round` under `seed` (SplitMix64 of both: neighbouring seeds and rounds
/// give unrelated salts).
pub fn salt(seed: u64, round: u64) -> u64 {
    let mut z = seed
        .wrapping_mul(0x9e37_79b9_7f4a_7c15)
        .wrapping_add(round)
        .wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The families to fuzz: those `--family` names (each must exist and be served), or every
/// family the adapter has at least one op of.
fn families_for(hello: &Hello, asked: &[String]) -> Result<Vec<&'static str>, HarnessError> {
    let served = |f: &str| hello.ops.iter().any(|op| op.starts_with(&format!("{f}.")));
    if asked.is_empty() {
        return Ok(FAMILIES.iter().copied().filter(|f| served(f)).collect());
    }
    let mut out = Vec::new();
    for a in asked {
        let Some(f) = FAMILIES.iter().copied().find(|f| f == a) else {
            return Err(HarnessError::Vectors(format!(
                "--family {a}: no such family (one of {})",
                FAMILIES.join(", ")
            )));
        };
        if !served(f) {
            return Err(HarnessError::Vectors(format!(
                "--family {f}: the adapter ({} {}) has no {f}.* op",
                hello.name, hello.version
            )));
        }
        if !out.contains(&f) {
            out.push(f);
        }
    }
    Ok(out)
}

/// A request's identity in the answer cache.
fn key(op: &str, request: &Fields) -> String {
    format!(
        "{op}\0{}",
        serde_json::to_string(request).unwrap_or_default()
    )
}

/// Whether `op` may be sent ahead of the runner: it keeps no state across requests.
fn stateless(op: &str) -> bool {
    !op.starts_with("session.")
}

/// The reference, recording the stateless requests the runner makes of it.
struct Recording<'a> {
    inner: ReferenceIut,
    /// Each stateless request with the `tcId` of the case that made it.
    requests: Vec<(u64, String, Fields)>,
    /// The case being run (set by the runner's selection, which sees every case first).
    current: &'a Cell<u64>,
}

impl Iut for Recording<'_> {
    fn hello(&self) -> &Hello {
        self.inner.hello()
    }

    fn call(&mut self, op: &str, request: &Fields) -> Answer {
        if stateless(op) {
            self.requests
                .push((self.current.get(), op.to_owned(), request.clone()));
        }
        self.inner.call(op, request)
    }
}

/// The adapter, answering from the pipelined batch where it can.
struct Prefetched<'a> {
    live: &'a mut SubprocessIut,
    cache: HashMap<String, Answer>,
}

impl Iut for Prefetched<'_> {
    fn hello(&self) -> &Hello {
        self.live.hello()
    }

    fn call(&mut self, op: &str, request: &Fields) -> Answer {
        match self.cache.get(&key(op, request)) {
            Some(a) if !matches!(a, Answer::Error(_)) => a.clone(),
            _ => self.live.call(op, request),
        }
    }
}

/// Send `requests` to the adapter in pipelined batches; their answers by [`key`]. No batch
/// starts past `soft_end` (`--seconds`): no case starts then either, and a file of slow or
/// hanging requests would otherwise hold the run past its time.
fn prefetch(
    adapter: &mut SubprocessIut,
    requests: &[(&str, &Fields)],
    soft_end: Option<Instant>,
) -> HashMap<String, Answer> {
    let mut cache = HashMap::with_capacity(requests.len());
    for chunk in requests.chunks(BATCH) {
        if soft_end.is_some_and(|e| Instant::now() >= e) {
            break;
        }
        let answers = adapter.call_many(chunk);
        for ((op, r), a) in chunk.iter().zip(answers) {
            cache.insert(key(op, r), a);
        }
    }
    cache
}

/// One kind of disagreement (a drawn file's case), with the smallest draw that shows it.
#[derive(Debug)]
struct Finding {
    family: String,
    /// The drawn file's path (relative to `vectors/`), the kept case's `tcId` in it, and the
    /// case's kind ([`kind_of`]).
    file: String,
    tc_id: u64,
    kind: String,
    outcome: Outcome,
    detail: String,
    flags: Vec<String>,
    /// How many draws showed it.
    hits: u64,
    /// The salt of the kept draw.
    salt: u64,
    /// The kept draw: the file's `algorithm`, `schema`, the case's group with only that case,
    /// and the notes of its flags.
    algorithm: String,
    schema: String,
    group: Value,
    notes: BTreeMap<String, Note>,
    size: usize,
}

/// A case's kind: its group type, flags and comment with every number written `N`. A family's
/// generator makes the same kinds under every salt, but not always under the same `tcId` (a
/// section whose draws are filtered can be longer or shorter) nor with the same numbers in the
/// comment (which byte of a session_id differs, which trace of a window), so kinds, not tcIds,
/// identify a finding across draws and in the shipped suites. Coarse on purpose: a finding is
/// new only if no shipped case of its kind fails on the implementation.
pub fn kind_of(group_type: &str, flags: &[String], comment: &str) -> String {
    let mut out = String::with_capacity(comment.len());
    let mut digits = false;
    for c in comment.chars() {
        if c.is_ascii_digit() {
            if !digits {
                out.push('N');
            }
            digits = true;
        } else {
            out.push(c);
            digits = false;
        }
    }
    format!("{group_type} [{}] {}", flags.join(","), out.trim())
}

/// The group of `file` holding case `tc_id`, reduced to that case, and the case's size in JSON.
fn one_case_group(file: &VectorFile, tc_id: u64) -> Option<(Value, usize)> {
    let v = serde_json::to_value(file).ok()?;
    for g in v.get("testGroups")?.as_array()? {
        let tests = g.get("tests")?.as_array()?;
        if let Some(case) = tests
            .iter()
            .find(|c| c.get("tcId").and_then(Value::as_u64) == Some(tc_id))
        {
            let size = serde_json::to_string(case).map_or(usize::MAX, |s| s.len());
            let mut group = g.clone();
            if let Value::Object(m) = &mut group {
                m.insert("tests".into(), Value::Array(vec![case.clone()]));
            }
            return Some((group, size));
        }
    }
    None
}

/// Counters of a run.
#[derive(Debug, Default)]
struct Tally {
    rounds: u64,
    drawn: u64,
    sent: u64,
    agreed: u64,
    unsupported: u64,
    /// Drawn cases the reference itself does not pass (left out).
    reference_failed: u64,
    /// Disagreements on `acceptable` cases (not findings).
    spec_open: u64,
    /// Disagreements on decided cases, by flag (`(none)`: no flag), and crashes/hangs.
    by_flag: BTreeMap<String, u64>,
    disagreements: u64,
    crashes: u64,
    /// Generator failures under a salt, by family.
    generator_errors: BTreeMap<String, String>,
    per_family: BTreeMap<String, u64>,
    /// Drawn cases not sent: their kind was already found [`SATURATED`] times.
    saturated: u64,
}

/// `fuzz --iut COMMAND`.
pub fn run(args: &FuzzArgs) -> Result<Status, HarnessError> {
    let start = Instant::now();
    let seconds = match (args.seconds, args.cases) {
        (Some(s), _) => Some(s),
        (None, Some(_)) => None,
        (None, None) => Some(60),
    };
    let soft_end = seconds.map(|s| start + Duration::from_secs(s));
    // The whole run, set-up and the writing of findings included.
    let hard = args
        .deadline
        .unwrap_or_else(|| seconds.unwrap_or(3600).saturating_add(120));
    let hard_end = start + Duration::from_secs(hard);
    let limits = Limits {
        timeout: Duration::from_millis(args.timeout_ms),
        breaker: args.max_failures_in_a_row,
        deadline: Some(hard_end),
    };
    let mut adapter = SubprocessIut::start_with(&args.iut, limits)
        .map_err(|e| HarnessError::Adapter(e.to_string()))?;
    let result = fuzz_with(args, &mut adapter, soft_end, hard_end, start);
    adapter.shutdown();
    result
}

fn fuzz_with(
    args: &FuzzArgs,
    adapter: &mut SubprocessIut,
    soft_end: Option<Instant>,
    hard_end: Instant,
    start: Instant,
) -> Result<Status, HarnessError> {
    let hello = adapter.hello().clone();
    let fams = families_for(&hello, &args.families)?;
    if fams.is_empty() {
        return Err(HarnessError::Adapter(format!(
            "{} {} serves no op of any family ({})",
            hello.name,
            hello.version,
            hello.ops.join(", ")
        )));
    }
    let mut err = std::io::stderr().lock();
    if !args.quiet {
        let _ = writeln!(
            err,
            "fuzz: {} {} against the reference, families {}, seed {}",
            hello.name,
            hello.version,
            fams.join(" "),
            args.seed
        );
    }
    let iut_opts = RunOptions {
        strict_errors: false,
        acceptable: AcceptablePolicy::Pass,
        iut_is_reference: false,
    };
    let mut tally = Tally::default();
    let mut findings: BTreeMap<(String, String), Finding> = BTreeMap::new();
    let over = |sent: u64| {
        soft_end.is_some_and(|e| Instant::now() >= e)
            || Instant::now() >= hard_end
            || args.cases.is_some_and(|n| sent >= n)
    };
    let mut last_print = Instant::now();
    'rounds: for round in 0.. {
        let salt = salt(args.seed, round);
        tally.rounds = round + 1;
        for fam in &fams {
            if over(tally.sent) {
                break 'rounds;
            }
            let files = match salted(salt, || generate(fam)) {
                Some(Ok(files)) => files,
                Some(Err(e)) => {
                    tally
                        .generator_errors
                        .entry((*fam).to_owned())
                        .or_insert_with(|| format!("salt {salt:#018x}: {e}"));
                    continue;
                }
                None => continue,
            };
            for file in &files {
                if over(tally.sent) {
                    break 'rounds;
                }
                let room = args
                    .cases
                    .map_or(u64::MAX, |n| n.saturating_sub(tally.sent));
                let taken = Cell::new(0u64);
                let current = Cell::new(0u64);
                let mut rec = Recording {
                    inner: ReferenceIut::new(),
                    requests: Vec::new(),
                    current: &current,
                };
                let on_reference = run_file(
                    file,
                    &mut rec,
                    &RunOptions::default(),
                    &|m| {
                        current.set(m.tc_id);
                        let t = taken.get();
                        taken.set(t + 1);
                        t < room
                    },
                    &mut |_| {},
                );
                tally.drawn += on_reference.len() as u64;
                let passing: HashSet<u64> = on_reference
                    .iter()
                    .filter(|r| r.outcome == Outcome::Pass)
                    .map(|r| r.tc_id)
                    .collect();
                tally.reference_failed += (on_reference.len() - passing.len()) as u64;
                // A kind found SATURATED times is not sent again: the time goes to other kinds
                // (a library that hangs on every prime pq would spend each round on them).
                let send: HashSet<u64> = on_reference
                    .iter()
                    .filter(|r| passing.contains(&r.tc_id))
                    .filter(|r| {
                        let kind = kind_of(&r.group_type, &r.flags, &r.comment);
                        let done = findings
                            .get(&(r.file.clone(), kind))
                            .is_some_and(|f| f.hits >= SATURATED);
                        tally.saturated += u64::from(done);
                        !done
                    })
                    .map(|r| r.tc_id)
                    .collect();
                let mut seen = HashSet::new();
                let batch: Vec<(&str, &Fields)> = rec
                    .requests
                    .iter()
                    .filter(|(id, op, r)| send.contains(id) && seen.insert(key(op, r)))
                    .map(|(_, op, r)| (op.as_str(), r))
                    .collect();
                let cache = prefetch(adapter, &batch, soft_end);
                let mut pre = Prefetched {
                    live: adapter,
                    cache,
                };
                // Within the file too: a kind found SATURATED times is skipped for the rest of
                // it (45 unaligned IGE inputs that each crash an adapter are one kind), and past
                // --seconds no case starts.
                let kinds: HashMap<u64, String> = on_reference
                    .iter()
                    .map(|r| (r.tc_id, kind_of(&r.group_type, &r.flags, &r.comment)))
                    .collect();
                let hits: RefCell<HashMap<String, u64>> = RefCell::new(
                    findings
                        .iter()
                        .filter(|((f, _), _)| *f == file.path)
                        .map(|((_, k), f)| (k.clone(), f.hits))
                        .collect(),
                );
                let got = run_file(
                    file,
                    &mut pre,
                    &iut_opts,
                    &|m| {
                        send.contains(&m.tc_id)
                            && soft_end.is_none_or(|e| Instant::now() < e)
                            && kinds.get(&m.tc_id).is_none_or(|k| {
                                hits.borrow().get(k).copied().unwrap_or(0) < SATURATED
                            })
                    },
                    &mut |r| {
                        if matches!(r.outcome, Outcome::Fail | Outcome::Error)
                            && r.expected != Verdict::Acceptable
                            && let Some(k) = kinds.get(&r.tc_id)
                        {
                            *hits.borrow_mut().entry(k.clone()).or_default() += 1;
                        }
                    },
                );
                tally.saturated += (send.len() as u64).saturating_sub(got.len() as u64);
                if adapter.gave_up().is_some() {
                    // Past the deadline or the breaker: what ran last is not the adapter's.
                    tally.sent += got.len() as u64;
                    let _ = writeln!(err, "fuzz: {}", adapter.gave_up().unwrap_or_default());
                    break 'rounds;
                }
                tally.sent += got.len() as u64;
                *tally.per_family.entry((*fam).to_owned()).or_default() += got.len() as u64;
                for r in &got {
                    judge_one(r, file, salt, &mut tally, &mut findings);
                }
                if !args.quiet && last_print.elapsed() >= Duration::from_secs(10) {
                    last_print = Instant::now();
                    let secs = start.elapsed().as_secs_f64();
                    let _ = writeln!(
                        err,
                        "fuzz: {:>6.0} s, round {}, {} cases ({:.0}/s), {} disagreements ({} kinds), {} crashes/hangs",
                        secs,
                        round,
                        tally.sent,
                        tally.sent as f64 / secs.max(1e-3),
                        tally.disagreements,
                        findings.len(),
                        tally.crashes
                    );
                }
            }
        }
    }
    let fuzz_secs = start.elapsed().as_secs_f64();
    // The counts first: they stand even if the run is stopped while findings are replayed.
    print_counts(&hello, &tally, &findings, fuzz_secs, adapter.restarts());
    let written = write_findings(args, adapter, &hello, &findings, &mut err)?;
    print_findings(&findings, &written);
    Ok(if written.iter().any(|w| w.replayed) {
        Status::Failures
    } else {
        Status::Success
    })
}

/// Count one judged case, and keep it as a finding if it is one.
fn judge_one(
    r: &CaseResult,
    file: &VectorFile,
    salt: u64,
    tally: &mut Tally,
    findings: &mut BTreeMap<(String, String), Finding>,
) {
    match r.outcome {
        Outcome::Pass => {
            tally.agreed += 1;
            return;
        }
        Outcome::Unsupported => {
            tally.unsupported += 1;
            return;
        }
        Outcome::Fail | Outcome::Error => {}
    }
    if r.expected == Verdict::Acceptable {
        // The spec leaves the verdict open: whatever the implementation did is not a finding.
        tally.spec_open += 1;
        return;
    }
    if r.outcome == Outcome::Error {
        tally.crashes += 1;
        *tally
            .by_flag
            .entry("(crash, hang or garbage)".into())
            .or_default() += 1;
    } else {
        tally.disagreements += 1;
    }
    if r.flags.is_empty() {
        *tally.by_flag.entry("(none)".into()).or_default() += 1;
    }
    for f in &r.flags {
        *tally.by_flag.entry(f.clone()).or_default() += 1;
    }
    let Some((group, size)) = one_case_group(file, r.tc_id) else {
        return;
    };
    let notes = r
        .flags
        .iter()
        .filter_map(|f| file.notes.get(f).map(|n| (f.clone(), n.clone())))
        .collect();
    let kind = kind_of(&r.group_type, &r.flags, &r.comment);
    let entry = findings.entry((r.file.clone(), kind.clone()));
    let f = entry.or_insert_with(|| Finding {
        family: r.family.clone(),
        file: r.file.clone(),
        tc_id: r.tc_id,
        kind,
        outcome: r.outcome,
        detail: one_line(&r.detail),
        flags: r.flags.clone(),
        hits: 0,
        salt,
        algorithm: file.algorithm.clone(),
        schema: file.schema.clone(),
        group: group.clone(),
        notes,
        size,
    });
    f.hits += 1;
    if size < f.size {
        f.size = size;
        f.group = group;
        f.salt = salt;
        f.tc_id = r.tc_id;
        f.detail = one_line(&r.detail);
        f.outcome = r.outcome;
    }
}

/// `s` on one line (an adapter's panic message spans several).
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The note of [`FLAG`].
fn note() -> Note {
    Note {
        bug_type: "EDGE_CASE".into(),
        description: "Found by `mtproto-harness fuzz --iut`: a case drawn by the family's \
                      generator under a fuzzing salt, on which the implementation the group's \
                      source names disagreed with the reference (the verdict is the reference's)."
            .into(),
        effect: None,
        links: vec!["https://core.telegram.org/mtproto".into()],
        cves: Vec::new(),
    }
}

/// A file-name-safe form of the implementation's name.
fn slug(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    let s = s.trim_matches('_').to_owned();
    if s.is_empty() { "iut".to_owned() } else { s }
}

/// The implementation's name as a vector `source.name` (lowercase letters, digits, `.`, `-`,
/// starting with a letter).
fn source_name(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| match c {
            'a'..='z' | '0'..='9' | '.' | '-' => c,
            'A'..='Z' => c.to_ascii_lowercase(),
            _ => '-',
        })
        .collect();
    let s = s.trim_start_matches(|c: char| !c.is_ascii_lowercase());
    if s.is_empty() {
        "iut".to_owned()
    } else {
        s.to_owned()
    }
}

/// Whether the shipped suite's case of the same kind (`<known>/<file>`, tcId) already fails on
/// the adapter: then the fixed vectors show the finding and it is not new. Only the cases of
/// that kind are sent, and none after the first that fails (a slow adapter with many findings
/// would otherwise spend minutes here).
fn known(known_dir: &Path, f: &Finding, adapter: Option<&mut SubprocessIut>) -> bool {
    let Ok(vf) = load_file(&known_dir.join(&f.file)) else {
        return false;
    };
    let Some(adapter) = adapter else {
        return false;
    };
    let of_kind: HashSet<u64> = vf
        .test_groups
        .iter()
        .flat_map(|g| {
            let t = g.type_name();
            g.headers()
                .into_iter()
                .filter(move |h| kind_of(t, h.flags, h.comment) == f.kind)
                .map(|h| h.tc_id)
        })
        .collect();
    let opts = RunOptions {
        strict_errors: false,
        acceptable: AcceptablePolicy::Pass,
        iut_is_reference: false,
    };
    let found = Cell::new(false);
    let select = |m: &mtproto_vectors::CaseMeta<'_>| !found.get() && of_kind.contains(&m.tc_id);
    let _ = run_file(&vf, adapter, &opts, &select, &mut |r| {
        if matches!(r.outcome, Outcome::Fail | Outcome::Error) {
            found.set(true);
        }
    });
    found.get()
}

/// What became of one finding.
#[derive(Debug)]
struct Written {
    file: String,
    kind: String,
    tc_id: u64,
    path: PathBuf,
    /// Still fails on the adapter when replayed alone (so it was written).
    replayed: bool,
    /// The shipped case of the same kind fails too.
    known: bool,
    why: String,
}

/// The comment marking which drawn case a written case stands for (so a later run does not
/// write the same kind twice).
fn kind_tag(f: &Finding) -> String {
    format!("[{}: {}]", f.file, f.kind)
}

/// Write each finding into `<out>/<family>/<impl>_iut_fuzz_test.json` (appending to that file
/// when it exists), after checking that the one-case file loads, passes on the reference and
/// still fails on the adapter.
fn write_findings(
    args: &FuzzArgs,
    adapter: &mut SubprocessIut,
    hello: &Hello,
    findings: &BTreeMap<(String, String), Finding>,
    err: &mut impl std::io::Write,
) -> Result<Vec<Written>, HarnessError> {
    let mut out = Vec::new();
    // Replays get their own time: the fuzzing deadline may have passed.
    let mut replay = SubprocessIut::start_with(
        adapter.command(),
        Limits {
            timeout: adapter.limits().timeout,
            breaker: 0,
            deadline: Some(Instant::now() + Duration::from_secs(120)),
        },
    )
    .ok();
    let mut by_path: BTreeMap<PathBuf, Vec<&Finding>> = BTreeMap::new();
    for f in findings.values() {
        let path = args
            .out
            .join(&f.family)
            .join(format!("{}_iut_fuzz_test.json", slug(&hello.name)));
        by_path.entry(path).or_default().push(f);
    }
    for (path, list) in by_path {
        let mut file = match path.exists() {
            true => serde_json::to_value(
                load_file(&path).map_err(|e| HarnessError::Vectors(format!("--out: {e}")))?,
            )
            .map_err(|e| HarnessError::Vectors(e.to_string()))?,
            false => Value::Null,
        };
        let mut added = 0usize;
        for f in list {
            let one = one_case_file(f, hello, 1);
            let outcome = check_one(&one, &path, replay.as_mut());
            let (replayed, why) = match outcome {
                Ok(()) => (true, String::new()),
                Err(why) => (false, why),
            };
            if replayed && !args.write_known && known(&args.known, f, replay.as_mut()) {
                out.push(Written {
                    file: f.file.clone(),
                    kind: f.kind.clone(),
                    tc_id: f.tc_id,
                    path: path.clone(),
                    replayed: false,
                    known: true,
                    why: format!(
                        "known: a case of this kind in {} fails too",
                        args.known.join(&f.file).display()
                    ),
                });
                continue;
            }
            let existing_tag = file
                .get("testGroups")
                .and_then(Value::as_array)
                .is_some_and(|gs| {
                    gs.iter()
                        .filter_map(|g| g.get("tests").and_then(Value::as_array))
                        .flatten()
                        .filter_map(|c| c.get("comment").and_then(Value::as_str))
                        .any(|c| c.contains(&kind_tag(f)))
                });
            if replayed && !existing_tag {
                append(&mut file, one);
                added += 1;
            }
            out.push(Written {
                file: f.file.clone(),
                kind: f.kind.clone(),
                tc_id: f.tc_id,
                path: path.clone(),
                replayed,
                known: false,
                why: if existing_tag && replayed {
                    "already in the file".into()
                } else {
                    why
                },
            });
        }
        if added == 0 {
            continue;
        }
        let text = serde_json::to_string_pretty(&file)
            .map_err(|e| HarnessError::Vectors(e.to_string()))?;
        let vf = parse_str(&text, &path.display().to_string())
            .map_err(|e| HarnessError::Vectors(format!("a finding does not load: {e}")))?;
        let pretty = vf
            .to_json_pretty()
            .map_err(|e| HarnessError::Vectors(e.to_string()))?;
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).map_err(|source| HarnessError::Write {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        fs::write(&path, pretty).map_err(|source| HarnessError::Write {
            path: path.clone(),
            source,
        })?;
        let _ = writeln!(err, "fuzz: wrote {added} case(s) to {}", path.display());
    }
    if let Some(r) = replay.as_mut() {
        r.shutdown();
    }
    Ok(out)
}

/// A vector file (as JSON) holding `f`'s case alone, numbered `tc_id`.
fn one_case_file(f: &Finding, hello: &Hello, tc_id: u64) -> Value {
    let mut group = f.group.clone();
    if let Some(m) = group.as_object_mut() {
        m.insert(
            "source".into(),
            serde_json::json!({
                "name": source_name(&hello.name),
                "version": format!("{} (mtproto-harness fuzz --iut)", hello.version),
            }),
        );
        if let Some(case) = m
            .get_mut("tests")
            .and_then(Value::as_array_mut)
            .and_then(|t| t.first_mut())
            .and_then(Value::as_object_mut)
        {
            case.insert("tcId".into(), Value::from(tc_id));
            let old = case
                .get("comment")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            case.insert(
                "comment".into(),
                Value::String(format!(
                    "{} {} {}: {} (drawn {}, salt {:#018x}; {}: {})",
                    kind_tag(f),
                    hello.name,
                    hello.version,
                    old,
                    f.hits,
                    f.salt,
                    match f.outcome {
                        Outcome::Error => "crash/hang",
                        _ => "disagreement",
                    },
                    f.detail
                )),
            );
            let mut flags: Vec<Value> = f.flags.iter().cloned().map(Value::String).collect();
            flags.push(Value::String(FLAG.into()));
            case.insert("flags".into(), Value::Array(flags));
        }
    }
    let mut notes: Map<String, Value> = f
        .notes
        .iter()
        .filter_map(|(k, n)| serde_json::to_value(n).ok().map(|v| (k.clone(), v)))
        .collect();
    if let Ok(n) = serde_json::to_value(note()) {
        notes.insert(FLAG.into(), n);
    }
    serde_json::json!({
        "algorithm": f.algorithm,
        "schema": f.schema,
        "numberOfTests": 1,
        "header": [format!(
            "Disagreements of {} {} with the reference, found by mtproto-harness fuzz --iut; the verdicts are the reference's.",
            hello.name, hello.version
        )],
        "notes": notes,
        "testGroups": [group],
    })
}

/// Append `one`'s group to `file` (or make `file` `one`), renumbering the new case after the
/// file's last and merging the notes.
fn append(file: &mut Value, mut one: Value) {
    let Some(fm) = file.as_object_mut() else {
        *file = one;
        return;
    };
    let groups = fm
        .get("testGroups")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let next = groups
        .iter()
        .filter_map(|g| g.get("tests").and_then(Value::as_array))
        .flatten()
        .filter_map(|c| c.get("tcId").and_then(Value::as_u64))
        .max()
        .unwrap_or(0)
        + 1;
    let mut new_groups = groups;
    if let Some(g) = one
        .get_mut("testGroups")
        .and_then(Value::as_array_mut)
        .and_then(|g| g.pop())
    {
        let mut g = g;
        if let Some(c) = g
            .get_mut("tests")
            .and_then(Value::as_array_mut)
            .and_then(|t| t.first_mut())
            .and_then(Value::as_object_mut)
        {
            c.insert("tcId".into(), Value::from(next));
        }
        new_groups.push(g);
    }
    let total = new_groups
        .iter()
        .filter_map(|g| g.get("tests").and_then(Value::as_array))
        .map(Vec::len)
        .sum::<usize>();
    fm.insert("testGroups".into(), Value::Array(new_groups));
    fm.insert("numberOfTests".into(), Value::from(total));
    if let (Some(Value::Object(notes)), Some(Value::Object(new))) =
        (fm.get_mut("notes"), one.get("notes"))
    {
        for (k, v) in new {
            notes.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
}

/// The one-case file must load, pass on the reference and still fail on the adapter.
fn check_one(one: &Value, path: &Path, replay: Option<&mut SubprocessIut>) -> Result<(), String> {
    let text = serde_json::to_string_pretty(one).map_err(|e| e.to_string())?;
    let vf = parse_str(&text, &path.display().to_string()).map_err(|e| e.to_string())?;
    let on_ref = run_file(
        &vf,
        &mut ReferenceIut::new(),
        &RunOptions::default(),
        &|_| true,
        &mut |_| {},
    );
    if on_ref.iter().any(|r| r.outcome != Outcome::Pass) || on_ref.is_empty() {
        return Err("the reference does not pass the one-case file".into());
    }
    let Some(adapter) = replay else {
        return Err("the adapter could not be restarted to replay the case".into());
    };
    let opts = RunOptions {
        strict_errors: false,
        acceptable: AcceptablePolicy::Pass,
        iut_is_reference: false,
    };
    let got = run_file(&vf, adapter, &opts, &|_| true, &mut |_| {});
    match got.first().map(|r| r.outcome) {
        Some(Outcome::Fail | Outcome::Error) => Ok(()),
        Some(o) => Err(format!(
            "did not reproduce alone (replayed: {})",
            outcome_name(o)
        )),
        None => Err("the replay ran no case".into()),
    }
}

/// The run's counts on stdout: cases/s, outcomes, cases by family, disagreements by flag.
fn print_counts(
    hello: &Hello,
    tally: &Tally,
    findings: &BTreeMap<(String, String), Finding>,
    secs: f64,
    restarts: u64,
) {
    let mut o = std::io::stdout().lock();
    let rate = tally.sent as f64 / secs.max(1e-3);
    let _ = writeln!(
        o,
        "fuzz {} {}: {} rounds, {} cases drawn, {} sent in {:.1} s ({:.0} cases/s); {} agreed, {} unsupported, {} disagreements and {} crashes/hangs on decided cases ({} kinds), {} on spec-open (acceptable) cases (not findings), {} drawn cases the reference fails (left out), {} not sent (kind already found {SATURATED} times, or past --seconds), {} adapter restarts",
        hello.name,
        hello.version,
        tally.rounds,
        tally.drawn,
        tally.sent,
        secs,
        rate,
        tally.agreed,
        tally.unsupported,
        tally.disagreements,
        tally.crashes,
        findings.len(),
        tally.spec_open,
        tally.reference_failed,
        tally.saturated,
        restarts
    );
    if !tally.per_family.is_empty() {
        let per: Vec<String> = tally
            .per_family
            .iter()
            .map(|(f, n)| format!("{f} {n}"))
            .collect();
        let _ = writeln!(o, "cases by family: {}", per.join(", "));
    }
    if !tally.by_flag.is_empty() {
        let _ = writeln!(o, "disagreements by flag:");
        for (flag, n) in &tally.by_flag {
            let _ = writeln!(o, "  {flag}: {n}");
        }
    }
    for (fam, e) in &tally.generator_errors {
        let _ = writeln!(o, "generator error ({fam}, family skipped that round): {e}");
    }
    let _ = o.flush();
}

/// One line per finding kind on stdout (new and written, known, or why not written).
fn print_findings(findings: &BTreeMap<(String, String), Finding>, written: &[Written]) {
    let mut o = std::io::stdout().lock();
    let (mut new, mut known, mut gone) = (0, 0, 0);
    for w in written {
        let f = findings.get(&(w.file.clone(), w.kind.clone()));
        let mut what = f.map_or(String::new(), |f| {
            format!("{} x{}: {}", outcome_name(f.outcome), f.hits, f.detail)
        });
        if what.len() > 240 {
            let cut = (0..=240)
                .rev()
                .find(|&i| what.is_char_boundary(i))
                .unwrap_or(0);
            what.truncate(cut);
            what.push('…');
        }
        let status = if w.replayed {
            new += 1;
            format!("NEW → {}", w.path.display())
        } else if w.known {
            known += 1;
            "known".to_owned()
        } else {
            gone += 1;
            format!("not written ({})", w.why)
        };
        let _ = writeln!(
            o,
            "  {} ({}, drawn tcId {}): {status}: {what}",
            w.file, w.kind, w.tc_id
        );
    }
    let _ = writeln!(
        o,
        "findings: {new} new (written), {known} already shown by the fixed vectors, {gone} not written"
    );
}

fn outcome_name(o: Outcome) -> &'static str {
    match o {
        Outcome::Pass => "pass",
        Outcome::Fail => "fail",
        Outcome::Unsupported => "unsupported",
        Outcome::Error => "error",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Families whose cases never go through an adapter op.
    const NOT_THROUGH_ADAPTERS: &[&str] = &["wire"];

    #[test]
    fn every_family_an_adapter_can_answer_is_fuzzed() {
        for fam in mtproto_vectors::registry::families() {
            if NOT_THROUGH_ADAPTERS.contains(&fam) {
                continue;
            }
            assert!(FAMILIES.contains(&fam), "FAMILIES lacks {fam}");
            // Unsalted (the shipped draw): a salted handshake draw searches ~256 transcripts.
            let files = generate(fam);
            let files = match files {
                Some(Ok(f)) => f,
                Some(Err(e)) => panic!("{fam}: {e}"),
                None => panic!("generate() has no arm for {fam}"),
            };
            assert!(!files.is_empty(), "{fam}: no suites drawn");
            assert!(files.iter().all(|f| f.family == fam), "{fam}: wrong family");
        }
        for fam in FAMILIES {
            assert!(
                mtproto_vectors::registry::families().contains(fam),
                "FAMILIES names {fam}, which the registry lacks"
            );
        }
    }

    #[test]
    fn the_rsa_family_is_drawn_and_its_draws_differ_by_salt() {
        let draw = |round| match salted(salt(7, round), || generate("rsa")) {
            Some(Ok(files)) => files,
            _ => panic!("rsa does not draw"),
        };
        let (a, b) = (draw(0), draw(1));
        let cases: u64 = a.iter().map(|f| f.number_of_tests).sum();
        assert_eq!(cases, 72, "the rsa family's case count changed");
        let json = |files: &[VectorFile]| {
            files
                .iter()
                .map(|f| f.to_json_pretty().unwrap_or_default())
                .collect::<Vec<_>>()
        };
        assert_ne!(json(&a), json(&b), "two salts drew the same rsa cases");
        assert_eq!(json(&a), json(&draw(0)), "one salt drew two different sets");
    }
}
