#!/usr/bin/env python3
"""A client driver skeleton: the driver contract of harness/wire/README.md, no protocol.

It speaks no MTProto: it connects, says which transport it lacks, and exits non-zero; the
harness reports the case as an `error` with this detail. A real driver replaces the marked part
with the library's own connect / handshake / ping calls and prints one event per outcome.
"""
import json, os, socket, sys

def emit(**event):  # one JSON object per line, flushed at once
    print(json.dumps(event), flush=True)

env = os.environ
host, port = env["MTPROTO_WIRE_ADDR"].rsplit(":", 1)
transport = env["MTPROTO_WIRE_TRANSPORT"]          # abridged, intermediate, ..., obfuscated2-*
pings = int(env.get("MTPROTO_WIRE_PINGS", "1"))    # pings to send after the handshake
rsa_pem = env["MTPROTO_WIRE_RSA_PUBLIC"]           # the only server key to trust
timeout = int(env.get("MTPROTO_WIRE_TIMEOUT_MS", "10000")) / 1000

try:
    sock = socket.create_connection((host, int(port)), timeout=timeout)
except OSError as e:
    emit(event="error", detail=f"connect {host}:{port}: {e}")
    sys.exit(1)
# --- the library's part: handshake with rsa_pem, then `pings` pings. A real driver prints
# emit(event="handshake", ok=True) or emit(event="handshake", ok=False, detail=...), then
# emit(event="pong", ping_id=<the ping_id the received pong carries>) per pong, and exits 0.
emit(event="error", detail=f"transport {transport} is not supported by this driver")
sock.close()
sys.exit(2)
