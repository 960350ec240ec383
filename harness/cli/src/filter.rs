//! `--filter EXPR`: which cases a run executes.
//!
//! One expression is `KEY=VALUES` or `KEY!=VALUES`, where `VALUES` is a comma-separated list
//! (comma = OR within a key). Repeating `--filter` ANDs the expressions. Keys (case-insensitive):
//!
//! | key | matches | value syntax |
//! |---|---|---|
//! | `family` | the first directory under `vectors/` | name, `*` wildcard allowed |
//! | `file` | the vector file's path | glob: `*` and `?` stay within one path component, `**` crosses `/`; the pattern may match any trailing part of the path made of whole components (`ige/*` matches `vectors/ige/aes_test.json`) |
//! | `tcId` | the case's `tcId` | `7`, `3..9` (inclusive), `3..`, `..9` |
//! | `flag` | any flag of the case | name, `*` wildcard allowed |
//! | `bugType` | the `bugType` of any flag of the case | name, `*` wildcard allowed |
//! | `type` | the test group's type | name, `*` wildcard allowed |
//!
//! `KEY!=VALUES` selects the cases that match none of the values.

use std::fmt;

/// The fields of a case a filter looks at.
#[derive(Clone, Copy, Debug)]
pub struct CaseKey<'a> {
    /// The vector file, as in `CaseResult::file`.
    pub file: &'a str,
    /// The family.
    pub family: &'a str,
    /// The case's `tcId`.
    pub tc_id: u64,
    /// The test group's type.
    pub group_type: &'a str,
    /// The case's flags.
    pub flags: &'a [String],
    /// The `bugType` of each flag.
    pub bug_types: &'a [String],
}

/// Why a `--filter` expression was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FilterError {
    /// The expression as given.
    pub expr: String,
    /// What is wrong with it.
    pub reason: String,
}

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "bad --filter {:?}: {} (syntax: KEY=VALUE[,VALUE...] or KEY!=VALUE[,...] with KEY one of \
             family, file, tcId, flag, bugType, type; tcId takes N, N..M, N.. or ..M)",
            self.expr, self.reason
        )
    }
}

impl std::error::Error for FilterError {}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Key {
    Family,
    File,
    TcId,
    Flag,
    BugType,
    Type,
}

#[derive(Clone, Debug)]
enum Value {
    Pattern(Vec<Tok>),
    Range { lo: u64, hi: u64 },
}

/// A glob token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tok {
    Char(char),
    /// `?`: one character (not `/` in file patterns).
    One,
    /// `*`: any run of characters (not `/` in file patterns).
    Star,
    /// `**`: any run of characters, `/` included.
    StarStar,
}

#[derive(Clone, Debug)]
struct Clause {
    key: Key,
    negate: bool,
    values: Vec<Value>,
}

/// A conjunction of `--filter` expressions. The empty filter selects every case.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    clauses: Vec<Clause>,
    exprs: Vec<String>,
}

impl Filter {
    /// Parses every `--filter` expression; all of them must match for a case to be selected.
    pub fn parse<S: AsRef<str>>(exprs: &[S]) -> Result<Self, FilterError> {
        let mut filter = Filter::default();
        for expr in exprs {
            let expr = expr.as_ref();
            filter.clauses.push(parse_clause(expr)?);
            filter.exprs.push(expr.to_owned());
        }
        Ok(filter)
    }

    /// The expressions as given, for reports.
    pub fn exprs(&self) -> &[String] {
        &self.exprs
    }

    /// Whether the filter selects every case.
    pub fn is_empty(&self) -> bool {
        self.clauses.is_empty()
    }

    /// Whether a case is selected.
    pub fn matches(&self, case: &CaseKey<'_>) -> bool {
        self.clauses.iter().all(|c| c.matches(case))
    }
}

impl Clause {
    fn matches(&self, case: &CaseKey<'_>) -> bool {
        let any = self.values.iter().any(|v| self.value_matches(v, case));
        any != self.negate
    }

    fn value_matches(&self, value: &Value, case: &CaseKey<'_>) -> bool {
        match (self.key, value) {
            (Key::TcId, Value::Range { lo, hi }) => (*lo..=*hi).contains(&case.tc_id),
            (Key::TcId, Value::Pattern(_)) => false,
            (_, Value::Range { .. }) => false,
            (Key::File, Value::Pattern(p)) => file_matches(p, case.file),
            (Key::Family, Value::Pattern(p)) => glob(p, case.family, false),
            (Key::Type, Value::Pattern(p)) => glob(p, case.group_type, false),
            (Key::Flag, Value::Pattern(p)) => case.flags.iter().any(|f| glob(p, f, false)),
            (Key::BugType, Value::Pattern(p)) => case.bug_types.iter().any(|b| glob(p, b, false)),
        }
    }
}

fn parse_clause(expr: &str) -> Result<Clause, FilterError> {
    let err = |reason: String| FilterError {
        expr: expr.to_owned(),
        reason,
    };
    let Some(eq) = expr.find('=') else {
        return Err(err("missing '=' between key and value".into()));
    };
    let (lhs, rhs) = expr.split_at(eq);
    let rhs = rhs.get(1..).unwrap_or_default();
    let (name, negate) = match lhs.strip_suffix('!') {
        Some(name) => (name, true),
        None => (lhs, false),
    };
    let name = name.trim();
    let key = match name.to_ascii_lowercase().as_str() {
        "family" => Key::Family,
        "file" => Key::File,
        "tcid" => Key::TcId,
        "flag" | "flags" => Key::Flag,
        "bugtype" => Key::BugType,
        "type" => Key::Type,
        "" => return Err(err("missing key before '='".into())),
        _ => return Err(err(format!("unknown key {name:?}"))),
    };
    // `family==x` is a typo for `family=x`, not a value starting with '=' (no name does).
    if rhs.starts_with('=') {
        return Err(err(format!(
            "'==' after the key: write {name}={} (or {name}!=...)",
            rhs.trim_start_matches('=')
        )));
    }
    let mut values = Vec::new();
    for raw in rhs.split(',') {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err(err("empty value".into()));
        }
        values.push(if key == Key::TcId {
            parse_range(raw).map_err(err)?
        } else if key == Key::File {
            // Reports name files lexically normalized, relative to the current directory: so is
            // the pattern (`./vectors/ige/*` and `$PWD/vectors/ige/*` are `vectors/ige/*`).
            Value::Pattern(tokens(&mtproto_vectors::load::normalize_name(raw)))
        } else {
            Value::Pattern(tokens(raw))
        });
    }
    Ok(Clause {
        key,
        negate,
        values,
    })
}

fn parse_range(raw: &str) -> Result<Value, String> {
    let num = |s: &str| -> Result<u64, String> {
        s.trim()
            .parse::<u64>()
            .map_err(|_| format!("{s:?} is not a tcId (a non-negative integer)"))
    };
    let Some((lo, hi)) = raw.split_once("..") else {
        let n = num(raw)?;
        return Ok(Value::Range { lo: n, hi: n });
    };
    let hi = hi.strip_prefix('=').unwrap_or(hi);
    if lo.trim().is_empty() && hi.trim().is_empty() {
        // `..` alone selects every case: a forgotten bound, not a filter.
        return Err(format!(
            "{raw:?} has neither bound (write N.., ..N or N..M)"
        ));
    }
    let lo = if lo.trim().is_empty() { 0 } else { num(lo)? };
    let hi = if hi.trim().is_empty() {
        u64::MAX
    } else {
        num(hi)?
    };
    if lo > hi {
        return Err(format!("empty range {raw:?} (start after end)"));
    }
    Ok(Value::Range { lo, hi })
}

fn tokens(pattern: &str) -> Vec<Tok> {
    let mut out = Vec::new();
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(match c {
            '*' if chars.peek() == Some(&'*') => {
                chars.next();
                Tok::StarStar
            }
            '*' => Tok::Star,
            '?' => Tok::One,
            c => Tok::Char(c),
        });
    }
    out
}

/// A file pattern matches the whole path or any suffix of it that starts at a component.
fn file_matches(pattern: &[Tok], path: &str) -> bool {
    let path = path.strip_prefix("./").unwrap_or(path);
    if glob(pattern, path, true) {
        return true;
    }
    path.match_indices('/').any(|(i, _)| {
        path.get(i + 1..)
            .is_some_and(|rest| glob(pattern, rest, true))
    })
}

/// Glob matching by dynamic programming over (pattern position, text position).
fn glob(pattern: &[Tok], text: &str, slash_sep: bool) -> bool {
    let text: Vec<char> = text.chars().collect();
    // reach[j]: the first i pattern tokens can match the first j characters.
    let mut reach = vec![false; text.len() + 1];
    if let Some(first) = reach.first_mut() {
        *first = true;
    }
    for tok in pattern {
        let mut next = vec![false; text.len() + 1];
        match tok {
            Tok::Star | Tok::StarStar => {
                let mut on = false;
                for (j, slot) in next.iter_mut().enumerate() {
                    if reach.get(j).copied().unwrap_or(false) {
                        on = true;
                    }
                    *slot = on;
                    // A single star cannot run past a '/' in file patterns.
                    let c = text.get(j).copied();
                    if *tok == Tok::Star && slash_sep && c == Some('/') {
                        on = false;
                    }
                }
            }
            Tok::One | Tok::Char(_) => {
                for (j, &c) in text.iter().enumerate() {
                    let ok = match tok {
                        Tok::One => !(slash_sep && c == '/'),
                        Tok::Char(p) => *p == c,
                        Tok::Star | Tok::StarStar => false,
                    };
                    if ok
                        && reach.get(j).copied().unwrap_or(false)
                        && let Some(slot) = next.get_mut(j + 1)
                    {
                        *slot = true;
                    }
                }
            }
        }
        reach = next;
    }
    reach.last().copied().unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case<'a>(file: &'a str, tc_id: u64, flags: &'a [String]) -> CaseKey<'a> {
        CaseKey {
            file,
            family: "envelope",
            tc_id,
            group_type: "EnvelopeDecryptTest",
            flags,
            bug_types: &[],
        }
    }

    #[test]
    fn ranges_and_lists() {
        let f = Filter::parse(&["tcId=3..5,9"]).unwrap();
        let hit: Vec<u64> = (0..12)
            .filter(|&n| f.matches(&case("vectors/a.json", n, &[])))
            .collect();
        assert_eq!(hit, [3, 4, 5, 9]);
        let f = Filter::parse(&["tcid=..2", "tcId!=1"]).unwrap();
        let hit: Vec<u64> = (0..5).filter(|&n| f.matches(&case("x", n, &[]))).collect();
        assert_eq!(hit, [0, 2]);
        let f = Filter::parse(&["tcId=10.."]).unwrap();
        assert!(f.matches(&case("x", u64::MAX, &[])));
        assert!(!f.matches(&case("x", 9, &[])));
    }

    #[test]
    fn file_globs() {
        let path = "vectors/ige/aes256_ige_test.json";
        for yes in [
            "ige/*",
            "*/ige/*.json",
            "aes256_ige_test.json",
            "vectors/**",
            "**/aes256*",
            "vectors/ige/aes???_ige_test.json",
            path,
        ] {
            let f = Filter::parse(&[format!("file={yes}")]).unwrap();
            assert!(f.matches(&case(path, 1, &[])), "{yes}");
        }
        // Patterns are normalized like the reported paths.
        let cwd = std::env::current_dir().unwrap();
        for yes in [
            "./vectors/ige/*".to_owned(),
            "vectors/../vectors/ige/./aes256_ige_test.json".to_owned(),
            format!("{}/vectors/ige/*", cwd.display()),
        ] {
            let f = Filter::parse(&[format!("file={yes}")]).unwrap();
            assert!(f.matches(&case(path, 1, &[])), "{yes}");
        }
        for no in ["ige", "kdf/*", "vectors/*", "ge/*", "*.jso"] {
            let f = Filter::parse(&[format!("file={no}")]).unwrap();
            assert!(!f.matches(&case(path, 1, &[])), "{no}");
        }
    }

    #[test]
    fn flags_and_families() {
        let flags = ["PaddingTooLong".to_owned(), "ModifiedTag".to_owned()];
        let f = Filter::parse(&["flag=Padding*", "family=envelope,ige"]).unwrap();
        assert!(f.matches(&case("x", 1, &flags)));
        let f = Filter::parse(&["flag!=ModifiedTag"]).unwrap();
        assert!(!f.matches(&case("x", 1, &flags)));
        assert!(f.matches(&case("x", 1, &[])));
        let f = Filter::parse(&["family=ige"]).unwrap();
        assert!(!f.matches(&case("x", 1, &flags)));
    }

    #[test]
    fn bad_expressions() {
        for bad in [
            "envelope",
            "=x",
            "colour=red",
            "tcId=abc",
            "tcId=5..3",
            "flag=",
            "flag=a,,b",
            "tcId=-1",
            // Defect 12 (issue 21): both were accepted.
            "tcId=..",
            "tcId=..=",
            "family==ige",
            "flag!==X",
        ] {
            let e = Filter::parse(&[bad]).unwrap_err();
            assert_eq!(e.expr, bad);
            assert!(e.to_string().contains("bad --filter"), "{e}");
        }
    }
}
