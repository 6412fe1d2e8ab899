package gan

import (
	"fmt"
	"math/rand/v2"

	"latentlab/core/adversarial"
	"latentlab/core/model"
	"latentlab/core/nn"
	"latentlab/core/prior"
	"latentlab/core/state"
)

// newCritic builds c's "discriminator" network, its parameters drawn from
// init, and its optimizer at the regularisation rate, recorded in t: the
// adversarial critic under Config.GANLoss. Its network has dropout
// (Config.Dropout) and never batch normalisation, as the reference
// discriminators.
func newCritic(t *state.Training, c model.Config, init *rand.Rand) *adversarial.Critic {
	loss, err := adversarial.ParseLoss(c.GANLoss)
	if err != nil {
		panic("gan: " + err.Error())
	}
	net := t.MLPOpts(c, "discriminator", nn.Identity, nn.LayerOpts{Dropout: c.Dropout})
	net.Init(init)
	_, lrReg := c.LR()
	return adversarial.New(net, t.Optimizer("discriminator", c, net, lrReg), loss, c.Batch)
}

// checkNoise reports a prior that cannot be the noise of c's generator.
func checkNoise(c model.Config) error {
	_, err := prior.New(c.Prior, c.Latent, c.PriorStd)
	if err != nil {
		return fmt.Errorf("%s noise: %v", c.Model, err)
	}
	return nil
}

// mirrored returns c's generator (decoder) layout, latent → the encoder's
// widths reversed → Pixels.
func mirrored(c model.Config) []int {
	s := []int{c.Latent}
	for i := len(c.Encoder) - 1; i >= 0; i-- {
		s = append(s, c.Encoder[i])
	}
	return append(s, model.Pixels)
}

// encoderNet returns c's encoder layout, Pixels → the encoder's widths →
// latent.
func encoderNet(c model.Config) []int {
	return append(append([]int{model.Pixels}, c.Encoder...), c.Latent)
}

// discNet returns the layout of a discriminator of in inputs →
// Config.Discriminator → 1.
func discNet(c model.Config, in int) []int {
	return append(append([]int{in}, c.Discriminator...), 1)
}

// generatorOpts are the optional layers of a generator, decoder or
// encoder: batch normalisation if c.BatchNorm, no dropout (that is the
// discriminator's).
func generatorOpts(c model.Config) nn.LayerOpts {
	return nn.LayerOpts{BatchNorm: c.BatchNorm}
}

// newPrior returns c's noise distribution.
func newPrior(c model.Config) *prior.Prior {
	p, err := prior.New(c.Prior, c.Latent, c.PriorStd)
	if err != nil {
		panic("gan: " + err.Error())
	}
	return p
}

// phased is a model of the package as its two phases, each filling its
// slots of the step's losses (the others zero).
type phased interface {
	discPhase(x []float32, n int) model.Losses
	genPhase(x []float32, n int, reuse bool) model.Losses
}

// step runs p's discriminator phase then its generator phase on b, the
// latter on the former's samples if reuse.
func step(p phased, b *model.Batch, reuse bool) model.Losses {
	l := p.discPhase(b.X, b.N)
	g := p.genPhase(b.X, b.N, reuse)
	for i, v := range g {
		l[i] += v
	}
	return l
}

// stepPhase runs p's phase named phase alone on b: "disc" or "gen" (on
// samples of its own).
func stepPhase(p phased, b *model.Batch, phase string) model.Losses {
	switch phase {
	case "disc":
		return p.discPhase(b.X, b.N)
	case "gen":
		return p.genPhase(b.X, b.N, false)
	}
	panic("gan: no phase " + phase)
}

// sampler gives a model the model.Generator methods of its generator (or
// decoder) network and noise.
type sampler struct {
	gen   *nn.MLP
	prior *prior.Prior
}

// Decode stores in x the pixel probabilities σ(G(z)) the generator (the
// decoder) gives the codes z, in evaluation mode.
func (s sampler) Decode(x, z []float32, n int) {
	nn.SigmoidForward(x[:n*model.Pixels], s.gen.Infer(z, n))
}

// SamplePrior stores n samples of the noise (the prior) in z.
func (s sampler) SamplePrior(z []float32, n int, r *rand.Rand) { s.prior.Sample(z, n, r) }

// coder gives a model the model.Autoencoder methods of its encoder and
// generator (decoder).
type coder struct {
	sampler
	enc *nn.MLP
	lat int
}

// Encode stores the codes E(x) in z.
func (c coder) Encode(z, x []float32, n int) { copy(z[:n*c.lat], c.enc.Infer(x, n)) }

// ReconLoss returns BCE(x, σ(G(E(x)))) summed over the n images, and
// stores the codes E(x) in z unless z is nil.
func (c coder) ReconLoss(z, x []float32, n int) float64 {
	codes := c.enc.Infer(x, n) // gen.Infer leaves the encoder's buffers be
	if z != nil {
		copy(z[:len(codes)], codes)
	}
	return nn.BCEWithLogits(nil, c.gen.Infer(codes, n), x, n) * float64(n)
}

// generate runs a generator (decoder) in training mode on z (n rows) and
// stores the pixel probabilities σ(logits) in fake (n, Pixels), returned.
func generate(net *nn.MLP, fake, z []float32, n int) []float32 {
	fake = fake[:n*model.Pixels]
	nn.SigmoidForward(fake, net.Forward(z, n))
	return fake
}

// generateBackward adds to a generator's gradients those of a loss whose
// gradient with respect to the pixels fake = σ(logits) of its last
// generate is dfake, using dlogits (n, Pixels) as scratch.
func generateBackward(net *nn.MLP, dlogits, dfake, fake []float32, n int) {
	dlogits = dlogits[:n*model.Pixels]
	// fake = σ(logits): dlogits = dfake·fake·(1 − fake)
	nn.SigmoidBackward(dlogits, dfake[:len(dlogits)], fake[:len(dlogits)])
	net.BackwardParams(dlogits, n)
}
