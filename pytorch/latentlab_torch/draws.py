"""The random draws of a training step, by stream, as the Go core names
them: "noise" (prior samples, and the semi-supervised regulariser's
categorical samples), "posterior" (ε of a Gaussian posterior, η of a
universal one), "input" (an encoder's input noise), "input_dropout" (its
input's dropout mask, drawn for the whole batch), "dropout.NET" (the masks
of network NET, 0 or 1/(1-p)).

Two sources share one interface. Sampler draws them afresh, from numpy
generators seeded by the config's seed and the stream's name; a training
continues the Go core's model with the same distributions, not the same
numbers. Replay hands out, stream by stream and in order, the values the Go
core drew in a trace (latentlab trace), so that the same step can be
compared number for number.

Whole-batch streams are drawn for the whole batch and sliced by the
caller, as the Go core's data-parallel replicas do: every process of a
distributed run draws the same prior samples and keeps its rows. Dropout
masks are drawn per process, for its rows.
"""

import math
import zlib

import numpy as np
import torch

COMPONENTS = 10
MIXTURE_RADIUS, MIXTURE_RADIAL_STD, MIXTURE_TANGENT_STD = 1.4, 0.5, 0.05
SWISS_RADIUS, SWISS_TURN = 3.0, 4 * math.pi


def _spiral_length(phi):
    return (phi * np.sqrt(1 + phi * phi) + np.arcsinh(phi)) / 2


def swiss_point(t, scale):
    """The point at fraction t of the swiss roll's arc length (prior.go)."""
    s = t * _spiral_length(SWISS_TURN)
    phi = np.sqrt(2 * s)
    for _ in range(30):
        phi = phi - (_spiral_length(phi) - s) / np.sqrt(1 + phi * phi)
    rad = SWISS_RADIUS * phi / SWISS_TURN * scale
    return rad * np.cos(phi), rad * np.sin(phi)


def sample_prior(rng, name, n, lat, scale, labels=None):
    """n samples (float32 (n, lat)) of the prior name, as package prior
    defines it; with labels, row i from the component or segment of label
    i (a label of 10 or more: anywhere)."""
    if name == "gaussian":
        return (rng.standard_normal((n, lat)) * scale).astype(np.float32)
    if name == "uniform":
        return ((2 * rng.random((n, lat)) - 1) * scale).astype(np.float32)
    z = np.empty((n, lat))
    z[:, 2:] = rng.standard_normal((n, lat - 2)) * scale
    if name == "mixture":
        k = rng.integers(0, COMPONENTS, n)
        if labels is not None:
            k = np.where(labels < COMPONENTS, labels, k)
        a = MIXTURE_RADIUS + MIXTURE_RADIAL_STD * rng.standard_normal(n)
        b = MIXTURE_TANGENT_STD * rng.standard_normal(n)
        ang = 2 * math.pi * k / COMPONENTS
        c, s = np.cos(ang), np.sin(ang)
        z[:, 0], z[:, 1] = (a * c - b * s) * scale, (a * s + b * c) * scale
    elif name == "swissroll":
        t = rng.random(n)
        if labels is not None:
            t = np.where(labels < COMPONENTS, (labels + t) / COMPONENTS, t)
        z[:, 0], z[:, 1] = swiss_point(t, scale)
    else:
        raise ValueError("unknown prior %r (want gaussian, mixture, swissroll or uniform)" % name)
    return z.astype(np.float32)


class Sampler:
    """Fresh draws from numpy generators, one per stream, seeded by seed
    and the stream's name (and rank, for dropout masks)."""

    device = "cpu"  # where the draws go

    def __init__(self, seed, rank=0):
        self.seed, self.rank, self.gens = seed, rank, {}

    def _gen(self, stream):
        g = self.gens.get(stream)
        if g is None:
            own = self.rank if stream.startswith("dropout.") else 0
            g = np.random.Generator(np.random.PCG64([self.seed, zlib.crc32(stream.encode()), own]))
            self.gens[stream] = g
        return g

    def normal(self, stream, shape, std):
        return torch.from_numpy((self._gen(stream).standard_normal(shape) * std).astype(np.float32)).to(self.device)

    def prior(self, stream, name, n, lat, scale, labels=None):
        lab = None if labels is None else np.asarray(labels, dtype=np.int64)
        return torch.from_numpy(sample_prior(self._gen(stream), name, n, lat, scale, lab)).to(self.device)

    def categorical(self, stream, n, k):
        y = np.zeros((n, k), dtype=np.float32)
        y[np.arange(n), self._gen(stream).integers(0, k, n)] = 1
        return torch.from_numpy(y).to(self.device)

    def dropout(self, stream, shape, p):
        keep = np.float32(1 / (1 - p))
        u = self._gen(stream).random(shape)
        return torch.from_numpy(np.where(u < p, np.float32(0), keep).astype(np.float32)).to(self.device)


class ReplayError(AssertionError):
    """The PyTorch step drew differently from the Go step it replays."""


class Replay:
    """The draws of a trace's steps, handed out in the order the Go core
    drew them, stream by stream. begin(i) loads step i's; end() checks that
    the step took every one."""

    def __init__(self, tensors):
        self.tensors, self.queues, self.step = tensors, {}, None

    def begin(self, step):
        self.step, self.queues = step, {}
        prefix = "step.%d.draw." % step
        draws = []
        for name in self.tensors:
            if name.startswith(prefix):
                k, stream = name[len(prefix):].split(".", 1)
                draws.append((int(k), stream, self.tensors[name]))
        for _, stream, a in sorted(draws, key=lambda d: d[0]):
            self.queues.setdefault(stream, []).append(a)

    def end(self):
        left = {s: len(q) for s, q in self.queues.items() if q}
        if left:
            raise ReplayError("step %d: the Go step drew more than this one: %s left" % (self.step, left))

    def _next(self, stream, shape):
        q = self.queues.get(stream)
        if not q:
            raise ReplayError("step %d: this step draws from %s more often than the Go step" % (self.step, stream))
        a = q.pop(0)
        if a.size != int(np.prod(shape)):
            raise ReplayError("step %d: a draw of %s has %d values, this step wants %s" % (self.step, stream, a.size, tuple(shape)))
        return torch.from_numpy(np.array(a, dtype=np.float32).reshape(shape))

    def normal(self, stream, shape, std):
        return self._next(stream, shape)

    def prior(self, stream, name, n, lat, scale, labels=None):
        return self._next(stream, (n, lat))

    def categorical(self, stream, n, k):
        return self._next(stream, (n, k))

    def dropout(self, stream, shape, p):
        return self._next(stream, shape)
