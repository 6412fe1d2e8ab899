// Package train drives a model over MNIST: seeded batches, steps, test-set
// evaluation and running loss averages. The CLI and the wasm bridge both
// train through a Session, so the page and the command line do the same
// arithmetic in the same order.
package train

import (
	"fmt"
	"math"
	"slices"

	"latentlab/core/data"
	"latentlab/core/model"
	"latentlab/core/parallel"
	"latentlab/core/safetensors"
	"latentlab/core/schedule"
	"latentlab/core/state"
)

// Session is a model, its training and test sets and its position in
// training. It is not safe for concurrent use.
type Session struct {
	Model       model.Model
	Train, Test *data.Set
	// Valid is the training digits the config holds out (Config.Valid,
	// the last of Train), never trained on; nil when it holds none.
	Valid  *data.Set
	Steps  int    // training steps taken, counting those of a loaded file
	Curves Curves // the losses logged so far, which checkpoints keep
	// Data names the sets Train and Test come from, which the files the
	// session writes record (FileMeta); nil: unnamed.
	Data *data.Dataset

	schedule schedule.Schedule
	lrEpoch  int // the epoch whose schedule factor the optimizers have; -1 before the first step

	batcher  *data.Batcher
	lbatcher *data.Batcher // over the labelled subset; nil without one
	batch    model.Batch   // the step's batch, buffers made once
	x        []float32     // (batch, Pixels) an evaluation chunk
	z        []float32     // (batch, Latent) codes of an evaluation chunk
	meter    meter         // progress of MetricsProgress
}

// meter counts the digits an evaluation has gone through, of total, and
// reports the fraction to f (nil: not measuring).
type meter struct {
	done, total int
	f           func(float64)
}

// add counts n more digits done.
func (m *meter) add(n int) {
	if m.f == nil {
		return
	}
	m.done += n
	m.f(min(1, float64(m.done)/float64(max(m.total, 1))))
}

// SigmaDigits is how many of the last training digits choose a Parzen
// window's σ when the config holds none out (ParzenValidation).
const SigmaDigits = 1000

// ParzenValidation returns where a Parzen window's σ is chosen (the
// protocol of core/score): digits [lo, Train.N) of Train, those the
// config holds out (Valid; heldOut true), else the last SigmaDigits, which
// the model trained on.
func (s *Session) ParzenValidation() (lo int, heldOut bool) {
	if s.Valid != nil {
		return s.Train.N - s.Valid.N, true
	}
	return max(0, s.Train.N-SigmaDigits), false
}

// New returns a session training m on train, less the last Config.Valid
// digits it holds out, and evaluating on test, which must hold 28×28
// digits. steps is how many steps m has already had. The batch order
// derives from m's seed.
func New(m model.Model, train, test *data.Set, steps int) (*Session, error) {
	for _, s := range []*data.Set{train, test} {
		if s == nil || s.N == 0 {
			return nil, fmt.Errorf("train: no data loaded")
		}
		if s.Rows != model.Side || s.Cols != model.Side {
			return nil, fmt.Errorf("train: images of %dx%d pixels, the models want 28x28", s.Rows, s.Cols)
		}
	}
	c := m.Config()
	all := train
	if c.Valid > 0 {
		if c.Valid >= train.N {
			return nil, fmt.Errorf("train: valid %d holds out all of the %d training images", c.Valid, train.N)
		}
		train = all.Range(0, all.N-c.Valid)
	}
	if train.N < c.Batch {
		return nil, fmt.Errorf("train: batch %d is larger than the %d training images", c.Batch, train.N)
	}
	s := &Session{
		Model: m,
		Train: all,
		Test:  test,
		Steps: steps,
		x:     make([]float32, c.Batch*model.Pixels),
		z:     make([]float32, c.Batch*c.Latent),
	}
	if c.Valid > 0 {
		s.Valid = all.Range(train.N, all.N)
	}
	s.batch.X = make([]float32, c.Batch*model.Pixels)
	s.batch.Labels = make([]uint8, c.Batch)
	batchSet := train
	if c.Labels > 0 {
		// Only the labelled subset keeps its labels; models with a
		// supervised phase also get batches drawn from it alone.
		idx, err := data.LabelledSubset(train, c.Labels, c.Seed)
		if err != nil {
			return nil, fmt.Errorf("train: %v", err)
		}
		lb := min(c.Batch, len(idx))
		if len(idx) < train.N {
			batchSet = train.MaskLabels(idx)
			s.lbatcher = data.NewBatcher(train.Select(idx), lb, c.Seed+1)
		} else {
			s.lbatcher = data.NewBatcher(train, lb, c.Seed+1)
		}
		s.batch.LX = make([]float32, lb*model.Pixels)
		s.batch.LLabels = make([]uint8, lb)
		s.batch.LN = lb
	}
	s.batcher = data.NewBatcher(batchSet, c.Batch, c.Seed)
	var err error
	if s.schedule, err = schedule.Parse(c.LRSchedule); err != nil {
		return nil, fmt.Errorf("train: %v", err)
	}
	s.lrEpoch = -1
	s.batch.N = c.Batch
	return s, nil
}

// Step trains on the next batch (and labelled batch) and returns its
// losses.
func (s *Session) Step() model.Losses {
	s.applySchedule()
	s.batcher.Next(s.batch.X, s.batch.Labels)
	if s.lbatcher != nil {
		s.lbatcher.Next(s.batch.LX, s.batch.LLabels)
	}
	s.Steps++
	return s.Model.Step(&s.batch)
}

// applySchedule gives the optimizers the learning rates of the current
// epoch's schedule factor when the epoch has changed (or at the first step).
func (s *Session) applySchedule() {
	if e := s.batcher.Epoch(); e != s.lrEpoch {
		s.lrEpoch = e
		if r, ok := s.Model.(state.Resumable); ok {
			r.TrainState().ScaleLR(s.schedule.Factor(e))
		}
	}
}

// LRFactor returns the schedule's factor of the learning rates now.
func (s *Session) LRFactor() float64 { return s.schedule.Factor(s.batcher.Epoch()) }

// Epoch returns the number of completed passes over the training set since
// the session began, and Progress the fraction of the current one done.
func (s *Session) Epoch() int        { return s.batcher.Epoch() }
func (s *Session) Progress() float64 { return s.batcher.Progress() }

// StepPhase runs one phase of the next batch's step (see
// model.PhaseStepper) and returns its losses; it is an error for a model
// without phases or a phase it does not have.
func (s *Session) StepPhase(phase string) (model.Losses, error) {
	p, ok := s.Model.(model.PhaseStepper)
	if !ok || !slices.Contains(p.Phases(), phase) {
		return model.Losses{}, fmt.Errorf("train: model %q has no phase %q", s.Model.Config().Model, phase)
	}
	s.applySchedule()
	s.batcher.Next(s.batch.X, s.batch.Labels)
	if s.lbatcher != nil {
		s.lbatcher.Next(s.batch.LX, s.batch.LLabels)
	}
	s.Steps++
	return p.StepPhase(&s.batch, phase), nil
}

// GatherState makes a data-parallel replica's training state whole (see
// state.Training.GatherState) before a Checkpoint; every replica must
// call it, as each calls Step. It does nothing for a whole model.
func (s *Session) GatherState(sh *parallel.Shard) {
	if r, ok := s.Model.(state.Resumable); ok {
		r.TrainState().GatherState(sh)
	}
}

// LastBatch returns the batch of the last step (its buffers are reused by
// the next one).
func (s *Session) LastBatch() *model.Batch { return &s.batch }

// StepsPerEpoch returns the steps of one pass over the digits trained on.
func (s *Session) StepsPerEpoch() int { return s.batcher.PerEpoch() }

// Batch returns the number of images per step.
func (s *Session) Batch() int { return s.batcher.Batch() }

// TestLoss returns the reconstruction loss summed over test images
// [offset, offset+count), clipped to the test set, and how many it covered
// (0 for a model that is no model.Autoencoder). The mean over the test set
// is the sum of the sums over the sum of counts.
func (s *Session) TestLoss(offset, count int) (sum float64, n int) {
	ae, ok := s.Model.(model.Autoencoder)
	if !ok {
		return 0, 0
	}
	s.eachTestChunk(offset, count, func(x []float32, k int) {
		sum += ae.ReconLoss(nil, x, k)
		n += k
	})
	return sum, n
}

// MeanTestLoss returns the mean reconstruction loss in nats per image over
// the whole test set (NaN for a model that is no model.Autoencoder).
func (s *Session) MeanTestLoss() float64 {
	sum, n := s.TestLoss(0, s.Test.N)
	return sum / float64(n)
}

// TestCodesAndLoss stores the codes of test images [offset,
// offset+count) in z (count, Latent) and returns their reconstruction loss
// summed, in one pass. A model that is no model.Autoencoder gets its codes
// from Encode if it is a model.Encoder, and a zero loss.
func (s *Session) TestCodesAndLoss(z []float32, offset, count int) (sum float64, n int) {
	lat := s.Model.Config().Latent
	ae, isAE := s.Model.(model.Autoencoder)
	enc, isEnc := s.Model.(model.Encoder)
	s.eachTestChunk(offset, count, func(x []float32, k int) {
		switch {
		case isAE:
			sum += ae.ReconLoss(z[n*lat:(n+k)*lat], x, k)
		case isEnc:
			enc.Encode(z[n*lat:(n+k)*lat], x, k)
		}
		n += k
	})
	return sum, n
}

// EncodeTest stores the codes of test images [0, count) in z (count,
// Latent); it does nothing for a model that is no model.Encoder.
func (s *Session) EncodeTest(z []float32, count int) {
	enc, ok := s.Model.(model.Encoder)
	if !ok {
		return
	}
	lat := s.Model.Config().Latent
	done := 0
	s.eachTestChunk(0, count, func(x []float32, k int) {
		enc.Encode(z[done*lat:(done+k)*lat], x, k)
		done += k
	})
}

// Reconstruct stores test images [0, count) in x and their reconstructions
// in xhat, both (count, Pixels): the model's own reconstruction for a
// model.Reconstructor, Decode(Encode(x)) for another model.Autoencoder;
// xhat is left alone for other models.
func (s *Session) Reconstruct(x, xhat []float32, count int) {
	done := 0
	s.eachTestChunk(0, count, func(xb []float32, k int) {
		copy(x[done*model.Pixels:], xb[:k*model.Pixels])
		s.ReconstructRows(xhat[done*model.Pixels:(done+k)*model.Pixels], xb, k)
		done += k
	})
}

// ReconstructRows stores in xhat (n, Pixels) the reconstructions of the n
// digits x (n at most one batch): the model's own for a
// model.Reconstructor, Decode(Encode(x)) for another model.Autoencoder;
// xhat is left alone for other models.
func (s *Session) ReconstructRows(xhat, x []float32, n int) {
	switch m := s.Model.(type) {
	case model.Reconstructor:
		m.Reconstruct(xhat, x, n)
	case model.Autoencoder:
		m.Encode(s.z, x, n)
		m.Decode(xhat, s.z, n)
	}
}

// eachTestChunk calls f on consecutive chunks of at most one batch of test
// images covering [offset, offset+count) clipped to the test set.
func (s *Session) eachTestChunk(offset, count int, f func(x []float32, k int)) {
	s.eachChunk(s.Test, offset, count, f)
}

// ValidLoss returns the mean reconstruction loss, nats per image, over the
// digits the config holds out (Valid); NaN when it holds none or the model
// is no model.Autoencoder.
func (s *Session) ValidLoss() float64 {
	ae, ok := s.Model.(model.Autoencoder)
	if !ok || s.Valid == nil {
		return math.NaN()
	}
	var sum float64
	s.eachChunk(s.Valid, 0, s.Valid.N, func(x []float32, k int) { sum += ae.ReconLoss(nil, x, k) })
	return sum / float64(s.Valid.N)
}

// eachChunk calls f on consecutive chunks of at most one batch of set's
// images covering [offset, offset+count) clipped to the set.
func (s *Session) eachChunk(set *data.Set, offset, count int, f func(x []float32, k int)) {
	// [offset, offset+count) ∩ [0, N), without overflowing int.
	if count <= 0 || offset >= set.N {
		return
	}
	end := set.N
	if offset < 0 || count < end-offset {
		end = min(end, offset+count)
	}
	chunk := len(s.x) / model.Pixels
	for i := max(offset, 0); i < end; i += chunk {
		k := min(chunk, end-i)
		set.FillRange(s.x[:k*model.Pixels], nil, i, i+k)
		f(s.x, k)
		s.meter.add(k)
	}
}

// Mean accumulates losses over steps for reporting.
type Mean struct {
	Sum   model.Losses
	Count int
}

// Add adds one step's losses.
func (a *Mean) Add(l model.Losses) {
	for i, v := range l {
		a.Sum[i] += v
	}
	a.Count++
}

// Value returns the mean losses and Reset clears the accumulator.
func (a *Mean) Value() model.Losses {
	var m model.Losses
	if a.Count == 0 {
		return m
	}
	for i, v := range a.Sum {
		m[i] = v / float64(a.Count)
	}
	return m
}

// Reset clears the accumulator.
func (a *Mean) Reset() { *a = Mean{} }

// FileMeta is the metadata of a file of the session's model
// (model.FileMeta) with the data set it trained on: "dataset", its name,
// and "dataset_hash", data.Dataset.Hash, when the session's Data is set.
func (s *Session) FileMeta() map[string]string {
	meta := model.FileMeta(s.Model, s.Steps)
	if s.Data != nil {
		meta["dataset"], meta["dataset_hash"] = s.Data.Name(), s.Data.Hash()
	}
	return meta
}

// Weights returns the session's model as a weights file in dtype, its
// metadata FileMeta's.
func (s *Session) Weights(dtype safetensors.DType) ([]byte, error) {
	return safetensors.Encode(s.Model.Tensors(), s.FileMeta(), dtype)
}
