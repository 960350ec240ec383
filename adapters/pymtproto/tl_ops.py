"""`tl.decode` / `tl.encode` through the few TL objects the package reads and writes itself: the
classes of `Session`'s `_MANUALLY_PARSED_CONSTRUCTORS` table (`msg_container`,
`new_session_created`, `bad_server_salt`, `bad_msg_notification`, `msgs_ack`), each with its own
`deserialize` / `write`, and `Message` (a container's entry).

Decode dispatches as `Session._process_received` does: the first four bytes pick the class in
that table and its `deserialize` reads the rest; a container's message bodies go through the same
table. Anything the table does not hold is handed to the application as opaque bytes by the
package (it has no reader for it), so it is `unsupported` here, as is the secret-chat schema.
Bytes left over after the object are not looked at (the package does not either).

Translation only: a class's TL name is its name in snake case (`MsgsAck` → `msgs_ack`, the
package's naming of these five); fields are the classes' `__slots__`, which are the schema's
field names, except `Message`'s `message_id` / `seq_no` (the schema's `msg_id` / `seqno`).
Encode builds the same classes from the JSON value and calls `write()`.
"""
import re
from io import BytesIO

from mtproto.session import session as session_module
from mtproto.session.service_messages.message import Message
from mtproto.session.service_messages.msg_container import MsgContainer

TABLE = session_module._MANUALLY_PARSED_CONSTRUCTORS
MESSAGE_FIELDS = {"message_id": "msg_id", "seq_no": "seqno"}


class Unsupported(Exception):
    """The library cannot be driven to this request."""


class Rejected(Exception):
    def __init__(self, error, detail=""):
        super().__init__(error)
        self.error = error
        self.detail = detail


def tl_name(cls):
    return re.sub(r"(?<!^)([A-Z])", r"_\1", cls.__name__).lower()


BY_NAME = {tl_name(cls): cls for cls in TABLE.values()}


def _read(data):
    cls = TABLE.get(data[:4])
    if cls is None:
        raise Unsupported()  # opaque to the package: no reader for it
    stream = BytesIO(data)
    stream.read(4)
    try:
        return cls.deserialize(stream)
    except ValueError as e:
        # `msgs_ack`'s Vector id check, or `array` given a byte count that is not whole longs
        name = "BadVectorId" if "Expected constructor" in str(e) else "UnexpectedEnd"
        raise Rejected(name, str(e)) from e


def _to_json(obj):
    out = {"_": tl_name(type(obj))}
    for slot in type(obj).__slots__:
        v = getattr(obj, slot)
        if isinstance(obj, MsgContainer) and slot == "messages":
            v = [_message_json(m) for m in v]
        elif not isinstance(v, int):
            v = list(v)  # `array('q')` of msg_ids
        out[slot] = v
    return out


def _message_json(m):
    return {"_": "message", MESSAGE_FIELDS["message_id"]: m.message_id,
            MESSAGE_FIELDS["seq_no"]: m.seq_no, "body": _to_json(_read(m.body))}


def decode(req):
    if req["schema"] == "secret":
        raise Unsupported()
    if req["schema"] != "mtproto" or req.get("as") is not None:
        raise Unsupported()  # no Bool reader in the package
    return {"value": _to_json(_read(bytes.fromhex(req["bytes"])))}


def _build(value):
    cls = BY_NAME.get(value.get("_")) if isinstance(value, dict) else None
    if cls is None:
        raise Unsupported()
    fields = {k: v for k, v in value.items() if k != "_"}
    if cls is MsgContainer:
        msgs = []
        for m in fields["messages"]:
            if m.get("_") != "message":
                raise Unsupported()
            msgs.append(Message(message_id=m["msg_id"], seq_no=m["seqno"],
                                body=_build(m["body"]).write()))
        return MsgContainer(messages=msgs)
    return cls(**fields)


def encode(req):
    if req["schema"] != "mtproto" or req.get("as") is not None:
        raise Unsupported()
    return {"bytes": _build(req["value"]).write().hex()}


HANDLERS = {"tl.decode": decode, "tl.encode": encode}
