//! `lint`: the strict loader plus validation against the JSON Schemas in `vectors/schemas/`.
//!
//! The schemas are the language-neutral statement of the format for other tools; this module
//! checks that every file satisfies them, so the Rust types and the schemas cannot drift apart
//! unnoticed. The validator is a small one written for the subset of JSON Schema (2020-12) the
//! schemas use, to keep the build light (the `jsonschema` crate pulls in a regex engine, big-number
//! arithmetic and about 50 crates). Supported keywords:
//!
//! `$ref` (to `#/...` or `OTHER.json#/...` in the same directory), `type`, `enum`, `const`,
//! `properties`, `required`, `additionalProperties`, `items`, `minItems`, `maxItems`,
//! `uniqueItems`, `minLength`, `maxLength`, `minimum`, `maximum`, `allOf`, `anyOf`, `oneOf`,
//! `not`, `if`/`then`/`else`, and `pattern` for the patterns listed in [`PATTERNS`]. The
//! annotations `$schema`, `$id`, `$defs`, `$comment`, `title`, `description` and `examples` are
//! ignored. Any other keyword is an error in the schema, so a schema can never claim a check that
//! is not made.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::load::{LoadError, display, find_files};

/// The `pattern`s the validator understands, with what each means.
pub const PATTERNS: &[(&str, &str)] = &[
    (
        "^([0-9a-f]{2})*$",
        "lowercase hex with an even number of digits",
    ),
    ("^[A-Z][A-Za-z0-9]*$", "an UpperCamelCase name"),
    ("^[a-z][a-z0-9.-]*$", "a lowercase name"),
    (
        "^([a-z][a-z0-9.-]*|fuzz:[a-z][a-z0-9_]*)$",
        "a lowercase name, or fuzz: and a fuzz target's name",
    ),
    (
        "^[0-3]*$",
        "2-bit colour indices (a key picture, spec §8.5)",
    ),
];

/// `^[a-z][a-z0-9.-]*$`.
fn lowercase_name(s: &str) -> bool {
    let mut bytes = s.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_lowercase())
        && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
}

/// `source.name`: `^([a-z][a-z0-9.-]*|fuzz:[a-z][a-z0-9_]*)$` — an origin's lowercase name, or
/// `fuzz:` and the fuzz target a finding came from (`mtproto-harness fuzz-to-vector`).
pub fn source_name(s: &str) -> bool {
    match s.strip_prefix("fuzz:") {
        Some(target) => {
            let mut bytes = target.bytes();
            bytes.next().is_some_and(|b| b.is_ascii_lowercase())
                && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        }
        None => lowercase_name(s),
    }
}

fn pattern_matches(pattern: &str, s: &str) -> Option<bool> {
    match pattern {
        "^([0-9a-f]{2})*$" => Some(
            s.len().is_multiple_of(2) && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')),
        ),
        "^[A-Z][A-Za-z0-9]*$" => {
            let mut bytes = s.bytes();
            Some(
                bytes.next().is_some_and(|b| b.is_ascii_uppercase())
                    && bytes.all(|b| b.is_ascii_alphanumeric()),
            )
        }
        "^[a-z][a-z0-9.-]*$" => Some(lowercase_name(s)),
        "^([a-z][a-z0-9.-]*|fuzz:[a-z][a-z0-9_]*)$" => Some(source_name(s)),
        "^[0-3]*$" => Some(s.bytes().all(|b| matches!(b, b'0'..=b'3'))),
        _ => None,
    }
}

/// Check every vector file under `paths` with `load` (the strict loader, which gives the name of
/// the file's schema), then against that schema, found in `schema_dir` or else in a `schemas/`
/// directory beside the file or beside one of its ancestors. Returns the number of files checked;
/// the first bad file is the error.
pub fn lint_with(
    paths: &[PathBuf],
    schema_dir: Option<&Path>,
    load: &dyn Fn(&Path) -> Result<String, LoadError>,
) -> Result<usize, LoadError> {
    let files = find_files(paths)?;
    let mut cache: HashMap<PathBuf, Value> = HashMap::new();
    for path in &files {
        let schema = load(path)?;
        let name = display(path);
        let err = |message: String| LoadError {
            file: name.clone(),
            path: None,
            position: None,
            message,
        };
        let dir = match schema_dir {
            Some(d) => d.to_path_buf(),
            None => find_schema_dir(path, &schema).ok_or_else(|| {
                err(format!(
                    "no schemas/{schema} beside the file or any directory above it"
                ))
            })?,
        };
        let text = fs::read_to_string(path).map_err(|e| err(format!("cannot read: {e}")))?;
        let instance: Value =
            serde_json::from_str(&text).map_err(|e| err(format!("malformed JSON: {e}")))?;
        let mut v = Validator {
            dir: &dir,
            docs: &mut cache,
            depth: 0,
        };
        v.check_doc(&schema, &instance)
            .map_err(|SchemaFailure { path: at, message }| LoadError {
                file: name.clone(),
                path: (!at.is_empty()).then_some(at),
                position: None,
                message,
            })?;
    }
    Ok(files.len())
}

fn find_schema_dir(file: &Path, schema: &str) -> Option<PathBuf> {
    file.ancestors()
        .skip(1)
        .map(|a| a.join("schemas"))
        .find(|d| d.join(schema).is_file())
}

/// A failed check: the JSON path in the instance and why.
#[derive(Debug)]
struct SchemaFailure {
    path: String,
    message: String,
}

struct Validator<'a> {
    dir: &'a Path,
    docs: &'a mut HashMap<PathBuf, Value>,
    depth: usize,
}

/// Nesting beyond this many schema applications is a schema error (a `$ref` cycle), not a hang.
const MAX_DEPTH: usize = 256;

fn fail(path: &str, message: impl Into<String>) -> Result<(), SchemaFailure> {
    Err(SchemaFailure {
        path: path.to_owned(),
        message: message.into(),
    })
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn is_type(v: &Value, t: &str) -> bool {
    let actual = type_name(v);
    actual == t || (t == "number" && actual == "integer")
}

fn child(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

const ANNOTATIONS: &[&str] = &[
    "$schema",
    "$id",
    "$defs",
    "$comment",
    "title",
    "description",
    "examples",
    "then",
    "else",
];

impl Validator<'_> {
    fn load(&mut self, doc: &str) -> Result<Value, SchemaFailure> {
        let file = self.dir.join(doc);
        if let Some(v) = self.docs.get(&file) {
            return Ok(v.clone());
        }
        let text = fs::read_to_string(&file).map_err(|e| SchemaFailure {
            path: String::new(),
            message: format!("cannot read schema {}: {e}", display(&file)),
        })?;
        let value: Value = serde_json::from_str(&text).map_err(|e| SchemaFailure {
            path: String::new(),
            message: format!("schema {} is not JSON: {e}", display(&file)),
        })?;
        self.docs.insert(file, value.clone());
        Ok(value)
    }

    fn check_doc(&mut self, doc: &str, instance: &Value) -> Result<(), SchemaFailure> {
        let schema = self.load(doc)?;
        self.check(doc, &schema, instance, "")
    }

    fn check(
        &mut self,
        doc: &str,
        schema: &Value,
        inst: &Value,
        path: &str,
    ) -> Result<(), SchemaFailure> {
        self.depth = self.depth.saturating_add(1);
        let result = if self.depth > MAX_DEPTH {
            fail(
                path,
                format!("schema {doc}: nested too deeply (a $ref cycle?)"),
            )
        } else {
            self.check_inner(doc, schema, inst, path)
        };
        self.depth = self.depth.saturating_sub(1);
        result
    }

    fn check_inner(
        &mut self,
        doc: &str,
        schema: &Value,
        inst: &Value,
        path: &str,
    ) -> Result<(), SchemaFailure> {
        let obj = match schema {
            Value::Bool(true) => return Ok(()),
            Value::Bool(false) => return fail(path, format!("not allowed (schema {doc})")),
            Value::Object(o) => o,
            _ => {
                return fail(
                    path,
                    format!("schema {doc}: a schema must be an object or a boolean"),
                );
            }
        };
        for (key, arg) in obj {
            match key.as_str() {
                k if ANNOTATIONS.contains(&k) => {}
                "$ref" => {
                    let r = arg.as_str().unwrap_or("");
                    let (file, pointer) = r.split_once('#').unwrap_or((r, ""));
                    let target_doc = if file.is_empty() {
                        doc.to_owned()
                    } else {
                        file.to_owned()
                    };
                    let target_root = self.load(&target_doc)?;
                    let Some(target) = target_root.pointer(pointer).cloned() else {
                        return fail(path, format!("schema {doc}: unresolvable $ref {r:?}"));
                    };
                    self.check(&target_doc, &target, inst, path)?;
                }
                "type" => {
                    let ok = match arg {
                        Value::String(t) => is_type(inst, t),
                        Value::Array(ts) => ts
                            .iter()
                            .any(|t| t.as_str().is_some_and(|t| is_type(inst, t))),
                        _ => false,
                    };
                    if !ok {
                        return fail(
                            path,
                            format!("expected type {arg}, got {}", type_name(inst)),
                        );
                    }
                }
                "enum" => {
                    let options = arg.as_array().map(Vec::as_slice).unwrap_or(&[]);
                    if !options.contains(inst) {
                        return fail(path, format!("{inst} is not one of {arg}"));
                    }
                }
                "const" => {
                    if inst != arg {
                        return fail(path, format!("expected {arg}, got {inst}"));
                    }
                }
                "properties" => {
                    if let (Value::Object(props), Value::Object(o)) = (arg, inst) {
                        for (name, sub) in props {
                            if let Some(v) = o.get(name) {
                                self.check(doc, sub, v, &child(path, name))?;
                            }
                        }
                    }
                }
                "required" => {
                    if let Value::Object(o) = inst {
                        for name in arg.as_array().map(Vec::as_slice).unwrap_or(&[]) {
                            let name = name.as_str().unwrap_or("");
                            if !o.contains_key(name) {
                                return fail(&child(path, name), "missing required property");
                            }
                        }
                    }
                }
                "additionalProperties" => {
                    if let Value::Object(o) = inst {
                        let known = obj.get("properties").and_then(Value::as_object);
                        for (name, v) in o {
                            if known.is_some_and(|k| k.contains_key(name)) {
                                continue;
                            }
                            match arg {
                                Value::Bool(false) => {
                                    return fail(
                                        &child(path, name),
                                        "property not allowed (additionalProperties: false)",
                                    );
                                }
                                sub => self.check(doc, sub, v, &child(path, name))?,
                            }
                        }
                    }
                }
                "items" => {
                    if let Value::Array(items) = inst {
                        for (i, v) in items.iter().enumerate() {
                            self.check(doc, arg, v, &format!("{path}[{i}]"))?;
                        }
                    }
                }
                "minItems" | "maxItems" => {
                    if let (Value::Array(items), Some(n)) = (inst, arg.as_u64()) {
                        let len = u64::try_from(items.len()).unwrap_or(u64::MAX);
                        if (key == "minItems" && len < n) || (key == "maxItems" && len > n) {
                            return fail(path, format!("{len} items violates {key} {n}"));
                        }
                    }
                }
                "uniqueItems" => {
                    if let (Value::Array(items), Some(true)) = (inst, arg.as_bool()) {
                        for (i, a) in items.iter().enumerate() {
                            if items.iter().skip(i.saturating_add(1)).any(|b| a == b) {
                                return fail(&format!("{path}[{i}]"), format!("{a} appears twice"));
                            }
                        }
                    }
                }
                "minLength" | "maxLength" => {
                    if let (Value::String(s), Some(n)) = (inst, arg.as_u64()) {
                        let len = u64::try_from(s.chars().count()).unwrap_or(u64::MAX);
                        if (key == "minLength" && len < n) || (key == "maxLength" && len > n) {
                            return fail(
                                path,
                                format!("a string of {len} characters violates {key} {n}"),
                            );
                        }
                    }
                }
                "minimum" | "maximum" => {
                    if let (Some(x), Some(n)) = (inst.as_f64(), arg.as_f64())
                        && ((key == "minimum" && x < n) || (key == "maximum" && x > n))
                    {
                        return fail(path, format!("{inst} violates {key} {arg}"));
                    }
                }
                "pattern" => {
                    let p = arg.as_str().unwrap_or("");
                    if let Value::String(s) = inst {
                        match pattern_matches(p, s) {
                            Some(true) => {}
                            Some(false) => {
                                return fail(path, format!("{s:?} does not match {p}"));
                            }
                            None => {
                                return fail(
                                    path,
                                    format!("schema {doc}: unsupported pattern {p:?}"),
                                );
                            }
                        }
                    }
                }
                "allOf" | "anyOf" | "oneOf" => {
                    let subs = arg.as_array().map(Vec::as_slice).unwrap_or(&[]);
                    let mut passed = 0usize;
                    let mut first_err = None;
                    for sub in subs {
                        match self.check(doc, sub, inst, path) {
                            Ok(()) => passed = passed.saturating_add(1),
                            Err(e) => {
                                if key == "allOf" {
                                    return Err(e);
                                }
                                first_err.get_or_insert(e);
                            }
                        }
                    }
                    if key == "anyOf" && passed == 0 {
                        let why = first_err.map(|e| format!(" (first: {}: {})", e.path, e.message));
                        return fail(
                            path,
                            format!("matches none of anyOf{}", why.unwrap_or_default()),
                        );
                    }
                    if key == "oneOf" && passed != 1 {
                        return fail(path, format!("matches {passed} of oneOf, exactly 1 needed"));
                    }
                }
                "not" => {
                    if self.check(doc, arg, inst, path).is_ok() {
                        return fail(path, "matches a schema it must not (not)");
                    }
                }
                "if" => {
                    let branch = if self.check(doc, arg, inst, path).is_ok() {
                        obj.get("then")
                    } else {
                        obj.get("else")
                    };
                    if let Some(b) = branch {
                        self.check(doc, b, inst, path)?;
                    }
                }
                other => {
                    return fail(path, format!("schema {doc}: unsupported keyword {other:?}"));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(schema: Value, inst: Value) -> Result<(), SchemaFailure> {
        let mut docs = HashMap::new();
        let dir = PathBuf::from("/nonexistent");
        docs.insert(dir.join("t.json"), schema);
        let mut v = Validator {
            dir: &dir,
            docs: &mut docs,
            depth: 0,
        };
        v.check_doc("t.json", &inst)
    }

    #[test]
    fn keywords() {
        let s = json!({
            "type": "object",
            "properties": {
                "a": {"$ref": "#/$defs/hex", "minLength": 4, "maxLength": 4},
                "n": {"type": "integer", "minimum": 0},
                "r": {"enum": ["valid", "invalid"]},
                "l": {"type": "array", "items": {"type": "string"}, "uniqueItems": true}
            },
            "required": ["a"],
            "additionalProperties": false,
            "if": {"properties": {"r": {"const": "invalid"}}, "required": ["r"]},
            "then": {"required": ["n"]},
            "$defs": {"hex": {"type": "string", "pattern": "^([0-9a-f]{2})*$"}}
        });
        assert!(check(s.clone(), json!({"a": "00ff"})).is_ok());
        let bad = [
            (json!({"a": "00FF"}), "a"),
            (json!({"a": "00"}), "a"),
            (json!({}), "a"),
            (json!({"a": "0000", "x": 1}), "x"),
            (json!({"a": "0000", "n": -1}), "n"),
            (json!({"a": "0000", "r": "maybe"}), "r"),
            (json!({"a": "0000", "r": "invalid"}), "n"),
            (json!({"a": "0000", "l": ["x", "x"]}), "l[0]"),
        ];
        for (inst, path) in bad {
            let e = check(s.clone(), inst.clone()).expect_err("must fail");
            assert_eq!(e.path, path, "{inst}: {}", e.message);
        }
    }

    #[test]
    fn unknown_keywords_and_patterns_are_schema_errors() {
        let e = check(json!({"format": "email"}), json!("x")).expect_err("must fail");
        assert!(e.message.contains("unsupported keyword"));
        let e = check(json!({"pattern": "^a+$"}), json!("a")).expect_err("must fail");
        assert!(e.message.contains("unsupported pattern"));
    }

    #[test]
    fn ref_cycles_are_errors_not_hangs() {
        let e = check(json!({"$ref": "#"}), json!(1)).expect_err("must fail");
        assert!(e.message.contains("nested too deeply"), "{}", e.message);
    }

    #[test]
    fn combinators() {
        let s = json!({"oneOf": [{"type": "string"}, {"type": "integer"}]});
        assert!(check(s.clone(), json!(1)).is_ok());
        assert!(check(s, json!(true)).is_err());
        let s = json!({"anyOf": [{"const": 1}, {"const": 2}], "not": {"const": 2}});
        assert!(check(s.clone(), json!(1)).is_ok());
        assert!(check(s.clone(), json!(2)).is_err());
        assert!(check(s, json!(3)).is_err());
    }
}
