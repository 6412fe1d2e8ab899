// Package state holds what a model's training carries from step to step
// besides its parameters (Training), and records its random draws for
// another implementation to replay (Tape).
package state

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"slices"

	"latentlab/core/model"
	"latentlab/core/nn"
	"latentlab/core/optim"
	"latentlab/core/parallel"
	"latentlab/core/safetensors"
)

// Training is what a model's training carries from step to step besides
// its parameters: its optimizers' moments and step counts, and the
// positions of its random streams (prior samples, noise, dropout masks). A
// kind builds its optimizers and streams through it, which records each
// under a name; a checkpoint saves them (State) and a resumed training
// puts them back (SetState), so that training continues exactly as if it
// had never stopped.
//
// A kind embeds Training in its model, which makes the model Resumable.
type Training struct {
	opts  []namedOptimizer
	rands []namedRand
	tape  *Tape // nil unless the draws are being recorded (SetTape)
}

// Tape records what a training draws from its random streams (prior
// samples, noise, dropout masks), in the order drawn, so that another
// implementation of the same step can replay the draws and be compared
// with this one number for number, up to float rounding (latentlab trace,
// and the PyTorch twin in pytorch/). Each draw is the values the step used, after
// any transformation (a prior sample, a scaled mask), not the generator's
// raw words.
type Tape struct {
	Draws []Draw
}

// Draw is one recorded draw: the stream it came from (the name Training
// records it under, "dropout."+network for masks) and a copy of its values.
type Draw struct {
	Stream string
	Data   []float32
}

// SetTape makes the training record its draws on tape from now on, or
// stops recording with nil.
func (t *Training) SetTape(tape *Tape) { t.tape = tape }

// Record adds a copy of the values v just drawn from stream to the tape;
// without a tape it does nothing (and allocates nothing), so kinds call it
// at every draw.
func (t *Training) Record(stream string, v []float32) {
	if t.tape != nil {
		t.tape.Draws = append(t.tape.Draws, Draw{stream, slices.Clone(v)})
	}
}

type namedOptimizer struct {
	name string
	o    optim.Optimizer
	lr   float32 // its learning rate before any schedule
}

type namedRand struct {
	name string
	src  *rand.PCG
}

// Resumable is a model whose training can stop and continue exactly.
type Resumable interface {
	TrainState() *Training
}

// TrainState returns t: a model embedding a Training is Resumable.
func (t *Training) TrainState() *Training { return t }

// Optimizer returns c's optimizer for net at learning rate lr, recorded
// under name.
func (t *Training) Optimizer(name string, c model.Config, net *nn.MLP, lr float32) optim.Optimizer {
	t.claim(name)
	var o optim.Optimizer
	if c.Optimizer == "sgd" {
		o = optim.NewSGD(len(net.Params), lr, float32(c.Momentum))
	} else {
		o = optim.NewAdam(len(net.Params), lr, float32(c.Beta1), float32(c.Beta2), 1e-8)
	}
	t.opts = append(t.opts, namedOptimizer{name, o, lr})
	return o
}

// ScaleLR sets every optimizer's learning rate to the one it was built
// with times f (a schedule's factor).
func (t *Training) ScaleLR(f float64) {
	for _, o := range t.opts {
		o.o.SetLR(float32(float64(o.lr) * f))
	}
}

// Rand returns the generator of stream (see NewRand) of c, recorded under
// name.
func (t *Training) Rand(name string, c model.Config, stream uint64) *rand.Rand {
	t.claim(name)
	src := model.NewPCG(c, stream)
	t.rands = append(t.rands, namedRand{name, src})
	return rand.New(src)
}

// MLP is NewMLP whose dropout stream, if it has one, is recorded under
// "dropout." + name.
func (t *Training) MLP(c model.Config, name string, output nn.Activation) *nn.MLP {
	return t.MLPOpts(c, name, output, nn.LayerOpts{Dropout: c.Dropout, BatchNorm: c.BatchNorm})
}

// MLPOpts is NewMLPOpts whose dropout stream, when opts.Rand is nil and
// the network has dropout, is recorded under "dropout." + name.
func (t *Training) MLPOpts(c model.Config, name string, output nn.Activation, opts nn.LayerOpts) *nn.MLP {
	if opts.Dropout > 0 && opts.Rand == nil {
		stream := "dropout." + name
		opts.Rand = t.Rand(stream, c, model.DropoutStream(name))
		opts.Record = func(mask []float32) { t.Record(stream, mask) }
	}
	return model.NewMLPOpts(c, name, output, opts)
}

func (t *Training) claim(name string) {
	for _, o := range t.opts {
		if o.name == name {
			panic("model: two optimizers or streams named " + name)
		}
	}
	for _, r := range t.rands {
		if r.name == name {
			panic("model: two optimizers or streams named " + name)
		}
	}
}

// State returns the training state as tensors named after what they hold:
// "optim.NAME.SLOT" (float, one per parameter of the network; SLOT as
// PyTorch names it: exp_avg, exp_avg_sq, momentum_buffer),
// "optim.NAME.step" (an integer scalar) and "rand.NAME" (the two words of a
// PCG generator, as integers). The float tensors alias the optimizers'
// state; the others are copies.
func (t *Training) State() []safetensors.Tensor {
	var ts []safetensors.Tensor
	for _, o := range t.opts {
		slots, steps := o.o.State()
		for _, s := range slots {
			ts = append(ts, safetensors.Tensor{Name: "optim." + o.name + "." + s.Name, Shape: []int{len(s.Data)}, Data: s.Data})
		}
		if steps != nil {
			ts = append(ts, safetensors.Tensor{Name: "optim." + o.name + ".step", Shape: []int{}, Ints: []int64{int64(*steps)}})
		}
	}
	for _, r := range t.rands {
		raw, _ := r.src.MarshalBinary() // "pcg:", then the two words big-endian
		ts = append(ts, safetensors.Tensor{Name: "rand." + r.name, Shape: []int{2},
			Ints: []int64{int64(binary.BigEndian.Uint64(raw[4:])), int64(binary.BigEndian.Uint64(raw[12:]))}})
	}
	return ts
}

// SetState restores the state State returned from f's tensors of those
// names. f must hold every one of them with its shape, and no other
// tensors; otherwise SetState returns an error and t is unchanged.
func (t *Training) SetState(f *safetensors.File) error {
	dst := t.State()
	// Copies, so that nothing changes unless everything fits.
	for i := range dst {
		if dst[i].Data != nil {
			dst[i].Data = make([]float32, len(dst[i].Data))
		} else {
			dst[i].Ints = make([]int64, len(dst[i].Ints))
		}
	}
	if err := safetensors.CopyInto(dst, f); err != nil {
		return err
	}
	for _, ts := range dst {
		if len(ts.Shape) == 0 && (ts.Ints[0] < 0 || ts.Ints[0] > model.MaxStep) {
			return fmt.Errorf("state: %s = %d is not a step count", ts.Name, ts.Ints[0])
		}
	}
	i := 0
	for _, o := range t.opts {
		slots, steps := o.o.State()
		for _, s := range slots {
			copy(s.Data, dst[i].Data)
			i++
		}
		if steps != nil {
			*steps = int(dst[i].Ints[0])
			i++
		}
	}
	for _, r := range t.rands {
		r.src.Seed(uint64(dst[i].Ints[0]), uint64(dst[i].Ints[1]))
		i++
	}
	return nil
}

// GatherState completes the optimizers' state of a data-parallel replica,
// whose optimizers keep only its part of each network's parameters
// (Shard.Update): afterwards every replica holds every part, as a whole
// model would. A nil s does nothing.
func (t *Training) GatherState(s *parallel.Shard) {
	if s == nil {
		return
	}
	for _, o := range t.opts {
		slots, _ := o.o.State()
		for _, sl := range slots {
			lo, hi := s.Part(len(sl.Data))
			s.Gather(sl.Data, lo, hi)
		}
	}
}
