"""`handshake.client` through the fork's own `pyrogram.session.auth.Auth.create()`.

`Auth` is built without its `__init__` (which reads a whole `Client`), with the attributes
`create` reads; its `connection_factory` makes a stand-in connection whose `send` records each
unencrypted message the client sends (its TL body: the 20 bytes of auth_key_id 0, msg_id and
length dropped) and whose `recv` hands back the transcript's next server message behind such a
header, as `Auth.unpack` expects. The vector's server key goes into
`pyrogram.crypto.rsa.server_public_keys` under its fingerprint (SHA1 of the TL-serialized n and e,
last 8 bytes, read as a signed little-endian long as resPQ's fingerprints are read), as the forks'
own table lists Telegram's keys.

Randomness is the vector's through `auth.urandom`, in the order `create` draws it: the nonce
(16), new_nonce (32), the legacy RSA padding (`-(len) % 255` bytes after SHA1 ‖ p_q_inner_data:
the vector's rsaPadding, zero-extended; the forks encrypt the legacy `p_q_inner_data` without
RSA_PAD), b (256) and the client_DH_inner_data padding. `time.time()` in `auth` reads `now`.

What `create` computes but does not return is read from its own debug log lines: the server salt
("Server salt: %s", little-endian) and the time offset ("Delta time: %s"). `create` retries the
whole exchange up to `MAX_RETRIES` times on any exception (a reconnect to a live server); replaying
the same transcript again would only repeat the refusal, so the instance's `MAX_RETRIES` is 0 and
the first refusal is the answer. The exchange runs under a CPU-time budget (`ITIMER_VIRTUAL`):
`prime.decompose` loops forever on a prime pq, reported as a hang (`internal`).
"""
import asyncio
import hashlib
import os
import signal
import struct
import time

from protocol import Hang, Rejected, Unsupported

from pyrogram.crypto import rsa as rsa_module
from pyrogram.errors import SecurityCheckMismatch
from pyrogram.session import auth as auth_module
from pyrogram.session.auth import Auth

BUDGET_S = float(os.environ.get("PYROGRAM_HANDSHAKE_BUDGET_S", "1.5"))
# And wall seconds, below the harness's usual --timeout-ms 3000: on a loaded machine the CPU
# budget can outlast the harness's wait, whose timeout restarts the adapter.
WALL_S = float(os.environ.get("PYROGRAM_HANDSHAKE_WALL_S", "2.5"))


class _Starved(Exception):
    """`create` drew randomness the transcript does not script."""


class _Script:
    def __init__(self, req):
        self.draws = [bytes.fromhex(req["nonce"]), bytes.fromhex(req["newNonce"]),
                      bytes.fromhex(req["rsaPadding"]), bytes.fromhex(req["b"]),
                      bytes.fromhex(req["dhPadding"])]
        self.stage = 0

    def __call__(self, n):
        if self.stage >= len(self.draws):
            raise _Starved(f"create drew {n} bytes after the scripted ones")
        value = self.draws[self.stage]
        self.stage += 1
        if self.stage == 3:  # the RSA padding: zero-extended to the legacy scheme's length
            return (value + bytes(n))[:n]
        if len(value) < n or (self.stage != 5 and len(value) != n):
            raise _Starved(f"create drew {n} bytes at draw {self.stage}")
        return value[:n]


class _Clock:
    def __init__(self, now):
        self.now = now

    def time(self):
        return float(self.now)

    def __getattr__(self, name):
        return getattr(time, name)


class _Log:
    """`auth`'s logger: keeps the values `create` only logs."""

    def __init__(self):
        self.salt = None
        self.delta = None

    def debug(self, msg, *args):
        if msg.startswith("Server salt"):
            self.salt = args[0]
        elif msg.startswith("Delta time"):
            self.delta = args[0]

    def __getattr__(self, name):
        return lambda *a, **k: None


class _Connection:
    def __init__(self, incoming, sent):
        self.incoming = incoming
        self.sent = sent

    async def connect(self):
        return None

    async def close(self):
        return None

    async def send(self, data):
        self.sent.append(bytes(data[20:]))

    async def recv(self):
        if not self.incoming:
            raise _Starved("the transcript has no further server message")
        body = self.incoming.pop(0)
        return bytes(8) + bytes(8) + struct.pack("<i", len(body)) + body


class _Client:
    ipv6 = False
    alt_port = False
    proxy = None
    server_time = 0.0

    def __init__(self, loop):
        self.loop = loop


def _serialize_bytes(b):
    head = bytes([len(b)]) if len(b) < 254 else b"\xfe" + len(b).to_bytes(3, "little")
    data = head + b
    return data + bytes(-len(data) % 4)


_NAMES = [
    ("dh_prime ==", "Rejected"),  # pinned to Telegram's prime: says nothing of which check
    ("1 < g <", "GOutOfRange"),
    ("1 < g_a", "ValueOutOfRange"),
    ("1 < g_b", "ValueOutOfRange"),
    ("2 ** (2048 - 64)", "ValueUnsafe"),
    ("answer_with_hash[:20]", "AnswerHashMismatch"),
    ("server_nonce ==", "ServerNonceMismatch"),
    ("nonce ==", "NonceMismatch"),
]


def handshake_client(req):
    if "expiresIn" in req:
        raise Unsupported()  # the forks make permanent keys only
    if not isinstance(req.get("now"), int) or not isinstance(req.get("dc"), int):
        raise KeyError("now/dc")
    n_bytes, e_bytes = bytes.fromhex(req["rsaN"]), bytes.fromhex(req["rsaE"])
    digest = hashlib.sha1(_serialize_bytes(n_bytes.lstrip(b"\0"))
                          + _serialize_bytes(e_bytes.lstrip(b"\0"))).digest()
    fingerprint = struct.unpack("<q", digest[-8:])[0]
    loop = asyncio.new_event_loop()
    sent = []
    incoming = [bytes.fromhex(req[k]) for k in ("resPq", "serverDhParams", "dhGen") if k in req]
    auth = object.__new__(Auth)
    client = _Client(loop)
    for name, value in {"client": client, "dc_id": req["dc"], "server_address": "",
                        "port": 0, "test_mode": False, "ipv6": False, "alt_port": False,
                        "proxy": None, "protocol_factory": None, "loop": loop,
                        "connection": None, "MAX_RETRIES": 0}.items():
        setattr(auth, name, value)
    auth.connection_factory = lambda **_kw: _Connection(incoming, sent)
    log = _Log()
    saved = (dict(rsa_module.server_public_keys), auth_module.urandom, auth_module.time,
             auth_module.log)
    rsa_module.server_public_keys[fingerprint] = rsa_module.PublicKey(
        int.from_bytes(n_bytes, "big"), int.from_bytes(e_bytes, "big"))
    auth_module.urandom = _Script(req)
    auth_module.time = _Clock(req["now"])
    auth_module.log = log

    def on_alarm(_signum, _frame):
        raise Hang(f"Auth.create did not return within {BUDGET_S} CPU-seconds or {WALL_S} s "
                   "(prime.decompose loops on this pq: README.md)")

    previous = signal.signal(signal.SIGVTALRM, on_alarm)
    previous_real = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_VIRTUAL, BUDGET_S)
    signal.setitimer(signal.ITIMER_REAL, WALL_S)
    try:
        key = loop.run_until_complete(auth.create())
    except Hang:
        raise
    except _Starved as err:
        raise Unsupported() from err
    except KeyError as err:  # TLObject.read: the constructor id is not in its table
        raise Rejected("UnexpectedConstructor", f"TLObject.read: no constructor {err}") from err
    except SecurityCheckMismatch as err:
        msg = str(err)
        raise Rejected(next((name for needle, name in _NAMES if needle in msg), "Rejected"),
                       msg) from err
    except Exception as err:  # noqa: BLE001 - named where the forks say which check
        msg = str(err)
        if msg == "Public key not found":
            raise Rejected("NoKnownFingerprint", msg) from err
        raise
    finally:
        signal.setitimer(signal.ITIMER_VIRTUAL, 0)
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGVTALRM, previous)
        signal.signal(signal.SIGALRM, previous_real)
        loop.close()
        keys, auth_module.urandom, auth_module.time, auth_module.log = saved
        rsa_module.server_public_keys.clear()
        rsa_module.server_public_keys.update(keys)
    sent += [b""] * 3
    out = {"reqPqMulti": sent[0].hex(), "reqDhParams": sent[1].hex(),
           "setClientDhParams": sent[2].hex(), "authKey": bytes(key).hex()}
    if log.salt is not None:
        out["serverSalt"] = int(log.salt).to_bytes(8, "little").hex()
    if log.delta is not None:
        out["timeOffset"] = int(log.delta)
    return out
