package model

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"slices"

	"latentlab/core/nn"
	"latentlab/core/safetensors"
)

// Model is a trainable model of MNIST digits. What else it can do (encode,
// decode, classify, ...) it says by implementing the capability interfaces
// of caps.go; the page, the CLI and the evaluation ask for those.
//
// Batches hold at most Config().Batch images; x (n, Pixels) are pixels in
// [0, 1], z (n, Latent) codes. Methods other than Step do not change the
// parameters, and run the network in evaluation mode (dropout off, batch
// normalisation on its running statistics).
type Model interface {
	Config() Config
	// LossNames names the losses Step returns, in order (at most
	// MaxLosses): "recon", "disc", "gen" for the AAE.
	LossNames() []string
	// Step trains on one batch and returns its losses.
	Step(b *Batch) Losses
	// Tensors returns the parameters (and any state a file must carry,
	// such as batch-norm running statistics) as named tensors whose Data
	// alias the model's own, in PyTorch's names and shapes.
	Tensors() []safetensors.Tensor
}

// MaxLosses is the most losses a model reports per step.
const MaxLosses = 8

// Losses are one step's losses, in the order of the model's LossNames;
// the entries past them are zero.
type Losses [MaxLosses]float64

// Batch is one training step's data. X (N, Pixels) is the batch; Labels
// (N) its labels, data.Unlabelled for digits outside the labelled subset when
// the config limits labels (Config.Labels). When the config has a
// labelled subset, LX (LN, Pixels) and LLabels (LN) are a batch drawn from
// it alone, for models with a supervised phase; otherwise LN is 0.
type Batch struct {
	X      []float32
	Labels []uint8
	N      int

	LX      []float32
	LLabels []uint8
	LN      int
}

// Kind is a kind of model as Register makes it available.
type Kind struct {
	Name string
	// Doc says in one line what the kind is, for the page and the CLI.
	Doc string
	// Build makes the model of a valid config.
	Build func(Config) Model
	// Nets returns the layer sizes of each of the kind's networks (for
	// ParamCount); nil means AutoencoderNets.
	Nets func(Config) map[string][]int
	// Check reports a problem with a config particular to the kind, after
	// the checks common to all kinds; nil means none.
	Check func(Config) error
	// Fields are the config fields (JSON keys) the kind reads besides
	// those every kind reads, which are the fields no kind lists. Validate
	// refuses a field that some kinds list, set off its default, for a
	// kind that does not; the option table (Option.Kinds), the CLI's help
	// and the page's form take the lists from here.
	Fields []string
	// Presets edit Defaults into the kind's named configs, which Presets
	// offers with the others. Each says where its numbers come from.
	Presets map[string]func(*Config)
}

var registry = map[string]Kind{}

// Builder makes a Kind's Build of a package's constructor (a kind's New
// returns its own model type).
func Builder[M Model](build func(Config) M) func(Config) Model {
	return func(c Config) Model { return build(c) }
}

// Register makes a kind of model available to New. It panics if the kind is
// registered twice or has no Build, if it lists a field the option table
// lacks, or if one of its presets has the name of another's.
func Register(k Kind) {
	if _, dup := registry[k.Name]; dup || k.Build == nil {
		panic("model: kind " + k.Name + " registered twice or without Build")
	}
	for _, f := range k.Fields {
		if _, ok := OptionOf(f); !ok {
			panic("model: kind " + k.Name + " lists field " + f + ", which no option has")
		}
	}
	for name := range k.Presets {
		if _, dup := Presets()[name]; dup {
			panic("model: kind " + k.Name + " registers preset " + name + " again")
		}
	}
	registry[k.Name] = k
}

// Kinds returns the registered kinds, sorted by name.
func Kinds() []string {
	kinds := make([]string, 0, len(registry))
	for k := range registry {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	return kinds
}

// KindOf returns the registered kind named name.
func KindOf(name string) (Kind, bool) {
	k, ok := registry[name]
	return k, ok
}

// New validates c and builds its model, with parameters initialised from
// c.Seed.
func New(c Config) (Model, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return registry[c.Model].Build(c), nil
}

// NewRand returns the generator of one of a model's random streams (stream
// 0 initialises parameters, 1 samples noise, ...), derived from c.Seed so
// that the same seed gives the same run on every platform. A stream that
// training draws from is made by state.Training.Rand instead, so that a
// checkpoint carries its position.
func NewRand(c Config, stream uint64) *rand.Rand { return rand.New(NewPCG(c, stream)) }

func NewPCG(c Config, stream uint64) *rand.PCG { return rand.NewPCG(c.Seed, 0x4c4c4142+stream) }

// NewMLPOpts builds one of c's networks (see Nets) with c's hidden
// activation, the given output activation, buffers for c.Batch examples,
// and the optional layers opts: c's batch normalisation and dropout in
// every hidden layer (state.Training.MLP), or the ones a kind chooses for this
// network, e.g. batch normalisation in a GAN's generator but not in its
// discriminator. A network with dropout needs opts.Rand: kinds get theirs
// from state.Training.MLPOpts, which makes and records DropoutRand(c, name).
func NewMLPOpts(c Config, name string, output nn.Activation, opts nn.LayerOpts) *nn.MLP {
	hidden, err := nn.ParseActivation(c.Activation)
	if err != nil {
		panic("model: " + err.Error())
	}
	sizes, ok := c.Nets()[name]
	if !ok {
		panic("model: no network " + name)
	}
	if opts.Dropout > 0 && opts.Rand == nil {
		panic("model: network " + name + " has dropout and no generator for its masks")
	}
	return nn.NewMLPOpts(sizes, hidden, output, c.Batch, opts)
}

// DropoutRand returns the generator of the dropout masks of c's network
// called name: a stream of its own, derived from c.Seed and the name, so
// that each network's masks depend neither on the others nor on the order
// in which they are built.
func DropoutRand(c Config, name string) *rand.Rand { return NewRand(c, DropoutStream(name)) }

func DropoutStream(name string) uint64 {
	h := fnv.New32a()
	h.Write([]byte(name))
	return 1<<32 | uint64(h.Sum32())
}

// SequentialTensors names an MLP's parameters, and its batch norms'
// running statistics, as PyTorch names the state of the equivalent
// nn.Sequential: each hidden layer is Linear, [BatchNorm1d,] activation,
// [Dropout,] so without batch norm and dropout the Linear layers are at
// even indices (prefix.0.weight (out, in), prefix.0.bias (out),
// prefix.2.weight, ...), and with both at multiples of 4, each batch norm
// right after its Linear: prefix.1.weight, .bias, .running_mean,
// .running_var (out) and .num_batches_tracked (an int64 scalar).
func SequentialTensors(prefix string, m *nn.MLP) []safetensors.Tensor {
	per := 2 // modules per hidden layer
	if m.Opts.BatchNorm {
		per++
	}
	if m.Opts.Dropout > 0 {
		per++
	}
	var ts []safetensors.Tensor
	name := func(i int, field string) string { return fmt.Sprintf("%s.%d.%s", prefix, i, field) }
	for l := range m.W {
		in, out := m.Sizes[l], m.Sizes[l+1]
		i := per * l
		ts = append(ts,
			safetensors.Tensor{Name: name(i, "weight"), Shape: []int{out, in}, Data: m.W[l]},
			safetensors.Tensor{Name: name(i, "bias"), Shape: []int{out}, Data: m.B[l]})
		if l < len(m.BN) {
			bn := m.BN[l]
			ts = append(ts,
				safetensors.Tensor{Name: name(i+1, "weight"), Shape: []int{out}, Data: bn.Gamma},
				safetensors.Tensor{Name: name(i+1, "bias"), Shape: []int{out}, Data: bn.Beta},
				safetensors.Tensor{Name: name(i+1, "running_mean"), Shape: []int{out}, Data: bn.RunningMean},
				safetensors.Tensor{Name: name(i+1, "running_var"), Shape: []int{out}, Data: bn.RunningVar},
				safetensors.Tensor{Name: name(i+1, "num_batches_tracked"), Shape: []int{}, Ints: bn.Tracked})
		}
	}
	return ts
}
