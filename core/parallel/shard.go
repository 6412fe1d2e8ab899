// Package parallel makes models data-parallel replicas: a Shard says
// which rows of a batch and which part of each network a replica owns, and
// how the replicas sum gradients and share parameters; Group connects
// replicas that run as goroutines of one process (the page's workers
// connect through a SharedArrayBuffer instead, js/worker.js).
package parallel

import (
	"fmt"

	"latentlab/core/model"
	"latentlab/core/nn"
	"latentlab/core/optim"
)

// Shard makes a model one of Count data-parallel replicas: each trains on
// its own rows of every batch. A network's update (Update) is shared out
// too: Reduce sums the replicas' gradients, each replica receiving the sum
// of its part of the parameters (Part); each replica steps the optimizer
// on its part; Gather hands every replica the others' updated parts. So all
// replicas hold the same parameters after every update, and each pays for
// its part of the optimizer only (Adam on the paper model's 6.4 M
// parameters a step: 47 ms in wasm).
//
// A sharded model scales its gradients and losses by its share of the batch
// (rows/n), so the sums over replicas equal the single-model values on the
// whole batch up to float rounding. Randomness (prior samples) is drawn for
// the whole batch by every replica and sliced, so the replicas agree.
type Shard struct {
	Index, Count int
	// Reduce sums grads over the replicas, added in replica order 0, 1, ...
	// so that every replica gets the same bits; on return grads[lo:hi], this
	// replica's Part, holds the sum, and the rest of grads anything.
	Reduce func(grads []float32, lo, hi int)
	// Gather completes params: on entry params[lo:hi] holds this replica's
	// Part, on return params holds every replica's part.
	Gather func(params []float32, lo, hi int)
}

// Rows returns the replica's rows [lo, hi) of a batch of n, and its share
// of the batch, (hi-lo)/n. A nil s is a whole model: all n rows, share 1.
// It is the one way a kind takes its rows of a batch.
func (s *Shard) Rows(n int) (lo, hi int, share float32) {
	if s == nil || n == 0 {
		return 0, n, 1
	}
	lo, hi = n*s.Index/s.Count, n*(s.Index+1)/s.Count
	return lo, hi, float32(hi-lo) / float32(n)
}

// Part returns the replica's part [lo, hi) of n numbers that the replicas
// share out (a network's parameters): split as Rows splits a batch.
func (s *Shard) Part(n int) (lo, hi int) {
	lo, hi, _ = s.Rows(n)
	return lo, hi
}

// AllReduce replaces v by its sum over the replicas, the same bits on every
// replica: Reduce, then Gather of the parts of the sum.
func (s *Shard) AllReduce(v []float32) {
	lo, hi := s.Part(len(v))
	s.Reduce(v, lo, hi)
	s.Gather(v, lo, hi)
}

// Check reports whether the shard fits batches of the given size.
func (s *Shard) Check(batch int) error {
	switch {
	case s.Count < 1 || s.Index < 0 || s.Index >= s.Count:
		return fmt.Errorf("parallel: replica %d of %d", s.Index, s.Count)
	case s.Count > batch:
		return fmt.Errorf("parallel: %d replicas for a batch of %d: each needs at least one row", s.Count, batch)
	case s.Reduce == nil || s.Gather == nil:
		return fmt.Errorf("parallel: a shard needs Reduce and Gather functions")
	}
	return nil
}

// CheckConfig reports whether a model of config c can be this replica: the
// shard must fit c's batches, and c must have neither batch normalisation
// (each replica would normalise and keep running statistics over its own
// rows, and the replicas would drift apart) nor dropout (every replica
// would draw the same masks for different rows).
func (s *Shard) CheckConfig(c model.Config) error {
	if err := s.Check(c.Batch); err != nil {
		return err
	}
	switch {
	case c.BatchNorm:
		return fmt.Errorf("parallel: batch normalisation trains in one replica only (its statistics are per replica)")
	case c.Dropout > 0:
		return fmt.Errorf("parallel: dropout trains in one replica only (replicas would draw the same masks)")
	}
	return nil
}

// Sharder is a model that can train as a data-parallel replica. SetShard(nil)
// makes it whole again.
type Sharder interface {
	SetShard(s *Shard) error
}

// SetShard is a Sharder's SetShard for a model of config c that keeps its
// shard in *dst: it refuses a shard that c cannot train as (CheckConfig),
// changing nothing.
func Set(dst **Shard, s *Shard, c model.Config) error {
	if s != nil {
		if err := s.CheckConfig(c); err != nil {
			return err
		}
	}
	*dst = s
	return nil
}

// Update applies the optimizer o to net with net's gradients. A nil s is a
// whole model. A replica scales them by its share of the batch (rows/n;
// share 1 leaves them as they are), sums them over the replicas (Reduce),
// steps o on its Part of the parameters and gathers the other replicas'
// parts (Gather): every replica ends with the parameters one model would
// have after the update on the whole batch, up to the rounding of the sum.
func (s *Shard) Update(o optim.Optimizer, net *nn.MLP, share float32) {
	if s == nil {
		o.Step(net.Params, net.Grads)
		return
	}
	if share != 1 {
		for i := range net.Grads {
			net.Grads[i] *= share
		}
	}
	lo, hi := s.Part(len(net.Params))
	s.Reduce(net.Grads, lo, hi)
	o.StepPart(net.Params, net.Grads, lo, hi)
	s.Gather(net.Params, lo, hi)
}
