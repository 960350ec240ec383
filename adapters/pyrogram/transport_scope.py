"""Which transport requests the Pyrogram forks can be driven to (transports.py says why), decided
without importing `pyrogram`, so the unsupported ones do not wait for the package's import."""
from protocol import Unsupported, distribution

TRANSPORTS = ("full", "abridged", "intermediate", "padded")


def check(req):
    """Raise `Unsupported` for a request no fork's TCP class reaches; `KeyError` for a malformed
    one. Padded exists in kurigram only (`TCPIntermediatePadded`)."""
    name = req["transport"]
    if name not in TRANSPORTS:
        raise KeyError("transport")
    if req["direction"] not in ("clientToServer", "serverToClient"):
        raise KeyError("direction")
    if req["direction"] != "serverToClient":
        raise Unsupported()  # no server side: nothing in the forks reads a client's stream
    if req["obfuscated"] or "secret" in req:
        raise Unsupported()  # the obfuscated classes get their keys from `connect` (a socket)
    if name == "padded" and distribution()[0] != "kurigram":
        raise Unsupported()
