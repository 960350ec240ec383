#!/usr/bin/env python3
"""Wire drivers for PyPI `mtproto` 0.3.1 (harness/wire/README.md, "The driver contract"):
a client (default) and a server (`--server`).

The package is sans-I/O: this file owns the socket and feeds it. Everything after the socket is
the package's: its `Session` (client or server role) with its `Connection`, transports,
obfuscation, envelope decryption and session checks, through `data_received`, `next_event`,
`send`, `send_plain`. The package has no handshake, so `wire_handshake.py` creates the auth key
as an application would (handshake verdicts judge that file, not the package). The application
part also answers what the package hands up and leaves to its user: `pong` for a `ping`,
`rpc_error` 400 for any other query, `new_session_created` for a `NewSession`, and the transport
error -404 for a `NeedAuthkey` (an auth key this server does not have).
"""
import importlib.util
import json  # noqa: F401 - pywire prints with it
import os
import socket
import struct
import sys
import threading
import time

_here = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("pywire", os.path.join(_here, "..", "pywire.py"))
pywire = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(pywire)

from mtproto import ConnectionRole  # noqa: E402
from mtproto.session.messages import (  # noqa: E402
    Data, MessagesAck, NeedAuthkey, NewSession, TransportError, UnencryptedData,
)
from mtproto.session.session import Session  # noqa: E402
from mtproto.transport import transports as tp  # noqa: E402
from mtproto.transport.packets import ErrorPacket  # noqa: E402

import wire_handshake as hs  # noqa: E402

VERSION = "mtproto 0.3.1"
PING, PING_DELAY_DISCONNECT, PONG = 0x7ABE77EC, 0xF3427B8C, 0x347773C5
RPC_RESULT, RPC_ERROR = 0xF35C6D01, 0x2144CA19


def log(msg):
    sys.stderr.write(f"[{VERSION} driver] {msg}\n")
    sys.stderr.flush()


def transport_for(env):
    kinds = {"abridged": tp.AbridgedTransport, "intermediate": tp.IntermediateTransport,
             "padded": tp.PaddedIntermediateTransport, "full": tp.FullTransport}
    name = env.transport
    obfuscated = name.startswith("obfuscated2-")
    if obfuscated:
        name = name[len("obfuscated2-"):]
    return kinds.get(name), obfuscated


def drain(session):
    """Every event the package has for the bytes fed so far. `next_event` returns None both for
    "nothing buffered" and for a message it dropped (with more frames still buffered), so None
    is taken as the end only after DRAIN_NONES of them in a row."""
    nones = 0
    while nones < DRAIN_NONES:
        ev = session.next_event()
        if ev is None:
            nones += 1
            continue
        nones = 0
        yield ev


DRAIN_NONES = 64


# --- server ----------------------------------------------------------------------------------

def serve_connection(conn, key):
    n, e, d = key
    session = Session(ConnectionRole.SERVER)
    handshake = hs.ServerHandshake(n, e, d)
    conn.settimeout(60)
    try:
        while True:
            data = conn.recv(65536)
            if not data:
                return
            session.data_received(data)
            out = b""
            for ev in drain(session):
                if isinstance(ev, UnencryptedData):
                    if handshake.state == "done":
                        log("plain message after the handshake: ignored")
                        continue
                    try:
                        out += session.send_plain(handshake.on_message(ev.data))
                    except hs.HandshakeError as err:
                        log(f"handshake refused: {err}")
                        continue
                    if handshake.state == "done":
                        session.set_auth_key(handshake.auth_key)
                        session.set_salts([(handshake.salt, int(time.time()) - 60)])
                elif isinstance(ev, NeedAuthkey):
                    log(f"unknown auth_key_id {ev.auth_key_id}: -404")
                    conn.sendall(out + session._conn.send(ErrorPacket(404)))
                    return
                elif isinstance(ev, NewSession):
                    if ev.first_message_id is not None:
                        session.send_session_created(ev.first_message_id)
                elif isinstance(ev, Data):
                    out += answer(session, ev)
                elif isinstance(ev, (MessagesAck, TransportError)):
                    continue
            if handshake.state == "done":
                out += session.send(None)
            if out:
                conn.sendall(out)
    except Exception as err:  # noqa: BLE001 - the package raised: this connection ends
        log(f"connection ends: {type(err).__name__}: {err}")
    finally:
        conn.close()


def answer(session, ev):
    ctor = struct.unpack("<I", ev.data[:4])[0] if len(ev.data) >= 4 else None
    if ctor in (PING, PING_DELAY_DISCONNECT) and len(ev.data) >= 12:
        ping_id = struct.unpack("<q", ev.data[4:12])[0]
        return session.send(struct.pack("<Iqq", PONG, ev.message_id, ping_id), True, True)
    err = struct.pack("<Ii", RPC_ERROR, 400) + hs.tl_bytes(b"INPUT_METHOD_INVALID")
    return session.send(struct.pack("<Iq", RPC_RESULT, ev.message_id) + err, True, True)


def run_server(env):
    try:
        n, e, d, _, _ = pywire.rsa_private_numbers(env.rsa_private)
    except ValueError as err:
        pywire.emit(event="error", detail=f"MTPROTO_WIRE_RSA_PRIVATE: {err}")
        return 2
    if env.secret:
        log("an MTProxy secret is not supported by the package's server transports; serving without")
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((env.host, env.port))
    srv.listen(8)
    pywire.emit(event="listening", addr=f"{env.host}:{env.port}")
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=serve_connection, args=(conn, (n, e, d)), daemon=True).start()


# --- client ----------------------------------------------------------------------------------

class Closed(Exception):
    pass


def run_client(env):
    kind, obfuscated = transport_for(env)
    if kind is None or env.secret:
        pywire.emit(event="error", detail=f"transport {env.transport} (secret: {bool(env.secret)}) "
                                          f"is not supported by {VERSION}")
        return 2
    n, e = pywire.rsa_public_numbers(env.rsa_public)
    sock = socket.create_connection((env.host, env.port), timeout=env.budget)
    session = Session(ConnectionRole.CLIENT, kind, obfuscated)
    handshake = hs.ClientHandshake(n, e, env.dc)

    def events():
        data = sock.recv(65536)
        if not data:
            raise Closed("the server closed the connection")
        session.data_received(data)
        for ev in drain(session):
            if isinstance(ev, NeedAuthkey):
                # The package keeps the packet pending and returns NeedAuthkey for it on every
                # later call: a client with one key cannot go past it.
                raise Closed(f"NeedAuthkey for auth_key_id {ev.auth_key_id}: the session is stuck on it")
            yield ev

    try:
        sock.sendall(session.send_protocol_id() + session.send_plain(handshake.start()))
        while handshake.state != "done":
            for ev in list(events()):
                if isinstance(ev, TransportError):
                    raise hs.HandshakeError(f"transport error {ev.code}")
                if isinstance(ev, UnencryptedData) and handshake.state != "done":
                    nxt = handshake.on_message(ev.data)
                    if nxt is not None:
                        sock.sendall(session.send_plain(nxt))
    except (hs.HandshakeError, Closed, OSError) as err:
        pywire.emit(event="handshake", ok=False, detail=f"{type(err).__name__}: {err}")
        return 1
    session.set_auth_key(handshake.auth_key)
    session.set_salts([(handshake.salt, int(time.time()))])
    pywire.emit(event="handshake", ok=True)
    try:
        for _ in range(env.pings):
            sock.sendall(session.send(struct.pack("<Iq", PING, pywire.new_ping_id()), True))
            got = None
            while got is None:
                for ev in list(events()):
                    if isinstance(ev, TransportError):
                        pywire.emit(event="error", detail=f"transport error {ev.code}")
                        return 1
                    if (isinstance(ev, Data) and len(ev.data) >= 20
                            and struct.unpack("<I", ev.data[:4])[0] == PONG and got is None):
                        got = struct.unpack("<q", ev.data[12:20])[0]
                out = session.send(None)
                if out:
                    sock.sendall(out)
            pywire.emit(event="pong", ping_id=got)
    except (Closed, OSError) as err:
        pywire.emit(event="error", detail=f"{type(err).__name__}: {err}")
        return 1
    finally:
        sock.close()
    return 0


def main():
    try:
        env = pywire.WireEnv()
    except ValueError as err:
        pywire.emit(event="error", detail=str(err))
        return 2
    if "--server" in sys.argv[1:]:
        return run_server(env)
    pywire.start_watchdog(env.budget, VERSION)
    try:
        return run_client(env)
    except Exception as err:  # noqa: BLE001 - the package raised
        pywire.emit(event="error", detail=f"{type(err).__name__}: {err}")
        return 1


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    os._exit(code)
