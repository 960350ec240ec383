"""The wire driver contract (harness/wire/README.md) for the Python drivers, in one place.

Reads the `MTPROTO_WIRE_*` environment, prints one JSON object per line on stdout, bounds the
driver's life by `MTPROTO_WIRE_TIMEOUT_MS` with a watchdog thread (a library stuck in a CPU
loop, e.g. factorising a prime pq, cannot be interrupted by asyncio), and reads the test RSA key
from its PEM text without any library (a minimal DER walk). No protocol logic lives here: each
driver reaches its library's own transport, handshake and sender.
"""
import base64
import json
import os
import secrets
import sys
import threading
import time

_T0 = time.monotonic()  # this module is imported before the library: close to process start
_lock = threading.Lock()
_handshake_reported = False


def emit(**event):
    """Print one event line and flush it at once."""
    global _handshake_reported
    with _lock:
        if event.get("event") == "handshake":
            _handshake_reported = True
        sys.stdout.write(json.dumps(event) + "\n")
        sys.stdout.flush()


def handshake_reported():
    """Whether a handshake line was printed already."""
    return _handshake_reported


class WireEnv:
    """The driver's configuration, from the environment (names as in the driver contract)."""

    def __init__(self, env=None):
        env = os.environ if env is None else env
        addr = env.get("MTPROTO_WIRE_ADDR", "")
        host, _, port = addr.rpartition(":")
        if not host or not port.isdigit():
            raise ValueError(f"MTPROTO_WIRE_ADDR must be HOST:PORT, got {addr!r}")
        self.host, self.port = host, int(port)
        self.transport = env.get("MTPROTO_WIRE_TRANSPORT", "intermediate")
        self.secret = bytes.fromhex(env.get("MTPROTO_WIRE_SECRET", "") or "")
        self.dc = int(env.get("MTPROTO_WIRE_DC", "2") or "2")
        self.rsa_public = env.get("MTPROTO_WIRE_RSA_PUBLIC", "")
        self.rsa_private = env.get("MTPROTO_WIRE_RSA_PRIVATE", "")
        self.pings = int(env.get("MTPROTO_WIRE_PINGS", "1") or "1")
        self.timeout = int(env.get("MTPROTO_WIRE_TIMEOUT_MS", "10000") or "10000") / 1000

    @property
    def budget(self):
        """Seconds the driver may spend before it must have exited: the case's bound less a
        margin for the interpreter's exit and the harness's own bookkeeping."""
        return max(0.5, self.timeout * 0.85 - 0.3)


def start_watchdog(seconds, what="the driver"):
    """Exit the process (status 3) `seconds` after it started, whatever the library is doing,
    with an `error` line (and a failed `handshake` line if none was printed yet)."""

    def fire():
        if not handshake_reported():
            emit(event="handshake", ok=False, detail=f"no handshake outcome within {seconds:.1f} s")
        emit(event="error", detail=f"{what} gave up after {seconds:.1f} s (MTPROTO_WIRE_TIMEOUT_MS)")
        os._exit(3)

    t = threading.Timer(max(0.0, seconds - (time.monotonic() - _T0)), fire)
    t.daemon = True
    t.start()
    return t


def new_ping_id():
    """A random signed 64-bit ping_id."""
    return int.from_bytes(secrets.token_bytes(8), "little", signed=True)


def _pem_der(pem):
    lines = [l.strip() for l in pem.strip().splitlines()]
    body = [l for l in lines if l and not l.startswith("-----")]
    if not body:
        raise ValueError("empty PEM")
    return base64.b64decode("".join(body))


def _der_ints(der):
    """The INTEGERs of a DER SEQUENCE of INTEGERs (PKCS#1 keys), in order."""

    def read_len(b, i):
        n = b[i]
        i += 1
        if n < 0x80:
            return n, i
        k = n & 0x7F
        if k == 0 or k > 4 or i + k > len(b):
            raise ValueError("bad DER length")
        return int.from_bytes(b[i:i + k], "big"), i + k

    if not der or der[0] != 0x30:
        raise ValueError("PKCS#1 key must be a DER SEQUENCE")
    length, i = read_len(der, 1)
    end = i + length
    if end > len(der):
        raise ValueError("DER SEQUENCE runs past the end")
    out = []
    while i < end:
        if der[i] != 0x02:
            raise ValueError(f"expected INTEGER at DER offset {i}")
        n, i = read_len(der, i + 1)
        if i + n > end:
            raise ValueError("DER INTEGER runs past the end")
        out.append(int.from_bytes(der[i:i + n], "big", signed=True))
        i += n
    return out


def rsa_public_numbers(pem):
    """(n, e) of a PKCS#1 `RSA PUBLIC KEY` PEM."""
    ints = _der_ints(_pem_der(pem))
    if len(ints) != 2:
        raise ValueError("PKCS#1 public key must hold n and e")
    return ints[0], ints[1]


def rsa_private_numbers(pem):
    """(n, e, d, p, q) of a PKCS#1 `RSA PRIVATE KEY` PEM."""
    ints = _der_ints(_pem_der(pem))
    if len(ints) < 6 or ints[0] != 0:
        raise ValueError("PKCS#1 private key must be version 0 with n, e, d, p, q")
    return tuple(ints[1:6])


def tl_fingerprint(n, e):
    """The key's TL fingerprint: the low 64 bits of SHA1(TL bytes n ‖ TL bytes e), as a signed
    little-endian long (auth_key page)."""
    import hashlib

    def tl_bytes(b):
        if len(b) < 254:
            out = bytes([len(b)]) + b
        else:
            out = b"\xfe" + len(b).to_bytes(3, "little") + b
        return out + b"\x00" * (-len(out) % 4)

    def be(x):
        return x.to_bytes((x.bit_length() + 7) // 8, "big")

    digest = hashlib.sha1(tl_bytes(be(n)) + tl_bytes(be(e))).digest()
    return int.from_bytes(digest[-8:], "little", signed=True)
