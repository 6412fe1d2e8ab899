package data

import (
	"encoding/binary"
	"fmt"
	"math/bits"
	"math/rand/v2"
	"slices"
)

// pcgStream is the second PCG seed word; the caller's seed is the first.
const pcgStream = 0x6c6174656e746c61 // "latentla"

// Batcher serves a Set in mini-batches of a fixed size, in an order shuffled
// afresh at each epoch.
//
// The order depends only on the seed: a PCG generator (math/rand/v2's PCG,
// seeded with (seed, 0x6c6174656e746c61)) drives a Fisher–Yates shuffle
// written here, so the same seed gives the same batches on every platform
// and Go release.
//
// A batch never straddles two epochs: each epoch serves N/batch (rounded
// down) batches, and the N mod batch images left at the end of the shuffled
// order are skipped for that epoch (different ones each epoch). The epoch
// ends, and the next order is drawn, as soon as its last batch is served.
type Batcher struct {
	set      *Set
	batch    int
	perEpoch int // batches per epoch, N/batch
	rng      *rand.PCG
	perm     []int
	pos      int // batches served in the current epoch
	epoch    int // completed epochs
}

// NewBatcher returns a Batcher over s with the given batch size and seed.
// It panics if batch is not in 1..s.N.
func NewBatcher(s *Set, batch int, seed uint64) *Batcher {
	if batch < 1 || batch > s.N {
		panic(fmt.Sprintf("data: NewBatcher: batch %d for a set of %d images", batch, s.N))
	}
	b := &Batcher{
		set:      s,
		batch:    batch,
		perEpoch: s.N / batch,
		rng:      rand.NewPCG(seed, pcgStream),
		perm:     make([]int, s.N),
	}
	for i := range b.perm {
		b.perm[i] = i
	}
	b.shuffle()
	return b
}

// Next stores the next batch in x, Batch()*Dim values byte/255 (see
// Set.Fill), and its labels in labels unless labels is nil. It allocates
// nothing. It panics if len(x) != Batch()*Dim or, with labels not nil,
// len(labels) != Batch().
func (b *Batcher) Next(x []float32, labels []uint8) {
	lo := b.pos * b.batch
	b.set.Fill(x, labels, b.perm[lo:lo+b.batch])
	b.pos++
	if b.pos == b.perEpoch {
		b.pos = 0
		b.epoch++
		b.shuffle()
	}
}

// Epoch returns the number of completed epochs.
func (b *Batcher) Epoch() int { return b.epoch }

// Progress returns the fraction of the current epoch's batches served so
// far, in [0, 1).
func (b *Batcher) Progress() float64 { return float64(b.pos) / float64(b.perEpoch) }

// Batch returns the batch size.
func (b *Batcher) Batch() int { return b.batch }

// PerEpoch returns the batches of an epoch.
func (b *Batcher) PerEpoch() int { return b.perEpoch }

// shuffle permutes b.perm in place (Fisher–Yates, Knuth TAOCP vol. 2 §3.4.2,
// Algorithm P).
func (b *Batcher) shuffle() {
	for i := len(b.perm) - 1; i > 0; i-- {
		j := b.uintn(uint64(i + 1))
		b.perm[i], b.perm[j] = b.perm[j], b.perm[i]
	}
}

// uintn returns a uniform integer in [0, n), n > 0, by Lemire's
// multiply-and-reject method ("Fast random integer generation in an
// interval", ACM TOMACS 2019).
func (b *Batcher) uintn(n uint64) uint64 {
	hi, lo := bits.Mul64(b.rng.Uint64(), n)
	if lo < n {
		thresh := -n % n
		for lo < thresh {
			hi, lo = bits.Mul64(b.rng.Uint64(), n)
		}
	}
	return hi
}

// BatcherState is where a Batcher is in its sequence of batches: its
// generator's state (PCG's two words), the current epoch's order, the
// batches of it served, and the epochs completed. A Batcher given the
// state of another over the same set serves the same batches from there.
type BatcherState struct {
	Rand  [2]uint64
	Order []int
	Pos   int
	Epoch int
}

// State returns b's position; Order is a copy.
func (b *Batcher) State() BatcherState {
	raw, _ := b.rng.MarshalBinary() // "pcg:", then the two words big-endian
	return BatcherState{
		Rand:  [2]uint64{binary.BigEndian.Uint64(raw[4:]), binary.BigEndian.Uint64(raw[12:])},
		Order: slices.Clone(b.perm),
		Pos:   b.pos,
		Epoch: b.epoch,
	}
}

// SetState moves b to st, which must be the state of a Batcher over a set
// of the same size and batch: Order a permutation of the set's indices, Pos
// within the epoch, Epoch not negative. Otherwise b is left as it was.
func (b *Batcher) SetState(st BatcherState) error {
	switch {
	case len(st.Order) != len(b.perm):
		return fmt.Errorf("data: a batch order of %d images for a set of %d", len(st.Order), len(b.perm))
	case st.Pos < 0 || st.Pos >= b.perEpoch:
		return fmt.Errorf("data: batch %d of an epoch of %d", st.Pos, b.perEpoch)
	case st.Epoch < 0:
		return fmt.Errorf("data: epoch %d", st.Epoch)
	}
	seen := make([]bool, len(st.Order))
	for _, i := range st.Order {
		if i < 0 || i >= len(seen) || seen[i] {
			return fmt.Errorf("data: the batch order is not a permutation of the set's %d images", len(seen))
		}
		seen[i] = true
	}
	copy(b.perm, st.Order)
	b.rng.Seed(st.Rand[0], st.Rand[1])
	b.pos, b.epoch = st.Pos, st.Epoch
	return nil
}
