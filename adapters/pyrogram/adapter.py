#!/usr/bin/env python3
"""mtproto-harness adapter for the Pyrogram family: kurigram and pyrofork (JSON lines over stdio,
protocol v1; wire format in harness/iut/src/subprocess.rs).

The hello is answered from the installed distribution's metadata; the library (`ops.py`) is
imported on the first other request, because importing `pyrogram` takes longer than a loaded
machine leaves for the hello. See README.md for which op reaches which library function.
"""
import json
import sys
import traceback

from protocol import Hang, Rejected, Unsupported, distribution

OPS = ["ige.encrypt", "ige.decrypt", "kdf.msgKey", "kdf.aesKeyIv",
       "envelope.encrypt", "envelope.decrypt", "pq.factorize",
       "session.open", "session.feed", "session.close"]

_ops = []


def handlers():
    if not _ops:
        import ops
        _ops.append(ops.HANDLERS)
    return _ops[0]


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
        out = handlers()[op](req)
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
