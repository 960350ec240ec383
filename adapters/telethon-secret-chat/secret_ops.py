"""The telethon-secret-chat ops behind adapter.py (imported on a background thread at start).

Every op runs the plugin's own methods of `SecretChatMethods` on a `SecretChatManager` whose
Telethon client is a stub: the few RPCs the methods send (`messages.getDhConfig`,
`messages.requestEncryption`, `messages.acceptEncryption`, `messages.sendEncryptedService`) are
answered locally and recorded, so what the plugin computes (g_b, the key, the fingerprint it
sends) is read from the requests it made. Its randomness (`os.urandom`, `random.randint`) is
fixed to the vector's bytes where the vector fixes them.
"""
import asyncio
import logging
import os
import struct

from telethon.client.downloads import DownloadMethods
from telethon.errors import SecurityError
from telethon.tl import types
from telethon.tl.functions.messages import (AcceptEncryptionRequest, GetDhConfigRequest,
                                            RequestEncryptionRequest)
from telethon.tl.types.messages import DhConfig

from telethon_secret_chat import secret_methods
from telethon_secret_chat.secret_chat_manager import SecretChatManager, patch_tlobjects
from telethon_secret_chat.secret_methods import SecretChat
from telethon_secret_chat.secret_sechma import secretTL
from telethon_secret_chat.storage.memory import SecretMemorySession

from protocol import Rejected, Unsupported

logging.disable(logging.CRITICAL)
patch_tlobjects()  # what the manager's event loop does before reading secret TL objects

CHAT_ID = 1
ACCESS_HASH = 2
_loop = asyncio.new_event_loop()


def h(req, name):
    v = req[name]
    if not isinstance(v, str):
        raise KeyError(name)
    return bytes.fromhex(v)


def integer(req, name):
    v = req[name]
    if not isinstance(v, int) or isinstance(v, bool):
        raise KeyError(name)
    return v


def described(e):
    return f"{type(e).__name__}: {e}"


class _Logs(dict):
    def __missing__(self, key):
        log = logging.getLogger(key)
        log.disabled = True
        return log


class _StubClient:
    """The Telethon client the plugin calls: answers its RPCs locally and keeps them."""

    def __init__(self, p, g):
        self.p, self.g = p, g
        self.sent = []
        self._log = _Logs()
        self.loop = _loop

    async def __call__(self, request):
        self.sent.append(request)
        if isinstance(request, GetDhConfigRequest):
            return DhConfig(g=self.g, p=self.p, version=1, random=bytes(256))
        if isinstance(request, RequestEncryptionRequest):
            return types.EncryptedChatWaiting(id=CHAT_ID, access_hash=ACCESS_HASH, date=None,
                                              admin_id=1, participant_id=2)
        return None

    async def get_input_entity(self, peer):
        return types.InputPeerUser(user_id=2, access_hash=0)

    def add_event_handler(self, handler):
        return None

    def sent_of(self, cls):
        return [r for r in self.sent if isinstance(r, cls)]


def manager(p=b"\x17", g=2):
    client = _StubClient(p, g)
    m = SecretChatManager(client, SecretMemorySession())
    return m, client


class _FixedRandom:
    """`os.urandom` inside the plugin module: the vector's secret for the 256-byte draw."""

    def __init__(self, secret):
        self.secret = secret

    def __call__(self, n):
        if n == 256:
            return self.secret
        return os.urandom(n)  # message padding and random_bytes of the plugin's own messages


class _OsProxy:
    def __init__(self, urandom):
        self.urandom = urandom

    def __getattr__(self, name):
        return getattr(os, name)


def run_with_secret(secret, coro):
    saved = secret_methods.os
    secret_methods.os = _OsProxy(_FixedRandom(secret))
    try:
        return _loop.run_until_complete(coro)
    finally:
        secret_methods.os = saved


def client_secret(req):
    local = bytearray(h(req, "localRandom"))
    server = h(req, "serverRandom")
    if len(local) != 256 or len(server) > 256:
        raise KeyError("localRandom/serverRandom")
    for i, s in enumerate(server):
        local[i] ^= s
    return bytes(local)


def dh_error(e):
    msg = str(e)
    if "g_a is invalid" in msg:
        # both range checks (1 < v < p-1 and the 2^1984 margin) raise this same message
        return Rejected("ValueOutOfRange", msg)
    if "Wrong fingerprint" in msg:
        return Rejected("KeyFingerprintMismatch", msg)
    return Rejected("Rejected", described(e))


def fingerprint_bytes(value):
    return struct.pack("<q", value).hex()


def accept_key(req):
    """`accept_secret_chat` on an `encryptedChatRequested` carrying the vector's g_a."""
    p, g = h(req, "p"), integer(req, "g")
    m, client = manager(p, g)
    chat = types.EncryptedChatRequested(id=CHAT_ID, access_hash=ACCESS_HASH, date=None, admin_id=2,
                                        participant_id=1, g_a=h(req, "gA"))
    try:
        run_with_secret(client_secret(req), m.accept_secret_chat(chat))
    except Exception as e:  # noqa: BLE001 - the plugin refused
        raise dh_error(e)
    accepted = client.sent_of(AcceptEncryptionRequest)
    if not accepted:
        raise RuntimeError("accept_secret_chat sent no acceptEncryption")
    key = m.session.get_secret_chat_by_id(CHAT_ID).auth_key
    return {"gB": accepted[0].g_b.hex(), "key": key.hex(),
            "keyFingerprint": fingerprint_bytes(accepted[0].key_fingerprint)}


def complete_key(req):
    """`start_secret_chat` (draws a, sends g_a), then `finish_secret_chat_creation` on an
    `encryptedChat` carrying the vector's g_b and key fingerprint."""
    p, g = h(req, "p"), integer(req, "g")
    m, client = manager(p, g)
    fp = struct.unpack("<q", h(req, "keyFingerprint"))[0]
    try:
        run_with_secret(client_secret(req), m.start_secret_chat(2))
        ga = client.sent_of(RequestEncryptionRequest)[0].g_a
        chat = types.EncryptedChat(id=CHAT_ID, access_hash=ACCESS_HASH, date=None, admin_id=1,
                                   participant_id=2, g_a_or_b=h(req, "gB"), key_fingerprint=fp)
        run_with_secret(client_secret(req), m.finish_secret_chat_creation(chat))
    except Exception as e:  # noqa: BLE001 - the plugin refused
        raise dh_error(e)
    key = m.session.get_secret_chat_by_id(CHAT_ID).auth_key
    return {"gA": ga.hex(), "key": key.hex()}


# --- decrypt: handle_encrypted_update ------------------------------------------------------------

class _Reader:
    """`BinaryReader` as the plugin's decrypt functions see it: records the bytes they read."""

    last = None

    def __init__(self, data):
        _Reader.last = bytes(data)
        self.inner = _RealReader(data)

    def tgread_object(self):
        return self.inner.tgread_object()


_RealReader = secret_methods.BinaryReader


class _Event:
    def __init__(self, packet):
        self.message = types.EncryptedMessage(random_id=0, chat_id=CHAT_ID, date=None,
                                              bytes=packet, file=types.EncryptedFileEmpty())


DECRYPT_ERRORS = [("message data length is too big", "LengthOutOfRange"),
                  ("Message key mismatch", "MsgKeyMismatch"),
                  ("Padding is too small", "PaddingTooShort"),
                  ("not divisble by 16", "NotBlockAligned"),
                  ("can not be divided by 16", "NotBlockAligned"),
                  ("Difference is too big", "PaddingTooLong"),
                  ("Key fingerprint mismatch", "UnknownKeyFingerprint")]


def secret_decrypt(req):
    receiver = req["receiver"]
    if receiver not in ("originator", "acceptor"):
        raise KeyError("receiver")
    key = h(req, "key")
    packet = h(req, "packet")
    m, client = manager()
    # A chat as accept_secret_chat / finish_secret_chat_creation save it (admin = originator);
    # new chats start at mtproto = 1, as the plugin makes them.
    m.session.save_chat(SecretChat(CHAT_ID, ACCESS_HASH, key, receiver == "originator", 2,
                                   types.InputEncryptedChat(CHAT_ID, ACCESS_HASH)), False)
    _Reader.last = None
    secret_methods.BinaryReader = _Reader
    try:
        _loop.run_until_complete(m.handle_encrypted_update(_Event(packet)))
    except Exception as e:  # noqa: BLE001 - the plugin refused the packet
        msg = str(e)
        for needle, name in DECRYPT_ERRORS:
            if needle in msg:
                raise Rejected(name, described(e))
        if len(packet) < 24 + 16:
            raise Rejected("TooShort", described(e))
        raise Rejected("Rejected", described(e))
    finally:
        secret_methods.BinaryReader = _RealReader
    if _Reader.last is None:
        raise RuntimeError("the plugin decrypted nothing")
    return {"layer": _Reader.last.hex()}


# --- fileDecrypt: download_secret_media, with Telethon's own download loop -----------------------

class _Downloader:
    """The client's download half: Telethon's `_download_file` (it decrypts each received part
    with `AES.decrypt_ige(part, key, iv)`), fed the encrypted file in parts as a DC sends them."""

    def __init__(self, encrypted):
        self.encrypted = encrypted
        self._log = _Logs()

    async def _iter_download(self, location, *, request_size, **kwargs):
        for i in range(0, len(self.encrypted), request_size):
            yield self.encrypted[i:i + request_size]

    download_file = DownloadMethods.download_file
    _download_file = DownloadMethods._download_file


def file_decrypt(req):
    key, iv = h(req, "key"), h(req, "iv")
    encrypted = h(req, "encrypted")
    size = integer(req, "size")
    fp = integer(req, "keyFingerprint")
    m, _ = manager()
    m.client = _Downloader(encrypted)
    message = _FileMessage(fp, key, iv, size)
    try:
        data = _loop.run_until_complete(m.download_secret_media(message))
    except SecurityError as e:
        raise Rejected("FileFingerprintMismatch" if "fingerprint" in str(e) else "Rejected",
                       described(e))
    except Exception as e:  # noqa: BLE001 - the library refused (Telethon's IGE on a bad key/iv)
        raise Rejected("FileKeyInvalid" if len(key) != 32 or len(iv) != 32 else "Rejected",
                       described(e))
    return {"file": bytes(data).hex()}


class _FileMessage:
    """What `download_secret_media` reads: `message.file` (an `encryptedFile`) and
    `message.media.key` / `.iv` (from the decrypted message's media)."""

    def __init__(self, fingerprint, key, iv, size):
        self.file = types.EncryptedFile(id=1, access_hash=2, size=size, dc_id=1,
                                        key_fingerprint=fingerprint)

        class _Media:
            pass

        self.media = _Media()
        self.media.key = key
        self.media.iv = iv


# --- seqTrace: handle_decrypted_message and encrypt_secret_message ------------------------------
#
# A `receive` step hands the chat a decryptedMessageLayer with the step's in_seq_no and
# out_seq_no around a text message, exactly as handle_encrypted_update passes it on after
# decryption; the plugin returns the message (delivered) or nothing. A `send` step runs
# encrypt_secret_message and reads the seq_nos of the layer it built (kept in `peer.outgoing`).
# A `resendRequest` hands it a decryptedMessageActionResend.

def seq_trace(req):
    role = req["role"]
    if role not in ("originator", "acceptor"):
        raise KeyError("role")
    steps = req["steps"]
    if not isinstance(steps, list):
        raise KeyError("steps")
    m, _ = manager()
    peer = SecretChat(CHAT_ID, ACCESS_HASH, bytes(range(256)), role == "originator", 2,
                      types.InputEncryptedChat(CHAT_ID, ACCESS_HASH))
    m.session.save_chat(peer, False)
    results = []
    for i, step in enumerate(steps):
        op = step.get("op")
        try:
            if op == "receive":
                layer = secretTL.DecryptedMessageLayer(
                    random_bytes=bytes(15), layer=secret_methods.DEFAULT_LAYER,
                    in_seq_no=integer(step, "inSeqNo"), out_seq_no=integer(step, "outSeqNo"),
                    message=secretTL.DecryptedMessage(ttl=0, message="m", random_id=i + 1))
                out = _loop.run_until_complete(m.handle_decrypted_message(layer, peer, None))
                if out is None:
                    results.append({"verdict": "ignore", "error": "Rejected"})
                else:
                    results.append({"verdict": "deliver", "delivered": [step["outSeqNo"]]})
            elif op == "send":
                _loop.run_until_complete(m.encrypt_secret_message(
                    CHAT_ID, secretTL.DecryptedMessage(ttl=0, message="m", random_id=i + 1)))
                sent = peer.outgoing[peer.out_seq_no]
                results.append({"verdict": "sent", "inSeqNo": sent.in_seq_no,
                                "outSeqNo": sent.out_seq_no})
            elif op == "resendRequest":
                action = secretTL.DecryptedMessageActionResend(
                    start_seq_no=integer(step, "startSeqNo"), end_seq_no=integer(step, "endSeqNo"))
                _loop.run_until_complete(m.handle_decrypted_message(
                    secretTL.DecryptedMessageService(action=action, random_id=i + 1), peer, None))
                results.append({"verdict": "ok"})
            else:
                raise KeyError(f"steps[{i}].op")
        except KeyError:
            raise
        except Exception as e:  # noqa: BLE001 - the plugin failed inside this step
            raise RuntimeError(f"step {i} ({op}): the plugin raised {described(e)}") from e
    return {"results": results}


def dh_check_value(req):
    """`check_g_a(value, p)`: the plugin's one DH check, run on every g_a and g_b it receives or
    makes. It checks no parameter (p and g are taken from getDhConfig as they come)."""
    value = int.from_bytes(h(req, "value"), "big")
    p = int.from_bytes(h(req, "p"), "big")
    integer(req, "g")
    m, _ = manager()
    try:
        m.check_g_a(value, p)
    except ValueError as e:
        raise dh_error(e)
    return {}


HANDLERS = {
    "dh.checkValue": dh_check_value,
    "secret.seqTrace": seq_trace,
    "secret.acceptKey": accept_key,
    "secret.completeKey": complete_key,
    "secret.decrypt": secret_decrypt,
    "secret.fileDecrypt": file_decrypt,
}


