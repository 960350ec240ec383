#!/usr/bin/env python3
"""Wire client driver for the Pyrogram forks kurigram 2.2.26 and pyrofork 2.3.69 (which one is
the package installed in the venv that runs this file; harness/wire/README.md, "The driver
contract").

The fork's own `Auth.create` makes the auth key (its transport classes, its `prime.decompose`,
its RSA and its checks), then the fork's own `Session` carries the pings: `Session.send` packs,
`recv_worker` reads frames and `handle_packet` decrypts and judges them, unchanged. Configuration
only:
- `pyrogram.crypto.rsa.server_public_keys` holds just the test key (n, e from the PEM);
- the Client's `connection_factory` hook gets the fork's `Connection` with `MTPROTO_WIRE_ADDR`
  (kurigram takes it as `server_address`/`port`; pyrofork's `Connection` reads its
  `DataCenter` table, so the subclass sets `address`), and hands the session the handshake's
  connection instead of a second one (the harness serves one connection per case);
- `Auth.MAX_RETRIES = 0` (one handshake attempt), a `Client(no_updates=True, in_memory=True)`
  that is never started (no updates, no initConnection, no keep-alive `ping_worker`), and the
  session's `restart` (its reconnect) replaced by a report: the first restart the fork asks for
  ends the driver with an `error` line, as a closed connection would.
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

from importlib.metadata import PackageNotFoundError, version  # noqa: E402


def _fork():
    for name in ("kurigram", "pyrofork"):
        try:
            return name, version(name)
        except PackageNotFoundError:
            continue
    return "pyrogram", version("pyrogram")


FORK, FORK_VERSION = _fork()
KURIGRAM = FORK == "kurigram"

# The harness starts this driver once per case: import only the parts of pyrogram a case uses,
# not the whole generated TL API (lazy_import.py says how; the modules are the fork's own).
import lazy_import  # noqa: E402

lazy_import.install()

import pyrogram  # noqa: E402
from pyrogram import raw  # noqa: E402
from pyrogram.connection import Connection  # noqa: E402
from pyrogram.connection import transport as tr  # noqa: E402
from pyrogram.crypto import rsa  # noqa: E402
from pyrogram.session import Auth, Session  # noqa: E402


def protocol_for(env):
    """The fork's transport class (and, kurigram, the MTProxy config) for the case's transport."""
    t, secret = env.transport, env.secret
    plain = {"abridged": tr.TCPAbridged, "intermediate": tr.TCPIntermediate, "full": tr.TCPFull,
             "obfuscated2-abridged": tr.TCPAbridgedO, "obfuscated2-intermediate": tr.TCPIntermediateO}
    padded = getattr(tr, "TCPIntermediatePadded", None)  # kurigram only
    if t == "padded" and padded is not None:
        return padded, None
    if secret:
        if not KURIGRAM or padded is None:
            return None, None
        from pyrogram.connection.proxy import MTProxy
        codec = {"obfuscated2-abridged": tr.TCPAbridged, "obfuscated2-intermediate": tr.TCPIntermediate,
                 "obfuscated2-padded": padded}.get(t)
        return codec, MTProxy(hostname=env.host, port=env.port, secret=secret)
    return plain.get(t), None


def set_test_key(pem):
    n, e = pywire.rsa_public_numbers(pem)
    rsa.server_public_keys.clear()
    rsa.server_public_keys[pywire.tl_fingerprint(n, e)] = rsa.PublicKey(n, e)


async def run(env):
    set_test_key(env.rsa_public)
    protocol, proxy = protocol_for(env)
    if protocol is None:
        pywire.emit(event="error", detail=f"transport {env.transport} (secret: {bool(env.secret)}) "
                                          f"is not supported by {FORK} {FORK_VERSION}")
        return 2
    Auth.MAX_RETRIES = 0
    client = pyrogram.Client("wire", in_memory=True, no_updates=True)
    client.protocol_factory = protocol
    host, port = env.host, env.port

    class WireConnection(Connection):
        """The fork's Connection, kept open after the handshake (the fork closes the auth key's
        connection and opens another for the session; the harness serves one connection)."""

        def __init__(self, *a, **kw):
            super().__init__(*a, **kw)
            if not KURIGRAM:
                self.address = (host, port)  # pyrofork reads it from its DataCenter table

        async def close(self):
            if getattr(self, "final", False):
                await super().close()

    kept = []

    def connection_factory(**kw):
        if not kept:
            kept.append(WireConnection(**kw))
        return kept[0]

    client.connection_factory = connection_factory
    if KURIGRAM:
        client.proxy = proxy
        auth = Auth(client, env.dc, env.host, env.port, False)
    else:
        auth = Auth(client, env.dc, False)
    try:
        auth_key = await auth.create()
    except BaseException as e:  # noqa: BLE001 - any refusal ends the handshake
        pywire.emit(event="handshake", ok=False, detail=f"{type(e).__name__}: {e}")
        return 1
    pywire.emit(event="handshake", ok=True)

    if KURIGRAM:
        session = Session(client, env.dc, env.host, env.port, auth_key, False)
    else:
        session = Session(client, env.dc, auth_key, False)
    restarted = asyncio.get_running_loop().create_future()

    async def restart():  # the fork's reconnect, turned into a report
        if not restarted.done():
            restarted.set_result(None)

    session.restart = restart
    # The network half of Session.start(), on the handshake's connection, without its
    # initConnection and ping_worker.
    session.connection = kept[0]
    session.recv_task = asyncio.get_running_loop().create_task(session.recv_worker())
    code = 0
    recv = session.recv_task
    for _ in range(env.pings):
        send = asyncio.ensure_future(
            session.send(raw.functions.Ping(ping_id=pywire.new_ping_id()), timeout=env.budget))
        await asyncio.wait({send, restarted, recv}, return_when=asyncio.FIRST_COMPLETED)
        if send.done():
            try:
                pong = send.result()
            except BaseException as e:  # noqa: BLE001
                pywire.emit(event="error", detail=f"{type(e).__name__}: {e}")
                code = 1
                break
            pywire.emit(event="pong", ping_id=pong.ping_id)
            continue
        send.cancel()
        if restarted.done():
            detail = f"{FORK} restarted its session (a refused packet or a transport error)"
        elif recv.exception() is not None:  # e.g. AuthKeyNotFound for -404
            detail = f"{type(recv.exception()).__name__}: {recv.exception()}"
        else:
            detail = f"{FORK}'s receive loop ended (a null packet or a closed connection)"
        pywire.emit(event="error", detail=detail)
        code = 1
        break
    try:
        kept[0].final = True
        await asyncio.wait_for(kept[0].close(), 1)
    except BaseException:  # noqa: BLE001
        pass
    return code


def main():
    logging.basicConfig(stream=sys.stderr, level=logging.INFO)
    try:
        env = pywire.WireEnv()
    except ValueError as e:
        pywire.emit(event="error", detail=str(e))
        return 2
    pywire.start_watchdog(env.budget, f"{FORK} {FORK_VERSION}")
    try:
        return asyncio.run(run(env))
    except BaseException as e:  # noqa: BLE001
        pywire.emit(event="error", detail=f"{type(e).__name__}: {e}")
        return 1


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    os._exit(code)
