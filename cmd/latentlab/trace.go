package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"

	"latentlab/core/data"
	"latentlab/core/fileio"
	"latentlab/core/model"
	"latentlab/core/safetensors"
	"latentlab/core/state"
	"latentlab/core/train"
)

// TraceFormat names the layout of the files latentlab trace writes.
const TraceFormat = "latentlab-trace/1"

var traceSummary = `Trains a model for a few steps and writes everything another
implementation of the same step needs to replay them and compare: the
weights before the first step, each step's batch, random draws and
losses, and the weights after the first and the last step. The PyTorch
twin (pytorch/latentlab_torch, python -m latentlab_torch.replay) reads it.

The file is a .safetensors file (F32 and I64 tensors) with metadata
"format" = ` + TraceFormat + `, "config" (the model's config, JSON), "losses"
(the loss names, JSON) and "steps". Its tensors:

  init.NAME               the model's tensors before the first step
  step.I.x, step.I.labels the batch of step I (1-based): pixels (N, 784)
                          and labels (N; 255 for a digit whose label
                          training may not use)
  step.I.lx, step.I.llabels   the labelled batch, for models with one
  step.I.losses           the step's losses, in the order of "losses"
  step.I.draw.K.STREAM    the step's K-th random draw (0-based, in the
                          order drawn), from STREAM: "noise" (prior
                          samples), "posterior" (ε or η), "input" (input
                          noise), "dropout.NET" (masks, 0 or 1/(1-p))
  after.I.NAME            the model's tensors after step I (the first and
                          the last)

Give --init FILE to start from a file's weights, or config flags as for
latentlab train.`

func traceCmd(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("trace", traceSummary, stderr)
	config := configFlags(fs)
	steps := fs.Int("steps", 20, "training steps to record")
	out := fs.String("out", "", "write the trace to this .safetensors `file` (required)")
	init := fs.String("init", "", "start from this .safetensors `file`'s weights (and config)")
	dataDir := fs.String("data", "assets/mnist", "`dir`ectory holding the MNIST idx files (make data)")
	if err := parse(fs, args); err != nil {
		return err
	}
	switch {
	case *out == "":
		return errors.New("trace: --out FILE is required")
	case *steps < 1 || *steps > 1000:
		return fmt.Errorf("trace: --steps %d: give 1 to 1000 (a trace holds every batch)", *steps)
	}
	if err := checkOutputs(stderr, output{"--out", *out}); err != nil {
		return err
	}
	trainSet, testSet, err := data.LoadMNIST(*dataDir)
	if err != nil {
		return err
	}
	var m model.Model
	done := 0
	if *init != "" {
		f, err := readFile(*init)
		if err != nil {
			return err
		}
		if m, done, err = model.FromFile(f, nil); err != nil {
			return fmt.Errorf("%s: %w", *init, err)
		}
	} else {
		c, err := config.Config()
		if err != nil {
			return err
		}
		if m, err = model.New(c); err != nil {
			return err
		}
	}
	r, ok := m.(state.Resumable)
	if !ok {
		return fmt.Errorf("trace: a %s model does not record its draws", m.Config().Model)
	}
	s, err := train.New(m, trainSet, testSet, done)
	if err != nil {
		return err
	}
	var tape state.Tape
	r.TrainState().SetTape(&tape)

	ts := snapshot("init.", m)
	names := m.LossNames()
	for i := 1; i <= *steps; i++ {
		tape.Draws = tape.Draws[:0]
		l := s.Step()
		p := "step." + strconv.Itoa(i) + "."
		b := s.LastBatch()
		ts = append(ts, floats(p+"x", b.X[:b.N*model.Pixels], b.N, model.Pixels), ints(p+"labels", b.Labels[:b.N]))
		if b.LN > 0 {
			ts = append(ts, floats(p+"lx", b.LX[:b.LN*model.Pixels], b.LN, model.Pixels), ints(p+"llabels", b.LLabels[:b.LN]))
		}
		losses := make([]float32, len(names))
		for j := range losses {
			losses[j] = float32(l[j])
		}
		ts = append(ts, floats(p+"losses", losses, len(losses)))
		for k, d := range tape.Draws {
			ts = append(ts, floats(p+"draw."+strconv.Itoa(k)+"."+d.Stream, d.Data, len(d.Data)))
		}
		if i == 1 || i == *steps {
			ts = append(ts, snapshot("after."+strconv.Itoa(i)+".", m)...)
		}
	}
	lossJSON, _ := json.Marshal(names)
	meta := map[string]string{
		"format": TraceFormat,
		"config": m.Config().JSON(),
		"losses": string(lossJSON),
		"steps":  strconv.Itoa(*steps),
	}
	b, err := safetensors.Encode(ts, meta, safetensors.F32)
	if err != nil {
		return err
	}
	if err := fileio.Write(*out, b); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "latentlab: traced %d steps of %s (%d tensors) to %s\n", *steps, m.Config().Model, len(ts), *out)
	return nil
}

// snapshot copies the model's tensors under prefix.
func snapshot(prefix string, m model.Model) []safetensors.Tensor {
	var out []safetensors.Tensor
	for _, t := range m.Tensors() {
		c := safetensors.Tensor{Name: prefix + t.Name, Shape: t.Shape}
		if t.Data != nil {
			c.Data = append([]float32(nil), t.Data...)
		} else {
			c.Ints = append([]int64(nil), t.Ints...)
		}
		out = append(out, c)
	}
	return out
}

func floats(name string, v []float32, shape ...int) safetensors.Tensor {
	return safetensors.Tensor{Name: name, Shape: shape, Data: append([]float32(nil), v...)}
}

func ints(name string, v []uint8) safetensors.Tensor {
	out := make([]int64, len(v))
	for i, x := range v {
		out[i] = int64(x)
	}
	return safetensors.Tensor{Name: name, Shape: []int{len(v)}, Ints: out}
}
