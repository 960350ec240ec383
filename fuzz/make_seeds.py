#!/usr/bin/env python3
"""Write the committed seed inputs under fuzz/seeds/<target>/ from the shipped vectors.

Each seed is laid out the way the target's entry point in mtproto::fuzzing reads its bytes with
`arbitrary::Unstructured` (a bool is one byte, low bit set = true; arrays are raw bytes).
Run from the repository root: python3 fuzz/make_seeds.py
"""
import hashlib, json, os, pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
SEEDS = ROOT / "fuzz" / "seeds"


def write(target, data):
    d = SEEDS / target
    d.mkdir(parents=True, exist_ok=True)
    (d / hashlib.sha1(data).hexdigest()).write_bytes(data)


def cases(path):
    doc = json.loads((ROOT / path).read_text())
    for g in doc["testGroups"]:
        for t in g["tests"]:
            yield g, t


def pick(seq, n):
    seq = list(seq)
    step = max(1, len(seq) // n)
    return seq[::step][:n]


# envelope_decrypt: [key: 0 = own key follows][256-byte key][receiver: 1 = client][no id prefix][packet]
for g, t in pick(cases("vectors/envelope/envelope_decrypt_test.json"), 24):
    recv = b"\x01" if g["receiver"] == "client" else b"\x00"
    write("envelope_decrypt", b"\x00" + bytes.fromhex(t["authKey"]) + recv + b"\x00" + bytes.fromhex(t["packet"]))

# ige_differential: [aes256][encrypt][iv 32][key 32][cut blocks][data]
for g, t in pick(cases("vectors/ige/aes256_ige_test.json"), 12):
    key = bytes.fromhex(t["key"])
    write("ige_differential", b"\x01\x01" + bytes.fromhex(t["iv"]) + key + b"\x02" + bytes.fromhex(t["msg"]))
for g, t in cases("vectors/ige/aes128_ige_openssl_test.json"):
    key = bytes.fromhex(t["key"]).ljust(32, b"\x00")
    write("ige_differential", b"\x00\x00" + bytes.fromhex(t["iv"]) + key + b"\x01" + bytes.fromhex(t["ct"]))

# envelope_parse and envelope_roundtrip: plaintext-shaped bytes.
for body_len, pad in [(0, 16), (4, 12), (8, 8), (12, 1028), (2, 30), (88, 24)]:
    header = (1).to_bytes(8, "little") * 3 + (1).to_bytes(4, "little") + body_len.to_bytes(4, "little")
    write("envelope_parse", header + b"\x11" * body_len + b"\x22" * pad)
for n in [0, 64, 300]:
    write("envelope_roundtrip", bytes([1]) + bytes(range(256)) * 2 + bytes(n))

# unencrypted_decode and tl_bytes
write("unencrypted_decode", bytes(8) + (0x51E57AC42770964A).to_bytes(8, "little") + (4).to_bytes(4, "little") + b"\x78\x97\x46\x60")
write("unencrypted_decode", bytes(8) + bytes(8) + (5).to_bytes(4, "little") + b"abcde")
for data in [b"", b"\x00\x00\x00\x00", b"\x03abc", b"\xfe\x00\x01\x00" + bytes(256), b"\xfe\x03\x00\x00abc\x00", b"\x01a\x00\x07"]:
    write("tl_bytes", data)

# tl_decode: [type index][bytes]; index 0 = mtproto Object, 1 = secret Object (TYPES in fuzzing/tl.rs).
for g, t in pick(cases("vectors/tl/tl_codec_test.json"), 48):
    if "bytes" in t:
        write("tl_decode", bytes([0 if g["schema"] == "mtproto" else 1]) + bytes.fromhex(t["bytes"]))


# transport_*: [flags: bit 0 = server to client][n][n x u16 LE cut points][stream]
def transport_seed(direction, stream, cuts):
    flags = 1 if direction == "serverToClient" else 0
    return bytes([flags, len(cuts)]) + b"".join(c.to_bytes(2, "little") for c in cuts) + stream


plain_streams = {}
for g, t in cases("vectors/transport/transport_test.json"):
    stream = bytes.fromhex(t["stream"])
    if g.get("obfuscated"):
        continue
    plain_streams.setdefault((g["transport"], g["direction"]), []).append(stream)
    cuts = sorted({1, len(stream) // 2, max(0, len(stream) - 1)})
    write("transport_" + g["transport"], transport_seed(g["direction"], stream, cuts))

# transport_obfuscated: [kind 0/1/2][secret mode 0 none/1 16 bytes/2 dd+16][secret 16][init 64]
# then a transport_* input carrying a plaintext stream (a plain stream of that framing, its tag dropped).
KINDS = {"abridged": 0, "intermediate": 1, "padded": 2}
TAGS = {"abridged": 1, "intermediate": 4, "padded": 4}
for g, t in cases("vectors/transport/transport_test.json"):
    if not g.get("obfuscated") or "init" not in t:
        continue
    kind = g["transport"]
    init = bytes.fromhex(t["init"])
    secret = bytes.fromhex(g["secret"]) if g.get("secret") else b""
    mode = 0 if not secret else (2 if len(secret) == 17 else 1)
    secret16 = secret[-16:] if secret else bytes(16)
    for direction in ["clientToServer", "serverToClient"]:
        for stream in plain_streams.get((kind, direction), [])[:3]:
            if direction == "clientToServer":
                stream = stream[TAGS[kind]:]
            write("transport_obfuscated", bytes([KINDS[kind], mode]) + secret16 + init
                  + transport_seed(direction, stream, [1, len(stream) // 2]))

# session_client / session_server: [window][synced] then per message
# [container? (0 mod 7)][id mode 7 = raw][msg_id i64 LE][seq_no][content][salt][session][dt u16 LE]
for receiver in ["client", "server"]:
    for g, t in pick(cases(f"vectors/session/msg_id_trace_{receiver}_test.json"), 16):
        window = g.get("windowSize", 1000)
        out = bytes([0x80 if window >= 1000 else (window - 1) % 8, 1 if g.get("clockSynced") else 0])
        for s in t["steps"][:64]:
            if "msgId" not in s:
                continue
            msg_id = int.from_bytes(bytes.fromhex(s["msgId"]), "little")
            out += bytes([1, 7]) + msg_id.to_bytes(8, "little") + bytes([s.get("seqNo", 0) % 12, 1 if s.get("contentRelated") else 0, 0, 1]) + bytes(2)
        write("session_" + receiver, out)

# handshake_client / handshake_server: [seed u64][temporary][tamper...]; an enum variant is chosen
# by (u32 * variants) >> 32, so 0 is `Deliver` and every all-zero tail is the honest exchange.
for seed in range(3):
    for temporary in [0, 1]:
        honest = seed.to_bytes(8, "little") + bytes([temporary]) + bytes(24)
        write("handshake_client", honest)
        write("handshake_server", honest)
# server: [seed][temporary][3 tampers][4 answers: 0 Ok / 1 Retry / 2 Fail of 3][3 resends: 0 Sent(tamper) / 1 Replay of 2]
RETRY, FAIL, REPLAY = (1 << 32) // 3 + 1, (2 << 32) // 3 + 1, 1 << 31
def answers(*a):
    return b"".join(v.to_bytes(4, "little") for v in (list(a) + [0] * 4)[:4])
for ans, resends in [((RETRY,), b""), ((RETRY,), REPLAY.to_bytes(4, "little")),
                     ((RETRY, RETRY, FAIL), b""), ((FAIL,), b""), ((RETRY, RETRY, RETRY), b"")]:
    write("handshake_server", bytes(8) + b"\x01" + bytes(12) + answers(*ans) + resends)
# client: dh_gen answered by a forged dh_gen_retry (variant 1 of 4) and dh_gen_fail (2 of 4).
for variant in [1, 2, 3]:
    v = (variant << 32) // 4 + 1
    write("handshake_client", bytes(8) + b"\x00" + bytes(8) + v.to_bytes(4, "little") + bytes(8))

# dh_checks: [mode 0 = params][psel][gsel][g_raw][pos0][pos1][x0][x1][p bytes]
# (psel / 2 % 4 == 2: p is the bytes that follow; gsel % 4 == 1: g = g_raw % 10 - 1)
for g, t in pick(cases("vectors/dh/dh_params_test.json"), 24):
    gv = t.get("g", g.get("g", 3))
    write("dh_checks", bytes([0, 4, 1, (gv + 1) % 256, 0, 0, 0, 0]) + bytes.fromhex(t["p"]))
for psel in range(8):
    write("dh_checks", bytes([0, psel, 0, 0, 0, 255, 1, 0]))
# mode 4 = values: [gsel 0 Telegram / 1 RFC 3526][vsel 4 = the bytes that follow][delta][zeros]
for g, t in pick(cases("vectors/dh/dh_value_test.json"), 24):
    gsel = 0 if g["p"].startswith("c71c") else 1
    write("dh_checks", bytes([4, gsel, 4, 0, 0]) + bytes.fromhex(t["value"]))
for vsel in range(4):
    for delta in [0, 1, 255]:
        write("dh_checks", bytes([4, 0, vsel, delta, 0]))
# mode 7 = agreement: [gsel][a 256][b 256]
write("dh_checks", bytes([7, 0]) + bytes(range(256)) + bytes(reversed(range(256))))

# pq: [mode 2 = big-endian pq as sent][pq]; mode 0 = two 32-bit seeds of model primes
for g, t in pick(cases("vectors/pq/pq_test.json"), 32):
    write("pq", bytes([2]) + bytes.fromhex(t["pq"]))
write("pq", bytes([0]) + (0x494C553B).to_bytes(4, "little") + (0x53911073).to_bytes(4, "little"))
write("pq", bytes([1]) + (0x17ED48941A08F981).to_bytes(8, "little"))

# secret_chat: [key seed] then ops; an op's variant is (u32 * 8) >> 32:
# 0 Send(from_a, u16) 1 Deliver(u16) 2 Duplicate(u16) 3 Tamper(u16, u16) 4 Replay(u16) 5 Drop(u16)
# 6 Garbage(to_a, bytes) 7 Rekey(from_a, u8)
def op(k, *fields):
    return ((k << 29) + 1).to_bytes(4, "little") + b"".join(fields)


def u16(v):
    return v.to_bytes(2, "little")


in_order = b"".join(op(0, bytes([i & 1]), u16(i)) + op(1, u16(0)) for i in range(8))
reordered = b"".join(op(0, bytes([1]), u16(i)) for i in range(6)) + b"".join(op(1, u16(5 - i)) for i in range(6))
hostile = (b"".join(op(0, bytes([i & 1]), u16(i)) for i in range(6)) + op(3, u16(1), u16(77)) + op(2, u16(0))
           + op(5, u16(2)) + op(1, u16(0)) + op(4, u16(0)) + op(1, u16(1)) + op(1, u16(0)))
rekey = op(0, b"\x01", u16(1)) + op(7, b"\x01", b"\x01") + b"".join(op(1, u16(0)) for _ in range(8))
for seed, ops in enumerate([in_order, reordered, hostile, rekey]):
    write("secret_chat", bytes([seed]) + ops)
