package model

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"latentlab/core/safetensors"
)

// MaxStep is the largest step count a file may give: far beyond any
// training (2^40 steps), far from overflowing the counters that add to it.
const MaxStep = 1 << 40

// FileFormat is the value of the "format" metadata key of Latent Lab files.
const FileFormat = "latentlab/1"

// Encode returns m as a .safetensors file in dtype: its tensors, and in the
// metadata its config (key "config", JSON), kind ("model"), the number of
// training steps it has had ("step") and FileFormat ("format").
func Encode(m Model, step int, dtype safetensors.DType) ([]byte, error) {
	return EncodeMeta(m, step, dtype, nil)
}

// EncodeMeta is Encode with extra metadata keys beside FileMeta's (the
// data set trained on: train.Session.FileMeta).
func EncodeMeta(m Model, step int, dtype safetensors.DType, extra map[string]string) ([]byte, error) {
	meta := FileMeta(m, step)
	for k, v := range extra {
		meta[k] = v
	}
	return safetensors.Encode(m.Tensors(), meta, dtype)
}

// FileMeta is the metadata Encode writes for m at step; a training
// checkpoint adds its own keys to it.
func FileMeta(m Model, step int) map[string]string {
	c := m.Config()
	return map[string]string{
		"format": FileFormat,
		"model":  c.Model,
		"config": c.JSON(),
		"step":   strconv.Itoa(step),
	}
}

// StatePrefix begins the names of the tensors a training checkpoint holds
// besides the model's own (train.Session.Checkpoint): readers of weights
// skip them.
const StatePrefix = "training."

// Decode rebuilds a model from a .safetensors file made by Encode (or a
// training checkpoint, whose training state it skips), and returns it with
// its step count. A malformed file, a config that does not validate, or
// tensors whose names or shapes do not match the config are errors.
func Decode(b []byte) (Model, int, error) {
	f, err := safetensors.Decode(b)
	if err != nil {
		return nil, 0, err
	}
	return FromFile(f, nil)
}

// FromFile rebuilds a model from a decoded file as Decode does. With
// retune not nil, the model is built from the config retune returns given
// the file's (see Retune), or not at all if it returns an error.
func FromFile(f *safetensors.File, retune func(Config) (Config, error)) (Model, int, error) {
	if format, ok := f.Meta["format"]; ok && format != FileFormat {
		return nil, 0, fmt.Errorf("model: the file's format is %q; this version reads %q", format, FileFormat)
	}
	raw, ok := f.Meta["config"]
	if !ok {
		return nil, 0, fmt.Errorf("model: file has no \"config\" in its metadata; was it written by Latent Lab?")
	}
	c, err := ParseConfig([]byte(raw))
	if err != nil {
		return nil, 0, fmt.Errorf("the file's config: %w", err)
	}
	if retune != nil {
		if c, err = retune(c); err != nil {
			return nil, 0, err
		}
	}
	step := 0
	if s, ok := f.Meta["step"]; ok {
		if step, err = strconv.Atoi(s); err != nil || step < 0 || step > MaxStep {
			return nil, 0, fmt.Errorf("model: the file's step %q is not a count", s)
		}
	}
	m, err := New(c)
	if err != nil {
		return nil, 0, err
	}
	weights := &safetensors.File{Meta: f.Meta, DType: f.DType}
	for _, t := range f.Tensors {
		if !strings.HasPrefix(t.Name, StatePrefix) {
			weights.Tensors = append(weights.Tensors, t)
		}
	}
	if err := safetensors.CopyInto(m.Tensors(), weights); err != nil {
		return nil, 0, err
	}
	if err := CheckFinite(m); err != nil {
		return nil, 0, err
	}
	return m, step, nil
}

// CheckFinite returns an error naming the first tensor of m that holds a
// NaN or an infinity: the weights of a training that diverged, which
// nothing should load, continue or save.
func CheckFinite(m Model) error {
	for _, ts := range m.Tensors() {
		for i, v := range ts.Data {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return fmt.Errorf("model: tensor %s holds %v at [%d]: these weights diverged (a lower learning rate may help)", ts.Name, v, i)
			}
		}
	}
	return nil
}
