#!/usr/bin/env node
// mtproto-harness adapter for @mtproto/core (npm): JSON lines over stdio, protocol version 1
// (wire format in harness/iut/src/subprocess.rs).
//
// @mtproto/core keeps its protocol in one class, `RPC` (src/rpc/index.js), whose methods read
// `this` for state and storage. The adapter builds an RPC object without its constructor (which
// opens a transport) and calls the library's own methods on it: `handleEncryptedMessage` (the
// receive path), `sendEncryptedMessage` (the send path), `getAESInstance` (aes_key/aes_iv),
// `verifyDhParams` (DH checks) and the handshake chain `handleTransportOpen` -> `handlePQResponse`
// -> `handleDHParams` -> `generateDH` -> `handleDHAnswer` with a transport that records what is
// sent. Its IGE is `src/crypto/aes` (aes-js underneath), its pq factorizer `src/crypto/pq`.
// Randomness (padding, nonces, b) comes from the vector through `crypto.getRandomBytes`.
"use strict";
const readline = require("readline");
const bigInt = require("big-integer");
const RPC = require("@mtproto/core/src/rpc");
const Crypto = require("@mtproto/core/src/crypto");
const AES = require("@mtproto/core/src/crypto/aes");
const Serializer = require("@mtproto/core/src/tl/serializer");
const Deserializer = require("@mtproto/core/src/tl/deserializer");
const SHA1 = require("@mtproto/core/envs/node/sha1");
const SHA256 = require("@mtproto/core/envs/node/sha256");
const PBKDF2 = require("@mtproto/core/envs/node/pbkdf2");
const getRandomBytes = require("@mtproto/core/envs/node/get-random-bytes");
const VERSION = require("@mtproto/core/package.json").version;
const tl = require("./tl");

const OPS = ["ige.encrypt", "ige.decrypt", "kdf.msgKey", "kdf.aesKeyIv", "envelope.encrypt",
  "envelope.decrypt", "dh.checkParams", "dh.checkValue", "handshake.client", "tl.decode",
  "rsa.fingerprint"];

class Unsupported extends Error {}
class Rejected extends Error {
  constructor(error, detail) { super(error); this.error = error; this.detail = detail || ""; }
}
class BadRequest extends Error {}
class Starved extends Error {}

function hex(req, name) {
  const v = req[name];
  if (typeof v !== "string" || !/^([0-9a-fA-F]{2})*$/.test(v)) throw new BadRequest(`field \`${name}\``);
  return new Uint8Array(Buffer.from(v, "hex"));
}
const toHex = (b) => Buffer.from(b).toString("hex");
function side(req, field, yes, no) {
  if (req[field] === yes) return true;
  if (req[field] === no) return false;
  throw new BadRequest(`field \`${field}\``);
}

// The library's Crypto (SHA1/SHA256 of its node env, its RSA), drawing random bytes from `draw`.
function cryptoWith(draw) {
  return new Crypto({ SHA1, SHA256, PBKDF2, getRandomBytes: draw });
}
// Random bytes handed out in order; a draw of another size, or past the end, is refused.
function script(...parts) {
  const queue = parts.slice();
  return (n) => {
    const next = queue.shift();
    if (!next || next.length !== n) throw new Starved(`wanted ${n} random bytes`);
    return new Uint8Array(next);
  };
}

// An RPC object as its constructor leaves it, minus the transport and the debounced acks.
function rpcWith({ authKey, salt, sessionId, draw, warnings }) {
  const rpc = Object.create(RPC.prototype);
  const storage = new Map([["timeOffset", 0]]);
  if (authKey) storage.set("2authKey", Array.from(authKey));
  if (salt) storage.set("2serverSalt", Array.from(salt));
  Object.assign(rpc, {
    dc: { id: 2 },
    crypto: cryptoWith(draw || script()),
    context: { storage: { get: async (k) => storage.get(k), set: async (k, v) => { storage.set(k, v); } } },
    debug() {},
    pendingAcks: [], messagesWaitAuth: [], messagesWaitResponse: new Map(),
    seqNo: 0, sessionId: sessionId || new Uint8Array(8), lastMessageId: [0, 0],
    sent: [],
    transport: { send(bytes) { rpc.sent.push(Uint8Array.from(bytes)); }, isAvailable: true },
    sendAcks() {}, sendWaitMessages() {},
    storage,
  });
  return rpc;
}

function authKeyOf(req) {
  const k = hex(req, "authKey");
  if (k.length !== 256) throw new Rejected("KeyWrongLength");
  return k;
}

// `src/crypto/aes` IGE (aes-js: AES-128, -192 and -256 keys).
function ige(req, encrypt) {
  const key = hex(req, "key"), iv = hex(req, "iv"), data = hex(req, encrypt ? "msg" : "ct");
  let out;
  try {
    const c = new AES.IGE(key, iv);
    out = encrypt ? c.encrypt(data) : c.decrypt(data);
  } catch (e) {
    const m = String(e && e.message);
    if (/size \(must be multiple of 16/.test(m)) throw new Rejected("NotBlockAligned", m);
    if (/key size/.test(m)) throw new Unsupported();
    throw e;
  }
  return { [encrypt ? "ct" : "msg"]: toHex(out) };
}

// `getAESInstance(authKey, msgKey, isServer)` with AES.IGE swapped for a recorder for the call.
async function kdfAesKeyIv(req) {
  const client = side(req, "direction", "clientToServer", "serverToClient");
  const authKey = authKeyOf(req);
  const saved = AES.IGE;
  let got = null;
  AES.IGE = function (key, iv) { got = { key, iv }; };
  try {
    await rpcWith({}).getAESInstance(authKey, hex(req, "msgKey"), !client);
  } finally {
    AES.IGE = saved;
  }
  return { aesKey: toHex(got.key), aesIv: toHex(got.iv) };
}

// sendEncryptedMessage with the message's fields fed in: salt and session_id as its state,
// msg_id through getMessageId, seq_no through its counter, the padding through getRandomBytes
// (only the length it picks: 12..27 bytes). Returns the packet it hands the transport.
async function send({ authKey, salt, sessionId, msgId, seqNo, body, padding }) {
  if (!Number.isInteger(seqNo) || seqNo < 0) throw new Unsupported(); // a counter makes it
  const rpc = rpcWith({ authKey, salt, sessionId, draw: script(padding) });
  rpc.getMessageId = async () => Array.from(msgId);
  rpc.seqNo = seqNo >> 1;
  try {
    await rpc.sendEncryptedMessage(body, { isContentRelated: (seqNo & 1) === 1 });
  } catch (e) {
    if (e instanceof Starved) throw new Unsupported();
    throw e;
  }
  return rpc.sent[0];
}

async function envelopeEncrypt(req) {
  if (!side(req, "direction", "clientToServer", "serverToClient")) throw new Unsupported();
  const packet = await send({
    authKey: authKeyOf(req), salt: hex(req, "salt"), sessionId: hex(req, "sessionId"),
    msgId: hex(req, "msgId"), seqNo: req.seqNo, body: hex(req, "body"), padding: hex(req, "padding"),
  });
  return { packet: toHex(packet) };
}

// x = 0: the msg_key of the packet sendEncryptedMessage makes from the plaintext (its padding
// length only). x = 8 is computed only inside handleEncryptedMessage, compared, never returned.
async function kdfMsgKey(req) {
  if (!side(req, "direction", "clientToServer", "serverToClient")) throw new Unsupported();
  const pt = hex(req, "plaintext");
  for (let pad = 12; pad <= 27 && pt.length - pad >= 32; pad++) {
    const bodyLen = pt.length - 32 - pad;
    if ((32 + bodyLen + 12) % 16 !== 0 && 12 + 16 - ((32 + bodyLen + 12) % 16) !== pad) continue;
    if ((32 + bodyLen + 12) % 16 === 0 && pad !== 12) continue;
    const seqNo = Buffer.from(pt).readInt32LE(24);
    const packet = await send({
      authKey: authKeyOf(req), salt: pt.subarray(0, 8), sessionId: pt.subarray(8, 16),
      msgId: pt.subarray(16, 24), seqNo, body: pt.subarray(32, 32 + bodyLen),
      padding: pt.subarray(32 + bodyLen),
    });
    // sendEncryptedMessage writes data.length as the length field: only plaintexts whose field
    // says so are this packet's.
    if (Buffer.from(pt).readUInt32LE(28) !== bodyLen) throw new Unsupported();
    return { msgKey: toHex(packet.subarray(8, 24)) };
  }
  throw new Unsupported();
}

// handleEncryptedMessage, the library's receive path: it logs (console.warn) and drops a message
// it refuses; the adapter keeps the warning and names the rule. The TL body is read as an opaque
// object (the vectors' bodies are arbitrary bytes), and handleDecryptedMessage, the next stage,
// records what was delivered.
async function envelopeDecrypt(req) {
  if (!side(req, "receiver", "client", "server")) throw new Unsupported(); // a client only
  const authKey = authKeyOf(req);
  const packet = hex(req, "packet");
  const rpc = rpcWith({ authKey, sessionId: hex(req, "sessionId") });
  let plaintext = null, delivered = null;
  const savedAes = rpc.getAESInstance;
  rpc.getAESInstance = async (...args) => {
    const c = await savedAes.apply(rpc, args);
    return { decrypt: (d) => (plaintext = c.decrypt(d)), encrypt: (d) => c.encrypt(d) };
  };
  rpc.handleDecryptedMessage = (message, params) => { delivered = params; };
  const warnings = [];
  const savedWarn = console.warn, savedPredicate = Deserializer.prototype.predicate;
  console.warn = (...a) => warnings.push(a.join(" "));
  Deserializer.prototype.predicate = function () { return { _: "opaque" }; };
  try {
    await rpc.handleEncryptedMessage(packet.buffer.slice(packet.byteOffset, packet.byteOffset + packet.length));
  } catch (e) {
    const m = String(e && e.message);
    if (/multiple of 16|Offset is outside|out of range|bounds/i.test(m)) throw new Rejected("Rejected", m);
    throw e;
  } finally {
    console.warn = savedWarn;
    Deserializer.prototype.predicate = savedPredicate;
  }
  if (!delivered) {
    const w = warnings[warnings.length - 1] || "dropped without a warning";
    let name = "Rejected";
    if (/msg_key/.test(w)) name = "MsgKeyMismatch";
    else if (/multiple of four/.test(w)) name = "LengthNotAligned";
    else if (/exceed the plaintext length/.test(w)) name = "LengthOutOfRange";
    throw new Rejected(name, w);
  }
  const pt = Buffer.from(plaintext);
  const len = pt.readUInt32LE(28);
  return {
    salt: toHex(pt.subarray(0, 8)),
    sessionId: toHex(pt.subarray(8, 16)),
    msgId: toHex(pt.subarray(16, 24)),
    seqNo: delivered.seqNo,
    body: toHex(pt.subarray(32, 32 + len)),
  };
}

// pq.factorize is left out: src/crypto/pq (leemon's Pollard rho, up to 3 rounds of 2^18..2^20
// steps) takes about a CPU-second per pq here, over four minutes for the pq suite. The handshake
// cases still run it on resPQ's pq.

// verifyDhParams(g, dh_prime, g_a): g must be 3, dh_prime Telegram's, then g_a's range. It has
// no parameters-only entry: dh.checkParams passes g_a = dh_prime / 2 (inside every range for a
// 2048-bit prime; reached only when g and dh_prime already passed).
function dhName(m) {
  if (/must be equal to 3/.test(m)) return "GOutOfRange";
  if (/dh_prime incorrect/.test(m)) return "Rejected";
  if (/g_a <= 1|g_a >= dh_prime - 1/.test(m)) return "ValueOutOfRange";
  if (/2\^\{2048-64\}/.test(m)) return "ValueUnsafe";
  return "Rejected";
}
function verify(p, g, value) {
  if (!Number.isInteger(g)) throw new BadRequest("field `g`");
  try {
    rpcWith({}).verifyDhParams(bigInt(g), p, value);
  } catch (e) {
    const m = String(e && e.message);
    throw new Rejected(dhName(m), m);
  }
  return {};
}
const big = (b) => bigInt(b.length ? toHex(b) : "0", 16);
function dhCheckParams(req) {
  const p = big(hex(req, "p"));
  return verify(p, req.g, p.shiftRight(1));
}
function dhCheckValue(req) {
  return verify(big(hex(req, "p")), req.g, big(hex(req, "value")));
}

// The handshake: the RPC's own chain, each server message handed to the handler the library
// would call next, what it sends recorded from the transport. @mtproto/core knows only its
// built-in server keys; the vector's key is offered too by a lookup that computes its
// fingerprint with the library's own Serializer and SHA1 and otherwise asks the library's.
// Randomness in the order it is drawn: nonce (16), new_nonce (32), the 255 bytes behind the
// legacy RSA data (the vector's rsaPadding, zero-extended), b (256), the DH padding.
async function handshakeClient(req) {
  if (req.expiresIn !== undefined) throw new Unsupported(); // no temporary keys
  const n = hex(req, "rsaN"), e = hex(req, "rsaE");
  const rsaPadding = hex(req, "rsaPadding"), dhPadding = hex(req, "dhPadding");
  const queue = [hex(req, "nonce"), hex(req, "newNonce")];
  let stage = 0;
  const draw = (size) => {
    if (stage < 2) {
      const v = queue[stage++];
      if (v.length !== size) throw new Starved(`wanted ${size} bytes`);
      return new Uint8Array(v);
    }
    if (stage === 2 && size === 255) {
      stage = 3;
      const out = new Uint8Array(255);
      out.set(rsaPadding.subarray(0, 255));
      return out;
    }
    if (stage === 3 && size === 256) { stage = 4; return hex(req, "b"); }
    if (stage === 4 && size <= dhPadding.length) { stage = 5; return dhPadding.slice(0, size); }
    throw new Starved(`wanted ${size} bytes at stage ${stage}`);
  };
  const rpc = rpcWith({ draw });
  rpc.getMessageId = async () => [0, 4];
  const builtIn = rpc.crypto.rsa.getRsaKeyByFingerprints.bind(rpc.crypto.rsa);
  const modulus = toHex(n), exponent = toHex(e);
  rpc.crypto.rsa.getRsaKeyByFingerprints = async (fingerprints) => {
    const s = new Serializer(function () { this.bytes(n); this.bytes(e); });
    const fp = (await SHA1(s.getBuffer())).slice(-8).reverse();
    const mine = bigInt(toHex(fp), 16).toString(16);
    for (const f of fingerprints) {
      if (bigInt(f).toString(16) === mine) {
        return { fingerprint: f, modulus, exponent };
      }
    }
    return builtIn(fingerprints);
  };
  // Let the chain's unawaited steps (generateDH) finish before the next message.
  const settle = () => new Promise((r) => setImmediate(r));
  const frame = (body) => {
    const out = new Uint8Array(20 + body.length);
    new DataView(out.buffer).setUint32(16, body.length, true);
    out.set(body, 20);
    return out.buffer;
  };
  if (!Number.isInteger(req.now)) throw new BadRequest("field `now`");
  const failures = [];
  const savedNow = Date.now;
  Date.now = () => req.now * 1000; // the clock the vector's time offset is measured against
  const onReject = (err) => failures.push(err);
  process.on("unhandledRejection", onReject);
  try {
    await rpc.handleTransportOpen();
    for (const name of ["resPq", "serverDhParams", "dhGen"]) {
      if (!(name in req)) break;
      await rpc.handleMessage(frame(hex(req, name)));
      await settle();
      if (failures.length) throw failures[0];
    }
  } catch (err) {
    if (err instanceof Starved) throw new Unsupported();
    throw new Rejected(handshakeName(String(err && err.message)), String(err && err.message));
  } finally {
    process.off("unhandledRejection", onReject);
    Date.now = savedNow;
  }
  if (!rpc.isAuth) throw new Rejected("Rejected", "the handshake did not complete");
  const body = (i) => toHex((rpc.sent[i] || new Uint8Array(20)).subarray(20));
  return {
    reqPqMulti: body(0),
    reqDhParams: body(1),
    setClientDhParams: body(rpc.sent.length - 1),
    authKey: toHex(rpc.storage.get("2authKey")),
    serverSalt: toHex(rpc.storage.get("2serverSalt")),
    // It stores local - server; the protocol's offset is server - local.
    timeOffset: -rpc.storage.get("timeOffset"),
  };
}

function handshakeName(m) {
  if (/server_nonce are not equal/.test(m)) return "ServerNonceMismatch";
  if (/nonce are not equal/.test(m)) return "NonceMismatch";
  if (/Invalid hash in DH params/.test(m)) return "AnswerHashMismatch";
  if (/Invalid hash in mt_dh_gen/.test(m)) return "NewNonceHashMismatch";
  if (/^mt_dh_gen_fail$/.test(m)) return "DhGenFail";
  if (/must be multiple of 16|invalid ciphertext size/.test(m)) return "NotBlockAligned";
  // No known key: the lookup answers null and the next step reads a field of it.
  if (/properties of null/.test(m)) return "NoKnownFingerprint";
  return dhName(m);
}

// --- rsa.fingerprint: `RSA.getPublisKeysByHex` (src/utils/rsa) computes the fingerprints of
// mtproto-core's built-in keys (SHA1 over its TL serialization of modulus and exponent); the op
// looks the request's (n, e) up among them and answers the fingerprint's 8 little-endian wire
// bytes. A key it does not ship is unsupported: its key table is a module constant. No
// `rsa.padEncrypt`: `RSA.encrypt` is the pre-2.0 scheme (the caller hashes and pads); no
// `rsa.padDecrypt`: no server side.
const RsaKeys = require("@mtproto/core/src/utils/rsa");
async function rsaFingerprint(req) {
  const strip = (b) => { let i = 0; while (i < b.length && b[i] === 0) i++; return b.subarray(i).toString("hex"); };
  const n = strip(Buffer.from(req.n, "hex")), e = strip(Buffer.from(req.e, "hex"));
  const byHex = await new RsaKeys({ SHA1 }).getPublisKeysByHex();
  for (const [fp, key] of Object.entries(byHex)) {
    if (key.modulus.toLowerCase() === n && key.exponent.toLowerCase() === e) {
      return { fingerprint: Buffer.from(fp.padStart(16, "0"), "hex").reverse().toString("hex") };
    }
  }
  throw new Unsupported();
}

const HANDLERS = {
  "ige.encrypt": (r) => ige(r, true),
  "ige.decrypt": (r) => ige(r, false),
  "kdf.msgKey": kdfMsgKey,
  "kdf.aesKeyIv": kdfAesKeyIv,
  "envelope.encrypt": envelopeEncrypt,
  "envelope.decrypt": envelopeDecrypt,
  "dh.checkParams": dhCheckParams,
  "dh.checkValue": dhCheckValue,
  "handshake.client": handshakeClient,
  "tl.decode": (r) => tl.decode(r, { Unsupported, Rejected, BadRequest }),
  "rsa.fingerprint": rsaFingerprint,
};

async function answer(req) {
  const id = req.id === undefined ? null : req.id;
  if (req.op === "hello") {
    if (req.version !== 1) return { id, ok: false, error: "UnsupportedVersion" };
    return { id, ok: true, protocol: 1, name: "mtproto-core", version: VERSION, ops: OPS };
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

async function main() {
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
    process.stdout.write(tl.stringify(resp) + "\n");
  }
}
process.on("uncaughtException", (e) => { process.stderr.write(`uncaught: ${e && e.stack}\n`); });
// The library prints diagnostics with console.log; stdout is the protocol's.
console.log = (...a) => process.stderr.write(`${a.join(" ")}\n`);
main();
