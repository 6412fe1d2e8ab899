package model

import (
	"fmt"
	"math/rand/v2"
	"slices"

	"latentlab/core/checkpoint"
	"latentlab/core/nn"
	"latentlab/core/optim"
)

// Model is a trainable generative model of MNIST digits.
//
// Batches hold at most Config().Batch images; x (n, Pixels) are pixels in
// [0, 1], z (n, Latent) codes. Methods other than Step do not change the
// parameters.
type Model interface {
	Config() Config
	// Step trains on one batch and returns its losses. labels may be nil
	// for kinds that do not use them.
	Step(x []float32, labels []uint8, n int) Losses
	// Encode stores the codes of x in z.
	Encode(z, x []float32, n int)
	// Decode stores the pixel probabilities decoded from z in x.
	Decode(x, z []float32, n int)
	// ReconLoss returns the reconstruction loss summed over the n images,
	// and stores their codes in z unless z is nil.
	ReconLoss(z, x []float32, n int) float64
	// SamplePrior stores n samples of the prior in z, drawn with r.
	SamplePrior(z []float32, n int, r *rand.Rand)
	// Tensors returns the parameters as named tensors whose Data alias the
	// model's own, in PyTorch's names and shapes.
	Tensors() []checkpoint.Tensor
}

// Losses are one step's losses: Recon in nats per image; Disc, the
// discriminator's BCE on prior samples plus that on codes; Gen, the
// encoder's BCE for having its codes called real. Adversarial is false for
// kinds without a discriminator, whose Disc and Gen are zero.
type Losses struct {
	Recon, Disc, Gen float64
	Adversarial      bool
}

var registry = map[string]func(Config) Model{}

// Register makes a kind of model available to New. It panics if the kind is
// registered twice.
func Register(kind string, build func(Config) Model) {
	if _, dup := registry[kind]; dup {
		panic("model: kind " + kind + " registered twice")
	}
	registry[kind] = build
}

// Kinds returns the registered kinds, sorted.
func Kinds() []string {
	kinds := make([]string, 0, len(registry))
	for k := range registry {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	return kinds
}

// New validates c and builds its model, with parameters initialised from
// c.Seed.
func New(c Config) (Model, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return registry[c.Model](c), nil
}

// NewRand returns the generator of one of a model's random streams (stream
// 0 initialises parameters, 1 samples noise, ...), derived from c.Seed so
// that the same seed gives the same run on every platform.
func NewRand(c Config, stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(c.Seed, 0x4c4c4142+stream))
}

// NewMLP builds one of c's networks (see Nets) with c's hidden activation,
// the given output activation, and buffers for c.Batch examples.
func NewMLP(c Config, name string, output nn.Activation) *nn.MLP {
	hidden, err := nn.ParseActivation(c.Activation)
	if err != nil {
		panic("model: " + err.Error())
	}
	sizes, ok := c.Nets()[name]
	if !ok {
		panic("model: no network " + name)
	}
	return nn.NewMLP(sizes, hidden, output, c.Batch)
}

// NewOptimizer returns c's optimizer for an MLP, at learning rate lr.
func NewOptimizer(c Config, m *nn.MLP, lr float32) optim.Optimizer {
	if c.Optimizer == "sgd" {
		return optim.NewSGD(len(m.Params), lr, float32(c.Momentum))
	}
	return optim.NewAdam(len(m.Params), lr, float32(c.Beta1), float32(c.Beta2), 1e-8)
}

// SequentialTensors names an MLP's parameters as PyTorch names those of the
// equivalent nn.Sequential: Linear layers at even indices, activations
// between them, so prefix.0.weight (out, in), prefix.0.bias (out),
// prefix.2.weight, ...
func SequentialTensors(prefix string, m *nn.MLP) []checkpoint.Tensor {
	var ts []checkpoint.Tensor
	for l := range m.W {
		in, out := m.Sizes[l], m.Sizes[l+1]
		ts = append(ts,
			checkpoint.Tensor{Name: fmt.Sprintf("%s.%d.weight", prefix, 2*l), Shape: []int{out, in}, Data: m.W[l]},
			checkpoint.Tensor{Name: fmt.Sprintf("%s.%d.bias", prefix, 2*l), Shape: []int{out}, Data: m.B[l]})
	}
	return ts
}
