//! The strict loader's family-independent part: finding and reading files, JSON errors with
//! paths and positions, and the rules every case obeys. The registry (`registry.rs`) hands each
//! test group to its family's parser and checks.
//!
//! Vector files are untrusted input. Loading rejects, with an error that names the file and the
//! JSON path (and the line and column where the parser knows them):
//!
//! - malformed JSON, a missing field, a field of the wrong type, an unknown field;
//! - a `type` this crate has no runner for, or one that does not match the file's `schema`;
//! - a wrong `numberOfTests`, a duplicate `tcId`, a flag without a note, an invalid `bugType`;
//! - hex that is not lowercase or has an odd number of digits, a value of the wrong byte length;
//! - an invalid case without `error` (or with an error name outside the vocabulary), a valid case
//!   with one, an acceptable case without a flag, fields a case's `result` does not allow;
//! - a path that does not exist or cannot be read.
//!
//! Nothing is skipped silently.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

use super::file::{BUG_TYPES, CaseGroup, CaseHeader, File, Hex, Note, Source};
use super::result::Verdict;
use super::vocabulary;

/// Why a vector file could not be loaded. `Display` gives `FILE: JSON.PATH: what is wrong`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadError {
    /// The file (or the path given, when it could not be read), `/`-separated.
    pub file: String,
    /// The JSON path inside the file (`testGroups[0].tests[3].iv`), when the error has one.
    pub path: Option<String>,
    /// Line and column (1-based) where the JSON parser found the problem, when it did.
    pub position: Option<(usize, usize)>,
    /// What is wrong.
    pub message: String,
}

impl LoadError {
    /// An error about `file` at JSON `path` (if any).
    pub fn new(file: &str, path: Option<String>, message: impl Into<String>) -> Self {
        Self {
            file: file.to_owned(),
            path,
            position: None,
            message: message.into(),
        }
    }

    /// An error about `file` at JSON `path`.
    pub fn at(file: &str, path: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(file, Some(path.into()), message)
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.file)?;
        if let Some(path) = &self.path {
            write!(f, "{path}: ")?;
        }
        f.write_str(&self.message)?;
        if let Some((line, column)) = self.position {
            write!(f, " (line {line}, column {column})")?;
        }
        Ok(())
    }
}

impl std::error::Error for LoadError {}

/// The largest vector file the loader reads (64 MiB): vector files are untrusted input.
pub const MAX_FILE_SIZE: u64 = 64 * 1024 * 1024;

/// Every vector file under `paths`: a file is taken as it is, a directory is walked for files
/// named `*_test.json`, and any other `*.json` file under it (outside a `schemas/` directory) is
/// an error, never a silent skip. The order is deterministic: the paths in the order given, each
/// directory's files sorted by path. A file reached twice (`vectors` and `./vectors`, or through
/// a symlink) is loaded once. Paths come back as [`normalize_path`] gives them.
pub fn find_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, LoadError> {
    let mut out = Vec::new();
    for path in paths {
        let path = normalize_path(path);
        let meta = fs::metadata(&path)
            .map_err(|e| LoadError::new(&display(&path), None, format!("cannot read: {e}")))?;
        if meta.is_dir() {
            let mut found = Vec::new();
            let in_schemas = path.file_name().is_some_and(|n| n == "schemas");
            walk(&path, in_schemas, &mut found)?;
            found.sort();
            out.extend(found.iter().map(|p| normalize_path(p)));
        } else {
            out.push(path);
        }
    }
    let mut seen = std::collections::HashSet::new();
    out.retain(|p| seen.insert(fs::canonicalize(p).unwrap_or_else(|_| p.clone())));
    Ok(out)
}

fn walk(dir: &Path, in_schemas: bool, out: &mut Vec<PathBuf>) -> Result<(), LoadError> {
    let entries = fs::read_dir(dir)
        .map_err(|e| LoadError::new(&display(dir), None, format!("cannot read: {e}")))?;
    for entry in entries {
        let entry =
            entry.map_err(|e| LoadError::new(&display(dir), None, format!("cannot read: {e}")))?;
        let path = entry.path();
        let kind = entry
            .file_type()
            .map_err(|e| LoadError::new(&display(&path), None, format!("cannot read: {e}")))?;
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if kind.is_dir() {
            walk(&path, in_schemas || name == "schemas", out)?;
        } else if name.ends_with("_test.json") {
            out.push(path);
        } else if name.ends_with(".json") && !in_schemas {
            return Err(LoadError::new(
                &display(&normalize_path(&path)),
                None,
                "not a vector file: name must end in _test.json (or move it out of the \
                 directories given to run)",
            ));
        }
    }
    Ok(())
}

/// `path` as reports name it: lexically normalized (no `.` components, `..` folded into the
/// component before it) and, when it lies under the current directory, relative to that
/// directory. No file system access beyond asking for the current directory: symlinks are not
/// resolved. `vectors/ige/x.json`, `./vectors/ige/x.json`, `vectors/../vectors/ige/x.json` and
/// `$PWD/vectors/ige/x.json` all give `vectors/ige/x.json`.
pub fn normalize_path(path: &Path) -> PathBuf {
    let cwd = std::env::current_dir().ok().map(|c| lexical(&c));
    let full = match &cwd {
        Some(c) if path.is_relative() => lexical(&c.join(path)),
        _ => lexical(path),
    };
    match cwd.as_deref().and_then(|c| full.strip_prefix(c).ok()) {
        Some(rel) if rel.as_os_str().is_empty() => PathBuf::from("."),
        Some(rel) => rel.to_path_buf(),
        None => full,
    }
}

/// [`normalize_path`] on a `/`-separated string (a file name or a file glob), `/`-separated.
pub fn normalize_name(name: &str) -> String {
    display(&normalize_path(Path::new(&name.replace('\\', "/"))))
}

fn lexical(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => match out.components().next_back() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                // `/..` is `/`.
                Some(Component::RootDir | Component::Prefix(_)) => {}
                _ => out.push(".."),
            },
            other => out.push(other),
        }
    }
    out
}

/// A path as it appears in reports: as given, `/`-separated.
pub fn display(path: &Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}

/// The text of a vector file. It must be a regular file (after following symlinks: a FIFO or a
/// device is an error, not a hang) of at most [`MAX_FILE_SIZE`] bytes.
pub fn read_file(path: &Path) -> Result<String, LoadError> {
    read_bounded(path).map_err(|m| LoadError::new(&display(path), None, m))
}

fn read_bounded(path: &Path) -> Result<String, String> {
    use std::io::Read;
    let not_regular = "not a regular file (a vector file must be a plain file)";
    let too_big = |len: u64| {
        format!("too large: {len} bytes (a vector file may have at most {MAX_FILE_SIZE} bytes)")
    };
    // Checked before opening: opening a FIFO blocks until a writer appears.
    let meta = fs::metadata(path).map_err(|e| format!("cannot read: {e}"))?;
    if !meta.is_file() {
        return Err(not_regular.into());
    }
    if meta.len() > MAX_FILE_SIZE {
        return Err(too_big(meta.len()));
    }
    let file = fs::File::open(path).map_err(|e| format!("cannot read: {e}"))?;
    // The path may have been replaced since; the bound holds whatever is read.
    if !file.metadata().is_ok_and(|m| m.is_file()) {
        return Err(not_regular.into());
    }
    let mut bytes = Vec::new();
    file.take(MAX_FILE_SIZE.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read: {e}"))?;
    let len = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
    if len > MAX_FILE_SIZE {
        return Err(too_big(len));
    }
    String::from_utf8(bytes).map_err(|e| format!("cannot read: not UTF-8 text: {e}"))
}

/// A file's top level, its groups still raw text.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RawFile<'a> {
    /// `algorithm`.
    pub algorithm: String,
    /// `schema`.
    pub schema: String,
    /// `numberOfTests`.
    pub number_of_tests: u64,
    /// `header`.
    pub header: Vec<String>,
    /// `notes`.
    pub notes: BTreeMap<String, Note>,
    /// `testGroups`, each the raw text of one group.
    #[serde(borrow)]
    pub test_groups: Vec<&'a RawValue>,
}

#[derive(Deserialize)]
struct TypeOnly {
    #[serde(rename = "type")]
    group_type: Option<String>,
}

/// Turn a serde_json error found in `text[base..]` into a [`LoadError`] with the file's line and
/// column and the JSON path `prefix` + the error's own path.
fn json_error(
    file: &str,
    text: &str,
    base: usize,
    prefix: &str,
    path: Option<String>,
    err: &serde_json::Error,
) -> LoadError {
    let full = err.to_string();
    let message = if err.line() > 0 {
        full.rfind(" at line ")
            .and_then(|i| full.get(..i))
            .unwrap_or(&full)
            .to_owned()
    } else {
        full.clone()
    };
    let message = if err.is_syntax() || err.is_eof() {
        format!("malformed JSON: {message}")
    } else {
        message
    };
    let position = (err.line() > 0).then(|| {
        let before = text.get(..base).unwrap_or("");
        let base_line = before.matches('\n').count().saturating_add(1);
        let base_col = before.rfind('\n').map_or(before.len(), |nl| {
            before.len().saturating_sub(nl.saturating_add(1))
        });
        if err.line() == 1 {
            (base_line, base_col.saturating_add(err.column()))
        } else {
            (
                base_line.saturating_add(err.line()).saturating_sub(1),
                err.column(),
            )
        }
    });
    // A syntax error has no meaningful JSON path (serde_path_to_error reports `?`).
    let path = if err.is_syntax() || err.is_eof() {
        None
    } else {
        path.filter(|p| p != "?")
    };
    let path = match (prefix.is_empty(), path.as_deref()) {
        (true, None | Some(".")) => None,
        (true, Some(p)) => Some(p.to_owned()),
        (false, None | Some(".")) => Some(prefix.to_owned()),
        (false, Some(p)) if p.starts_with('[') => Some(format!("{prefix}{p}")),
        (false, Some(p)) => Some(format!("{prefix}.{p}")),
    };
    LoadError {
        file: file.to_owned(),
        path,
        position,
        message,
    }
}

/// Parse `part`, a sub-slice of `text` (a group), as `T`; errors name `file`, the JSON path under
/// `prefix` and the position in the whole file.
pub fn parse_part<'a, T: DeserializeOwned>(
    file: &str,
    text: &'a str,
    part: &'a str,
    prefix: &str,
) -> Result<T, LoadError> {
    // `part` is a sub-slice of `text` (a `RawValue` borrowed from it): its offset gives positions
    // relative to the whole file.
    let base = (part.as_ptr() as usize).saturating_sub(text.as_ptr() as usize);
    let mut de = serde_json::Deserializer::from_str(part);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        json_error(file, text, base, prefix, Some(path), e.inner())
    })?;
    de.end()
        .map_err(|e| json_error(file, text, base, prefix, None, &e))?;
    Ok(value)
}

/// A group's raw text and where it is, handed to a family's parser.
#[derive(Clone, Copy, Debug)]
pub struct Part<'a> {
    /// The file, for errors.
    pub file: &'a str,
    /// The whole file's text (for positions).
    pub text: &'a str,
    /// The group's text, a sub-slice of `text`.
    pub raw: &'a str,
    /// The group's JSON path (`testGroups[2]`).
    pub prefix: &'a str,
}

impl Part<'_> {
    /// Parse the group as `T`.
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, LoadError> {
        parse_part(self.file, self.text, self.raw, self.prefix)
    }

    /// An error at `field` of the group.
    pub fn err(&self, field: &str, message: impl Into<String>) -> LoadError {
        LoadError::at(self.file, format!("{}.{field}", self.prefix), message)
    }
}

/// Parse the top level of a vector file's text; `file` names it in errors. The top level must be a
/// JSON object (serde would also take an array of the fields in order; the schemas do not).
pub fn parse_raw<'a>(text: &'a str, file: &str) -> Result<RawFile<'a>, LoadError> {
    let mut de = serde_json::Deserializer::from_str(text);
    let raw: RawFile<'_> = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        json_error(file, text, 0, "", Some(path), e.inner())
    })?;
    de.end()
        .map_err(|e| json_error(file, text, 0, "", None, &e))?;
    if !text.trim_start().starts_with('{') {
        return Err(LoadError::new(
            file,
            None,
            "the file must be a JSON object (an array of the fields in order is not the format)",
        ));
    }
    Ok(raw)
}

/// The `type` of a group's raw text.
pub fn group_type(part: &Part<'_>) -> Result<String, LoadError> {
    let tag: TypeOnly = part.parse()?;
    tag.group_type
        .ok_or_else(|| part.err("type", "missing field `type`"))
}

/// Where `typed` (a loaded value serialized back) has an object and `raw` (the file's JSON) has
/// an array: serde takes a struct written as an array of its fields in order, which the format
/// (and the schemas) forbid. Both `run` and `lint` load through this check.
pub fn check_object_form(
    file: &str,
    raw: &serde_json::Value,
    typed: &serde_json::Value,
) -> Result<(), LoadError> {
    fn walk(
        raw: &serde_json::Value,
        typed: &serde_json::Value,
        path: &mut String,
    ) -> Option<String> {
        use serde_json::Value;
        match (raw, typed) {
            (Value::Array(_), Value::Object(_)) => Some(path.clone()),
            (Value::Object(r), Value::Object(t)) => r.iter().find_map(|(k, rv)| {
                let tv = t.get(k)?;
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(k);
                let found = walk(rv, tv, path);
                path.truncate(len);
                found
            }),
            (Value::Array(r), Value::Array(t)) => {
                r.iter().zip(t).enumerate().find_map(|(i, (rv, tv))| {
                    let len = path.len();
                    path.push_str(&format!("[{i}]"));
                    let found = walk(rv, tv, path);
                    path.truncate(len);
                    found
                })
            }
            _ => None,
        }
    }
    match walk(raw, typed, &mut String::new()) {
        None => Ok(()),
        Some(path) => Err(LoadError::new(
            file,
            (!path.is_empty()).then_some(path),
            "an object written as an array of its fields: the format takes objects only",
        )),
    }
}

/// An error at JSON `path` of `file` (the families' loader checks).
pub fn err(file: &str, path: String, message: impl Into<String>) -> LoadError {
    LoadError::at(file, path, message)
}

/// The format rules serde cannot express that hold for every family: bug types, the case count,
/// unique tcIds, flags with notes, result and error consistent with the vocabulary and with
/// `allowed_errors` of the group's type, source names. The family's own checks come after.
pub fn check_file<G: CaseGroup>(
    vf: &File<G>,
    allowed_errors: &dyn Fn(&str) -> Option<&'static [&'static str]>,
) -> Result<(), LoadError> {
    let file = vf.path.as_str();
    for (name, note) in &vf.notes {
        if !BUG_TYPES.contains(&note.bug_type.as_str()) {
            return Err(LoadError::at(
                file,
                format!("notes.{name}.bugType"),
                format!(
                    "invalid bugType {:?}: expected one of Wycheproof's {}",
                    note.bug_type,
                    BUG_TYPES.join(", ")
                ),
            ));
        }
    }
    let total: usize = vf.test_groups.iter().map(CaseGroup::len).sum();
    if u64::try_from(total).ok() != Some(vf.number_of_tests) {
        return Err(LoadError::at(
            file,
            "numberOfTests",
            format!(
                "says {}, but the file has {total} tests",
                vf.number_of_tests
            ),
        ));
    }
    let mut seen: HashMap<u64, String> = HashMap::new();
    for (g, group) in vf.test_groups.iter().enumerate() {
        for (t, case) in group.headers().iter().enumerate() {
            let at = format!("testGroups[{g}].tests[{t}]");
            if let Some(first) = seen.insert(case.tc_id, at.clone()) {
                return Err(LoadError::at(
                    file,
                    format!("{at}.tcId"),
                    format!("duplicate tcId {} (first at {first})", case.tc_id),
                ));
            }
            check_header(
                vf,
                &at,
                allowed_errors(group.type_name()),
                group.type_name(),
                case,
            )?;
        }
        check_source(file, g, group.source())?;
    }
    Ok(())
}

/// `source.name`: `self` or the independent origin, a lowercase name, or
/// `fuzz:TARGET` for a fuzz finding, as the schema's pattern
/// `^([a-z][a-z0-9.-]*|fuzz:[a-z][a-z0-9_]*)$` says.
fn check_source(file: &str, g: usize, source: &Source) -> Result<(), LoadError> {
    let name = source.name.as_str();
    if super::schema::source_name(name) {
        return Ok(());
    }
    Err(LoadError::at(
        file,
        format!("testGroups[{g}].source.name"),
        format!(
            "invalid source name {name:?}: expected `self`, the origin's lowercase name \
             (letters, digits, '.', '-'; starting with a letter) or fuzz:TARGET"
        ),
    ))
}

fn check_header<G>(
    vf: &File<G>,
    at: &str,
    allowed: Option<&[&str]>,
    group_type: &str,
    case: &CaseHeader<'_>,
) -> Result<(), LoadError> {
    let file = vf.path.as_str();
    if case.tc_id == 0 {
        return Err(LoadError::at(
            file,
            format!("{at}.tcId"),
            "tcId 0: tcIds start at 1",
        ));
    }
    for (k, flag) in case.flags.iter().enumerate() {
        if let Some(first) = case.flags.iter().take(k).position(|f| f == flag) {
            return Err(LoadError::at(
                file,
                format!("{at}.flags[{k}]"),
                format!("duplicate flag {flag:?} (first at flags[{first}])"),
            ));
        }
        if !vf.notes.contains_key(flag) {
            return Err(LoadError::at(
                file,
                format!("{at}.flags[{k}]"),
                format!("flag {flag:?} has no entry in notes"),
            ));
        }
    }
    match (case.result, case.error) {
        (Verdict::Invalid, None) => {
            return Err(LoadError::at(
                file,
                format!("{at}.error"),
                "an invalid case must name the error it expects",
            ));
        }
        (Verdict::Valid, Some(_)) => {
            return Err(LoadError::at(
                file,
                format!("{at}.error"),
                "a valid case cannot expect an error",
            ));
        }
        (_, Some(e)) if !vocabulary::is_error(e) => {
            return Err(LoadError::at(
                file,
                format!("{at}.error"),
                format!(
                    "unknown error name {e:?}: expected one of {}",
                    vocabulary::errors().join(", ")
                ),
            ));
        }
        (_, Some(e)) => {
            if let Some(allowed) = allowed
                && !allowed.contains(&e)
            {
                return Err(LoadError::at(
                    file,
                    format!("{at}.error"),
                    format!(
                        "error {e:?} cannot come from a {group_type} case: expected one of {}",
                        allowed.join(", ")
                    ),
                ));
            }
        }
        _ => {}
    }
    if case.result == Verdict::Acceptable && case.flags.is_empty() {
        return Err(LoadError::at(
            file,
            format!("{at}.flags"),
            "an acceptable case must carry a flag that says why",
        ));
    }
    Ok(())
}

/// `value` must have one of the `allowed` byte lengths.
pub fn check_len(
    file: &str,
    at: &str,
    field: &str,
    value: &Hex,
    allowed: &[usize],
) -> Result<(), LoadError> {
    if allowed.contains(&value.len()) {
        return Ok(());
    }
    let want = allowed
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" or ");
    Err(LoadError::at(
        file,
        format!("{at}.{field}"),
        format!("expected {want} bytes, got {}", value.len()),
    ))
}

/// [`check_len`] for an optional value.
pub fn check_opt_len(
    file: &str,
    at: &str,
    field: &str,
    value: Option<&Hex>,
    allowed: &[usize],
) -> Result<(), LoadError> {
    value.map_or(Ok(()), |v| check_len(file, at, field, v, allowed))
}
