// Package gan implements the adversarial models beside the AAE: the GAN
// (Goodfellow et al. 2014) with each of its usual generator losses, an
// autoencoder inside a GAN and the BiGAN (Donahue et al. 2016).
//
// Kinds:
//   - "gan": an MLP generator G (noise z → the encoder widths reversed →
//     784 pixel probabilities σ(logits)) and discriminator D (784 →
//     Config.Discriminator → 1 logit). D is trained with BCE, real digits
//     → 1 and G's digits → 0 (LSGAN: squared error on its raw output),
//     the two halves averaged as in the reference; G minimises the loss
//     Config.GANLoss names (see adversarial.Loss). Config.DiscSteps = k discriminator
//     steps per generator step, Goodfellow et al. (2014), Algorithm 1: the
//     step's batch is split into k consecutive slices of about n/k digits,
//     one per discriminator step (each against as many fresh samples of
//     G), so every digit of the batch is used once; the generator step
//     then draws n samples.
//   - "aegan": an autoencoder whose decoder doubles as the generator
//     (the decoder of an autoencoder trained on reconstruction
//     and on fooling a discriminator at once, as in VAE-GAN). The encoder
//     and decoder minimise BCE(x, dec(enc(x))) + Config.AdvWeight × the
//     generator loss of D on decoded prior samples σ(dec(z)), z ~ the
//     prior: the reference's generator reads noise N(0, I), never codes, so
//     reconstructions are not shown to D. D tells digits from decoded
//     prior samples.
//   - "bigan": encoder E (x → z), generator G (z → x) and D on pairs [x, z]
//     (784 + latent inputs, x first). The seed flips the labels of the
//     paper's objective: D is trained to call the encoder's pairs
//     (x, E(x)) fake (0) and the generator's pairs (G(z), z) real (1),
//     D's loss ½·(BCE(D(x, E(x)), 0) + BCE(D(G(z), z), 1)). E and G
//     minimise, with gan_loss minimax, exactly the reference's
//     g_loss = −½·(BCE(D(x, E(x)), 0) + BCE(D(G(z), z), 1)); with
//     nonsaturating (the default) ½·(BCE(D(x, E(x)), 1) + BCE(D(G(z), z), 0)),
//     each pair trained toward the other label, which is the bigger
//     gradient the reference's text asks the flip for; ml and lsgan follow
//     adversarial.Loss.Gen.
//
// Every kind trains in two phases per step, "disc" then "gen" (the page
// can run either alone, model.PhaseStepper). Within a Step the generator
// phase reuses the samples (and the networks' forward passes) of the
// discriminator phase, as the reference's gen_imgs; a phase run alone draws
// its own. Generators have batch normalisation when Config.BatchNorm (and
// so have the aegan's and bigan's encoders, as the references'), the
// discriminator dropout at Config.Dropout, as the references; neither has
// the other. Generators, encoders and decoders learn at Config.LRRecon,
// discriminators at Config.LRReg, each network with its own optimizer.
//
// Noise z is Config.Prior: "gaussian" N(0, σ²I) with σ = Config.PriorStd,
// "uniform" U(−σ, σ) per dimension (the BiGAN's), or any other of package
// prior.
package gan

import (
	"fmt"
	"math/rand/v2"

	"latentlab/core/adversarial"
	"latentlab/core/model"
	"latentlab/core/nn"
	"latentlab/core/optim"
	"latentlab/core/safetensors"
	"latentlab/core/state"
)

// Nets lays out a "gan" config's networks: generator latent → the encoder
// widths reversed → Pixels, discriminator Pixels → Config.Discriminator → 1.
func Nets(c model.Config) map[string][]int {
	return map[string][]int{"generator": mirrored(c), "discriminator": discNet(c, model.Pixels)}
}

// Check refuses the "gan", "aegan" and "bigan" configs that cannot train:
// noise the prior cannot draw, or more discriminator steps than the batch
// has digits to split among them.
func Check(c model.Config) error {
	if err := checkNoise(c); err != nil {
		return err
	}
	if c.DiscSteps > c.Batch {
		return fmt.Errorf("disc_steps %d splits a batch of %d into empty slices: at most one step per digit", c.DiscSteps, c.Batch)
	}
	return nil
}

// phases are the phases of every kind of the package, in the order a
// step runs them (one slice, so that asking allocates nothing).
var phases = []string{"disc", "gen"}

// Model is a GAN: generator and discriminator.
type Model struct {
	sampler
	state.Training // optimizers and random streams, for checkpoints
	cfg            model.Config
	Gen            *nn.MLP             // generator z → pixel logits
	disc           *adversarial.Critic // discriminator pixels → logit of "real"
	optGen         optim.Optimizer
	noise          *rand.Rand // the generator's noise during training

	z       []float32 // (batch, Latent) noise of the last generate
	fake    []float32 // (batch, Pixels) σ(G(z)) of the last generate
	dlogits []float32 // (batch, Pixels) ∂L/∂ G's logits
}

// New builds the GAN c describes, parameters drawn from c.Seed. c must be
// valid (model.New validates).
func New(c model.Config) *Model {
	init := model.NewRand(c, 0)
	m := &Model{
		cfg:     c,
		z:       make([]float32, c.Batch*c.Latent),
		fake:    make([]float32, c.Batch*model.Pixels),
		dlogits: make([]float32, c.Batch*model.Pixels),
	}
	m.Gen = m.MLPOpts(c, "generator", nn.Identity, generatorOpts(c))
	m.noise = m.Rand("noise", c, 1)
	m.sampler = sampler{m.Gen, newPrior(c)}
	m.Gen.Init(init)
	m.disc = newCritic(&m.Training, c, init)
	lrRecon, _ := c.LR()
	m.optGen = m.Optimizer("generator", c, m.Gen, lrRecon)
	return m
}

// Config returns the model's config.
func (m *Model) Config() model.Config { return m.cfg }

// Disc returns the discriminator network.
func (m *Model) Disc() *nn.MLP { return m.disc.Net }

// LossNames: "disc", the discriminator's loss ½·(on real + on generated
// digits), averaged over its k steps; "gen", the generator's loss (see
// adversarial.Loss.Gen); "d_real" and "d_fake", the mean probability the
// discriminator gives "real" on the step's real digits and on the
// generator's, before its update (under LSGAN its mean raw output, which
// it regresses onto 1 and 0).
func (m *Model) LossNames() []string { return []string{"disc", "gen", "d_real", "d_fake"} }

// Phases: "disc" (the discriminator's k steps) and "gen" (the generator's
// step).
func (m *Model) Phases() []string { return phases }

// Step runs the discriminator phase then the generator phase on the batch.
func (m *Model) Step(b *model.Batch) model.Losses { return step(m, b, m.cfg.DiscSteps == 1) }

// StepPhase runs one phase on the batch: "disc" updates the discriminator
// alone, "gen" the generator alone (on fresh noise; it reads no digits).
func (m *Model) StepPhase(b *model.Batch, phase string) model.Losses {
	return stepPhase(m, b, phase)
}

// discPhase runs the discriminator's k steps, step i on rows [i·n/k,
// (i+1)·n/k) of x against as many fresh samples of the generator, and
// returns disc, d_real and d_fake, each averaged over the steps weighted
// by their rows. The last step's samples (and the generator's forward
// pass) stay for genPhase.
func (m *Model) discPhase(x []float32, n int) model.Losses {
	var l model.Losses
	k := m.cfg.DiscSteps
	for i := range k {
		lo, hi := i*n/k, (i+1)*n/k
		rows := hi - lo
		fake := m.generate(rows)
		loss, real, faked := m.disc.Step(x[lo*model.Pixels:hi*model.Pixels], fake, rows, 0.5)
		w := float64(rows) / float64(n)
		l[0] += w * loss
		l[2] += w * real
		l[3] += w * faked
	}
	return l
}

// generate draws n noise vectors and runs the generator on them in
// training mode, returning its samples σ(G(z)) (n, Pixels).
func (m *Model) generate(n int) []float32 {
	z := m.z[:n*m.cfg.Latent]
	m.prior.Sample(z, n, m.noise)
	m.Record("noise", z)
	return generate(m.Gen, m.fake, z, n)
}

// genPhase updates the generator alone to lower its loss under the
// (updated) discriminator on n samples: those of the discriminator
// phase's last generate if reuse (its n rows), fresh ones otherwise. It
// returns gen in its slot; it reads no digits.
func (m *Model) genPhase(_ []float32, n int, reuse bool) model.Losses {
	fake := m.fake[:n*model.Pixels]
	if !reuse {
		fake = m.generate(n)
	}
	var l model.Losses
	l[1] = m.genGrad(fake, n)
	m.optGen.Step(m.Gen.Params, m.Gen.Grads)
	return l
}

// genGrad sets the generator's gradients to those of its loss on its
// samples fake (n rows, of its last generate) and returns the loss.
func (m *Model) genGrad(fake []float32, n int) float64 {
	loss, dfake := m.disc.Fool(fake, n, 0, 1)
	m.Gen.ZeroGrad()
	generateBackward(m.Gen, m.dlogits, dfake, fake, n)
	return loss
}

// Tensors returns generator.* and discriminator.* tensors as PyTorch names
// them in nn.Sequential modules.
func (m *Model) Tensors() []safetensors.Tensor {
	return append(model.SequentialTensors("generator", m.Gen), model.SequentialTensors("discriminator", m.disc.Net)...)
}

// The kinds this package trains, for model.New.
func init() {
	model.Register(model.Kind{Name: "gan", Doc: "GAN: a generator of digits from noise against a discriminator (minimax, nonsaturating, ml or lsgan loss)",
		Build: model.Builder(New), Nets: Nets, Check: Check,
		Fields: []string{"latent", "discriminator", "prior", "prior_std", "gan_loss", "disc_steps", "batchnorm", "lr_reg"},
		// Generator 100-128-256-512-1024-784 with batch norm (its widths are
		// the encoder's reversed), discriminator 784-512-256-1 with
		// LeakyReLU(0.2), Adam 2e-4 with β1 = 0.5, batch 64.
		Presets: map[string]func(*model.Config){"gan": func(c *model.Config) {
			c.Model, c.Latent, c.Encoder, c.Discriminator = "gan", 100, []int{1024, 512, 256, 128}, []int{512, 256}
			c.Activation, c.BatchNorm, c.LRRecon, c.LRReg, c.Batch, c.PriorStd = "leakyrelu", true, 2e-4, 2e-4, 64, 1
		}}})
	model.Register(model.Kind{Name: "aegan", Doc: "autoencoder inside a GAN: the decoder, trained to reconstruct, also generates digits from prior samples against a discriminator",
		Build: model.Builder(NewAEGAN), Nets: AEGANNets, Check: Check,
		Fields: []string{"latent", "discriminator", "prior", "prior_std", "gan_loss", "adv_weight", "batchnorm", "lr_reg"},
		// The decoder doubles as generator.
		Presets: map[string]func(*model.Config){"aegan": func(c *model.Config) {
			c.Model, c.Latent, c.PriorStd, c.Discriminator = "aegan", 8, 1, []int{256, 256}
		}}})
	model.Register(model.Kind{Name: "bigan", Doc: "BiGAN: encoder and generator against a discriminator on (digit, code) pairs",
		Build: model.Builder(NewBiGAN), Nets: BiGANNets, Check: Check,
		Fields: []string{"latent", "discriminator", "prior", "prior_std", "gan_loss", "batchnorm", "lr_reg"},
		// z uniform on (−1, 1), LeakyReLU(0.2), β1 = 0.5 as the references;
		// but one hidden layer of 256 in E, G and D, a 16-D z, Adam 1e-3 and
		// batch 32. The references' 50-D z, two layers of 1024, Adam 2e-4
		// and batch 128 collapsed here: after an epoch (469 steps, 9.5 min
		// natively) every sample was the same blob (class entropy 0, Fréchet
		// distance 636, as untrained), and so did 256-wide networks at 2e-4
		// or 1e-3 with batch 64, and batch norm. This preset reaches class
		// entropy 2.16 of log 10 = 2.30, Fréchet 125 and 1-NN accuracy 0.82
		// in 1000 steps (under a minute).
		Presets: map[string]func(*model.Config){"bigan": func(c *model.Config) {
			c.Model, c.Latent, c.Prior, c.PriorStd, c.Encoder, c.Discriminator = "bigan", 16, "uniform", 1, []int{256}, []int{256}
			c.LRRecon, c.LRReg, c.Batch, c.Activation = 1e-3, 1e-3, 32, "leakyrelu"
		}}})
}
