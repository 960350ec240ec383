// `tl.decode` through @mtproto/core's TL reader (`src/tl/deserializer`, whose `predicate()` looks
// the constructor up in the generated `src/tl/parser` map), translated to the vectors' JSON form.
//
// What the translation does, and nothing more: the library names the mtproto schema's
// constructors with an `mt_` prefix (`mt_rpc_error`), which is dropped; it returns a `long` as an
// unsigned decimal string, written here as the signed 64-bit number the JSON form uses (a
// subclass tags what `long()` returned, so a TL `string` of digits is not mistaken for one);
// `bytes`, `int128` and `int256` (Uint8Array) become hex; a `message` of a container carries the
// library's `bytes` field (its length), which the JSON form leaves out; the library reads
// `boolTrue` / `boolFalse` as JavaScript booleans, written back as those constructors.
//
// Not reached: `gzip_packed` (the library inflates it and returns the inner object, so the
// packed form the JSON shows is gone: `unsupported`), the secret-chat schema (the library has
// none), and `tl.encode` (the builder takes JavaScript-typed parameters, Uint8Array for bytes and
// strings for longs, and sizes them with its own Counter first: writing a JSON value needs each
// field's TL type, which the JSON form does not carry and the library keeps inside its generated
// builder code).
"use strict";
const Deserializer = require("@mtproto/core/src/tl/deserializer");

const LONG_TAG = "@@i64:";
class Long {
  constructor(unsignedDecimal) { this.value = unsignedDecimal; }
}
class GzipSeen extends Error {}

// The library's reader with its `long()` result tagged and `gzip()` noticed.
class TaggedDeserializer extends Deserializer {
  long() { return new Long(super.long()); }
  gzip() { throw new GzipSeen(); }
}

function signed(unsignedDecimal) {
  let v = BigInt(unsignedDecimal);
  if (v >= 1n << 63n) v -= 1n << 64n;
  return v;
}

function toJson(v, inObjectPosition) {
  if (v instanceof Long) return `${LONG_TAG}${signed(v.value)}`;
  if (v instanceof Uint8Array) return Buffer.from(v).toString("hex");
  if (typeof v === "boolean") return inObjectPosition ? { _: v ? "boolTrue" : "boolFalse" } : v;
  if (Array.isArray(v)) return v.map((x) => toJson(x, true));
  if (v && typeof v === "object") {
    const out = {};
    for (const [k, x] of Object.entries(v)) {
      if (k === "_") out._ = String(x).replace(/^mt_/, "");
      else if (!(v._ === "mt_message" && k === "bytes")) out[k] = toJson(x, true);
    }
    return out;
  }
  return v;
}

function containsUndefined(v) {
  if (v === undefined) return true;
  if (Array.isArray(v)) return v.some(containsUndefined);
  if (v && typeof v === "object" && !(v instanceof Uint8Array) && !(v instanceof Long)) {
    return Object.values(v).some(containsUndefined);
  }
  return false;
}

// `decode(req, errors)`: `errors` = { Unsupported, Rejected, BadRequest } of the adapter.
function decode(req, { Unsupported, Rejected, BadRequest }) {
  if (req.schema !== "mtproto") {
    if (req.schema === "secret") throw new Unsupported(); // no secret-chat schema in the library
    throw new BadRequest("field `schema`");
  }
  if (typeof req.bytes !== "string" || !/^([0-9a-fA-F]{2})*$/.test(req.bytes)) {
    throw new BadRequest("field `bytes`");
  }
  const buf = Buffer.from(req.bytes, "hex");
  const copy = new Uint8Array(buf).buffer;
  const logged = [];
  const savedLog = console.log;
  console.log = (...a) => logged.push(a.join(" "));
  let value;
  try {
    value = new TaggedDeserializer(copy).predicate();
  } catch (e) {
    if (e instanceof GzipSeen) throw new Unsupported();
    // DataView reads past the end of the buffer: the library ran out of bytes
    if (e instanceof RangeError) throw new Rejected("UnexpectedEnd", e.message);
    throw e;
  } finally {
    console.log = savedLog;
  }
  // `predicate()` logs "Not found predicate with id" and returns nothing for an unknown id
  const unknown = logged.find((m) => /Not found predicate/.test(m));
  if (unknown || containsUndefined(value)) {
    throw new Rejected("UnknownConstructor", unknown || "the reader returned nothing");
  }
  return { value: toJson(value, req.as !== "Bool") };
}

// JSON text of an answer, with the tagged 64-bit values written as exact JSON numbers.
function stringify(resp) {
  return JSON.stringify(resp).replace(new RegExp(`"${LONG_TAG}(-?\\d+)"`, "g"), "$1");
}

module.exports = { decode, stringify };
