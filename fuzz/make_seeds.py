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
