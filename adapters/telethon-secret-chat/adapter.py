#!/usr/bin/env python3
"""mtproto-harness adapter for telethon-secret-chat (JSON lines over stdio, protocol v1; wire
format in harness/iut/src/subprocess.rs).

The hello is answered from package metadata at once; the library and the ops (`secret_ops.py`)
are imported on a background thread started with the process, and a request waits for that at
most WAIT_SECONDS (below the harness's per-request timeout: on a loaded machine a slow import
costs one `internal` answer, not a restart that would start it all over). See README.md.
"""
import importlib.metadata
import json
import sys
import threading
import traceback

from protocol import Rejected, Unsupported

OPS = ["secret.acceptKey", "secret.completeKey", "secret.decrypt", "secret.fileDecrypt",
       "secret.seqTrace", "dh.checkValue"]

WAIT_SECONDS = 2.5
_loaded = {}
_done = threading.Event()


def _load():
    try:
        import secret_ops
        _loaded["handlers"] = secret_ops.HANDLERS
    except BaseException as e:  # noqa: BLE001 - reported to every request
        _loaded["error"] = e
    finally:
        _done.set()


threading.Thread(target=_load, name="import", daemon=True).start()


class Loading(Exception):
    """The library is still being imported."""


def handlers():
    if not _done.wait(WAIT_SECONDS):
        raise Loading(f"telethon-secret-chat is still being imported after waiting {WAIT_SECONDS} "
                      "s for it (the machine is loaded); the next requests will find it")
    if "error" in _loaded:
        e = _loaded["error"]
        raise RuntimeError(f"importing the library failed: {type(e).__name__}: {e}")
    return _loaded["handlers"]


def answer(req):
    rid = req.get("id")
    op = req.get("op")
    if op == "hello":
        if req.get("version") != 1:
            return {"id": rid, "ok": False, "error": "UnsupportedVersion"}
        version = (f"{importlib.metadata.version('telethon-secret-chat')} "
                   f"(Telethon {importlib.metadata.version('Telethon')})")
        return {"id": rid, "ok": True, "protocol": 1, "name": "telethon-secret-chat",
                "version": version, "ops": OPS}
    if op not in OPS:
        return {"id": rid, "unsupported": True}
    try:
        out = handlers()[op](req)
    except Unsupported:
        return {"id": rid, "unsupported": True}
    except Rejected as e:
        return {"id": rid, "ok": False, "error": e.error, "detail": e.detail}
    except Loading as e:
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
