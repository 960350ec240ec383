#!/usr/bin/env python3
"""mtproto-harness adapter for ntgcalls (py-tgcalls' native call library; JSON lines, v1).

`call.confirm` is the callee's side of ntgcalls' P2P key exchange: `create_p2p_call`,
`init_exchange(user, DhConfig(g, p, b), g_a_hash)` (the callee's call: it keeps g_a_hash and
answers g_b), then `exchange_keys(user, g_a, key_fingerprint)`, which checks g_a_hash, makes the
key (checking g_a) and compares the fingerprint.

ntgcalls does not take b as the secret: `ModExpFirst` XORs the given bytes with OpenSSL random
bytes of its own, so g_b, the key and therefore the fingerprint comparison depend on randomness
the adapter cannot fix. The checks that run before that randomness matters (g_a_hash, the g_a
range) give verdicts; an exchange that reaches the fingerprint comparison is answered
`unsupported` (passing or failing it says nothing about the vector).

A small p makes `init_exchange` loop forever inside the library (it draws until g^b mod p is
2048-bit-safe, which never happens). The call runs on ntgcalls' own worker thread and the adapter
awaits it: the request simply gets no answer, and the harness's per-request timeout kills the
process (SIGKILL ends every thread) and restarts it. The adapter never hangs a run on its own.
"""
import asyncio
import importlib.metadata
import json
import struct
import sys
import traceback

import ntgcalls

OPS = ["call.confirm", "dh.checkValue"]

_loop = asyncio.new_event_loop()
_calls = ntgcalls.NTgCalls()
_next_user = [1]


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


def integer(req, name):
    v = req[name]
    if not isinstance(v, int) or isinstance(v, bool):
        raise KeyError(name)
    return v


def described(e):
    return f"{type(e).__name__}: {e}"


ERRORS = [("Hash mismatch", "GaHashMismatch"),
          ("Bad first prime", "ValueOutOfRange"),  # g_a out of range or within the 2^1984 margin
          ("Fingerprint not found", "KeyFingerprintMismatch"),
          ("Invalid random size", "Rejected"),
          ("Invalid modexp", "Rejected")]


async def confirm(req):
    p, g, b = h(req, "p"), integer(req, "g"), h(req, "b")
    ga_hash, ga = h(req, "gAHash"), h(req, "gA")
    fingerprint = struct.unpack("<q", h(req, "keyFingerprint"))[0]
    user = _next_user[0]
    _next_user[0] += 1
    await _calls.create_p2p_call(user)
    try:
        await _calls.init_exchange(user, ntgcalls.DhConfig(g, p, b), ga_hash)
        await _calls.exchange_keys(user, ga, fingerprint)
    except (ntgcalls.CryptoError, ntgcalls.InvalidParams) as e:
        msg = str(e)
        if "Fingerprint mismatch" in msg:
            raise Unsupported()  # compared with a key from ntgcalls' own random b
        for needle, name in ERRORS:
            if needle in msg:
                raise Rejected(name, described(e))
        raise Rejected("Rejected", described(e))
    finally:
        try:
            await _calls.stop(user)
        except Exception:  # noqa: BLE001 - a call that never connected may already be gone
            pass
    # The fingerprint matched a key made from a b the adapter does not know: by chance only.
    raise Unsupported()


async def check_value(req):
    """The caller's side: `init_exchange(user, DhConfig(g, p, zeros), None)` (no g_a_hash, so
    `exchange_keys` runs no hash or fingerprint check), then `exchange_keys(user, value, 0)`:
    making the key checks the peer's value ("Bad first prime"); nothing else is checked there."""
    p, g = h(req, "p"), integer(req, "g")
    value = h(req, "value")
    user = _next_user[0]
    _next_user[0] += 1
    await _calls.create_p2p_call(user)
    try:
        await _calls.init_exchange(user, ntgcalls.DhConfig(g, p, bytes(256)), None)
        await _calls.exchange_keys(user, value, 0)
    except (ntgcalls.CryptoError, ntgcalls.InvalidParams) as e:
        msg = str(e)
        for needle, name in ERRORS:
            if needle in msg:
                raise Rejected(name, described(e))
        raise Rejected("Rejected", described(e))
    finally:
        try:
            await _calls.stop(user)
        except Exception:  # noqa: BLE001 - a call that never connected may already be gone
            pass
    return {}


HANDLERS = {"call.confirm": confirm, "dh.checkValue": check_value}


def answer(req):
    rid = req.get("id")
    op = req.get("op")
    if op == "hello":
        if req.get("version") != 1:
            return {"id": rid, "ok": False, "error": "UnsupportedVersion"}
        return {"id": rid, "ok": True, "protocol": 1, "name": "ntgcalls",
                "version": importlib.metadata.version("ntgcalls"), "ops": OPS}
    handler = HANDLERS.get(op)
    if handler is None:
        return {"id": rid, "unsupported": True}
    try:
        out = _loop.run_until_complete(handler(req))
    except Unsupported:
        return {"id": rid, "unsupported": True}
    except Rejected as e:
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
