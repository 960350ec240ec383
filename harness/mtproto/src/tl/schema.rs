//! The TL schema language: a parser for the `.tl` files under `schema/` and the constructor-id
//! computation (spec §7.1).
//!
//! "The constructor number is the CRC32 of the string containing the combinator description
//! without the final semicolon, and with one space between contiguous lexemes" ([ser]). Before
//! hashing, [`normalize`] applies the rules every real id obeys:
//!
//! 1. the `#id` and the final `;` are dropped, lexemes are separated by one space;
//! 2. `bytes` is hashed as `string` ("replace all `bytes` types with `string`", [bytes]);
//! 3. `<` becomes a space and `>` is dropped (`Vector<long>` → `Vector long`);
//! 4. braces are dropped ("optional parameters ... cease to be optional", [ser]);
//! 5. every `name:flags.N?true` field is removed (an implementation rule that matches every
//!    published id; spec §13 item 4);
//! 6. a bare-type marker `%Type` is hashed as the bare constructor name (`%Message` → `message`),
//!    which gives `msg_container`'s published id `73f1f8dc`.
//!
//! One published id breaks rule 2: the end-to-end schema's layer-143
//! `decryptedMessageMediaDocument#6abd9782` is the CRC32 of its line with `bytes` left as written
//! (https://core.telegram.org/constructor/decryptedMessageMediaDocument; rule 2 gives `8e4c064c`).
//! A schema marks such a declaration with a `// HASH BYTES AS WRITTEN` line right before it, and
//! its id is computed by [`normalize_keeping_bytes`]; the tests check that the marker is only used
//! where rule 2 does not give the published id.
//!
//! [ser]: https://core.telegram.org/mtproto/serialize
//! [bytes]: https://core.telegram.org/type/bytes
#![deny(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use core::fmt;

/// Which section of a schema a combinator is declared in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Section {
    /// Constructors (`---types---`, the default).
    Types,
    /// Functions (`---functions---`).
    Functions,
}

/// A parameter's type as written.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TypeRef {
    /// The type's name (`long`, `Vector`, `DecryptedMessage`, `X`, `future_salt`).
    pub name: String,
    /// Written with `%` (bare) or as a lowercase name (a bare constructor or a bare built-in).
    pub bare: bool,
    /// Written with `!` (a function argument of the generic type).
    pub bang: bool,
    /// The `<...>` argument (`Vector<long>`).
    pub arg: Option<Box<TypeRef>>,
}

/// One parameter of a combinator.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Param {
    /// The field name.
    pub name: String,
    /// What the parameter is.
    pub kind: ParamKind,
}

/// The kinds of parameter.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ParamKind {
    /// `name:#`: a flags word.
    Flags,
    /// `name:flags.N?Type` or `name:Type`.
    Field {
        /// The flags field and bit this field depends on.
        flag: Option<(String, u32)>,
        /// The type.
        ty: TypeRef,
    },
}

/// One declaration of a schema.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Combinator {
    /// The name (`resPQ`, `decryptedMessage`).
    pub name: String,
    /// The `#xxxxxxxx` written in the schema, if any.
    pub explicit_id: Option<u32>,
    /// The id computed from the normalized line ([`normalize`]).
    pub computed_id: u32,
    /// The `{X:Type}` generic parameters.
    pub generics: Vec<String>,
    /// The parameters.
    pub params: Vec<Param>,
    /// The result type (`ResPQ`, `X`, `Vector t`).
    pub result: String,
    /// Types or functions.
    pub section: Section,
    /// The `// LAYER N` section it appears in, if any.
    pub layer: Option<u32>,
    /// Marked `// HASH BYTES AS WRITTEN`: the id hashes `bytes` as written, not as `string`.
    pub bytes_as_written: bool,
    /// A built-in (`int ? = Int`, `int128 4*[ int ] = Int128`, `vector ...`, `boolTrue`, `true`):
    /// the runtime, not the generator, handles these.
    pub builtin: bool,
    /// 1-based line where the declaration starts.
    pub line: usize,
    /// The declaration as written, whitespace collapsed, without the `;`.
    pub text: String,
}

impl Combinator {
    /// The id on the wire: the explicit one when written, else the computed one.
    pub fn id(&self) -> u32 {
        self.explicit_id.unwrap_or(self.computed_id)
    }
}

/// A parsed schema file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Schema {
    /// Every declaration, in file order.
    pub combinators: Vec<Combinator>,
}

/// A schema that could not be parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SchemaError {
    /// 1-based line.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for SchemaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for SchemaError {}

fn err(line: usize, message: impl Into<String>) -> SchemaError {
    SchemaError {
        line,
        message: message.into(),
    }
}

const BUILTIN_NAMES: &[&str] = &[
    "int",
    "long",
    "double",
    "string",
    "bytes",
    "int128",
    "int256",
    "vector",
    "boolFalse",
    "boolTrue",
    "true",
];

/// The CRC-32 (IEEE, as zlib) of a normalized combinator line.
pub fn crc32(s: &str) -> u32 {
    crc32fast::hash(s.as_bytes())
}

/// The normalized form of a declaration (spec §7.1 rules 1–6), the string whose CRC32 is the id.
pub fn normalize(decl: &str) -> String {
    normalize_with(decl, true)
}

/// [`normalize`] without rule 2 (`bytes` stays `bytes`), for a declaration marked
/// `// HASH BYTES AS WRITTEN` (see the module documentation).
pub fn normalize_keeping_bytes(decl: &str) -> String {
    normalize_with(decl, false)
}

fn normalize_with(decl: &str, bytes_as_string: bool) -> String {
    let decl = decl.trim().trim_end_matches(';');
    let spaced = decl.replace('<', " ").replace(['>', '{', '}'], " ");
    let mut out: Vec<String> = Vec::new();
    for (i, tok) in spaced.split_whitespace().enumerate() {
        if i == 0 {
            out.push(tok.split('#').next().unwrap_or(tok).to_owned());
            continue;
        }
        if let Some((_, ty)) = tok.split_once(':')
            && ty.starts_with("flags")
            && ty.ends_with("?true")
            && ty.contains('.')
        {
            continue;
        }
        let mut t = tok.to_owned();
        if bytes_as_string {
            t = t.replace(":bytes", ":string").replace("?bytes", "?string");
            if t == "bytes" {
                t = "string".to_owned();
            }
        }
        if let Some(pos) = t.find('%') {
            let (head, tail) = t.split_at(pos);
            let tail = tail.trim_start_matches('%');
            let mut chars = tail.chars();
            let lowered = match chars.next() {
                Some(c) => c.to_lowercase().chain(chars).collect::<String>(),
                None => String::new(),
            };
            t = format!("{head}{lowered}");
        }
        out.push(t);
    }
    out.join(" ")
}

fn parse_type(s: &str) -> TypeRef {
    let (bang, s) = match s.strip_prefix('!') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (pct, s) = match s.strip_prefix('%') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (name, arg) = match s.split_once('<') {
        Some((n, rest)) => (n, Some(Box::new(parse_type(rest.trim_end_matches('>'))))),
        None => (s, None),
    };
    let lower = name.chars().next().is_some_and(char::is_lowercase);
    TypeRef {
        name: name.to_owned(),
        bare: pct || lower,
        bang,
        arg,
    }
}

fn parse_decl(
    text: &str,
    line: usize,
    section: Section,
    layer: Option<u32>,
    bytes_as_written: bool,
) -> Result<Combinator, SchemaError> {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let (lhs, result) = text
        .rsplit_once(" = ")
        .ok_or_else(|| err(line, format!("no ` = ` in {text:?}")))?;
    let mut toks = lhs.split_whitespace();
    let head = toks.next().ok_or_else(|| err(line, "empty declaration"))?;
    let (name, explicit_id) = match head.split_once('#') {
        Some((n, id)) => {
            let id = u32::from_str_radix(id, 16)
                .map_err(|_| err(line, format!("bad constructor id {id:?}")))?;
            (n.to_owned(), Some(id))
        }
        None => (head.to_owned(), None),
    };
    let rest: Vec<&str> = toks.collect();
    let builtin =
        BUILTIN_NAMES.contains(&name.as_str()) || rest.iter().any(|t| *t == "?" || t.contains('['));
    let mut generics = Vec::new();
    let mut params = Vec::new();
    if !builtin {
        for tok in rest {
            if let Some(g) = tok.strip_prefix('{') {
                let g = g.trim_end_matches('}');
                let (gname, gty) = g
                    .split_once(':')
                    .ok_or_else(|| err(line, format!("bad generic {tok:?}")))?;
                if gty != "Type" {
                    return Err(err(line, format!("unsupported generic kind {gty:?}")));
                }
                generics.push(gname.to_owned());
                continue;
            }
            let (pname, pty) = tok
                .split_once(':')
                .ok_or_else(|| err(line, format!("bad parameter {tok:?}")))?;
            let kind = if pty == "#" {
                ParamKind::Flags
            } else if let Some((cond, ty)) = pty.split_once('?') {
                let (field, bit) = cond
                    .split_once('.')
                    .ok_or_else(|| err(line, format!("bad condition {cond:?}")))?;
                let bit: u32 = bit
                    .parse()
                    .ok()
                    .filter(|&b| b < 32)
                    .ok_or_else(|| err(line, format!("bad flag bit {bit:?}")))?;
                if !params
                    .iter()
                    .any(|p: &Param| p.name == field && p.kind == ParamKind::Flags)
                {
                    return Err(err(
                        line,
                        format!("{pname} depends on {field:?}, which is not an earlier `#` field"),
                    ));
                }
                ParamKind::Field {
                    flag: Some((field.to_owned(), bit)),
                    ty: parse_type(ty),
                }
            } else {
                ParamKind::Field {
                    flag: None,
                    ty: parse_type(pty),
                }
            };
            params.push(Param {
                name: pname.to_owned(),
                kind,
            });
        }
    }
    let normalized = normalize_with(&text, !bytes_as_written);
    Ok(Combinator {
        name,
        explicit_id,
        computed_id: crc32(&normalized),
        generics,
        params,
        result: result.to_owned(),
        section,
        layer,
        bytes_as_written,
        builtin,
        line,
        text,
    })
}

/// Parse a schema file. `//` comments are ignored except `// LAYER N`, which sets the layer of
/// the declarations after it, and `// HASH BYTES AS WRITTEN`, which applies to the next
/// declaration; a declaration may span lines and ends at `;`.
pub fn parse(text: &str) -> Result<Schema, SchemaError> {
    let mut schema = Schema::default();
    let mut section = Section::Types;
    let mut layer = None;
    let mut pending = String::new();
    let mut start = 0usize;
    let mut bytes_as_written = false;
    for (i, raw) in text.lines().enumerate() {
        let line = i.saturating_add(1);
        let trimmed = raw.trim();
        if let Some(n) = trimmed.strip_prefix("// LAYER ") {
            layer = Some(
                n.trim()
                    .parse()
                    .map_err(|_| err(line, format!("bad layer {n:?}")))?,
            );
            continue;
        }
        if trimmed == "// HASH BYTES AS WRITTEN" {
            if !pending.trim().is_empty() {
                return Err(err(line, "`// HASH BYTES AS WRITTEN` inside a declaration"));
            }
            bytes_as_written = true;
            continue;
        }
        let code = raw.split("//").next().unwrap_or("").trim();
        if code.is_empty() {
            continue;
        }
        if pending.is_empty() {
            match code {
                "---functions---" => {
                    section = Section::Functions;
                    continue;
                }
                "---types---" => {
                    section = Section::Types;
                    continue;
                }
                _ => start = line,
            }
        }
        pending.push(' ');
        pending.push_str(code);
        if let Some(decl) = pending.trim().strip_suffix(';') {
            schema
                .combinators
                .push(parse_decl(decl, start, section, layer, bytes_as_written)?);
            pending.clear();
            bytes_as_written = false;
        }
    }
    if !pending.trim().is_empty() {
        return Err(err(start, "declaration without a final `;`"));
    }
    if bytes_as_written {
        return Err(err(
            text.lines().count(),
            "`// HASH BYTES AS WRITTEN` without a declaration after it",
        ));
    }
    Ok(schema)
}
