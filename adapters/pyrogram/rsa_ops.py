"""`rsa.fingerprint` for Pyrogram forks (docs/adapter-protocol.md, `rsa.*`).

Pyrogram computes no fingerprint: `pyrogram.crypto.rsa.server_public_keys` is a table of its
built-in keys under hand-written fingerprints (signed 64-bit). The op looks the request's (n, e)
up in that table, as the authenticator looks up resPQ's list, and answers the fingerprint's 8
little-endian wire bytes; a key Pyrogram does not carry is unsupported. `rsa.padEncrypt` is
unsupported: `pyrogram.crypto.rsa.encrypt` is the pre-2.0 scheme (the authenticator builds
`SHA1(data) + data + padding` itself); `rsa.padDecrypt`: no server side.
"""
import struct

from pyrogram.crypto import rsa as prsa

from protocol import Unsupported


def fingerprint(req):
    n = int.from_bytes(bytes.fromhex(req["n"]), "big")
    e = int.from_bytes(bytes.fromhex(req["e"]), "big")
    for fp, key in prsa.server_public_keys.items():
        if key.m == n and key.e == e:
            return {"fingerprint": struct.pack("<q", fp).hex()}
    raise Unsupported()
