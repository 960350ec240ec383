//! The shipped suites: regenerating them gives the committed bytes, they lint clean, every flag
//! is exercised, and the reference passes every case.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use mtproto_iut::ReferenceIut;
use mtproto_vectors::families::envelope::Group as EnvelopeGroup;
use mtproto_vectors::{
    CaseResult, Outcome, RunOptions, TestGroup, Verdict, generate, lint_paths, load_paths,
    run_file, suites,
};

/// Set to rewrite `vectors/` from the generator instead of comparing.
const REGENERATE: &str = "MTPROTO_REGENERATE_VECTORS";

fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../vectors")
}

#[test]
fn committed_files_equal_the_generator_output() {
    let dir = vectors_dir();
    if std::env::var_os(REGENERATE).is_some() {
        generate(&dir).unwrap();
    }
    for (rel, vf) in suites().unwrap() {
        let want = vf.to_json_pretty().unwrap();
        let got = fs::read_to_string(dir.join(&rel)).unwrap_or_default();
        assert!(
            got == want,
            "vectors/{rel} differs from the generator: run `mtproto-harness vectors generate` \
             (or this test with {REGENERATE}=1) and review the diff"
        );
    }
}

#[test]
fn generate_into_a_fresh_directory_gives_the_committed_bytes() {
    if std::env::var_os(REGENERATE).is_some() {
        // The committed files are being rewritten concurrently by the test above.
        return;
    }
    let out = std::env::temp_dir().join(format!("mtproto-vectors-gen-{}", std::process::id()));
    let _ = fs::remove_dir_all(&out);
    let written = generate(&out).unwrap();
    // 29 suites and the 27 schema files (26 group types and common.json).
    assert_eq!(written.len(), 29 + 27);
    assert_eq!(
        written
            .iter()
            .filter(|p| p.starts_with(out.join("schemas")))
            .count(),
        mtproto_vectors::registry::SCHEMAS.len()
    );
    // `vectors generate --out D` then `lint D` passes: the schemas come with the suites.
    assert_eq!(lint_paths(std::slice::from_ref(&out)).unwrap(), 29);
    for path in &written {
        let rel = path.strip_prefix(&out).unwrap();
        let fresh = fs::read(path).unwrap();
        assert!(
            fresh.ends_with(b"}\n"),
            "{} lacks the trailing newline",
            rel.display()
        );
        assert!(
            fresh == fs::read(vectors_dir().join(rel)).unwrap_or_default(),
            "{} differs from the committed file",
            rel.display()
        );
    }
    fs::remove_dir_all(&out).unwrap();
}

/// Fuzz findings turned into cases (`mtproto-harness fuzz-to-vector`) live beside the generated
/// files as `*_fuzz_test.json`; the generator does not write them.
fn fuzz_finding_files() -> usize {
    mtproto_vectors::find_files(&[vectors_dir()])
        .unwrap()
        .iter()
        .filter(|p| p.to_string_lossy().ends_with("_fuzz_test.json"))
        .count()
}

#[test]
fn shipped_vectors_lint_clean() {
    assert_eq!(
        lint_paths(&[vectors_dir()]).unwrap(),
        suites().unwrap().len() + fuzz_finding_files()
    );
}

#[test]
fn every_note_is_used_and_every_case_is_checked_by_the_reference() {
    for vf in load_paths(&[vectors_dir()]).unwrap() {
        let used: BTreeSet<&String> = vf
            .test_groups
            .iter()
            .flat_map(TestGroup::headers)
            .flat_map(|h| h.flags.iter())
            .collect();
        let notes: BTreeSet<&String> = vf.notes.keys().collect();
        assert_eq!(used, notes, "{}: notes and flags differ", vf.path);
    }
}

fn run_family(family: &str, at_least: usize) -> Vec<CaseResult> {
    let files = load_paths(&[vectors_dir().join(family)]).unwrap();
    let mut iut = ReferenceIut::new();
    let mut results = Vec::new();
    let mut seen = 0usize;
    for vf in &files {
        assert_eq!(vf.family, family);
        results.extend(run_file(
            vf,
            &mut iut,
            &RunOptions::default(),
            &|_| true,
            &mut |_| seen += 1,
        ));
    }
    assert_eq!(seen, results.len());
    let failed: Vec<String> = results
        .iter()
        .filter(|r| r.outcome != Outcome::Pass)
        .map(|r| format!("{} #{} {:?}: {}", r.file, r.tc_id, r.outcome, r.detail))
        .collect();
    assert!(
        failed.is_empty(),
        "the reference fails:\n{}",
        failed.join("\n")
    );
    assert!(
        results.len() >= at_least,
        "{family}: {} cases, expected at least {at_least}",
        results.len()
    );
    results
}

#[test]
fn reference_passes_every_ige_case() {
    run_family("ige", 150);
}

#[test]
fn reference_passes_every_kdf_case() {
    run_family("kdf", 200);
}

#[test]
fn reference_passes_every_secret_chat_case() {
    let results = run_family("secret", 150);
    // Every expected error is named exactly (an acceptable case's detail says which way the
    // reference went).
    let named: Vec<_> = results
        .iter()
        .filter(|r| r.expected != mtproto_vectors::Verdict::Acceptable && !r.detail.is_empty())
        .collect();
    assert!(named.is_empty(), "{named:?}");
}

#[test]
fn reference_passes_every_call_case() {
    let results = run_family("call", 340);
    assert!(results.iter().all(|r| r.detail.is_empty()));
}

#[test]
fn reference_passes_every_envelope_case() {
    let results = run_family("envelope", 200);
    // Every error the envelope suites expect is named exactly, never a "different error".
    assert!(results.iter().all(|r| r.detail.is_empty()));
}

/// Every shipped IGE vector through every code path of the reference: whole buffer,
/// block by block, and split at each block boundary then resumed, both directions.
#[test]
fn ige_vectors_hold_for_every_way_of_cutting_the_buffer() {
    use aes::{Aes128, Aes256Dec, Aes256Enc};
    use cipher::KeyInit;
    use mtproto::crypto::ige::{IgeDecryptor, IgeEncryptor};

    fn encrypt(key: &[u8], iv: &[u8; 32], parts: &mut [&mut [u8]]) {
        match key.len() {
            16 => {
                let mut e = IgeEncryptor::new(Aes128::new_from_slice(key).unwrap(), iv);
                parts.iter_mut().for_each(|p| e.encrypt(p).unwrap());
            }
            _ => {
                let mut e = IgeEncryptor::new(Aes256Enc::new_from_slice(key).unwrap(), iv);
                parts.iter_mut().for_each(|p| e.encrypt(p).unwrap());
            }
        }
    }
    fn decrypt(key: &[u8], iv: &[u8; 32], parts: &mut [&mut [u8]]) {
        match key.len() {
            16 => {
                let mut d = IgeDecryptor::new(Aes128::new_from_slice(key).unwrap(), iv);
                parts.iter_mut().for_each(|p| d.decrypt(p).unwrap());
            }
            _ => {
                let mut d = IgeDecryptor::new(Aes256Dec::new_from_slice(key).unwrap(), iv);
                parts.iter_mut().for_each(|p| d.decrypt(p).unwrap());
            }
        }
    }
    let mut checked = 0;
    for vf in load_paths(&[vectors_dir().join("ige")]).unwrap() {
        for group in &vf.test_groups {
            let TestGroup::Ige(g) = group else { continue };
            for case in g.tests.iter().filter(|c| c.result == Verdict::Valid) {
                let iv: [u8; 32] = case.iv.as_bytes().try_into().unwrap();
                let blocks = case.msg.len() / 16;
                // Whole buffer, one block at a time, and every two-way split (capped for speed).
                let mut cuts: Vec<Vec<usize>> = vec![vec![], (1..blocks).map(|b| b * 16).collect()];
                cuts.extend((1..blocks.min(12)).map(|b| vec![b * 16]));
                for cut in cuts {
                    for (input, want, enc) in
                        [(&case.msg, &case.ct, true), (&case.ct, &case.msg, false)]
                    {
                        let mut buf = input.as_bytes().to_vec();
                        let mut parts: Vec<&mut [u8]> = Vec::new();
                        let mut rest = buf.as_mut_slice();
                        let mut at = 0;
                        for &c in &cut {
                            let (head, tail) = rest.split_at_mut(c - at);
                            parts.push(head);
                            rest = tail;
                            at = c;
                        }
                        parts.push(rest);
                        if enc {
                            encrypt(case.key.as_bytes(), &iv, &mut parts);
                        } else {
                            decrypt(case.key.as_bytes(), &iv, &mut parts);
                        }
                        assert_eq!(
                            buf,
                            want.as_bytes(),
                            "{} #{} cut at {cut:?}",
                            vf.path,
                            case.tc_id
                        );
                    }
                }
                checked += 1;
            }
        }
    }
    assert!(checked > 100);
}

#[test]
fn invalid_encrypt_cases_break_exactly_the_rule_they_name() {
    let vf = load_paths(&[vectors_dir().join("envelope/envelope_encrypt_test.json")]).unwrap();
    let mut checked = 0;
    for group in &vf[0].test_groups {
        let TestGroup::Envelope(EnvelopeGroup::Encrypt(g)) = group else {
            panic!("not an encrypt group");
        };
        for c in &g.tests {
            let (body, pad) = (c.body.len(), c.padding.len());
            let mut broken = Vec::new();
            if body % 4 != 0 {
                broken.push("LengthNotAligned");
            }
            if pad < 12 {
                broken.push("PaddingTooShort");
            }
            if pad > 1024 {
                broken.push("PaddingTooLong");
            }
            if (32 + body + pad) % 16 != 0 {
                broken.push("NotBlockAligned");
            }
            let want: Vec<&str> = c.error.as_deref().into_iter().collect();
            assert_eq!(broken, want, "tcId {}: {}", c.tc_id, c.comment);
            checked += usize::from(c.result == Verdict::Invalid);
        }
    }
    assert!(checked >= 40, "{checked}");
}

#[test]
fn flags_and_provenance_say_what_they_mean() {
    let files = load_paths(&[vectors_dir()]).unwrap();
    for vf in &files {
        // Wycheproof's LEGACY is for acceptable legacy behaviour, which MTProto 1.0's msg_key
        // is not.
        if let Some(note) = vf.notes.get("PaddingInMsgKey") {
            assert_eq!(note.bug_type, "MISSING_STEP", "{}", vf.path);
        }
        // A Ktv case of a group whose verdict is this project's must say so; the only such case
        // (grammers' "Hello" packet rejected with LengthOutOfRange) is not flagged Ktv.
        for group in &vf.test_groups {
            if let TestGroup::Envelope(EnvelopeGroup::Decrypt(g)) = group {
                for c in &g.tests {
                    if c.flags.iter().any(|f| f == "Ktv") {
                        assert_eq!(c.result, Verdict::Valid, "{} tcId {}", vf.path, c.tc_id);
                    }
                }
            }
        }
    }
}
