"""The auth-key handshake for the PyPI `mtproto` wire drivers, both ends.

The package has no handshake (no RSA, no DH, no auth module): an application that uses it creates
the key itself over the package's plain messages (`Session.send_plain`, `UnencryptedData`), and
this module is that application code, written after the auth_key page
(https://core.telegram.org/mtproto/auth_key) with RSA_PAD, the package's own AES-IGE
(`mtproto.crypto.aes`) and Python integers. Verdicts of the handshake cases therefore judge this
module, not the package; the session cases after it judge the package.
"""
import hashlib
import os
import struct
import time

from mtproto.crypto.aes import ige256_decrypt, ige256_encrypt

REQ_PQ_MULTI = 0xBE7E8EF1
RES_PQ = 0x05162463
REQ_DH_PARAMS = 0xD712E4BE
P_Q_INNER_DATA_DC = 0xA9F55F95
P_Q_INNER_DATA_TEMP_DC = 0x56FDDF88
SERVER_DH_PARAMS_OK = 0xD0E8075C
SERVER_DH_INNER_DATA = 0xB5890DBA
SET_CLIENT_DH_PARAMS = 0xF5045F1F
CLIENT_DH_INNER_DATA = 0x6643B654
DH_GEN_OK = 0x3BCBF734
DH_GEN_RETRY = 0x46DC1FB9
DH_GEN_FAIL = 0xA69DAE02
VECTOR = 0x1CB5C415

# Telegram's 2048-bit safe prime (auth_key page), g = 3 on the server side.
DH_PRIME = int(
    "c71caeb9c6b1c9048e6c522f70f13f73980d40238e3e21c14934d037563d930f48198a0aa7c14058229493d22530f4db"
    "fa336f6e0ac925139543aed44cce7c3720fd51f69458705ac68cd4fe6b6b13abdc9746512969328454f18faf8c595f64"
    "2477fe96bb2a941d5bcd1d4ac8cc49880708fa9b378e3c4f3a9060bee67cf9a4a4a695811051907e162753b56b0f6b41"
    "0dba74d8a84b2a14b3144e0ef1284754fd17ed950d5965b4b9dd46582db1178d169c6bc465b0d6ff9ca3928fef5b9ae4"
    "e418fc15e83ebea0f87fa9ff5eed70050ded2849f47bf959d956850ce929851f0d8115f635b105ee2e4e15d04b2454bf"
    "6f4fadf034b10403119cd8e3b92fcc5b", 16)
DH_G = 3
MARGIN = 2 ** (2048 - 64)


class HandshakeError(Exception):
    """A handshake message failed a check of the auth_key page."""


class Reader:
    def __init__(self, data):
        self.b, self.i = data, 0

    def take(self, n):
        if n < 0 or self.i + n > len(self.b):
            raise HandshakeError(f"TL: need {n} bytes at {self.i}, {len(self.b) - self.i} left")
        out = self.b[self.i:self.i + n]
        self.i += n
        return out

    def u32(self):
        return struct.unpack("<I", self.take(4))[0]

    def int(self):
        return struct.unpack("<i", self.take(4))[0]

    def long(self):
        return struct.unpack("<q", self.take(8))[0]

    def bytes(self):
        n = self.take(1)[0]
        if n == 254:
            n = int.from_bytes(self.take(3), "little")
            head = 4
        elif n == 255:
            raise HandshakeError("TL: bytes length prefix 0xff")
        else:
            head = 1
        data = self.take(n)
        self.take(-(head + n) % 4)
        return data


def tl_bytes(b):
    out = (bytes([len(b)]) if len(b) < 254 else b"\xfe" + len(b).to_bytes(3, "little")) + b
    return out + b"\x00" * (-len(out) % 4)


def be(x, n=None):
    return x.to_bytes(n or max(1, (x.bit_length() + 7) // 8), "big")


def tmp_aes(server_nonce, new_nonce):
    a = hashlib.sha1(new_nonce + server_nonce).digest()
    b = hashlib.sha1(server_nonce + new_nonce).digest()
    c = hashlib.sha1(new_nonce + new_nonce).digest()
    return a + b[:12], b[12:] + c + new_nonce[:4]


def new_nonce_hash(new_nonce, number, auth_key):
    aux = hashlib.sha1(auth_key).digest()[:8]
    return hashlib.sha1(new_nonce + bytes([number]) + aux).digest()[-16:]


def with_hash_encrypt(data, key, iv):
    d = hashlib.sha1(data).digest() + data
    return ige256_encrypt(d + os.urandom(-len(d) % 16), key, iv)


def tl_fingerprint(n, e):
    digest = hashlib.sha1(tl_bytes(be(n)) + tl_bytes(be(e))).digest()
    return struct.unpack("<q", digest[-8:])[0]


# --- server ----------------------------------------------------------------------------------

class ServerHandshake:
    """The server's side: `on_message(body)` takes each plain message body and returns the answer
    body, or raises HandshakeError (the server then answers nothing); `auth_key` and `salt` are
    set once `dh_gen_ok` is sent."""

    PQ = (1_229_739_323, 1_402_015_859)

    def __init__(self, n, e, d):
        self.n, self.e, self.d = n, e, d
        self.fingerprint = tl_fingerprint(n, e)
        self.state = "req_pq"
        self.auth_key = None
        self.salt = None

    def on_message(self, body):
        r = Reader(body)
        ctor = r.u32()
        step = {"req_pq": (REQ_PQ_MULTI, self._req_pq), "req_dh": (REQ_DH_PARAMS, self._req_dh),
                "set_dh": (SET_CLIENT_DH_PARAMS, self._set_dh)}.get(self.state)
        if step is None or ctor != step[0]:
            raise HandshakeError(f"unexpected constructor {ctor:#010x} in state {self.state}")
        return step[1](r)

    def _req_pq(self, r):
        self.nonce = r.take(16)
        self.server_nonce = os.urandom(16)
        p, q = self.PQ
        self.p, self.q, self.pq = be(p), be(q), be(p * q)
        self.state = "req_dh"
        return (struct.pack("<I", RES_PQ) + self.nonce + self.server_nonce + tl_bytes(self.pq)
                + struct.pack("<Iiq", VECTOR, 1, self.fingerprint))

    def _check_nonces(self, nonce, server_nonce, where):
        if nonce != self.nonce or server_nonce != self.server_nonce:
            raise HandshakeError(f"{where}: nonce or server_nonce differs")

    def _req_dh(self, r):
        self._check_nonces(r.take(16), r.take(16), "req_DH_params")
        p, q, fp, enc = r.bytes(), r.bytes(), r.long(), r.bytes()
        if (p, q) != (self.p, self.q):
            raise HandshakeError("req_DH_params: p, q differ from resPQ's")
        if fp != self.fingerprint:
            raise HandshakeError("req_DH_params: unknown key fingerprint")
        if len(enc) != 256 or int.from_bytes(enc, "big") >= self.n:
            raise HandshakeError("req_DH_params: encrypted_data out of range")
        kae = be(pow(int.from_bytes(enc, "big"), self.d, self.n), 256)
        temp_key = bytes(a ^ b for a, b in zip(kae[:32], hashlib.sha256(kae[32:]).digest()))
        dwh = ige256_decrypt(kae[32:], temp_key, bytes(32))
        dwp = dwh[:192][::-1]
        if hashlib.sha256(temp_key + dwp).digest() != dwh[192:]:
            raise HandshakeError("req_DH_params: RSA_PAD hash mismatch")
        ir = Reader(dwp)
        ctor = ir.u32()
        if ctor not in (P_Q_INNER_DATA_DC, P_Q_INNER_DATA_TEMP_DC):
            raise HandshakeError(f"p_q_inner_data: constructor {ctor:#010x}")
        if (ir.bytes(), ir.bytes(), ir.bytes()) != (self.pq, self.p, self.q):
            raise HandshakeError("p_q_inner_data: pq, p, q differ")
        self._check_nonces(ir.take(16), ir.take(16), "p_q_inner_data")
        self.new_nonce = ir.take(32)
        self.tmp_key, self.tmp_iv = tmp_aes(self.server_nonce, self.new_nonce)
        self.a = int.from_bytes(os.urandom(256), "big") % (DH_PRIME - 2) + 1
        g_a = pow(DH_G, self.a, DH_PRIME)
        inner = (struct.pack("<I", SERVER_DH_INNER_DATA) + self.nonce + self.server_nonce
                 + struct.pack("<i", DH_G) + tl_bytes(be(DH_PRIME, 256)) + tl_bytes(be(g_a, 256))
                 + struct.pack("<i", int(time.time())))
        self.state = "set_dh"
        return (struct.pack("<I", SERVER_DH_PARAMS_OK) + self.nonce + self.server_nonce
                + tl_bytes(with_hash_encrypt(inner, self.tmp_key, self.tmp_iv)))

    def _set_dh(self, r):
        self._check_nonces(r.take(16), r.take(16), "set_client_DH_params")
        enc = r.bytes()
        if len(enc) % 16:
            raise HandshakeError("set_client_DH_params: encrypted_data not a multiple of 16")
        plain = ige256_decrypt(enc, self.tmp_key, self.tmp_iv)
        ir = Reader(plain[20:])
        if ir.u32() != CLIENT_DH_INNER_DATA:
            raise HandshakeError("client_DH_inner_data: constructor")
        self._check_nonces(ir.take(16), ir.take(16), "client_DH_inner_data")
        ir.long()  # retry_id
        g_b = int.from_bytes(ir.bytes(), "big")
        if hashlib.sha1(plain[20:20 + ir.i]).digest() != plain[:20]:
            raise HandshakeError("client_DH_inner_data: SHA1 mismatch")
        if not (1 < g_b < DH_PRIME - 1) or not (MARGIN <= g_b <= DH_PRIME - MARGIN):
            raise HandshakeError("g_b out of range")
        self.auth_key = be(pow(g_b, self.a, DH_PRIME), 256)
        self.salt = bytes(a ^ b for a, b in zip(self.new_nonce[:8], self.server_nonce[:8]))
        self.state = "done"
        return (struct.pack("<I", DH_GEN_OK) + self.nonce + self.server_nonce
                + new_nonce_hash(self.new_nonce, 1, self.auth_key))


# --- client ----------------------------------------------------------------------------------

def _pollard_brent(n):
    import math
    import random
    if n % 2 == 0:
        return 2
    while True:
        y, c, m = random.randrange(1, n), random.randrange(1, n), 128
        g = r = q = 1
        while g == 1:
            x = y
            for _ in range(r):
                y = (y * y + c) % n
            k = 0
            while k < r and g == 1:
                ys = y
                for _ in range(min(m, r - k)):
                    y = (y * y + c) % n
                    q = q * abs(x - y) % n
                g = math.gcd(q, n)
                k += m
            r *= 2
        if g == n:
            g = 1
            while g == 1:
                ys = (ys * ys + c) % n
                g = math.gcd(abs(x - ys), n)
        if g != n:
            return g


def _is_prime(n):
    if n < 2:
        return False
    for p in (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37):
        if n % p == 0:
            return n == p
    d, s = n - 1, 0
    while d % 2 == 0:
        d, s = d // 2, s + 1
    for a in (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37):
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = x * x % n
            if x == n - 1:
                break
        else:
            return False
    return True


def split_pq(pq):
    """pq = p * q with p < q both prime (auth_key page, step 3), or HandshakeError."""
    if pq < 4 or _is_prime(pq):
        raise HandshakeError("pq is not a product of two primes")
    p = _pollard_brent(pq)
    p, q = sorted((p, pq // p))
    if not (_is_prime(p) and _is_prime(q)):
        raise HandshakeError("pq has more than two prime factors")
    return p, q


def rsa_pad(data, n, e):
    """RSA_PAD(data, key) of the auth_key page (step 4)."""
    if len(data) > 144:
        raise HandshakeError("p_q_inner_data longer than 144 bytes")
    dwp = data + os.urandom(192 - len(data))
    while True:
        temp_key = os.urandom(32)
        dwh = dwp[::-1] + hashlib.sha256(temp_key + dwp).digest()
        aes_enc = ige256_encrypt(dwh, temp_key, bytes(32))
        kae = bytes(a ^ b for a, b in zip(temp_key, hashlib.sha256(aes_enc).digest())) + aes_enc
        if int.from_bytes(kae, "big") < n:
            return be(pow(int.from_bytes(kae, "big"), e, n), 256)


def is_safe_dh(p, g):
    """dh_prime a safe 2048-bit prime and g a generator of its order-(p-1)/2 subgroup (auth_key
    page, step 6; the g conditions of the page's list)."""
    # Telegram's prime is known to be safe: only another prime gets the primality tests.
    if p != DH_PRIME and (p.bit_length() != 2048 or not _is_prime(p) or not _is_prime((p - 1) // 2)):
        return False
    return {2: p % 8 == 7, 3: p % 3 == 2, 4: True, 5: p % 5 in (1, 4), 6: p % 24 in (19, 23),
            7: p % 7 in (3, 5, 6)}.get(g, False)


class ClientHandshake:
    """The client's side as a generator of plain message bodies: `start()` gives req_pq_multi;
    `on_message(body)` gives the next body, or None when done (`auth_key`, `salt`, `time_offset`
    set), or raises HandshakeError."""

    def __init__(self, n, e, dc):
        self.n, self.e, self.dc = n, e, dc
        self.fingerprint = tl_fingerprint(n, e)
        self.state = "res_pq"
        self.retry_id = 0
        self.auth_key = None

    def start(self):
        self.nonce = os.urandom(16)
        return struct.pack("<I", REQ_PQ_MULTI) + self.nonce

    def on_message(self, body):
        r = Reader(body)
        ctor = r.u32()
        if self.state == "res_pq" and ctor == RES_PQ:
            return self._res_pq(r)
        if self.state == "dh_params" and ctor == SERVER_DH_PARAMS_OK:
            return self._dh_params(r)
        if self.state == "dh_gen" and ctor in (DH_GEN_OK, DH_GEN_RETRY, DH_GEN_FAIL):
            return self._dh_gen(r, ctor)
        raise HandshakeError(f"unexpected constructor {ctor:#010x} in state {self.state}")

    def _res_pq(self, r):
        if r.take(16) != self.nonce:
            raise HandshakeError("resPQ: nonce differs")
        self.server_nonce = r.take(16)
        pq_b = r.bytes()
        if r.u32() != VECTOR:
            raise HandshakeError("resPQ: fingerprints not a vector")
        fps = [r.long() for _ in range(r.int())]
        if self.fingerprint not in fps:
            raise HandshakeError("resPQ: no known key fingerprint")
        p, q = split_pq(int.from_bytes(pq_b, "big"))
        self.new_nonce = os.urandom(32)
        inner = (struct.pack("<I", P_Q_INNER_DATA_DC) + tl_bytes(pq_b) + tl_bytes(be(p))
                 + tl_bytes(be(q)) + self.nonce + self.server_nonce + self.new_nonce
                 + struct.pack("<i", self.dc))
        self.state = "dh_params"
        return (struct.pack("<I", REQ_DH_PARAMS) + self.nonce + self.server_nonce + tl_bytes(be(p))
                + tl_bytes(be(q)) + struct.pack("<q", self.fingerprint)
                + tl_bytes(rsa_pad(inner, self.n, self.e)))

    def _dh_params(self, r):
        if r.take(16) != self.nonce or r.take(16) != self.server_nonce:
            raise HandshakeError("server_DH_params_ok: nonce or server_nonce differs")
        enc = r.bytes()
        if len(enc) % 16:
            raise HandshakeError("server_DH_params_ok: encrypted_answer not a multiple of 16")
        self.tmp_key, self.tmp_iv = tmp_aes(self.server_nonce, self.new_nonce)
        plain = ige256_decrypt(enc, self.tmp_key, self.tmp_iv)
        ir = Reader(plain[20:])
        if ir.u32() != SERVER_DH_INNER_DATA:
            raise HandshakeError("server_DH_inner_data: constructor")
        if ir.take(16) != self.nonce or ir.take(16) != self.server_nonce:
            raise HandshakeError("server_DH_inner_data: nonce or server_nonce differs")
        g = ir.int()
        p = int.from_bytes(ir.bytes(), "big")
        self.g_a = int.from_bytes(ir.bytes(), "big")
        server_time = ir.int()
        if hashlib.sha1(plain[20:20 + ir.i]).digest() != plain[:20]:
            raise HandshakeError("server_DH_inner_data: SHA1 mismatch")
        if not is_safe_dh(p, g):
            raise HandshakeError("dh_prime/g: not a safe 2048-bit prime with a generator g")
        if not (1 < self.g_a < p - 1) or not (MARGIN <= self.g_a <= p - MARGIN):
            raise HandshakeError("g_a out of range")
        self.p, self.g = p, g
        self.time_offset = server_time - int(time.time())
        return self._set_dh()

    def _set_dh(self):
        b = int.from_bytes(os.urandom(256), "big")
        g_b = pow(self.g, b, self.p)
        self.pending_key = be(pow(self.g_a, b, self.p), 256)
        inner = (struct.pack("<I", CLIENT_DH_INNER_DATA) + self.nonce + self.server_nonce
                 + struct.pack("<q", self.retry_id) + tl_bytes(be(g_b, 256)))
        self.state = "dh_gen"
        return (struct.pack("<I", SET_CLIENT_DH_PARAMS) + self.nonce + self.server_nonce
                + tl_bytes(with_hash_encrypt(inner, self.tmp_key, self.tmp_iv)))

    def _dh_gen(self, r, ctor):
        if r.take(16) != self.nonce or r.take(16) != self.server_nonce:
            raise HandshakeError("dh_gen: nonce or server_nonce differs")
        got = r.take(16)
        number = {DH_GEN_OK: 1, DH_GEN_RETRY: 2, DH_GEN_FAIL: 3}[ctor]
        if got != new_nonce_hash(self.new_nonce, number, self.pending_key):
            raise HandshakeError(f"new_nonce_hash{number} mismatch")
        if ctor == DH_GEN_FAIL:
            raise HandshakeError("dh_gen_fail")
        if ctor == DH_GEN_RETRY:
            self.retry_id = struct.unpack("<q", hashlib.sha1(self.pending_key).digest()[:8])[0]
            return self._set_dh()
        self.auth_key = self.pending_key
        self.salt = bytes(a ^ b for a, b in zip(self.new_nonce[:8], self.server_nonce[:8]))
        self.state = "done"
        return None
