"""The training batches of a config, exactly as the Go core's training
session serves them (core/train.New, data.Batcher, data.LabelledSubset):
the same digits, in the same order, with the same labels hidden."""

import numpy as np
import torch

from . import gorand, mnist
from .kinds import UNLABELLED, Batch


class Batches:
    def __init__(self, cfg, pix, labels):
        valid, b, seed = cfg["valid"], cfg["batch"], cfg["seed"]
        n = len(pix) - valid
        if valid and n <= 0:
            raise ValueError("valid %d holds out all of the %d training images" % (valid, len(pix)))
        if n < b:
            raise ValueError("batch %d is larger than the %d training images" % (b, n))
        self.pix, self.labels = pix[:n], labels[:n]
        self.batch_labels = self.labels
        self.lbatcher = None
        if cfg["labels"] > 0:
            idx = np.array(gorand.labelled_subset([int(l) for l in self.labels], cfg["labels"], seed))
            lb = min(b, len(idx))
            if len(idx) < n:
                self.batch_labels = np.full(n, UNLABELLED, dtype=np.uint8)
                self.batch_labels[idx] = self.labels[idx]
                self.lset = idx
            else:
                self.lset = np.arange(n)
            self.lbatcher = gorand.Batcher(len(self.lset), lb, seed + 1)
        self.batcher = gorand.Batcher(n, b, seed)

    def restore(self, tensors, prefix="training."):
        """Continues a Go checkpoint's batch orders (its training.batches.*
        and training.labelled.* tensors); returns whether it had them."""
        parts = [(prefix + "batches.", self.batcher), (prefix + "labelled.", self.lbatcher)]
        if prefix + "batches.order" not in tensors:
            return False
        for p, b in parts:
            if b is None:
                continue
            try:
                b.restore(tensors[p + "order"], tensors[p + "rand"], tensors[p + "position"])
            except KeyError as e:
                raise ValueError("the checkpoint has no %s" % e)
            except ValueError as e:
                raise ValueError("the checkpoint's %s: %s (is it of the same training set?)" % (p.rstrip("."), e))
        return True

    @property
    def epoch(self):
        return self.batcher.epoch

    @property
    def per_epoch(self):
        return self.batcher.per_epoch

    def next(self):
        """The next step's Batch."""
        idx = self.batcher.next()
        x = torch.from_numpy(mnist.floats(self.pix[idx]))
        b = Batch(x, self.batch_labels[idx].astype(np.int64))
        if self.lbatcher is not None:
            li = self.lset[self.lbatcher.next()]
            b.lx = torch.from_numpy(mnist.floats(self.pix[li]))
            b.llabels = self.labels[li].astype(np.int64)
        return b


def load(cfg, data_dir):
    pix, labels = mnist.load(data_dir, "train")
    return Batches(cfg, pix, labels)
