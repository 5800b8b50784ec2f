#!/usr/bin/env python3
"""Reads a lookahead4j checkpoint (a safetensors file) with the Python standard library only.

    read_safetensors.py FILE            prints JSON: {"metadata": {...}, "tensors": {name: {"dtype", "shape", "values"}}}

It checks what a reader relies on: the 8-byte little-endian header length, the JSON header, that each
tensor is F32 with shape [n] and data_offsets [begin, end] of n*4 bytes inside the data section, and each
tensor's CRC32C (Castagnoli, as java.util.zip.CRC32C) against __metadata__["crc32c"]. Exit status 1
with a message on stderr when any check fails. Values are printed as Python floats (exact for float32).
"""
import json
import struct
import sys


def _crc32c_table():
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_TABLE = _crc32c_table()


def crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c = _TABLE[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def read(path):
    with open(path, "rb") as f:
        blob = f.read()
    if len(blob) < 8:
        raise ValueError("shorter than the 8-byte header length")
    (n,) = struct.unpack("<Q", blob[:8])
    if n > len(blob) - 8:
        raise ValueError("header length %d past the end of a %d-byte file" % (n, len(blob)))
    header = json.loads(blob[8:8 + n].decode("utf-8"))
    data = blob[8 + n:]
    meta = header.pop("__metadata__", {})
    crcs = json.loads(meta.get("crc32c", "{}"))
    tensors = {}
    for name, t in header.items():
        if t["dtype"] != "F32":
            raise ValueError("%s: dtype %s" % (name, t["dtype"]))
        (size,) = t["shape"]
        begin, end = t["data_offsets"]
        if not (0 <= begin <= end <= len(data)) or end - begin != 4 * size:
            raise ValueError("%s: bad data_offsets %r for shape %r" % (name, t["data_offsets"], t["shape"]))
        raw = data[begin:end]
        if name in crcs and int(crcs[name], 16) != crc32c(raw):
            raise ValueError("%s: CRC32C mismatch" % name)
        tensors[name] = {"dtype": t["dtype"], "shape": t["shape"],
                         "values": list(struct.unpack("<%df" % size, raw))}
    return meta, tensors


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        meta, tensors = read(argv[1])
    except (ValueError, KeyError, UnicodeDecodeError) as e:
        print("error: %s" % e, file=sys.stderr)
        return 1
    json.dump({"metadata": meta, "tensors": tensors}, sys.stdout, allow_nan=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
