// `tl.decode` through mtcute's TL reader: `TlBinaryReader` (@mtcute/tl-runtime) over the
// generated readers map `__tlReaderMap` (@mtcute/core/tl/binary/reader.js), `object()` for a
// boxed object and `boolean()` for `as: Bool`, translated to the vectors' JSON form.
//
// The translation and nothing more: the `mt_` prefix mtcute gives the mtproto schema's
// constructors is dropped; its camel-cased field names (`errorMessage`) go back to the schema's
// snake case (`error_message`); a `Long` becomes the signed 64-bit number; `bytes`, `int128`,
// `int256` (Uint8Array) become hex; `boolTrue` / `boolFalse` read as JavaScript booleans in an
// object position are written as those constructors.
//
// Not reached: `msg_container`, `rpc_result` and `gzip_packed` at the top (mtcute's session layer
// reads these by their ids, `SessionConnection._handleRawMessage`, not through the readers map);
// the secret-chat schema (not in mtcute 0.30); and `tl.encode` (the writers map takes
// mtcute-typed values, Long and Uint8Array: writing a JSON value needs each field's TL type,
// which the JSON form does not carry).
const LONG_TAG = "@@i64:";
const SESSION_LAYER_IDS = new Set([0x73f1f8dc, 0xf35c6d01, 0x3072cfa1]);

function snake(name) {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

export function makeTl({ TlBinaryReader, TlUnknownObjectError, readerMap, Long, errors }) {
  const { Unsupported, Rejected, BadRequest } = errors;
  function toJson(v, inObjectPosition) {
    if (Long.isLong(v)) return `${LONG_TAG}${v.toSigned().toString()}`;
    if (v instanceof Uint8Array) return Buffer.from(v).toString("hex");
    if (typeof v === "boolean") return inObjectPosition ? { _: v ? "boolTrue" : "boolFalse" } : v;
    if (Array.isArray(v)) return v.map((x) => toJson(x, true));
    if (v && typeof v === "object") {
      const out = {};
      for (const [k, x] of Object.entries(v)) {
        out[k === "_" ? "_" : snake(k)] = k === "_" ? String(x).replace(/^mt_/, "") : toJson(x, true);
      }
      return out;
    }
    return v;
  }
  function decode(req) {
    if (req.schema === "secret") throw new Unsupported(); // no secret-chat schema in mtcute 0.30
    if (req.schema !== "mtproto") throw new BadRequest("field `schema`");
    if (typeof req.bytes !== "string" || !/^([0-9a-fA-F]{2})*$/.test(req.bytes)) {
      throw new BadRequest("field `bytes`");
    }
    const data = new Uint8Array(Buffer.from(req.bytes, "hex"));
    if (data.length >= 4 && SESSION_LAYER_IDS.has(Buffer.from(data).readUInt32LE(0))) {
      throw new Unsupported();
    }
    const reader = new TlBinaryReader(readerMap, data);
    let value;
    try {
      value = req.as === "Bool" ? reader.boolean() : reader.object();
    } catch (e) {
      if (e instanceof TlUnknownObjectError) throw new Rejected("UnknownConstructor", e.message);
      if (/Expected either boolTrue or boolFalse/.test(e && e.message)) throw new Rejected("BadBool", e.message);
      if (/expected 0x1cb5c415/.test(e && e.message)) throw new Rejected("BadVectorId", e.message);
      // DataView reads past the end, or `seek` out of range: the reader ran out of bytes
      if (e instanceof RangeError) throw new Rejected("UnexpectedEnd", e.message);
      throw e;
    }
    return { value: toJson(value, req.as !== "Bool") };
  }
  return { decode };
}

// JSON text of an answer, with the tagged 64-bit values written as exact JSON numbers.
export function stringify(resp) {
  return JSON.stringify(resp).replace(new RegExp(`"${LONG_TAG}(-?\\d+)"`, "g"), "$1");
}
