// Package vae implements the variational autoencoder (Kingma and Welling
// 2013), the model the AAE paper (Makhzani et al. 2015, §3 and Figure 2) compares
// itself with: a KL term in place of the adversarial regulariser.
//
// Kind "vae". The encoder is Gaussian: its last Linear has 2·latent
// outputs, the first latent of each row the mean μ and the next latent the
// log-variance log σ² (PyTorch's mu, logvar = encoder(x).chunk(2, dim=1),
// so its tensors are encoder.0.weight … encoder.2L.weight (2·latent, h)).
// Training codes are z = μ + σ·ε, ε ~ N(0, I), differentiated through μ
// and σ (the reparameterisation trick); the decoder mirrors the encoder's
// widths and gives pixel logits. The loss per digit is
//
//	recon = BCE(x, σ(dec(z))) summed over the 784 pixels,
//	kl    = KL(N(μ, σ²) ‖ N(0, s²I)) = Σ_j log s − ½·log σ²_j + (σ²_j + μ²_j)/(2s²) − ½,
//
// each averaged over the batch; −ELBO = recon + kl. The prior's scale s is
// Config.PriorStd, honoured rather than refused: s = 1 (the presets, and
// every re-implementation) is the usual ½·Σ(μ² + σ² − 1 − log σ²), twice
// of which is the reference's Σ exp(σ_i) − (1 + σ_i) + m_i² (its σ_i being the
// log-variance). The prior must be "gaussian": the KL needs the prior's
// density in closed form, the VAE's limitation the AAE lifts.
//
// One optimizer (Config.Optimizer at lr_recon) per network, encoder and
// decoder; lr_reg and the discriminator widths are unused.
//
// Capabilities: Autoencoder (Encode gives μ; ReconLoss decodes μ, so it is
// deterministic, and is the reconstruction of the mean code, not the
// ELBO's expectation over z), Generator (SamplePrior draws N(0, s²I)),
// Evaluator (the test set's KL and −ELBO, with one fixed draw of ε per
// digit) and parallel.Sharder (data-parallel replicas, ε drawn for the whole
// batch and sliced, as core/aae does).
package vae

import (
	"errors"
	"fmt"
	"math/rand/v2"

	"latentlab/core/data"
	"latentlab/core/model"
	"latentlab/core/nn"
	"latentlab/core/optim"
	"latentlab/core/parallel"
	"latentlab/core/prior"
	"latentlab/core/safetensors"
	"latentlab/core/state"
)

// Nets lays out a "vae" config's networks: encoder Pixels→…→2·Latent (μ
// and log σ²), decoder Latent→…→Pixels (the encoder's widths reversed).
func Nets(c model.Config) map[string][]int {
	nets := model.AutoencoderNets(c)
	delete(nets, "discriminator")
	enc := nets["encoder"]
	enc[len(enc)-1] = 2 * c.Latent
	return nets
}

// Check refuses the "vae" configs that are not a VAE: a prior other than
// the Gaussian (whose KL the loss needs in closed form), and an encoder
// other than the Gaussian posterior.
func Check(c model.Config) error {
	switch {
	case c.Prior != "gaussian":
		return fmt.Errorf("the VAE's KL term needs the prior's density in closed form: prior must be gaussian, not %s (an aae takes any prior)", c.Prior)
	case c.Posterior != "gaussian":
		return errors.New("the VAE's encoder is a Gaussian posterior: set posterior gaussian (the vae presets do)")
	}
	return nil
}

// Model is a variational autoencoder.
type Model struct {
	state.Training // optimizers and random streams, for checkpoints

	cfg      model.Config
	Enc, Dec *nn.MLP // encoder x → [μ, log σ²], decoder z → pixel logits

	optEnc, optDec optim.Optimizer
	eps            *rand.Rand // ε of the training codes

	shard *parallel.Shard // nil unless a data-parallel replica
	share float32         // this replica's fraction of each batch (1 unsharded)

	lat int
	s2  float64 // prior variance s²

	noisy   []float32 // (batch, Latent) ε of the whole batch
	code    []float32 // (batch, Latent) z = μ + σ·ε, or μ in evaluation
	dout    []float32 // (batch, 2·Latent) ∂L/∂[μ, log σ²]
	dlogits []float32 // (batch, Pixels) ∂recon/∂logits
}

// New builds the VAE c describes, parameters drawn from c.Seed. c must be
// valid (model.New validates).
func New(c model.Config) *Model {
	m := &Model{
		cfg:     c,
		share:   1,
		lat:     c.Latent,
		s2:      c.PriorStd * c.PriorStd,
		noisy:   make([]float32, c.Batch*c.Latent),
		code:    make([]float32, c.Batch*c.Latent),
		dout:    make([]float32, c.Batch*2*c.Latent),
		dlogits: make([]float32, c.Batch*model.Pixels),
	}
	m.Enc = m.MLP(c, "encoder", nn.Identity)
	m.Dec = m.MLP(c, "decoder", nn.Identity)
	m.eps = m.Rand("posterior", c, 4)
	init := model.NewRand(c, 0)
	m.Enc.Init(init)
	m.Dec.Init(init)
	m.optEnc = m.Optimizer("encoder", c, m.Enc, float32(c.LRRecon))
	m.optDec = m.Optimizer("decoder", c, m.Dec, float32(c.LRRecon))
	return m
}

// Config returns the model's config.
func (m *Model) Config() model.Config { return m.cfg }

// LossNames: "recon", BCE summed over pixels, and "kl", KL(q(z|x) ‖ p(z)),
// both in nats per digit; their sum is the negative ELBO.
func (m *Model) LossNames() []string { return []string{"recon", "kl"} }

// SetShard makes the model a data-parallel replica (see parallel.Shard), or
// whole again with nil.
func (m *Model) SetShard(s *parallel.Shard) error { return parallel.Set(&m.shard, s, m.cfg) }

// Step takes one gradient step on recon + kl of the batch. A replica
// trains on its rows and returns its share of the losses; ε is drawn for
// the whole batch and sliced, so the replicas together draw what one
// model does.
func (m *Model) Step(b *model.Batch) model.Losses {
	n := b.N
	var lo, hi int
	lo, hi, m.share = m.shard.Rows(n)
	prior.Gaussian(m.noisy, n, m.lat, 1, m.eps)
	m.Record("posterior", m.noisy[:n*m.lat])
	ns := hi - lo
	recon, kl := m.grads(b.X[lo*model.Pixels:hi*model.Pixels], m.noisy[lo*m.lat:hi*m.lat], ns)
	m.shard.Update(m.optDec, m.Dec, m.share)
	m.shard.Update(m.optEnc, m.Enc, m.share)
	var l model.Losses
	l[0], l[1] = recon*float64(m.share), kl*float64(m.share)
	return l
}

// grads sets the encoder's and decoder's gradients to those of recon + kl
// (means over the n digits of x, codes drawn with the noise eps (n,
// Latent)) and returns the two losses.
func (m *Model) grads(x, eps []float32, n int) (recon, kl float64) {
	m.Enc.ZeroGrad()
	m.Dec.ZeroGrad()
	out := m.Enc.Forward(x, n)
	z := m.code[:n*m.lat]
	kl = sample(z, out, eps, n, m.lat, m.s2)
	logits := m.Dec.Forward(z, n)
	dl := m.dlogits[:len(logits)]
	recon = nn.BCEWithLogits(dl, logits, x, n)
	dz := m.Dec.Backward(dl, n)
	dout := m.dout[:2*n*m.lat]
	sampleBackward(dout, dz, out, eps, n, m.lat, m.s2)
	m.Enc.BackwardParams(dout, n)
	return recon, kl
}

// sample stores the codes z = μ + σ·ε (n, lat) of the encoder outputs out
// (n, 2·lat), rows [μ, log σ²], with noise eps (n, lat), and returns
// KL(N(μ, σ²) ‖ N(0, s2·I)) averaged over the n rows.
func sample(z, out, eps []float32, n, lat int, s2 float64) (kl float64) {
	nn.Reparameterise(z, out, eps, n, lat)
	return nn.GaussianKL(nil, out, n, lat, s2)
}

// sampleBackward stores in dout (n, 2·lat) the gradient with respect to the
// encoder outputs [μ, log σ²] of L + KL, where dz (n, lat) is ∂L/∂z for the
// codes sample made from out and eps, and KL is sample's mean KL.
func sampleBackward(dout, dz, out, eps []float32, n, lat int, s2 float64) {
	nn.ReparameteriseBackward(dout, dz, out, eps, n, lat)
	nn.GaussianKL(dout, out, n, lat, s2)
}

// means runs the encoder in evaluation mode on x and returns its output
// (n, 2·Latent), valid until the encoder's next run, and the means μ (n,
// Latent) copied into m.code.
func (m *Model) means(x []float32, n int) (out, mu []float32) {
	out = m.Enc.Infer(x, n)
	lat := m.lat
	for i := range n {
		copy(m.code[i*lat:(i+1)*lat], out[2*i*lat:(2*i+1)*lat])
	}
	return out, m.code[:n*lat]
}

// Encode stores the means μ(x) of the codes of x in z.
func (m *Model) Encode(z, x []float32, n int) {
	_, mu := m.means(x, n)
	copy(z[:n*m.lat], mu)
}

// Decode stores the pixel probabilities σ(dec(z)) in x.
func (m *Model) Decode(x, z []float32, n int) {
	nn.SigmoidForward(x[:n*model.Pixels], m.Dec.Infer(z, n))
}

// ReconLoss returns BCE(x, σ(dec(μ(x)))) summed over the n images: the
// reconstruction of the mean code, deterministic (no ε), and stores the
// means in z unless z is nil.
func (m *Model) ReconLoss(z, x []float32, n int) float64 {
	_, mu := m.means(x, n)
	if z != nil {
		copy(z[:len(mu)], mu)
	}
	return nn.BCEWithLogits(nil, m.Dec.Infer(mu, n), x, n) * float64(n)
}

// SamplePrior stores n samples of the prior N(0, s²I) in z.
func (m *Model) SamplePrior(z []float32, n int, r *rand.Rand) {
	prior.Gaussian(z, n, m.lat, m.cfg.PriorStd, r)
}

// EvalSeed seeds the ε of Evaluate, the same for every call so that the
// figures of two snapshots differ only by the model.
const EvalSeed = 0x5eed

// Evaluate returns, over the whole test set, "test_kl", the mean
// KL(q(z|x) ‖ p(z)), and "test_neg_elbo", the mean recon + kl with one draw
// of z per digit (ε from EvalSeed), both in nats per digit; the
// reconstruction of the mean code is Session.Metrics' "test_recon".
func (m *Model) Evaluate(_, test *data.Set) map[string]float64 {
	r := rand.New(rand.NewPCG(EvalSeed, 0))
	b := m.cfg.Batch
	x := make([]float32, b*model.Pixels)
	var kl, nelbo float64
	for lo := 0; lo < test.N; lo += b {
		n := min(b, test.N-lo)
		test.FillRange(x[:n*model.Pixels], nil, lo, lo+n)
		out := m.Enc.Infer(x, n)
		prior.Gaussian(m.noisy, n, m.lat, 1, r)
		k := sample(m.code, out, m.noisy, n, m.lat, m.s2) * float64(n)
		recon := nn.BCEWithLogits(nil, m.Dec.Infer(m.code[:n*m.lat], n), x, n) * float64(n)
		kl += k
		nelbo += recon + k
	}
	return map[string]float64{"test_kl": kl / float64(test.N), "test_neg_elbo": nelbo / float64(test.N)}
}

// Tensors returns encoder.* and decoder.* tensors as PyTorch names them
// in nn.Sequential modules; the encoder's last Linear gives [μ, log σ²].
func (m *Model) Tensors() []safetensors.Tensor {
	return append(model.SequentialTensors("encoder", m.Enc), model.SequentialTensors("decoder", m.Dec)...)
}

// The kinds this package trains, for model.New.
func init() {
	model.Register(model.Kind{Name: "vae", Doc: "variational autoencoder: Gaussian codes, reconstruction + KL to the prior N(0, s²I)",
		Build: model.Builder(New), Nets: Nets, Check: Check,
		Fields: []string{"latent", "prior", "prior_std", "posterior", "batchnorm"},
		// On the same 2-D latent as the default AAE, for the paper's Figure 2
		// comparison; re-implementations use 784-400-20 with Adam 1e-3 (β1 =
		// 0.9: nothing adversarial) and batch 128 ("vae-20").
		Presets: map[string]func(*model.Config){
			"vae": func(c *model.Config) { c.Model, c.Posterior, c.PriorStd, c.Beta1 = "vae", "gaussian", 1, 0.9 },
			"vae-20": func(c *model.Config) {
				c.Model, c.Posterior, c.Encoder, c.Latent, c.PriorStd, c.Batch, c.Beta1 = "vae", "gaussian", []int{400}, 20, 1, 128, 0.9
			},
		}})
}
