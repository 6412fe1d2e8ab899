// Package aae implements the adversarial autoencoder of Makhzani et al.
// (2015, arXiv 1511.05644) with a deterministic encoder, and the plain
// autoencoder it extends.
//
// Kinds: "aae" trains in three phases per step; "ae" runs the first only.
package aae

import (
	"math/rand/v2"

	"latentlab/core/checkpoint"
	"latentlab/core/model"
	"latentlab/core/nn"
	"latentlab/core/optim"
)

func init() {
	build := func(c model.Config) model.Model { return New(c) }
	model.Register(model.Kind{Name: "aae", Doc: "adversarial autoencoder: codes pushed toward a prior by a discriminator", Build: build})
	model.Register(model.Kind{Name: "ae", Doc: "plain autoencoder", Build: build})
}

// Model is an autoencoder whose code is pushed toward a Gaussian prior
// N(0, σ²I) by a discriminator on codes (unless its kind is "ae").
type Model struct {
	cfg      model.Config
	Enc, Dec *nn.MLP // encoder x → z, decoder z → pixel logits
	Disc     *nn.MLP // discriminator z → logit of "prior sample"; nil for "ae"

	// Separate optimizers, as in the seeds: the encoder has one for the
	// reconstruction phase and one for the generator phase.
	optEnc, optDec, optGen, optDisc optim.Optimizer

	noise *rand.Rand // prior samples drawn during training

	shard *model.Shard // nil unless a data-parallel replica
	share float32      // this replica's fraction of each batch (1 unsharded)

	dlogits []float32 // (batch, Pixels) gradient of the reconstruction loss
	zPrior  []float32 // (batch, Latent) prior samples
	zFake   []float32 // (batch, Latent) encoder codes for the discriminator
	dd      []float32 // (batch, 1) gradient of a discriminator loss
}

// New builds the model c describes, parameters drawn from c.Seed. c must be
// valid (model.New validates).
func New(c model.Config) *Model {
	m := &Model{
		cfg:     c,
		Enc:     model.NewMLP(c, "encoder", nn.Identity),
		Dec:     model.NewMLP(c, "decoder", nn.Identity),
		noise:   model.NewRand(c, 1),
		share:   1,
		dlogits: make([]float32, c.Batch*model.Pixels),
	}
	init := model.NewRand(c, 0)
	m.Enc.Init(init)
	m.Dec.Init(init)
	lrRecon, lrReg := c.LR()
	m.optEnc = model.NewOptimizer(c, m.Enc, lrRecon)
	m.optDec = model.NewOptimizer(c, m.Dec, lrRecon)
	if c.Model == "aae" {
		m.Disc = model.NewMLP(c, "discriminator", nn.Identity)
		m.Disc.Init(init)
		m.optGen = model.NewOptimizer(c, m.Enc, lrReg)
		m.optDisc = model.NewOptimizer(c, m.Disc, lrReg)
		m.zPrior = make([]float32, c.Batch*c.Latent)
		m.zFake = make([]float32, c.Batch*c.Latent)
		m.dd = make([]float32, c.Batch)
	}
	return m
}

// Config returns the model's config.
func (m *Model) Config() model.Config { return m.cfg }

// SetShard makes the model a data-parallel replica (see model.Shard), or
// whole again with nil.
func (m *Model) SetShard(s *model.Shard) error {
	if s != nil {
		if err := s.Check(m.cfg.Batch); err != nil {
			return err
		}
	}
	m.shard = s
	return nil
}

// LossNames: "recon" in nats per image; for "aae" also "disc", the
// discriminator's BCE on prior samples plus that on codes, and "gen", the
// encoder's BCE for having its codes called real.
func (m *Model) LossNames() []string {
	if m.Disc == nil {
		return []string{"recon"}
	}
	return []string{"recon", "disc", "gen"}
}

// Step runs one training step on the batch: the reconstruction phase,
// then, for "aae", the discriminator phase and the generator phase. A
// replica trains on its rows of the batch and returns its share of the
// losses.
func (m *Model) Step(b *model.Batch) model.Losses {
	x, n := b.X, b.N
	lo, hi := 0, n
	if m.shard != nil {
		lo, hi = m.shard.Rows(n)
	}
	m.share = float32(hi-lo) / float32(n)
	xs, ns := x[lo*model.Pixels:hi*model.Pixels], hi-lo
	var l model.Losses
	l[0] = m.reconstructionPhase(xs, ns)
	if m.Disc != nil {
		l[1] = m.discriminatorPhase(xs, ns, lo, n)
		l[2] = m.generatorPhase(ns)
	}
	for i := range l {
		l[i] *= float64(m.share)
	}
	return l
}

// update applies an optimizer step to net; a replica first scales its
// gradient by its share of the batch and sums it over the replicas.
func (m *Model) update(o optim.Optimizer, net *nn.MLP) {
	if m.shard != nil {
		for i := range net.Grads {
			net.Grads[i] *= m.share
		}
		m.shard.Reduce(net.Grads)
	}
	o.Step(net.Params, net.Grads)
}

// reconstructionPhase updates the encoder and decoder to lower the
// reconstruction loss BCE(x, σ(dec(enc(x)))).
func (m *Model) reconstructionPhase(x []float32, n int) float64 {
	m.Enc.ZeroGrad()
	m.Dec.ZeroGrad()
	z := m.Enc.Forward(x, n)
	logits := m.Dec.Forward(z, n)
	loss := nn.BCEWithLogits(m.dlogits[:len(logits)], logits, x, n)
	dz := m.Dec.Backward(m.dlogits[:len(logits)], n)
	m.Enc.BackwardParams(dz, n)
	m.update(m.optDec, m.Dec)
	m.update(m.optEnc, m.Enc)
	return loss
}

// discriminatorPhase updates the discriminator alone to call prior samples
// real (1) and the encoder's codes of x fake (0). It leaves the encoder's
// forward pass on x in place for generatorPhase: the encoder's weights do
// not change in between. The prior is sampled for the whole batch of
// batchN rows, of which a replica uses rows [lo, lo+n).
func (m *Model) discriminatorPhase(x []float32, n, lo, batchN int) float64 {
	lat := m.cfg.Latent
	k := n * lat
	copy(m.zFake[:k], m.Enc.Forward(x, n))
	m.SamplePrior(m.zPrior[:batchN*lat], batchN, m.noise)
	prior := m.zPrior[lo*lat : lo*lat+k]
	dd := m.dd[:n]
	m.Disc.ZeroGrad()
	loss := nn.BCEWithLogitsConst(dd, m.Disc.Forward(prior, n), 1, n)
	m.Disc.BackwardParams(dd, n)
	loss += nn.BCEWithLogitsConst(dd, m.Disc.Forward(m.zFake[:k], n), 0, n)
	m.Disc.BackwardParams(dd, n)
	m.update(m.optDisc, m.Disc)
	return loss
}

// generatorPhase updates the encoder alone so that the (updated)
// discriminator calls its codes real. The codes are those of the encoder
// forward pass made in discriminatorPhase.
func (m *Model) generatorPhase(n int) float64 {
	k := n * m.cfg.Latent
	dd := m.dd[:n]
	loss := nn.BCEWithLogitsConst(dd, m.Disc.Forward(m.zFake[:k], n), 1, n)
	dz := m.Disc.Backward(dd, n) // also fills the discriminator's gradients, cleared before its next update
	m.Enc.ZeroGrad()
	m.Enc.BackwardParams(dz, n)
	m.update(m.optGen, m.Enc)
	return loss
}

// Encode stores the codes of x in z.
func (m *Model) Encode(z, x []float32, n int) {
	copy(z[:n*m.cfg.Latent], m.Enc.Infer(x, n))
}

// Decode stores the pixel probabilities decoded from z in x.
func (m *Model) Decode(x, z []float32, n int) {
	nn.SigmoidForward(x[:n*model.Pixels], m.Dec.Infer(z, n))
}

// ReconLoss returns BCE(x, σ(dec(enc(x)))) summed over the n images, and
// stores the codes enc(x) in z unless z is nil.
func (m *Model) ReconLoss(z, x []float32, n int) float64 {
	codes := m.Enc.Infer(x, n)
	if z != nil {
		copy(z[:len(codes)], codes)
	}
	logits := m.Dec.Infer(codes, n)
	return nn.BCEWithLogits(nil, logits, x, n) * float64(n)
}

// SamplePrior stores n samples of N(0, σ²I) in z.
func (m *Model) SamplePrior(z []float32, n int, r *rand.Rand) {
	s := m.cfg.PriorStd
	for i := range z[:n*m.cfg.Latent] {
		z[i] = float32(r.NormFloat64() * s)
	}
}

// Tensors returns encoder.*, decoder.* and discriminator.* tensors as
// PyTorch names them in nn.Sequential modules.
func (m *Model) Tensors() []checkpoint.Tensor {
	ts := append(model.SequentialTensors("encoder", m.Enc), model.SequentialTensors("decoder", m.Dec)...)
	if m.Disc != nil {
		ts = append(ts, model.SequentialTensors("discriminator", m.Disc)...)
	}
	return ts
}
