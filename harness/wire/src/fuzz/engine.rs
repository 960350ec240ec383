//! The `wire-fuzz` loop: draw a genome (a built-in case, mutated one to four times, all from
//! the run's seed), play it against the driver, classify what did not pass, replay it on the
//! in-process reference driver (a case the reference does not pass is a harness bug: counted,
//! never reported against the implementation), minimise it, and keep one finding per cause.
//!
//! The cases a seed draws do not depend on what the driver does: the same seed gives the same
//! sequence of cases (minimisation replays do not draw from the generator).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::genome::{Genome, Pool, below, transport_choice};
use super::{Kind, classify, target_errors};
use crate::case::{Role, WireCase};
use crate::rng::Rng;
use crate::runner::{self, Driver, Outcome, RunOptions, Verdict};

/// What a run is told.
#[derive(Clone)]
pub struct Config {
    /// The role under test.
    pub role: Role,
    /// The driver under test.
    pub driver: Driver,
    /// The seed of the case generator.
    pub seed: u64,
    /// Stop after this many generated cases.
    pub iterations: Option<u64>,
    /// Stop starting cases (and minimisation replays) that could not end by this instant.
    pub deadline: Option<Instant>,
    /// The bounds of each case.
    pub opts: RunOptions,
    /// Restrict the transports (`None`: all seven).
    pub transports: Option<Vec<String>>,
    /// The most driver runs spent minimising one finding (the confirming replay included).
    pub minimise_runs: usize,
}

/// One finding: a minimised case that fails on the driver and passes on the reference.
#[derive(Clone, Debug, Serialize)]
pub struct Finding {
    /// Its kind.
    pub kind: Kind,
    /// The minimised case.
    pub case: WireCase,
    /// The checks the case breaks (empty: a valid case).
    pub errors: Vec<&'static str>,
    /// The driver's verdict on the minimised case.
    pub verdict: Verdict,
    /// The reference's verdict detail on the minimised case.
    pub reference: String,
    /// The case as generated (before minimisation).
    pub original: WireCase,
    /// How many generated cases this finding explains (itself included).
    pub hits: u64,
    /// A built-in case (tcId) that breaks the same checks (a valid one: on the same transport)
    /// and fails on the driver with the same kind: the finding is already known.
    pub known_as: Option<u32>,
}

/// A case the reference itself did not pass.
#[derive(Clone, Debug, Serialize)]
pub struct HarnessBug {
    /// The case.
    pub case: WireCase,
    /// The reference's verdict detail.
    pub detail: String,
}

/// What a run did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Summary {
    /// Cases generated and played against the driver.
    pub iterations: u64,
    /// Cases the driver passed.
    pub passed: u64,
    /// Generated cases that did not pass, by kind (before deduplication; a case the reference
    /// failed too is not counted here).
    pub by_kind: BTreeMap<Kind, u64>,
    /// Driver runs spent confirming, minimising and looking for a built-in case that fails the
    /// same way.
    pub minimise_runs: u64,
    /// Failing cases that did not fail again on replay.
    pub flaky: u64,
    /// Cases the reference did not pass (harness bugs; at most 5 kept in `harness_bug_examples`).
    pub harness_bugs: u64,
    /// The first harness bugs.
    pub harness_bug_examples: Vec<HarnessBug>,
    /// The details of unjudged cases, with counts (at most 20 distinct kept).
    pub unjudged: BTreeMap<String, u64>,
    /// The findings, one per cause.
    pub findings: Vec<Finding>,
    /// Wall time, seconds.
    pub elapsed_s: f64,
    /// Generated cases per second (`iterations / elapsed_s`).
    pub iterations_per_s: f64,
}

/// A progress event.
pub enum Event<'a> {
    /// A generated case was judged.
    Case {
        /// Its index.
        iteration: u64,
        /// Its kind (`None`: passed).
        kind: Option<Kind>,
    },
    /// A new finding.
    Finding(&'a Finding),
}

/// Run a case in the role it names.
pub fn run_case(case: &WireCase, driver: &Driver, opts: &RunOptions) -> Verdict {
    match case.role {
        Role::ClientUnderTest => runner::run_client_case(case, driver, opts),
        Role::ServerUnderTest => runner::run_server_case(case, driver, opts),
    }
}

/// The reference driver of a role, in-process.
pub fn reference(role: Role) -> Driver {
    match role {
        Role::ClientUnderTest => Driver::reference_client(),
        Role::ServerUnderTest => Driver::reference_server(),
    }
}

/// The first tcId of a role's cases (the wire family's numbering: server cases from 1001).
pub fn first_tc_id(role: Role) -> u32 {
    match role {
        Role::ClientUnderTest => 1,
        Role::ServerUnderTest => 1001,
    }
}

/// The built-in cases of a role.
pub fn builtin(role: Role) -> Vec<WireCase> {
    match role {
        Role::ClientUnderTest => crate::suite::client_cases(),
        Role::ServerUnderTest => crate::suite::server_cases(),
    }
}

/// The generator: the built-in cases of the role as starting points, mutated.
pub struct Generator {
    pool: Pool,
    rng: Rng,
    seed: u64,
    next: u64,
}

impl Generator {
    /// A generator for `role` seeded with `seed`; `None` when no built-in case runs on the
    /// allowed transports.
    pub fn new(role: Role, seed: u64, transports: Option<&[String]>) -> Option<Self> {
        let pool = Pool::new(role, &builtin(role), transports);
        if pool.seeds.is_empty() || pool.transports.is_empty() {
            return None;
        }
        Some(Self {
            pool,
            rng: Rng::from_seed(seed),
            seed,
            next: 0,
        })
    }

    /// The pool.
    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// The next genome and its case.
    pub fn next_case(&mut self) -> (Genome, WireCase) {
        let i = self.next;
        self.next += 1;
        let n = self.pool.seeds.len();
        let mut g = self
            .pool
            .seeds
            .get(below(&mut self.rng, n))
            .cloned()
            .unwrap_or_else(|| unreachable_genome(&self.pool));
        // Every case gets its own seed of the harness's randomness.
        g.seed = self.rng.u64() >> 16;
        let rounds = 1 + below(&mut self.rng, 4);
        for _ in 0..rounds {
            g.mutate(&self.pool, &mut self.rng);
        }
        let tc = first_tc_id(self.pool.role).saturating_add(u32::try_from(i).unwrap_or(u32::MAX));
        let case = g.to_case(self.pool.role, tc, &format!("seed {} case {i}", self.seed));
        (g, case)
    }
}

/// A genome for an empty seed list (never used: [`Generator::new`] refuses an empty pool).
fn unreachable_genome(pool: &Pool) -> Genome {
    let mut rng = Rng::from_seed(0);
    Genome {
        transport: transport_choice(
            pool.transports
                .first()
                .map_or("intermediate", String::as_str),
            &mut rng,
        ),
        seed: 0,
        handshake: pool
            .handshakes
            .first()
            .cloned()
            .unwrap_or(super::genome::Gene {
                steps: Vec::new(),
                acceptable: false,
                transports: None,
                flags: Vec::new(),
                origin: 0,
            }),
        segments: Vec::new(),
        log: Vec::new(),
    }
}

/// Whether a finding explains a new failing case: same kind, and the finding's broken checks
/// are among the case's (a valid-case finding explains cases on its transport).
fn explains(f: &Finding, kind: Kind, case: &WireCase, errors: &[&'static str]) -> bool {
    f.kind == kind
        && f.errors.iter().all(|e| errors.contains(e))
        && (!f.errors.is_empty() || f.case.transport == case.transport)
}

/// The case's broken checks, or `None` after counting a hit on a finding that already explains
/// it.
fn unexplained(findings: &mut [Finding], kind: Kind, case: &WireCase) -> Option<Vec<&'static str>> {
    let errors = target_errors(case);
    match findings
        .iter_mut()
        .find(|f| explains(f, kind, case, &errors))
    {
        Some(f) => {
            f.hits += 1;
            None
        }
        None => Some(errors),
    }
}

/// Run the fuzzer; `on_event` sees each case and each new finding.
pub fn run(config: &Config, on_event: &mut dyn FnMut(Event<'_>)) -> Summary {
    let started = Instant::now();
    let mut summary = Summary::default();
    let Some(mut generator) =
        Generator::new(config.role, config.seed, config.transports.as_deref())
    else {
        return summary;
    };
    let reference = reference(config.role);
    let room = |extra: Duration| config.deadline.is_none_or(|d| Instant::now() + extra <= d);
    loop {
        if config.iterations.is_some_and(|n| summary.iterations >= n) || !room(config.opts.timeout)
        {
            break;
        }
        let (genome, case) = generator.next_case();
        let iteration = summary.iterations;
        summary.iterations += 1;
        let verdict = run_case(&case, &config.driver, &config.opts);
        let kind = classify(&verdict);
        on_event(Event::Case { iteration, kind });
        let Some(kind) = kind else {
            summary.passed += 1;
            continue;
        };
        let on_reference = run_case(&case, &reference, &config.opts);
        if on_reference.outcome != Outcome::Pass {
            summary.harness_bugs += 1;
            if summary.harness_bug_examples.len() < 5 {
                summary.harness_bug_examples.push(HarnessBug {
                    case,
                    detail: on_reference.detail,
                });
            }
            continue;
        }
        *summary.by_kind.entry(kind).or_default() += 1;
        if !kind.is_finding() {
            let key: String = verdict.detail.chars().take(160).collect();
            if summary.unjudged.len() < 20 || summary.unjudged.contains_key(&key) {
                *summary.unjudged.entry(key).or_default() += 1;
            }
            continue;
        }
        if unexplained(&mut summary.findings, kind, &case).is_none() {
            continue;
        }
        let mut runs = 0usize;
        let min = minimise(
            config,
            &reference,
            genome,
            case.clone(),
            kind,
            &mut runs,
            &room,
        );
        summary.minimise_runs += runs as u64;
        let Some((min_case, min_verdict, ref_detail)) = min else {
            summary.flaky += 1;
            continue;
        };
        let Some(min_errors) = unexplained(&mut summary.findings, kind, &min_case) else {
            continue;
        };
        let known_as = known_as(
            config,
            &min_case,
            &min_errors,
            kind,
            &room,
            &mut summary.minimise_runs,
        );
        let finding = Finding {
            known_as,
            kind,
            errors: min_errors,
            case: min_case,
            verdict: min_verdict,
            reference: ref_detail,
            original: case,
            hits: 1,
        };
        on_event(Event::Finding(&finding));
        summary.findings.push(finding);
    }
    summary.elapsed_s = started.elapsed().as_secs_f64();
    summary.iterations_per_s = if summary.elapsed_s > 0.0 {
        summary.iterations as f64 / summary.elapsed_s
    } else {
        0.0
    };
    summary
}

/// The built-in case that shows the same cause on the driver, if one does: a built-in case
/// breaking the same checks (a valid case: over the same transport), the closest first (most
/// actions in common, then the same transport), that fails with `kind` too (at most two
/// driver runs).
fn known_as(
    config: &Config,
    case: &WireCase,
    errors: &[&'static str],
    kind: Kind,
    room: &dyn Fn(Duration) -> bool,
    runs: &mut u64,
) -> Option<u32> {
    let mut same: Vec<WireCase> = builtin(config.role)
        .into_iter()
        .filter(|b| b.init_prefix.is_none() && target_errors(b) == errors)
        .filter(|b| !errors.is_empty() || b.transport == case.transport)
        .collect();
    // The closest first: most of its actions in the finding's script, then the same transport.
    let shared = |b: &WireCase| {
        b.script
            .iter()
            .filter(|s| case.script.iter().any(|t| t.action == s.action))
            .count()
    };
    same.sort_by_key(|b| (std::cmp::Reverse(shared(b)), b.transport != case.transport));
    for b in same.iter().take(2) {
        if !room(config.opts.timeout) {
            return None;
        }
        *runs += 1;
        if classify(&run_case(b, &config.driver, &config.opts)) == Some(kind) {
            return Some(b.tc_id);
        }
    }
    None
}

/// Confirm that `case` fails again with `kind`, then drop or undo mutations while it still
/// does (and the reference still passes): drop each step gene, the handshake tamper, the
/// MTProxy secret, go back to the intermediate transport. Returns the smallest case, the
/// driver's verdict on it and the reference's detail; `None` when the replay did not fail
/// (flaky) or no driver run fits before the deadline.
fn minimise(
    config: &Config,
    reference: &Driver,
    genome: Genome,
    case: WireCase,
    kind: Kind,
    runs: &mut usize,
    room: &dyn Fn(Duration) -> bool,
) -> Option<(WireCase, Verdict, String)> {
    let role = config.role;
    let pool = Pool::new(role, &builtin(role), config.transports.as_deref());
    let try_case = |c: &WireCase, runs: &mut usize| -> Option<(Verdict, String)> {
        if *runs >= config.minimise_runs || !room(config.opts.timeout) {
            return None;
        }
        *runs += 1;
        let v = run_case(c, &config.driver, &config.opts);
        if classify(&v) != Some(kind) {
            return None;
        }
        let r = run_case(c, reference, &config.opts);
        (r.outcome == Outcome::Pass).then_some((v, r.detail))
    };
    let (mut verdict, mut ref_detail) = try_case(&case, runs)?;
    let mut best = genome;
    let mut best_case = case;
    let tc = best_case.tc_id;
    let label = |g: &Genome| g.to_case(role, tc, &format!("seed {} (minimised)", config.seed));
    let mut rng = Rng::from_seed(config.seed ^ u64::from(tc));
    loop {
        let mut candidates: Vec<Genome> = Vec::new();
        for i in (0..best.segments.len()).rev() {
            let mut g = best.clone();
            let gene = g.segments.remove(i);
            g.log
                .push(format!("minimised: dropped {}", gene.describe()));
            candidates.push(g);
        }
        if best
            .handshake
            .steps
            .iter()
            .any(|s| !matches!(s.action, crate::case::Action::Handshake { tamper: None }))
            && let Some(h) = pool.handshakes.iter().find(|h| {
                h.steps
                    .iter()
                    .all(|s| matches!(s.action, crate::case::Action::Handshake { tamper: None }))
            })
        {
            let mut g = best.clone();
            g.handshake = h.clone();
            g.log.push("minimised: untampered handshake".into());
            candidates.push(g);
        }
        if best.transport.secret.is_some() {
            let mut g = best.clone();
            g.transport.secret = None;
            g.log.push("minimised: no MTProxy secret".into());
            candidates.push(g);
        }
        if best.transport.name != "intermediate"
            && pool.transports.iter().any(|t| t == "intermediate")
        {
            let mut g = best.clone();
            g.transport = transport_choice("intermediate", &mut Rng::from_seed(1));
            g.transport.secret = None;
            g.log.push("minimised: intermediate".into());
            candidates.push(g);
        }
        let mut improved = false;
        for mut g in candidates {
            g.repair(&pool, &mut rng);
            let c = label(&g);
            if c.script == best_case.script
                && c.transport == best_case.transport
                && c.secret == best_case.secret
            {
                continue;
            }
            if let Some((v, r)) = try_case(&c, runs) {
                best = g;
                best_case = c;
                verdict = v;
                ref_detail = r;
                improved = true;
                break;
            }
            if *runs >= config.minimise_runs || !room(config.opts.timeout) {
                break;
            }
        }
        if !improved {
            break;
        }
    }
    Some((best_case, verdict, ref_detail))
}
