"""The Pyrogram family's crypto ops behind adapter.py: IGE, kdf, envelopes, pq. They need only
`pyrogram.crypto` and `pyrogram.raw.core`, imported under the package stubs of `loader.py`
(without `pyrogram/__init__.py`, which loads the whole generated API); the session ops are in
`sessions.py`.

One adapter for the forks that ship the `pyrogram` package: kurigram and pyrofork (each in its own
venv, `setup.sh kurigram|pyrofork`); the hello answer names the installed distribution. Every op
goes through the fork's own code: `pyrogram.crypto.aes` (its pure-Python IGE over pyaes: TgCrypto
is an optional extra and is not installed, so the fork's own code is what runs), the module
functions `pyrogram.crypto.mtproto.kdf` / `pack` / `unpack`, `pyrogram.crypto.prime.decompose`
for pq, and `Session.handle_packet` for session traces. What the library does not expose is
answered `unsupported`; a library exception on the vector's input is a rejection named from its
message (the library's security checks say which rule), never a crash of the adapter.
"""
import hashlib
import json
import logging
import os
import resource
import select
import signal
import struct
import time
from io import BytesIO

from pyrogram.crypto import aes, mtproto, prime
from pyrogram.errors import SecurityError
from pyrogram.raw.core import Message
from pyrogram.raw.core.primitives import Bool
from pyrogram.raw.core import message as message_module

from protocol import Hang, Rejected, Unsupported
import rsa_ops

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
PQ_WALL_SECONDS = 2


def pq_factorize(req):
    """`decompose(pq)`; auth.py then takes `sorted((g, pq // g))` and sends each as
    `to_bytes(4, "big")` (OverflowError for a factor >= 2^32). Answered big-endian without the
    leading zeros of that 4-byte form.

    `decompose` loops forever on some inputs (a prime pq of 63 bits, for one). It runs in a forked
    child stopped after PQ_CPU_SECONDS of CPU time (RLIMIT_CPU) or PQ_WALL_SECONDS of wall time
    (below the harness's per-request timeout, whichever comes first), so such a pq is reported as
    an `internal` answer (the harness records an `error`, as for a hang) and the adapter is not
    restarted (a restart would pay for the pyrogram import again)."""
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
    deadline = time.monotonic() + PQ_WALL_SECONDS
    while True:
        left = deadline - time.monotonic()
        ready = select.select([r], [], [], max(left, 0))[0] if left > 0 else []
        if not ready:
            os.kill(pid, signal.SIGKILL)
            break
        chunk = os.read(r, 4096)
        if not chunk:
            break
        chunks.append(chunk)
    os.close(r)
    _, status = os.waitpid(pid, 0)
    if not chunks:
        if os.WIFSIGNALED(status) and os.WTERMSIG(status) in (signal.SIGXCPU, signal.SIGKILL):
            raise Hang(f"prime.decompose did not return within {PQ_CPU_SECONDS} CPU-second or "
                       f"{PQ_WALL_SECONDS} s (it loops on this pq)")
        raise RuntimeError(f"the decompose child ended with status {status} and no answer")
    out = json.loads(b"".join(chunks))
    if "error" in out:
        raise Rejected("PqNotFactorable", out["error"])
    p, q = bytes.fromhex(out["p"]), bytes.fromhex(out["q"])
    return {"p": p.lstrip(b"\0").hex() or "00", "q": q.lstrip(b"\0").hex() or "00"}



# --- TL: the Bool primitive only ------------------------------------------------------------------
#
# `pyrogram.raw.core.primitives.Bool`: `Bool.read(stream)` (what generated code calls for a Bool
# field) and `Bool(value)` (its bytes). Only the `as: Bool` cases: the generated classes carry
# Python class names (`ResPQ`, `RpcError`), not the schema's names, so no other decoded object can
# be written in the vectors' JSON form without inventing names, and no JSON value can pick a class.

def _bool_only(req):
    if req["schema"] != "mtproto" or req.get("as") != "Bool":
        raise Unsupported()


def tl_decode(req):
    _bool_only(req)
    return {"value": Bool.read(BytesIO(h(req, "bytes")))}


def tl_encode(req):
    _bool_only(req)
    if not isinstance(req["value"], bool):
        raise KeyError("value")
    return {"bytes": bytes(Bool(req["value"])).hex()}


HANDLERS = {
    "ige.encrypt": lambda r: ige(r, True),
    "ige.decrypt": lambda r: ige(r, False),
    "kdf.msgKey": kdf_msg_key,
    "kdf.aesKeyIv": kdf_aes_key_iv,
    "envelope.encrypt": envelope_encrypt,
    "envelope.decrypt": envelope_decrypt,
    "pq.factorize": pq_factorize,
    "tl.decode": tl_decode,
    "tl.encode": tl_encode,
    "rsa.fingerprint": rsa_ops.fingerprint,
}
