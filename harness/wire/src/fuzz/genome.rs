//! The genome of `wire-fuzz`: a wire case as the case model spells it, cut into the pieces the
//! built-in suite is made of, so that every mutated case still carries the reaction the suite
//! (and through it `Mutation::expected_error` and `verdict_of`) gives each of its actions.
//!
//! A [`Gene`] is a run of steps taken from one built-in case: its handshake (with or without a
//! tamper), or the steps after it (a decoy pong, a replay, a broken frame, a query then a decoy
//! ping, ...), each step with the `expect` the suite's case gives it. A [`Genome`] is a transport,
//! a seed, one handshake gene and a list of step genes; [`Genome::to_case`] turns it into a
//! [`WireCase`] whose `acceptable`, flags and pings follow from its genes.
//!
//! Rules that keep a genome honest (applied by [`Genome::repair`] after every mutation):
//! - a handshake gene that expects `NotCompleted` (a defect) ends the script: no step after it;
//! - a gene whose reaction may end the connection (`Dropped`, `ErrorReported`, `Closed`, a
//!   transport error) is the last one;
//! - a gene that writes raw frames or quick-ack flags keeps to the transports the suite plays it
//!   on; every other gene runs on any transport;
//! - a case is `acceptable` when one of its genes comes from an `acceptable` case (the spec
//!   leaves that reaction open), and is then never a `fail` finding.

use mtproto::session::DEFAULT_WINDOW;

use crate::case::{Action, PongPlan, Reaction, Role, Step, WireCase};
use crate::rng::Rng;

/// A transport as a case names it: name and MTProxy secret (hex).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransportChoice {
    /// One of the model's transport names.
    pub name: String,
    /// The MTProxy secret, hex (obfuscated2 only).
    pub secret: Option<String>,
}

/// A run of steps from one built-in case, with the verdict-relevant facts of that case.
#[derive(Clone, Debug, PartialEq)]
pub struct Gene {
    /// The steps, each with the reaction the built-in case expects.
    pub steps: Vec<Step>,
    /// The built-in case is `acceptable` (the spec leaves the reaction open).
    pub acceptable: bool,
    /// The transports the gene may run on (`None`: any).
    pub transports: Option<Vec<String>>,
    /// The flags it brings to a case (the built-in case's, on the gene that breaks something).
    pub flags: Vec<String>,
    /// The tcId of the built-in case it comes from.
    pub origin: u32,
}

impl Gene {
    /// Whether the peer may end the connection on it (so nothing can follow it).
    pub fn terminal(&self) -> bool {
        self.steps.iter().any(|s| {
            matches!(
                s.expect,
                Reaction::Dropped
                    | Reaction::ErrorReported
                    | Reaction::Closed
                    | Reaction::TransportError { .. }
                    | Reaction::NotCompleted
            )
        })
    }

    /// Whether it runs on `transport`.
    pub fn runs_on(&self, transport: &str) -> bool {
        self.transports
            .as_ref()
            .is_none_or(|t| t.iter().any(|n| n == transport))
    }

    /// A short name for logs and comments.
    pub fn describe(&self) -> String {
        self.steps
            .iter()
            .map(|s| describe_action(&s.action))
            .collect::<Vec<_>>()
            .join(" + ")
    }
}

/// A short name of an action.
pub fn describe_action(a: &Action) -> String {
    match a {
        Action::Handshake { tamper: None } => "handshake".into(),
        Action::Handshake { tamper: Some(t) } => format!("handshake tampered {t:?}"),
        Action::AnswerPing { pong } => match pong {
            PongPlan::Valid => "valid pong".into(),
            PongPlan::DecoyThenTruth { mutation } => format!("decoy pong {}", mutation.name()),
            PongPlan::FrameDecoy { frame } => format!("decoy pong in frame {frame:?}"),
            PongPlan::TruthInFrame { frame } => format!("true pong in frame {frame:?}"),
            PongPlan::TransportError { code } => format!("transport error {code}"),
            PongPlan::QuickAckFirst => "quick ack then pong".into(),
            PongPlan::Replay { order, replay } => format!("replay {order:?}/{replay:?}"),
            PongPlan::FillWindowThenLower { count } => {
                format!("{count} msgs_ack then a lower msg_id")
            }
        },
        Action::SendPingQuickAck => "ping with quick-ack flag".into(),
        Action::SendQuery => "query".into(),
        Action::SendPing { mutation: None } => "valid ping".into(),
        Action::SendPing { mutation: Some(m) } => format!("decoy ping {}", m.name()),
    }
}

/// Whether an action writes something only some transports carry (raw frames, quick acks).
fn transport_bound(a: &Action) -> bool {
    matches!(
        a,
        Action::SendPingQuickAck
            | Action::AnswerPing {
                pong: PongPlan::FrameDecoy { .. }
                    | PongPlan::TruthInFrame { .. }
                    | PongPlan::QuickAckFirst
            }
    )
}

/// Whether an action's defect is invisible on padded intermediate: the receiver cuts the
/// random padding (0..15 bytes) off a frame by rounding down to 16, so encrypted_data that is
/// not a multiple of 16 comes out aligned (the reference takes it too).
fn not_on_padded(a: &Action) -> bool {
    matches!(
        a,
        Action::AnswerPing {
            pong: PongPlan::DecoyThenTruth {
                mutation: crate::case::Mutation::UnalignedLength
            }
        } | Action::SendPing {
            mutation: Some(crate::case::Mutation::UnalignedLength)
        }
    )
}

/// The genes of a role, cut from the built-in suite.
#[derive(Clone, Debug)]
pub struct Pool {
    /// The role.
    pub role: Role,
    /// Handshake genes (one step each).
    pub handshakes: Vec<Gene>,
    /// Step genes.
    pub steps: Vec<Gene>,
    /// The built-in cases as genomes (the starting points of mutation).
    pub seeds: Vec<Genome>,
    /// The transports a genome may pick.
    pub transports: Vec<String>,
}

impl Pool {
    /// The pool of `role` from the built-in cases `suite` (those with an obfuscated2 init
    /// prefix are left out: their reaction belongs to the whole connection). `transports`
    /// restricts the transports (`None`: all seven).
    pub fn new(role: Role, suite: &[WireCase], transports: Option<&[String]>) -> Self {
        let mut handshakes: Vec<Gene> = Vec::new();
        let mut steps: Vec<Gene> = Vec::new();
        let mut seeds = Vec::new();
        for c in suite
            .iter()
            .filter(|c| c.role == role && c.init_prefix.is_none())
        {
            let Some((first, rest)) = c.script.split_first() else {
                continue;
            };
            let broken = |s: &[Step]| {
                s.iter().any(|s| {
                    crate::fuzz::target_error(role, &s.action).is_some()
                        || !matches!(s.expect, Reaction::Completed | Reaction::Accepted)
                })
            };
            // The flags go with the gene that breaks something; a valid case gets `Valid`.
            let case_flags = |s: &[Step]| {
                if broken(s) {
                    c.flags.clone()
                } else {
                    Vec::new()
                }
            };
            let hs = Gene {
                steps: vec![first.clone()],
                acceptable: c.acceptable,
                transports: None,
                flags: case_flags(std::slice::from_ref(first)),
                origin: c.tc_id,
            };
            let hs = merge(&mut handshakes, hs, &c.transport);
            let mut genes = Vec::new();
            if !rest.is_empty() {
                let bound = rest.iter().any(|s| transport_bound(&s.action));
                let unpadded = rest.iter().any(|s| not_on_padded(&s.action));
                let g = Gene {
                    steps: rest.to_vec(),
                    acceptable: c.acceptable,
                    transports: if bound {
                        Some(vec![c.transport.clone()])
                    } else if unpadded {
                        Some(
                            crate::case::TRANSPORT_NAMES
                                .iter()
                                .filter(|n| !n.ends_with("padded"))
                                .map(|n| (*n).to_owned())
                                .collect(),
                        )
                    } else {
                        None
                    },
                    flags: case_flags(rest),
                    origin: c.tc_id,
                };
                genes.push(merge(&mut steps, g, &c.transport));
            }
            seeds.push(Genome {
                transport: TransportChoice {
                    name: c.transport.clone(),
                    secret: c.secret.clone(),
                },
                seed: c.seed,
                handshake: hs,
                segments: genes,
                log: vec![format!("from built-in tcId {}", c.tc_id)],
            });
        }
        let all: Vec<String> = crate::case::TRANSPORT_NAMES
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        let transports = match transports {
            Some(t) => all.into_iter().filter(|n| t.contains(n)).collect(),
            None => all,
        };
        let seeds = seeds
            .into_iter()
            .filter(|g: &Genome| transports.contains(&g.transport.name))
            .collect();
        Self {
            role,
            handshakes,
            steps,
            seeds,
            transports,
        }
    }
}

/// Add `g` to `genes` (or widen the transports of the equal gene already there); returns the
/// gene as stored.
fn merge(genes: &mut Vec<Gene>, g: Gene, transport: &str) -> Gene {
    if let Some(have) = genes.iter_mut().find(|h| h.steps == g.steps) {
        if let Some(t) = have.transports.as_mut()
            && !t.iter().any(|n| n == transport)
        {
            t.push(transport.to_owned());
        }
        return have.clone();
    }
    genes.push(g.clone());
    g
}

/// The most step genes in a case.
pub const MAX_SEGMENTS: usize = 4;

/// A case under mutation.
#[derive(Clone, Debug, PartialEq)]
pub struct Genome {
    /// The transport.
    pub transport: TransportChoice,
    /// The seed of the harness's randomness in the case (nonces, keys, padding, msg_id low
    /// bits, salts): every value the model does not spell out.
    pub seed: u64,
    /// The handshake.
    pub handshake: Gene,
    /// The steps after it.
    pub segments: Vec<Gene>,
    /// What was done to it, in order.
    pub log: Vec<String>,
}

/// A random index below `n` (`n` > 0).
pub fn below(rng: &mut Rng, n: usize) -> usize {
    (rng.u64() % (n.max(1) as u64)) as usize
}

fn pick<'a, T>(rng: &mut Rng, v: &'a [T]) -> Option<&'a T> {
    if v.is_empty() {
        None
    } else {
        v.get(below(rng, v.len()))
    }
}

impl Genome {
    /// The case it stands for, with tcId `tc_id` and a comment naming `run` (the fuzz seed and
    /// iteration) and what was done to it.
    pub fn to_case(&self, role: Role, tc_id: u32, run: &str) -> WireCase {
        let mut script = self.handshake.steps.clone();
        let genes: Vec<&Gene> = std::iter::once(&self.handshake)
            .chain(if self.handshake.terminal() {
                [].iter()
            } else {
                self.segments.iter()
            })
            .collect();
        if !self.handshake.terminal() {
            for g in &self.segments {
                script.extend(g.steps.iter().cloned());
            }
        }
        let acceptable = genes.iter().any(|g| g.acceptable);
        let mut flags: Vec<String> = Vec::new();
        for g in &genes {
            for f in &g.flags {
                if !flags.contains(f) {
                    flags.push(f.clone());
                }
            }
        }
        if flags.is_empty() {
            flags.push("Valid".into());
        }
        if acceptable && !flags.iter().any(|f| f == "SpecOpen") {
            flags.push("SpecOpen".into());
        }
        let pings = match role {
            Role::ClientUnderTest => {
                let n = script
                    .iter()
                    .filter(|s| matches!(s.action, Action::AnswerPing { .. }))
                    .count();
                u32::try_from(n.max(1)).unwrap_or(1)
            }
            Role::ServerUnderTest => 0,
        };
        let origins: Vec<String> = genes
            .iter()
            .map(|g| format!("tcId {} ({})", g.origin, g.describe()))
            .collect();
        WireCase {
            tc_id,
            comment: format!(
                "wire-fuzz {run}: {}; steps from the built-in cases {}; each step expects what \
                 its built-in case expects",
                self.log.join(", "),
                origins.join(", ")
            ),
            role,
            transport: self.transport.name.clone(),
            secret: self.transport.secret.clone(),
            dc: 2,
            pings,
            script,
            flags,
            seed: self.seed,
            acceptable,
            init_prefix: None,
        }
    }

    /// Apply one random mutation (logged).
    pub fn mutate(&mut self, pool: &Pool, rng: &mut Rng) {
        match below(rng, 9) {
            0 => {
                self.seed = rng.u64() >> 16;
                self.log.push(format!("seed {}", self.seed));
            }
            1 => {
                if let Some(t) = pick(rng, &pool.transports) {
                    let t = t.clone();
                    self.transport = transport_choice(&t, rng);
                    self.log.push(format!("transport {t}"));
                }
            }
            2 => {
                if let Some(h) = pick(rng, &pool.handshakes) {
                    self.handshake = h.clone();
                    self.log.push(h.describe());
                }
            }
            3 | 4 => {
                if self.segments.len() < MAX_SEGMENTS
                    && let Some(g) = pick(rng, &pool.steps)
                {
                    let at = below(rng, self.segments.len() + 1);
                    self.segments.insert(at, g.clone());
                    self.log.push(format!("insert {} at {at}", g.describe()));
                }
            }
            5 => {
                if self.segments.len() > 1 {
                    let at = below(rng, self.segments.len());
                    let g = self.segments.remove(at);
                    self.log.push(format!("drop {}", g.describe()));
                }
            }
            6 => {
                if !self.segments.is_empty()
                    && let Some(g) = pick(rng, &pool.steps)
                {
                    let at = below(rng, self.segments.len());
                    if let Some(s) = self.segments.get_mut(at) {
                        *s = g.clone();
                    }
                    self.log
                        .push(format!("replace step {at} by {}", g.describe()));
                }
            }
            7 => {
                if self.segments.len() > 1 {
                    let a = below(rng, self.segments.len());
                    let b = below(rng, self.segments.len());
                    self.segments.swap(a, b);
                    self.log.push(format!("swap {a} and {b}"));
                }
            }
            _ => self.tweak_value(rng),
        }
        self.repair(pool, rng);
    }

    /// Change a number the model spells out, within what keeps the step's reaction: a
    /// transport error's code (the page's −404, −429, −444) or how many messages fill the
    /// window (at least the reference's window, so the lower id is still below every stored one).
    fn tweak_value(&mut self, rng: &mut Rng) {
        let n = self.segments.len();
        if n == 0 {
            return;
        }
        let at = below(rng, n);
        let Some(g) = self.segments.get_mut(at) else {
            return;
        };
        for s in &mut g.steps {
            match &mut s.action {
                Action::AnswerPing {
                    pong: PongPlan::TransportError { code },
                } => {
                    let codes = [-404, -429, -444];
                    *code = codes.get(below(rng, codes.len())).copied().unwrap_or(-404);
                    self.log.push(format!("transport error code {code}"));
                }
                Action::AnswerPing {
                    pong: PongPlan::FillWindowThenLower { count },
                } => {
                    let w = u32::try_from(DEFAULT_WINDOW).unwrap_or(1000);
                    *count = w + u32::try_from(below(rng, 65)).unwrap_or(0);
                    self.log.push(format!("window fill {count}"));
                }
                _ => {}
            }
        }
    }

    /// Enforce the rules of the module doc: nothing after a terminal gene, at most
    /// [`MAX_SEGMENTS`], a transport every gene runs on.
    pub fn repair(&mut self, pool: &Pool, rng: &mut Rng) {
        if let Some(i) = self.segments.iter().position(Gene::terminal) {
            self.segments.truncate(i + 1);
        }
        self.segments.truncate(MAX_SEGMENTS);
        if pool.role == Role::ClientUnderTest
            && self.segments.is_empty()
            && let Some(g) = pool
                .steps
                .iter()
                .find(|g| g.steps.iter().all(|s| s.expect == Reaction::Accepted))
        {
            self.segments.push(g.clone());
        }
        let fits = |t: &str, segs: &[Gene]| segs.iter().all(|g| g.runs_on(t));
        if !fits(&self.transport.name, &self.segments) {
            let ok: Vec<String> = pool
                .transports
                .iter()
                .filter(|t| fits(t, &self.segments))
                .cloned()
                .collect();
            match pick(rng, &ok) {
                Some(t) => {
                    let t = t.clone();
                    self.transport = transport_choice(&t, rng);
                    self.log.push(format!("transport {t} (for the steps)"));
                }
                None => {
                    let name = self.transport.name.clone();
                    self.segments.retain(|g| g.runs_on(&name));
                }
            }
        }
    }
}

/// A transport named `name`, with a random MTProxy secret half of the time on obfuscated2
/// (16 bytes; `dd` and 16 bytes on padded).
pub fn transport_choice(name: &str, rng: &mut Rng) -> TransportChoice {
    let secret = if name.starts_with("obfuscated2-") && rng.u64().is_multiple_of(2) {
        let mut s = Vec::new();
        if name == "obfuscated2-padded" {
            s.push(0xdd);
        }
        s.extend(rng.vec(16));
        Some(hex::encode(s))
    } else {
        None
    };
    TransportChoice {
        name: name.to_owned(),
        secret,
    }
}
