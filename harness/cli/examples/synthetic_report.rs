//! Writes the four reports for a synthetic run of N cases (default 10,000) into a directory
//! (default `reports/synthetic`): for checking the HTML page at scale without N real vectors.
//!
//! `cargo run -p mtproto-harness --example synthetic_report -- 10000 /tmp/synthetic`

use std::path::PathBuf;
use std::process::ExitCode;

use mtproto_harness::report::{self, Options, Report, RunMeta, Tool};
use mtproto_vectors::{CaseResult, Outcome, Verdict};

const FLAGS: &[(&str, &str)] = &[
    ("PaddingTooLong", "MODIFIED_PADDING"),
    ("PaddingTooShort", "MODIFIED_PADDING"),
    ("LengthOutOfRange", "MODIFIED_LENGTH"),
    ("MsgKeyBitFlip", "MODIFIED_TAG"),
    ("NotBlockAligned", "MODIFIED_LENGTH"),
    ("WrongSession", "MISSING_STEP"),
];

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let n: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let out = PathBuf::from(args.next().unwrap_or_else(|| "reports/synthetic".into()));
    let families = ["ige", "kdf", "envelope"];
    let mut results = Vec::new();
    let mut files = Vec::new();
    for i in 0..n {
        let family = families.get((i % 3) as usize).copied().unwrap_or("ige");
        let file = format!("vectors/{family}/synthetic_{}_test.json", i % 4);
        if !files.contains(&file) {
            files.push(file.clone());
        }
        let outcome = match i % 200 {
            7 | 21 | 77 | 150 => Outcome::Fail,
            13 => Outcome::Error,
            99 => Outcome::Unsupported,
            _ => Outcome::Pass,
        };
        let flag = FLAGS.get((i % 7) as usize);
        let invalid = flag.is_some();
        let packet = format!("{:064x}", u128::from(i as u32) * 0x9e37_79b9).repeat(16);
        results.push(CaseResult {
            file,
            family: family.into(),
            algorithm: "MTProto-2.0-envelope".into(),
            tc_id: i + 1,
            group_type: "EnvelopeDecryptTest".into(),
            comment: if i % 500 == 3 {
                "comment with </script><script>alert(1)</script> & <b>markup</b>".into()
            } else {
                format!("synthetic case {i}: {}", flag.map_or("valid", |f| f.0))
            },
            flags: flag.map(|f| vec![f.0.to_owned()]).unwrap_or_default(),
            bug_types: flag.map(|f| vec![f.1.to_owned()]).unwrap_or_default(),
            expected: if invalid { Verdict::Invalid } else { Verdict::Valid },
            expected_error: flag.map(|f| f.0.to_owned()),
            outcome,
            error: (invalid && outcome == Outcome::Pass).then(|| flag.map_or("", |f| f.0).to_owned()),
            detail: match outcome {
                Outcome::Pass => String::new(),
                Outcome::Fail => "body: expected 0a0b0c, got 0a0b0d".into(),
                Outcome::Error => "IUT answered garbage: missing field `packet`".into(),
                Outcome::Unsupported => "IUT lacks envelope.decrypt".into(),
            },
            vector: serde_json::json!({
                "tcId": i + 1, "receiver": "server", "authKey": "00".repeat(256),
                "sessionId": "0102030405060708", "packet": packet, "result": if invalid {"invalid"} else {"valid"}
            }),
        });
    }
    let meta = RunMeta {
        harness: Tool {
            name: "mtproto-harness".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        },
        iut: Tool {
            name: "synthetic".into(),
            version: "0".into(),
        },
        iut_is_reference: true,
        paths: vec!["vectors".into()],
        files,
        options: Options {
            filters: vec![],
            acceptable: "pass".into(),
            strict_errors: false,
            baseline: None,
            allow_unsupported: false,
            deadline: None,
        },
        adapter: None,
        wire: None,
        notes: Default::default(),
    };
    let rep = Report {
        meta: &meta,
        results: &results,
        gate: None,
    };
    match report::write_all(&out, &rep) {
        Ok(()) => {
            println!("{} cases -> {}", results.len(), out.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(2)
        }
    }
}
