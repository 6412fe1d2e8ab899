package model

import (
	"fmt"

	"latentlab/core/nn"
	"latentlab/core/optim"
)

// Shard makes a model one of Count data-parallel replicas: each trains on
// its own rows of every batch, and before each optimizer update Reduce
// replaces a network's gradient by its sum over the replicas, so that every
// replica applies the same update and all stay identical.
//
// A sharded model scales its gradients and losses by its share of the batch
// (rows/n), so the sums over replicas equal the single-model values on the
// whole batch up to float rounding. Randomness (prior samples) is drawn for
// the whole batch by every replica and sliced, so the replicas agree.
type Shard struct {
	Index, Count int
	Reduce       func(grads []float32)
}

// Rows returns the replica's rows [lo, hi) of a batch of n.
func (s *Shard) Rows(n int) (lo, hi int) {
	return n * s.Index / s.Count, n * (s.Index + 1) / s.Count
}

// Check reports whether the shard fits batches of the given size.
func (s *Shard) Check(batch int) error {
	switch {
	case s.Count < 1 || s.Index < 0 || s.Index >= s.Count:
		return fmt.Errorf("model: replica %d of %d", s.Index, s.Count)
	case s.Count > batch:
		return fmt.Errorf("model: %d replicas for a batch of %d: each needs at least one row", s.Count, batch)
	case s.Reduce == nil:
		return fmt.Errorf("model: a shard needs a Reduce function")
	}
	return nil
}

// CheckConfig reports whether a model of config c can be this replica: the
// shard must fit c's batches, and c must have neither batch normalisation
// (each replica would normalise and keep running statistics over its own
// rows, and the replicas would drift apart) nor dropout (every replica
// would draw the same masks for different rows).
func (s *Shard) CheckConfig(c Config) error {
	if err := s.Check(c.Batch); err != nil {
		return err
	}
	switch {
	case c.BatchNorm:
		return fmt.Errorf("model: batch normalisation trains in one replica only (its statistics are per replica)")
	case c.Dropout > 0:
		return fmt.Errorf("model: dropout trains in one replica only (replicas would draw the same masks)")
	}
	return nil
}

// Sharder is a model that can train as a data-parallel replica. SetShard(nil)
// makes it whole again.
type Sharder interface {
	SetShard(s *Shard) error
}

// Update applies the optimizer o to net with net's gradients; a replica (s
// not nil) first scales them by its share of the batch (rows/n) and sums
// them over the replicas (Reduce), so that every replica applies the same
// update. A nil s is a whole model.
func (s *Shard) Update(o optim.Optimizer, net *nn.MLP, share float32) {
	if s != nil {
		for i := range net.Grads {
			net.Grads[i] *= share
		}
		s.Reduce(net.Grads)
	}
	o.Step(net.Params, net.Grads)
}
