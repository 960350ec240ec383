"""Transports of the Pyrogram family: the TCP transport classes of
`pyrogram.connection.transport.tcp` (`TCPFull`, `TCPAbridged`, `TCPIntermediate`, and kurigram's
`TCPIntermediatePadded`). Imported after `loader.full_import()`.

The forks are clients: `recv` reads what a server sends and `send` frames what a client sends
(the tag is written by `connect`). So:

- decode: server-to-client streams only, through the class's own `recv` on an
  `asyncio.StreamReader` holding the vector's stream and its end (the `reader` that `connect`
  would have set). `recv` answers `None` whenever it drops the connection (a bad CRC, a stream
  that ends mid-frame, ...) without saying why: that is the `Rejected` rejection. A 4-byte body
  is what `Session` takes as a transport error (its code is the body as a TL `Int`).
- encode: server-to-client payload frames through `send` into a stand-in writer (no tag: the
  framing does not depend on the direction). The padded transport's padding is random, and the
  classes send neither quick-ack requests nor error frames: unsupported.
- obfuscated (`TCPAbridgedO`, `TCPIntermediateO`): their keys come from `connect`, which opens a
  socket; the vectors cannot drive them. Unsupported.
"""
import asyncio
from io import BytesIO

from pyrogram.connection.transport import tcp
from pyrogram.raw.core.primitives import Int

from protocol import Rejected, Unsupported
from transport_scope import check

CLASSES = {"full": tcp.TCPFull, "abridged": tcp.TCPAbridged,
           "intermediate": tcp.TCPIntermediate,
           "padded": getattr(tcp, "TCPIntermediatePadded", None)}


class _Writer:
    """The `writer` that `connect` would have set: collects what `send` writes."""

    def __init__(self):
        self.data = b""

    def write(self, data):
        self.data += data

    async def drain(self):
        return None

    def is_closing(self):
        return False


def _cls(req):
    check(req)
    cls = CLASSES[req["transport"]]
    if cls is None:
        raise Unsupported()
    return cls


def _run(coro):
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(coro)
    finally:
        loop.close()


async def _decode(cls, stream):
    t = cls(False, None)
    reader = asyncio.StreamReader()
    reader.feed_data(stream)
    reader.feed_eof()
    t.reader = reader
    frames = []
    while not reader.at_eof():
        body = await t.recv()
        if body is None:
            raise Rejected("Rejected", f"{cls.__name__}.recv returned None (connection dropped)")
        if len(body) == 4:
            frames.append({"kind": "error", "code": Int.read(BytesIO(body))})
        else:
            frames.append({"kind": "payload", "data": body.hex(), "quickAck": False})
    return frames


async def _encode(cls, payloads):
    t = cls(False, None)
    t.writer = _Writer()
    if getattr(t, "seq_no", 0) is None:
        t.seq_no = 0  # set by `connect` (pyrofork's TCPFull starts at None)
    marker = getattr(t, "marker_event", None)
    if marker is not None:
        marker.set()  # set by `connect` once the tag is sent (kurigram)
    for p in payloads:
        await t.send(p)
    return t.writer.data


def decode(req):
    cls = _cls(req)
    return {"frames": _run(_decode(cls, bytes.fromhex(req["stream"])))}


def encode(req):
    cls = _cls(req)
    if cls is CLASSES["padded"]:
        raise Unsupported()  # padding from os.urandom
    payloads = []
    for f in req["frames"]:
        if f.get("kind") != "payload" or f.get("quickAck"):
            raise Unsupported()  # the classes frame payloads only
        payloads.append(bytes.fromhex(f["data"]))
    return {"stream": _run(_encode(cls, payloads)).hex()}


HANDLERS = {"transport.decode": decode, "transport.encode": encode}
