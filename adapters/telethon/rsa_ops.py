"""The RSA ops for Telethon (docs/adapter-protocol.md, `rsa.*`).

- `rsa.fingerprint`: `telethon.crypto.rsa._compute_fingerprint`, the function Telethon runs over
  every built-in key, on an `rsa.PublicKey(n, e)` built from the request's numbers. It answers a
  signed `long`; the op's answer is its 8 little-endian wire bytes.
- `rsa.padEncrypt`: unsupported. Telethon 1.45 `telethon.crypto.rsa.encrypt` is the pre-2.0 scheme
  (`SHA1(data) + data + random padding` to 255 bytes, raised to e), not RSA_PAD: there is no
  RSA_PAD in the library to drive.
- `rsa.padDecrypt`: unsupported (a client library has no server side).
"""
import struct

import rsa as pyrsa
from telethon.crypto import rsa as trsa


def fingerprint(req):
    n = int.from_bytes(bytes.fromhex(req["n"]), "big")
    e = int.from_bytes(bytes.fromhex(req["e"]), "big")
    fp = trsa._compute_fingerprint(pyrsa.PublicKey(n, e))
    return {"fingerprint": struct.pack("<q", fp).hex()}
