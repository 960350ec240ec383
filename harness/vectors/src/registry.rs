//! The registry: the one place that lists the families. From it come the test-group enum
//! ([`TestGroup`]), the table of group types ([`group_types`]: type, family, schema, allowed
//! errors), loading ([`parse_str`], [`load_file`], [`load_paths`]), linting ([`lint_paths`]),
//! running ([`run_file`]) and generating ([`suites`], [`generate`]).

use std::fs;
use std::path::{Path, PathBuf};

use mtproto_iut::Iut;
use serde::Serialize;

use crate::core::family::{Family, GroupType};
use crate::core::file::{CaseGroup, CaseHeader, File, Source};
use crate::core::generate::{GenerateError, gen_err};
use crate::core::judge::{Ran, RunOptions};
use crate::core::load::{self, LoadError, Part, display, find_files};
use crate::core::result::CaseResult;
use crate::core::schema;
use crate::families;

/// A loaded vector file.
pub type VectorFile = File<TestGroup>;

macro_rules! registry {
    ($($(#[$m:meta])* $variant:ident => $family:ty),* $(,)?) => {
        /// One test group, by family.
        #[derive(Clone, Debug, PartialEq, Serialize)]
        #[serde(untagged)]
        pub enum TestGroup {
            $($(#[$m])* $variant(<$family as Family>::Group),)*
        }

        impl CaseGroup for TestGroup {
            fn type_name(&self) -> &'static str {
                match self { $(Self::$variant(g) => g.type_name(),)* }
            }
            fn source(&self) -> &Source {
                match self { $(Self::$variant(g) => g.source(),)* }
            }
            fn headers(&self) -> Vec<CaseHeader<'_>> {
                match self { $(Self::$variant(g) => g.headers(),)* }
            }
            fn len(&self) -> usize {
                match self { $(Self::$variant(g) => g.len(),)* }
            }
        }

        // The same as inherent methods, so callers need not import the trait.
        impl TestGroup {
            /// The group's `type`.
            pub fn type_name(&self) -> &'static str {
                CaseGroup::type_name(self)
            }
            /// Where the group's numbers come from.
            pub fn source(&self) -> &Source {
                CaseGroup::source(self)
            }
            /// The common fields of every case, in order.
            pub fn headers(&self) -> Vec<CaseHeader<'_>> {
                CaseGroup::headers(self)
            }
            /// The number of cases.
            pub fn len(&self) -> usize {
                CaseGroup::len(self)
            }
            /// Whether the group has no cases.
            pub fn is_empty(&self) -> bool {
                CaseGroup::is_empty(self)
            }
        }

        /// Every group type of every family, in registry order.
        pub fn group_types() -> Vec<&'static GroupType> {
            let mut out = Vec::new();
            $(out.extend(<$family as Family>::GROUP_TYPES.iter());)*
            out
        }

        /// Parse one group of type `group_type` with its family's parser only: none of the
        /// loader's checks (for tests that need a case the loader would refuse). `None` for a type
        /// no family has.
        pub fn parse_group(part: &Part<'_>, group_type: &str) -> Option<Result<TestGroup, LoadError>> {
            $(
                if <$family as Family>::GROUP_TYPES.iter().any(|t| t.name == group_type) {
                    return Some(<$family as Family>::parse(part, group_type).map(TestGroup::$variant));
                }
            )*
            None
        }

        fn check_group(file: &str, g: usize, group: &TestGroup) -> Result<(), LoadError> {
            match group { $(TestGroup::$variant(x) => <$family as Family>::check(file, g, x),)* }
        }

        fn run_group(group: &TestGroup, index: usize, iut: &mut dyn Iut, opts: &RunOptions) -> Option<Ran> {
            match group { $(TestGroup::$variant(x) => <$family as Family>::run(x, index, iut, opts),)* }
        }

        /// Every shipped suite, in memory: `(path relative to vectors/, file)`.
        pub fn suites() -> Result<Vec<(String, VectorFile)>, GenerateError> {
            let mut all = Vec::new();
            $(
                for (rel, f) in <$family as Family>::generate()? {
                    let mut f = f.map_groups(TestGroup::$variant);
                    f.family = family_of_schema(&f.schema).unwrap_or_default().to_owned();
                    all.push((rel, f));
                }
            )*
            Ok(all)
        }
    };
}

registry! {
    /// `IgeTest`.
    Ige => families::ige::Ige,
    /// `MsgKeyTest`.
    Kdf => families::kdf::Kdf,
    /// `EnvelopeEncryptTest`, `EnvelopeDecryptTest`.
    Envelope => families::envelope::Envelope,
    /// `MsgIdTraceTest`.
    Session => families::session::Session,
    /// `TransportTest`.
    Transport => families::transport::Transport,
    /// `TlIdTest`, `TlCodecTest`.
    Tl => families::tl::TlFamily,
    /// `DhParamsTest`, `DhValueTest`.
    Dh => families::dh::Dh,
    /// `PqTest`.
    Pq => families::pq::Pq,
    /// `HandshakeTest`.
    Handshake => families::handshake::Handshake,
    /// The secret-chat types (`Secret*Test`).
    Secret => families::secret::Secret,
    /// The call types (`Call*Test`).
    Call => families::call::Call,
    /// `WireClientTest`, `WireServerTest` (loaded, checked and generated here; played over a
    /// socket by `mtproto-wire`, never through an adapter).
    Wire => families::wire::Wire,
}

/// The group type named `name`.
pub fn group_type(name: &str) -> Option<&'static GroupType> {
    group_types().into_iter().find(|t| t.name == name)
}

/// The family of the group type a schema file describes.
pub fn family_of_schema(schema: &str) -> Option<&'static str> {
    group_types()
        .into_iter()
        .find(|t| t.schema == schema)
        .map(|t| t.family)
}

/// The family names, each once, in registry order (the `vectors/<dir>` names).
pub fn families() -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for t in group_types() {
        if !out.contains(&t.family) {
            out.push(t.family);
        }
    }
    out
}

/// The error names a case of `group_type` may expect (`None`: any name of the vocabulary).
pub fn allowed_errors(name: &str) -> Option<&'static [&'static str]> {
    group_type(name).and_then(|t| t.errors)
}

/// Parse and check the text of a vector file; `file` names it in errors. The file's `family` is
/// the family of its schema's group type, wherever the file lies.
pub fn parse_str(text: &str, file: &str) -> Result<VectorFile, LoadError> {
    let raw = load::parse_raw(text, file)?;
    let types = group_types();
    let Some(schema_type) = types.iter().find(|t| t.schema == raw.schema) else {
        return Err(LoadError::at(
            file,
            "schema",
            format!(
                "unknown schema {:?}; this runner knows {}",
                raw.schema,
                types
                    .iter()
                    .map(|t| t.schema)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    };
    let mut groups = Vec::with_capacity(raw.test_groups.len());
    for (i, part) in raw.test_groups.iter().enumerate() {
        let prefix = format!("testGroups[{i}]");
        let part = Part {
            file,
            text,
            raw: part.get(),
            prefix: &prefix,
        };
        let group_type = load::group_type(&part)?;
        let group = match parse_group(&part, &group_type) {
            Some(g) => g?,
            None => {
                return Err(part.err(
                    "type",
                    format!(
                        "unknown test-group type {group_type:?}: this runner has no runner for \
                         it (it knows {})",
                        types.iter().map(|t| t.name).collect::<Vec<_>>().join(", ")
                    ),
                ));
            }
        };
        if group.type_name() != schema_type.name {
            return Err(part.err(
                "type",
                format!(
                    "a {} group in a file whose schema {:?} is for {}",
                    group.type_name(),
                    raw.schema,
                    schema_type.name
                ),
            ));
        }
        groups.push(group);
    }
    let vf = VectorFile {
        path: file.to_owned(),
        family: schema_type.family.to_owned(),
        algorithm: raw.algorithm,
        schema: raw.schema,
        number_of_tests: raw.number_of_tests,
        header: raw.header,
        notes: raw.notes,
        test_groups: groups,
    };
    load::check_file(&vf, &allowed_errors)?;
    for (g, group) in vf.test_groups.iter().enumerate() {
        check_group(file, g, group)?;
    }
    // serde takes a struct written as an array of its fields; the format does not.
    let raw_value: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| LoadError::new(file, None, format!("malformed JSON: {e}")))?;
    let typed = serde_json::to_value(&vf)
        .map_err(|e| LoadError::new(file, None, format!("cannot re-serialize: {e}")))?;
    load::check_object_form(file, &raw_value, &typed)?;
    Ok(vf)
}

/// Load and check one vector file. It must be a regular file (after following symlinks: a
/// FIFO or a device is an error, not a hang) of at most
/// [`MAX_FILE_SIZE`](crate::core::load::MAX_FILE_SIZE) bytes.
pub fn load_file(path: &Path) -> Result<VectorFile, LoadError> {
    let text = load::read_file(path)?;
    parse_str(&text, &display(path))
}

/// Load and check every vector file under `paths` (see [`find_files`]).
pub fn load_paths(paths: &[PathBuf]) -> Result<Vec<VectorFile>, LoadError> {
    find_files(paths)?.iter().map(|p| load_file(p)).collect()
}

/// Check every vector file under `paths` like [`load_paths`], then against the schema its
/// `schema` field names, found in a `schemas/` directory beside the file or beside one of its
/// ancestors. Returns the number of files checked; the first bad file is the error.
pub fn lint_paths(paths: &[PathBuf]) -> Result<usize, LoadError> {
    schema::lint_with(paths, None, &|p| load_file(p).map(|vf| vf.schema))
}

/// [`lint_paths`] with the schemas taken from `schema_dir`.
pub fn lint_paths_with(paths: &[PathBuf], schema_dir: &Path) -> Result<usize, LoadError> {
    schema::lint_with(paths, Some(schema_dir), &|p| {
        load_file(p).map(|vf| vf.schema)
    })
}

/// What a selection predicate (the CLI's `--filter`) sees of a case before it runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CaseMeta<'a> {
    /// The vector file, as in [`CaseResult::file`].
    pub file: &'a str,
    /// The family.
    pub family: &'a str,
    /// The case's `tcId`.
    pub tc_id: u64,
    /// The group's `type`.
    pub group_type: &'a str,
    /// The case's flags.
    pub flags: &'a [String],
    /// The `bugType` of each flag, in flag order.
    pub bug_types: &'a [String],
}

/// Run every case of `file` that `select` accepts against `iut`, calling `on_case` after each, and
/// return the results in file order. Every family's runner is called the same way and judged by
/// the one judge ([`judge`](crate::core::judge::judge)).
pub fn run_file(
    file: &VectorFile,
    iut: &mut dyn Iut,
    opts: &RunOptions,
    select: &dyn Fn(&CaseMeta<'_>) -> bool,
    on_case: &mut dyn FnMut(&CaseResult),
) -> Vec<CaseResult> {
    let mut out = Vec::new();
    for group in &file.test_groups {
        for (index, header) in group.headers().iter().enumerate() {
            let bug_types = file.bug_types(header.flags);
            let meta = CaseMeta {
                file: &file.path,
                family: &file.family,
                tc_id: header.tc_id,
                group_type: group.type_name(),
                flags: header.flags,
                bug_types: &bug_types,
            };
            if !select(&meta) {
                continue;
            }
            let Some(ran) = run_group(group, index, iut, opts) else {
                continue;
            };
            let result = CaseResult {
                file: file.path.clone(),
                family: file.family.clone(),
                algorithm: file.algorithm.clone(),
                tc_id: header.tc_id,
                group_type: group.type_name().to_owned(),
                comment: header.comment.to_owned(),
                flags: header.flags.to_vec(),
                bug_types,
                expected: header.result,
                expected_error: header.error.map(str::to_owned),
                outcome: ran.judged.outcome,
                error: ran.judged.error,
                detail: ran.judged.detail,
                vector: ran.vector,
            };
            on_case(&result);
            out.push(result);
        }
    }
    out
}

/// The schema files shipped with this crate: `vectors/schemas/*.json`, embedded at build time,
/// as `(file name, text)`.
pub const SCHEMAS: &[(&str, &str)] = &[
    (
        "common.json",
        include_str!("../../../vectors/schemas/common.json"),
    ),
    (
        "call_commitment_test_schema_v1.json",
        include_str!("../../../vectors/schemas/call_commitment_test_schema_v1.json"),
    ),
    (
        "call_emoji_test_schema_v1.json",
        include_str!("../../../vectors/schemas/call_emoji_test_schema_v1.json"),
    ),
    (
        "call_packet_test_schema_v1.json",
        include_str!("../../../vectors/schemas/call_packet_test_schema_v1.json"),
    ),
    (
        "call_replay_test_schema_v1.json",
        include_str!("../../../vectors/schemas/call_replay_test_schema_v1.json"),
    ),
    (
        "dh_params_test_schema_v1.json",
        include_str!("../../../vectors/schemas/dh_params_test_schema_v1.json"),
    ),
    (
        "dh_value_test_schema_v1.json",
        include_str!("../../../vectors/schemas/dh_value_test_schema_v1.json"),
    ),
    (
        "envelope_decrypt_test_schema_v1.json",
        include_str!("../../../vectors/schemas/envelope_decrypt_test_schema_v1.json"),
    ),
    (
        "envelope_encrypt_test_schema_v1.json",
        include_str!("../../../vectors/schemas/envelope_encrypt_test_schema_v1.json"),
    ),
    (
        "handshake_test_schema_v1.json",
        include_str!("../../../vectors/schemas/handshake_test_schema_v1.json"),
    ),
    (
        "ige_test_schema_v1.json",
        include_str!("../../../vectors/schemas/ige_test_schema_v1.json"),
    ),
    (
        "msg_id_trace_test_schema_v1.json",
        include_str!("../../../vectors/schemas/msg_id_trace_test_schema_v1.json"),
    ),
    (
        "msg_key_test_schema_v1.json",
        include_str!("../../../vectors/schemas/msg_key_test_schema_v1.json"),
    ),
    (
        "pq_test_schema_v1.json",
        include_str!("../../../vectors/schemas/pq_test_schema_v1.json"),
    ),
    (
        "secret_chat_trace_test_schema_v1.json",
        include_str!("../../../vectors/schemas/secret_chat_trace_test_schema_v1.json"),
    ),
    (
        "secret_decrypt_test_schema_v1.json",
        include_str!("../../../vectors/schemas/secret_decrypt_test_schema_v1.json"),
    ),
    (
        "secret_encrypt_test_schema_v1.json",
        include_str!("../../../vectors/schemas/secret_encrypt_test_schema_v1.json"),
    ),
    (
        "secret_file_test_schema_v1.json",
        include_str!("../../../vectors/schemas/secret_file_test_schema_v1.json"),
    ),
    (
        "secret_key_exchange_test_schema_v1.json",
        include_str!("../../../vectors/schemas/secret_key_exchange_test_schema_v1.json"),
    ),
    (
        "secret_rekey_test_schema_v1.json",
        include_str!("../../../vectors/schemas/secret_rekey_test_schema_v1.json"),
    ),
    (
        "secret_seq_trace_test_schema_v1.json",
        include_str!("../../../vectors/schemas/secret_seq_trace_test_schema_v1.json"),
    ),
    (
        "secret_visualization_test_schema_v1.json",
        include_str!("../../../vectors/schemas/secret_visualization_test_schema_v1.json"),
    ),
    (
        "tl_codec_test_schema_v1.json",
        include_str!("../../../vectors/schemas/tl_codec_test_schema_v1.json"),
    ),
    (
        "tl_id_test_schema_v1.json",
        include_str!("../../../vectors/schemas/tl_id_test_schema_v1.json"),
    ),
    (
        "transport_test_schema_v1.json",
        include_str!("../../../vectors/schemas/transport_test_schema_v1.json"),
    ),
    (
        "wire_client_test_schema_v1.json",
        include_str!("../../../vectors/schemas/wire_client_test_schema_v1.json"),
    ),
    (
        "wire_server_test_schema_v1.json",
        include_str!("../../../vectors/schemas/wire_server_test_schema_v1.json"),
    ),
];

/// Write every suite under `out_dir` (the `vectors/` directory), creating family directories, and
/// the schemas under `out_dir/schemas/`, so that `lint out_dir` passes right after. Returns the
/// paths written.
pub fn generate(out_dir: &Path) -> Result<Vec<PathBuf>, GenerateError> {
    let mut written = Vec::new();
    for (rel, vf) in suites()? {
        let path = out_dir.join(&rel);
        let text = vf.to_json_pretty().map_err(|e| gen_err(&rel, e))?;
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).map_err(|e| gen_err(&rel, e))?;
        }
        fs::write(&path, text).map_err(|e| gen_err(&rel, e))?;
        written.push(path);
    }
    let dir = out_dir.join("schemas");
    for (name, text) in SCHEMAS {
        let rel = format!("schemas/{name}");
        fs::create_dir_all(&dir).map_err(|e| gen_err(&rel, e))?;
        let path = dir.join(name);
        fs::write(&path, text).map_err(|e| gen_err(&rel, e))?;
        written.push(path);
    }
    Ok(written)
}
