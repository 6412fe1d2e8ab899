// Package semisup implements the semi-supervised adversarial autoencoder
// and unsupervised clustering with it, Makhzani et al. (2015, arXiv
// 1511.05644) §6 and §7.
//
// Kinds: "semisupervised" (§6) and "cluster" (§7), the same model without
// labels.
//
// # Architecture
//
// The encoder q(y, z | x) has shared hidden layers (Config.Encoder, ReLU by
// default) and two linear heads on the last of them: the logits of a
// categorical y over Config.Classes classes, read through a softmax, and a
// style code z of Config.Latent values. The decoder takes the row [y, z]
// (Classes + Latent values; the encoder's widths reversed) to pixel logits.
// Two discriminators (Config.Discriminator widths each) tell prior samples
// from codes: D_y one-hot samples of a uniform categorical from the
// softmax y, D_z samples of Config.Prior (N(0, σ²I) with σ = PriorStd by
// default) from the style z.
//
// The paper uses 1000-1000 ReLU layers in every network. The presets scale
// them to train in a browser tab (the default 512-256 encoder and 256-256
// discriminators) and set σ = 1, so that the style has the scale of the
// one-hot y beside it at the decoder's input.
//
// Config.Dropout applies to every network; Config.BatchNorm to the encoder
// and decoder only: the discriminators see prior samples and codes in
// separate batches, whose statistics batch normalisation would compare
// away. The presets turn batch normalisation on. Without it, a short run
// of "cluster" puts every digit in one or two clusters: the encoder's
// ReLU features share a large positive mean, so one y logit leads for
// most digits, the generator phase sharpens that one class, and D_y then
// chases it from class to class. Centred features give each digit its own
// leading class from the start (in 300 steps of 784-128-64, 9 of 16
// clusters in use and 49 % cluster error with it, one or two and 80–89 %
// without). The semi-supervised model also gains (9.3 % against 11.3 %
// test error after 300 steps with 1000 labels), and its style then
// matches the prior (D_z at chance, where without it D_z wins).
//
// # What makes the categories mean digits
//
// Measured over runs of the "cluster" preset's networks (784-512-256,
// seed 3, REPRODUCTION.md has the runs): how many of the 16 clusters the
// test digits use, how confident y is (mean top probability), and how
// often D_y tells codes from one-hot samples.
//
//   - A category dies early and stays dead. y turns confident within a
//     few hundred steps (0.95 by step 600), and then the softmax is
//     saturated: the gradient of any loss with respect to a losing
//     logit is its probability, about 1e-4, so neither D_y (which calls
//     a one-hot vector at a dead category real every time) nor the
//     reconstruction can move digits into it. With the regularisation at
//     lr_reg = lr_recon = 1e-3, 10 to 12 of 16 categories were in use and
//     42–44 % of the test digits sat in a cluster whose majority is
//     another digit; at 2e-4 all 16 were in use but y stayed soft (top
//     probability 0.27, D_y right every time) and 52 % did.
//     Config.LogitNorm batch-normalises each logit over the batch before
//     the softmax, with a fixed scale and no learnt shift (PyTorch's
//     BatchNorm1d(affine=False), then ×LogitNorm): every logit then has
//     mean 0 and the same spread over every batch, so every category
//     leads for some digits of every batch and none dies, while the
//     scale still lets y become confident (3: 0.93–0.94). All 16 in use,
//     21.4 % after 3 epochs where the same run without it used 10 and
//     erred 35.1 % (both with input dropout 0.2, lr_reg 5e-4).
//   - With every category alive, digits still merge (4 with 9, 3 with 5
//     and 8) where the categories follow the strokes' pixels, as k-means
//     would. Dropout on the encoder's input (Config.InputDropout 0.2)
//     makes no reliable difference on these networks (5 epochs, seeds
//     3, 1, 2: 20.1, 21.6, 21.9 % with it; 15.2, 23.9, 20.5 % without)
//     and helps the paper's 1000-1000 ones, whose "paper-cluster-16"
//     erred 20.2 % after 4 epochs with it and 25.1 % without. Gaussian input
//     noise did not help clustering (fewer categories in use), nor did a
//     smaller style, a larger batch, hidden-layer dropout, 30 categories,
//     or raising lr_reg from 2e-4 to 1e-3 over the first epochs.
//   - lr_reg 5e-4, half lr_recon, where 1e-3 makes y confident before
//     the features are worth clustering (34 % against 42 %).
//
// For the semi-supervised model the labels name the categories, and three
// things help, each measured over the "semisupervised" preset's networks
// (784-512-256, 100 labels, 5 epochs, test error; seeds 1, 2, 3):
//
//   - Noise: Gaussian noise σ = 0.5 on the encoder's input in every phase
//     (seed 3, 2 epochs: 9.45 % against 15.7 % without; σ = 0.3, the
//     paper's, 9.7 %; 0.6 and 0.7 are worse), and a larger style (20
//     values: 7.3 % at 3 epochs, against 8.5 % with 10 and 13 % with 4:
//     a small style leaves the reconstruction to pull y away from the
//     labels). Together: 6.14, 7.89, 6.72 %.
//   - Config.LogitNorm, as for clustering. Without it the largest errors
//     are whole sub-populations read as another digit (with seed 2, 231
//     fives in the category of 3, which then holds 12 % of the digits);
//     with the logits batch-normalised every category leads for its share
//     of each batch: 4.86, 5.86, 6.52 %.
//   - lr_reg 5e-4, half lr_recon (D_y and the encoder settle the
//     categories' shares sooner): 4.63, 4.90, 5.41 %. At 1e-3 the error
//     after 2.5 epochs was 8.2–9.0 % against 5.3–6.8 %.
//   - With both, less noise: σ = 0.4 gives 3.62, 4.53, 4.75 % (the
//     preset's); 0.3 gives 3.99, 6.30, 4.17 %, 0.6 is worse after 2.5
//     epochs (6.6–9.4 %).
//
// What did not help, at the same budget: the classification phase at 5×
// lr_recon (14.5 % at 4 epochs, seed 3: the labelled digits are learnt by
// heart sooner) or 0.1× (12.3 % at 2), repeated three times a step, or
// with Adam's β1 = 0.9; noise of σ 0.8 on the labelled digits alone (σ
// 0.3 there was within a seed's spread of the 0.5 elsewhere); dropout on
// the input (with logit norm, after 2.5 epochs: 6.8, 7.3, 7.9 % against
// about 6.3, 7.9, 8.0 % without) or after the hidden layers; batch 50; the rates ×0.7 an epoch; an
// exponential moving average of the weights (decay 0.999, which lags the
// weights it averages through 5 epochs).
//
// # Training
//
// Each step has the paper's phases, each with its own Adam (or SGD)
// optimizer, as the reference implementations give the AAE:
//  1. reconstruction: encoder and decoder minimise BCE(x, dec(y, z)), the
//     gradient passing through the softmax (learning rate lr_recon);
//  2. regularisation: D_y and D_z learn to call prior samples real and
//     codes fake, then the encoder, as generator, learns to have both call
//     its codes real (the non-saturating loss; learning rate lr_reg);
//  3. semi-supervised classification ("semisupervised" only): the encoder
//     minimises the cross-entropy of y on a batch of the labelled subset
//     (model.Batch.LX; learning rate lr_recon, as the reconstruction: the
//     labelled batch is small next to the data and needs the larger rate).
//
// Class i of a "semisupervised" model means digit i, so it needs Classes =
// 10 and labels > 0; "cluster" has Classes = K arbitrary clusters (the paper
// reports K = 16 and 30) and refuses labels.
//
// # Capabilities
//
// Classifier (Classify: the softmax y), Autoencoder with Encode giving the
// style z (Latent values), Generator, LabelGenerator. Decode has only a
// style to go on, so it decodes row i with the one-hot class i mod Classes:
// a batch of prior samples shows every class in turn. DecodeLabels decodes
// with the given classes, for style × class grids. ReconLoss decodes the
// encoder's own (soft) y beside z, as training does; Encode followed by
// Decode (train.Session.Reconstruct) loses y and so redraws each digit's
// style in the class of its row. The model is no parallel.Sharder: its
// presets use batch normalisation, whose statistics a replica would take
// over its own rows only.
//
// # Files
//
// Tensors are named as a PyTorch module with an nn.Sequential trunk
// "encoder" (its last Linear split into the heads "encoder_y" (Classes, h)
// and "encoder_z" (Latent, h)), nn.Sequential "decoder", "discriminator_y"
// and "discriminator_z". Config.Nets counts the two heads as the
// encoder's last layer, of Classes + Latent outputs.
package semisup

import (
	"errors"
	"fmt"
	"math/rand/v2"

	"latentlab/core/adversarial"
	"latentlab/core/model"
	"latentlab/core/nn"
	"latentlab/core/optim"
	"latentlab/core/prior"
	"latentlab/core/safetensors"
	"latentlab/core/state"
)

// Nets lays out the networks of c: encoder Pixels→…→Classes+Latent,
// decoder Classes+Latent→…→Pixels (the encoder's widths reversed),
// discriminator_y Classes→…→1 and discriminator_z Latent→…→1.
func Nets(c model.Config) map[string][]int {
	code := c // the autoencoder of a code [y, z]
	code.Latent = c.Classes + c.Latent
	nets := model.AutoencoderNets(code)
	delete(nets, "discriminator")
	nets["discriminator_y"] = append(append([]int{c.Classes}, c.Discriminator...), 1)
	nets["discriminator_z"] = append(append([]int{c.Latent}, c.Discriminator...), 1)
	return nets
}

// check refuses what the kinds cannot train: "semisupervised" without
// labels or with other than 10 classes, "cluster" with labels, an encoder
// other than deterministic, and a prior that cannot shape a style of
// Latent values.
func check(c model.Config) error {
	switch {
	case c.Model == "semisupervised" && c.Labels == 0:
		return errors.New(`"semisupervised" needs labels > 0 (100, 1000 or 60000, say); without labels use model "cluster"`)
	case c.Model == "semisupervised" && c.Classes != 10:
		return fmt.Errorf(`"semisupervised" reads class i as digit i and needs classes = 10, not %d`, c.Classes)
	case c.Model == "cluster" && c.Labels > 0:
		return fmt.Errorf(`"cluster" trains without labels (labels = 0, not %d); with labels use model "semisupervised"`, c.Labels)
	}
	_, err := prior.New(c.Prior, c.Latent, c.PriorStd)
	return err
}

// Model is the semi-supervised (or clustering) adversarial autoencoder.
type Model struct {
	state.Training // optimizers and random streams, for checkpoints

	cfg    model.Config
	k, lat int // classes, style size

	Enc          *nn.MLP       // x → [y logits, z]
	YNorm        *nn.BatchNorm // the logits' batch norm, γ = Config.LogitNorm fixed (nil without)
	Dec          *nn.MLP       // [y, z] → pixel logits
	DiscY, DiscZ *nn.MLP       // y → logit of "categorical sample", z → logit of "prior sample"

	// One optimizer per network and phase: the encoder has one for each of
	// the reconstruction, generator and classification phases.
	optEnc, optDec, optGen, optCls optim.Optimizer
	critY, critZ                   *adversarial.Critic // DiscY and DiscZ with their optimizers, under the non-saturating loss

	prior   *prior.Prior
	noise   *rand.Rand // prior samples drawn during training
	inNoise *rand.Rand // the encoder's input noise (Config.InputNoise > 0); nil without
	inDrop  *rand.Rand // the encoder's input dropout (Config.InputDropout > 0); nil without
	xn      []float32  // (batch, Pixels) a batch with its input dropout and noise, what the encoder reads in training
	mask    []float32  // (batch, Pixels) the input dropout's mask

	u       []float32 // (batch, K+L) decoder input [y, z]; in the generator phase the codes it is fed
	dh      []float32 // (batch, K+L) gradient with respect to the encoder's output
	y, z    []float32 // (batch, K), (batch, L) the softmax y and the style z of the batch
	dy, dz  []float32 // (batch, K), (batch, L) gradients with respect to y and z
	yPrior  []float32 // (batch, K) one-hot categorical samples
	zPrior  []float32 // (batch, L) prior samples
	dlogits []float32 // (batch, Pixels) gradient of the reconstruction loss
}

// New builds the model c describes, parameters drawn from c.Seed. c must be
// valid (model.New validates).
func New(c model.Config) *Model {
	p, err := prior.New(c.Prior, c.Latent, c.PriorStd)
	if err != nil {
		panic("semisup: " + err.Error())
	}
	b, k, lat := c.Batch, c.Classes, c.Latent
	// The discriminators see prior samples and codes in separate batches,
	// whose statistics batch normalisation would compare away: they never
	// have it.
	discOpts := nn.LayerOpts{Dropout: c.Dropout}
	m := &Model{
		cfg: c, k: k, lat: lat,
		prior:   p,
		u:       make([]float32, b*(k+lat)),
		dh:      make([]float32, b*(k+lat)),
		y:       make([]float32, b*k),
		z:       make([]float32, b*lat),
		dy:      make([]float32, b*k),
		dz:      make([]float32, b*lat),
		yPrior:  make([]float32, b*k),
		zPrior:  make([]float32, b*lat),
		dlogits: make([]float32, b*model.Pixels),
	}
	m.Enc = m.MLP(c, "encoder", nn.Identity)
	if c.LogitNorm > 0 {
		// γ is the fixed scale, β stays 0: no optimizer holds them.
		m.YNorm = nn.NewBatchNorm(k, b)
		for i := range m.YNorm.Gamma {
			m.YNorm.Gamma[i] = float32(c.LogitNorm)
		}
	}
	m.Dec = m.MLP(c, "decoder", nn.Identity)
	m.DiscY = m.MLPOpts(c, "discriminator_y", nn.Identity, discOpts)
	m.DiscZ = m.MLPOpts(c, "discriminator_z", nn.Identity, discOpts)
	m.noise = m.Rand("noise", c, 1)
	if c.InputNoise > 0 || c.InputDropout > 0 {
		m.xn = make([]float32, b*model.Pixels)
	}
	if c.InputNoise > 0 {
		m.inNoise = m.Rand("input", c, 7)
	}
	if c.InputDropout > 0 {
		m.inDrop = m.Rand("input_dropout", c, 8)
		m.mask = make([]float32, b*model.Pixels)
	}
	init := model.NewRand(c, 0)
	for _, net := range []*nn.MLP{m.Enc, m.Dec, m.DiscY, m.DiscZ} {
		net.Init(init)
	}
	lrRecon, lrReg := c.LR()
	m.optEnc = m.Optimizer("encoder", c, m.Enc, lrRecon)
	m.optDec = m.Optimizer("decoder", c, m.Dec, lrRecon)
	m.optGen = m.Optimizer("generator", c, m.Enc, lrReg)
	m.optCls = m.Optimizer("classifier", c, m.Enc, lrRecon)
	m.critY = adversarial.New(m.DiscY, m.Optimizer("discriminator_y", c, m.DiscY, lrReg), adversarial.NonSaturating, b)
	m.critZ = adversarial.New(m.DiscZ, m.Optimizer("discriminator_z", c, m.DiscZ, lrReg), adversarial.NonSaturating, b)
	return m
}

// Config returns the model's config.
func (m *Model) Config() model.Config { return m.cfg }

// LossNames: "recon" (BCE in nats per image); "disc_y", "disc_z", each
// discriminator's BCE on prior samples plus that on codes; "gen_y",
// "gen_z", the encoder's BCE for having its y and z called real; and, for
// "semisupervised", "xent", the cross-entropy of y on the labelled batch
// (nats per digit).
func (m *Model) LossNames() []string {
	names := []string{"recon", "disc_y", "gen_y", "disc_z", "gen_z"}
	if m.cfg.Model == "semisupervised" {
		names = append(names, "xent")
	}
	return names
}

// Phases names the phases StepPhase runs: "recon", "reg" (both
// discriminators, then the encoder as generator) and, for
// "semisupervised", "xent".
func (m *Model) Phases() []string {
	if m.cfg.Model == "semisupervised" {
		return []string{"recon", "reg", "xent"}
	}
	return []string{"recon", "reg"}
}

// Step runs the three phases (two for "cluster") on the batch.
func (m *Model) Step(b *model.Batch) model.Losses {
	var l model.Losses
	for _, p := range m.Phases() {
		m.phase(&l, b, p)
	}
	return l
}

// StepPhase runs one phase on the batch; the losses it does not compute
// are zero.
func (m *Model) StepPhase(b *model.Batch, phase string) model.Losses {
	var l model.Losses
	m.phase(&l, b, phase)
	return l
}

func (m *Model) phase(l *model.Losses, b *model.Batch, phase string) {
	switch phase {
	case "recon":
		l[0] = m.reconstructionPhase(b.X, b.N)
	case "reg":
		l[1], l[3] = m.discriminatorPhase(b.X, b.N)
		l[2], l[4] = m.generatorPhase(b.N)
	case "xent":
		if m.cfg.Model == "semisupervised" && b.LN > 0 {
			l[5] = m.classificationPhase(b.LX, b.LLabels, b.LN)
		}
	default:
		panic("semisup: no phase " + phase)
	}
}

// noisy returns what the encoder reads of x in training, in every phase,
// while the reconstruction's target stays x: x with the input dropout of
// Config.InputDropout (each pixel 0 with that probability, the others
// scaled by 1/(1−p)), then the Gaussian noise of Config.InputNoise added;
// fresh draws for each call, and x itself without either.
func (m *Model) noisy(x []float32, n int) []float32 {
	if m.xn == nil {
		return x
	}
	xn := m.xn[:n*model.Pixels]
	if m.inNoise != nil {
		prior.Gaussian(xn, n, model.Pixels, m.cfg.InputNoise, m.inNoise)
		m.Record("input", xn)
	} else {
		clear(xn)
	}
	if m.inDrop != nil {
		mask := m.mask[:len(xn)]
		nn.DropoutMask(mask, m.cfg.InputDropout, m.inDrop)
		m.Record("input_dropout", mask)
		for i, v := range x[:len(xn)] {
			xn[i] += v * mask[i]
		}
		return xn
	}
	for i, v := range x[:len(xn)] {
		xn[i] += v
	}
	return xn
}

// encode runs the encoder on x (with its input noise) in training mode
// and stores the softmax y and the style z of its output in m.y and m.z.
func (m *Model) encode(x []float32, n int) {
	h := m.Enc.Forward(m.noisy(x, n), n)
	nn.SplitCols(m.y, m.z, h, n, m.k, m.lat)
	m.normForward(m.y[:n*m.k], n)
	nn.SoftmaxForward(m.y[:n*m.k], m.y[:n*m.k], m.k)
}

// normForward batch-normalises the logits (n, Classes) in place in
// training mode (Config.LogitNorm; nothing without).
func (m *Model) normForward(logits []float32, n int) {
	if m.YNorm != nil {
		m.YNorm.Forward(logits, logits, n)
	}
}

// normBackward takes the gradient with respect to the normalised logits
// back through the last normForward, in place.
func (m *Model) normBackward(d []float32, n int) {
	if m.YNorm != nil {
		m.YNorm.Backward(d, d, n)
	}
}

// normInfer normalises the logits (n, Classes) in place with the running
// statistics, for evaluation.
func (m *Model) normInfer(logits []float32, n int) {
	if m.YNorm != nil {
		m.YNorm.Infer(logits, logits, n)
	}
}

// backEncoder takes the gradients with respect to y (m.dy, overwritten)
// and z (dz) of the last encode to the encoder's parameters, clearing
// their gradients first.
func (m *Model) backEncoder(dz []float32, n int) {
	ny := n * m.k
	nn.SoftmaxBackward(m.dy[:ny], m.dy[:ny], m.y[:ny], m.k)
	m.normBackward(m.dy[:ny], n)
	nn.JoinCols(m.dh, m.dy, dz, n, m.k, m.lat)
	m.Enc.ZeroGrad()
	m.Enc.BackwardParams(m.dh[:n*(m.k+m.lat)], n)
}

// reconstructionPhase updates the encoder and decoder to lower
// BCE(x, σ(dec(y, z))).
func (m *Model) reconstructionPhase(x []float32, n int) float64 {
	loss := m.reconstructionGrads(x, n)
	m.optDec.Step(m.Dec.Params, m.Dec.Grads)
	m.optEnc.Step(m.Enc.Params, m.Enc.Grads)
	return loss
}

// reconstructionGrads returns BCE(x, σ(dec(y, z))) (mean over the n
// images) and stores its gradients in the encoder's and decoder's Grads.
func (m *Model) reconstructionGrads(x []float32, n int) float64 {
	m.encode(x, n)
	u := m.u[:n*(m.k+m.lat)]
	nn.JoinCols(u, m.y, m.z, n, m.k, m.lat)
	m.Dec.ZeroGrad()
	logits := m.Dec.Forward(u, n)
	dl := m.dlogits[:len(logits)]
	loss := nn.BCEWithLogits(dl, logits, x, n)
	du := m.Dec.Backward(dl, n)
	nn.SplitCols(m.dy, m.dz, du, n, m.k, m.lat)
	m.backEncoder(m.dz, n)
	return loss
}

// discriminatorPhase updates D_y to call one-hot categorical samples real
// and the encoder's softmax y fake, and D_z to call prior samples real and
// the style z fake. It leaves the encoder's forward pass on x (and its y
// and z) in place for generatorPhase.
func (m *Model) discriminatorPhase(x []float32, n int) (lossY, lossZ float64) {
	m.encode(x, n)
	yPrior := m.yPrior[:n*m.k]
	clear(yPrior)
	for i := range n {
		yPrior[i*m.k+m.noise.IntN(m.k)] = 1
	}
	m.Record("noise", yPrior)
	m.prior.Sample(m.zPrior, n, m.noise)
	m.Record("noise", m.zPrior[:n*m.lat])
	lossY, _, _ = m.critY.Step(yPrior, m.y[:n*m.k], n, 1)
	lossZ, _, _ = m.critZ.Step(m.zPrior[:n*m.lat], m.z[:n*m.lat], n, 1)
	return lossY, lossZ
}

// generatorPhase updates the encoder alone so that the (updated)
// discriminators call its y and z real, from the encoder's forward pass in
// discriminatorPhase.
func (m *Model) generatorPhase(n int) (lossY, lossZ float64) {
	lossY, lossZ = m.generatorGrads(n)
	m.optGen.Step(m.Enc.Params, m.Enc.Grads)
	return lossY, lossZ
}

// generatorGrads returns the encoder's losses for having its y and z
// (m.y, m.z, from the last encode) called real by the discriminators, and
// stores the gradient of their sum in the encoder's Grads. It also fills
// the discriminators' Grads, which their next update clears first.
func (m *Model) generatorGrads(n int) (lossY, lossZ float64) {
	lossY, dy := m.critY.Fool(m.y[:n*m.k], n, 0, 1)
	copy(m.dy, dy)
	lossZ, dz := m.critZ.Fool(m.z[:n*m.lat], n, 0, 1)
	m.backEncoder(dz, n)
	return lossY, lossZ
}

// classificationPhase updates the encoder to lower the cross-entropy of
// the labelled digits x under y.
func (m *Model) classificationPhase(x []float32, labels []uint8, n int) float64 {
	loss := m.classificationGrads(x, labels, n)
	m.optCls.Step(m.Enc.Params, m.Enc.Grads)
	return loss
}

// classificationGrads returns the cross-entropy of labels under the
// softmax y of x (mean over the n digits) and stores its gradient in the
// encoder's Grads.
func (m *Model) classificationGrads(x []float32, labels []uint8, n int) float64 {
	h := m.Enc.Forward(m.noisy(x, n), n)
	logits, dl := m.y[:n*m.k], m.dy[:n*m.k]
	nn.SplitCols(logits, m.z, h, n, m.k, m.lat)
	m.normForward(logits, n)
	loss := nn.SoftmaxCrossEntropy(dl, logits, labels[:n], n)
	m.normBackward(dl, n)
	clear(m.dz[:n*m.lat])
	nn.JoinCols(m.dh, dl, m.dz, n, m.k, m.lat)
	m.Enc.ZeroGrad()
	m.Enc.BackwardParams(m.dh[:n*(m.k+m.lat)], n)
	return loss
}

// Classes returns the number of categories of y.
func (m *Model) Classes() int { return m.k }

// Classify stores the softmax y of x in p (n, Classes).
func (m *Model) Classify(p, x []float32, n int) {
	h := m.Enc.Infer(x, n)
	nn.SplitCols(p, m.z, h, n, m.k, m.lat)
	m.normInfer(p[:n*m.k], n)
	nn.SoftmaxForward(p[:n*m.k], p[:n*m.k], m.k)
}

// Encode stores the style z of x in z (n, Latent).
func (m *Model) Encode(z, x []float32, n int) {
	nn.SplitCols(m.y, z, m.Enc.Infer(x, n), n, m.k, m.lat)
}

// Decode stores in x the pixel probabilities decoded from the style z,
// row i of the call with the one-hot class i mod Classes.
func (m *Model) Decode(x, z []float32, n int) {
	clear(m.y[:n*m.k])
	for i := range n {
		m.y[i*m.k+i%m.k] = 1
	}
	m.decode(x, z, n)
}

// DecodeLabels stores in x the pixel probabilities decoded from the style
// z, row i with the one-hot class labels[i] mod Classes (so that a grid of
// the ten digits' labels also draws a model of fewer clusters).
func (m *Model) DecodeLabels(x, z []float32, labels []uint8, n int) {
	clear(m.y[:n*m.k])
	for i, c := range labels[:n] {
		m.y[i*m.k+int(c)%m.k] = 1
	}
	m.decode(x, z, n)
}

// decode decodes [m.y, z] into pixel probabilities in x.
func (m *Model) decode(x, z []float32, n int) {
	u := m.u[:n*(m.k+m.lat)]
	nn.JoinCols(u, m.y, z, n, m.k, m.lat)
	nn.SigmoidForward(x[:n*model.Pixels], m.Dec.Infer(u, n))
}

// ReconLoss returns BCE(x, σ(dec(y, z))) summed over the n images, with the
// encoder's softmax y and style z of x, and stores the styles in z unless
// z is nil.
func (m *Model) ReconLoss(z, x []float32, n int) float64 {
	nn.SplitCols(m.y, m.z, m.Enc.Infer(x, n), n, m.k, m.lat)
	m.normInfer(m.y[:n*m.k], n)
	nn.SoftmaxForward(m.y[:n*m.k], m.y[:n*m.k], m.k)
	if z != nil {
		copy(z[:n*m.lat], m.z)
	}
	u := m.u[:n*(m.k+m.lat)]
	nn.JoinCols(u, m.y, m.z, n, m.k, m.lat)
	return nn.BCEWithLogits(nil, m.Dec.Infer(u, n), x, n) * float64(n)
}

// Reconstruct stores in xhat the digits decoded from each digit's own
// class probabilities y and style z (model.Reconstructor): Decode alone
// would draw the class of its row.
func (m *Model) Reconstruct(xhat, x []float32, n int) {
	nn.SplitCols(m.y, m.z, m.Enc.Infer(x, n), n, m.k, m.lat)
	m.normInfer(m.y[:n*m.k], n)
	nn.SoftmaxForward(m.y[:n*m.k], m.y[:n*m.k], m.k)
	m.decode(xhat, m.z, n)
}

// SamplePrior stores n samples of the style's prior in z.
func (m *Model) SamplePrior(z []float32, n int, r *rand.Rand) {
	m.prior.Sample(z, n, r)
}

// Tensors returns encoder.* (the shared layers), encoder_y.* and
// encoder_z.* (the heads), with Config.LogitNorm encoder_y_norm.* (the
// running statistics of PyTorch's BatchNorm1d(Classes, affine=False) on
// encoder_y's output, which is then scaled by LogitNorm), decoder.*,
// discriminator_y.* and discriminator_z.* tensors as PyTorch names them.
func (m *Model) Tensors() []safetensors.Tensor {
	enc := model.SequentialTensors("encoder", m.Enc)
	// The last two are the output layer's weight and bias: split them by
	// rows into the heads, views of the same parameters.
	last := m.Enc.Layers() - 1
	w, b := m.Enc.W[last], m.Enc.B[last]
	in := m.Enc.Sizes[last]
	ky := m.k * in
	ts := append(enc[:len(enc)-2],
		safetensors.Tensor{Name: "encoder_y.weight", Shape: []int{m.k, in}, Data: w[:ky]},
		safetensors.Tensor{Name: "encoder_y.bias", Shape: []int{m.k}, Data: b[:m.k]},
		safetensors.Tensor{Name: "encoder_z.weight", Shape: []int{m.lat, in}, Data: w[ky:]},
		safetensors.Tensor{Name: "encoder_z.bias", Shape: []int{m.lat}, Data: b[m.k:]})
	if bn := m.YNorm; bn != nil {
		ts = append(ts,
			safetensors.Tensor{Name: "encoder_y_norm.running_mean", Shape: []int{m.k}, Data: bn.RunningMean},
			safetensors.Tensor{Name: "encoder_y_norm.running_var", Shape: []int{m.k}, Data: bn.RunningVar},
			safetensors.Tensor{Name: "encoder_y_norm.num_batches_tracked", Shape: []int{}, Ints: bn.Tracked})
	}
	ts = append(ts, model.SequentialTensors("decoder", m.Dec)...)
	ts = append(ts, model.SequentialTensors("discriminator_y", m.DiscY)...)
	return append(ts, model.SequentialTensors("discriminator_z", m.DiscZ)...)
}

// The kinds this package trains, for model.New.
func init() {
	model.Register(model.Kind{Name: "semisupervised", Doc: "semi-supervised AAE: a categorical y (the digit) and a style z, each pushed to its prior; labelled digits train y",
		Build: model.Builder(New), Nets: Nets, Check: check,
		Fields: []string{"latent", "discriminator", "prior", "prior_std", "labels", "input_noise", "input_dropout", "logit_norm", "batchnorm", "lr_reg"},
		Presets: map[string]func(*model.Config){
			// Paper §6: 100 labels (the paper's headline row), 10 classes,
			// 20-D style under N(0, I), of the scale of the one-hot y beside
			// it; batch norm in the encoder and decoder, Gaussian noise σ =
			// 0.4 on the encoder's input, and, as the clustering's, the
			// logits of y batch-normalised (scale 3) and the regularisation
			// at half the reconstruction's rate (see the package doc).
			"semisupervised": func(c *model.Config) { semisupRecipe(c, 100) },
			// The paper's rows with 100, 1000 and all labels, drawn balanced
			// from the training digits outside the validation split: the
			// "semisupervised" preset's recipe (the paper does not give the
			// style's size, its prior or the rates in the text we have), on
			// model.PaperNets, the rates decaying by 0.95 an epoch.
			"paper-semisup-100":  func(c *model.Config) { paperSemisup(c, 100) },
			"paper-semisup-1000": func(c *model.Config) { paperSemisup(c, 1000) },
			"paper-semisup-all":  func(c *model.Config) { paperSemisup(c, 60000) },
		}})
	model.Register(model.Kind{Name: "cluster", Doc: "unsupervised clustering AAE: a categorical y over Classes clusters and a style z, without labels",
		Build: model.Builder(New), Nets: Nets, Check: check,
		Fields: []string{"latent", "discriminator", "prior", "prior_std", "classes", "input_noise", "input_dropout", "logit_norm", "batchnorm", "lr_reg"},
		Presets: map[string]func(*model.Config){
			// Paper §7: 16 clusters, no labels, 5-D style under N(0, I), batch
			// norm, the logits of y batch-normalised (scale 3), dropout 0.2
			// on the encoder's input, and the regularisation at half the
			// reconstruction's rate (see the package doc).
			"cluster": func(c *model.Config) { clusterRecipe(c, 16) },
			// The paper's rows with 16 and 30 clusters: the "cluster"
			// preset's recipe (the paper gives none of it in the text we
			// have) on model.PaperNets, the rates decaying by 0.95 an epoch.
			"paper-cluster-16": func(c *model.Config) { paperCluster(c, 16) },
			"paper-cluster-30": func(c *model.Config) { paperCluster(c, 30) },
		}})
}

func paperSemisup(c *model.Config, labels int) {
	model.PaperNets(c)
	semisupRecipe(c, labels)
	c.LRSchedule = "exp:0.95"
}

// semisupRecipe makes c the semi-supervised AAE with labels labelled
// digits the "semisupervised" preset and the paper's rows share.
func semisupRecipe(c *model.Config, labels int) {
	c.Model, c.Labels, c.Classes, c.Latent, c.PriorStd, c.BatchNorm = "semisupervised", labels, 10, 20, 1, true
	c.InputNoise, c.LogitNorm, c.LRReg = 0.4, 3, 5e-4
}

func paperCluster(c *model.Config, k int) {
	model.PaperNets(c)
	clusterRecipe(c, k)
	c.LRSchedule = "exp:0.95"
}

// clusterRecipe makes c the clustering AAE of k clusters the "cluster"
// preset and the paper's rows share.
func clusterRecipe(c *model.Config, k int) {
	c.Model, c.Classes, c.Latent, c.PriorStd, c.BatchNorm = "cluster", k, 5, 1, true
	c.LRReg, c.LogitNorm, c.InputDropout = 5e-4, 3, 0.2
}
