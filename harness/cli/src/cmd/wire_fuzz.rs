//! `mtproto-harness wire-fuzz --client COMMAND | --server COMMAND`: protocol fuzzing of a real
//! implementation over the wire (docs/wire-fuzz.md). The loop lives in `mtproto_wire::fuzz`;
//! this file turns the options into its configuration, prints progress and the summary, and
//! writes the findings as one wire vector file that the strict loader and the schemas accept.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use mtproto_vectors::families::wire::file_of;
use mtproto_vectors::{Source, lint_paths_with, parse_str};
use mtproto_wire::case::{Role, WireCase};
use mtproto_wire::fuzz::engine::{self, Config, Event, Summary, first_tc_id};
use mtproto_wire::fuzz::{Kind, engine::Finding};
use mtproto_wire::runner::{self, Driver};

use crate::Status;
use crate::cli::WireFuzzArgs;
use crate::error::HarnessError;

/// The findings file's name under `--out`.
pub const FINDINGS_FILE: &str = "wire_fuzz_test.json";

/// Runs `wire-fuzz`.
pub fn run(args: &WireFuzzArgs) -> Result<Status, HarnessError> {
    let (role, command) = match (&args.client, &args.server) {
        (Some(c), None) => (Role::ClientUnderTest, c.clone()),
        (None, Some(s)) => (Role::ServerUnderTest, s.clone()),
        _ => {
            return Err(HarnessError::Adapter(
                "wire-fuzz: give exactly one of --client COMMAND and --server COMMAND".into(),
            ));
        }
    };
    if command.trim().is_empty() {
        return Err(HarnessError::Adapter(
            "wire-fuzz: the driver command is empty".into(),
        ));
    }
    let seconds = match (args.seconds, args.iterations) {
        (None, None) => Some(60),
        (s, _) => s,
    };
    let timeout = Duration::from_millis(args.timeout_ms);
    let defaults = runner::RunOptions::default();
    let opts = runner::RunOptions {
        timeout,
        quiet: defaults.quiet.min(timeout / 5),
        ..defaults
    };
    let config = Config {
        role,
        driver: Driver::Command(command.clone()),
        seed: args.seed,
        iterations: args.iterations,
        deadline: seconds.map(|s| Instant::now() + Duration::from_secs(s)),
        opts,
        transports: (!args.transports.is_empty()).then(|| args.transports.clone()),
        minimise_runs: usize::try_from(args.minimise_runs).unwrap_or(usize::MAX),
    };
    if engine::Generator::new(role, args.seed, config.transports.as_deref()).is_none() {
        return Err(HarnessError::Adapter(format!(
            "wire-fuzz: no built-in {} case runs on the transports {:?}",
            role_name(role),
            args.transports
        )));
    }
    let name = match &args.name {
        Some(n) if valid_name(n) => n.clone(),
        Some(n) => {
            return Err(HarnessError::Adapter(format!(
                "wire-fuzz: --name {n:?}: a source name is lowercase letters, digits, '.' and \
                 '-', starting with a letter (e.g. telethon)"
            )));
        }
        None => name_of(&command),
    };
    fs::create_dir_all(&args.out).map_err(write_err(&args.out))?;
    if !args.quiet {
        eprintln!(
            "wire-fuzz: {} role, driver {command:?}, seed {}, {}, case timeout {} ms",
            role_name(role),
            args.seed,
            match (args.iterations, seconds) {
                (Some(n), Some(s)) => format!("{n} cases or {s} s"),
                (Some(n), None) => format!("{n} cases"),
                (None, Some(s)) => format!("{s} s"),
                (None, None) => String::new(),
            },
            args.timeout_ms
        );
    }
    let started = Instant::now();
    let mut last = Instant::now();
    let quiet = args.quiet;
    let summary = engine::run(&config, &mut |e| match e {
        Event::Case { iteration, kind } => {
            if !quiet && last.elapsed() >= Duration::from_secs(10) {
                last = Instant::now();
                let rate = (iteration + 1) as f64 / started.elapsed().as_secs_f64().max(1e-9);
                eprintln!(
                    "wire-fuzz: {} cases, {rate:.2}/s, last {}",
                    iteration + 1,
                    kind.map_or("pass", Kind::name)
                );
            }
        }
        Event::Finding(f) => {
            if !quiet {
                eprintln!(
                    "wire-fuzz: finding ({}): {} -- {}",
                    f.kind.name(),
                    describe_errors(f),
                    f.verdict.detail.chars().take(200).collect::<String>()
                );
            }
        }
    });
    let written = write_findings(args, role, &name, &command, &summary)?;
    let summary_path = args.out.join("summary.json");
    let json = serde_json::to_string_pretty(&summary).map_err(|e| HarnessError::Write {
        path: summary_path.clone(),
        source: std::io::Error::other(e),
    })?;
    fs::write(&summary_path, json + "\n").map_err(write_err(&summary_path))?;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(render(&summary, &command, written.as_deref()).as_bytes());
    Ok(if summary.findings.is_empty() {
        Status::Success
    } else {
        Status::Failures
    })
}

/// The vector files' rule for a source name: `^[a-z][a-z0-9.-]*$`.
fn valid_name(n: &str) -> bool {
    n.starts_with(|c: char| c.is_ascii_lowercase())
        && n.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
}

/// A source name made from a driver command (without `--name`): each word's last path
/// component, lowercased, every other character a '-', from its first letter, at most 64
/// characters.
fn name_of(command: &str) -> String {
    let short: Vec<&str> = command
        .split_whitespace()
        .map(|w| w.rsplit('/').next().unwrap_or(w))
        .collect();
    let mut out = String::new();
    for c in short.join(" ").chars().flat_map(char::to_lowercase) {
        let c = if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' {
            c
        } else {
            '-'
        };
        if out.is_empty() && !c.is_ascii_lowercase() {
            continue;
        }
        if c == '-' && out.ends_with('-') {
            continue;
        }
        out.push(c);
    }
    let mut out: String = out.chars().take(64).collect();
    while out.ends_with('-') {
        out.pop();
    }
    if out.is_empty() { "driver".into() } else { out }
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::ClientUnderTest => "client",
        Role::ServerUnderTest => "server",
    }
}

fn describe_errors(f: &Finding) -> String {
    if f.errors.is_empty() {
        format!("valid case over {}", f.case.transport)
    } else {
        f.errors.join(", ")
    }
}

fn write_err(path: &Path) -> impl FnOnce(std::io::Error) -> HarnessError + '_ {
    move |source| HarnessError::Write {
        path: path.to_path_buf(),
        source,
    }
}

/// The findings as one wire file under `--out` (none: no file, and a stale one is removed),
/// checked by the strict loader and the schemas before it is kept.
fn write_findings(
    args: &WireFuzzArgs,
    role: Role,
    name: &str,
    command: &str,
    summary: &Summary,
) -> Result<Option<PathBuf>, HarnessError> {
    let path = args.out.join(FINDINGS_FILE);
    if !summary
        .findings
        .iter()
        .any(|f| args.write_known || f.known_as.is_none())
    {
        let _ = fs::remove_file(&path);
        return Ok(None);
    }
    let cases: Vec<WireCase> = summary
        .findings
        .iter()
        .filter(|f| args.write_known || f.known_as.is_none())
        .zip(0u32..)
        .map(|(f, i)| {
            let mut c = f.case.clone();
            c.tc_id = first_tc_id(role) + i;
            let known = f.known_as.map_or_else(String::new, |t| {
                format!(" (the built-in case tcId {t} fails the same way)")
            });
            c.comment = format!(
                "{}. Found by wire-fuzz as a {} on {name} {}{known}: {}",
                c.comment,
                f.kind.name(),
                args.lib_version,
                f.verdict.detail.chars().take(300).collect::<String>()
            );
            c
        })
        .collect();
    let header = [
        format!(
            "Findings of mtproto-harness wire-fuzz (seed {}) against {name} {} in the {} role, \
             driver command: {command}",
            args.seed,
            args.lib_version,
            role_name(role)
        ),
        "Each case failed (or crashed, hung, printed garbage) on that implementation, again on \
         replay, and passes on the reference drivers; replay it with `mtproto-harness run FILE \
         --client|--server COMMAND`."
            .to_owned(),
    ];
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    let source = Source {
        name: name.to_owned(),
        version: args.lib_version.clone(),
    };
    let (_, file) = file_of(FINDINGS_FILE, role, source, &header, cases)
        .map_err(|e| HarnessError::Generate(e.to_string()))?;
    let text = file
        .to_json_pretty()
        .map_err(|e| HarnessError::Generate(format!("{FINDINGS_FILE}: {e}")))?;
    let shown = path.display().to_string();
    parse_str(&text, &shown).map_err(|e| {
        HarnessError::Vectors(format!("wire-fuzz wrote a file the loader refuses: {e}"))
    })?;
    fs::write(&path, &text).map_err(write_err(&path))?;
    if args.schemas.is_dir() {
        lint_paths_with(std::slice::from_ref(&path), &args.schemas).map_err(|e| {
            HarnessError::Vectors(format!("wire-fuzz wrote a file the schemas refuse: {e}"))
        })?;
    }
    Ok(Some(path))
}

/// The summary printed at the end.
fn render(s: &Summary, command: &str, written: Option<&Path>) -> String {
    let mut out = format!(
        "wire-fuzz: {} cases in {:.1} s ({:.2} cases/s): {} passed",
        s.iterations, s.elapsed_s, s.iterations_per_s, s.passed
    );
    for (kind, n) in &s.by_kind {
        out.push_str(&format!(", {n} {}", kind.name()));
    }
    out.push_str(&format!(
        "; {} findings after deduplication ({} confirming/minimising runs, {} flaky); {} harness bugs (cases the reference fails: not counted against the driver)\n",
        s.findings.len(),
        s.minimise_runs,
        s.flaky,
        s.harness_bugs
    ));
    for f in &s.findings {
        let known = f.known_as.map_or_else(
            || "new".to_owned(),
            |t| format!("known: built-in tcId {t} fails the same way"),
        );
        out.push_str(&format!(
            "  {} ({} hits, {known}): {} over {}: {}\n",
            f.kind.name(),
            f.hits,
            describe_errors(f),
            f.case.transport,
            f.verdict.detail.chars().take(200).collect::<String>()
        ));
    }
    for b in &s.harness_bug_examples {
        out.push_str(&format!(
            "  harness bug (reference fails case {}): {}\n",
            b.case.tc_id,
            b.detail.chars().take(200).collect::<String>()
        ));
    }
    if let Some(p) = written {
        let flag = match s.findings.first().map(|f| f.case.role) {
            Some(Role::ServerUnderTest) => "--server",
            _ => "--client",
        };
        out.push_str(&format!(
            "findings: {}; replay: mtproto-harness run {} {flag} '{command}'\n",
            p.display(),
            p.display()
        ));
    }
    out
}
