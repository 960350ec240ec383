"""`transport.decode` / `transport.encode` through Telethon's packet codecs
(`telethon.network.connection`): `FullPacketCodec`, `IntermediatePacketCodec`,
`RandomizedIntermediatePacketCodec` (padded), `AbridgedPacketCodec`, and `ObfuscatedIO` for
obfuscated2.

Telethon is a client: its codecs read what a server sends (`read_packet`) and frame what a
client sends (`encode_packet`, the tag written by `Connection._connect`). So:

- decode: server-to-client streams only (a client-to-server stream starts with the tag or
  obfuscated header only a server parses; Telethon has none). `read_packet` is driven with an
  `asyncio.StreamReader` holding the vector's stream and its end; frames are read until the
  reader is at its end. A 4-byte body is what Telethon turns into `InvalidBufferError` (its
  transport-error path, `MTProtoState.decrypt_message_data`); its `code` gives the error frame.
- encode: `encode_packet` per payload frame (no tag for server-to-client; Telethon's framing does
  not depend on the direction). Padded (random padding), quick-ack and error frames, and
  obfuscated server-to-client streams (Telethon has no server-side encryptor) are unsupported.
- obfuscated decode: `ObfuscatedIO` built with the vector's `init` as its `os.urandom(64)`; an
  init Telethon would draw again (a forbidden prefix) is unsupported. MTProxy (`secret`) only
  exists client-to-server in the vectors, so it is never reached.
"""
import asyncio
import struct

from telethon.errors import InvalidBufferError, InvalidChecksumError
from telethon.network.connection import tcpobfuscated
from telethon.network.connection.tcpabridged import AbridgedPacketCodec
from telethon.network.connection.tcpfull import FullPacketCodec
from telethon.network.connection.tcpintermediate import (
    IntermediatePacketCodec, RandomizedIntermediatePacketCodec)

CODECS = {"abridged": AbridgedPacketCodec, "intermediate": IntermediatePacketCodec,
          "padded": RandomizedIntermediatePacketCodec, "full": FullPacketCodec}


class Unsupported(Exception):
    """The library cannot be driven to this request."""


class Rejected(Exception):
    def __init__(self, error, detail=""):
        super().__init__(error)
        self.error = error
        self.detail = detail


class _OneInit:
    """`os.urandom` for `ObfuscatedIO.init_header`: the vector's init, once."""

    def __init__(self, init):
        self.init = init
        self.calls = 0

    def __call__(self, n):
        self.calls += 1
        if n != 64 or self.calls > 1:
            raise Unsupported()  # Telethon re-draws an init it refuses: not drivable
        return self.init


class _Os:
    def __init__(self, urandom):
        self.urandom = urandom


class _Conn:
    """What `ObfuscatedIO` reads from a connection: its reader and writer."""

    def __init__(self, reader, codec):
        self._reader = reader
        self._writer = None
        self.packet_codec = codec


def _codec(req):
    cls = CODECS.get(req["transport"])
    if cls is None:
        raise KeyError("transport")
    if req["direction"] not in ("clientToServer", "serverToClient"):
        raise KeyError("direction")
    return cls


def _obfuscated_io(cls, req, reader):
    init = bytes.fromhex(req["init"]) if "init" in req else None
    if init is None or len(init) != 64 or "secret" in req:
        raise Unsupported()
    saved = tcpobfuscated.os
    tcpobfuscated.os = _Os(_OneInit(init))
    try:
        return tcpobfuscated.ObfuscatedIO(_Conn(reader, cls))
    finally:
        tcpobfuscated.os = saved


async def _read_frames(cls, req, stream):
    reader = asyncio.StreamReader()
    reader.feed_data(stream)
    reader.feed_eof()
    source = _obfuscated_io(cls, req, reader) if req["obfuscated"] else reader
    codec = cls(None)
    frames = []
    while not reader.at_eof():
        try:
            body = await codec.read_packet(source)
        except asyncio.IncompleteReadError as e:
            raise Rejected("Truncated", f"read_packet: {e}") from e
        except InvalidChecksumError as e:
            raise Rejected("CrcMismatch", str(e)) from e
        except InvalidBufferError as e:
            raise Rejected("FrameTooShort", str(e)) from e
        except struct.error as e:
            # a full frame too short for its CRC: `struct.unpack` on the missing bytes
            raise Rejected("FrameTooShort", f"read_packet: {e}") from e
        except ValueError as e:
            # a length read as negative (the top bit set): `readexactly` refuses it
            raise Rejected("Rejected", f"read_packet: {e}") from e
        if len(body) == 4:
            code = InvalidBufferError(body).code
            frames.append({"kind": "error", "code": -code})
        else:
            frames.append({"kind": "payload", "data": body.hex(), "quickAck": False})
    return frames


def decode(req):
    cls = _codec(req)
    if req["direction"] != "serverToClient":
        raise Unsupported()  # no server side: nothing in Telethon reads a client's stream
    stream = bytes.fromhex(req["stream"])
    loop = asyncio.new_event_loop()
    try:
        return {"frames": loop.run_until_complete(_read_frames(cls, req, stream))}
    finally:
        loop.close()


def encode(req):
    cls = _codec(req)
    if req["direction"] != "serverToClient" or req["obfuscated"]:
        # a client-to-server stream is only ever asked for after its decode, which is unsupported
        raise Unsupported()
    if cls is RandomizedIntermediatePacketCodec:
        raise Unsupported()  # padding from random.randint + os.urandom
    codec = cls(None)
    out = b""
    for f in req["frames"]:
        if f.get("kind") != "payload" or f.get("quickAck"):
            raise Unsupported()  # Telethon's codecs frame payloads only
        out += codec.encode_packet(bytes.fromhex(f["data"]))
    return {"stream": out.hex()}
