#!/usr/bin/env python3
"""mtproto-harness adapter for the Pyrogram family: kurigram and pyrofork (JSON lines over stdio,
protocol v1; wire format in harness/iut/src/subprocess.rs).

The hello is answered from the installed distribution's metadata at once: the crypto ops
(`ops.py`) need only `pyrogram.crypto` and `pyrogram.raw.core`, imported without the package's
`__init__` (`loader.py`), and the rest of the package is imported on a background thread for the
session ops (`sessions.py`). See README.md for which op reaches which library function.
"""
import json
import sys
import traceback

import loader
from protocol import Hang, Rejected, Unsupported, distribution
import transport_scope

loader.light()
try:
    import ops  # noqa: E402 - after the package stubs
except (AttributeError, ImportError):
    # pyrofork's errors/rpc_error.py evaluates `raw.types.RpcError` at import time: its crypto
    # modules cannot load without the whole package, so every op waits for the full import.
    ops = None
loader.start_full()

OPS = ["ige.encrypt", "ige.decrypt", "kdf.msgKey", "kdf.aesKeyIv",
       "envelope.encrypt", "envelope.decrypt", "pq.factorize",
       "session.open", "session.feed", "session.close", "transport.decode", "transport.encode",
       "tl.decode", "tl.encode", "handshake.client", "rsa.fingerprint"]

SESSION_OPS = ("session.open", "session.feed", "session.close")
TRANSPORT_OPS = ("transport.decode", "transport.encode")


def handler(op, req):
    global ops
    if op in TRANSPORT_OPS:
        transport_scope.check(req)  # an unsupported request need not wait for the import
    if op in SESSION_OPS or op in TRANSPORT_OPS or op == "handshake.client" or ops is None:
        loader.wait_full()
    if op == "handshake.client":
        import handshake
        return handshake.handshake_client
    if op in SESSION_OPS:
        import sessions
        return sessions.HANDLERS[op]
    if op in TRANSPORT_OPS:
        import transports
        return transports.HANDLERS[op]
    if ops is None:
        import ops as loaded
        ops = loaded
    return ops.HANDLERS[op]


def answer(req):
    rid = req.get("id")
    op = req.get("op")
    if op == "hello":
        if req.get("version") != 1:
            return {"id": rid, "ok": False, "error": "UnsupportedVersion"}
        name, version = distribution()
        return {"id": rid, "ok": True, "protocol": 1, "name": name, "version": version,
                "ops": OPS}
    if op not in OPS:
        return {"id": rid, "unsupported": True}
    try:
        out = handler(op, req)(req)
    except Unsupported:
        return {"id": rid, "unsupported": True}
    except Rejected as e:
        return {"id": rid, "ok": False, "error": e.error, "detail": e.detail}
    except Hang as e:
        return {"id": rid, "ok": False, "internal": str(e)}
    except KeyError as e:
        return {"id": rid, "ok": False, "internal": f"bad request: field {e}"}
    except Exception as e:  # noqa: BLE001 - any other exception is an `error` case, not a crash
        tb = traceback.format_exc(limit=-2).replace("\n", " | ")
        return {"id": rid, "ok": False, "internal": f"{type(e).__name__}: {e} [{tb}]"}
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
