package gan

import (
	"math/rand/v2"

	"latentlab/core/adversarial"
	"latentlab/core/data"
	"latentlab/core/model"
	"latentlab/core/nn"
	"latentlab/core/optim"
	"latentlab/core/safetensors"
	"latentlab/core/state"
	"latentlab/core/tensor"
)

// BiGANNets lays out a "bigan" config's networks: encoder Pixels → … →
// latent, generator latent → … → Pixels (the encoder's widths reversed)
// and discriminator Pixels+latent → Config.Discriminator → 1.
func BiGANNets(c model.Config) map[string][]int {
	return map[string][]int{"encoder": encoderNet(c), "generator": mirrored(c), "discriminator": discNet(c, model.Pixels+c.Latent)}
}

// NNTrain is how many training digits (the first) give the reference codes
// of the BiGAN's nearest-neighbour accuracy, as its reference
// implementation's 10,000.
const NNTrain = 10000

// BiGAN is a bidirectional GAN (Donahue et al. 2016, arXiv 1605.09782): an
// encoder, a generator and a discriminator on (digit, code) pairs, with
// the flipped labels of the reference implementation
// (see the package comment).
type BiGAN struct {
	coder
	state.Training // optimizers and random streams, for checkpoints
	cfg            model.Config
	Enc, Gen       *nn.MLP             // encoder x → z, generator z → pixel logits
	disc           *adversarial.Critic // discriminator [x, z] → logit of "a generator's pair"
	optEnc, optGen optim.Optimizer
	noise          *rand.Rand // the generator's noise during training

	z       []float32 // (batch, Latent) the generator's noise
	fake    []float32 // (batch, Pixels) σ(G(z))
	dlogits []float32 // (batch, Pixels) ∂L/∂ G's logits
	dfake   []float32 // (batch, Pixels) ∂L/∂ G(z), out of D's input gradient
	dcode   []float32 // (batch, Latent) ∂L/∂ E(x), out of D's input gradient
	encPair []float32 // (batch, Pixels+Latent) [x, E(x)]
	genPair []float32 // (batch, Pixels+Latent) [G(z), z]
}

// NewBiGAN builds the BiGAN c describes, parameters drawn from c.Seed. c
// must be valid (model.New validates).
func NewBiGAN(c model.Config) *BiGAN {
	init := model.NewRand(c, 0)
	w := model.Pixels + c.Latent
	m := &BiGAN{
		cfg:     c,
		z:       make([]float32, c.Batch*c.Latent),
		fake:    make([]float32, c.Batch*model.Pixels),
		dlogits: make([]float32, c.Batch*model.Pixels),
		dfake:   make([]float32, c.Batch*model.Pixels),
		dcode:   make([]float32, c.Batch*c.Latent),
		encPair: make([]float32, c.Batch*w),
		genPair: make([]float32, c.Batch*w),
	}
	m.Enc = m.MLPOpts(c, "encoder", nn.Identity, generatorOpts(c))
	m.Gen = m.MLPOpts(c, "generator", nn.Identity, generatorOpts(c))
	m.noise = m.Rand("noise", c, 1)
	m.coder = coder{sampler{m.Gen, newPrior(c)}, m.Enc, c.Latent}
	m.Enc.Init(init)
	m.Gen.Init(init)
	m.disc = newCritic(&m.Training, c, init)
	lrRecon, _ := c.LR()
	m.optEnc = m.Optimizer("encoder", c, m.Enc, lrRecon)
	m.optGen = m.Optimizer("generator", c, m.Gen, lrRecon)
	return m
}

// Config returns the model's config.
func (m *BiGAN) Config() model.Config { return m.cfg }

// Disc returns the discriminator network.
func (m *BiGAN) Disc() *nn.MLP { return m.disc.Net }

// LossNames: "disc", the discriminator's loss; "gen", the encoder's and
// generator's (see the package comment); "d_real" and "d_fake", the mean
// probability the discriminator gives a pair of being the encoder's,
// which holds a real digit, on the encoder's pairs (x, E(x)) and on the
// generator's (G(z), z), before its update: 1 − σ(D) under the reference's
// flipped labels, so that, as for the GAN, a winning discriminator has
// d_real near 1 and d_fake near 0, and both tend to ½ at the equilibrium
// (under LSGAN, 1 − D's raw output).
func (m *BiGAN) LossNames() []string { return []string{"disc", "gen", "d_real", "d_fake"} }

// Phases: "disc" (the discriminator's step) and "gen" (the encoder's and
// generator's).
func (m *BiGAN) Phases() []string { return phases }

// Step runs the discriminator phase then the encoder's and generator's.
func (m *BiGAN) Step(b *model.Batch) model.Losses { return step(m, b, true) }

// StepPhase runs one phase on the batch: "disc" updates the discriminator
// alone, "gen" the encoder and generator alone (on fresh noise).
func (m *BiGAN) StepPhase(b *model.Batch, phase string) model.Losses {
	return stepPhase(m, b, phase)
}

// pairs draws n noise vectors and runs the encoder on x and the generator
// on the noise in training mode, storing the pairs [x, E(x)] and
// [G(z), z].
func (m *BiGAN) pairs(x []float32, n int) {
	m.prior.Sample(m.z[:n*m.cfg.Latent], n, m.noise)
	m.Record("noise", m.z[:n*m.cfg.Latent])
	m.forwardPairs(x, n)
}

// forwardPairs is pairs on the noise already in m.z.
func (m *BiGAN) forwardPairs(x []float32, n int) {
	lat := m.cfg.Latent
	z := m.z[:n*lat]
	fake := generate(m.Gen, m.fake, z, n)
	codes := m.Enc.Forward(x, n)
	nn.JoinCols(m.encPair, x, codes, n, model.Pixels, lat)
	nn.JoinCols(m.genPair, fake, z, n, model.Pixels, lat)
}

// discPhase updates the discriminator alone, with the reference's flipped
// labels: the encoder's pairs (x, E(x)) → 0, the generator's (G(z), z) →
// 1. The pairs (and the encoder's and generator's forward passes) stay
// for genPhase. It returns disc, d_real and d_fake in their slots.
func (m *BiGAN) discPhase(x []float32, n int) model.Losses {
	m.pairs(x, n)
	w := n * (model.Pixels + m.cfg.Latent)
	var l model.Losses
	// Critic.Step calls its first argument real (1): the generator's pairs.
	loss, genMean, encMean := m.disc.Step(m.genPair[:w], m.encPair[:w], n, 0.5)
	l[0], l[2], l[3] = loss, 1-encMean, 1-genMean
	return l
}

// genPhase updates the encoder and the generator to lower their loss
//
//	½·Gen(D(x, E(x)); t = 0) + ½·Gen(D(G(z), z); t = 1)
//
// (see adversarial.Loss.Gen; minimax gives the reference's −½·(BCE(·, 0) + BCE(·, 1))) on
// the pairs of the discriminator phase if reuse, on fresh ones otherwise.
// It returns gen in its slot.
func (m *BiGAN) genPhase(x []float32, n int, reuse bool) model.Losses {
	if !reuse {
		m.pairs(x, n)
	}
	var l model.Losses
	l[1] = m.genGrad(n)
	m.optEnc.Step(m.Enc.Params, m.Enc.Grads)
	m.optGen.Step(m.Gen.Params, m.Gen.Grads)
	return l
}

// genGrad sets the encoder's and generator's gradients to those of their
// loss on the pairs of the last pairs (n rows) and returns the loss.
func (m *BiGAN) genGrad(n int) float64 {
	lat := m.cfg.Latent
	w := model.Pixels + lat
	m.Enc.ZeroGrad()
	m.Gen.ZeroGrad()
	lossE, dpair := m.disc.Fool(m.encPair[:n*w], n, 0, 0.5)
	nn.SplitCols(nil, m.dcode, dpair, n, model.Pixels, lat)
	m.Enc.BackwardParams(m.dcode[:n*lat], n)
	lossG, dpair := m.disc.Fool(m.genPair[:n*w], n, 1, 0.5)
	nn.SplitCols(m.dfake, nil, dpair, n, model.Pixels, lat)
	generateBackward(m.Gen, m.dlogits, m.dfake, m.fake, n)
	return 0.5 * (lossE + lossG)
}

// Evaluate returns "nn_accuracy", NNAccuracy of the codes of the first
// NNTrain training digits (all of them if fewer) and the test digits.
func (m *BiGAN) Evaluate(train, test *data.Set) map[string]float64 {
	ref := train.Subset(min(NNTrain, train.N))
	return map[string]float64{"nn_accuracy": NNAccuracy(m, m.cfg.Latent, m.cfg.Batch, ref, test)}
}

// NNAccuracy returns the 1-nearest-neighbour accuracy of an encoder's
// codes, the BiGAN paper's measure of its features: the fraction of the
// query digits whose nearest reference digit by Euclidean distance between
// codes (lat values, e encoding batches of up to batch digits) has the
// same label.
func NNAccuracy(e model.Encoder, lat, batch int, ref, query *data.Set) float64 {
	refZ, queryZ := encodeSet(e, lat, batch, ref), encodeSet(e, lat, batch, query)
	refNorm := make([]float32, ref.N)
	for j := range refNorm {
		for _, v := range refZ[j*lat : (j+1)*lat] {
			refNorm[j] += v * v
		}
	}
	const chunk = 64
	dots := make([]float32, chunk*ref.N)
	right := 0
	for lo := 0; lo < query.N; lo += chunk {
		k := min(chunk, query.N-lo)
		// ‖q − r‖² = ‖q‖² − 2·q·r + ‖r‖², the first term the same for
		// every r.
		tensor.MulXWt(dots[:k*ref.N], queryZ[lo*lat:(lo+k)*lat], refZ, k, lat, ref.N)
		for i := range k {
			row := dots[i*ref.N : (i+1)*ref.N]
			best, bestD := 0, float32(0)
			for j, d := range row {
				d = refNorm[j] - 2*d
				if j == 0 || d < bestD {
					best, bestD = j, d
				}
			}
			if ref.Labels[best] == query.Labels[lo+i] {
				right++
			}
		}
	}
	return float64(right) / float64(query.N)
}

// encodeSet returns the codes (s.N, lat) of every digit of s.
func encodeSet(e model.Encoder, lat, batch int, s *data.Set) []float32 {
	z := make([]float32, s.N*lat)
	x := make([]float32, batch*model.Pixels)
	for lo := 0; lo < s.N; lo += batch {
		k := min(batch, s.N-lo)
		s.FillRange(x[:k*model.Pixels], nil, lo, lo+k)
		e.Encode(z[lo*lat:(lo+k)*lat], x[:k*model.Pixels], k)
	}
	return z
}

// Tensors returns encoder.*, generator.* and discriminator.* tensors as
// PyTorch names them in nn.Sequential modules.
func (m *BiGAN) Tensors() []safetensors.Tensor {
	ts := append(model.SequentialTensors("encoder", m.Enc), model.SequentialTensors("generator", m.Gen)...)
	return append(ts, model.SequentialTensors("discriminator", m.disc.Net)...)
}
