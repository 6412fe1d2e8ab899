// Package pixel implements "pixel", an autoregressive model of MNIST digits
// in the PixelRNN family (van den Oord et al. 2016, arXiv 1601.06759; seed
// 001, "Pixel RNN"): each pixel is predicted from the pixels before it in
// raster order, p(x) = Π_j p(x_j | x_<j), and, following the reference's tip,
// intensities are quantised into K = Config.Levels classes predicted by a
// softmax (1-of-N) rather than regressed. See Level for the quantiser and
// Value for the intensity of each level. The network's input is the image
// quantised, each pixel the Value of its level, so the model conditions on
// exactly what it predicts.
//
// # Architecture: a masked MLP (MADE), not a Row LSTM
//
// The conditionals come from MADE (Germain et al. 2015, arXiv 1502.03509):
// one MLP 784 → hidden widths (Config.Encoder) → 784·K whose weight
// matrices are masked so that the K logits of pixel j depend on pixels
// 0..j−1 only. Every layer is a dense product y = x·Wᵀ + b, which is what
// our kernels (core/tensor, core/nn) do fast in Go and WebAssembly, and one
// forward pass gives all 784 conditionals of a digit at once, so training
// costs what an autoencoder of the same widths costs.
//
// A Row LSTM computes the same factorisation with a recurrence down the 28
// rows, each row a 1×3 convolution over the 28 pixels of the row above, for
// every one of the 784 positions and every layer. Measured with our kernel
// (BenchmarkArchitectures, one core, on the shared development machine
// under load): the forward pass of a batch of 100 through a MADE
// 784-512-256-3136 took 82 ms, while the state-to-state products alone of
// one Row LSTM layer of 64 units (28 sequential rows of 100·28 positions ×
// 3·64 inputs × 4·64 gates: 29 times the multiply-adds) took 3.9 s. PixelRNN
// stacks several such layers, adds the input-to-state products and a
// backward pass through the same 28 sequential steps: a step every several
// seconds in a browser tab, against several steps a second for the MADE of
// the "pixel" preset (784-256-3136). MADE learns in the minute a visitor
// watches; the Row LSTM would not.
//
// # Masks
//
// Pixel i (raster order) has degree i+1. Unit k of every hidden layer of
// width H has degree m(k) = 1 + ⌊k·782/(H−1)⌋ (1 if H = 1), spread evenly
// over 1..783 from the first unit to the last and non-decreasing in k. A hidden unit of degree m connects to the inputs (pixels or units of
// the layer below) of degree ≤ m; the K logits of pixel j connect to the
// units of the last hidden layer of degree ≤ j (with no hidden layer, to
// pixels 0..j−1). Since degrees grow with the index, every row of every
// weight matrix connects to a prefix of its inputs: the mask of row o is
// "the first conn[o] columns". Masked weights are zero from Init on, their
// gradients are cleared before every update, so they stay exactly zero
// and the autoregressive property holds exactly, not approximately. A file
// stores the masked weights as zeros; the masks are not stored, since the
// config determines them (NLL and SampleRows zero the masked weights again
// before use, so a file edited elsewhere cannot break the property).
//
// # Sampling pixel by pixel
//
// A hidden unit of degree m depends on pixels 0..m−1 only, so it is known
// as soon as they are. Sample and SampleRows draw pixel j after computing
// exactly the units of degree j (in every layer), then the K logits of
// pixel j: one dense forward pass in all, not 784. Each unit is computed
// with the same product over the same inputs as the training forward pass,
// whose other terms are masked weights times zero, so the sampler's logits
// equal the dense ones bit for bit.
package pixel

import (
	"fmt"

	"latentlab/core/model"
	"latentlab/core/nn"
	"latentlab/core/optim"
	"latentlab/core/parallel"
	"latentlab/core/safetensors"
	"latentlab/core/state"
)

// Nets returns the one network of a pixel model, "made": Pixels → hidden
// widths (c.Encoder) → Pixels·c.Levels logits.
func Nets(c model.Config) map[string][]int {
	return map[string][]int{"made": append(append([]int{model.Pixels}, c.Encoder...), model.Pixels*c.Levels)}
}

// check rejects batch normalisation, which the pixel-by-pixel sampler does
// not apply. Dropout (c.Dropout, after each hidden activation) is allowed:
// it masks units, not connections, so the model stays autoregressive, and
// the sampler runs in evaluation mode, where dropout is off.

// Model is a MADE over the 784 pixels with a K-way softmax per pixel. Its
// logits for image i, pixel j, level q are at [i, j·K+q] of the network's
// output: PyTorch's view (n, 784, K).
type Model struct {
	state.Training // optimizers and random streams, for checkpoints

	cfg model.Config
	K   int     // intensity levels, Config.Levels
	Net *nn.MLP // Pixels → … → Pixels·K logits, masked (see conn)

	opt optim.Optimizer

	deg  [][]int32 // per hidden layer, per unit: its degree
	conn [][]int32 // per layer of Net, per row: how many leading inputs it connects to

	shard *parallel.Shard // nil unless a data-parallel replica

	xq      []float32 // (batch, Pixels) the batch quantised: Value of each level
	levels  []uint8   // (batch, Pixels) the batch's levels
	dlogits []float32 // (batch, Pixels·K) gradient of the loss

	// Buffers of the pixel-by-pixel sampler.
	sx   []float32   // (batch, Pixels) input drawn so far, zero after it
	sh   [][]float32 // per hidden layer: (batch, width) units computed so far
	tmp  []float32   // (batch, largest width or K) products of a run of rows
	done []int       // per hidden layer: units computed so far
}

// New builds the model c describes, parameters drawn from c.Seed (stream 0)
// then masked. c must be valid (model.New validates).
func New(c model.Config) *Model {
	k := c.Levels
	m := &Model{
		cfg:     c,
		K:       k,
		xq:      make([]float32, c.Batch*model.Pixels),
		levels:  make([]uint8, c.Batch*model.Pixels),
		dlogits: make([]float32, c.Batch*model.Pixels*k),
		sx:      make([]float32, c.Batch*model.Pixels),
		done:    make([]int, len(c.Encoder)),
	}
	m.Net = m.MLP(c, "made", nn.Identity)
	m.Net.Init(model.NewRand(c, 0))
	widest := k
	for _, h := range c.Encoder {
		d := make([]int32, h)
		for u := range d {
			d[u] = int32(1 + u*(model.Pixels-2)/max(h-1, 1))
		}
		m.deg = append(m.deg, d)
		m.sh = append(m.sh, make([]float32, c.Batch*h))
		widest = max(widest, h)
	}
	m.tmp = make([]float32, c.Batch*widest)
	// Layer l's rows connect to the inputs of degree ≤ (hidden) or < (output)
	// theirs; inputs are pixels (degree i+1) or the units of layer l−1.
	for l := range m.Net.W {
		conn := make([]int32, m.Net.Sizes[l+1])
		below := func(d int32, strict bool) int32 { // inputs of degree ≤ d (< d if strict)
			if strict {
				d--
			}
			if l == 0 {
				return min(d, model.Pixels)
			}
			var c int32
			for _, e := range m.deg[l-1] {
				if e <= d {
					c++
				}
			}
			return c
		}
		if l < len(m.deg) {
			for u, d := range m.deg[l] {
				conn[u] = below(d, false)
			}
		} else {
			for j := range model.Pixels {
				c := below(int32(j+1), true)
				for q := range k {
					conn[j*k+q] = c
				}
			}
		}
		m.conn = append(m.conn, conn)
	}
	m.mask(m.Net.W)
	m.opt = m.Optimizer("made", c, m.Net, float32(c.LRRecon))
	return m
}

// mask zeroes the entries of w (the weights or their gradients, per layer)
// that the masks cut.
func (m *Model) mask(w [][]float32) {
	for l, conn := range m.conn {
		in := m.Net.Sizes[l]
		for o, c := range conn {
			clear(w[l][o*in+int(c) : (o+1)*in])
		}
	}
}

// Config returns the model's config.
func (m *Model) Config() model.Config { return m.cfg }

// SetShard makes the model a data-parallel replica (see parallel.Shard), or
// whole again with nil.
func (m *Model) SetShard(s *parallel.Shard) error { return parallel.Set(&m.shard, s, m.cfg) }

// LossNames: "nll", the negative log-likelihood of the batch's quantised
// digits in nats per image (see NLL).
func (m *Model) LossNames() []string { return []string{"nll"} }

// Step trains on one batch: one Adam (or SGD) update at Config.LRRecon of
// the mean NLL per image. A replica trains on its rows and returns its
// share of the loss.
func (m *Model) Step(b *model.Batch) model.Losses {
	lo, hi, share := m.shard.Rows(b.N)
	n := hi - lo
	x := b.X[lo*model.Pixels : hi*model.Pixels]
	xq, levels := m.xq[:len(x)], m.levels[:len(x)]
	quantise(xq, levels, x, m.K)
	m.Net.ZeroGrad()
	logits := m.Net.Forward(xq, n)
	dl := m.dlogits[:len(logits)]
	loss := pixelNLL(dl, logits, levels, n, share)
	m.Net.BackwardParams(dl, n)
	m.mask(m.Net.DW)
	m.shard.Update(m.opt, m.Net, 1) // the loss's gradient holds the share already
	var l model.Losses
	l[0] = loss * float64(share)
	return l
}

// NLL returns the negative log-likelihood of the n digits x (n ≤
// Config.Batch) summed over them, in nats: the discrete NLL of each digit
// quantised to K levels (Level), −Σ_j log p(level_j | levels_<j). Under the
// untrained model it is about 784·ln K per digit; divided by 784·ln 2 it
// is bits per pixel. It is not a density of the continuous intensities:
// compare it only between models with the same K.
func (m *Model) NLL(x []float32, n int) float64 {
	m.checkBatch(n)
	m.mask(m.Net.W)
	x = x[:n*model.Pixels]
	xq, levels := m.xq[:len(x)], m.levels[:len(x)]
	quantise(xq, levels, x, m.K)
	return pixelNLL(nil, m.Net.Infer(xq, n), levels, n, 0) * float64(n)
}

// Tensors returns made.0.weight (H1, 784), made.0.bias, …, made.2L.weight
// (784·K, H_L), made.2L.bias: PyTorch's nn.Sequential of Linear layers with
// the activation between them, masked entries zero (see the package doc
// for the masks).
func (m *Model) Tensors() []safetensors.Tensor {
	return model.SequentialTensors("made", m.Net)
}

func (m *Model) checkBatch(n int) {
	if n < 1 || n > m.cfg.Batch {
		panic(fmt.Sprintf("pixel: %d digits, outside 1..%d (the config's batch)", n, m.cfg.Batch))
	}
}

// The kinds this package trains, for model.New.
func init() {
	model.Register(model.Kind{Name: "pixel", Doc: "autoregressive pixel model (MADE): each pixel's intensity level from the pixels before it",
		Build: model.Builder(New), Nets: Nets,
		Fields: []string{"levels"},
		// 4 intensity levels (the reference's 1-of-N), a MADE 784-256-3136
		// (MADE used 500 units; 256 take half the time a step, so the page's
		// samples take shape within its first minute), Adam 3e-3 with β1 =
		// 0.9: 277 nats per test digit after 200 steps.
		Presets: map[string]func(*model.Config){"pixel": func(c *model.Config) {
			c.Model, c.Levels, c.Encoder, c.LRRecon, c.Beta1 = "pixel", 4, []int{256}, 3e-3, 0.9
		}}})
}
