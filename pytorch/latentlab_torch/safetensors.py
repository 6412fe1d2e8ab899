"""Reads and writes .safetensors files, the format of Latent Lab's weights.

Debian has no safetensors package, and the format is small: an 8-byte
little-endian header length, a JSON header ({"__metadata__": {...},
"name": {"dtype", "shape", "data_offsets"}}), then the tensors' bytes,
little-endian and row-major. The reader accepts what Latent Lab's Go reader
accepts (F32, F16, I64; byte ranges that tile the data exactly) and names
the field at fault otherwise; the writer lays the file out as the Go writer
does (metadata first, keys sorted, header padded with spaces to 8 bytes).
"""

import json
import struct

import numpy as np

DTYPES = {"F32": np.dtype("<f4"), "F16": np.dtype("<f2"), "I64": np.dtype("<i8")}
MAX_HEADER = 100 << 20


class FormatError(ValueError):
    """A file that is not a valid .safetensors file of the dtypes read here."""


def loads(b):
    """Returns (metadata dict, {name: numpy array}) of the file's bytes b,
    in the file's order. F16 tensors are returned as float32."""
    if len(b) < 8:
        raise FormatError("safetensors: %d bytes, too short for the header length" % len(b))
    (n,) = struct.unpack("<Q", b[:8])
    if n > min(MAX_HEADER, len(b) - 8):
        raise FormatError("safetensors: header length %d, the file has %d bytes after it" % (n, len(b) - 8))
    try:
        header = json.loads(b[8:8 + n].decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise FormatError("safetensors: header is not JSON: %s" % e)
    if not isinstance(header, dict):
        raise FormatError("safetensors: header is not a JSON object")
    data = memoryview(b)[8 + n:]
    meta = header.pop("__metadata__", None) or {}
    if not isinstance(meta, dict) or not all(isinstance(v, str) for v in meta.values()):
        raise FormatError("safetensors: __metadata__ must be an object of strings")
    tensors, ranges = {}, []
    for name, info in header.items():
        try:
            dtype = DTYPES[info["dtype"]]
            shape = [int(d) for d in info["shape"]]
            lo, hi = (int(o) for o in info["data_offsets"])
        except (KeyError, TypeError, ValueError):
            raise FormatError("safetensors: tensor %s: want dtype F32, F16 or I64, a shape and data_offsets, got %r" % (name, info))
        if any(d < 0 for d in shape) or not 0 <= lo <= hi <= len(data):
            raise FormatError("safetensors: tensor %s: bad shape %s or offsets [%d, %d) in %d data bytes" % (name, shape, lo, hi, len(data)))
        count = int(np.prod(shape, dtype=np.int64))
        if count * dtype.itemsize != hi - lo:
            raise FormatError("safetensors: tensor %s: shape %s needs %d bytes, offsets give %d" % (name, shape, count * dtype.itemsize, hi - lo))
        a = np.frombuffer(data[lo:hi], dtype=dtype).reshape(shape)
        tensors[name] = a.astype(np.float32) if dtype == DTYPES["F16"] else a.copy()
        ranges.append((lo, hi, name))
    at = 0
    for lo, hi, name in sorted(ranges):
        if lo != at:
            raise FormatError("safetensors: tensor %s starts at byte %d, not %d: the data has a gap or an overlap" % (name, lo, at))
        at = hi
    if at != len(data):
        raise FormatError("safetensors: %d bytes after the last tensor" % (len(data) - at))
    return meta, tensors


def load(path):
    """loads of the file at path; a FormatError names the file."""
    with open(path, "rb") as f:
        b = f.read()
    try:
        return loads(b)
    except FormatError as e:
        raise FormatError("%s: %s" % (path, e))


def dumps(tensors, meta=None, dtype="F32"):
    """Returns the bytes of a file holding tensors ((name, array) pairs in
    order, or a dict), float arrays as dtype (F32 or F16), integer arrays
    as I64, with the string metadata meta."""
    items = list(tensors.items()) if isinstance(tensors, dict) else list(tensors)
    header, chunks, at = {}, [], 0
    if meta:
        header["__metadata__"] = {k: str(meta[k]) for k in sorted(meta)}
    for name, a in items:
        a = np.asarray(a)
        if a.dtype.kind in "iu":
            code = "I64"
        elif a.dtype.kind == "f":
            code = dtype
        else:
            raise TypeError("safetensors: tensor %s has dtype %s" % (name, a.dtype))
        raw = np.ascontiguousarray(a, dtype=DTYPES[code]).tobytes()
        header[name] = {"dtype": code, "shape": list(a.shape), "data_offsets": [at, at + len(raw)]}
        chunks.append(raw)
        at += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * (-len(h) % 8)
    return struct.pack("<Q", len(h)) + h + b"".join(chunks)


def dump(path, tensors, meta=None, dtype="F32"):
    """Writes dumps(tensors, meta, dtype) to path, through a temporary file
    and a rename so that a crash never leaves half a file under that name."""
    import os
    tmp = "%s.%d.tmp" % (path, os.getpid())
    with open(tmp, "wb") as f:
        f.write(dumps(tensors, meta, dtype))
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
