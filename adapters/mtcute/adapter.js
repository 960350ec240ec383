#!/usr/bin/env node
// mtproto-harness adapter for mtcute (npm `@mtcute/core` with `@mtcute/node`'s crypto provider):
// JSON lines over stdio, protocol version 1 (wire format in harness/iut/src/subprocess.rs).
//
// Every op drives mtcute's own code, imported by file path from the installed dist (the
// package's `exports` map hides its internals): `NodeCryptoProvider` (IGE through @mtcute/wasm,
// pq through `factorizePQSync`), `createAesIgeForMessage` (aes_key/aes_iv), `AuthKey`
// (encryptMessage/decryptMessage), `MtprotoSession.decryptMessage` (auth_key_id),
// `SessionConnection._handleRawMessage` (parity and the msg_id store), the intermediate, padded
// and obfuscated packet codecs, and `doAuthorization` (the handshake) with a connection that
// replays the vector's transcript. mtcute reports a refused incoming message by logging a warning
// and dropping it: the adapter records the warning and names the rule it states. What mtcute does
// not have, or where it picks its own randomness the vector does not fix, is `unsupported`
// (README.md, op by op).
import readline from "node:readline";
import Long from "long";
import { handshakeClient, setHandshakeLib } from "./handshake.js";
import { makeTl, stringify } from "./tl.js";

const NM = new URL("./node_modules/", import.meta.url);
const lib = (path) => import(new URL(path, NM).href);

const { NodeCryptoProvider } = await lib("@mtcute/node/utils/crypto.js");
const { AuthKey } = await lib("@mtcute/core/network/auth-key.js");
const { MtprotoSession } = await lib("@mtcute/core/network/mtproto-session.js");
const { SessionConnection } = await lib("@mtcute/core/network/session-connection.js");
const { MessageIdStore } = await lib("@mtcute/core/network/message-id-store.js");
const { createAesIgeForMessage } = await lib("@mtcute/core/utils/crypto/mtproto.js");
const { IntermediatePacketCodec, PaddedIntermediatePacketCodec } =
  await lib("@mtcute/core/network/transports/intermediate.js");
const { ObfuscatedPacketCodec } = await lib("@mtcute/core/network/transports/obfuscated.js");
const { TransportError } = await lib("@mtcute/core/network/transports/abstract.js");
const { __tlReaderMap } = await lib("@mtcute/core/tl/binary/reader.js");
const { TlBinaryReader, TlUnknownObjectError } = await lib("@mtcute/tl-runtime/reader.js");
const { Bytes } = await import("@fuman/io");
const VERSION = (await import(new URL("@mtcute/core/package.json", NM).href, { with: { type: "json" } }))
  .default.version;

const crypto = new NodeCryptoProvider();
await crypto.initialize();
setHandshakeLib({ lib, crypto, Long });

const OPS = ["ige.encrypt", "ige.decrypt", "kdf.msgKey", "kdf.aesKeyIv",
  "envelope.encrypt", "envelope.decrypt", "pq.factorize", "transport.decode",
  "transport.encode", "session.open", "session.feed", "session.close", "handshake.client",
  "tl.decode", "rsa.fingerprint"];

class Unsupported extends Error {}
class Rejected extends Error {
  constructor(error, detail) { super(error); this.error = error; this.detail = detail || ""; }
}
class BadRequest extends Error {}

function hex(req, name) {
  const v = req[name];
  if (typeof v !== "string" || !/^([0-9a-fA-F]{2})*$/.test(v)) throw new BadRequest(`field \`${name}\``);
  return new Uint8Array(Buffer.from(v, "hex"));
}
const toHex = (b) => Buffer.from(b).toString("hex");
function long8(req, name) {
  const b = hex(req, name);
  if (b.length !== 8) throw new BadRequest(`field \`${name}\`: expected 8 bytes`);
  return Long.fromBytesLE(Array.from(b));
}
function side(req, field, client, server) {
  if (req[field] === client) return true;
  if (req[field] === server) return false;
  throw new BadRequest(`field \`${field}\``);
}
const isClientDirection = (req) => side(req, "direction", "clientToServer", "serverToClient");
const isClientReceiver = (req) => side(req, "receiver", "client", "server");

// A logger that keeps mtcute's warnings: how it says why it dropped a message.
function recorder() {
  const log = {
    warnings: [],
    prefix: "",
    warn(fmt, ...args) { log.warnings.push({ fmt, args }); },
    error(fmt, ...args) { log.warnings.push({ fmt, args }); },
    info() {}, debug() {}, verbose() {},
    create() { return log; },
  };
  return log;
}

// A crypto provider whose randomFill/randomBytes hand out the given bytes (once) and refuse more:
// how the vector's padding or init reaches code that draws it itself.
class Starved extends Error {}
function fedCrypto(bytes) {
  let left = bytes;
  const take = (n) => {
    if (left === null || left.length !== n) throw new Starved(`wanted ${n} random bytes`);
    const out = left; left = null; return out;
  };
  return Object.assign(Object.create(crypto), {
    randomFill(buf) { buf.set(take(buf.length)); },
    randomBytes(n) { return new Uint8Array(take(n)); },
  });
}

function authKeyOf(req, cryptoProvider = crypto, log = recorder()) {
  const k = hex(req, "authKey");
  if (k.length !== 256) throw new Rejected("KeyWrongLength");
  const key = new AuthKey(cryptoProvider, log, __tlReaderMap);
  key.setup(k);
  return key;
}

function ige(req, encrypt) {
  const key = hex(req, "key"), iv = hex(req, "iv"), data = hex(req, encrypt ? "msg" : "ct");
  if (key.length !== 32) throw new Unsupported(); // @mtcute/wasm's ige256 only
  const c = crypto.createAesIge(key, iv);
  const out = encrypt ? c.encrypt(data) : c.decrypt(data);
  return { [encrypt ? "ct" : "msg"]: toHex(out) };
}

// createAesIgeForMessage with a provider that hands back the key and iv it would build the
// cipher from.
function kdfAesKeyIv(req) {
  const client = isClientDirection(req);
  const key = hex(req, "authKey");
  if (key.length !== 256) throw new Rejected("KeyWrongLength");
  const spy = { sha256: (d) => crypto.sha256(d), createAesIge: (k, iv) => ({ k, iv }) };
  const { k, iv } = createAesIgeForMessage(spy, key, hex(req, "msgKey"), client);
  return { aesKey: toHex(k), aesIv: toHex(iv) };
}

// x = 0: AuthKey.encryptMessage over the plaintext's message part, its randomFill handing out the
// plaintext's tail as padding (only when mtcute would pick that padding length). x = 8 (mtcute
// computes it only when receiving): AuthKey.decryptMessage with an identity cipher, so its
// "plaintext" is the request's, and a msg_key of zeros; the msg_key it expected is in its warning.
function kdfMsgKey(req) {
  const client = isClientDirection(req);
  const pt = hex(req, "plaintext");
  if (client) {
    const msgLen = messageLength(pt.length - 16);
    if (msgLen < 0) throw new Unsupported();
    const msg = pt.subarray(16, 16 + msgLen);
    const key = authKeyOf(req, fedCrypto(pt.subarray(16 + msgLen)));
    const packet = encryptOrUnsupported(key, msg, Long.fromBytesLE(Array.from(pt.subarray(0, 8))),
      Long.fromBytesLE(Array.from(pt.subarray(8, 16))));
    return { msgKey: toHex(packet.subarray(8, 24)) };
  }
  const identity = Object.assign(Object.create(crypto), {
    createAesIge: () => ({ encrypt: (d) => d, decrypt: (d) => d }),
  });
  const log = recorder();
  const key = authKeyOf(req, identity, log);
  const packet = new Uint8Array(24 + pt.length);
  packet.set(key.id, 0);
  packet.set(pt, 24);
  if (pt.length % 16 !== 0) throw new Unsupported(); // decryptMessage drops a partial block
  key.decryptMessage(packet, Long.ZERO, () => {});
  const w = log.warnings.find((x) => /invalid messageKey/.test(x.fmt));
  if (!w) throw new Error("mtcute accepted a zero msg_key");
  return { msgKey: toHex(w.args[1]) };
}

// The message length whose padding, as encryptMessage picks it (12..27 bytes), fills `rest`
// bytes (the plaintext after salt and session_id); -1 if there is none.
function messageLength(rest) {
  for (let pad = 12; pad <= 27 && rest - pad >= 0; pad++) {
    let p = (16 + rest - pad + 12) % 16;
    p = 12 + (p ? 16 - p : 0);
    if (p === pad) return rest - pad;
  }
  return -1;
}

function encryptOrUnsupported(key, msg, salt, sessionId) {
  try {
    return key.encryptMessage(msg, salt, sessionId);
  } catch (e) {
    if (e instanceof Starved) throw new Unsupported();
    throw e;
  }
}

function envelopeEncrypt(req) {
  if (!isClientDirection(req)) throw new Unsupported(); // mtcute encrypts as a client only
  if (!Number.isInteger(req.seqNo)) throw new BadRequest("field `seqNo`");
  const body = hex(req, "body"), padding = hex(req, "padding");
  const msg = new Uint8Array(16 + body.length);
  msg.set(hex(req, "msgId"), 0);
  const dv = new DataView(msg.buffer);
  dv.setInt32(8, req.seqNo, true);
  dv.setInt32(12, body.length, true);
  msg.set(body, 16);
  const key = authKeyOf(req, fedCrypto(padding));
  const packet = encryptOrUnsupported(key, msg, long8(req, "salt"), long8(req, "sessionId"));
  return { packet: toHex(packet) };
}

// mtcute's warning for a dropped message, as a vocabulary name.
function dropReason(log) {
  const w = log.warnings[log.warnings.length - 1];
  if (!w) return ["Rejected", "dropped without a warning"];
  const text = `${w.fmt} ${w.args.map(String).join(" ")}`;
  let name = "Rejected";
  if (/unknown authKey/.test(w.fmt)) name = "AuthKeyIdMismatch";
  else if (/invalid messageKey/.test(w.fmt)) name = "MsgKeyMismatch";
  else if (/invalid sessionId/.test(w.fmt)) name = "SessionIdMismatch";
  else if (/not a multiple of 4/.test(w.fmt)) name = "LengthNotAligned";
  else if (/invalid length/.test(w.fmt)) name = "LengthOutOfRange";
  else if (/padding size/.test(w.fmt)) name = w.args[0] < 12 ? "PaddingTooShort" : "PaddingTooLong";
  else if (/is even/.test(w.fmt)) name = "MsgIdParity";
  return [name, text];
}

// A session with one permanent key, as MtprotoSession.decryptMessage reads it (the temp keys are
// set up empty, as before PFS binding).
function fakeSession(key, sessionId, log) {
  const session = Object.create(MtprotoSession.prototype);
  const empty = new AuthKey(crypto, log, __tlReaderMap);
  return Object.assign(session, {
    _authKey: key, _authKeyTemp: empty, _authKeyTempSecondary: empty,
    _sessionId: sessionId, log, recentIncomingMsgIds: new MessageIdStore(),
  });
}

function envelopeDecrypt(req) {
  if (!isClientReceiver(req)) throw new Unsupported(); // mtcute receives as a client only
  const log = recorder();
  const key = authKeyOf(req, crypto, log);
  const session = fakeSession(key, long8(req, "sessionId"), log);
  const packet = hex(req, "packet");
  if (packet.length < 8) throw new Rejected("TooShort", "shorter than an auth_key_id");
  let got = null;
  try {
    session.decryptMessage(packet, (messageId, seqNo, reader) => {
      got = { messageId, seqNo, data: reader.uint8View };
    });
  } catch (e) {
    // Reading the header of a plaintext shorter than 32 bytes runs off its end.
    if (e instanceof RangeError) throw new Rejected("TooShort", String(e.message));
    throw e;
  }
  if (!got) throw new Rejected(...dropReason(log));
  const pt = got.data;
  const len = new DataView(pt.buffer, pt.byteOffset).getUint32(28, true);
  return {
    salt: toHex(pt.subarray(0, 8)),
    sessionId: toHex(pt.subarray(8, 16)),
    msgId: toHex(pt.subarray(16, 24)),
    seqNo: got.seqNo,
    body: toHex(pt.subarray(32, 32 + len)),
  };
}

// NodeCryptoProvider.factorizePQ (factorizePQSync, Pollard-Brent), what doAuthorization calls on
// resPQ's pq after refusing a prime pq with millerRabin: both are the library's client path.
async function pqFactorize(req) {
  const pq = hex(req, "pq");
  const { millerRabin } = await lib("@mtcute/core/utils/crypto/miller-rabin.js");
  const { bigint } = await import("@fuman/utils");
  const n = bigint.fromBytes(pq);
  if (n < 2n) throw new Rejected("PqNotFactorable", "pq < 2");
  if (millerRabin(crypto, n)) throw new Rejected("PqNotFactorable", "Step 2: pq is prime");
  const [p, q] = await crypto.factorizePQ(pq);
  const strip = (b) => { let i = 0; while (i < b.length - 1 && b[i] === 0) i++; return b.subarray(i); };
  return { p: toHex(strip(p)), q: toHex(strip(q)) };
}

// Transports: mtcute's codecs are a client's: encode client-to-server streams, decode
// server-to-client ones. No abridged or full transport; MTProxy secrets through the obfuscated
// codec's proxy parameter (dc id from the init's bytes 60..62).
function codecFor(req, init) {
  const name = req.transport;
  let inner;
  if (name === "intermediate") inner = new IntermediatePacketCodec();
  else if (name === "padded") inner = new PaddedIntermediatePacketCodec();
  else return null;
  const obfuscated = req.obfuscated === true;
  if (!obfuscated) {
    if ("secret" in req) return null;
    inner.setup?.(crypto, recorder());
    return { codec: inner, header: async () => inner.tag() };
  }
  let proxy;
  if ("secret" in req) {
    const secret = hex(req, "secret");
    if (secret.length !== 16) return null;
    const dcId = new DataView(init.buffer, init.byteOffset).getInt16(60, true);
    proxy = { dcId, secret, test: false, media: false };
  }
  const codec = new ObfuscatedPacketCodec(inner, proxy);
  codec.setup(fedCrypto(init), recorder());
  return { codec, header: async () => codec.tag() };
}

async function transportDecode(req) {
  if (side(req, "direction", "serverToClient", "clientToServer") !== true) throw new Unsupported();
  const obfuscated = req.obfuscated === true;
  const init = obfuscated ? hex(req, "init") : null;
  const c = codecFor(req, init);
  if (!c) throw new Unsupported();
  if (obfuscated) {
    try { await c.header(); } catch (e) {
      if (e instanceof Starved) throw new Rejected("ForbiddenPrefix", "mtcute would not use this init");
      throw e;
    }
  }
  const reader = Bytes.from(hex(req, "stream"));
  const frames = [];
  for (;;) {
    let frame;
    try {
      frame = await c.codec.decode(reader, false);
    } catch (e) {
      if (e instanceof TransportError) {
        frames.push({ kind: "error", code: -e.code });
        continue;
      }
      throw e;
    }
    if (frame === null) break;
    frames.push({ kind: "payload", data: toHex(frame), quickAck: false });
  }
  const left = reader.available + (obfuscated ? c.codec._decodeBuf.available : 0);
  if (left > 0) throw new Rejected("Truncated", `${left} bytes left: mtcute waits for more`);
  return { frames };
}

async function transportEncode(req) {
  const toServer = side(req, "direction", "clientToServer", "serverToClient");
  if (req.transport === "padded") throw new Unsupported(); // padding from Math.random
  if (!Array.isArray(req.frames)) throw new BadRequest("field `frames`");
  const payloads = req.frames.map((f, i) => {
    if (!f || f.kind !== "payload" || f.quickAck === true) throw new Unsupported();
    return hex(f, "data");
  });
  const obfuscated = req.obfuscated === true;
  // Server to client: the intermediate codec's encode is the same framing in both directions
  // (no tag is sent that way); the obfuscated codec holds only a client's keys.
  if (!toServer) {
    if (obfuscated || "secret" in req || req.transport !== "intermediate") throw new Unsupported();
    const codec = new IntermediatePacketCodec();
    const out = Bytes.alloc();
    for (const p of payloads) codec.encode(p, out);
    return { stream: toHex(out.result()) };
  }
  const init = obfuscated ? hex(req, "init") : null;
  const c = codecFor(req, init);
  if (!c) throw new Unsupported();
  let header;
  try {
    header = await c.header();
  } catch (e) {
    if (e instanceof Starved) throw new Rejected("ForbiddenPrefix", "mtcute draws another init");
    throw e;
  }
  const out = Bytes.alloc();
  for (const p of payloads) await c.codec.encode(p, out);
  return { stream: toHex(header) + toHex(out.result()) };
}

// Sessions: each step becomes a real server packet (the step's session_id, msg_id and seq_no, a
// pong body or a msg_container of pongs; x = 8 msg_key and IGE through mtcute's own
// createAesIgeForMessage) passed through MtprotoSession.decryptMessage (auth_key_id, msg_key,
// session_id, length and padding) to SessionConnection._handleRawMessage (containers, then
// _handleMessage: parity and the MessageIdStore of the session).
const SESSION_KEY = new Uint8Array(Array.from({ length: 256 }, (_, i) => i));
const sessions = new Map();
let nextHandle = 1;

function sessionOpen(req) {
  if (!isClientReceiver(req)) throw new Unsupported(); // mtcute receives as a client only
  // MessageIdStore keeps 1000 ids (a module constant): traces for another window are not mtcute's.
  if (req.windowSize !== undefined && req.windowSize !== 1000) throw new Unsupported();
  const log = recorder();
  const key = new AuthKey(crypto, log, __tlReaderMap);
  key.setup(SESSION_KEY);
  const session = fakeSession(key, long8(req, "sessionId"), log);
  const conn = Object.create(SessionConnection.prototype);
  const accepted = [];
  Object.assign(conn, {
    _session: session, log, _readerMap: __tlReaderMap, _crypto: crypto,
    _sendAck() {},
    _onPong(message) { accepted.push(message.msgId.toString()); },
  });
  const handle = nextHandle++;
  sessions.set(handle, { key, session, conn, log, accepted });
  return { handle };
}

const u32 = (v) => { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, v >>> 0, true); return b; };
const cat = (...parts) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0; for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
};
// pong#347773c5 msg_id:long ping_id:long, its msg_id field the message's own id.
const pong = (msgId) => cat(u32(0x347773c5), msgId, msgId);

function innerBody(item, path) {
  const msgId = hex(item, "msgId");
  if (msgId.length !== 8) throw new BadRequest(`${path}.msgId: 8 bytes`);
  if (!Number.isInteger(item.seqNo)) throw new BadRequest(`${path}.seqNo`);
  if (!("container" in item)) return { msgId, body: pong(msgId) };
  if (!Array.isArray(item.container)) throw new BadRequest(`${path}.container`);
  const parts = item.container.map((inner, i) => {
    const { msgId: id, body } = innerBody(inner, `${path}.container[${i}]`);
    return cat(id, u32(inner.seqNo), u32(body.length), body);
  });
  return { msgId, body: cat(u32(0x73f1f8dc), u32(item.container.length), ...parts) };
}

function serverPacket(key, sessionId, msgId, seqNo, body) {
  const head = cat(new Uint8Array(8), sessionId, msgId, u32(seqNo), u32(body.length));
  const unpadded = cat(head, body);
  const padLen = 12 + ((16 - ((unpadded.length + 12) % 16)) % 16);
  const data = cat(unpadded, new Uint8Array(padLen));
  const msgKey = crypto.sha256(cat(key.key.subarray(96, 128), data)).subarray(8, 24);
  const enc = createAesIgeForMessage(crypto, key.key, msgKey, false).encrypt(data);
  return cat(key.id, msgKey, enc);
}

function collectIds(item, out) {
  out.push(Long.fromBytesLE(Array.from(hex(item, "msgId"))).toString());
  for (const inner of item.container || []) collectIds(inner, out);
  return out;
}

function verdictFor(s, id, before) {
  if (s.accepted.includes(id)) return { verdict: "accept" };
  const w = s.log.warnings.slice(before);
  if (w.length) {
    const [error] = dropReason({ warnings: w });
    return { verdict: "ignore", error };
  }
  return { verdict: "ignore", error: "Duplicate" }; // dropped at debug level: duplicate or too old
}

function sessionFeed(req) {
  const s = sessions.get(req.handle);
  if (!s) throw new BadRequest("field `handle`: unknown");
  const sid = hex(req, "sessionId");
  if (sid.length !== 8) throw new BadRequest("sessionId: 8 bytes");
  const { msgId, body } = innerBody(req, "step");
  const packet = serverPacket(s.key, sid, msgId, req.seqNo, body);
  s.accepted.length = 0;
  s.log.warnings.length = 0;
  let reached = false;
  s.session.decryptMessage(packet, (id, seqNo, reader) => {
    reached = true;
    s.conn._handleRawMessage(id, seqNo, reader);
  });
  if (!reached) return { verdict: "ignore", error: dropReason(s.log)[0] };
  if (!("container" in req)) {
    const id = Long.fromBytesLE(Array.from(msgId)).toString();
    return verdictFor(s, id, 0);
  }
  // A container's own id is checked by nothing: it is "accepted" when its content was read.
  // _handleRawMessage recurses into a nested container as into the outer one: the nested
  // container is accepted when any message inside it was.
  const inner = req.container.map((item) => {
    const id = Long.fromBytesLE(Array.from(hex(item, "msgId"))).toString();
    if ("container" in item) {
      const ids = collectIds(item, []).slice(1);
      return ids.some((x) => s.accepted.includes(x)) ? { verdict: "accept" } : verdictFor(s, id, 0);
    }
    return verdictFor(s, id, 0);
  });
  return { verdict: "accept", inner };
}

function sessionClose(req) {
  sessions.delete(req.handle);
  return {};
}

const tl = makeTl({ TlBinaryReader, TlUnknownObjectError, readerMap: __tlReaderMap, Long,
  errors: { Unsupported, Rejected, BadRequest } });

// --- rsa.fingerprint: `parsePublicKey(crypto, pem)` (utils/crypto/keys.js), what mtcute runs
// over every built-in and added key; it reads a PKCS#1 PEM, so the request's numbers are written
// as one by Node's own `crypto.createPublicKey` (JWK in, PKCS#1 PEM out). The fingerprint it
// answers is the hex of the 64-bit value; the op answers its 8 little-endian wire bytes.
// `rsa.padEncrypt` is unsupported: mtcute's `rsaPad` is private to network/authorization.js and
// runs over the p_q_inner_data it builds itself; `rsa.padDecrypt`: no server side.
const { parsePublicKey } = await lib("@mtcute/core/utils/crypto/keys.js");
async function rsaFingerprint(req) {
  const strip = (b) => { let i = 0; while (i < b.length && b[i] === 0) i++; return Buffer.from(b.subarray(i)); };
  const jwk = { kty: "RSA", n: strip(hex(req, "n")).toString("base64url"), e: strip(hex(req, "e")).toString("base64url") };
  const pem = (await import("node:crypto")).createPublicKey({ key: jwk, format: "jwk" })
    .export({ type: "pkcs1", format: "pem" });
  const { fingerprint } = parsePublicKey(crypto, pem);
  return { fingerprint: Buffer.from(fingerprint.padStart(16, "0"), "hex").reverse().toString("hex") };
}

const HANDLERS = {
  "ige.encrypt": (r) => ige(r, true),
  "ige.decrypt": (r) => ige(r, false),
  "kdf.msgKey": kdfMsgKey,
  "kdf.aesKeyIv": kdfAesKeyIv,
  "envelope.encrypt": envelopeEncrypt,
  "envelope.decrypt": envelopeDecrypt,
  "pq.factorize": pqFactorize,
  "transport.decode": transportDecode,
  "transport.encode": transportEncode,
  "session.open": sessionOpen,
  "session.feed": sessionFeed,
  "session.close": sessionClose,
  "tl.decode": tl.decode,
  "handshake.client": (r) => handshakeClient(r, { Unsupported, Rejected, BadRequest, hex, toHex }),
  "rsa.fingerprint": rsaFingerprint,
};

async function answer(req) {
  const id = req.id === undefined ? null : req.id;
  if (req.op === "hello") {
    if (req.version !== 1) return { id, ok: false, error: "UnsupportedVersion" };
    return { id, ok: true, protocol: 1, name: "mtcute", version: VERSION, ops: OPS };
  }
  const handler = HANDLERS[req.op];
  if (!handler) return { id, unsupported: true };
  try {
    const out = await handler(req);
    return Object.assign({ id, ok: true }, out);
  } catch (e) {
    if (e instanceof Unsupported) return { id, unsupported: true };
    if (e instanceof Rejected) return { id, ok: false, error: e.error, detail: e.detail };
    if (e instanceof BadRequest) return { id, ok: false, internal: `bad request: ${e.message}` };
    const what = e && e.constructor ? e.constructor.name : typeof e;
    return { id, ok: false, internal: `library raised ${what}: ${e && e.message}` };
  }
}

process.on("uncaughtException", (e) => { process.stderr.write(`uncaught: ${e && e.stack}\n`); });
const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of rl) {
  let resp;
  try {
    const req = JSON.parse(line);
    if (req === null || typeof req !== "object" || Array.isArray(req)) throw new Error("not an object");
    resp = await answer(req);
  } catch (e) {
    resp = { id: null, ok: false, internal: `malformed request: ${e.message}` };
  }
  process.stdout.write(stringify(resp) + "\n");
}
