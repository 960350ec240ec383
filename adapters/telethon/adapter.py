#!/usr/bin/env python3
"""mtproto-harness adapter for Telethon (JSON lines over stdio, protocol v1;
docs/adapter-protocol.md).

Every op goes through Telethon's own code: `telethon.crypto.AES` (cryptg underneath) for IGE,
`MTProtoState._calc_key` for aes_key/aes_iv, `MTProtoState.encrypt_message_data` for msg_key and
outgoing packets, `MTProtoState.decrypt_message_data` for incoming packets. What the library does
not expose (a server side, x = 8 msg_key, a caller-chosen padding) is answered `unsupported`.
A library exception that is one of its security errors is a rejection; any other exception is
reported as `internal` (the harness records an `error`), never a crash of the adapter.
"""
import hashlib
import json
import os
import struct
import sys
import traceback

import telethon
from telethon.crypto import AES, AuthKey, Factorization
from telethon.errors import InvalidBufferError, SecurityError
from telethon.extensions import BinaryReader
from telethon.network import mtprotostate
from telethon.network.mtprotostate import MTProtoState

import handshake_ops
import rsa_ops
import transport_ops

OPS = ["ige.encrypt", "ige.decrypt", "kdf.msgKey", "kdf.aesKeyIv",
       "envelope.encrypt", "envelope.decrypt", "pq.factorize",
       "session.open", "session.feed", "session.close",
       "transport.decode", "transport.encode", "tl.decode",
       "handshake.client", "rsa.fingerprint"]


class Unsupported(Exception):
    """The library cannot be driven to this request."""


class Rejected(Exception):
    def __init__(self, error, detail=""):
        super().__init__(error)
        self.error = error
        self.detail = detail


class _Loggers(dict):
    def __missing__(self, key):
        import logging
        log = logging.getLogger(key)
        log.disabled = True
        return log


def h(req, name):
    v = req[name]
    if not isinstance(v, str):
        raise KeyError(name)
    return bytes.fromhex(v)


def long_le(req, name):
    return struct.unpack("<q", h(req, name))[0]


def auth_key(req):
    key = h(req, "authKey")
    if len(key) != 256:
        raise Rejected("KeyWrongLength")
    return AuthKey(key)


def security(e):
    """Telethon's security errors, named in the shared vocabulary where the message says which."""
    msg = str(e)
    if isinstance(e, InvalidBufferError):
        return Rejected("TooShort", msg)
    for needle, name in [("invalid auth key", "AuthKeyIdMismatch"),
                         ("msg_key doesn't match", "MsgKeyMismatch"),
                         ("wrong session ID", "SessionIdMismatch"),
                         ("even msg_id", "MsgIdParity")]:
        if needle in msg:
            return Rejected(name, msg)
    return Rejected("Rejected", msg)


def ige(req, encrypt):
    key, iv = h(req, "key"), h(req, "iv")
    data = h(req, "msg" if encrypt else "ct")
    if len(key) != 32:
        raise Unsupported()  # MTProto only uses AES-256; cryptg takes 32-byte keys only
    out = AES.encrypt_ige(data, key, iv) if encrypt else AES.decrypt_ige(data, key, iv)
    return {"ct" if encrypt else "msg": out.hex()}


def client_side(req, field):
    v = req[field]
    if v in ("clientToServer", "client"):
        return True if field == "direction" else False
    if v in ("serverToClient", "server"):
        return False if field == "direction" else True
    raise KeyError(field)


class _FixedRandom:
    """os.urandom inside mtprotostate returns the caller's padding (the only randomness there)."""

    def __init__(self, padding):
        self.padding = padding
        self.asked = None

    def __call__(self, n):
        self.asked = n
        if n != len(self.padding):
            raise Unsupported()
        return self.padding


def encrypt_with_padding(key, salt, session_id, data, padding):
    state = MTProtoState(key, _Loggers())
    state.salt, state.id = salt, session_id
    fixed = _FixedRandom(padding)
    saved = mtprotostate.os.urandom
    mtprotostate.os = _OsProxy(fixed)
    try:
        return state.encrypt_message_data(data)
    finally:
        mtprotostate.os = os
        del saved


class _OsProxy:
    def __init__(self, urandom):
        self.urandom = urandom

    def __getattr__(self, name):
        return getattr(os, name)


def kdf_aes_key_iv(req):
    client = client_side(req, "direction")
    key = auth_key(req)
    msg_key = h(req, "msgKey")
    aes_key, aes_iv = MTProtoState._calc_key(key.key, msg_key, client)
    return {"aesKey": aes_key.hex(), "aesIv": aes_iv.hex()}


def kdf_msg_key(req):
    client = client_side(req, "direction")
    key = auth_key(req)
    pt = h(req, "plaintext")
    if not client or len(pt) < 16:
        raise Unsupported()  # only the sender's (x = 0) msg_key is computed by a function
    # encrypt_message_data prepends salt and session_id and appends its own padding length:
    # drive it with the plaintext's own first 16 bytes and trailing bytes as padding.
    salt, sid = struct.unpack("<qq", pt[:16])
    rest = pt[16:]
    pad_len = -(len(rest) + 16 + 12) % 16 + 12
    if pad_len > len(rest):
        raise Unsupported()
    packet = encrypt_with_padding(key, salt, sid, rest[:len(rest) - pad_len], rest[len(rest) - pad_len:])
    return {"msgKey": packet[8:24].hex()}


def envelope_encrypt(req):
    if not client_side(req, "direction"):
        raise Unsupported()  # Telethon is a client: it only sends client-to-server messages
    key = auth_key(req)
    body, padding = h(req, "body"), h(req, "padding")
    seq = req["seqNo"]
    if not isinstance(seq, int):
        raise KeyError("seqNo")
    data = struct.pack("<qii", long_le(req, "msgId"), seq, len(body)) + body
    packet = encrypt_with_padding(key, long_le(req, "salt"), long_le(req, "sessionId"), data, padding)
    return {"packet": packet.hex()}


class _Spy:
    """Records what the library's IGE decryption produced (the plaintext it then checks)."""

    def __init__(self):
        self.plaintext = b""

    def decrypt_ige(self, ct, key, iv):
        self.plaintext = AES.decrypt_ige(ct, key, iv)
        return self.plaintext


class _AnyObject:
    CONSTRUCTOR_ID = 0


def envelope_decrypt(req):
    if req["receiver"] != "client":
        raise Unsupported()  # Telethon has no server side
    key = auth_key(req)
    session_id = long_le(req, "sessionId")
    packet = h(req, "packet")
    state = MTProtoState(key, _Loggers())
    state.id = session_id
    spy = _Spy()
    saved_aes, saved_time = mtprotostate.AES, mtprotostate.time
    saved_read = mtprotostate.BinaryReader.tgread_object
    # The vectors' bodies are arbitrary bytes, not TL objects, and their msg_ids carry fixed times:
    # read the body as an opaque object and put the clock at the message's own time.
    msg_time = [0]

    class _Now:
        # `now` is read before decryption; its value is taken when the time check uses it.
        def __add__(self, other):
            return float(msg_time[0]) + other

        __radd__ = __add__

    class _Clock:
        @staticmethod
        def time():
            return _Now()

    def read_any(reader):
        return _AnyObject()

    mtprotostate.AES = spy
    mtprotostate.BinaryReader.tgread_object = read_any
    mtprotostate.time = _Clock
    try:
        # The time checks must not fire on fixed vector times: peek at msg_id after decryption.
        orig = spy.decrypt_ige

        def decrypt_and_set_clock(ct, k, iv):
            pt = orig(ct, k, iv)
            if len(pt) >= 24:
                msg_time[0] = struct.unpack("<q", pt[16:24])[0] >> 32
            return pt

        spy.decrypt_ige = decrypt_and_set_clock
        try:
            msg = state.decrypt_message_data(packet)
        except (SecurityError, InvalidBufferError) as e:
            raise security(e)
    finally:
        mtprotostate.AES, mtprotostate.time = saved_aes, saved_time
        mtprotostate.BinaryReader.tgread_object = saved_read
    if msg is None:
        raise Rejected("Rejected", "ignored by the receiver")
    pt = spy.plaintext
    salt, sid, msg_id, seq, length = struct.unpack("<qqqii", pt[:32])
    return {"salt": struct.pack("<q", salt).hex(), "sessionId": struct.pack("<q", sid).hex(),
            "msgId": struct.pack("<q", msg.msg_id).hex(), "seqNo": msg.seq_no,
            "body": pt[32:32 + max(length, 0)].hex()}


def pq_factorize(req):
    """`Factorization.factorize`, what Telethon's authenticator calls on resPQ's pq (read there
    as a big-endian integer of any length). p and q as the authenticator sends them: big-endian,
    no leading zeros. A prime pq makes it loop (the harness times out: `error`)."""
    pq = int.from_bytes(h(req, "pq"), "big")
    if pq < 2:
        raise Rejected("PqNotFactorable", "pq < 2: factorize would divide by zero or loop")
    p, q = Factorization.factorize(pq)
    return {"p": p.to_bytes((p.bit_length() + 7) // 8, "big").hex(),
            "q": q.to_bytes((q.bit_length() + 7) // 8, "big").hex()}


# --- Sessions: MTProtoState.decrypt_message_data is Telethon's client receiver -----------------
#
# Each `session.feed` step becomes a real server packet (salt, the step's session_id, msg_id and
# seq_no, a `pong` body, padding; msg_key and AES-IGE with x = 8, as a server makes it) fed to
# the session's own MTProtoState, with Telethon's clock at the step's `now`. Its verdict: the
# message back (accept), None (ignored: its log line says why) or a SecurityError.

PONG = 0x347773c5
_SESSION_KEY = AuthKey(bytes(range(256)))
_sessions = {}
_next_handle = [1]


class _RecordingLog:
    """A logger that keeps the last warning (Telethon says why it ignored a message there)."""

    def __init__(self):
        self.last = ""

    def warning(self, msg, *args):
        self.last = msg % args if args else msg

    def __getattr__(self, name):
        return lambda *a, **k: None


class _Logs(dict):
    def __init__(self, log):
        super().__init__()
        self.log = log

    def __missing__(self, key):
        return self.log


def _server_packet(session_id, msg_id, seq_no):
    body = struct.pack("<Iqq", PONG, msg_id, 0)
    data = struct.pack("<qqqii", 0, session_id, msg_id, seq_no, len(body)) + body
    data += bytes(12 + (-(len(data) + 12) % 16))
    key = _SESSION_KEY.key
    msg_key = hashlib.sha256(key[96:128] + data).digest()[8:24]
    aes_key, aes_iv = MTProtoState._calc_key(key, msg_key, False)
    return struct.pack("<Q", _SESSION_KEY.key_id) + msg_key + AES.encrypt_ige(data, aes_key, aes_iv)


def session_open(req):
    if req["receiver"] != "client":
        raise Unsupported()  # Telethon has no server side
    log = _RecordingLog()
    state = MTProtoState(_SESSION_KEY, _Logs(log))
    state.id = long_le(req, "sessionId")
    handle = _next_handle[0]
    _next_handle[0] += 1
    _sessions[handle] = (state, log)
    return {"handle": handle}


def session_feed(req):
    entry = _sessions.get(req["handle"])
    if entry is None:
        raise KeyError("handle")
    if "container" in req:
        raise Unsupported()  # containers are unpacked by MTProtoSender, past the receiver's checks
    state, log = entry
    now = req["now"]
    if not isinstance(now, int) or not isinstance(req["seqNo"], int):
        raise KeyError("now/seqNo")
    packet = _server_packet(long_le(req, "sessionId"), long_le(req, "msgId"), req["seqNo"])

    class _Clock:
        @staticmethod
        def time():
            return float(now)

    saved = mtprotostate.time
    mtprotostate.time = _Clock
    log.last = ""
    try:
        msg = state.decrypt_message_data(packet)
    except SecurityError as e:
        err = security(e)
        return {"verdict": "ignore", "error": err.error}
    finally:
        mtprotostate.time = saved
    if msg is not None:
        return {"verdict": "accept"}
    for needle, name in [("resent the older message", "Duplicate"),
                         ("very old message", "TimeTooFarPast"),
                         ("very new message", "TimeTooFarFuture")]:
        if needle in log.last:
            return {"verdict": "ignore", "error": name}
    return {"verdict": "ignore", "error": "Rejected"}


def session_close(req):
    _sessions.pop(req["handle"], None)
    return {}


def tl_decode(req):
    """`BinaryReader.tgread_bool` for the `as: Bool` cases. Other objects: Telethon's generated
    classes carry Python class names (`ResPQ`, `RpcError`), not the schema's, so a decoded object
    cannot be written in the JSON form without inventing the naming. No `tl.encode`: Telethon has
    no Bool writer (generated code writes the two ids inline)."""
    if req["schema"] != "mtproto" or req.get("as") != "Bool":
        raise Unsupported()
    try:
        return {"value": BinaryReader(h(req, "bytes")).tgread_bool()}
    except RuntimeError as e:  # 'Invalid boolean code'
        raise Rejected("BadBool", str(e)) from e
    except struct.error as e:  # fewer than 4 bytes
        raise Rejected("UnexpectedEnd", str(e)) from e


HANDLERS = {
    "ige.encrypt": lambda r: ige(r, True),
    "ige.decrypt": lambda r: ige(r, False),
    "kdf.msgKey": kdf_msg_key,
    "kdf.aesKeyIv": kdf_aes_key_iv,
    "envelope.encrypt": envelope_encrypt,
    "envelope.decrypt": envelope_decrypt,
    "pq.factorize": pq_factorize,
    "session.open": session_open,
    "session.feed": session_feed,
    "session.close": session_close,
    "transport.decode": transport_ops.decode,
    "transport.encode": transport_ops.encode,
    "tl.decode": tl_decode,
    "handshake.client": handshake_ops.handshake_client,
    "rsa.fingerprint": rsa_ops.fingerprint,
}


def answer(req):
    rid = req.get("id")
    op = req.get("op")
    if op == "hello":
        if req.get("version") != 1:
            return {"id": rid, "ok": False, "error": "UnsupportedVersion"}
        return {"id": rid, "ok": True, "protocol": 1, "name": "telethon",
                "version": telethon.__version__, "ops": OPS}
    handler = HANDLERS.get(op)
    if handler is None:
        return {"id": rid, "unsupported": True}
    try:
        out = handler(req)
    except (Unsupported, transport_ops.Unsupported, handshake_ops.Unsupported):
        return {"id": rid, "unsupported": True}
    except (Rejected, transport_ops.Rejected, handshake_ops.Rejected) as e:
        return {"id": rid, "ok": False, "error": e.error, "detail": e.detail}
    except (KeyError, ValueError, TypeError) as e:
        if isinstance(e, KeyError) or "fromhex" in traceback.format_exc():
            return {"id": rid, "ok": False, "internal": f"bad request: {type(e).__name__}: {e}"}
        return {"id": rid, "ok": False, "internal": f"library raised {type(e).__name__}: {e}"}
    except Exception as e:  # noqa: BLE001 - any library exception is an `error` case, not a crash
        return {"id": rid, "ok": False, "internal": f"library raised {type(e).__name__}: {e}"}
    out["id"] = rid
    out["ok"] = True
    return out


def main():
    out = sys.stdout
    for line in sys.stdin:
        try:
            req = json.loads(line)
            if not isinstance(req, dict):
                raise ValueError("not an object")
        except ValueError as e:
            resp = {"id": None, "ok": False, "internal": f"malformed request: {e}"}
        else:
            resp = answer(req)
        out.write(json.dumps(resp, separators=(",", ":")) + "\n")
        out.flush()


if __name__ == "__main__":
    main()
