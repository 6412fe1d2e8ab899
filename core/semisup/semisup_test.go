package semisup_test

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"latentlab/core/data"
	"latentlab/core/model"
	"latentlab/core/modeltest"
	"latentlab/core/semisup"
	"latentlab/core/train"
)

var loadSubset = sync.OnceValues(func() ([2]*data.Set, error) {
	tr, te, err := data.LoadTestSubset()
	return [2]*data.Set{tr, te}, err
})

// small is a quick model of either kind with batch 50.
func small(kind string) model.Config {
	c := model.Defaults()
	c.Model = kind
	c = modeltest.Small(c)
	c.Latent, c.PriorStd = 4, 1
	if kind == "semisupervised" {
		c.Labels = 100
	} else {
		c.Classes = 16
	}
	return c
}

// TestCheck: each kind refuses the configs it cannot train, with a message
// that says what to do; the presets validate.
func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		edit func(*model.Config)
		want string // "" for valid
	}{
		{func(c *model.Config) {}, ""},
		{func(c *model.Config) { c.Labels = 0 }, `use model "cluster"`},
		{func(c *model.Config) { c.Classes = 16 }, "classes = 10"},
		{func(c *model.Config) { c.Model, c.Classes = "cluster", 16 }, `"cluster" trains without labels`},
		{func(c *model.Config) { c.Model, c.Classes, c.Labels = "cluster", 30, 0 }, ""},
		{func(c *model.Config) { c.Latent, c.Prior = 1, "mixture" }, "2-D"},
		{func(c *model.Config) { c.Prior = "swissroll" }, ""},
	} {
		c := small("semisupervised")
		tc.edit(&c)
		err := c.Validate()
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", c.JSON(), err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: error %v, want one saying %q", c.JSON(), err, tc.want)
		}
	}
	for _, name := range []string{"semisupervised", "cluster"} {
		c, ok := model.Presets()[name]
		if !ok || c.Model != name {
			t.Fatalf("no preset %q", name)
		}
		if err := c.Validate(); err != nil {
			t.Errorf("preset %s: %v", name, err)
		}
	}
}

// TestLossNamesAndPhases: "cluster" has no classification loss or phase.
func TestLossNamesAndPhases(t *testing.T) {
	for kind, want := range map[string][]string{
		"semisupervised": {"recon", "disc_y", "gen_y", "disc_z", "gen_z", "xent"},
		"cluster":        {"recon", "disc_y", "gen_y", "disc_z", "gen_z"},
	} {
		m := semisup.New(small(kind))
		if got := m.LossNames(); !slices.Equal(got, want) {
			t.Errorf("%s: losses %v, want %v", kind, got, want)
		}
		if p := m.Phases(); slices.Contains(p, "xent") != (kind == "semisupervised") {
			t.Errorf("%s: phases %v", kind, p)
		}
	}
}

// TestStepPhase: each phase alone reports its own losses only.
func TestStepPhase(t *testing.T) {
	tr, te := modeltest.Subset(t)
	s := modeltest.Session(t, small("semisupervised"), tr, te)
	for phase, want := range map[string][]int{"recon": {0}, "reg": {1, 2, 3, 4}, "xent": {5}} {
		l, err := s.StepPhase(phase)
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range l {
			if (v != 0) != slices.Contains(want, i) {
				t.Errorf("phase %s: losses %v", phase, l)
				break
			}
		}
	}
	if _, err := modeltest.Session(t, small("cluster"), tr, te).StepPhase("xent"); err == nil {
		t.Error(`"cluster" ran a classification phase`)
	}
}

// TestDecoding: Decode gives row i class i mod Classes, as DecodeLabels
// does with those labels; another class draws another digit; ReconLoss
// stores the styles Encode gives.
func TestDecoding(t *testing.T) {
	tr, te := modeltest.Subset(t)
	c := small("semisupervised")
	s := modeltest.Session(t, c, tr, te)
	for range 20 {
		s.Step()
	}
	m := s.Model.(*semisup.Model)
	n := 12
	z := make([]float32, n*c.Latent)
	m.SamplePrior(z, n, model.NewRand(c, 9))
	a, b := make([]float32, n*model.Pixels), make([]float32, n*model.Pixels)
	m.Decode(a, z, n)
	labels := make([]uint8, n)
	for i := range labels {
		labels[i] = uint8(i % c.Classes)
	}
	m.DecodeLabels(b, z, labels, n)
	if !slices.Equal(a, b) {
		t.Error("Decode differs from DecodeLabels with class i mod Classes")
	}
	for i := range labels {
		labels[i] = uint8((i + 1) % c.Classes)
	}
	m.DecodeLabels(b, z, labels, n)
	if slices.Equal(a[:model.Pixels], b[:model.Pixels]) {
		t.Error("classes 0 and 1 decode the same style to the same digit")
	}
	// Labels wrap around Classes.
	for i := range labels {
		labels[i] = uint8(i%c.Classes + c.Classes)
	}
	m.DecodeLabels(b, z, labels, n)
	if !slices.Equal(a, b) {
		t.Error("label i + Classes decodes otherwise than label i")
	}
	x := make([]float32, n*model.Pixels)
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	te.Fill(x, nil, idx)
	z1, z2 := make([]float32, n*c.Latent), make([]float32, n*c.Latent)
	m.Encode(z1, x, n)
	loss := m.ReconLoss(z2, x, n)
	if !slices.Equal(z1, z2) || !(loss > 0) {
		t.Errorf("ReconLoss %v stored styles %v, Encode gives %v", loss, z2[:4], z1[:4])
	}
	p := make([]float32, n*c.Classes)
	m.Classify(p, x, n)
	for i := range n {
		var sum float64
		for _, v := range p[i*c.Classes : (i+1)*c.Classes] {
			sum += float64(v)
		}
		if math.Abs(sum-1) > 1e-5 {
			t.Fatalf("digit %d: class probabilities sum to %v", i, sum)
		}
	}
}

func TestFileRoundTrip(t *testing.T) {
	tr, te := modeltest.Subset(t)
	c := small("semisupervised")
	c.Dropout, c.BatchNorm = 0.1, true
	s, s2 := modeltest.Reloaded(t, c, tr, te, 5)
	if a, b := s.MeanTestLoss(), s2.MeanTestLoss(); a != b {
		t.Fatalf("test loss %v before saving, %v after loading", a, b)
	}
	if a, b := s.Metrics(), s2.Metrics(); a["test_error"] != b["test_error"] || a["cluster_error"] != b["cluster_error"] {
		t.Fatalf("metrics %v before saving, %v after loading", a, b)
	}
	// Names and shapes as PyTorch would give them; the heads split the
	// encoder's last layer.
	want := map[string][]int{
		"encoder.0.weight": {64, 784}, "encoder.1.running_var": {64}, "encoder.4.weight": {32, 64},
		"encoder_y.weight": {10, 32}, "encoder_y.bias": {10}, "encoder_z.weight": {4, 32}, "encoder_z.bias": {4},
		"decoder.0.weight": {32, 14}, "decoder.8.weight": {784, 64},
		"discriminator_y.0.weight": {32, 10}, "discriminator_z.0.weight": {32, 4}, "discriminator_z.6.bias": {1}, // no batch norm in discriminators: Linear, ReLU, Dropout
	}
	total := 0
	for _, ts := range s2.Model.Tensors() {
		total += len(ts.Data)
		if shape, ok := want[ts.Name]; ok {
			if !slices.Equal(shape, ts.Shape) {
				t.Errorf("%s: shape %v, want %v", ts.Name, ts.Shape, shape)
			}
			delete(want, ts.Name)
		}
		if strings.HasPrefix(ts.Name, "encoder.8") {
			t.Errorf("the encoder's output layer is also saved whole, as %s", ts.Name)
		}
	}
	if len(want) > 0 {
		t.Errorf("missing tensors %v", want)
	}
	if total < c.ParamCount() {
		t.Errorf("the tensors hold %d values, the config counts %d parameters", total, c.ParamCount())
	}
	// A file whose config does not match its tensors is an error, not a
	// model. (The config is JSON in the JSON header: its quotes are escaped.)
	b, err := model.Encode(s.Model, s.Steps, "F32")
	if err != nil {
		t.Fatal(err)
	}
	sb := strings.Replace(string(b), `\"latent\":4,`, `\"latent\":5,`, 1)
	if sb == string(b) {
		t.Fatal("could not alter the file's config")
	}
	if _, _, err := model.Decode([]byte(sb)); err == nil || !strings.Contains(err.Error(), "encoder_z") {
		t.Errorf("a file whose tensors do not match its config: error %v, want one naming encoder_z", err)
	}
}

// styleRMS returns the root mean square of the styles of the first 1000
// test digits.
func styleRMS(s *train.Session) float64 {
	z := make([]float32, 1000*s.Model.Config().Latent)
	s.EncodeTest(z, 1000)
	var sq float64
	for _, v := range z {
		sq += float64(v) * float64(v)
	}
	return math.Sqrt(sq / float64(len(z)))
}

// learn trains the preset of kind, scaled down to 784-128-64 with 64-64
// discriminators and then changed by edit (unless nil), for steps steps on
// MNIST and returns its metrics on the first 5000 test digits before and
// after.
func learn(t *testing.T, kind string, steps int, edit func(*model.Config)) (before, after map[string]float64, s *train.Session) {
	tr, te := modeltest.MNIST(t)
	te = te.Subset(5000) // half the test set: the evaluations take half the time
	c := model.Presets()[kind]
	c.Encoder, c.Discriminator, c.Valid = []int{128, 64}, []int{64, 64}, 1000
	if edit != nil {
		edit(&c)
	}
	s = modeltest.Session(t, c, tr, te)
	before = s.Metrics()
	start := time.Now()
	var mean train.Mean
	for i := range steps {
		l := s.Step()
		if i >= steps-50 {
			mean.Add(l)
		}
	}
	took := time.Since(start)
	after = s.Metrics()
	rms := styleRMS(s)
	losses := mean.Value()
	classErr := ""
	if c.Labels > 0 {
		classErr = fmt.Sprintf("test error %.2f%% → %.2f%%, ", 100*before["test_error"], 100*after["test_error"])
	}
	t.Logf("%s, %d labels, %d classes: %d steps in %v; %scluster error %.2f%% → %.2f%%, test recon %.1f → %.1f nats; style RMS %.2f (σ %v); mean losses of the last 50 steps %v %.3f",
		kind, c.Labels, c.Classes, steps, took.Round(time.Millisecond), classErr,
		100*before["cluster_error"], 100*after["cluster_error"], before["test_recon"], after["test_recon"], rms, c.PriorStd,
		s.Model.LossNames(), losses[:len(s.Model.LossNames())])
	if !(after["test_recon"] < 0.5*before["test_recon"]) {
		t.Errorf("test reconstruction loss fell only from %.1f to %.1f", before["test_recon"], after["test_recon"])
	}
	if rms < 0.3*c.PriorStd || rms > 3*c.PriorStd {
		t.Errorf("styles have RMS %.2f, far from the prior's σ = %v", rms, c.PriorStd)
	}
	return before, after, s
}

// TestSemiSupervisedLearnsMNIST: with 1000 labelled digits, a short run
// classifies the test set with under 20 % error (the paper's 1.60 % takes
// hundreds of epochs), reconstructs, and keeps its style near the prior.
func TestSemiSupervisedLearnsMNIST(t *testing.T) {
	if testing.Short() {
		t.Skip("learning test: runs natively in make test-go")
	}
	_, after, _ := learn(t, "semisupervised", 200, func(c *model.Config) { c.Labels = 1000 })
	if !(after["test_error"] < 0.2) {
		t.Errorf("test error %.2f%%, want under 20%%", 100*after["test_error"])
	}
	if !(after["valid_error"] < 0.25) {
		t.Errorf("held-out error %.2f%%, want under 25%%", 100*after["valid_error"])
	}
}

// TestClusterLearnsMNIST: 16 clusters found without labels map to digits
// far better than chance (80 % error or worse) and than the untrained
// encoder's, labelled by the test digits' majority and by the paper's
// protocol (the held-out digit each cluster is most confident of).
func TestClusterLearnsMNIST(t *testing.T) {
	if testing.Short() {
		t.Skip("learning test: runs natively in make test-go")
	}
	before, after, _ := learn(t, "cluster", 200, nil)
	if !(after["cluster_error"] < 0.65 && after["cluster_error"] < before["cluster_error"]-0.1) {
		t.Errorf("cluster error %.2f%% (untrained %.2f%%), want under 65%%", 100*after["cluster_error"], 100*before["cluster_error"])
	}
	if !(after["cluster_error_valid"] < 0.75 && after["cluster_error_valid"] >= after["cluster_error"]) {
		t.Errorf("cluster error labelled by validation digits %.2f%%, want under 75%% and no better than by the test digits' majority (%.2f%%)",
			100*after["cluster_error_valid"], 100*after["cluster_error"])
	}
}

// TestConformance: the shared checks (core/modeltest) on both kinds, with
// and without dropout and batch normalisation.
func TestConformance(t *testing.T) {
	for _, kind := range []string{"semisupervised", "cluster"} {
		layers := small(kind)
		layers.Dropout, layers.BatchNorm = 0.2, true
		t.Run(kind, func(t *testing.T) { modeltest.Conformance(t, small(kind), modeltest.Options{Falls: []int{0}}) })
		t.Run(kind+" dropout+batchnorm", func(t *testing.T) { modeltest.Conformance(t, layers, modeltest.Options{}) })
	}
}
