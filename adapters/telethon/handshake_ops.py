"""`handshake.client` through Telethon's own `network.authenticator.do_authentication(sender)`.

The sender is a stand-in for `MTProtoPlainSender`: `send(request)` records the request's TL bytes
(`bytes(request)`, what the plain sender would wrap) and answers with the transcript's next
server message, read by Telethon's `BinaryReader.tgread_object`. The vector's server key is added
to `telethon.crypto.rsa._server_keys` under the fingerprint Telethon computes for it
(`_compute_fingerprint`), as `rsa.add_key` does for a PEM.

Randomness is the vector's, through `os.urandom` in the three modules that draw it, in the order
drawn: the nonce (16 bytes, read big-endian and sent little-endian, so the vector's bytes
reversed), new_nonce (32), the legacy RSA padding (`235 - len(data)`: the vector's rsaPadding,
zero-extended, since Telethon encrypts the legacy `p_q_inner_data` without RSA_PAD), b (256) and
the client_DH_inner_data padding `AES.encrypt_ige` draws (the vector's dhPadding). The
authenticator's clock (`time.time()`) reads the vector's `now`.

Telethon reads resPQ's pq as a *signed* big-endian number and factorizes it with a loop that
does not end on a prime; the handshake runs under a budget of the process's own CPU time
(`setitimer(ITIMER_VIRTUAL)`, so a loaded machine does not shorten it), and a handshake still
running at its end is reported as a hang (`internal`, an `error` case) without waiting for the
harness's timeout and restart.
"""
import asyncio
import os
import signal
import time

from telethon.crypto import aes as aes_module
from telethon.crypto import rsa as rsa_module
from telethon.errors import SecurityError
from telethon.errors.common import TypeNotFoundError
from telethon.extensions import BinaryReader
from telethon.network import authenticator

# CPU seconds. A valid 64-bit pq takes Telethon's factorizer about 0.25 CPU-second here.
BUDGET_S = float(os.environ.get("TELETHON_HANDSHAKE_BUDGET_S", "1.5"))
# And wall seconds, below the harness's usual --timeout-ms 3000: on a loaded machine the CPU
# budget can outlast the harness's wait, whose timeout restarts the adapter.
WALL_S = float(os.environ.get("TELETHON_HANDSHAKE_WALL_S", "2.5"))


class Unsupported(Exception):
    """The library cannot be driven to this request."""


class Rejected(Exception):
    def __init__(self, error, detail=""):
        super().__init__(error)
        self.error = error
        self.detail = detail


class Hang(Exception):
    """The library did not return within the budget."""


class _Starved(Exception):
    """Telethon drew randomness the transcript does not script."""


class _Script:
    def __init__(self, req):
        self.nonce = bytes.fromhex(req["nonce"])[::-1]
        self.new_nonce = bytes.fromhex(req["newNonce"])
        self.rsa_padding = bytes.fromhex(req["rsaPadding"])
        self.b = bytes.fromhex(req["b"])
        self.dh_padding = bytes.fromhex(req["dhPadding"])
        self.stage = 0

    def authenticator(self, n):
        if self.stage == 0 and n == 16:
            self.stage = 1
            return self.nonce
        if self.stage == 1 and n == 32:
            self.stage = 2
            return self.new_nonce
        if self.stage == 3 and n == 256:
            self.stage = 4
            return self.b
        raise _Starved(f"authenticator drew {n} bytes at stage {self.stage}")

    def rsa(self, n):
        if self.stage != 2:
            raise _Starved(f"rsa.encrypt drew {n} bytes at stage {self.stage}")
        self.stage = 3
        return (self.rsa_padding + bytes(n))[:n]

    def aes(self, n):
        if self.stage != 4 or n > len(self.dh_padding):
            raise _Starved(f"encrypt_ige drew {n} bytes at stage {self.stage}")
        self.stage = 5
        return self.dh_padding[:n]


class _Os:
    def __init__(self, urandom):
        self.urandom = urandom

    def __getattr__(self, name):
        return getattr(os, name)


class _Time:
    def __init__(self, now):
        self.now = now

    def time(self):
        return float(self.now)

    def __getattr__(self, name):
        return getattr(time, name)


class _Sender:
    def __init__(self, incoming):
        self.incoming = incoming
        self.sent = []

    async def send(self, request):
        self.sent.append(bytes(request))
        if not self.incoming:
            raise Unsupported()  # the transcript ends here
        with BinaryReader(self.incoming.pop(0)) as reader:
            return reader.tgread_object()


_MESSAGES = [
    ("invalid server nonce", "ServerNonceMismatch"),
    ("Invalid server nonce", "ServerNonceMismatch"),
    ("invalid DH fail nonce", "NewNonceHashMismatch"),
    ("invalid new nonce hash", "NewNonceHashMismatch"),
    ("nonce", "NonceMismatch"),
    ("could not find a valid key", "NoKnownFingerprint"),
    ("AES block size", "NotBlockAligned"),
    ("2^{2048-64}", "ValueUnsafe"),
    ("is not within (1, dh_prime - 1)", "ValueOutOfRange"),
]


def _rejection(e):
    msg = str(e)
    if isinstance(e, TypeNotFoundError):
        return Rejected("UnexpectedConstructor", msg)
    if isinstance(e, AssertionError):
        if "answer was DhGenFail" in msg:
            return Rejected("DhGenFail", msg)
        if "answer was" in msg:
            return Rejected("UnexpectedConstructor", msg)
        return None
    if isinstance(e, SecurityError):
        for needle, name in _MESSAGES:
            if needle in msg:
                return Rejected(name, msg)
        return Rejected("Rejected", msg)
    return None


def _on_alarm(_signum, _frame):
    raise Hang(f"do_authentication did not return within {BUDGET_S} CPU-seconds or {WALL_S} s "
               "(Telethon's factorizer loops on a prime pq: README.md)")


def handshake_client(req):
    if "expiresIn" in req:
        raise Unsupported()  # Telethon makes permanent keys only
    if not isinstance(req.get("now"), int) or not isinstance(req.get("tempKeys"), list):
        raise KeyError("now/tempKeys")
    n = int.from_bytes(bytes.fromhex(req["rsaN"]), "big")
    e = int.from_bytes(bytes.fromhex(req["rsaE"]), "big")
    key = rsa_module.rsa.PublicKey(n, e)
    fingerprint = rsa_module._compute_fingerprint(key)
    script = _Script(req)
    sender = _Sender([bytes.fromhex(req[k]) for k in ("resPq", "serverDhParams", "dhGen")
                      if k in req])
    saved = (rsa_module._server_keys.copy(), authenticator.os, authenticator.time,
             rsa_module.os, aes_module.os)
    rsa_module._server_keys[fingerprint] = (key, False)
    authenticator.os = _Os(script.authenticator)
    authenticator.time = _Time(req["now"])
    rsa_module.os = _Os(script.rsa)
    aes_module.os = _Os(script.aes)
    previous = signal.signal(signal.SIGVTALRM, _on_alarm)
    previous_real = signal.signal(signal.SIGALRM, _on_alarm)
    signal.setitimer(signal.ITIMER_VIRTUAL, BUDGET_S)
    signal.setitimer(signal.ITIMER_REAL, WALL_S)
    loop = asyncio.new_event_loop()
    try:
        auth_key, time_offset = loop.run_until_complete(
            authenticator.do_authentication(sender))
    except (Unsupported, Hang):
        raise
    except _Starved as err:
        raise Unsupported() from err
    except Exception as err:  # noqa: BLE001 - a refusal is named, anything else is `internal`
        rejection = _rejection(err)
        if rejection is None:
            raise
        raise rejection from err
    finally:
        signal.setitimer(signal.ITIMER_VIRTUAL, 0)
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGVTALRM, previous)
        signal.signal(signal.SIGALRM, previous_real)
        loop.close()
        (keys, authenticator.os, authenticator.time, rsa_module.os, aes_module.os) = saved
        rsa_module._server_keys.clear()
        rsa_module._server_keys.update(keys)
    sent = sender.sent + [b""] * 3
    return {
        "reqPqMulti": sent[0].hex(),
        "reqDhParams": sent[1].hex(),
        "setClientDhParams": sent[2].hex(),
        "authKey": auth_key.key.hex(),
        # Telethon derives no server salt from the handshake: its MTProtoState starts at salt 0
        # and learns the salt from the first bad_server_salt (README.md).
        "serverSalt": "0000000000000000",
        "timeOffset": time_offset,
    }
