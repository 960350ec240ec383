//! The command line, as clap types.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Runs MTProto 2.0 conformance vectors against an implementation and writes reports.
///
/// Exit codes: 0 = every case passed (or every case ended as the baseline says), 1 = conformance
/// failures (for an external implementation also: an unsupported case without
/// --allow-unsupported, or no selected case ran at all), 2 = the harness could not run (bad
/// arguments, unreadable or invalid vector file, bad baseline or filter, adapter that does not
/// start).
#[derive(Debug, Parser)]
#[command(name = "mtproto-harness", version)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands; each lives in its own file under `cmd/`.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run vector suites and write results.json, junit.xml, summary.md and index.html.
    Run(RunArgs),
    /// Check vector files against the Rust types and the JSON Schemas.
    Lint(LintArgs),
    /// Run the suites and write a baseline of the cases that did not pass, with their outcomes,
    /// for `run --baseline` (takes every option `run` takes to select, judge and reach the IUT).
    Baseline(BaselineArgs),
    /// Maintain the vector suites.
    #[command(subcommand)]
    Vectors(VectorsCommand),
    /// Serve the built-in reference over the adapter protocol (JSON lines on stdin/stdout).
    Adapter(AdapterArgs),
    /// Run every family against every implementation and write reports/matrix/.
    Matrix(MatrixArgs),
    /// Mutation self-test: run the suites against each deliberately broken reference (needs the
    /// `mutants` feature); every mutant must be killed.
    SelfTest(SelfTestArgs),
    /// Write a seed corpus per fuzz target (fuzz/), derived from the vectors.
    FuzzCorpus(FuzzCorpusArgs),
    /// Turn a (minimised) fuzz input into a conformance vector case flagged `FuzzFinding`.
    FuzzToVector(FuzzToVectorArgs),
    /// Differential fuzzing of an adapter against the reference: draw cases from the families'
    /// generators under a seeded salt, judge the adapter's answers, write each disagreement as
    /// a vector case (exit 1 if one was written).
    Fuzz(FuzzArgs),
    /// The reference client driver over TCP: reads the MTPROTO_WIRE_* environment, connects,
    /// does the handshake and the pings, prints one JSON line per outcome
    /// (harness/wire/README.md, "The driver contract"). For `run --client`.
    WireClient(WireDriverArgs),
    /// The reference server driver over TCP: reads the MTPROTO_WIRE_* environment, listens on
    /// 127.0.0.1, serves one connection, prints one JSON line per outcome. For `run --server`.
    WireServer(WireDriverArgs),
    /// Protocol fuzzing over the wire: mutate the harness's side of wire cases (the case model:
    /// transports, handshake tampers, decoys, replays, frames, seeds), play them against a
    /// client (--client) or server (--server) driver, and write each failure, crash, hang or
    /// garbage output, minimised and confirmed on the reference, as a wire case
    /// (docs/wire-fuzz.md). Exit 1 when something was found.
    WireFuzz(WireFuzzArgs),
}

/// `wire-fuzz`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("driver").required(true).args(["client", "server"])))]
pub struct WireFuzzArgs {
    /// A client driver command (harness/wire/README.md, "The driver contract"): the harness
    /// plays a hostile server.
    #[arg(long, value_name = "COMMAND")]
    pub client: Option<String>,
    /// A server driver command: the harness plays a hostile client.
    #[arg(long, value_name = "COMMAND")]
    pub server: Option<String>,
    /// The seed of the case generator: the same seed draws the same cases in the same order.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub seed: u64,
    /// Stop after this many generated cases.
    #[arg(long, value_name = "N")]
    pub iterations: Option<u64>,
    /// Whole-run deadline in seconds, minimisation included: no case starts that could not end
    /// by then (default 60 unless --iterations is given).
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..))]
    pub seconds: Option<u64>,
    /// The bound of each case, driver start to verdict; a driver still running then is a hang.
    #[arg(long, value_name = "MS", default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub timeout_ms: u64,
    /// Only these transports (repeatable; default: all seven).
    #[arg(long = "transport", value_name = "NAME", value_parser = clap::builder::PossibleValuesParser::new(mtproto_wire::case::TRANSPORT_NAMES))]
    pub transports: Vec<String>,
    /// Where the findings (wire_fuzz_test.json, a wire vector file) and summary.json go.
    #[arg(long, value_name = "DIR", default_value = "reports/wire-fuzz")]
    pub out: PathBuf,
    /// The implementation's name in the findings' source (default: the command).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// The implementation's version in the findings' source.
    #[arg(
        long = "lib-version",
        value_name = "VERSION",
        default_value = "unspecified"
    )]
    pub lib_version: String,
    /// The most driver runs spent confirming and minimising one finding.
    #[arg(long, value_name = "N", default_value_t = 12, value_parser = clap::value_parser!(u64).range(1..))]
    pub minimise_runs: u64,
    /// Also write findings that a built-in wire case already shows (by default they are only
    /// listed in the summary, with that case's tcId).
    #[arg(long)]
    pub write_known: bool,
    /// The JSON Schemas the findings file is checked against.
    #[arg(long, value_name = "DIR", default_value = "vectors/schemas")]
    pub schemas: PathBuf,
    /// No progress lines on stderr.
    #[arg(long, short)]
    pub quiet: bool,
}

/// `wire-client`, `wire-server`.
#[derive(Debug, Args)]
pub struct WireDriverArgs {
    /// Run with this deliberate bug compiled in (builds with the `mutants` feature only; see
    /// `self-test`).
    #[arg(long, value_name = "NAME")]
    pub mutant: Option<String>,
}

/// How `acceptable` cases are judged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Acceptable {
    /// Either answer passes.
    Pass,
    /// Accepting an acceptable case fails: only a rejection passes.
    Fail,
}

impl Acceptable {
    /// The policy's name, as given on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Acceptable::Pass => "pass",
            Acceptable::Fail => "fail",
        }
    }
}

/// Which cases to run and how to judge them: shared by `run` and `baseline`.
#[derive(Debug, Args)]
pub struct Selection {
    /// Vector files or directories (searched recursively for *_test.json; any other *.json
    /// outside a schemas/ directory is an error). Default: vectors/
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Select cases: KEY=V[,V...] or KEY!=V[,V...], KEY one of family, file, tcId, flag, bugType,
    /// type (comma = OR; repeat --filter for AND). E.g. family=envelope, tcId=3..9,
    /// file=ige/*, flag=PaddingTooLong, bugType=MISSING_STEP.
    #[arg(long = "filter", value_name = "EXPR")]
    pub filters: Vec<String>,
    /// How to judge `acceptable` cases.
    #[arg(long, value_enum, default_value_t = Acceptable::Pass)]
    pub acceptable: Acceptable,
    /// A rejection with another error name than the vector's is a failure even for an external
    /// implementation (it always is for the built-in reference).
    #[arg(long)]
    pub strict_errors: bool,
    /// No progress bar and no per-failure lines; only the summary line.
    #[arg(long, short)]
    pub quiet: bool,
}

/// `run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Cases and judging.
    #[command(flatten)]
    pub selection: Selection,
    /// Directory for the four reports (created if missing).
    #[arg(long, value_name = "DIR", default_value = "reports/latest")]
    pub out: PathBuf,
    /// Expected non-passing cases, a JSON array of {file, tcId, outcome, reason} (written by
    /// `baseline`): exit 0 when every case ends as its entry says, 1 on a new failure, a case
    /// now unsupported, a changed outcome, an unexpected pass or an entry naming no case.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// The implementation under test.
    #[command(flatten)]
    pub iut: IutArgs,
    /// An external implementation's `unsupported` cases do not fail the run (without a
    /// baseline). A run where no selected case ran still fails.
    #[arg(long)]
    pub allow_unsupported: bool,
}

/// Which implementation to test: the built-in reference, or an adapter (`adapters/README.md`).
#[derive(Debug, Args)]
pub struct IutArgs {
    /// Test an external implementation: start this adapter command (split like a shell does, no
    /// expansions) and speak the JSON-lines protocol to it. Default: the built-in reference.
    #[arg(long, value_name = "COMMAND")]
    pub iut: Option<String>,
    /// Test a client over TCP: play the `wire` family's client-role cases (WireClientTest) as a
    /// hostile server against this driver command (`sh -c COMMAND`, configured by MTPROTO_WIRE_*
    /// variables; harness/wire/README.md). Only wire cases run.
    #[arg(long, value_name = "COMMAND", conflicts_with = "iut")]
    pub client: Option<String>,
    /// Test a server over TCP: play the `wire` family's server-role cases (WireServerTest) as a
    /// hostile client against this driver command, which must listen on MTPROTO_WIRE_ADDR. Only
    /// wire cases run.
    #[arg(long, value_name = "COMMAND", conflicts_with = "iut")]
    pub server: Option<String>,
    /// Per-request timeout for the adapter (writing the request and reading its answer); a
    /// request that takes longer is an `error` case and the adapter is restarted. For wire cases:
    /// the bound of each whole case (driver start to verdict). At least 1.
    #[arg(long, value_name = "MS", default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub timeout_ms: u64,
    /// Give the adapter up after this many failures in a row (crash, hang, unread request,
    /// garbage, failed restart): the remaining cases are `error` at once. 0 never gives up.
    #[arg(long, value_name = "N", default_value_t = mtproto_iut::subprocess::DEFAULT_BREAKER)]
    pub max_failures_in_a_row: u32,
    /// Stop the run after this many seconds: cases not run by then are `error`.
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..))]
    pub deadline: Option<u64>,
}

/// `adapter`.
#[derive(Debug, Args)]
pub struct AdapterArgs {
    /// Serve a reference with this deliberate bug compiled in (builds with the `mutants`
    /// feature only; see `self-test`).
    #[arg(long, value_name = "NAME")]
    pub mutant: Option<String>,
    /// Test-only misbehaviour for the protocol tests: ID=MODE[,ID=MODE...] with MODE one of
    /// hang, crash, wrong-id, garbage, non-object, no-ok, huge, internal.
    #[arg(long, value_name = "SPEC", hide = true)]
    pub chaos: Option<String>,
    /// Test-only: list only these ops (comma-separated) in `hello`.
    #[arg(long, value_name = "OPS", hide = true)]
    pub only_ops: Option<String>,
}

/// `lint`.
#[derive(Debug, Args)]
pub struct LintArgs {
    /// Vector files or directories. Default: vectors/
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
}

/// `baseline`.
#[derive(Debug, Args)]
pub struct BaselineArgs {
    /// Cases and judging.
    #[command(flatten)]
    pub selection: Selection,
    /// The implementation under test.
    #[command(flatten)]
    pub iut: IutArgs,
    /// Where to write the baseline.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

/// `vectors ...`.
#[derive(Debug, Subcommand)]
pub enum VectorsCommand {
    /// Regenerate the suites this project computes (deterministic, fixed seeds).
    Generate(GenerateArgs),
}

/// `vectors generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Output directory.
    #[arg(long, value_name = "DIR", default_value = "vectors")]
    pub out: PathBuf,
}

/// The paths to use: the given ones, or `vectors/`.
pub fn paths_or_default(paths: &[PathBuf]) -> Vec<PathBuf> {
    if paths.is_empty() {
        vec![PathBuf::from("vectors")]
    } else {
        paths.to_vec()
    }
}

/// The matrix's breaker: a matrix characterises libraries that crash or hang on whole blocks of
/// cases (cryptg panics on each of 45 unaligned IGE inputs in a row; 20 prime pq in a row hang a
/// factoriser), so it gives an adapter up only after this many failures in a row: a dead adapter
/// still costs at most this many timeouts.
pub const MATRIX_BREAKER: u32 = 100;

/// `matrix`.
#[derive(Debug, Args)]
pub struct MatrixArgs {
    /// Vector files or directories. Default: vectors/
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// An implementation under test as NAME=COMMAND (repeatable), e.g.
    /// telethon='adapters/telethon/.venv/bin/python adapters/telethon/adapter.py'.
    #[arg(long = "iut", value_name = "NAME=COMMAND")]
    pub iuts: Vec<String>,
    /// Leave the built-in reference out of the matrix.
    #[arg(long)]
    pub no_reference: bool,
    /// Select cases (as `run --filter`).
    #[arg(long = "filter", value_name = "EXPR")]
    pub filters: Vec<String>,
    /// Per-request timeout for the adapters. At least 1.
    #[arg(long, value_name = "MS", default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub timeout_ms: u64,
    /// Give an adapter up after this many failures in a row (`run` gives up after 5). 0: never.
    #[arg(long, value_name = "N", default_value_t = MATRIX_BREAKER)]
    pub max_failures_in_a_row: u32,
    /// A wire client driver as NAME=COMMAND (repeatable; harness/wire/README.md): the `wire`
    /// family's client-role cases against it, as the `wire (client)` column of row NAME (the
    /// `--iut` row of that name, or a row of its own).
    #[arg(long = "wire-client", value_name = "NAME=COMMAND")]
    pub wire_clients: Vec<String>,
    /// A wire server driver as NAME=COMMAND (repeatable): the server-role cases against it, as
    /// the `wire (server)` column of row NAME.
    #[arg(long = "wire-server", value_name = "NAME=COMMAND")]
    pub wire_servers: Vec<String>,
    /// The bound of each wire case, driver start to verdict. At least 1.
    #[arg(long, value_name = "MS", default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub wire_timeout_ms: u64,
    /// Output directory.
    #[arg(long, value_name = "DIR", default_value = "reports/matrix")]
    pub out: PathBuf,
    /// Rewrite the generated sections of this Markdown file (README.md: the matrix table and
    /// "What fails", between their marker lines) from the matrix.
    #[arg(long, value_name = "FILE")]
    pub readme: Option<PathBuf>,
    /// Run nothing: take the matrix from this `matrix.json` (a committed one) and write the
    /// reports and `--readme` from it.
    #[arg(long, value_name = "FILE")]
    pub from: Option<PathBuf>,
    /// With `--from`: write nothing, exit 1 when this file's generated sections differ from
    /// what the matrix gives.
    #[arg(
        long,
        value_name = "FILE",
        requires = "from",
        conflicts_with = "readme"
    )]
    pub check_readme: Option<PathBuf>,
}

/// `self-test`.
#[derive(Debug, Args)]
pub struct SelfTestArgs {
    /// Vector files or directories. Default: vectors/
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Only these mutants (repeatable). Default: all of them.
    #[arg(long = "mutant", value_name = "NAME")]
    pub mutants: Vec<String>,
    /// Per-request timeout for the mutant adapters. At least 1.
    #[arg(long, value_name = "MS", default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub timeout_ms: u64,
    /// Where to write self-test.md and self-test.json.
    #[arg(long, value_name = "DIR", default_value = "reports/self-test")]
    pub out: PathBuf,
}

/// `fuzz-corpus`.
#[derive(Debug, Args)]
pub struct FuzzCorpusArgs {
    /// Vector files or directories. Default: vectors/
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Output directory: one subdirectory per target, inputs named by a hash of their bytes.
    #[arg(long, value_name = "DIR", default_value = "fuzz/corpus")]
    pub out: PathBuf,
    /// Keep at most this many inputs per target from the vectors, spread over the suites (the
    /// built-in examples, `mtproto_fuzzing::layout::examples`, are always added).
    #[arg(long, value_name = "N")]
    pub max_per_target: Option<usize>,
}

/// `fuzz-to-vector`.
#[derive(Debug, Args)]
pub struct FuzzToVectorArgs {
    /// The fuzz target the input belongs to (`cargo fuzz list`).
    #[arg(value_name = "TARGET")]
    pub target: String,
    /// The input: a crash artifact, preferably minimised with `cargo fuzz tmin`.
    #[arg(value_name = "ARTIFACT")]
    pub artifact: PathBuf,
    /// Append the case to this vector file (created if missing) instead of printing a new file.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// The case's comment (default: names the target and the artifact).
    #[arg(long, value_name = "TEXT")]
    pub comment: Option<String>,
    /// The JSON Schemas the case is checked against.
    #[arg(long, value_name = "DIR", default_value = "vectors/schemas")]
    pub schemas: PathBuf,
    /// Test-only: compute with this deliberate bug in the reference (`mutants` feature), to show
    /// that a reference disagreeing with the target's oracle is refused. Never writes a case:
    /// an input that converts under a mutant is refused too (exit 2).
    #[arg(long, value_name = "NAME", hide = true)]
    pub mutant: Option<String>,
}

/// `fuzz`.
#[derive(Debug, Args)]
pub struct FuzzArgs {
    /// The implementation under test: this adapter command (split like a shell does, no
    /// expansions), speaking the JSON-lines protocol.
    #[arg(long, value_name = "COMMAND")]
    pub iut: String,
    /// Only this family (repeatable; default: every family the adapter has an op of).
    #[arg(long = "family", value_name = "NAME")]
    pub families: Vec<String>,
    /// Fuzz for this many seconds (default 60 unless --cases is given).
    #[arg(long, value_name = "SECONDS")]
    pub seconds: Option<u64>,
    /// Stop after this many cases were sent.
    #[arg(long, value_name = "N")]
    pub cases: Option<u64>,
    /// The seed: the same seed draws the same cases in the same order.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub seed: u64,
    /// Where findings go: <DIR>/<family>/<implementation>_iut_fuzz_test.json (appended to).
    #[arg(long, value_name = "DIR", default_value = "reports/fuzz")]
    pub out: PathBuf,
    /// The shipped suites: a finding whose case of the same kind (same file and tcId) fails
    /// there too is already known and not written.
    #[arg(long, value_name = "DIR", default_value = "vectors")]
    pub known: PathBuf,
    /// Write known findings too.
    #[arg(long)]
    pub write_known: bool,
    /// Per-request timeout for the adapter; a request that takes longer is a finding (hang) and
    /// the adapter is restarted. At least 1.
    #[arg(long, value_name = "MS", default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub timeout_ms: u64,
    /// Give the adapter up after this many failures in a row. 0: never.
    #[arg(long, value_name = "N", default_value_t = MATRIX_BREAKER)]
    pub max_failures_in_a_row: u32,
    /// Whole-run deadline in seconds, start-up and replays included (default: --seconds + 120,
    /// or 3600 + 120 with --cases only).
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..))]
    pub deadline: Option<u64>,
    /// No progress lines on stderr.
    #[arg(long, short)]
    pub quiet: bool,
}
