"""The Pyrogram family ops behind adapter.py (imported on the first request: importing
`pyrogram` loads its whole generated TL API, about 1.5 CPU-seconds).

One adapter for the forks that ship the `pyrogram` package: kurigram and pyrofork (each in its own
venv, `setup.sh kurigram|pyrofork`); the hello answer names the installed distribution. Every op
goes through the fork's own code: `pyrogram.crypto.aes` (its pure-Python IGE over pyaes: TgCrypto
is an optional extra and is not installed, so the fork's own code is what runs), the module
functions `pyrogram.crypto.mtproto.kdf` / `pack` / `unpack`, `pyrogram.crypto.prime.decompose`
for pq, and `Session.handle_packet` for session traces. What the library does not expose is
answered `unsupported`; a library exception on the vector's input is a rejection named from its
message (the library's security checks say which rule), never a crash of the adapter.
"""
import asyncio
import hashlib
import json
import logging
import os
import resource
import signal
import struct
from io import BytesIO

import pyrogram
from pyrogram.crypto import aes, mtproto, prime
from pyrogram.errors import SecurityError
from pyrogram.raw.core import Message
from pyrogram.raw.core import message as message_module
from pyrogram.session import session as session_module
from pyrogram.session.session import Session

from protocol import Hang, Rejected, Unsupported, distribution

KURIGRAM = distribution()[0] == "kurigram"

logging.disable(logging.CRITICAL)


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
    return key


def key_id(key):
    """What `Session.__init__` derives from the auth key."""
    return hashlib.sha1(key).digest()[-8:]


def integer(req, name):
    v = req[name]
    if not isinstance(v, int) or isinstance(v, bool):
        raise KeyError(name)
    return v


# --- IGE: pyrogram.crypto.aes (pure Python over pyaes) ------------------------------------------

def ige(req, encrypt):
    key, iv = h(req, "key"), h(req, "iv")
    data = h(req, "msg" if encrypt else "ct")
    try:
        out = aes.ige256_encrypt(data, key, iv) if encrypt else aes.ige256_decrypt(data, key, iv)
    except Exception as e:  # noqa: BLE001 - the library's refusal of this input
        raise Rejected(exception_name(e, len(data)), f"{type(e).__name__}: {e}")
    return {"ct" if encrypt else "msg": out.hex()}


def exception_name(e, length):
    if length % 16:
        return "NotBlockAligned"
    if isinstance(e, (struct.error, EOFError)):
        return "TooShort"
    return "Rejected"


# --- KDF and envelopes: pyrogram.crypto.mtproto ----------------------------------------------------

def client_to_server(req):
    v = req["direction"]
    if v == "clientToServer":
        return True
    if v == "serverToClient":
        return False
    raise KeyError("direction")


def kdf_aes_key_iv(req):
    key = auth_key(req)
    aes_key, aes_iv = mtproto.kdf(key, h(req, "msgKey"), client_to_server(req))
    return {"aesKey": aes_key.hex(), "aesIv": aes_iv.hex()}


class _Raw:
    """A message body that writes the vector's bytes as they are."""

    def __init__(self, data):
        self.data = data

    def write(self, *args):
        return self.data


class _RawMessage:
    """`pack` writes `message.write()` after salt and session_id: the plaintext's own bytes."""

    def __init__(self, data):
        self.data = data

    def write(self, *args):
        return self.data


class _FixedPadding:
    """`urandom` inside `pyrogram.crypto.mtproto` (only `pack` draws it: the padding)."""

    def __init__(self, padding):
        self.padding = padding

    def __call__(self, n):
        if n != len(self.padding):
            raise Unsupported()  # pack picks the padding length itself
        return self.padding


def pack_with_padding(message, salt, session_id, key, padding):
    saved = mtproto.urandom
    mtproto.urandom = _FixedPadding(padding)
    try:
        return mtproto.pack(message, salt, session_id, key, key_id(key))
    finally:
        mtproto.urandom = saved


def kdf_msg_key(req):
    key = auth_key(req)
    pt = h(req, "plaintext")
    if not client_to_server(req) or len(pt) < 16:
        raise Unsupported()  # the x = 8 msg_key is computed inline in unpack, not returned
    # pack lays out salt, session_id, message.write(), padding (12..27 bytes, its own choice):
    # the plaintext's tail of that length is the padding, the rest its body.
    fits = [n for n in range(12, 28) if n <= len(pt) - 16 and -(len(pt) - n + 12) % 16 + 12 == n]
    if not fits:
        raise Unsupported()
    pad_len = fits[0]
    salt = struct.unpack("<q", pt[:8])[0]
    packet = pack_with_padding(_RawMessage(pt[16:len(pt) - pad_len]), salt, pt[8:16], key,
                               pt[len(pt) - pad_len:])
    return {"msgKey": packet[8:24].hex()}


def envelope_encrypt(req):
    if not client_to_server(req):
        raise Unsupported()  # a client: pack only makes client-to-server messages (x = 0)
    key = auth_key(req)
    body = h(req, "body")
    message = Message(_Raw(body), long_le(req, "msgId"), integer(req, "seqNo"), len(body))
    packet = pack_with_padding(message, long_le(req, "salt"), h(req, "sessionId"), key,
                               h(req, "padding"))
    return {"packet": packet.hex()}


class _Opaque:
    """Stands in for `TLObject` inside `Message.read`: the vectors' bodies are not TL objects."""

    def __init__(self, data):
        self.data = data

    @classmethod
    def read(cls, b, *args):
        return cls(b.read())


class _IgeSpy:
    """`aes` as `unpack` sees it: records the plaintext the library decrypted."""

    def __init__(self):
        self.plaintext = b""

    def ige256_decrypt(self, data, key, iv):
        self.plaintext = aes.ige256_decrypt(data, key, iv)
        return self.plaintext

    def __getattr__(self, name):
        return getattr(aes, name)


UNPACK_CHECKS = [("auth_key_id", "AuthKeyIdMismatch"), ("session_id", "SessionIdMismatch"),
                 ("msg_key ==", "MsgKeyMismatch"), ("len(payload) % 4", "LengthNotAligned"),
                 ("msg_id % 2", "MsgIdParity")]


def unpack_error(e, plaintext, packet_len):
    """The vocabulary name of an exception `unpack` raised, from the check its message names."""
    msg = str(e)
    if isinstance(e, SecurityError):
        if "len(padding)" in msg:
            length = struct.unpack("<i", plaintext[28:32])[0] if len(plaintext) >= 32 else 0
            padding = len(plaintext[32:][length:])
            return Rejected("PaddingTooShort" if padding < 12 else "PaddingTooLong", msg)
        for needle, name in UNPACK_CHECKS:
            if needle in msg:
                return Rejected(name, msg)
        return Rejected("Rejected", msg)
    detail = f"{type(e).__name__}: {e}"
    if packet_len < 24 + 16:
        return Rejected("TooShort", detail)
    if (packet_len - 24) % 16:
        return Rejected("NotBlockAligned", detail)
    return Rejected("Rejected", detail)


def run_unpack(packet, session_id, key):
    """`mtproto.unpack` on a packet, with bodies read as opaque bytes; (message, plaintext)."""
    spy = _IgeSpy()
    saved_aes, saved_tl = mtproto.aes, message_module.TLObject
    mtproto.aes, message_module.TLObject = spy, _Opaque
    try:
        message = mtproto.unpack(BytesIO(packet), session_id, key, key_id(key))
    except Exception as e:  # noqa: BLE001 - every refusal by the library is a rejection
        raise unpack_error(e, spy.plaintext, len(packet))
    finally:
        mtproto.aes, message_module.TLObject = saved_aes, saved_tl
    return message, spy.plaintext


def envelope_decrypt(req):
    if req["receiver"] != "client":
        raise Unsupported()  # unpack is the client's receiver (x = 8)
    key = auth_key(req)
    message, pt = run_unpack(h(req, "packet"), h(req, "sessionId"), key)
    return {"salt": pt[:8].hex(), "sessionId": pt[8:16].hex(),
            "msgId": struct.pack("<q", message.msg_id).hex(), "seqNo": message.seq_no,
            "body": message.body.data.hex()}


# --- pq: prime.decompose, then what session/auth.py does with it ----------------------------------

PQ_CPU_SECONDS = 1


def pq_factorize(req):
    """`decompose(pq)`; auth.py then takes `sorted((g, pq // g))` and sends each as
    `to_bytes(4, "big")` (OverflowError for a factor >= 2^32). Answered big-endian without the
    leading zeros of that 4-byte form.

    `decompose` loops forever on some inputs (a prime pq of 63 bits, for one). It runs in a forked
    child limited to PQ_CPU_SECONDS of CPU time (RLIMIT_CPU: load on the machine does not count),
    so such a pq is reported as an `internal` answer (the harness records an `error`, as for a
    hang) without a restart of the adapter."""
    pq = int.from_bytes(h(req, "pq"), "big")
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: compute, write one JSON line, exit without cleanup
        os.close(r)
        try:
            resource.setrlimit(resource.RLIMIT_CPU, (PQ_CPU_SECONDS, PQ_CPU_SECONDS + 1))
            try:
                g = prime.decompose(pq)
                p, q = sorted((g, pq // g))
                out = {"p": p.to_bytes(4, "big").hex(), "q": q.to_bytes(4, "big").hex()}
            except Exception as e:  # noqa: BLE001 - the handshake would stop here: a refusal
                out = {"error": f"{type(e).__name__}: {e}"}
            os.write(w, json.dumps(out).encode())
        finally:
            os._exit(0)
    os.close(w)
    chunks = []
    while True:
        chunk = os.read(r, 4096)
        if not chunk:
            break
        chunks.append(chunk)
    os.close(r)
    _, status = os.waitpid(pid, 0)
    if not chunks:
        if os.WIFSIGNALED(status) and os.WTERMSIG(status) in (signal.SIGXCPU, signal.SIGKILL):
            raise Hang(f"prime.decompose did not return within {PQ_CPU_SECONDS} CPU-second "
                       "(it loops on this pq)")
        raise RuntimeError(f"the decompose child ended with status {status} and no answer")
    out = json.loads(b"".join(chunks))
    if "error" in out:
        raise Rejected("PqNotFactorable", out["error"])
    p, q = bytes.fromhex(out["p"]), bytes.fromhex(out["q"])
    return {"p": p.lstrip(b"\0").hex() or "00", "q": q.lstrip(b"\0").hex() or "00"}


# --- Sessions: Session.handle_packet with a stub client and connection ---------------------------
#
# Each `session.feed` step becomes a server packet (salt 0, the step's session_id, msg_id and
# seq_no, a `pong` body or a msg_container of pongs, padding; x = 8 msg_key and IGE as a server
# makes them) handed to the session's own `handle_packet`, with the library's clock at the step's
# `now`. The verdict is what the library did: the msg_id entered `stored_msg_ids` (accept), or
# a security check fired (its message names the rule), or it was skipped.

PONG = 0x347773C5
CONTAINER = 0x73F1F8DC
_SESSION_KEY = bytes(range(256))
_loop = asyncio.new_event_loop()
asyncio.set_event_loop(_loop)
_sessions = {}
_next_handle = [1]
_now = [0.0]


class _Clock:
    """`time` as the library's modules see it: the step's `now`."""

    @staticmethod
    def time():
        return _now[0]

    def __getattr__(self, name):
        import time
        return getattr(time, name)


class _Log:
    """The session module's logger: keeps why a message was discarded."""

    def __init__(self):
        self.discarded = []
        self.restarts = 0

    def info(self, msg, *args):
        text = msg % args if args else msg
        if text.startswith("Discarding packet"):
            self.discarded.append(text)
        if text.startswith("Restarting session"):
            self.restarts += 1

    def __getattr__(self, name):
        return lambda *a, **k: None


_log = _Log()
session_module.log = _log


class _Connection:
    class protocol:  # noqa: N801 - the attribute path handle_packet reads
        crypto_executor = None

    async def close(self):
        return None


class _StubClient:
    """The client attributes `Session` reads, with Client's own server-time methods."""

    loop = _loop
    disconnect_handler = None
    connect_handler = None
    _server_time_offset = 0.0

    async def handle_updates(self, update):
        return None


if KURIGRAM:
    from pyrogram import client as client_module
    from pyrogram.client import Client
    from pyrogram.session.internals import MsgFactory
    client_module.time = _Clock()
    _StubClient.server_time = Client.server_time
    _StubClient._set_server_time = Client._set_server_time
else:
    from pyrogram.session.internals import msg_id as msg_id_module
    msg_id_module.time = _Clock()


def _new_session(session_id):
    s = object.__new__(Session)
    s.client = _StubClient()
    s.auth_key = _SESSION_KEY
    s.auth_key_id = key_id(_SESSION_KEY)
    s.session_id = session_id
    s.connection = _Connection()
    s.pending_acks = set()
    s.results = {}
    s.stored_msg_ids = []
    s.salt = 0

    async def send(*args, **kwargs):
        return None

    s.send = send
    if KURIGRAM:
        s.msg_factory = MsgFactory(s.client)
        s.recent_msg_ids = []
        s.ignore_count = 0
        s.pending_tasks = set()
        s._state = session_module.SessionState.STARTED
        s._state_lock = asyncio.Lock()
        s.is_started = asyncio.Event()
        s.restart_lock = asyncio.Lock()
        s.ping_task = None
        s.ping_task_event = asyncio.Event()
        s.recv_task = None
        s._must_stay_stopped = False

        async def start():  # the network half of start(): only the state it leaves behind
            await s._set_state(session_module.SessionState.STARTED)
            s.is_started.set()

        s.start = start
    else:
        s.loop = _loop
        pyrogram.crypto_executor = None
        msg_id_module.MsgId._last_msg_id = 0

        async def restart():  # pyrofork restarts on an unknown constructor only (never here)
            _log.restarts += 1

        s.restart = restart
    return s


def _message(msg_id, seq_no, body):
    return struct.pack("<qii", msg_id, seq_no, len(body)) + body


def _pong(msg_id):
    return struct.pack("<Iqq", PONG, msg_id, 0)


def _server_packet(session_id, inner):
    data = struct.pack("<q", 0) + session_id + inner
    data += bytes(12 + (-(len(data) + 12) % 16))
    msg_key = hashlib.sha256(_SESSION_KEY[96:128] + data).digest()[8:24]
    aes_key, aes_iv = mtproto.kdf(_SESSION_KEY, msg_key, False)
    return key_id(_SESSION_KEY) + msg_key + aes.ige256_encrypt(data, aes_key, aes_iv)


def session_open(req):
    if req["receiver"] != "client":
        raise Unsupported()  # a client library: no server receiver
    handle = _next_handle[0]
    _next_handle[0] += 1
    _sessions[handle] = _new_session(h(req, "sessionId"))
    return {"handle": handle}


def _drain():
    """Run what handle_packet scheduled (a restart, acks) to completion."""
    for _ in range(100):
        pending = [t for t in asyncio.all_tasks(_loop) if not t.done()]
        if not pending:
            return
        _loop.run_until_complete(asyncio.wait(pending, timeout=5))


DISCARD_REASONS = [("most recent closed connection", "Duplicate"),
                   ("lower than all the stored", "TooOld"),
                   ("equal to any of the stored", "Duplicate"),
                   ("30 seconds in the future", "TimeTooFarFuture"),
                   ("300 seconds in the past", "TimeTooFarPast")]


def _discard_name(text):
    for needle, name in DISCARD_REASONS:
        if needle in text:
            return name
    return "Rejected"


def session_feed(req):
    s = _sessions.get(req["handle"])
    if s is None:
        raise KeyError("handle")
    now = integer(req, "now")
    msg_id, seq_no = long_le(req, "msgId"), integer(req, "seqNo")
    container = req.get("container")
    if container is not None:
        if not isinstance(container, list):
            raise KeyError("container")
        inner_ids = []
        parts = []
        for m in container:
            if "container" in m:
                raise Unsupported()  # a nested container: handle_packet would read it as a body
            mid = long_le(m, "msgId")
            inner_ids.append(mid)
            parts.append(_message(mid, integer(m, "seqNo"), _pong(mid)))
        body = struct.pack("<Ii", CONTAINER, len(parts)) + b"".join(parts)
    else:
        inner_ids = [msg_id]
        body = _pong(msg_id)
    packet = _server_packet(h(req, "sessionId"), _message(msg_id, seq_no, body))
    _now[0] = float(now)
    before = list(s.stored_msg_ids)
    _log.discarded = []
    try:
        _loop.run_until_complete(s.handle_packet(packet))
    except SecurityError as e:
        # unpack's own checks (session_id, parity) raise out of handle_packet: the packet is lost
        name = unpack_error(e, b"", len(packet)).error
        return {"verdict": "ignore", "error": name}
    _drain()
    discarded = list(_log.discarded)

    def verdict_of(mid):
        if mid in s.stored_msg_ids and mid not in before:
            return {"verdict": "accept"}
        if discarded:
            return {"verdict": "ignore", "error": _discard_name(discarded[0])}
        if mid in before:
            # seq_no odd and already waiting for an ack: skipped without a check
            return {"verdict": "ignore", "error": "Duplicate"}
        return {"verdict": "ignore", "error": "Rejected"}

    if container is None:
        return verdict_of(msg_id)
    # The outer container passed unpack; its own msg_id is never stored or checked further.
    inner = []
    for mid in inner_ids:
        v = verdict_of(mid)
        if v["verdict"] == "ignore" and discarded:
            discarded = discarded[1:] or ["not processed: an earlier message was discarded"]
        inner.append(v)
    return {"verdict": "accept", "inner": inner}


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
    "pq.factorize": pq_factorize,
    "session.open": session_open,
    "session.feed": session_feed,
    "session.close": session_close,
}
