//! `mtproto-harness adapter`: the built-in reference served over the adapter protocol
//! (docs/adapter-protocol.md), so the protocol is tested end to end and the mutation self-test
//! can run a deliberately broken reference through it.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};

use mtproto_iut::subprocess::{self, MAX_LINE};
use mtproto_iut::{Answer, Fields, Hello, Iut, ReferenceIut};
use serde_json::Value;

use crate::Status;
use crate::cli::AdapterArgs;
use crate::error::HarnessError;

/// A test-only misbehaviour, triggered by a request id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Chaos {
    /// Never answer (sleep until killed).
    Hang,
    /// Exit with status 3 without answering, after a line on stderr.
    Crash,
    /// Answer with another id.
    WrongId,
    /// Answer a line that is not JSON.
    Garbage,
    /// Answer a JSON array.
    NonObject,
    /// Answer `{"id":N}` without `ok`.
    NoOk,
    /// Answer a line longer than the client's cap.
    Huge,
    /// Answer `ok:false` with `internal` (a library exception).
    Internal,
}

fn parse_chaos(spec: &str) -> Result<BTreeMap<u64, Chaos>, HarnessError> {
    let bad = |why: String| HarnessError::Adapter(format!("--chaos {spec:?}: {why}"));
    let mut map = BTreeMap::new();
    for item in spec.split(',').filter(|s| !s.is_empty()) {
        let (id, mode) = item
            .split_once('=')
            .ok_or_else(|| bad(format!("{item:?} is not ID=MODE")))?;
        let id: u64 = id
            .parse()
            .map_err(|_| bad(format!("{id:?} is not a request id")))?;
        let mode = match mode {
            "hang" => Chaos::Hang,
            "crash" => Chaos::Crash,
            "wrong-id" => Chaos::WrongId,
            "garbage" => Chaos::Garbage,
            "non-object" => Chaos::NonObject,
            "no-ok" => Chaos::NoOk,
            "huge" => Chaos::Huge,
            "internal" => Chaos::Internal,
            other => return Err(bad(format!("unknown mode {other:?}"))),
        };
        map.insert(id, mode);
    }
    Ok(map)
}

/// Runs `adapter` until stdin ends.
pub fn run(args: &AdapterArgs) -> Result<Status, HarnessError> {
    if let Some(name) = &args.mutant {
        activate_mutant(name)?;
    }
    let mut iut = Restricted {
        hello: ReferenceIut::new().hello().clone(),
        inner: ReferenceIut::new(),
    };
    if let Some(ops) = &args.only_ops {
        iut.hello.ops = ops.split(',').map(str::to_owned).collect();
    }
    let stdin = std::io::stdin().lock();
    let stdout = std::io::stdout().lock();
    let io = |e: std::io::Error| HarnessError::Write {
        path: "<stdout>".into(),
        source: e,
    };
    match &args.chaos {
        None => subprocess::serve(&mut iut, stdin, stdout).map_err(io)?,
        Some(spec) => serve_chaos(&mut iut, &parse_chaos(spec)?, stdin, stdout).map_err(io)?,
    }
    Ok(Status::Success)
}

/// The reference, announcing only some of its ops (`--only-ops`, for the capability tests).
struct Restricted {
    hello: Hello,
    inner: ReferenceIut,
}

impl Iut for Restricted {
    fn hello(&self) -> &Hello {
        &self.hello
    }

    fn call(&mut self, op: &str, request: &Fields) -> Answer {
        if self.hello.supports(op) {
            self.inner.call(op, request)
        } else {
            Answer::Unsupported
        }
    }
}

#[cfg(feature = "mutants")]
pub(crate) fn activate_mutant(name: &str) -> Result<(), HarnessError> {
    if mtproto::mutants::activate(name) {
        Ok(())
    } else {
        Err(HarnessError::Adapter(format!(
            "unknown mutant {name:?}; the mutants are: {}",
            mtproto::mutants::names().collect::<Vec<_>>().join(", ")
        )))
    }
}

#[cfg(not(feature = "mutants"))]
pub(crate) fn activate_mutant(name: &str) -> Result<(), HarnessError> {
    Err(HarnessError::Adapter(format!(
        "--mutant {name}: this binary was built without the `mutants` feature \
         (cargo build -p mtproto-harness --features mutants)"
    )))
}

/// [`subprocess::serve`] with the misbehaviours of `chaos`, flushing after every answer.
fn serve_chaos(
    iut: &mut dyn Iut,
    chaos: &BTreeMap<u64, Chaos>,
    input: impl std::io::Read,
    mut output: impl Write,
) -> std::io::Result<()> {
    let mut input = BufReader::new(input);
    let mut line = Vec::new();
    loop {
        line.clear();
        if input.read_until(b'\n', &mut line)? == 0 {
            return Ok(());
        }
        let id = serde_json::from_slice::<Value>(&line)
            .ok()
            .and_then(|v| v.get("id").and_then(Value::as_u64));
        match id.and_then(|id| chaos.get(&id).map(|c| (id, *c))) {
            None => {
                output.write_all(&subprocess::serve_line(iut, &line))?;
                output.write_all(b"\n")?;
            }
            Some((_, Chaos::Hang)) => loop {
                std::thread::sleep(std::time::Duration::from_secs(3600));
            },
            Some((id, Chaos::Crash)) => {
                eprintln!("chaos: crashing on request {id}");
                std::process::exit(3);
            }
            Some((id, Chaos::WrongId)) => {
                writeln!(output, "{{\"id\":{},\"ok\":true}}", id.saturating_add(1000))?;
            }
            Some((_, Chaos::Garbage)) => writeln!(output, "this is not json")?,
            Some((_, Chaos::NonObject)) => writeln!(output, "[1,2,3]")?,
            Some((id, Chaos::NoOk)) => writeln!(output, "{{\"id\":{id}}}")?,
            Some((_, Chaos::Huge)) => {
                let chunk = vec![b'x'; 1 << 20];
                for _ in 0..=(MAX_LINE >> 20) {
                    output.write_all(&chunk)?;
                }
                output.write_all(b"\n")?;
            }
            Some((id, Chaos::Internal)) => writeln!(
                output,
                "{{\"id\":{id},\"ok\":false,\"internal\":\"chaos: library exception\"}}"
            )?,
        }
        output.flush()?;
    }
}
