"""Go's PCG generator and the integer draws Latent Lab's data path makes
with it, bit for bit: the batch order (data.Batcher) and the labelled
subset (data.LabelledSubset). With them a PyTorch run sees the same
batches in the same order as the Go core with the same seed."""

M64 = (1 << 64) - 1
M128 = (1 << 128) - 1
_MUL = (2549297995355413924 << 64) | 4865540595714422341
_INC = (6364136223846793005 << 64) | 1442695040888963407
_CHEAP = 0xDA942042E4DD58B5

# The stream of data.Batcher's generator ("latentla"); LabelledSubset uses
# the next one.
PCG_STREAM = 0x6C6174656E746C61


class PCG:
    """math/rand/v2's PCG: a 128-bit LCG with the DXSM output function."""

    def __init__(self, seed1, seed2):
        self.state = ((seed1 & M64) << 64) | (seed2 & M64)

    def uint64(self):
        self.state = (self.state * _MUL + _INC) & M128
        hi, lo = self.state >> 64, self.state & M64
        hi ^= hi >> 32
        hi = (hi * _CHEAP) & M64
        hi ^= hi >> 48
        return (hi * (lo | 1)) & M64

    def uint64n(self, n):
        """A uniform integer in [0, n), as Rand.IntN draws it."""
        if n & (n - 1) == 0:
            return self.uint64() & (n - 1)
        return self.batcher_uintn(n)

    def batcher_uintn(self, n):
        """data.Batcher's uintn: Lemire's method, without the power-of-two
        shortcut of Rand.IntN."""
        p = self.uint64() * n
        hi, lo = p >> 64, p & M64
        if lo < n:
            thresh = (-n & M64) % n
            while lo < thresh:
                p = self.uint64() * n
                hi, lo = p >> 64, p & M64
        return hi


class Batcher:
    """data.Batcher: a fresh Fisher–Yates shuffle of the n images every
    epoch, served in batches of batch; the last N mod batch of an epoch
    are left out."""

    def __init__(self, n, batch, seed):
        if not 1 <= batch <= n:
            raise ValueError("a batch of %d from a set of %d images" % (batch, n))
        self.n, self.batch, self.per_epoch = n, batch, n // batch
        self.rng = PCG(seed, PCG_STREAM)
        self.perm = list(range(n))
        self.pos = self.epoch = 0
        self._shuffle()

    def _shuffle(self):
        p = self.perm
        for i in range(len(p) - 1, 0, -1):
            j = self.rng.batcher_uintn(i + 1)
            p[i], p[j] = p[j], p[i]

    def restore(self, order, rand, position):
        """Moves the batcher to a Go checkpoint's state of it: the epoch's
        order, the generator's two words, (batches served, epochs done)."""
        order = [int(i) for i in order]
        pos, epoch = (int(v) for v in position)
        if sorted(order) != list(range(self.n)):
            raise ValueError("the batch order is not a permutation of the set's %d images" % self.n)
        if not (0 <= pos < self.per_epoch and epoch >= 0):
            raise ValueError("batch %d of epoch %d, of an epoch of %d batches" % (pos, epoch, self.per_epoch))
        hi, lo = (int(w) & M64 for w in rand)
        self.perm, self.pos, self.epoch = order, pos, epoch
        self.rng.state = (hi << 64) | lo

    def next(self):
        """Returns the indices of the next batch."""
        lo = self.pos * self.batch
        idx = self.perm[lo:lo + self.batch]
        self.pos += 1
        if self.pos == self.per_epoch:
            self.pos = 0
            self.epoch += 1
            self._shuffle()
        return idx


def labelled_subset(labels, count, seed):
    """data.LabelledSubset: the indices (sorted) of count images whose
    labels training may use, count/10 of each digit (the first count%10
    digits one more), chosen with the seed's generator."""
    n = len(labels)
    if count <= 0:
        raise ValueError("a labelled subset of %d images" % count)
    if count >= n:
        return list(range(n))
    by_label = [[] for _ in range(10)]
    for i, l in enumerate(labels):
        if l < 10:
            by_label[l].append(i)
    r = PCG(seed, PCG_STREAM + 1)
    chosen = [False] * n
    for l, idx in enumerate(by_label):
        want = count // 10 + (1 if l < count % 10 else 0)
        if want > len(idx):
            raise ValueError("%d labelled images of digit %d wanted, the set has %d" % (want, l, len(idx)))
        for i in range(want):
            j = i + r.uint64n(len(idx) - i)
            idx[i], idx[j] = idx[j], idx[i]
            chosen[idx[i]] = True
    return [i for i, c in enumerate(chosen) if c]
