#!/usr/bin/env node
// mtproto-harness adapter for GramJS (npm `telegram`), JSON lines over stdio, v1 (docs/adapter-protocol.md).
//
// Every op goes through GramJS's own code: `crypto/IGE` (@cryptography/aes underneath) for IGE,
// `MTProtoState._calcKey` for aes_key/aes_iv, `MTProtoState.encryptMessageData` for msg_key and
// outgoing packets, `MTProtoState.decryptMessageData` for incoming packets. What the library does
// not expose (a server side, x = 8 msg_key, a caller-chosen padding length) is `unsupported`.
// Its SecurityError/InvalidBufferError are rejections; any other exception is reported as
// `internal` (the harness records an `error`), never a crash of the adapter.
"use strict";
//
// The same code drives teleproto (GramJS's successor, same layout): `adapters/teleproto/adapter.js`
// calls `run` with its own package name and a `require` rooted in its own node_modules.
const readline = require("readline");
const nodeCrypto = require("crypto");
const { Worker, MessageChannel, receiveMessageOnPort } = require("worker_threads");

// Bound by `run`: the library's modules, loaded from the package under test.
let IGE, AuthKey, MTProtoState, Factorizator, BinaryReader, errors, helpers, bigInt;
let doAuthentication, serverKeys, serializeBytes, fromLine;
let PromisedNetSockets, AbridgedPacketCodec, FullPacketCodec, ObfuscatedIO;
let NAME, VERSION;
let factorizatorPath, bigIntegerPath;

const OPS = ["ige.encrypt", "ige.decrypt", "kdf.msgKey", "kdf.aesKeyIv",
  "envelope.encrypt", "envelope.decrypt", "pq.factorize",
  "session.open", "session.feed", "session.close", "transport.decode", "transport.encode",
  "tl.id", "handshake.client", "rsa.fingerprint"];

// How much CPU time the library's factorizer may use before the adapter calls it a hang
// (README.md): GramJS's Pollard-Brent loops forever on a prime pq and on the negative number its
// authenticator makes of a pq >= 2^63. A 64-bit semiprime takes it under half a CPU-second here.
const FACTORIZE_BUDGET_MS = Number(process.env.GRAMJS_FACTORIZE_MS || 1000);
// And a bound in wall time, below the harness's usual --timeout-ms 3000: on a loaded machine a
// CPU-second can take longer than the harness waits, and its timeout restarts the adapter (a
// restart that itself may not answer hello in time), where this bound answers at once.
const FACTORIZE_WALL_MS = Number(process.env.GRAMJS_FACTORIZE_WALL_MS || 2500);

class Unsupported extends Error {}
class Rejected extends Error {
  constructor(error, detail) { super(error); this.error = error; this.detail = detail || ""; }
}
class BadRequest extends Error {}

function hex(req, name) {
  const v = req[name];
  if (typeof v !== "string" || !/^([0-9a-fA-F]{2})*$/.test(v)) throw new BadRequest(`field \`${name}\``);
  return Buffer.from(v, "hex");
}
function longLe(req, name) {
  const b = hex(req, name);
  if (b.length !== 8) throw new BadRequest(`field \`${name}\`: expected 8 bytes`);
  return bigInt(b.readBigInt64LE(0).toString());
}
function isClient(req, field) {
  const v = req[field];
  if (field === "direction") {
    if (v === "clientToServer") return true;
    if (v === "serverToClient") return false;
  } else {
    if (v === "client") return true;
    if (v === "server") return false;
  }
  throw new BadRequest(`field \`${field}\``);
}
async function authKey(req) {
  const k = hex(req, "authKey");
  if (k.length !== 256) throw new Rejected("KeyWrongLength");
  const key = new AuthKey();
  await key.setKey(k);
  return key;
}
const logger = { debug() {}, info() {}, warn() {}, error() {}, canSend() { return false; } };

function ige(req, encrypt) {
  const key = hex(req, "key"), iv = hex(req, "iv"), data = hex(req, encrypt ? "msg" : "ct");
  if (key.length !== 32) throw new Unsupported();
  const c = new IGE(key, iv);
  let out;
  try {
    out = encrypt ? c.encryptIge(data) : c.decryptIge(data);
  } catch (e) {
    throw unaligned(e);
  }
  return { [encrypt ? "ct" : "msg"]: Buffer.from(out).toString("hex") };
}

// teleproto's IGE refuses unaligned input with a plain Error (GramJS's pads or truncates): a
// rejection, not a crash.
function unaligned(e) {
  const m = String((e && e.message) || e);
  if (/multiple of 16/.test(m)) return new Rejected("NotBlockAligned", m);
  // BinaryReader running off a plaintext too short for its header.
  if (/No more data left to read/.test(m)) return new Rejected("TooShort", m);
  return e;
}

// generateRandomBytes inside encryptMessageData returns the caller's padding.
async function encryptWithPadding(key, salt, sessionId, data, padding) {
  const state = new MTProtoState(key, logger);
  state.salt = salt;
  state.id = sessionId;
  const saved = helpers.generateRandomBytes;
  helpers.generateRandomBytes = (n) => {
    if (n !== padding.length) throw new Unsupported();
    return Buffer.from(padding);
  };
  try {
    return await state.encryptMessageData(data);
  } finally {
    helpers.generateRandomBytes = saved;
  }
}

async function kdfAesKeyIv(req) {
  const client = isClient(req, "direction");
  const key = await authKey(req);
  const msgKey = hex(req, "msgKey");
  const state = new MTProtoState(key, logger);
  const { key: aesKey, iv } = await state._calcKey(key.getKey(), msgKey, client);
  return { aesKey: aesKey.toString("hex"), aesIv: iv.toString("hex") };
}

async function kdfMsgKey(req) {
  const client = isClient(req, "direction");
  const key = await authKey(req);
  const pt = hex(req, "plaintext");
  if (!client || pt.length < 16) throw new Unsupported();
  const salt = bigInt(pt.readBigInt64LE(0).toString());
  const sid = bigInt(pt.readBigInt64LE(8).toString());
  const rest = pt.subarray(16);
  const padLen = helpers.mod(-(rest.length + 16 + 12), 16) + 12;
  if (padLen > rest.length) throw new Unsupported();
  const packet = await encryptWithPadding(key, salt, sid,
    rest.subarray(0, rest.length - padLen), rest.subarray(rest.length - padLen));
  return { msgKey: packet.subarray(8, 24).toString("hex") };
}

async function envelopeEncrypt(req) {
  if (!isClient(req, "direction")) throw new Unsupported(); // GramJS is a client
  const key = await authKey(req);
  const body = hex(req, "body"), padding = hex(req, "padding");
  if (!Number.isInteger(req.seqNo)) throw new BadRequest("field `seqNo`");
  const head = Buffer.alloc(16);
  hex(req, "msgId").copy(head, 0);
  head.writeInt32LE(req.seqNo, 8);
  head.writeInt32LE(body.length, 12);
  const packet = await encryptWithPadding(key, longLe(req, "salt"), longLe(req, "sessionId"),
    Buffer.concat([head, body]), padding);
  return { packet: packet.toString("hex") };
}

async function envelopeDecrypt(req) {
  if (!isClient(req, "receiver")) throw new Unsupported(); // no server side
  const key = await authKey(req);
  const sessionId = longLe(req, "sessionId");
  const packet = hex(req, "packet");
  const state = new MTProtoState(key, logger);
  state.id = sessionId;
  // The vectors' bodies are arbitrary bytes, not TL objects: read them as an opaque object.
  const savedRead = BinaryReader.prototype.tgReadObject;
  BinaryReader.prototype.tgReadObject = function () { return {}; };
  // Record the plaintext the library decrypted, to report the fields it accepted.
  let plaintext = Buffer.alloc(0);
  const savedDec = IGE.prototype.decryptIge;
  IGE.prototype.decryptIge = function (ct) { plaintext = savedDec.call(this, ct); return plaintext; };
  let msg;
  try {
    msg = await state.decryptMessageData(packet);
  } catch (e) {
    if (e instanceof errors.SecurityError || e instanceof errors.InvalidBufferError) {
      const m = String(e.message || e);
      let name = "Rejected";
      if (e instanceof errors.InvalidBufferError) name = "TooShort";
      else if (m.includes("invalid auth key")) name = "AuthKeyIdMismatch";
      else if (m.includes("msg_key doesn't match")) name = "MsgKeyMismatch";
      else if (m.includes("Duplicate")) name = "Duplicate";
      throw new Rejected(name, m);
    }
    throw unaligned(e);
  } finally {
    BinaryReader.prototype.tgReadObject = savedRead;
    IGE.prototype.decryptIge = savedDec;
  }
  const pt = Buffer.from(plaintext);
  const len = pt.length >= 32 ? Math.max(pt.readInt32LE(28), 0) : 0;
  return {
    salt: pt.subarray(0, 8).toString("hex"),
    sessionId: pt.subarray(8, 16).toString("hex"),
    msgId: pt.subarray(16, 24).toString("hex"),
    seqNo: msg.seqNo,
    body: pt.subarray(32, 32 + len).toString("hex"),
  };
}

// The library's own `Factorizator.factorize`, run in a worker thread (loaded from the package
// under test) with a time budget: a factorization that has not returned after
// FACTORIZE_BUDGET_MS of CPU time is a hang, reported as `internal` (an `error` case) without waiting for the
// harness's timeout and restart. The worker is dropped after a hang and started again on the next
// call. The numbers cross as decimal strings (a negative pq stays negative).
class Hang extends Error {}
let facWorker = null;
const FACTORIZE_WORKER = `
const { parentPort, workerData } = require("worker_threads");
const bigInt = require(workerData.bigInteger);
const { Factorizator } = require(workerData.factorizator);
parentPort.on("message", ({ pq, flag, port }) => {
  let out;
  try {
    const { p, q } = Factorizator.factorize(bigInt(pq));
    out = { p: p.toString(), q: q.toString() };
  } catch (e) {
    out = { error: (e && e.constructor ? e.constructor.name : typeof e) + ": " + (e && e.message) };
  }
  port.postMessage(out);
  const f = new Int32Array(flag);
  Atomics.store(f, 0, 1);
  Atomics.notify(f, 0);
});`;
function startFactorizeWorker() {
  facWorker = new Worker(FACTORIZE_WORKER, {
    eval: true, workerData: { factorizator: factorizatorPath, bigInteger: bigIntegerPath },
  });
  facWorker.unref();
}
function boundedFactorize(pq) {
  if (!facWorker) startFactorizeWorker();
  const flag = new SharedArrayBuffer(4);
  const { port1, port2 } = new MessageChannel();
  facWorker.postMessage({ pq: pq.toString(), flag, port: port2 }, [port2]);
  // The budget is CPU time (the process's, which while this thread waits is the worker's), so a
  // loaded machine does not shorten it; checked every 50 ms of waiting.
  const start = process.cpuUsage();
  const deadline = Date.now() + FACTORIZE_WALL_MS;
  let reply;
  for (;;) {
    Atomics.wait(new Int32Array(flag), 0, 0, 50);
    reply = receiveMessageOnPort(port1);
    if (reply) break;
    const used = process.cpuUsage(start);
    if ((used.user + used.system) / 1000 > FACTORIZE_BUDGET_MS || Date.now() > deadline) break;
  }
  port1.close();
  if (!reply) {
    facWorker.terminate();
    facWorker = null;
    throw new Hang(`Factorizator.factorize(${pq.toString(16)}) did not return within ` +
      `${FACTORIZE_BUDGET_MS} CPU-ms or ${FACTORIZE_WALL_MS} ms (it loops: README.md)`);
  }
  const out = reply.message;
  if (out.error) throw new Error(`Factorizator.factorize raised ${out.error}`);
  return { p: bigInt(out.p), q: bigInt(out.q) };
}

// `Factorizator.factorize`, what GramJS's authenticator calls on resPQ's pq (a big-endian integer
// of any length). p and q as it sends them: big-endian, no leading zeros. A prime pq makes it
// loop (the harness times out: `error`).
function pqFactorize(req) {
  const raw = hex(req, "pq");
  const pq = bigInt(raw.length ? raw.toString("hex") : "0", 16);
  if (pq.lesser(2)) throw new Rejected("PqNotFactorable", "pq < 2: factorize would not end");
  const { p, q } = boundedFactorize(pq);
  const be = (v) => { const h = v.toString(16); return h.length % 2 ? "0" + h : h; };
  return { p: be(p), q: be(q) };
}

// Sessions: MTProtoState.decryptMessageData is GramJS's client receiver. Each `session.feed`
// step becomes a real server packet (salt, the step's session_id, msg_id and seq_no, a `pong`
// body, padding; msg_key and AES-IGE with x = 8, as a server makes it) fed to the session's own
// MTProtoState (security checks on). Its verdict: the message back (accept) or a SecurityError.
const SESSION_KEY_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
const sessions = new Map();
let nextHandle = 1;

async function serverPacket(key, sessionId, msgId, seqNo) {
  const body = Buffer.alloc(20);
  body.writeUInt32LE(0x347773c5, 0);
  msgId.copy(body, 4);
  const head = Buffer.alloc(32);
  sessionId.copy(head, 8);
  msgId.copy(head, 16);
  head.writeInt32LE(seqNo, 24);
  head.writeInt32LE(body.length, 28);
  let data = Buffer.concat([head, body]);
  data = Buffer.concat([data, Buffer.alloc(12 + helpers.mod(-(data.length + 12), 16))]);
  const raw = key.getKey();
  const msgKey = nodeCrypto.createHash("sha256")
    .update(Buffer.concat([raw.subarray(96, 128), data])).digest().subarray(8, 24);
  const state = new MTProtoState(key, logger);
  const { key: aesKey, iv } = await state._calcKey(raw, msgKey, false);
  const keyId = Buffer.alloc(8);
  keyId.writeBigUInt64LE(BigInt.asUintN(64, BigInt(key.keyId.toString())), 0);
  return Buffer.concat([keyId, msgKey, Buffer.from(new IGE(aesKey, iv).encryptIge(data))]);
}

async function sessionOpen(req) {
  if (!isClient(req, "receiver")) throw new Unsupported(); // no server side
  const key = new AuthKey();
  await key.setKey(SESSION_KEY_BYTES);
  const state = new MTProtoState(key, logger);
  state.id = longLe(req, "sessionId");
  const handle = nextHandle++;
  sessions.set(handle, { key, state });
  return { handle };
}

async function sessionFeed(req) {
  const s = sessions.get(req.handle);
  if (!s) throw new BadRequest("field `handle`: unknown");
  if ("container" in req) throw new Unsupported(); // unpacked by MTProtoSender, past the checks
  if (!Number.isInteger(req.seqNo)) throw new BadRequest("field `seqNo`");
  const sid = hex(req, "sessionId"), msgId = hex(req, "msgId");
  if (sid.length !== 8 || msgId.length !== 8) throw new BadRequest("sessionId/msgId: 8 bytes");
  const packet = await serverPacket(s.key, sid, msgId, req.seqNo);
  const savedRead = BinaryReader.prototype.tgReadObject;
  BinaryReader.prototype.tgReadObject = function () { return {}; };
  try {
    await s.state.decryptMessageData(packet);
  } catch (e) {
    if (e instanceof errors.SecurityError) {
      const m = String(e.message || e);
      return { verdict: "ignore", error: m.includes("Duplicate") ? "Duplicate" : "Rejected" };
    }
    throw e;
  } finally {
    BinaryReader.prototype.tgReadObject = savedRead;
  }
  return { verdict: "accept" };
}

function sessionClose(req) {
  sessions.delete(req.handle);
  return {};
}

// The handshake: `network/Authenticator.doAuthentication(sender, log)`, GramJS's own, with a
// sender that records each request's TL body and answers with the transcript's next server
// message (read by GramJS's BinaryReader). GramJS's server keys are a module Map
// (`crypto/RSA._serverKeys`, fingerprint -> {n, e}); the vector's key is added to it under its
// fingerprint (SHA1 of the TL-serialized n and e, last 8 bytes, as GramJS's table writes them).
// Randomness from `generateRandomBytes` in the order it is drawn: nonce (16), new_nonce (32), the
// RSA_PAD padding (192 - len), a temp_key (32) per attempt, b (256), and the client_DH_inner_data
// padding (which GramJS's IGE draws when it pads the unaligned data). `new Date()` reads `now`.
// GramJS derives no server salt from the handshake (its state starts at salt 0 and learns the
// salt from bad_server_salt): `serverSalt` is that 0.
async function handshakeClient(req) {
  if (req.expiresIn !== undefined) throw new Unsupported(); // permanent keys only
  if (!Number.isInteger(req.now)) throw new BadRequest("field `now`");
  if (!Array.isArray(req.tempKeys)) throw new BadRequest("field `tempKeys`");
  const n = hex(req, "rsaN"), e = hex(req, "rsaE");
  const fp = (await helpers.sha1(Buffer.concat([serializeBytes(n), serializeBytes(e)]))).subarray(12, 20);
  const fingerprint = fp.readBigInt64LE(0).toString();
  serverKeys.set(fingerprint, { n: bigInt(n.toString("hex"), 16), e: Number(BigInt("0x" + (e.toString("hex") || "0"))) });

  const rsaPadding = hex(req, "rsaPadding"), dhPadding = hex(req, "dhPadding");
  const tempKeys = req.tempKeys.map((_, i) => hex(req.tempKeys, String(i)));
  let stage = 0;
  const draw = (count) => {
    // GramJS reads the nonce's random bytes as a big-endian number and sends it little-endian.
    if (stage === 0 && count === 16) { stage = 1; return Buffer.from(hex(req, "nonce")).reverse(); }
    if (stage === 1 && count === 32) { stage = 2; return hex(req, "newNonce"); }
    // GramJS sends the legacy p_q_inner_data (no dc), 4 bytes shorter than the vector's
    // p_q_inner_data_dc: its padding is 4 bytes longer; the vector's padding, zero-extended.
    if (stage === 2 && count <= 192) {
      stage = 3;
      const out = Buffer.alloc(count);
      rsaPadding.subarray(0, count).copy(out);
      return out;
    }
    if (stage === 3 && count === 32 && tempKeys.length) return tempKeys.shift();
    if (stage === 3 && count === 256) { stage = 4; return hex(req, "b"); }
    if (stage === 4 && count < 16 && count <= dhPadding.length) { stage = 5; return dhPadding.subarray(0, count); }
    throw new Unsupported();
  };
  const incoming = ["resPq", "serverDhParams", "dhGen"].filter((k) => k in req).map((k) => hex(req, k));
  const sent = [];
  const sender = {
    async send(request) {
      sent.push(Buffer.from(request.getBytes()));
      const body = incoming.shift();
      if (!body) throw new Unsupported(); // the transcript ends here
      return new BinaryReader(body).tgReadObject();
    },
  };
  const savedRandom = helpers.generateRandomBytes;
  const RealDate = global.Date;
  helpers.generateRandomBytes = (count) => Buffer.from(draw(count));
  const savedFactorize = Factorizator.factorize;
  Factorizator.factorize = boundedFactorize;
  global.Date = class extends RealDate {
    constructor(...a) { if (a.length) super(...a); else super(req.now * 1000); }
  };
  let res;
  try {
    res = await doAuthentication(sender, logger);
  } catch (err) {
    if (err instanceof Unsupported || err instanceof Hang) throw err;
    const m = String((err && err.message) || err);
    throw new Rejected(handshakeError(m), m);
  } finally {
    helpers.generateRandomBytes = savedRandom;
    Factorizator.factorize = savedFactorize;
    global.Date = RealDate;
    serverKeys.delete(fingerprint);
  }
  return {
    reqPqMulti: (sent[0] || Buffer.alloc(0)).toString("hex"),
    reqDhParams: (sent[1] || Buffer.alloc(0)).toString("hex"),
    setClientDhParams: (sent[2] || Buffer.alloc(0)).toString("hex"),
    authKey: res.authKey.getKey().toString("hex"),
    serverSalt: "0000000000000000",
    timeOffset: res.timeOffset,
  };
}

function handshakeError(m) {
  const table = [
    [/DhGenFail/, "DhGenFail"],
    [/answer was|Constructor|constructor/i, "UnexpectedConstructor"],
    [/server nonce/i, "ServerNonceMismatch"],
    [/new nonce hash|DH fail nonce/, "NewNonceHashMismatch"],
    [/nonce/i, "NonceMismatch"],
    [/could not find a valid key/, "NoKnownFingerprint"],
    [/AES block size/, "NotBlockAligned"],
  ];
  for (const [re, name] of table) if (re.test(m)) return name;
  return "Rejected";
}

// Transports: the library's packet codecs (`network/connection/TCPFull`, `TCPAbridged`, and
// `TCPObfuscated`'s ObfuscatedIO over the abridged codec). The library is a client: its codecs read
// what a server sends (`readPacket`) and frame what a client sends (`encodePacket`); there is no
// intermediate or padded codec and no server side. A stream is read through the library's own
// socket reader (`PromisedNetSockets.prototype.read` / `readExactly`) on a stand-in socket that
// holds the vector's stream and closes when it has been read (the library's closeError, which is
// the Truncated rejection).
function transportCodec(req) {
  if (req.direction !== "clientToServer" && req.direction !== "serverToClient") {
    throw new BadRequest("field `direction`");
  }
  if (req.transport === "abridged") return AbridgedPacketCodec;
  if (req.transport === "full") return FullPacketCodec;
  if (req.transport === "intermediate" || req.transport === "padded") throw new Unsupported();
  throw new BadRequest("field `transport`");
}
function streamSocket(bytes) {
  const sock = Object.create(PromisedNetSockets.prototype);
  sock.stream = bytes;
  sock.closed = false;
  // `read` awaits `canRead` and re-arms it when the stream runs dry; a drained stand-in socket is
  // a closed one instead of one that waits forever.
  Object.defineProperty(sock, "canRead", {
    get() { if (this.stream.length === 0) this.closed = true; return Promise.resolve(true); },
    set(_) {},
  });
  return sock;
}
function obfuscatedReader(codec, req, sock) {
  if (!("init" in req) || "secret" in req) throw new Unsupported();
  const init = hex(req, "init");
  if (init.length !== 64) throw new BadRequest("field `init`: expected 64 bytes");
  const io = new ObfuscatedIO({ socket: sock, PacketCodecClass: codec });
  const saved = helpers.generateRandomBytes;
  let calls = 0;
  helpers.generateRandomBytes = (n) => {
    calls += 1;
    if (n !== 64 || calls > 1) throw new Unsupported(); // an init the library draws again
    return Buffer.from(init);
  };
  return io.initHeader().then(() => io, (e) => { throw e; }).finally(() => {
    helpers.generateRandomBytes = saved;
  });
}
async function transportDecode(req) {
  const codec = transportCodec(req);
  if (req.direction !== "serverToClient") throw new Unsupported(); // no server side
  const sock = streamSocket(hex(req, "stream"));
  const reader = req.obfuscated ? await obfuscatedReader(codec, req, sock) : sock;
  const reading = new codec({});
  const frames = [];
  while (sock.stream.length > 0) {
    let body;
    try {
      body = await reading.readPacket(reader);
    } catch (e) {
      if (e instanceof Unsupported) throw e;
      if (e instanceof errors.InvalidChecksumError) throw new Rejected("CrcMismatch", e.message);
      if (e instanceof errors.InvalidBufferError) throw new Rejected("FrameTooShort", e.message);
      if (e && e.message === "NetSocket was closed") throw new Rejected("Truncated", e.message);
      // a full frame too short for its CRC: `readUInt32LE` past the end of the body
      if (e instanceof RangeError) throw new Rejected("FrameTooShort", e.message);
      throw e;
    }
    // a 4-byte body is what the library turns into InvalidBufferError (its transport-error path)
    if (body.length === 4) frames.push({ kind: "error", code: -new errors.InvalidBufferError(body).code });
    else frames.push({ kind: "payload", data: body.toString("hex"), quickAck: false });
  }
  return { frames };
}
async function transportEncode(req) {
  const codec = transportCodec(req);
  // a client-to-server stream is only asked for after its decode (unsupported); no server-side
  // obfuscation (the library only encrypts with a client's key)
  if (req.direction !== "serverToClient" || req.obfuscated) throw new Unsupported();
  const writing = new codec({});
  const parts = [];
  for (const f of Array.isArray(req.frames) ? req.frames : []) {
    if (f.kind !== "payload" || f.quickAck) throw new Unsupported(); // payload frames only
    parts.push(writing.encodePacket(Buffer.from(f.data, "hex")));
  }
  return { stream: Buffer.concat(parts).toString("hex") };
}

// `tl.id`: `tl/generationHelpers.fromLine`, the parser the library builds its TL classes with
// (at load time, from its bundled schema text). It computes a constructor id itself when a line
// carries none, as the vectors' combinators do. Schema lines end in ";" in the library's schema
// text, so the combinator gets one; a line the library cannot parse is its refusal.
function tlId(req) {
  const line = req.combinator;
  if (typeof line !== "string") throw new BadRequest("field `combinator`");
  let config;
  try {
    config = fromLine(`${line};`, false);
  } catch (e) {
    throw new Rejected("Rejected", e.message);
  }
  return { constructorId: (config.constructorId >>> 0).toString(16).padStart(8, "0") };
}

// --- rsa.fingerprint: GramJS computes no fingerprint; it carries a table of its built-in keys
// (`crypto/RSA._serverKeys`, fingerprint -> {n, e}, the fingerprints written by hand). The op
// looks the request's (n, e) up in that table, as the authenticator does with resPQ's list, and
// answers the fingerprint GramJS has for it; a key it does not carry is `unsupported`.
// `rsa.padEncrypt` is unsupported: RSA_PAD is written inline in `doAuthentication` over the
// p_q_inner_data it builds itself (its `crypto/RSA.encrypt` is the pre-2.0 scheme), so arbitrary
// data cannot reach it. `rsa.padDecrypt`: no server side.
let builtinKeys = null;
function rsaFingerprint(req) {
  // The table as the library ships it (handshake.client adds and removes its vector's key).
  if (builtinKeys === null) builtinKeys = new Map(serverKeys);
  const n = bigInt(hex(req, "n").toString("hex") || "0", 16);
  const e = bigInt(hex(req, "e").toString("hex") || "0", 16);
  for (const [fp, key] of builtinKeys) {
    if (bigInt(key.n).equals(n) && bigInt(key.e).equals(e)) {
      const b = Buffer.alloc(8);
      b.writeBigInt64LE(BigInt(fp));
      return { fingerprint: b.toString("hex") };
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
  "pq.factorize": pqFactorize,
  "session.open": sessionOpen,
  "session.feed": sessionFeed,
  "session.close": sessionClose,
  "handshake.client": handshakeClient,
  "transport.decode": transportDecode,
  "transport.encode": transportEncode,
  "tl.id": tlId,
  "rsa.fingerprint": rsaFingerprint,
};

async function answer(req) {
  const id = req.id === undefined ? null : req.id;
  if (req.op === "hello") {
    if (req.version !== 1) return { id, ok: false, error: "UnsupportedVersion" };
    return { id, ok: true, protocol: 1, name: NAME, version: VERSION, ops: OPS };
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
    if (e instanceof Hang) return { id, ok: false, internal: e.message };
    const what = e && e.constructor ? e.constructor.name : typeof e;
    return { id, ok: false, internal: `library raised ${what}: ${e && e.message}` };
  }
}

function load(name, pkg, req) {
  ({ IGE } = req(`${pkg}/crypto/IGE`));
  ({ AuthKey } = req(`${pkg}/crypto/AuthKey`));
  ({ MTProtoState } = req(`${pkg}/network/MTProtoState`));
  ({ Factorizator } = req(`${pkg}/crypto/Factorizator`));
  factorizatorPath = req.resolve(`${pkg}/crypto/Factorizator`);
  bigIntegerPath = req.resolve("big-integer");
  ({ BinaryReader } = req(`${pkg}/extensions`));
  errors = req(`${pkg}/errors`);
  helpers = req(`${pkg}/Helpers`);
  bigInt = req("big-integer");
  ({ doAuthentication } = req(`${pkg}/network/Authenticator`));
  serverKeys = req(`${pkg}/crypto/RSA`)._serverKeys;
  ({ serializeBytes, fromLine } = req(`${pkg}/tl/generationHelpers`));
  ({ PromisedNetSockets } = req(`${pkg}/extensions/PromisedNetSockets`));
  ({ AbridgedPacketCodec } = req(`${pkg}/network/connection/TCPAbridged`));
  ({ FullPacketCodec } = req(`${pkg}/network/connection/TCPFull`));
  // ObfuscatedIO is not exported: a ConnectionTCPObfuscated (never connected) carries the class
  const { ConnectionTCPObfuscated } = req(`${pkg}/network/connection/TCPObfuscated`);
  ({ ObfuscatedIO } = new ConnectionTCPObfuscated({ ip: "", port: 0, dcId: 0, socket: class {} }));
  NAME = name;
  VERSION = req(`${pkg}/package.json`).version;
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
    process.stdout.write(JSON.stringify(resp) + "\n");
  }
}
// `name`: the adapter's name in `hello`; `pkg`: the npm package; `req`: a `require` that finds it.
function run(name, pkg, req) {
  load(name, pkg, req);
  process.on("uncaughtException", (e) => { process.stderr.write(`uncaught: ${e && e.stack}\n`); });
  main();
}
module.exports = { run };
if (require.main === module) run("gramjs", "telegram", require);
