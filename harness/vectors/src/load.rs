//! The strict loader (DESIGN.md §3, STYLE.md 6).
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

use crate::model::{
    BUG_TYPES, CaseHeader, ERRORS, EnvelopeDecryptGroup, EnvelopeEncryptGroup, GROUP_TYPES, Hex,
    IgeGroup, MsgKeyGroup, Note, Source, TestGroup, VectorFile, allowed_errors,
};
use crate::result::Verdict;

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
    fn new(file: &str, path: Option<String>, message: impl Into<String>) -> Self {
        Self {
            file: file.to_owned(),
            path,
            position: None,
            message: message.into(),
        }
    }

    fn at(file: &str, path: impl Into<String>, message: impl Into<String>) -> Self {
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

/// The family of a file: the directory right after a `vectors` directory in its path, else the
/// name of its parent directory.
pub fn family_of(path: &str) -> String {
    let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    let dirs = parts.split_last().map_or(&[][..], |(_, dirs)| dirs);
    if let Some(i) = dirs.iter().rposition(|&p| p == "vectors")
        && let Some(next) = dirs.get(i.saturating_add(1))
    {
        return (*next).to_owned();
    }
    dirs.last().map_or_else(String::new, |d| (*d).to_owned())
}

/// Load and check every vector file under `paths` (see [`find_files`]).
pub fn load_paths(paths: &[PathBuf]) -> Result<Vec<VectorFile>, LoadError> {
    find_files(paths)?.iter().map(|p| load_file(p)).collect()
}

/// Load and check one vector file. It must be a regular file (after following symlinks: a
/// FIFO or a device is an error, not a hang) of at most [`MAX_FILE_SIZE`] bytes.
pub fn load_file(path: &Path) -> Result<VectorFile, LoadError> {
    let name = display(path);
    let text = read_bounded(path).map_err(|m| LoadError::new(&name, None, m))?;
    parse_str(&text, &name)
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

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RawFile<'a> {
    algorithm: String,
    schema: String,
    number_of_tests: u64,
    header: Vec<String>,
    notes: BTreeMap<String, Note>,
    #[serde(borrow)]
    test_groups: Vec<&'a RawValue>,
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

pub(crate) fn parse_part<'a, T: DeserializeOwned>(
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

/// Parse and check the text of a vector file; `file` names it in errors.
pub fn parse_str(text: &str, file: &str) -> Result<VectorFile, LoadError> {
    let mut de = serde_json::Deserializer::from_str(text);
    let raw: RawFile<'_> = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        json_error(file, text, 0, "", Some(path), e.inner())
    })?;
    de.end()
        .map_err(|e| json_error(file, text, 0, "", None, &e))?;

    let Some(&(schema_type, _)) = GROUP_TYPES.iter().find(|(_, s)| *s == raw.schema) else {
        return Err(LoadError::at(
            file,
            "schema",
            format!(
                "unknown schema {:?}; this runner knows {}",
                raw.schema,
                GROUP_TYPES
                    .iter()
                    .map(|(_, s)| *s)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    };

    let mut groups = Vec::with_capacity(raw.test_groups.len());
    for (i, part) in raw.test_groups.iter().enumerate() {
        let prefix = format!("testGroups[{i}]");
        let tag: TypeOnly = parse_part(file, text, part.get(), &prefix)?;
        let Some(group_type) = tag.group_type else {
            return Err(LoadError::at(
                file,
                format!("{prefix}.type"),
                "missing field `type`",
            ));
        };
        let group = match group_type.as_str() {
            "IgeTest" => TestGroup::Ige(parse_part::<IgeGroup>(file, text, part.get(), &prefix)?),
            "MsgKeyTest" => {
                TestGroup::MsgKey(parse_part::<MsgKeyGroup>(file, text, part.get(), &prefix)?)
            }
            "EnvelopeEncryptTest" => TestGroup::EnvelopeEncrypt(
                parse_part::<EnvelopeEncryptGroup>(file, text, part.get(), &prefix)?,
            ),
            "EnvelopeDecryptTest" => TestGroup::EnvelopeDecrypt(
                parse_part::<EnvelopeDecryptGroup>(file, text, part.get(), &prefix)?,
            ),
            "DhParamsTest" => {
                TestGroup::Handshake(crate::handshake::Group::DhParams(parse_part::<
                    crate::handshake::DhParamsGroup,
                >(
                    file,
                    text,
                    part.get(),
                    &prefix,
                )?))
            }
            "DhValueTest" => TestGroup::Handshake(crate::handshake::Group::DhValue(parse_part::<
                crate::handshake::DhValueGroup,
            >(
                file,
                text,
                part.get(),
                &prefix,
            )?)),
            "PqTest" => TestGroup::Handshake(crate::handshake::Group::Pq(parse_part::<
                crate::handshake::PqGroup,
            >(
                file,
                text,
                part.get(),
                &prefix,
            )?)),
            "HandshakeTest" => {
                // The role decides the case shape (client or server transcript).
                let role: crate::handshake::RoleOnly = parse_part(file, text, part.get(), &prefix)?;
                TestGroup::Handshake(if role.role.as_deref() == Some("server") {
                    crate::handshake::Group::HandshakeServer(parse_part(
                        file,
                        text,
                        part.get(),
                        &prefix,
                    )?)
                } else {
                    crate::handshake::Group::Handshake(parse_part(file, text, part.get(), &prefix)?)
                })
            }
            "MsgIdTraceTest" => TestGroup::MsgIdTrace(
                parse_part::<crate::session::MsgIdTraceGroup>(file, text, part.get(), &prefix)?,
            ),
            "TransportTest" => TestGroup::Transport(
                parse_part::<crate::transport::TransportGroup>(file, text, part.get(), &prefix)?,
            ),
            "TlIdTest" => TestGroup::TlId(parse_part::<crate::tl::TlIdGroup>(
                file,
                text,
                part.get(),
                &prefix,
            )?),
            "TlCodecTest" => TestGroup::TlCodec(parse_part::<crate::tl::TlCodecGroup>(
                file,
                text,
                part.get(),
                &prefix,
            )?),
            t if crate::secret::is_type(t) => {
                TestGroup::Secret(crate::secret::parse(file, text, part.get(), &prefix, t)?)
            }
            other => {
                return Err(LoadError::at(
                    file,
                    format!("{prefix}.type"),
                    format!(
                        "unknown test-group type {other:?}: this runner has no runner for it \
                         (it knows {})",
                        GROUP_TYPES
                            .iter()
                            .map(|(t, _)| *t)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
            }
        };
        if group.type_name() != schema_type {
            return Err(LoadError::at(
                file,
                format!("{prefix}.type"),
                format!(
                    "a {} group in a file whose schema {:?} is for {schema_type}",
                    group.type_name(),
                    raw.schema
                ),
            ));
        }
        groups.push(group);
    }

    let vf = VectorFile {
        path: file.to_owned(),
        family: family_of(file),
        algorithm: raw.algorithm,
        schema: raw.schema,
        number_of_tests: raw.number_of_tests,
        header: raw.header,
        notes: raw.notes,
        test_groups: groups,
    };
    check(&vf)?;
    Ok(vf)
}

/// The format rules serde cannot express.
fn check(vf: &VectorFile) -> Result<(), LoadError> {
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
    let total: usize = vf.test_groups.iter().map(TestGroup::len).sum();
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
            check_header(vf, &at, group.type_name(), case)?;
        }
        check_source(file, g, group.source())?;
        check_group(file, g, group)?;
    }
    Ok(())
}

/// `source.name` (DESIGN.md §3): `self` or the independent origin, a lowercase name, or
/// `fuzz:TARGET` for a fuzz finding, as the schema's pattern
/// `^([a-z][a-z0-9.-]*|fuzz:[a-z][a-z0-9_]*)$` says.
fn check_source(file: &str, g: usize, source: &Source) -> Result<(), LoadError> {
    let name = source.name.as_str();
    if crate::schema::source_name(name) {
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

fn check_header(
    vf: &VectorFile,
    at: &str,
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
        (_, Some(e)) if !ERRORS.contains(&e) => {
            return Err(LoadError::at(
                file,
                format!("{at}.error"),
                format!(
                    "unknown error name {e:?}: expected one of {}",
                    ERRORS.join(", ")
                ),
            ));
        }
        (_, Some(e)) => {
            if let Some(allowed) = allowed_errors(group_type)
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

fn check_len(
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

fn check_opt_len(
    file: &str,
    at: &str,
    field: &str,
    value: Option<&Hex>,
    allowed: &[usize],
) -> Result<(), LoadError> {
    value.map_or(Ok(()), |v| check_len(file, at, field, v, allowed))
}

fn check_group(file: &str, g: usize, group: &TestGroup) -> Result<(), LoadError> {
    let at = |t: usize| format!("testGroups[{g}].tests[{t}]");
    match group {
        TestGroup::MsgIdTrace(group) => crate::session::check_group(file, g, group)?,
        TestGroup::Transport(group) => crate::transport::check_group(file, g, group)?,
        TestGroup::TlId(group) => crate::tl::check_id_group(file, g, group)?,
        TestGroup::TlCodec(group) => crate::tl::check_codec_group(file, g, group)?,
        TestGroup::Handshake(group) => crate::handshake::check_group(file, g, group)?,
        TestGroup::Secret(group) => crate::secret::check_group(file, g, group)?,
        TestGroup::Ige(group) => {
            for (t, c) in group.tests.iter().enumerate() {
                check_len(file, &at(t), "key", &c.key, &[16, 32])?;
                check_len(file, &at(t), "iv", &c.iv, &[32])?;
                if c.result == Verdict::Valid && c.msg.len() != c.ct.len() {
                    return Err(LoadError::at(
                        file,
                        format!("{}.ct", at(t)),
                        format!(
                            "a valid case's ct must be as long as msg ({} bytes), got {}",
                            c.msg.len(),
                            c.ct.len()
                        ),
                    ));
                }
            }
        }
        TestGroup::MsgKey(group) => {
            for (t, c) in group.tests.iter().enumerate() {
                check_len(file, &at(t), "authKey", &c.auth_key, &[256])?;
                check_len(file, &at(t), "msgKey", &c.msg_key, &[16])?;
                check_opt_len(file, &at(t), "aesKey", c.aes_key.as_ref(), &[32])?;
                check_opt_len(file, &at(t), "aesIv", c.aes_iv.as_ref(), &[32])?;
                if c.result != Verdict::Valid {
                    return Err(LoadError::at(
                        file,
                        format!("{}.result", at(t)),
                        "a MsgKeyTest case is always valid (a derivation cannot be rejected)",
                    ));
                }
                match (&c.aes_key, &c.aes_iv) {
                    (Some(_), None) => {
                        return Err(LoadError::at(
                            file,
                            format!("{}.aesIv", at(t)),
                            "missing: aesKey and aesIv come together",
                        ));
                    }
                    (None, Some(_)) => {
                        return Err(LoadError::at(
                            file,
                            format!("{}.aesKey", at(t)),
                            "missing: aesKey and aesIv come together",
                        ));
                    }
                    (None, None) if c.plaintext.is_none() => {
                        return Err(LoadError::at(
                            file,
                            at(t),
                            "a MsgKeyTest case needs plaintext, or aesKey and aesIv, to check",
                        ));
                    }
                    _ => {}
                }
            }
        }
        TestGroup::EnvelopeEncrypt(group) => {
            for (t, c) in group.tests.iter().enumerate() {
                check_len(file, &at(t), "authKey", &c.auth_key, &[256])?;
                check_len(file, &at(t), "salt", &c.salt, &[8])?;
                check_len(file, &at(t), "sessionId", &c.session_id, &[8])?;
                check_len(file, &at(t), "msgId", &c.msg_id, &[8])?;
                match (c.result, &c.packet) {
                    (Verdict::Valid, None) => {
                        return Err(LoadError::at(
                            file,
                            format!("{}.packet", at(t)),
                            "missing: a valid EnvelopeEncryptTest case gives the packet",
                        ));
                    }
                    (Verdict::Invalid, Some(_)) => {
                        return Err(LoadError::at(
                            file,
                            format!("{}.packet", at(t)),
                            "an invalid EnvelopeEncryptTest case has no packet",
                        ));
                    }
                    _ => {}
                }
            }
        }
        TestGroup::EnvelopeDecrypt(group) => {
            for (t, c) in group.tests.iter().enumerate() {
                check_len(file, &at(t), "authKey", &c.auth_key, &[256])?;
                check_len(file, &at(t), "sessionId", &c.session_id, &[8])?;
                check_opt_len(file, &at(t), "salt", c.salt.as_ref(), &[8])?;
                check_opt_len(file, &at(t), "msgId", c.msg_id.as_ref(), &[8])?;
                let present = [
                    ("salt", c.salt.is_some()),
                    ("msgId", c.msg_id.is_some()),
                    ("seqNo", c.seq_no.is_some()),
                    ("body", c.body.is_some()),
                ];
                let missing = present.iter().find(|(_, p)| !p).map(|(n, _)| *n);
                let extra = present.iter().find(|(_, p)| *p).map(|(n, _)| *n);
                match (c.result, missing, extra) {
                    (Verdict::Valid, Some(field), _) => {
                        return Err(LoadError::at(
                            file,
                            format!("{}.{field}", at(t)),
                            "missing: a valid EnvelopeDecryptTest case gives salt, msgId, seqNo \
                             and body",
                        ));
                    }
                    (Verdict::Invalid, _, Some(field)) => {
                        return Err(LoadError::at(
                            file,
                            format!("{}.{field}", at(t)),
                            "an invalid EnvelopeDecryptTest case has no decrypted fields",
                        ));
                    }
                    (Verdict::Acceptable, Some(field), Some(_)) => {
                        return Err(LoadError::at(
                            file,
                            format!("{}.{field}", at(t)),
                            "missing: an acceptable case gives all of salt, msgId, seqNo and \
                             body, or none",
                        ));
                    }
                    _ => {}
                }
            }
        }
    }
    Ok(())
}
