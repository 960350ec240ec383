// handshake.client through mtcute's own `doAuthorization(connection, crypto, expiresIn)`.
//
// The connection is a stand-in that replays the vector's transcript: `send` records each
// unencrypted message the client sends (its TL body: the 20 bytes of auth_key_id 0, msg_id and
// length dropped), `waitForUnencryptedMessage` hands back the server's next message (resPQ,
// server_DH_params, dh_gen) behind such a 20-byte header. The server key the vector names is
// registered through mtcute's `addPublicKey` (a PEM built from rsaN/rsaE), as an application
// adds a key. The client's randomness comes from the vector through the crypto provider's
// randomBytes/randomFill, in the order doAuthorization draws it: nonce (16), new_nonce (32), the
// RSA_PAD padding (randomFill), temp_key (32, one per RSA_PAD attempt), b (256); draws made by
// millerRabin and the pq factorizer (through `randomBigInt`) stay random. The clock
// (`performance.now`, which doAuthorization reads for the time offset) reads the vector's `now`.
// mtcute pads client_DH_inner_data with zero bytes rather than random ones; the adapter puts the
// vector's dhPadding in that place (see createAesIge below and README.md).
let L = null;
export function setHandshakeLib(l) { L = l; }

class Starved extends Error {}

// DER of RSAPublicKey { modulus, publicExponent }, as PEM.
function pem(n, e) {
  const len = (k) => (k < 128 ? [k] : k < 256 ? [0x81, k] : [0x82, k >> 8, k & 255]);
  const int = (b) => {
    let i = 0; while (i < b.length - 1 && b[i] === 0) i++;
    let v = Array.from(b.subarray(i));
    if (v[0] & 0x80) v = [0, ...v];
    return [0x02, ...len(v.length), ...v];
  };
  const body = [...int(n), ...int(e)];
  const der = Buffer.from([0x30, ...len(body.length), ...body]);
  const b64 = der.toString("base64").replace(/.{64}/g, "$&\n").replace(/\n$/, "");
  return `-----BEGIN RSA PUBLIC KEY-----\n${b64}\n-----END RSA PUBLIC KEY-----`;
}

// A vocabulary name for mtcute's error message.
function errorName(e) {
  const m = String((e && e.message) || e);
  const table = [
    [/invalid nonce hash|invalid retry nonce hash/, "NewNonceHashMismatch"],
    [/invalid server nonce/, "ServerNonceMismatch"],
    [/invalid nonce/, "NonceMismatch"],
    [/Could not find server public key/, "NoKnownFingerprint"],
    [/pq is prime/, "PqNotFactorable"],
    [/AES block size/, "NotBlockAligned"],
    [/inner data hash/, "AnswerHashMismatch"],
    [/2048-bit range/, "PWrongSize"],
    [/dh_prime is not prime/, "PNotPrime"],
    [/not a safe prime/, "PNotSafePrime"],
    [/unknown g/, "GOutOfRange"],
    [/ivalid g/, "GNotGenerator"],
    [/not within \(1, dh_prime - 1\)/, "ValueOutOfRange"],
    [/2\^\{2048-64\}/, "ValueUnsafe"],
    [/mt_dh_gen_fail/, "DhGenFail"],
    [/Type assertion|Unknown object id/i, "UnexpectedConstructor"],
  ];
  for (const [re, name] of table) if (re.test(m)) return name;
  return "Rejected";
}

export async function handshakeClient(req, h) {
  const { lib, crypto, Long } = L;
  const { doAuthorization } = await lib("@mtcute/core/network/authorization.js");
  const { addPublicKey } = await lib("@mtcute/core/utils/crypto/keys.js");
  const { __tlReaderMap } = await lib("@mtcute/core/tl/binary/reader.js");
  const { __tlWriterMap } = await lib("@mtcute/core/tl/binary/writer.js");

  const expiresIn = req.expiresIn === undefined ? 0 : req.expiresIn;
  if (!Number.isInteger(expiresIn)) throw new h.BadRequest("field `expiresIn`");
  if (!Number.isInteger(req.dc)) throw new h.BadRequest("field `dc`");
  if (!Number.isInteger(req.now)) throw new h.BadRequest("field `now`");
  if (!Array.isArray(req.tempKeys)) throw new h.BadRequest("field `tempKeys`");
  addPublicKey(crypto, pem(h.hex(req, "rsaN"), h.hex(req, "rsaE")));

  const script = {
    nonce: h.hex(req, "nonce"), newNonce: h.hex(req, "newNonce"),
    rsaPadding: h.hex(req, "rsaPadding"), b: h.hex(req, "b"), dhPadding: h.hex(req, "dhPadding"),
    tempKeys: req.tempKeys.map((_, i) => h.hex(req.tempKeys, String(i))),
  };
  let stage = 0; // 0 nonce, 1 new_nonce, 2 RSA_PAD padding, 3 temp keys / b
  const scripted = (n) => {
    if (/randomBigInt/.test(new Error().stack)) return null; // millerRabin, factorizer
    if (stage === 0 && n === 16) { stage = 1; return script.nonce; }
    if (stage === 1 && n === 32) { stage = 2; return script.newNonce; }
    if (stage === 3 && n === 32 && script.tempKeys.length) return script.tempKeys.shift();
    if (stage === 3 && n === 256) return script.b;
    throw new Starved(`doAuthorization drew ${n} bytes at stage ${stage}`);
  };
  const provider = Object.assign(Object.create(crypto), {
    randomBytes(n) {
      const v = scripted(n);
      return v === null ? crypto.randomBytes(n) : new Uint8Array(v);
    },
    // mtcute pads client_DH_inner_data with zeros (TlBinaryWriter.alloc), drawing nothing: the
    // padding after the SHA1-prefixed inner data it encrypts is replaced by the vector's
    // dhPadding, so the rest of set_client_DH_params is compared byte for byte.
    createAesIge(key, iv) {
      const c = crypto.createAesIge(key, iv);
      return {
        decrypt: (d) => c.decrypt(d),
        encrypt(d) {
          for (let k = 0; k < 16 && k <= d.length - 20; k++) {
            const hash = crypto.sha1(d.subarray(20, d.length - k));
            if (Buffer.compare(Buffer.from(hash), Buffer.from(d.subarray(0, 20))) === 0) {
              if (k > script.dhPadding.length) throw new Starved("dhPadding too short");
              d = new Uint8Array(d);
              d.set(script.dhPadding.subarray(0, k), d.length - k);
              break;
            }
          }
          return c.encrypt(d);
        },
      };
    },
    randomFill(buf) {
      if (stage !== 2 || buf.length > script.rsaPadding.length) {
        throw new Starved(`doAuthorization filled ${buf.length} bytes at stage ${stage}`);
      }
      buf.set(script.rsaPadding.subarray(0, buf.length));
      stage = 3;
    },
  });

  const incoming = ["resPq", "serverDhParams", "dhGen"].filter((k) => k in req).map((k) => h.hex(req, k));
  const sent = [];
  const noop = () => {};
  const log = { warn: noop, error: noop, info: noop, debug: noop, verbose: noop, prefix: "" };
  log.create = () => log;
  let msgId = 1n;
  const connection = {
    log,
    params: { dc: { id: req.dc, mediaOnly: false }, testMode: false },
    _session: {
      _readerMap: __tlReaderMap, _writerMap: __tlWriterMap,
      getMessageId: () => Long.fromBigInt((msgId += 4n) << 32n, false),
      updateTimeOffset() {},
    },
    async send(bytes) { sent.push(Buffer.from(bytes.subarray(20))); },
    async waitForUnencryptedMessage() {
      const body = incoming.shift();
      if (!body) throw new Starved("the transcript has no further server message");
      const out = new Uint8Array(20 + body.length);
      new DataView(out.buffer).setUint32(16, body.length, true);
      out.set(body, 20);
      return out;
    },
  };

  const savedNow = performance.now;
  performance.now = () => req.now * 1000;
  let result;
  try {
    result = await doAuthorization(connection, provider, expiresIn || undefined);
  } catch (e) {
    if (e instanceof Starved) throw new h.Unsupported();
    throw new h.Rejected(errorName(e), String((e && e.message) || e));
  } finally {
    performance.now = savedNow;
  }
  const [authKey, salt, timeOffset] = result;
  const saltBytes = new Uint8Array(salt.toBytesLE());
  return {
    reqPqMulti: h.toHex(sent[0] || []),
    reqDhParams: h.toHex(sent[1] || []),
    setClientDhParams: h.toHex(sent[sent.length - 1] || []),
    authKey: h.toHex(authKey),
    serverSalt: h.toHex(saltBytes),
    timeOffset,
  };
}
