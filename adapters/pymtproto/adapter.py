#!/usr/bin/env python3
"""mtproto-harness adapter for PyPI `mtproto` (RuslanUC's sans-I/O pyMTProto; JSON lines, v1).

`adapter.py [tgcrypto|pyaes]` picks the AES backend the package imports (default tgcrypto; with
`pyaes` the adapter hides tgcrypto before the import, so the package's own pure-Python IGE and
CTR run). Every op calls the package: `mtproto.crypto` (IGE, kdf), `DecryptedMessagePacket.encrypt`
and `EncryptedMessagePacket.decrypt` (envelopes, both roles), `Connection` with `data_received` /
`next_event` / `send` (transports, both roles), `Session` (session traces, both roles). Where the
package draws randomness (padding, the obfuscated init), the module's `urandom` returns the
vector's bytes, and a vector whose length the package would not pick is `unsupported`.
"""
import json
import struct
import sys
import traceback

BACKEND = sys.argv[1] if len(sys.argv) > 1 else "tgcrypto"
if BACKEND == "pyaes":
    sys.modules["tgcrypto"] = None  # the package falls back to its pyaes code
elif BACKEND != "tgcrypto":
    sys.exit(f"adapter.py: unknown backend {BACKEND!r} (tgcrypto or pyaes)")

import importlib.metadata  # noqa: E402
import logging  # noqa: E402

from mtproto import ConnectionRole  # noqa: E402
from mtproto.crypto import aes as crypto_aes  # noqa: E402
from mtproto.session import session as session_module  # noqa: E402
from mtproto.session.service_messages.message import Message  # noqa: E402
from mtproto.session.service_messages.msg_container import MsgContainer  # noqa: E402
from mtproto.session.messages import Data  # noqa: E402
from mtproto.transport import Connection, transports  # noqa: E402
from mtproto.transport.packets import (  # noqa: E402
    DecryptedMessagePacket, EncryptedMessagePacket, ErrorPacket, MessagePacket, QuickAckPacket,
    UnencryptedMessagePacket)
from mtproto.transport.packets import message_packet  # noqa: E402
from mtproto.transport.packets.base_packet import BasePacket  # noqa: E402
from mtproto.transport.transports import base_transport  # noqa: E402
from mtproto.enums import TransportEvent  # noqa: E402
import tl_ops  # noqa: E402

logging.disable(logging.CRITICAL)

VERSION = importlib.metadata.version("mtproto")
NAME = "pymtproto" if BACKEND == "tgcrypto" else "pymtproto-pyaes"

OPS = ["ige.encrypt", "ige.decrypt", "kdf.msgKey", "kdf.aesKeyIv",
       "envelope.encrypt", "envelope.decrypt", "transport.decode", "transport.encode",
       "session.open", "session.feed", "session.close", "tl.decode", "tl.encode"]


class Unsupported(Exception):
    """The library cannot be driven to this request."""


class Rejected(Exception):
    def __init__(self, error, detail=""):
        super().__init__(error)
        self.error = error
        self.detail = detail


def h(req, name):
    v = req[name]
    if not isinstance(v, str):
        raise KeyError(name)
    return bytes.fromhex(v)


def long_le(req, name):
    return struct.unpack("<q", h(req, name))[0]


def integer(req, name):
    v = req[name]
    if not isinstance(v, int) or isinstance(v, bool):
        raise KeyError(name)
    return v


def auth_key(req):
    key = h(req, "authKey")
    if len(key) != 256:
        raise Rejected("KeyWrongLength")
    return key


def described(e):
    return f"{type(e).__name__}: {e}"


# --- IGE and KDF: mtproto.crypto -----------------------------------------------------------------

def ige(req, encrypt):
    key, iv = h(req, "key"), h(req, "iv")
    data = h(req, "msg" if encrypt else "ct")
    if BACKEND == "tgcrypto" and len(key) != 32:
        raise Unsupported()  # TgCrypto takes 32-byte keys only
    try:
        out = (crypto_aes.ige256_encrypt(data, key, iv) if encrypt
               else crypto_aes.ige256_decrypt(data, key, iv))
    except Exception as e:  # noqa: BLE001 - the library refused this input
        raise Rejected("NotBlockAligned" if len(data) % 16 else "Rejected", described(e))
    return {"ct" if encrypt else "msg": bytes(out).hex()}


def from_client(req, field="direction"):
    v = req[field]
    if v in ("clientToServer",):
        return True
    if v in ("serverToClient",):
        return False
    raise KeyError(field)


def role_of(client):
    return ConnectionRole.CLIENT if client else ConnectionRole.SERVER


def kdf_aes_key_iv(req):
    aes_key, aes_iv = crypto_aes.kdf(auth_key(req), h(req, "msgKey"), from_client(req))
    return {"aesKey": aes_key.hex(), "aesIv": aes_iv.hex()}


class _FixedRandom:
    """`urandom` inside a package module: returns the vector's bytes, of the length it asks."""

    def __init__(self, data):
        self.data = data

    def __call__(self, n):
        if n != len(self.data):
            raise Unsupported()  # the package picks this length itself
        return self.data


def encrypt_with_padding(packet, key, role, padding):
    saved = message_packet.urandom
    message_packet.urandom = _FixedRandom(padding)
    try:
        return packet.encrypt(key, role)
    finally:
        message_packet.urandom = saved


def kdf_msg_key(req):
    """`DecryptedMessagePacket.encrypt` computes msg_key over salt, session_id, msg_id, seq_no,
    its own length field, the data and a padding of its choice: the plaintext must be laid out so
    (its length field says where the padding starts)."""
    key = auth_key(req)
    pt = h(req, "plaintext")
    if len(pt) < 32:
        raise Unsupported()
    salt, sid, mid, seq, length = struct.unpack("<8sqqii", pt[:32])
    if length < 0 or 32 + length > len(pt):
        raise Unsupported()
    packet = DecryptedMessagePacket(salt, sid, mid, seq, pt[32:32 + length])
    enc = encrypt_with_padding(packet, key, role_of(from_client(req)), pt[32 + length:])
    return {"msgKey": enc.message_key.hex()}


def envelope_encrypt(req):
    key = auth_key(req)
    packet = DecryptedMessagePacket(h(req, "salt"), long_le(req, "sessionId"), long_le(req, "msgId"),
                                    integer(req, "seqNo"), h(req, "body"))
    enc = encrypt_with_padding(packet, key, role_of(from_client(req)), h(req, "padding"))
    return {"packet": enc.write().hex()}


def envelope_decrypt(req):
    """`MessagePacket.parse` (what the transports call on each payload), then
    `EncryptedMessagePacket.decrypt(auth_key, sender_role)`. The session_id, msg_id and time
    checks are `Session.next_event`'s (the session traces)."""
    receiver = req["receiver"]
    if receiver not in ("client", "server"):
        raise KeyError("receiver")
    key = auth_key(req)
    data = h(req, "packet")
    try:
        packet = MessagePacket.parse(data)
        if not isinstance(packet, EncryptedMessagePacket):
            raise Rejected("AuthKeyIdMismatch", "auth_key_id 0: read as an unencrypted message")
        sender = ConnectionRole.SERVER if receiver == "client" else ConnectionRole.CLIENT
        out = packet.decrypt(key, sender)
    except Rejected:
        raise
    except Exception as e:  # noqa: BLE001 - the library refused this input
        msg = described(e)
        if "Invalid auth_key" in msg:
            raise Rejected("AuthKeyIdMismatch", msg)
        if len(data) < 24 + 16:
            raise Rejected("TooShort", msg)
        if (len(data) - 24) % 16:
            raise Rejected("NotBlockAligned", msg)
        raise Rejected("Rejected", msg)
    return {"salt": bytes(out.salt).hex(), "sessionId": struct.pack("<q", out.session_id).hex(),
            "msgId": struct.pack("<q", out.message_id).hex(), "seqNo": out.seq_no,
            "body": bytes(out.data).hex()}


# --- Transports: Connection (sans-I/O) -----------------------------------------------------------

TRANSPORTS = {"abridged": transports.AbridgedTransport,
              "intermediate": transports.IntermediateTransport,
              "padded": transports.PaddedIntermediateTransport,
              "full": transports.FullTransport}


class _RawPacket(BasePacket):
    """A payload frame: the vector's bytes as the packet's wire form."""

    def __init__(self, data):
        self.data = data

    def write(self):
        return self.data


def _transport_cls(req):
    if "secret" in req:
        raise Unsupported()  # no MTProxy secret in this package
    cls = TRANSPORTS.get(req["transport"])
    if cls is None:
        raise KeyError("transport")
    obfuscated = req.get("obfuscated", False)
    if obfuscated and not cls.SUPPORTS_OBFUSCATION:
        raise Unsupported()  # the package refuses an obfuscated full transport
    return cls, bool(obfuscated)


def _client_connection(cls, obfuscated, init):
    """A client Connection whose transport exists (its tag or obfuscated header sent)."""
    conn = Connection(ConnectionRole.CLIENT, cls, obfuscated)
    saved = base_transport.urandom
    if obfuscated:
        base_transport.urandom = _FixedRandom(init)
    try:
        header = conn.send(None)
    finally:
        base_transport.urandom = saved
    return conn, bytes(header)


def _server_connection(cls, obfuscated, init):
    """A server Connection whose transport was detected from a client's tag or header."""
    conn = Connection(ConnectionRole.SERVER, cls, obfuscated)
    if cls is transports.FullTransport:
        # no tag: a server detects Full from the first frame; make the transport it would make
        conn._transport = transports.FullTransport(ConnectionRole.SERVER, conn._rx_buffer,
                                                   conn._tx_buffer)
        return conn
    _, header = _client_connection(cls, obfuscated, init)
    conn.data_received(header)
    if conn.next_event() is not None or conn._transport is None:
        raise RuntimeError("the server connection did not take the client's header")
    return conn


def _frame_of(packet):
    if isinstance(packet, ErrorPacket):
        return {"kind": "error", "code": -packet.error_code}
    if isinstance(packet, QuickAckPacket):
        # the token's bytes in the order the package keeps them (its abridged reader reverses the
        # wire bytes, its writer reverses them back): a little-endian u32
        return {"kind": "quickAck", "token": int.from_bytes(bytes(packet.token), "little")}
    if isinstance(packet, EncryptedMessagePacket):
        return {"kind": "payload", "data": bytes(packet.write()).hex(),
                "quickAck": bool(packet.needs_quick_ack)}
    if isinstance(packet, UnencryptedMessagePacket):
        return {"kind": "payload", "data": bytes(packet.write()).hex(), "quickAck": False}
    raise RuntimeError(f"unexpected packet {packet!r}")


def transport_decode(req):
    cls, obfuscated = _transport_cls(req)
    stream = h(req, "stream")
    init = h(req, "init") if obfuscated and "init" in req else None
    if from_client(req):
        conn = Connection(ConnectionRole.SERVER, cls, obfuscated)
    else:
        if obfuscated and init is None:
            raise KeyError("init")
        conn, _ = _client_connection(cls, obfuscated, init)
    frames = []
    try:
        conn.data_received(stream)
        while True:
            before = len(conn._rx_buffer)
            ev = conn.next_event()
            if ev is TransportEvent.DISCONNECT:
                raise Rejected("FrameTooLong", "the connection closes (packet over its size limit)")
            if ev is None:
                if len(conn._rx_buffer) == before or not conn._rx_buffer:
                    break
                continue  # a frame consumed and dropped (Full: bad CRC or seq_no)
            frames.append(_frame_of(ev))
    except Rejected:
        raise
    except Exception as e:  # noqa: BLE001 - the library refused the stream
        raise Rejected("Rejected", described(e))
    if conn._transport is None:
        raise Rejected("Truncated", f"no transport recognised; {len(conn._rx_buffer)} bytes wait")
    if len(conn._rx_buffer):
        raise Rejected("Truncated", f"{len(conn._rx_buffer)} bytes wait for the rest of a frame")
    return {"frames": frames}


def transport_encode(req):
    cls, obfuscated = _transport_cls(req)
    if cls is transports.PaddedIntermediateTransport:
        raise Unsupported()  # it appends 0-3 random bytes of its own choice to every frame
    init = h(req, "init") if obfuscated else None
    frames = req["frames"]
    if not isinstance(frames, list):
        raise KeyError("frames")
    packets = []
    for f in frames:
        kind = f.get("kind")
        if kind == "payload":
            if f.get("quickAck"):
                raise Unsupported()  # no API to ask for a quick ack on send
            packets.append(_RawPacket(h(f, "data")))
        elif kind == "quickAck":
            packets.append(QuickAckPacket(integer(f, "token").to_bytes(4, "little")))
        elif kind == "error":
            packets.append(ErrorPacket(integer(f, "code")))
        else:
            raise KeyError("frames[].kind")
    if from_client(req):
        conn, stream = _client_connection(cls, obfuscated, init)
    else:
        conn, stream = _server_connection(cls, obfuscated, init), b""
    try:
        for p in packets:
            stream += bytes(conn.send(p))
    except Exception as e:  # noqa: BLE001 - the library refused to send this frame
        raise Rejected("Rejected", described(e))
    return {"stream": stream.hex()}


# --- Sessions: Session.next_event, both roles ----------------------------------------------------
#
# Each step becomes a real packet from the peer (`DecryptedMessagePacket.encrypt` with the peer's
# role: the step's salt, session_id, msg_id, seq_no, a `ping` body or a msg_container), framed by
# the peer's own abridged Connection and fed to the receiver's `Session` with the package's clock
# at the step's `now`. Verdict: the Session handed the message up (a `Data` event: accept), queued
# a bad_msg_notification (badMsg with its code) or a bad_server_salt (48), or returned nothing.

PING = struct.pack("<Iq", 0x7ABE77EC, 0)
_SESSION_KEY = bytes(range(256))
_sessions = {}
_next_handle = [1]
_now = [0.0]


def _clock():
    return _now[0]


session_module.time = _clock


class _Receiver:
    def __init__(self, role, session_id, salts):
        self.role = role
        self.session = session_module.Session(role, transports.AbridgedTransport,
                                              auth_key=_SESSION_KEY)
        self.session._session_id = session_id
        if salts is not None:
            self.session.set_salts(salts)
        self.peer_role = ConnectionRole.opposite(role)
        if role is ConnectionRole.CLIENT:
            self.session.send_protocol_id()
            self.peer = Connection(ConnectionRole.SERVER, transports.AbridgedTransport)
            self.peer.data_received(b"\xef")
            self.peer.next_event()
        else:
            self.peer = Connection(ConnectionRole.CLIENT, transports.AbridgedTransport)
        self.codes = []
        original = self.session._send_bad_msg_notification

        def record(msg_id, msg_seqno, error):
            self.codes.append(error)
            return original(msg_id, msg_seqno, error)

        self.session._send_bad_msg_notification = record


def session_open(req):
    receiver = req["receiver"]
    if receiver not in ("client", "server"):
        raise KeyError("receiver")
    salts = None
    if receiver == "server":
        salts = [(h(s, "salt"), integer(s, "validSince")) for s in req["salts"]]
    role = ConnectionRole.CLIENT if receiver == "client" else ConnectionRole.SERVER
    handle = _next_handle[0]
    _next_handle[0] += 1
    _sessions[handle] = _Receiver(role, long_le(req, "sessionId"), salts)
    return {"handle": handle}


def _container(items):
    msgs = []
    for m in items:
        body = _container(m["container"]) if "container" in m else PING
        msgs.append(Message(long_le(m, "msgId"), integer(m, "seqNo"), body))
    return MsgContainer(msgs).write()


def session_feed(req):
    r = _sessions.get(req["handle"])
    if r is None:
        raise KeyError("handle")
    now = integer(req, "now")
    msg_id, seq_no = long_le(req, "msgId"), integer(req, "seqNo")
    container = req.get("container")
    body = _container(container) if container is not None else PING
    salt = h(req, "salt") if "salt" in req else bytes(8)
    packet = DecryptedMessagePacket(salt, long_le(req, "sessionId"), msg_id, seq_no, body)
    _now[0] = float(now)
    enc = packet.encrypt(_SESSION_KEY, r.peer_role)
    framed = bytes(r.peer.send(enc))
    s = r.session
    r.codes = []
    queued = len(s._queue)
    s.data_received(framed)
    delivered = []
    try:
        while True:
            ev = s.next_event()
            if ev is None:
                break
            if isinstance(ev, Data):
                delivered.append(ev.message_id)
    except Exception as e:  # noqa: BLE001 - the session raised on this message
        return {"verdict": "ignore", "error": "Rejected", "detail": described(e)}
    if r.codes:
        return {"verdict": "badMsg", "code": r.codes[0]}
    if r.role is ConnectionRole.SERVER and len(s._queue) > queued and not delivered:
        return {"verdict": "badMsg", "code": 48}
    if container is None:
        if msg_id in delivered:
            return {"verdict": "accept"}
        return {"verdict": "ignore", "error": "Rejected"}
    if not delivered and not _container_was_read(container, delivered):
        return {"verdict": "ignore", "error": "Rejected"}
    inner = []
    for m in container:
        ok = long_le(m, "msgId") in delivered or (
            "container" in m and _container_was_read(m["container"], delivered))
        inner.append({"verdict": "accept"} if ok else {"verdict": "ignore", "error": "Rejected"})
    return {"verdict": "accept", "inner": inner}


def _container_was_read(items, delivered):
    return any(long_le(m, "msgId") in delivered
               or ("container" in m and _container_was_read(m["container"], delivered))
               for m in items)


def session_close(req):
    _sessions.pop(req["handle"], None)
    return {}


HANDLERS = {
    "ige.encrypt": lambda r: ige(r, True),
    "ige.decrypt": lambda r: ige(r, False),
    "kdf.msgKey": kdf_msg_key,
    "kdf.aesKeyIv": kdf_aes_key_iv,
    "envelope.encrypt": envelope_encrypt,
    "envelope.decrypt": envelope_decrypt,
    "transport.decode": transport_decode,
    "transport.encode": transport_encode,
    "session.open": session_open,
    "session.feed": session_feed,
    "session.close": session_close,
    **tl_ops.HANDLERS,
}


def answer(req):
    rid = req.get("id")
    op = req.get("op")
    if op == "hello":
        if req.get("version") != 1:
            return {"id": rid, "ok": False, "error": "UnsupportedVersion"}
        return {"id": rid, "ok": True, "protocol": 1, "name": NAME,
                "version": f"{VERSION} ({BACKEND})", "ops": OPS}
    handler = HANDLERS.get(op)
    if handler is None:
        return {"id": rid, "unsupported": True}
    try:
        out = handler(req)
    except (Unsupported, tl_ops.Unsupported):
        return {"id": rid, "unsupported": True}
    except (Rejected, tl_ops.Rejected) as e:
        return {"id": rid, "ok": False, "error": e.error, "detail": e.detail}
    except KeyError as e:
        return {"id": rid, "ok": False, "internal": f"bad request: field {e}"}
    except Exception as e:  # noqa: BLE001 - any other exception is an `error` case, not a crash
        tb = traceback.format_exc(limit=-2).replace("\n", " | ")
        return {"id": rid, "ok": False, "internal": f"{described(e)} [{tb}]"}
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
