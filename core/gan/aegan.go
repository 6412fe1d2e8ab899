package gan

import (
	"math/rand/v2"

	"latentlab/core/adversarial"
	"latentlab/core/model"
	"latentlab/core/nn"
	"latentlab/core/optim"
	"latentlab/core/safetensors"
	"latentlab/core/state"
)

// AEGANNets lays out an "aegan" config's networks: encoder Pixels → …
// → latent, decoder latent → … → Pixels (the encoder's widths reversed)
// and discriminator Pixels → Config.Discriminator → 1.
func AEGANNets(c model.Config) map[string][]int {
	return map[string][]int{"encoder": encoderNet(c), "decoder": mirrored(c), "discriminator": discNet(c, model.Pixels)}
}

// AEGAN is an autoencoder inside a GAN: its decoder, trained
// to reconstruct, is also the generator of a GAN whose discriminator
// reads pixels.
type AEGAN struct {
	coder
	state.Training // optimizers and random streams, for checkpoints
	cfg            model.Config
	Enc, Dec       *nn.MLP             // encoder x → z, decoder z → pixel logits
	disc           *adversarial.Critic // discriminator pixels → logit of "real"
	optEnc, optDec optim.Optimizer
	adv            float32    // Config.AdvWeight
	noise          *rand.Rand // prior samples drawn during training

	z       []float32 // (batch, Latent) prior samples of the last generate
	fake    []float32 // (batch, Pixels) σ(dec(z)) of the last generate
	dlogits []float32 // (batch, Pixels) ∂L/∂ decoder logits
}

// NewAEGAN builds the autoencoder-GAN c describes, parameters drawn from
// c.Seed. c must be valid (model.New validates).
func NewAEGAN(c model.Config) *AEGAN {
	init := model.NewRand(c, 0)
	m := &AEGAN{
		cfg:     c,
		adv:     float32(c.AdvWeight),
		z:       make([]float32, c.Batch*c.Latent),
		fake:    make([]float32, c.Batch*model.Pixels),
		dlogits: make([]float32, c.Batch*model.Pixels),
	}
	m.Enc = m.MLPOpts(c, "encoder", nn.Identity, generatorOpts(c))
	m.Dec = m.MLPOpts(c, "decoder", nn.Identity, generatorOpts(c))
	m.noise = m.Rand("noise", c, 1)
	m.coder = coder{sampler{m.Dec, newPrior(c)}, m.Enc, c.Latent}
	m.Enc.Init(init)
	m.Dec.Init(init)
	m.disc = newCritic(&m.Training, c, init)
	lrRecon, _ := c.LR()
	m.optEnc = m.Optimizer("encoder", c, m.Enc, lrRecon)
	m.optDec = m.Optimizer("decoder", c, m.Dec, lrRecon)
	return m
}

// Config returns the model's config.
func (m *AEGAN) Config() model.Config { return m.cfg }

// Disc returns the discriminator network.
func (m *AEGAN) Disc() *nn.MLP { return m.disc.Net }

// LossNames: "recon", BCE(x, σ(dec(enc(x)))) in nats per image; "disc",
// "d_real", "d_fake" as for the GAN (Model.LossNames), the fakes being
// decoded prior samples; "gen", the decoder's generator loss before its
// weight Config.AdvWeight.
func (m *AEGAN) LossNames() []string { return []string{"recon", "disc", "gen", "d_real", "d_fake"} }

// Phases: "disc" (the discriminator's step) and "gen" (the encoder's and
// decoder's step on reconstruction and the adversarial loss).
func (m *AEGAN) Phases() []string { return phases }

// Step runs the discriminator phase then the autoencoder's phase.
func (m *AEGAN) Step(b *model.Batch) model.Losses { return step(m, b, true) }

// StepPhase runs one phase on the batch: "disc" updates the discriminator
// alone, "gen" the encoder and decoder alone (on fresh prior samples).
func (m *AEGAN) StepPhase(b *model.Batch, phase string) model.Losses {
	return stepPhase(m, b, phase)
}

// generate draws n prior samples and decodes them in training mode,
// returning σ(dec(z)) (n, Pixels).
func (m *AEGAN) generate(n int) []float32 {
	z := m.z[:n*m.cfg.Latent]
	m.prior.Sample(z, n, m.noise)
	m.Record("noise", z)
	return generate(m.Dec, m.fake, z, n)
}

// discPhase updates the discriminator alone to call the digits x real and
// decoded prior samples fake; the samples (and the decoder's forward pass
// on them) stay for genPhase. It returns disc, d_real and d_fake in their
// LossNames slots.
func (m *AEGAN) discPhase(x []float32, n int) model.Losses {
	var l model.Losses
	l[1], l[3], l[4] = m.disc.Step(x, m.generate(n), n, 0.5)
	return l
}

// genPhase updates the encoder and decoder to lower
//
//	BCE(x, σ(dec(enc(x)))) + AdvWeight · Gen(D(σ(dec(z))))
//
// the second term on the decoded prior samples of the discriminator
// phase if reuse, on fresh ones otherwise (only the decoder has its
// gradient). It returns recon and gen (unweighted) in their slots.
func (m *AEGAN) genPhase(x []float32, n int, reuse bool) model.Losses {
	fake := m.fake[:n*model.Pixels]
	if !reuse {
		fake = m.generate(n)
	}
	var l model.Losses
	l[0], l[2] = m.genGrad(x, fake, n)
	m.optDec.Step(m.Dec.Params, m.Dec.Grads)
	m.optEnc.Step(m.Enc.Params, m.Enc.Grads)
	return l
}

// genGrad sets the encoder's and decoder's gradients to those of their
// loss on the digits x and the decoded prior samples fake (n rows, of the
// decoder's last generate), and returns its two terms.
func (m *AEGAN) genGrad(x, fake []float32, n int) (recon, gen float64) {
	m.Enc.ZeroGrad()
	m.Dec.ZeroGrad()
	// The adversarial term first, while the decoder's last forward pass
	// is that on the prior samples.
	gen, dfake := m.disc.Fool(fake, n, 0, m.adv)
	generateBackward(m.Dec, m.dlogits, dfake, fake, n)
	dl := m.dlogits[:n*model.Pixels]
	logits := m.Dec.Forward(m.Enc.Forward(x, n), n)
	recon = nn.BCEWithLogits(dl, logits, x, n)
	m.Enc.BackwardParams(m.Dec.Backward(dl, n), n)
	return recon, gen
}

// Tensors returns encoder.*, decoder.* and discriminator.* tensors as
// PyTorch names them in nn.Sequential modules.
func (m *AEGAN) Tensors() []safetensors.Tensor {
	ts := append(model.SequentialTensors("encoder", m.Enc), model.SequentialTensors("decoder", m.Dec)...)
	return append(ts, model.SequentialTensors("discriminator", m.disc.Net)...)
}
