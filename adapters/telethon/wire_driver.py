#!/usr/bin/env python3
"""Wire client driver for Telethon 1.45.0 (harness/wire/README.md, "The driver contract").

Telethon's own `MTProtoSender` over its own `Connection*` class, so its transport codecs,
`authenticator.do_authentication`, `MTProtoState` decryption/checks and the sender's receive loop
run unchanged. Configuration only:
- `telethon.crypto.rsa._server_keys` holds just the test key (`rsa.add_key`), so the test key is
  the only one the client trusts;
- the Connection gets `MTPROTO_WIRE_ADDR` as its DC address;
- `retries=0`, `auto_reconnect=False`: one connection, one handshake attempt;
- an `updates_queue` that nobody reads (updates are not dispatched).
Transports: abridged, intermediate, full and obfuscated2-abridged are Telethon's own classes;
padded, obfuscated2-intermediate and obfuscated2-* with an MTProxy secret are Telethon's own
`Connection`/`ObfuscatedConnection` bases with its own codecs and obfuscation IO
(`RandomizedIntermediatePacketCodec`, `ObfuscatedIO`, `MTProxyIO`), composed as its
`ConnectionTcpMTProxy*` classes do minus their 2-second wait for a proxy's EOF.
"""
import asyncio
import logging
import os
import sys

import importlib.util  # noqa: E402

# adapters/pywire.py by its path: adapters/ itself must not go on sys.path, where its
# directories (e.g. adapters/tgcrypto) would shadow packages of the same name.
_spec = importlib.util.spec_from_file_location(
    "pywire", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pywire.py"))
pywire = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(pywire)

from telethon.crypto import rsa  # noqa: E402
from telethon.network import MTProtoSender  # noqa: E402
from telethon.network.connection import (  # noqa: E402
    ConnectionTcpAbridged, ConnectionTcpFull, ConnectionTcpIntermediate, ConnectionTcpObfuscated,
)
from telethon.network.connection.connection import Connection, ObfuscatedConnection  # noqa: E402
from telethon.network.connection.tcpabridged import AbridgedPacketCodec  # noqa: E402
from telethon.network.connection.tcpintermediate import (  # noqa: E402
    IntermediatePacketCodec, RandomizedIntermediatePacketCodec,
)
from telethon.network.connection.tcpmtproxy import MTProxyIO  # noqa: E402
from telethon.network.connection.tcpobfuscated import ObfuscatedIO  # noqa: E402
from telethon.tl.functions import PingRequest  # noqa: E402

VERSION = "Telethon 1.45.0"


class _Loggers(dict):
    """Telethon's `loggers` mapping: a logger per module name, on stderr."""

    def __missing__(self, key):
        self[key] = logging.getLogger(key)
        return self[key]


class ConnectionTcpPadded(Connection):
    """Padded intermediate (`dd` tag): Telethon's `RandomizedIntermediatePacketCodec`, which
    Telethon otherwise uses only behind MTProxy."""
    packet_codec = type("PaddedCodec", (RandomizedIntermediatePacketCodec,), {"tag": b"\xdd" * 4})


def _obfuscated(codec, secret):
    """An obfuscated2 connection over `codec`: Telethon's `ObfuscatedIO` without a secret,
    its `MTProxyIO` with one."""
    if not secret:
        return type("Obf", (ObfuscatedConnection,), {"obfuscated_io": ObfuscatedIO,
                                                      "packet_codec": codec})

    class Proxied(ObfuscatedConnection):
        obfuscated_io = MTProxyIO
        packet_codec = codec

        def __init__(self, *a, **kw):
            super().__init__(*a, **kw)
            self._secret = secret  # MTProxyIO reads it; a dd-secret needs the padded codec

    return Proxied


def connection_class(env):
    t, secret = env.transport, env.secret
    plain = {"abridged": ConnectionTcpAbridged, "intermediate": ConnectionTcpIntermediate,
             "padded": ConnectionTcpPadded, "full": ConnectionTcpFull}
    if t in plain:
        return plain[t]
    codecs = {"obfuscated2-abridged": AbridgedPacketCodec,
              "obfuscated2-intermediate": IntermediatePacketCodec,
              "obfuscated2-padded": RandomizedIntermediatePacketCodec}
    if t not in codecs:
        return None
    if t == "obfuscated2-abridged" and not secret:
        return ConnectionTcpObfuscated
    return _obfuscated(codecs[t], secret)


async def run(env):
    rsa._server_keys.clear()
    rsa.add_key(env.rsa_public, old=False)
    cls = connection_class(env)
    if cls is None:
        pywire.emit(event="error", detail=f"transport {env.transport} is not supported by this driver")
        return 2
    loggers = _Loggers()
    conn = cls(env.host, env.port, env.dc, loggers=loggers)
    sender = MTProtoSender(None, loggers=loggers, retries=0, delay=0, auto_reconnect=False,
                           connect_timeout=env.budget, updates_queue=asyncio.Queue())
    try:
        await sender.connect(conn)
    except Exception as e:  # Telethon: ConnectionError after a refused handshake message
        pywire.emit(event="handshake", ok=False, detail=f"{type(e).__name__}: {e}")
        return 1
    pywire.emit(event="handshake", ok=True)
    code = 0
    try:
        for _ in range(env.pings):
            pong = await sender.send(PingRequest(ping_id=pywire.new_ping_id()))
            pywire.emit(event="pong", ping_id=pong.ping_id)
    except Exception as e:  # e.g. InvalidBufferError for a -404 transport error packet
        pywire.emit(event="error", detail=f"{type(e).__name__}: {e}")
        code = 1
    try:
        await asyncio.wait_for(sender.disconnect(), 1)
    except Exception:
        pass
    return code


def main():
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING)
    try:
        env = pywire.WireEnv()
    except ValueError as e:
        pywire.emit(event="error", detail=str(e))
        return 2
    pywire.start_watchdog(env.budget, VERSION)
    try:
        return asyncio.run(run(env))
    except Exception as e:
        pywire.emit(event="error", detail=f"{type(e).__name__}: {e}")
        return 1


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    os._exit(code)
