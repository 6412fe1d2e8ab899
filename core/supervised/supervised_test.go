package supervised_test

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"latentlab/core/model"
	"latentlab/core/modeltest"
	"latentlab/core/supervised"
	"latentlab/core/train"
)

// small is the "supervised" preset on a small network.
func small() model.Config {
	return modeltest.Small(model.Presets()["supervised"])
}

// TestFileRoundTrip: the model comes back from its file with the same
// evaluation, its tensors named and shaped as PyTorch's nn.Sequential
// gives them (the decoder reading latent+10 values); a truncated file is
// an error.
func TestFileRoundTrip(t *testing.T) {
	tr, te := modeltest.Subset(t)
	c := small()
	s, back := modeltest.Reloaded(t, c, tr, te, 5)
	m := back.Model
	e1 := s.Model.(model.Evaluator).Evaluate(tr, te)
	e2 := m.(model.Evaluator).Evaluate(tr, te)
	if fmt.Sprint(e1) != fmt.Sprint(e2) {
		t.Fatalf("evaluation %v before saving, %v after loading", e1, e2)
	}
	want := map[string][]int{
		"encoder.0.weight": {64, 784}, "encoder.4.weight": {2, 32},
		"decoder.0.weight": {32, 12}, "decoder.4.weight": {784, 64},
		"discriminator.0.weight": {32, 2}, "discriminator.4.weight": {1, 32},
	}
	modeltest.Shapes(t, m, want)
}

// TestCapabilities: a LabelGenerator, Generator, Encoder and Evaluator but
// no Autoencoder (ReconLoss would need labels); Decode is DecodeLabels
// with label i mod 10; ReconLossLabels stores the codes Encode gives and
// depends on the labels.
func TestCapabilities(t *testing.T) {
	tr, te := modeltest.Subset(t)
	c := small()
	s := modeltest.Session(t, c, tr, te)
	for range 3 {
		s.Step()
	}
	m := s.Model
	sm := m.(*supervised.Model)
	if _, ok := m.(model.Autoencoder); ok {
		t.Errorf("an Autoencoder, without labels to reconstruct with")
	}
	for name, ok := range map[string]bool{
		"Encoder":        is[model.Encoder](m),
		"Generator":      is[model.Generator](m),
		"LabelGenerator": is[model.LabelGenerator](m),
		"Evaluator":      is[model.Evaluator](m),
		"Reconstructor":  is[model.Reconstructor](m),
	} {
		if !ok {
			t.Errorf("not a %s", name)
		}
	}
	const n = 12
	z := make([]float32, n*c.Latent)
	sm.SamplePrior(z, n, model.NewRand(c, 5))
	labels := make([]uint8, n)
	for i := range labels {
		labels[i] = uint8(i % 10)
	}
	a, b := make([]float32, n*model.Pixels), make([]float32, n*model.Pixels)
	sm.Decode(a, z, n)
	sm.DecodeLabels(b, z, labels, n)
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Errorf("Decode differs from DecodeLabels with labels i mod 10")
	}
	x := make([]float32, n*model.Pixels)
	tl := make([]uint8, n)
	idx := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}
	te.Fill(x, tl, idx)
	zc, ze := make([]float32, n*c.Latent), make([]float32, n*c.Latent)
	right := sm.ReconLossLabels(zc, x, tl, n)
	sm.Encode(ze, x, n)
	if fmt.Sprint(zc) != fmt.Sprint(ze) {
		t.Errorf("ReconLossLabels codes %v, Encode %v", zc[:4], ze[:4])
	}
	wrong := make([]uint8, n)
	for i, l := range tl {
		wrong[i] = (l + 5) % 10
	}
	if other := sm.ReconLossLabels(nil, x, wrong, n); other == right {
		t.Errorf("reconstruction loss %v with the true labels and with wrong ones", right)
	}

	// Reconstruct: each digit decoded with the label that fits it best.
	xhat := make([]float32, n*model.Pixels)
	sm.Reconstruct(xhat, x, n)
	each := make([]float32, 10*model.Pixels)
	zs := make([]float32, 10*c.Latent)
	all := []uint8{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
	for i := range n {
		for d := range 10 {
			copy(zs[d*c.Latent:], ze[i*c.Latent:(i+1)*c.Latent])
		}
		sm.DecodeLabels(each, zs, all, 10)
		xi := x[i*model.Pixels : (i+1)*model.Pixels]
		best, bestLoss := -1, math.Inf(1)
		for d := range 10 {
			var l float64
			for j, v := range each[d*model.Pixels : (d+1)*model.Pixels] {
				l -= float64(xi[j])*math.Log(float64(v)) + (1-float64(xi[j]))*math.Log(1-float64(v))
			}
			if l < bestLoss {
				best, bestLoss = d, l
			}
		}
		if fmt.Sprint(xhat[i*model.Pixels:(i+1)*model.Pixels]) != fmt.Sprint(each[best*model.Pixels:(best+1)*model.Pixels]) {
			t.Errorf("digit %d: the reconstruction is not its code decoded with the best-fitting label %d", i, best)
		}
	}
}

func is[T any](m model.Model) bool { _, ok := m.(T); return ok }

// TestCheck: the supervised kind refuses configs without labels or with a
// stochastic encoder, saying why, and accepts its preset.
func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		edit func(*model.Config)
		want string
	}{
		{func(c *model.Config) { c.Labels = 0 }, "set labels 60000"},
		{func(c *model.Config) { c.Prior, c.Latent = "mixture", 1 }, "mixture"},
	} {
		c := small()
		tc.edit(&c)
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one saying %q", c.JSON(), err, tc.want)
		}
	}
	c := model.Presets()["supervised"]
	if err := c.Validate(); err != nil {
		t.Errorf("preset: %v", err)
	}
	if nets := supervised.Nets(c); fmt.Sprint(nets["decoder"]) != "[12 256 512 784]" || fmt.Sprint(nets["discriminator"]) != "[2 256 256 1]" {
		t.Errorf("preset networks %v", nets)
	}
}

// TestNearestMean: the class means of the committed test digits read most
// of those digits right (nearest-class-mean is a weak but honest
// classifier: about 80 % on MNIST), which bounds what style_accuracy can
// show.
func TestNearestMean(t *testing.T) {
	_, te := modeltest.Subset(t)
	means := supervised.ClassMeans(te)
	x := make([]float32, model.Pixels)
	right := 0
	for i := range te.N {
		te.Fill(x, nil, []int{i})
		if supervised.NearestMean(means, x) == int(te.Labels[i]) {
			right++
		}
	}
	acc := float64(right) / float64(te.N)
	t.Logf("nearest class mean reads %.1f %% of %d test digits right", 100*acc, te.N)
	if acc < 0.7 {
		t.Errorf("nearest class mean reads only %.1f %% right", 100*acc)
	}
}

// TestLearnsMNIST trains the preset (2-D style, prior N(0, 5²I)) on a
// smaller network for 600 steps of real MNIST: the test reconstruction with true
// labels must fall far below the untrained model's, a test digit's style
// decoded with each label must give ten clearly different digits, which a
// nearest-class-mean classifier reads as their labels far above chance,
// and the codes must spread like the prior.
func TestLearnsMNIST(t *testing.T) {
	if testing.Short() {
		t.Skip("learning test: runs natively in make test-go")
	}
	tr, te := modeltest.MNIST(t)
	c := model.Presets()["supervised"]
	c.Encoder, c.Discriminator = []int{128}, []int{64, 64}
	const steps = 600
	start := time.Now()
	s := modeltest.Session(t, c, tr, te)
	m := s.Model.(*supervised.Model)
	before := m.Evaluate(tr, te)
	var last train.Mean
	for i := range steps {
		l := s.Step()
		if i >= steps-50 {
			last.Add(l)
		}
	}
	after := m.Evaluate(tr, te)
	l := last.Value()
	t.Logf("%d steps in %.1f s: test reconstruction with true labels %.1f → %.1f nats; style accuracy %.1f %% → %.1f %%; last 50 steps recon %.1f disc %.3f gen %.3f",
		steps, time.Since(start).Seconds(), before["test_recon"], after["test_recon"],
		100*before["style_accuracy"], 100*after["style_accuracy"], l[0], l[1], l[2])

	// One style, ten labels: how different are the ten digits?
	const styles = 20
	x := make([]float32, styles*model.Pixels)
	idx := make([]int, styles)
	for i := range idx {
		idx[i] = i
	}
	te.Fill(x, nil, idx)
	z := make([]float32, styles*c.Latent)
	m.Encode(z, x, styles)
	zs := make([]float32, 10*c.Latent)
	labels := []uint8{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
	out := make([]float32, 10*model.Pixels)
	var minDist, meanDist float64 = math.Inf(1), 0
	for i := range styles {
		for d := range 10 {
			copy(zs[d*c.Latent:], z[i*c.Latent:(i+1)*c.Latent])
		}
		m.DecodeLabels(out, zs, labels, 10)
		for a := range 10 {
			for b := a + 1; b < 10; b++ {
				var s float64
				for j := range model.Pixels {
					e := float64(out[a*model.Pixels+j] - out[b*model.Pixels+j])
					s += e * e
				}
				d := math.Sqrt(s)
				minDist = min(minDist, d)
				meanDist += d / (45 * styles)
			}
		}
	}
	zz := make([]float32, 2000*c.Latent)
	s.EncodeTest(zz, 2000)
	var spread float64
	for _, v := range zz {
		spread += float64(v) * float64(v) / float64(len(zz))
	}
	t.Logf("one style decoded with the ten labels: pixel distance between two labels' digits mean %.2f, least %.2f; codes' RMS %.2f (prior σ %.0f)",
		meanDist, minDist, math.Sqrt(spread), c.PriorStd)

	if !(after["test_recon"] < 0.5*before["test_recon"]) {
		t.Errorf("test reconstruction fell only from %.1f to %.1f", before["test_recon"], after["test_recon"])
	}
	if !(after["style_accuracy"] > 0.5) {
		t.Errorf("style accuracy %.1f %%: the labels do not decide the digit", 100*after["style_accuracy"])
	}
	if !(meanDist > 3) {
		t.Errorf("ten labels give digits apart by %.2f on average, %.2f at least", meanDist, minDist)
	}
	if rms := math.Sqrt(spread); !(rms > 0.3*c.PriorStd && rms < 2*c.PriorStd) {
		t.Errorf("codes' RMS %.2f beside the prior's σ %.0f", rms, c.PriorStd)
	}
}

// TestConformance: the shared checks (core/modeltest) with every training
// digit labelled, with a labelled subset of 500, and with dropout and
// batch norm.
func TestConformance(t *testing.T) {
	few, layers := small(), small()
	few.Labels = 500
	layers.Dropout, layers.BatchNorm = 0.2, true
	for name, c := range map[string]model.Config{"all labelled": small(), "500 labelled": few, "dropout+batchnorm": layers} {
		t.Run(name, func(t *testing.T) { modeltest.Conformance(t, c, modeltest.Options{Falls: []int{0}}) })
	}
}
