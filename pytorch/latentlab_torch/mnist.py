"""MNIST from the idx files Latent Lab reads (assets/mnist, make data)."""

import gzip
import hashlib
import os
import struct

import numpy as np

FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


def _read(path, magic, dims):
    for p in (path, path + ".gz"):
        if os.path.exists(p):
            opener = gzip.open if p.endswith(".gz") else open
            with opener(p, "rb") as f:
                b = f.read()
            break
    else:
        raise FileNotFoundError("%s(.gz) not found: run make data, or give --data DIR" % path)
    if len(b) < 4 + 4 * dims:
        raise ValueError("%s: %d bytes, too short for an idx header" % (p, len(b)))
    m, *shape = struct.unpack(">%dI" % (1 + dims), b[:4 + 4 * dims])
    if m != magic:
        raise ValueError("%s: magic %#x, want %#x" % (p, m, magic))
    body = np.frombuffer(b, dtype=np.uint8, offset=4 + 4 * dims)
    if body.size != int(np.prod(shape)):
        raise ValueError("%s: %d bytes of data for shape %s" % (p, body.size, shape))
    return body.reshape(shape)


def load(data_dir, split="train"):
    """Returns (pixels uint8 (N, 784), labels uint8 (N)) of a split."""
    img, lab = FILES[split]
    x = _read(os.path.join(data_dir, img), 0x803, 3)
    y = _read(os.path.join(data_dir, lab), 0x801, 1)
    if len(x) != len(y):
        raise ValueError("%s: %d images and %d labels" % (data_dir, len(x), len(y)))
    return x.reshape(len(x), -1), y


def floats(pix):
    """Pixels as float32 in [0, 1], byte/255 as the Go core computes it."""
    return pix.astype(np.float32) / np.float32(255)


# The sets the Go core knows by the hash of their contents
# (core/data/dataset.go).
KNOWN = {
    "4797772c2fe8b19bc4124a9f00c9fd8fa26ebf530c34364364f559dd74f505d9": "mnist",
    "d60c9bd5569617ec48c7bb460ac1b7e72014cc6012814db03437c1561715f01c": "fashion-mnist",
}


def dataset_meta(data_dir):
    """The "dataset" and "dataset_hash" a file trained on data_dir records,
    as the Go core's data.Dataset computes them: the SHA-256 of the
    training then the test set's sizes (uint32 little-endian N, rows, cols),
    pixels and labels; the set's name by that hash, else the folder's."""
    h = hashlib.sha256()
    for split in ("train", "test"):
        img, lab = FILES[split]
        x = _read(os.path.join(data_dir, img), 0x803, 3)
        y = _read(os.path.join(data_dir, lab), 0x801, 1)
        h.update(struct.pack("<3I", *x.shape))
        h.update(x.tobytes())
        h.update(y.tobytes())
    digest = h.hexdigest()
    name = KNOWN.get(digest, os.path.basename(os.path.normpath(data_dir)))
    return {"dataset": name, "dataset_hash": digest}
