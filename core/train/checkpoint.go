package train

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"latentlab/core/data"
	"latentlab/core/model"
	"latentlab/core/safetensors"
	"latentlab/core/state"
)

// Names in a checkpoint of the batch order's state (after
// model.StatePrefix, then "batches." for the whole training set or
// "labelled." for the labelled subset's batches).
const (
	batchOrder    = "order"    // I64 (N) the current epoch's order
	batchRand     = "rand"     // I64 (2) the shuffling generator's state
	batchPosition = "position" // I64 (2) batches served this epoch, epochs done
)

// Checkpoint returns the session's whole training state as an F32
// .safetensors file: the model's tensors and metadata as model.Encode
// writes them, then, under names beginning with model.StatePrefix, the
// model's training state (state.Training.State: optimizer moments and step
// counts, random streams) and the batch order's state ("batches.order",
// "batches.rand", "batches.position", and "labelled.*" for a labelled
// subset), and in the metadata key "training" the loss curves (JSON
// {"curves": {name: {x, y}}}).
//
// model.Decode reads it as the model's weights; Resume continues its
// training exactly. A data-parallel replica must call GatherState first
// on every replica.
func (s *Session) Checkpoint() ([]byte, error) {
	r, ok := s.Model.(state.Resumable)
	if !ok {
		return nil, fmt.Errorf("train: a %s model cannot save its training state", s.Model.Config().Model)
	}
	curves, err := json.Marshal(s.Curves)
	if err != nil {
		return nil, err
	}
	meta, err := json.Marshal(trainingMeta{Curves: curves})
	if err != nil {
		return nil, err
	}
	ts := s.Model.Tensors()
	for _, t := range r.TrainState().State() {
		t.Name = model.StatePrefix + t.Name
		ts = append(ts, t)
	}
	ts = append(ts, batcherTensors("batches.", s.batcher)...)
	if s.lbatcher != nil {
		ts = append(ts, batcherTensors("labelled.", s.lbatcher)...)
	}
	fileMeta := s.FileMeta()
	fileMeta["training"] = string(meta)
	return safetensors.Encode(ts, fileMeta, safetensors.F32)
}

// trainingMeta is the JSON of a checkpoint's "training" metadata.
type trainingMeta struct {
	Curves json.RawMessage `json:"curves"`
}

// IsCheckpoint reports whether f holds a training state (Checkpoint), not
// only a model's weights.
func IsCheckpoint(f *safetensors.File) bool {
	_, ok := f.Meta["training"]
	return ok
}

// ErrNotCheckpoint is Resume's error for a file of weights alone.
var ErrNotCheckpoint = errors.New("train: the file holds a model's weights but no training state (it is no checkpoint)")

// Resume continues the training that a Checkpoint file f holds, on train
// and test, which must be the sets it trained on: the model, the
// optimizers, the random streams, the batch order and the curves are as
// they were, so that its next steps are the steps the checkpointed session
// would have taken. retune, if not nil, may change the Tunable fields of
// the config (see model.FromFile). A file that is no checkpoint is
// ErrNotCheckpoint; any mismatch is an error, and nothing is built.
func Resume(f *safetensors.File, train, test *data.Set, retune func(model.Config) (model.Config, error)) (*Session, error) {
	if !IsCheckpoint(f) {
		return nil, ErrNotCheckpoint
	}
	var meta trainingMeta
	if err := json.Unmarshal([]byte(f.Meta["training"]), &meta); err != nil {
		return nil, fmt.Errorf("train: the checkpoint's training metadata: %v", err)
	}
	curves, err := ParseCurves(meta.Curves)
	if err != nil {
		return nil, err
	}
	m, step, err := model.FromFile(f, retune)
	if err != nil {
		return nil, err
	}
	r, ok := m.(state.Resumable)
	if !ok {
		return nil, fmt.Errorf("train: a %s model cannot restore its training state", m.Config().Model)
	}
	s, err := New(m, train, test, step)
	if err != nil {
		return nil, err
	}
	parts := map[string]*safetensors.File{}
	for _, t := range f.Tensors {
		name, ok := strings.CutPrefix(t.Name, model.StatePrefix)
		if !ok {
			continue
		}
		part := "model"
		for _, p := range []string{"batches.", "labelled."} {
			if strings.HasPrefix(name, p) {
				part = p
			}
		}
		if part != "model" {
			name = strings.TrimPrefix(name, part)
		}
		if parts[part] == nil {
			parts[part] = &safetensors.File{}
		}
		t.Name = name
		parts[part].Tensors = append(parts[part].Tensors, t)
	}
	if err := setBatcher(s.batcher, parts["batches."], "batches", step); err != nil {
		return nil, err
	}
	if s.lbatcher != nil {
		if err := setBatcher(s.lbatcher, parts["labelled."], "labelled batches", step); err != nil {
			return nil, err
		}
	} else if parts["labelled."] != nil {
		return nil, fmt.Errorf("train: the checkpoint orders labelled batches, which this config has none of")
	}
	state := parts["model"]
	if state == nil {
		state = &safetensors.File{}
	}
	if err := r.TrainState().SetState(state); err != nil {
		return nil, fmt.Errorf("train: the checkpoint's training state: %w", err)
	}
	s.Curves = curves
	return s, nil
}

func batcherTensors(prefix string, b *data.Batcher) []safetensors.Tensor {
	st := b.State()
	order := make([]int64, len(st.Order))
	for i, v := range st.Order {
		order[i] = int64(v)
	}
	p := model.StatePrefix + prefix
	return []safetensors.Tensor{
		{Name: p + batchOrder, Shape: []int{len(order)}, Ints: order},
		{Name: p + batchRand, Shape: []int{2}, Ints: []int64{int64(st.Rand[0]), int64(st.Rand[1])}},
		{Name: p + batchPosition, Shape: []int{2}, Ints: []int64{int64(st.Pos), int64(st.Epoch)}},
	}
}

// setBatcher moves b to the state of f's batcher tensors, or returns an
// error naming what (the batches or the labelled batches) did not fit. A
// step takes one batch, so a checkpoint of step steps has served at most
// that many (fewer when its training began from another file's weights).
func setBatcher(b *data.Batcher, f *safetensors.File, what string, steps int) error {
	if f == nil {
		return fmt.Errorf("train: the checkpoint has no order of %s", what)
	}
	st := b.State()
	ts := []safetensors.Tensor{
		{Name: batchOrder, Shape: []int{len(st.Order)}, Ints: make([]int64, len(st.Order))},
		{Name: batchRand, Shape: []int{2}, Ints: make([]int64, 2)},
		{Name: batchPosition, Shape: []int{2}, Ints: make([]int64, 2)},
	}
	if err := safetensors.CopyInto(ts, f); err != nil {
		return fmt.Errorf("train: the checkpoint's %s (is it of the same training set?): %w", what, err)
	}
	for i, v := range ts[0].Ints {
		st.Order[i] = int(v) // SetState refuses what is no index of the set
	}
	st.Rand = [2]uint64{uint64(ts[1].Ints[0]), uint64(ts[1].Ints[1])}
	pos, epoch := ts[2].Ints[0], ts[2].Ints[1]
	if pos < 0 || pos > 1<<40 || epoch < 0 || epoch > 1<<40 {
		return fmt.Errorf("train: the checkpoint's %s are at batch %d of epoch %d", what, pos, epoch)
	}
	if served := epoch*int64(b.PerEpoch()) + pos; served > int64(steps) {
		return fmt.Errorf("train: the checkpoint's %s are at batch %d of epoch %d, %d batches, more than its %d steps took", what, pos, epoch, served, steps)
	}
	st.Pos, st.Epoch = int(pos), int(epoch)
	if err := b.SetState(st); err != nil {
		return fmt.Errorf("train: the checkpoint's %s: %w", what, err)
	}
	return nil
}
