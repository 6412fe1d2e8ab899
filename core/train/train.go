// Package train drives a model over MNIST: seeded batches, steps, test-set
// evaluation and running loss averages. The CLI and the wasm bridge both
// train through a Session, so the page and the command line do the same
// arithmetic in the same order.
package train

import (
	"fmt"

	"latentlab/core/data"
	"latentlab/core/model"
)

// Session is a model, its training and test sets and its position in
// training. It is not safe for concurrent use.
type Session struct {
	Model       model.Model
	Train, Test *data.Set
	Steps       int // training steps taken, counting those of a loaded file

	batcher *data.Batcher
	x       []float32 // (batch, Pixels)
	labels  []uint8   // (batch)
	idx     []int     // (batch) indices of an evaluation chunk
	z       []float32 // (batch, Latent) codes of an evaluation chunk
}

// New returns a session training m on train and evaluating on test, which
// must hold 28×28 digits. steps is how many steps m has already had. The
// batch order derives from m's seed.
func New(m model.Model, train, test *data.Set, steps int) (*Session, error) {
	for _, s := range []*data.Set{train, test} {
		if s == nil || s.N == 0 {
			return nil, fmt.Errorf("train: no data loaded")
		}
		if s.Dim() != model.Pixels {
			return nil, fmt.Errorf("train: images of %dx%d pixels, the models want 28x28", s.Rows, s.Cols)
		}
	}
	c := m.Config()
	if train.N < c.Batch {
		return nil, fmt.Errorf("train: batch %d is larger than the %d training images", c.Batch, train.N)
	}
	return &Session{
		Model:   m,
		Train:   train,
		Test:    test,
		Steps:   steps,
		batcher: data.NewBatcher(train, c.Batch, c.Seed),
		x:       make([]float32, c.Batch*model.Pixels),
		labels:  make([]uint8, c.Batch),
		idx:     make([]int, c.Batch),
		z:       make([]float32, c.Batch*c.Latent),
	}, nil
}

// Step trains on the next batch and returns its losses.
func (s *Session) Step() model.Losses {
	s.batcher.Next(s.x, s.labels)
	s.Steps++
	return s.Model.Step(s.x, s.labels, s.batcher.Batch())
}

// Epoch returns the number of completed passes over the training set since
// the session began, and Progress the fraction of the current one done.
func (s *Session) Epoch() int        { return s.batcher.Epoch() }
func (s *Session) Progress() float64 { return s.batcher.Progress() }

// Batch returns the number of images per step.
func (s *Session) Batch() int { return s.batcher.Batch() }

// TestLoss returns the reconstruction loss summed over test images
// [offset, offset+count), clipped to the test set, and how many it covered.
// The mean over the test set is the sum of the sums over the sum of counts.
func (s *Session) TestLoss(offset, count int) (sum float64, n int) {
	s.eachTestChunk(offset, count, func(x []float32, k int) {
		sum += s.Model.ReconLoss(nil, x, k)
		n += k
	})
	return sum, n
}

// MeanTestLoss returns the mean reconstruction loss in nats per image over
// the whole test set.
func (s *Session) MeanTestLoss() float64 {
	sum, n := s.TestLoss(0, s.Test.N)
	return sum / float64(n)
}

// TestCodesAndLoss stores the codes of test images [0, count) in z
// (count, Latent) and returns their reconstruction loss summed, in one pass.
func (s *Session) TestCodesAndLoss(z []float32, count int) (sum float64, n int) {
	lat := s.Model.Config().Latent
	s.eachTestChunk(0, count, func(x []float32, k int) {
		sum += s.Model.ReconLoss(z[n*lat:(n+k)*lat], x, k)
		n += k
	})
	return sum, n
}

// EncodeTest stores the codes of test images [0, count) in z (count, Latent).
func (s *Session) EncodeTest(z []float32, count int) {
	lat := s.Model.Config().Latent
	done := 0
	s.eachTestChunk(0, count, func(x []float32, k int) {
		s.Model.Encode(z[done*lat:(done+k)*lat], x, k)
		done += k
	})
}

// Reconstruct stores test images [0, count) in x and their reconstructions
// in xhat, both (count, Pixels).
func (s *Session) Reconstruct(x, xhat []float32, count int) {
	done := 0
	s.eachTestChunk(0, count, func(xb []float32, k int) {
		copy(x[done*model.Pixels:], xb[:k*model.Pixels])
		s.Model.Encode(s.z, xb, k)
		s.Model.Decode(xhat[done*model.Pixels:(done+k)*model.Pixels], s.z, k)
		done += k
	})
}

// eachTestChunk calls f on consecutive chunks of at most one batch of test
// images covering [offset, offset+count) clipped to the test set.
func (s *Session) eachTestChunk(offset, count int, f func(x []float32, k int)) {
	// [offset, offset+count) ∩ [0, N), without overflowing int.
	if count <= 0 || offset >= s.Test.N {
		return
	}
	end := s.Test.N
	if offset < 0 || count < end-offset {
		end = min(end, offset+count)
	}
	for i := max(offset, 0); i < end; i += len(s.idx) {
		k := min(len(s.idx), end-i)
		for j := range k {
			s.idx[j] = i + j
		}
		s.Test.Fill(s.x[:k*model.Pixels], nil, s.idx[:k])
		f(s.x, k)
	}
}

// Mean accumulates losses over steps for reporting.
type Mean struct {
	Sum   model.Losses
	Count int
}

// Add adds one step's losses.
func (a *Mean) Add(l model.Losses) {
	a.Sum.Recon += l.Recon
	a.Sum.Disc += l.Disc
	a.Sum.Gen += l.Gen
	a.Sum.Adversarial = l.Adversarial
	a.Count++
}

// Value returns the mean losses and Reset clears the accumulator.
func (a *Mean) Value() model.Losses {
	if a.Count == 0 {
		return model.Losses{}
	}
	n := float64(a.Count)
	return model.Losses{Recon: a.Sum.Recon / n, Disc: a.Sum.Disc / n, Gen: a.Sum.Gen / n, Adversarial: a.Sum.Adversarial}
}

// Reset clears the accumulator.
func (a *Mean) Reset() { *a = Mean{} }
