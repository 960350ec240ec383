"""Session traces of the Pyrogram family: `Session.handle_packet` with a stub client and
connection. Imported after `loader.full_import()` (the session module needs the whole package).
"""
import asyncio
import hashlib
import struct

import pyrogram
from pyrogram.crypto import aes, mtproto
from pyrogram.errors import SecurityError
from pyrogram.session import session as session_module
from pyrogram.session.session import Session

from ops import h, integer, key_id, long_le, unpack_error
from protocol import Unsupported, distribution

KURIGRAM = distribution()[0] == "kurigram"


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
    "session.open": session_open,
    "session.feed": session_feed,
    "session.close": session_close,
}
