package parallel

import (
	"sync"
)

// Group returns the shards of k replicas that reach each other in memory;
// replica r must run on its own goroutine, and all must make the same
// Reduce and Gather calls in the same order, as Shard requires.
func Group(k int) []*Shard {
	g := &group{k: k, slots: make([][]float32, k)}
	g.cond = sync.NewCond(&g.mu)
	shards := make([]*Shard, k)
	for r := range shards {
		s := &Shard{Index: r, Count: k}
		s.Reduce = func(v []float32, lo, hi int) { g.reduce(r, v, lo, hi) }
		s.Gather = func(v []float32, lo, hi int) { g.gather(s, v) }
		shards[r] = s
	}
	return shards
}

type group struct {
	k       int
	mu      sync.Mutex
	cond    *sync.Cond
	slots   [][]float32 // each replica's slice of the call in progress
	arrived int
	gen     int
}

// barrier returns once all k replicas have called it.
func (g *group) barrier() {
	g.mu.Lock()
	gen := g.gen
	if g.arrived++; g.arrived == g.k {
		g.arrived, g.gen = 0, g.gen+1
		g.cond.Broadcast()
	} else {
		for gen == g.gen {
			g.cond.Wait()
		}
	}
	g.mu.Unlock()
}

// reduce leaves in v[lo:hi] the sum of every replica's v[lo:hi], added in
// replica order. Each replica writes only its own part, which no other reads.
func (g *group) reduce(r int, v []float32, lo, hi int) {
	g.slots[r] = v
	g.barrier()
	for i := lo; i < hi; i++ {
		sum := g.slots[0][i]
		for _, s := range g.slots[1:] {
			sum += s[i]
		}
		v[i] = sum
	}
	g.barrier()
}

// gather copies every other replica's part of its v into this replica's v.
func (g *group) gather(s *Shard, v []float32) {
	g.slots[s.Index] = v
	g.barrier()
	for k, other := range g.slots {
		if k != s.Index {
			lo, hi := (&Shard{Index: k, Count: s.Count}).Part(len(v))
			copy(v[lo:hi], other[lo:hi])
		}
	}
	g.barrier()
}
