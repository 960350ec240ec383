#!/usr/bin/env node
// Wire client driver for GramJS (npm `telegram`): the driver contract of harness/wire/README.md.
//
// GramJS's own `network/MTProtoSender` (handshake through `network/Authenticator`, receive loop
// and `MTProtoState.decryptMessageData` with its security checks on) over its own connection
// classes (`ConnectionTCPAbridged`, `ConnectionTCPFull`, `ConnectionTCPObfuscated`,
// `ConnectionTCPMTProxyAbridged`) and socket (`extensions/PromisedNetSockets`). Only configuration
// and module data are set: the key list `crypto/RSA._serverKeys` holds the harness's test key and
// nothing else, the sender gets one connection attempt and no reconnect (the driver exits the
// moment the library starts one), and pings go through `sender.send(new Api.Ping(...))`, whose
// promise resolves with the `pong` the sender's `_handlePong` took.
//
// The same code drives teleproto (same layout): `adapters/teleproto/wire.js` calls `runWire`.
"use strict";
const nodeCrypto = require("crypto");
const fs = require("fs");

function emit(text) {
  // Synchronous, so that a line printed just before process.exit is never lost.
  fs.writeSync(1, text + "\n");
}
const line = {
  handshake: (ok, detail) => JSON.stringify(ok ? { event: "handshake", ok: true }
    : { event: "handshake", ok: false, detail: String(detail).slice(0, 2000) }),
  // ping_id is a TL long: written as its decimal text so no precision is lost.
  pong: (pingId) => `{"event":"pong","ping_id":${pingId}}`,
  error: (detail) => JSON.stringify({ event: "error", detail: String(detail).slice(0, 2000) }),
};

function fail(code, text) {
  emit(text);
  process.exit(code);
}

/** Parse the transport name and secret into the library's connection class and proxy option. */
function connectionFor(lib, transport, secret, addr) {
  const plain = { abridged: lib.ConnectionTCPAbridged, full: lib.ConnectionTCPFull };
  if (plain[transport]) {
    if (secret) return { error: `transport ${transport} takes no secret` };
    return { Conn: plain[transport], proxy: undefined };
  }
  if (transport === "obfuscated2-abridged") {
    if (!secret) return { Conn: lib.ConnectionTCPObfuscated, proxy: undefined };
    // The MTProxy connection: abridged framing, obfuscated2 keyed with the secret.
    return { Conn: lib.ConnectionTCPMTProxyAbridged,
      proxy: { ip: addr.host, port: addr.port, secret, MTProxy: true } };
  }
  return { error: `transport ${transport} is not supported by ${lib.NAME} ${lib.VERSION} ` +
    "(its connection classes are abridged, full, obfuscated2 over abridged, MTProxy over abridged)" };
}

function load(name, pkg, req) {
  const lib = { NAME: name, VERSION: req(`${pkg}/package.json`).version };
  ({ MTProtoSender: lib.MTProtoSender } = req(`${pkg}/network/MTProtoSender`));
  ({ ConnectionTCPAbridged: lib.ConnectionTCPAbridged } = req(`${pkg}/network/connection/TCPAbridged`));
  ({ ConnectionTCPFull: lib.ConnectionTCPFull } = req(`${pkg}/network/connection/TCPFull`));
  ({ ConnectionTCPObfuscated: lib.ConnectionTCPObfuscated } = req(`${pkg}/network/connection/TCPObfuscated`));
  ({ ConnectionTCPMTProxyAbridged: lib.ConnectionTCPMTProxyAbridged } = req(`${pkg}/network/connection/TCPMTProxy`));
  ({ PromisedNetSockets: lib.PromisedNetSockets } = req(`${pkg}/extensions/PromisedNetSockets`));
  ({ Logger: lib.Logger, LogLevel: lib.LogLevel } = req(`${pkg}/extensions/Logger`));
  ({ Api: lib.Api } = req(`${pkg}/tl`));
  ({ serializeBytes: lib.serializeBytes } = req(`${pkg}/tl/generationHelpers`));
  lib.helpers = req(`${pkg}/Helpers`);
  lib.serverKeys = req(`${pkg}/crypto/RSA`)._serverKeys;
  lib.UpdateConnectionState = req(`${pkg}/network`).UpdateConnectionState;
  lib.bigInt = req("big-integer");
  return lib;
}

/** Replace the library's key list with the one PEM key (fingerprint as the library computes it). */
async function trustOnly(lib, pem) {
  const jwk = nodeCrypto.createPublicKey({ key: pem, format: "pem" }).export({ format: "jwk" });
  const n = Buffer.from(jwk.n, "base64url");
  const e = Buffer.from(jwk.e, "base64url");
  // Telegram's key fingerprint: the low 64 bits of SHA1(n as TL bytes ‖ e as TL bytes), read as
  // GramJS reads resPQ's fingerprints (a signed little-endian long).
  const digest = await lib.helpers.sha1(Buffer.concat([lib.serializeBytes(n), lib.serializeBytes(e)]));
  const fp = lib.helpers.readBigIntFromBuffer(digest.slice(12, 20), true, true);
  lib.serverKeys.clear();
  lib.serverKeys.set(fp.toString(), {
    n: lib.bigInt(n.toString("hex"), 16),
    e: parseInt(e.toString("hex"), 16),
  });
}

async function runWire(name, pkg, req) {
  const started = Date.now() - Math.round(process.uptime() * 1000);
  const env = process.env;
  const timeoutMs = Number(env.MTPROTO_WIRE_TIMEOUT_MS || "10000");
  // Give up (and exit) before the harness's bound: it counts from before this process started.
  const giveUpAt = started + Math.max(200, timeoutMs - 400);
  const timer = setTimeout(() => fail(1, line.error(`driver gave up after ${timeoutMs - 400} ms`)),
    Math.max(0, giveUpAt - Date.now()));
  timer.unref();

  let lib;
  try {
    lib = load(name, pkg, req);
  } catch (e) {
    fail(2, line.error(`cannot load ${pkg}: ${e && e.message}`));
  }
  const [host, portText] = (env.MTPROTO_WIRE_ADDR || "").split(/:(?=[0-9]+$)/);
  const port = Number(portText);
  if (!host || !Number.isInteger(port)) fail(2, line.error(`bad MTPROTO_WIRE_ADDR ${env.MTPROTO_WIRE_ADDR}`));
  const dcId = Number(env.MTPROTO_WIRE_DC || "2");
  const pings = Number(env.MTPROTO_WIRE_PINGS || "1");
  const transport = env.MTPROTO_WIRE_TRANSPORT || "";
  const secret = env.MTPROTO_WIRE_SECRET || "";
  const pick = connectionFor(lib, transport, secret, { host, port });
  if (pick.error) fail(2, line.error(pick.error));
  await trustOnly(lib, env.MTPROTO_WIRE_RSA_PUBLIC || "");

  // The library's logger, writing to stderr (stdout carries the events only).
  const level = env.WIRE_LOG_LEVEL || "warn";
  class StderrLogger extends lib.Logger {
    log(lvl, message) { process.stderr.write(`[${lvl}] ${message}\n`); }
  }
  const logger = new StderrLogger(level);
  console.log = (...a) => process.stderr.write(a.join(" ") + "\n"); // the library's console.log

  let lastError;
  const client = { _errorHandler: async (e) => { lastError = e; } };
  let handshakeDone = false;
  const sender = new lib.MTProtoSender(undefined, {
    logger,
    retries: 1,               // one connection attempt: a refused handshake is not retried
    reconnectRetries: -1,     // a dropped connection rejects the pending requests, no reconnect
    delay: 0,
    autoReconnect: false,
    connectTimeout: timeoutMs / 1000,
    isMainSender: true,
    dcId,
    client,
    // What a TelegramClient passes (its exported senders; none here): the sender's reconnect
    // path reads it.
    _exportedSenderPromises: new Map(),
    securityChecks: true,
    authKeyCallback: async () => {
      handshakeDone = true;
      emit(line.handshake(true));
    },
    updateCallback: (_client, update) => {
      // Only connection states reach here (the driver sends no request that draws updates).
      if (update instanceof lib.UpdateConnectionState &&
          update.state === lib.UpdateConnectionState.broken) {
        fail(1, line.error("the library reported a broken authorization key " +
          "(transport error -404 or AUTH_KEY_UNREGISTERED)"));
      }
    },
  });
  // Reconnects: the driver is one connection; the moment the library starts over, it stops.
  const watch = setInterval(() => {
    if (sender.isReconnecting) {
      fail(1, line.error(`the library started reconnecting${lastError ? `: ${lastError}` : ""}`));
    }
  }, 10);
  watch.unref();

  const connection = new pick.Conn({
    ip: host, port, dcId, loggers: logger, proxy: pick.proxy,
    socket: lib.PromisedNetSockets, testServers: false,
  });
  let ok;
  try {
    ok = await sender.connect(connection);
  } catch (e) {
    ok = false;
    lastError = e;
  }
  if (!ok || !handshakeDone) {
    const why = lastError ? `${lastError.constructor && lastError.constructor.name}: ${lastError.message}` : "connect failed";
    if (!handshakeDone) emit(line.handshake(false, why));
    else emit(line.error(why));
    process.exit(1);
  }
  for (let i = 0; i < pings; i++) {
    const pingId = lib.helpers.readBigIntFromBuffer(lib.helpers.generateRandomBytes(8), true, true);
    let pong;
    try {
      pong = await sender.send(new lib.Api.Ping({ pingId }));
    } catch (e) {
      fail(1, line.error(`ping ${i + 1}: ${e && e.message ? e.message : e}`));
    }
    emit(line.pong(pong.pingId.toString()));
  }
  clearTimeout(timer);
  try {
    await sender.disconnect();
  } catch (e) {
    process.stderr.write(`disconnect: ${e}\n`);
  }
  process.exit(0);
}

module.exports = { runWire };

if (require.main === module) {
  runWire("gramjs", "telegram", require).catch((e) => fail(1, line.error(`driver crashed: ${e && e.stack}`)));
}
