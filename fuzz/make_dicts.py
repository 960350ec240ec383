#!/usr/bin/env python3
"""Write the libFuzzer dictionaries fuzz/dicts/<target>.dict (run from the repository root:
python3 fuzz/make_dicts.py). Entries are byte strings the targets' parsers compare against:
TL constructor ids (from the generated code, little-endian as on the wire), transport tags and
lengths, quick-ack and error markers, obfuscation prefixes, handshake ids, DH/pq magic values.
`cargo fuzz run T` does not pick a dictionary up by itself: pass `-- -dict=dicts/T.dict`
(the CI smoke step does)."""
import pathlib, re

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "fuzz" / "dicts"
GEN = (ROOT / "harness/mtproto/src/tl/generated.rs").read_text()


def esc(b):
    return "".join(f"\\x{x:02x}" for x in b)


def le32(v):
    return (v & 0xFFFFFFFF).to_bytes(4, "little")


def ids(schema):
    """Constructor ids of one schema module of the generated code, with their names."""
    start = GEN.index(f"pub mod {schema} {{")
    nxt = GEN.find("\npub mod ", start + 1)
    part = GEN[start: nxt if nxt > 0 else len(GEN)]
    out = {}
    for m in re.finditer(r'CONSTRUCTOR_ID: u32 = 0x([0-9a-f]{8});\s*const NAME: &\'static str = "([^"]+)"', part):
        out[m.group(2) + "_" + m.group(1)] = le32(int(m.group(1), 16))
    return out


MT = ids("mtproto")
SECRET = ids("secret")
TL_COMMON = {"vector": le32(0x1CB5C415), "bool_true": le32(0x997275B5), "bool_false": le32(0xBC799737),
             "bytes_long_form": b"\xfe", "bytes_len_253": b"\xfe\xfd\x00\x00", "gzip_magic": b"\x1f\x8b\x08"}
TRANSPORT = {
    "abridged_tag": b"\xef", "intermediate_tag": b"\xee\xee\xee\xee", "padded_tag": b"\xdd\xdd\xdd\xdd",
    "abridged_long": b"\x7f", "abridged_long_ack": b"\xff", "len_top_bit": b"\x00\x00\x00\x80",
    "quick_ack_marker": b"\xff\xff\xff\xff", "err_404": le32(-404), "err_429": le32(-429), "err_444": le32(-444),
    "len_2_24": b"\x00\x00\x00\x01", "len_2_24_minus_1": b"\xff\xff\xff\x00", "full_len_12": b"\x0c\x00\x00\x00",
    "abridged_2_24_words": b"\x7f\x00\x00\x40",
}
OBFUSCATED = {
    "head": b"HEAD", "post": b"POST", "get": b"GET ", "opti": b"OPTI", "tls": b"\x16\x03\x01\x02",
    "tag_abridged4": b"\xef\xef\xef\xef", "zero4": b"\x00\x00\x00\x00", "secret_dd": b"\xdd",
}
HANDSHAKE = {k: v for k, v in MT.items() if any(s in k for s in (
    "req_pq", "resPQ", "p_q_inner", "req_DH", "server_DH", "set_client", "client_DH", "dh_gen"))}
ENVELOPE = {"auth_key_id_zero": bytes(8), "msg_len_0": bytes(4), "padding_12": le32(12), "len_1024": le32(1024)}
SESSION = {"msg_container": le32(0x73F1F8DC), "msgs_ack": le32(0x62D6B459)}
DH = {"telegram_p_top": bytes.fromhex("c71caeb9"), "modp_top": bytes.fromhex("ffffffffffffffffc90fdaa2"),
      "g2": b"\x02", "g3": b"\x03", "g7": b"\x07", "one": b"\x01", "zeros8": bytes(8), "ff8": b"\xff" * 8}
PQ = {"sample_pq": bytes.fromhex("17ed48941a08f981"), "p": bytes.fromhex("494c553b"), "q": bytes.fromhex("53911073"),
      "u32_max": b"\xff\xff\xff\xff", "two_63": bytes.fromhex("8000000000000000")}

# Call seqs (big-endian: flag bits 31 and 30, counters 1, 2^30 - 1, 2^30) and the 64-counter window.
CALL = {"seq_single": b"\x80\x00\x00\x01", "seq_ack": b"\x40\x00\x00\x01", "seq_1": b"\x00\x00\x00\x01",
        "seq_max": b"\x3f\xff\xff\xff", "seq_limit": b"\x40\x00\x00\x00", "delta_64": le32(64)[:2],
        "delta_minus_64": (-64).to_bytes(2, "little", signed=True)}
CALL_EXCHANGE = {"top_bit_word": b"\x80" + bytes(7), "ff8": b"\xff" * 8, "zeros8": bytes(8)}
RSA = {**{k: v for k, v in HANDSHAKE.items() if "p_q_inner" in k}, "e_65537": bytes.fromhex("010001"),
       "e_padded": bytes.fromhex("00010001"), "len_256_le": (256).to_bytes(2, "little"),
       "len_257_le": (257).to_bytes(2, "little"), "len_long_form": b"\xfe\x00\x01\x00",
       "zero_run": bytes(4)}

TARGETS = {
    "ige_differential": {"one_block": bytes(16)},
    "envelope_decrypt": ENVELOPE,
    "envelope_roundtrip": ENVELOPE,
    "envelope_parse": ENVELOPE,
    "unencrypted_decode": {**ENVELOPE, **{k: v for k, v in MT.items() if "req_pq" in k or "resPQ" in k}},
    "tl_bytes": TL_COMMON,
    "tl_decode": {**TL_COMMON, **MT, **SECRET},
    "transport_abridged": TRANSPORT,
    "transport_intermediate": TRANSPORT,
    "transport_padded": TRANSPORT,
    "transport_full": TRANSPORT,
    "transport_obfuscated": {**TRANSPORT, **OBFUSCATED},
    "session_client": SESSION,
    "session_server": SESSION,
    "handshake_client": {**HANDSHAKE, **TL_COMMON},
    "handshake_server": {**HANDSHAKE, **TL_COMMON},
    "dh_checks": DH,
    "pq": PQ,
    "secret_chat": {k: v for k, v in SECRET.items() if "ecryptedMessage" in k},
    "call_packet": CALL,
    "call_exchange": CALL_EXCHANGE,
    "rsa": RSA,
}

OUT.mkdir(parents=True, exist_ok=True)
for target, entries in TARGETS.items():
    lines = [f"# {target}: written by fuzz/make_dicts.py"]
    lines += [f'{re.sub(r"[^A-Za-z0-9_]", "_", name)}="{esc(value)}"' for name, value in sorted(entries.items())]
    (OUT / f"{target}.dict").write_text("\n".join(lines) + "\n")
