// Package supervised implements the supervised adversarial autoencoder of
// Makhzani et al. (2015, arXiv 1511.05644) §5 (Figure 6): the digit's label goes to
// the decoder beside the code, so the code z needs to hold only the style
// (slant, width, stroke), and one z decoded with each label draws all ten
// digits in the same hand.
//
// Kind "supervised". The encoder is deterministic, x → z (Config.Latent
// values); the decoder reads the row [z, one-hot(label)] (Latent + 10
// values, z first; its first Linear is decoder.0.weight (h, Latent+10))
// and gives pixel logits; a discriminator on z (Config.Discriminator
// widths) pushes the codes toward Config.Prior (N(0, σ²I) with σ =
// PriorStd in the paper) as core/aae does. Each step has the AAE's three
// phases, each with its own optimizer as in the reference implementations:
//  1. reconstruction: encoder and decoder minimise BCE(x, dec(z, label))
//     (lr_recon);
//  2. discriminator: prior samples → 1, codes → 0 (lr_reg);
//  3. generator: the encoder makes the discriminator call its codes real
//     (the non-saturating loss, lr_reg).
//
// # Labels
//
// Every digit it trains on needs its label, so the model trains on the
// batches of the labelled subset (model.Batch.LX, LLabels) and ignores the
// rest of the batch: Check requires labels > 0, and with labels ≥ the
// training set (60000 in the preset) the labelled batches run over every
// training digit; with fewer, the model trains on the labelled subset
// alone.
//
// # Capabilities
//
// Encoder (Encode: z = enc(x)), Generator, LabelGenerator (DecodeLabels
// decodes z with the given labels: the page's style × label grid),
// Reconstructor (each digit decoded with the label that fits it best) and
// Evaluator. Decode has no label to go on, so it decodes row i with label
// i mod 10: a batch of prior samples shows every digit in turn.
//
// It is not a model.Autoencoder: reconstructing x needs x's label, which
// ReconLoss(z, x, n) is not given, and a reconstruction under some other
// label would be no reconstruction. ReconLossLabels takes the labels;
// Evaluate reports with it "test_recon", the test digits reconstructed
// with their true labels (nats per digit), and "style_accuracy", the
// fraction of StyleDigits test styles decoded with each of the ten labels
// that a nearest-class-mean classifier (class means of the test digits'
// pixels) reads as the label they were decoded with.
package supervised

import (
	"errors"
	"math"
	"math/rand/v2"

	"latentlab/core/adversarial"
	"latentlab/core/data"
	"latentlab/core/model"
	"latentlab/core/nn"
	"latentlab/core/optim"
	"latentlab/core/prior"
	"latentlab/core/safetensors"
	"latentlab/core/state"
)

// Digits is the width of the one-hot label the decoder reads beside z.
const Digits = 10

// Nets lays out a "supervised" config's networks: encoder Pixels→…→Latent,
// decoder Latent+Digits→…→Pixels (the encoder's widths reversed) and
// discriminator Latent→…→1.
func Nets(c model.Config) map[string][]int {
	nets := model.AutoencoderNets(c)
	nets["decoder"][0] += Digits
	return nets
}

// Check refuses the "supervised" configs that cannot train: without
// labels, with an encoder other than deterministic, or with a prior that
// cannot shape a code of Latent values.
func Check(c model.Config) error {
	switch {
	case c.Labels == 0:
		return errors.New(`"supervised" decodes every digit with its label and trains on labelled digits only: ` +
			"set labels 60000 for every training digit (the preset does)")
	}
	_, err := prior.New(c.Prior, c.Latent, c.PriorStd)
	return err
}

// Model is the supervised adversarial autoencoder.
type Model struct {
	state.Training // optimizers and random streams, for checkpoints

	cfg  model.Config
	lat  int
	Enc  *nn.MLP // x → z
	Dec  *nn.MLP // [z, one-hot label] → pixel logits
	Disc *nn.MLP // z → logit of "prior sample"

	// One optimizer per network and phase: the encoder has one for the
	// reconstruction and one for the generator phase.
	optEnc, optDec, optGen optim.Optimizer
	critic                 *adversarial.Critic // Disc under the non-saturating loss

	prior *prior.Prior
	noise *rand.Rand // prior samples drawn during training

	z       []float32 // (n, Latent) the codes of the discriminator phase, the encoder's output buffer
	u       []float32 // (batch, Latent+Digits) the decoder's input [z, one-hot]
	dz      []float32 // (batch, Latent) ∂recon/∂z, out of the decoder's input gradient
	zPrior  []float32 // (batch, Latent) prior samples
	dlogits []float32 // (batch, Pixels) ∂recon/∂logits
}

// New builds the model c describes, parameters drawn from c.Seed. c must be
// valid (model.New validates).
func New(c model.Config) *Model {
	p, err := prior.New(c.Prior, c.Latent, c.PriorStd)
	if err != nil {
		panic("supervised: " + err.Error())
	}
	b, lat := c.Batch, c.Latent
	m := &Model{
		cfg: c, lat: lat,
		prior:   p,
		u:       make([]float32, b*(lat+Digits)),
		dz:      make([]float32, b*lat),
		zPrior:  make([]float32, b*lat),
		dlogits: make([]float32, b*model.Pixels),
	}
	m.Enc = m.MLP(c, "encoder", nn.Identity)
	m.Dec = m.MLP(c, "decoder", nn.Identity)
	m.Disc = m.MLP(c, "discriminator", nn.Identity)
	m.noise = m.Rand("noise", c, 1)
	init := model.NewRand(c, 0)
	for _, net := range []*nn.MLP{m.Enc, m.Dec, m.Disc} {
		net.Init(init)
	}
	lrRecon, lrReg := c.LR()
	m.optEnc = m.Optimizer("encoder", c, m.Enc, lrRecon)
	m.optDec = m.Optimizer("decoder", c, m.Dec, lrRecon)
	m.optGen = m.Optimizer("generator", c, m.Enc, lrReg)
	m.critic = adversarial.New(m.Disc, m.Optimizer("discriminator", c, m.Disc, lrReg), adversarial.NonSaturating, c.Batch)
	return m
}

// Config returns the model's config.
func (m *Model) Config() model.Config { return m.cfg }

// LossNames: "recon", BCE(x, σ(dec(z, label))) in nats per digit; "disc",
// the discriminator's BCE on prior samples plus that on codes; "gen", the
// encoder's BCE for having its codes called real.
func (m *Model) LossNames() []string { return []string{"recon", "disc", "gen"} }

// Step runs the three phases on the labelled batch (b.LX, b.LLabels); it
// panics without one (a config with labels gets one from train.Session).
func (m *Model) Step(b *model.Batch) model.Losses {
	if b.LN == 0 {
		panic("supervised: a step needs a labelled batch (Config.Labels > 0)")
	}
	x, labels, n := b.LX, b.LLabels, b.LN
	var l model.Losses
	l[0] = m.reconstructionGrads(x, labels, n)
	m.optDec.Step(m.Dec.Params, m.Dec.Grads)
	m.optEnc.Step(m.Enc.Params, m.Enc.Grads)
	l[1] = m.discriminatorPhase(x, n)
	l[2] = m.generatorGrads(n)
	m.optGen.Step(m.Enc.Params, m.Enc.Grads)
	return l
}

// decoderInput stores the rows [z, one-hot label] of the n codes z in m.u
// and returns them.
func (m *Model) decoderInput(z []float32, labels []uint8, n int) []float32 {
	w := m.lat + Digits
	for i := range n {
		row := m.u[i*w : (i+1)*w]
		copy(row, z[i*m.lat:(i+1)*m.lat])
		clear(row[m.lat:])
		row[m.lat+int(labels[i])] = 1 // a label outside 0..9 panics here
	}
	return m.u[:n*w]
}

// reconstructionGrads sets the encoder's and decoder's gradients to those
// of BCE(x, σ(dec(enc(x), labels))) (mean over the n digits) and returns
// it.
func (m *Model) reconstructionGrads(x []float32, labels []uint8, n int) float64 {
	m.Enc.ZeroGrad()
	m.Dec.ZeroGrad()
	z := m.Enc.Forward(x, n)
	logits := m.Dec.Forward(m.decoderInput(z, labels, n), n)
	dl := m.dlogits[:len(logits)]
	loss := nn.BCEWithLogits(dl, logits, x, n)
	du := m.Dec.Backward(dl, n)
	nn.SplitCols(m.dz, nil, du, n, m.lat, Digits)
	m.Enc.BackwardParams(m.dz[:n*m.lat], n)
	return loss
}

// discriminatorPhase updates the discriminator to call prior samples real
// (1) and the codes of x fake (0), and returns the sum of the two BCEs. It
// leaves the encoder's forward pass on x in place for generatorGrads.
func (m *Model) discriminatorPhase(x []float32, n int) float64 {
	z := m.Enc.Forward(x, n)
	m.z = z
	zp := m.zPrior[:n*m.lat]
	m.prior.Sample(zp, n, m.noise)
	m.Record("noise", zp)
	loss, _, _ := m.critic.Step(zp, z, n, 1)
	return loss
}

// generatorGrads sets the encoder's gradients to those of its loss for
// having the codes of discriminatorPhase's forward pass called real by the
// (updated) discriminator, and returns that loss. It also fills the
// discriminator's gradients, which its next update clears first.
func (m *Model) generatorGrads(n int) float64 {
	loss, dz := m.critic.Fool(m.z, n, 0, 1)
	m.Enc.ZeroGrad()
	m.Enc.BackwardParams(dz, n)
	return loss
}

// Encode stores the codes (styles) enc(x) in z.
func (m *Model) Encode(z, x []float32, n int) {
	copy(z[:n*m.lat], m.Enc.Infer(x, n))
}

// DecodeLabels stores in x the pixel probabilities decoded from the codes
// z with labels (0..9).
func (m *Model) DecodeLabels(x, z []float32, labels []uint8, n int) {
	nn.SigmoidForward(x[:n*model.Pixels], m.Dec.Infer(m.decoderInput(z, labels, n), n))
}

// rowLabels holds i mod 10 for row i of a batch, the labels of Decode.
var rowLabels = func() []uint8 {
	l := make([]uint8, model.MaxBatch)
	for i := range l {
		l[i] = uint8(i % Digits)
	}
	return l
}()

// Decode stores in x the digits decoded from z, row i with label i mod 10.
func (m *Model) Decode(x, z []float32, n int) {
	m.DecodeLabels(x, z, rowLabels, n)
}

// SamplePrior stores n samples of the prior in z.
func (m *Model) SamplePrior(z []float32, n int, r *rand.Rand) {
	m.prior.Sample(z, n, r)
}

// ReconLossLabels returns BCE(x, σ(dec(enc(x), labels))) summed over the n
// digits, the reconstruction with the digits' true labels, and stores
// their codes in z unless z is nil.
func (m *Model) ReconLossLabels(z, x []float32, labels []uint8, n int) float64 {
	codes := m.Enc.Infer(x, n)
	if z != nil {
		copy(z[:len(codes)], codes)
	}
	logits := m.Dec.Infer(m.decoderInput(codes, labels, n), n)
	return nn.BCEWithLogits(nil, logits, x, n) * float64(n)
}

// StyleDigits is the number of test digits whose styles Evaluate decodes
// with every label for "style_accuracy".
const StyleDigits = 100

// Evaluate returns "test_recon", ReconLossLabels over the test set in nats
// per digit, and "style_accuracy" (see the package doc).
func (m *Model) Evaluate(_, test *data.Set) map[string]float64 {
	b := m.cfg.Batch
	x := make([]float32, b*model.Pixels)
	labels := make([]uint8, b)
	var sum float64
	for lo := 0; lo < test.N; lo += b {
		n := min(b, test.N-lo)
		test.FillRange(x[:n*model.Pixels], labels[:n], lo, lo+n)
		sum += m.ReconLossLabels(nil, x, labels, n)
	}
	return map[string]float64{
		"test_recon":     sum / float64(test.N),
		"style_accuracy": m.StyleAccuracy(test, min(StyleDigits, test.N)),
	}
}

// StyleAccuracy encodes the first n digits of set, decodes each code with
// each of the ten labels and returns the fraction of the decoded digits
// that NearestMean, with the class means of set's digits, reads as the
// label they were decoded with.
func (m *Model) StyleAccuracy(set *data.Set, n int) float64 {
	means := ClassMeans(set)
	x := make([]float32, model.Pixels)
	z := make([]float32, m.lat)
	out := make([]float32, Digits*model.Pixels)
	right := 0
	for i := range n {
		set.FillRange(x, nil, i, i+1)
		m.Encode(z, x, 1)
		m.decodeEach(out, z)
		nn.SigmoidForward(out, out)
		for d := range Digits {
			if NearestMean(means, out[d*model.Pixels:(d+1)*model.Pixels]) == d {
				right++
			}
		}
	}
	return float64(right) / float64(n*Digits)
}

// decodeEach stores in out (Digits, Pixels) the pixel logits of the code z
// decoded with each label 0..9, in batches the networks' buffers hold.
func (m *Model) decodeEach(out, z []float32) {
	zs := make([]float32, Digits*m.lat)
	for d := range Digits {
		copy(zs[d*m.lat:], z[:m.lat])
	}
	for lo := 0; lo < Digits; lo += m.cfg.Batch {
		hi := min(lo+m.cfg.Batch, Digits)
		u := m.decoderInput(zs[lo*m.lat:hi*m.lat], rowLabels[lo:hi], hi-lo)
		copy(out[lo*model.Pixels:hi*model.Pixels], m.Dec.Infer(u, hi-lo))
	}
}

// Reconstruct stores in xhat (n, Pixels) the reconstructions of x: each
// digit's code decoded with the label whose decoding fits the digit best
// (least BCE), since the model has no classifier to tell it the label.
// It decodes every digit ten times: it is meant for the page's few
// reconstructed digits (model.Reconstructor), not for whole test sets,
// which Evaluate reconstructs with their true labels.
func (m *Model) Reconstruct(xhat, x []float32, n int) {
	z := make([]float32, n*m.lat)
	m.Encode(z, x, n)
	logits := make([]float32, Digits*model.Pixels)
	for i := range n {
		m.decodeEach(logits, z[i*m.lat:(i+1)*m.lat])
		xi := x[i*model.Pixels : (i+1)*model.Pixels]
		best, bestLoss := 0, math.Inf(1)
		for d := range Digits {
			if l := nn.BCEWithLogits(nil, logits[d*model.Pixels:(d+1)*model.Pixels], xi, 1); l < bestLoss {
				best, bestLoss = d, l
			}
		}
		nn.SigmoidForward(xhat[i*model.Pixels:(i+1)*model.Pixels], logits[best*model.Pixels:(best+1)*model.Pixels])
	}
}

// ClassMeans returns the mean digit of each label 0..9 in set (Digits
// rows of Pixels values; a label set lacks keeps a row of zeros).
func ClassMeans(set *data.Set) []float32 {
	sum := make([]float64, Digits*model.Pixels)
	count := make([]int, Digits)
	x := make([]float32, model.Pixels)
	for i := range set.N {
		l := int(set.Labels[i])
		if l >= Digits {
			continue
		}
		set.FillRange(x, nil, i, i+1)
		count[l]++
		for j, v := range x {
			sum[l*model.Pixels+j] += float64(v)
		}
	}
	means := make([]float32, len(sum))
	for i, v := range sum {
		if c := count[i/model.Pixels]; c > 0 {
			means[i] = float32(v / float64(c))
		}
	}
	return means
}

// NearestMean returns the label whose class mean (a row of means, as
// ClassMeans gives) is nearest x in Euclidean distance.
func NearestMean(means, x []float32) int {
	best, bestD := 0, math.Inf(1)
	for d := range Digits {
		var s float64
		for j, v := range means[d*model.Pixels : (d+1)*model.Pixels] {
			e := float64(x[j] - v)
			s += e * e
		}
		if s < bestD {
			best, bestD = d, s
		}
	}
	return best
}

// Tensors returns encoder.*, decoder.* and discriminator.* tensors as
// PyTorch names them in nn.Sequential modules.
func (m *Model) Tensors() []safetensors.Tensor {
	ts := append(model.SequentialTensors("encoder", m.Enc), model.SequentialTensors("decoder", m.Dec)...)
	return append(ts, model.SequentialTensors("discriminator", m.Disc)...)
}

// The kinds this package trains, for model.New.
func init() {
	model.Register(model.Kind{Name: "supervised", Doc: "supervised AAE: the label goes to the decoder, the code z holds the style",
		Build: model.Builder(New), Nets: Nets, Check: Check,
		Fields: []string{"latent", "discriminator", "prior", "prior_std", "labels", "batchnorm", "lr_reg"},
		// Paper §5: every label, a 2-D style so a person can pick it on the
		// plot.
		Presets: map[string]func(*model.Config){
			"supervised": func(c *model.Config) { c.Model, c.Labels = "supervised", 60000 },
		}})
}
