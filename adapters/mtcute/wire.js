#!/usr/bin/env node
// Wire client driver for mtcute (npm @mtcute/core 0.30.3 with @mtcute/node's crypto): the driver
// contract of harness/wire/README.md.
//
// One mtcute `SessionConnection` (its own `doAuthorization` handshake, `MtprotoSession` /
// `AuthKey` decryption, `_handleRawMessage` receive path, msg_id store and ping scheduler) over
// its own packet codecs (`IntermediatePacketCodec`, `PaddedIntermediatePacketCodec`,
// `ObfuscatedPacketCodec`, and `BaseMtProxyTransport`'s codec for a secret) on a TCP socket from
// `@fuman/node`'s `connectTcp`. Only configuration and module data are set:
// - the RSA key index (`tl/binary/rsa-keys.js` `__publicKeyIndex`) is emptied and the harness's
//   key added with mtcute's own `addPublicKey`;
// - the connection's parameters: this DC's address, `reconnectionStrategy` returning `false`,
//   `disableUpdates`, no PFS, `pingInterval` 0 and the instance's random ping delay 0, so that
//   mtcute's own scheduler sends its `ping_delay_disconnect` at once and again after each pong;
// - the logger's handler (mtcute reports through it): the pong mtcute took is its
//   "received pong: msg_id %l, ping_id %l" line, read from the log call's arguments.
// mtcute has no call that hands a pong back; its scheduler's pings are the library's pings. A
// second connect (mtcute reconnecting after a refused message or a -404) ends the driver.
import { writeSync } from "node:fs";
import { connectTcp } from "@fuman/node";

const NM = new URL("./node_modules/", import.meta.url);
const lib = (path) => import(new URL(path, NM).href);

function emit(text) {
  // Synchronous, so that a line printed just before process.exit is never lost.
  writeSync(1, text + "\n");
}
const line = {
  handshake: (ok, detail) => JSON.stringify(ok ? { event: "handshake", ok: true }
    : { event: "handshake", ok: false, detail: String(detail).slice(0, 2000) }),
  pong: (pingId) => `{"event":"pong","ping_id":${pingId}}`,
  error: (detail) => JSON.stringify({ event: "error", detail: String(detail).slice(0, 2000) }),
};
function fail(code, text) {
  emit(text);
  process.exit(code);
}

const started = Date.now() - Math.round(process.uptime() * 1000);
const env = process.env;
const timeoutMs = Number(env.MTPROTO_WIRE_TIMEOUT_MS || "10000");
setTimeout(() => fail(1, line.error(`driver gave up after ${timeoutMs - 400} ms`)),
  Math.max(0, started + Math.max(200, timeoutMs - 400) - Date.now())).unref();

try {
  await main();
} catch (e) {
  fail(1, line.error(`driver crashed: ${e && e.stack}`));
}

async function main() {
  const { NodeCryptoProvider } = await lib("@mtcute/node/utils/crypto.js");
  const { NodePlatform } = await lib("@mtcute/node/utils/platform.js");
  const { SessionConnection } = await lib("@mtcute/core/network/session-connection.js");
  const { ServerSaltManager } = await lib("@mtcute/core/network/server-salt.js");
  const { IntermediatePacketCodec, PaddedIntermediatePacketCodec } =
    await lib("@mtcute/core/network/transports/intermediate.js");
  const { ObfuscatedPacketCodec } = await lib("@mtcute/core/network/transports/obfuscated.js");
  const { BaseMtProxyTransport } = await lib("@mtcute/core/network/mtproxy/index.js");
  const { LogManager } = await lib("@mtcute/core/utils/logger.js");
  const { addPublicKey } = await lib("@mtcute/core/utils/crypto/keys.js");
  const { __publicKeyIndex } = await lib("@mtcute/core/tl/binary/rsa-keys.js");
  const { __tlReaderMap } = await lib("@mtcute/core/tl/binary/reader.js");
  const { __tlWriterMap } = await lib("@mtcute/core/tl/binary/writer.js");

  const [host, portText] = (env.MTPROTO_WIRE_ADDR || "").split(/:(?=[0-9]+$)/);
  const port = Number(portText);
  if (!host || !Number.isInteger(port)) fail(2, line.error(`bad MTPROTO_WIRE_ADDR ${env.MTPROTO_WIRE_ADDR}`));
  const dcId = Number(env.MTPROTO_WIRE_DC || "2");
  const pings = Number(env.MTPROTO_WIRE_PINGS || "1");
  const transportName = env.MTPROTO_WIRE_TRANSPORT || "";
  const secret = env.MTPROTO_WIRE_SECRET || "";

  const crypto = new NodeCryptoProvider();
  await crypto.initialize();
  // The only key to trust: mtcute's index emptied, the harness's key added by mtcute's own parser.
  for (const fp of Object.keys(__publicKeyIndex)) delete __publicKeyIndex[fp];
  addPublicKey(crypto, env.MTPROTO_WIRE_RSA_PUBLIC || "");

  // The transport: mtcute's codecs over a TCP socket; a second connect is a reconnect.
  let connects = 0;
  const connectOnce = async (dc) => {
    connects += 1;
    if (connects > 1) fail(1, line.error(`mtcute started reconnecting${lastWarn ? ` after: ${lastWarn}` : ""}`));
    const conn = await connectTcp({ address: dc.ipAddress, port: dc.port });
    conn.setNoDelay(true);
    return conn;
  };
  let transport;
  const plain = { intermediate: IntermediatePacketCodec, padded: PaddedIntermediatePacketCodec };
  if (plain[transportName]) {
    if (secret) fail(2, line.error(`transport ${transportName} takes no secret`));
    transport = { connect: connectOnce, packetCodec: () => new plain[transportName]() };
  } else if (transportName.startsWith("obfuscated2-") && plain[transportName.slice(12)]) {
    const inner = transportName.slice(12);
    if (!secret) {
      transport = { connect: connectOnce,
        packetCodec: () => new ObfuscatedPacketCodec(new plain[inner](), undefined) };
    } else {
      // MTProxy: mtcute picks the framing from the secret (dd-prefixed: padded, else intermediate).
      const wantPadded = /^dd/i.test(secret) && secret.length === 34;
      if ((inner === "padded") !== wantPadded) {
        fail(2, line.error(`mtcute derives the framing from the MTProxy secret; ${transportName} with secret ${secret} is not a combination it makes`));
      }
      const mtproxy = new BaseMtProxyTransport({ host, port, secret });
      mtproxy._connectTcp = (endpoint) => connectOnce({ ipAddress: endpoint.address, port: endpoint.port });
      transport = mtproxy;
    }
  } else {
    fail(2, line.error(`transport ${transportName} is not supported by mtcute 0.30.3 ` +
      "(its codecs are intermediate, padded intermediate, obfuscated2 over either, MTProxy)"));
  }

  // mtcute's logger, its lines to stderr; the pong mtcute took is read from its own log call.
  const platform = new NodePlatform();
  const log = new LogManager("wire", platform);
  log.level = Number(env.MTCUTE_LOG_LEVEL || LogManager.DEBUG);
  let lastWarn = "";
  let pongs = 0;
  let handshakeDone = false;
  let finishing = false;
  log.handler = (_color, level, tag, fmt, args) => {
    const text = `${fmt} ${args.map(String).join(" ")}`;
    if (level <= LogManager.WARN) {
      lastWarn = text;
      process.stderr.write(`[${level}] ${tag}: ${text}\n`);
    } else if (env.WIRE_LOG_ALL) {
      process.stderr.write(`[${level}] ${tag}: ${text}\n`);
    }
    // mtcute's logger has already put the %l (Long) arguments into the text.
    const pong = /received pong: msg_id (-?\d+), ping_id (-?\d+)/.exec(fmt);
    const transportError = /transport error (\d+|%d)/.exec(fmt);
    if (pong) {
      emit(line.pong(pong[2]));
      pongs += 1;
      if (pongs >= pings && !finishing) finish();
    } else if (transportError) {
      const code = transportError[1] === "%d" ? Number(args[0]) : Number(transportError[1]);
      fail(1, line.error(`transport error -${code} (mtcute: ${text})`));
    }
  };

  const conn = new SessionConnection({
    crypto,
    initConnection: {},
    transport,
    dc: { id: dcId, ipAddress: host, port },
    testMode: false,
    reconnectionStrategy: () => false,
    layer: 0,
    disableUpdates: true,
    withUpdates: false,
    readerMap: __tlReaderMap,
    writerMap: __tlWriterMap,
    usePfs: false,
    isMainConnection: true,
    isMainDcConnection: true,
    inactivityTimeout: undefined,
    salts: new ServerSaltManager(),
    platform,
    pingInterval: 0,
    floodControl: undefined,
  }, log);
  conn._randomDelay = 0; // instance data: the random part of mtcute's ping interval

  conn.onKeyChange.add((key) => {
    if (key && !handshakeDone) {
      handshakeDone = true;
      emit(line.handshake(true));
    }
  });
  conn.onError.add((err) => {
    if (!handshakeDone) fail(1, line.handshake(false, `${err && err.constructor && err.constructor.name}: ${err && err.message}`));
    fail(1, line.error(`${err && err.constructor && err.constructor.name}: ${err && err.message}`));
  });

  async function finish() {
    finishing = true;
    try {
      await conn.destroy();
    } catch (e) {
      process.stderr.write(`destroy: ${e}\n`);
    }
    process.exit(0);
  }

  conn.connect();
}
