#!/usr/bin/env python3
"""mtproto-harness adapter for TgCrypto (JSON lines over stdio, protocol v1;
docs/adapter-protocol.md).

TgCrypto is Pyrogram's C extension with AES-256-IGE, -CTR and -CBC only: `ige.encrypt` and
`ige.decrypt` map to `tgcrypto.ige256_encrypt` / `ige256_decrypt`. Its ValueErrors are its way of
refusing an input and are rejections (named when the message says which rule); AES-128 keys are
`unsupported` (it has AES-256 only). Everything else of the catalogue (KDF, envelope, sessions,
DH) is not in the library and is not listed in `hello`.
"""
import json
import sys
from importlib.metadata import version

import tgcrypto

OPS = ["ige.encrypt", "ige.decrypt"]


def ige(req, encrypt):
    try:
        key = bytes.fromhex(req["key"])
        iv = bytes.fromhex(req["iv"])
        data = bytes.fromhex(req["msg" if encrypt else "ct"])
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        return {"ok": False, "internal": f"bad request: {type(e).__name__}: {e}"}
    if len(key) != 32:
        return {"unsupported": True}
    try:
        f = tgcrypto.ige256_encrypt if encrypt else tgcrypto.ige256_decrypt
        out = f(data, key, iv)
    except ValueError as e:
        name = "NotBlockAligned" if "multiple of 16" in str(e) else "Rejected"
        return {"ok": False, "error": name, "detail": str(e)}
    except Exception as e:  # noqa: BLE001 - reported as an `error` case, never a crash
        return {"ok": False, "internal": f"library raised {type(e).__name__}: {e}"}
    return {"ok": True, ("ct" if encrypt else "msg"): out.hex()}


def answer(req):
    op = req.get("op")
    if op == "hello":
        if req.get("version") != 1:
            return {"ok": False, "error": "UnsupportedVersion"}
        return {"ok": True, "protocol": 1, "name": "tgcrypto", "version": version("TgCrypto"),
                "ops": OPS}
    if op == "ige.encrypt":
        return ige(req, True)
    if op == "ige.decrypt":
        return ige(req, False)
    return {"unsupported": True}


def main():
    for line in sys.stdin:
        try:
            req = json.loads(line)
            if not isinstance(req, dict):
                raise ValueError("not an object")
        except ValueError as e:
            resp = {"id": None, "ok": False, "internal": f"malformed request: {e}"}
        else:
            resp = answer(req)
            resp["id"] = req.get("id")
        sys.stdout.write(json.dumps(resp, separators=(",", ":")) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
