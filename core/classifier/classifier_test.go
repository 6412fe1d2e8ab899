package classifier_test

import (
	"fmt"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	_ "latentlab/core/aae" // an autoencoder's file, which Load refuses
	"latentlab/core/classifier"
	"latentlab/core/data"
	"latentlab/core/model"
	"latentlab/core/modeltest"
	"latentlab/core/nn"
	"latentlab/core/train"
)

// Shipped is the committed classifier, relative to this package.
const Shipped = "../../assets/classifier.safetensors"

// small is a quick classifier: 784-32-16-10, dropout 0.2, batches of 50,
// labels of 500 of the subset's 2000 training digits.
func small() model.Config {
	c := model.Presets()["classifier"]
	c.Encoder, c.Batch, c.Labels = []int{32, 16}, 50, 500
	return c
}

// TestFeaturesArePenultimate: Features gives the last hidden layer's
// activations, which the last Linear maps to logits whose softmax is
// Classify's output; both take more digits than a batch.
func TestFeaturesArePenultimate(t *testing.T) {
	tr, te := modeltest.Subset(t)
	s := modeltest.Session(t, small(), tr, te)
	for range 5 {
		s.Step()
	}
	m := s.Model.(*classifier.Model)
	const n = 130 // 3 chunks of at most 50
	x := make([]float32, n*model.Pixels)
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	te.Fill(x, nil, idx)
	d, k := m.FeatureDim(), m.Classes()
	if d != 16 || k != 10 {
		t.Fatalf("feature dimension %d, classes %d", d, k)
	}
	f, p, q := make([]float32, n*d), make([]float32, n*k), make([]float32, n*k)
	m.Features(f, p, x, n)
	m.Classify(q, x, n)
	logits := make([]float32, n*k)
	last := m.Net.Layers() - 1
	nn.LinearForward(logits, f, m.Net.W[last], m.Net.B[last], n, d, k)
	nn.SoftmaxForward(logits, logits, k)
	negative := 0
	for i := range logits {
		if math.Abs(float64(logits[i]-q[i])) > 1e-5 || p[i] != q[i] {
			t.Fatalf("entry %d: softmax(last layer(features)) %v, Features' %v, Classify's %v", i, logits[i], p[i], q[i])
		}
	}
	for _, v := range f {
		if v < 0 {
			negative++
		}
	}
	if negative > 0 {
		t.Errorf("%d negative features after a ReLU", negative)
	}
	// Rows sum to 1.
	for i := range n {
		var sum float32
		for _, v := range q[i*k : (i+1)*k] {
			sum += v
		}
		if math.Abs(float64(sum)-1) > 1e-5 {
			t.Fatalf("row %d sums to %v", i, sum)
		}
	}
}

// TestFileRoundTrip: the classifier comes back from its file (F32 and
// F16) classifying as before (exactly in F32), its tensors named as an
// nn.Sequential of Linear, ReLU, Dropout names them; a truncated file and
// a file of another kind are errors.
func TestFileRoundTrip(t *testing.T) {
	tr, te := modeltest.Subset(t)
	s := modeltest.Session(t, small(), tr, te)
	for range 5 {
		s.Step()
	}
	b, err := model.Encode(s.Model, s.Steps, "F32")
	if err != nil {
		t.Fatal(err)
	}
	m, err := classifier.Load(b)
	if err != nil {
		t.Fatal(err)
	}
	if m.Config().JSON() != s.Model.Config().JSON() {
		t.Fatalf("config %s", m.Config().JSON())
	}
	s2, _ := train.New(m, tr, te, s.Steps)
	if a, b := s.Metrics(), s2.Metrics(); fmt.Sprint(a) != fmt.Sprint(b) {
		t.Fatalf("metrics %v before saving, %v after loading", a, b)
	}
	modeltest.Shapes(t, m, map[string][]int{
		"classifier.0.weight": {32, 784}, "classifier.0.bias": {32},
		"classifier.3.weight": {16, 32}, "classifier.6.weight": {10, 16}, "classifier.6.bias": {10},
	})
	b16, err := model.Encode(s.Model, s.Steps, "F16")
	if err != nil {
		t.Fatal(err)
	}
	if m16, err := classifier.Load(b16); err != nil {
		t.Fatal(err)
	} else {
		s3, _ := train.New(m16, tr, te, s.Steps)
		if a, b := s.Metrics()["test_error"], s3.Metrics()["test_error"]; math.Abs(a-b) > 0.01 {
			t.Errorf("test error %v in F32, %v in F16", a, b)
		}
	}
	if _, err := classifier.Load(b[:len(b)-10]); err == nil {
		t.Error("a truncated file loaded")
	}
	ae := model.Defaults()
	ae.Model, ae.Encoder, ae.Batch = "ae", []int{8}, 10
	aem, err := model.New(ae)
	if err != nil {
		t.Fatal(err)
	}
	bae, _ := model.Encode(aem, 0, "F32")
	if _, err := classifier.Load(bae); err == nil || !strings.Contains(err.Error(), "not a classifier") {
		t.Errorf("an autoencoder's file: error %v", err)
	}
}

// TestCheck: the kind refuses what cannot be a digit classifier and
// accepts its preset.
func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		edit func(*model.Config)
		want string
	}{
		{func(c *model.Config) { c.Classes = 16 }, "classes = 10"},
		{func(c *model.Config) { c.Labels = 0 }, "labels must be at least 1"},
		{func(c *model.Config) { c.Encoder = nil }, "at least one hidden layer"},
	} {
		c := model.Presets()["classifier"]
		tc.edit(&c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one saying %q", c.JSON(), err, tc.want)
		}
	}
	c, ok := model.Presets()["classifier"]
	if !ok {
		t.Fatal("no classifier preset")
	}
	if err := c.Validate(); err != nil {
		t.Errorf("preset: %v", err)
	}
	if got := fmt.Sprint(c.Nets()); got != "map[classifier:[784 512 256 10]]" {
		t.Errorf("preset networks %s", got)
	}
}

// TestLearnsMNIST: a small classifier (784-128-10, dropout 0.2) learns to
// read digits in one epoch of real MNIST (600 steps of 100).
func TestLearnsMNIST(t *testing.T) {
	if testing.Short() {
		t.Skip("learning test: runs natively in make test-go")
	}
	tr, te := modeltest.MNIST(t)
	c := model.Presets()["classifier"]
	c.Encoder = []int{128}
	s := modeltest.Session(t, c, tr, te)
	start := time.Now()
	var first, last train.Mean
	for i := range 600 {
		l := s.Step()
		if i < 50 {
			first.Add(l)
		} else if i >= 550 {
			last.Add(l)
		}
	}
	met := s.Metrics()
	f, l := first.Value(), last.Value()
	t.Logf("600 steps in %v: xent %.3f → %.3f, batch accuracy %.3f → %.3f; test error %.4f on %d digits",
		time.Since(start).Round(time.Millisecond), f[0], l[0], f[1], l[1], met["test_error"], te.N)
	if !(l[0] < 0.5*f[0]) || !(l[1] > 0.9) {
		t.Errorf("did not learn: xent %v → %v, accuracy %v → %v", f[0], l[0], f[1], l[1])
	}
	if e := met["test_error"]; !(e < 0.07) {
		t.Errorf("test error %v after an epoch, want below 7%%", e)
	}
}

// TestShippedClassifier: the committed classifier classifies at least 98 %
// of the 10,000 MNIST test digits right (in -short mode, as under wasm,
// the 1000 of the committed subset).
func TestShippedClassifier(t *testing.T) {
	b, err := os.ReadFile(Shipped)
	if err != nil {
		t.Fatalf("%v (make assets/classifier.safetensors trains it)", err)
	}
	m, err := classifier.Load(b)
	if err != nil {
		t.Fatal(err)
	}
	var tr, te *data.Set
	if testing.Short() {
		tr, te = modeltest.Subset(t)
	} else {
		tr, te = modeltest.MNIST(t)
	}
	s, err := train.New(m, tr, te, 0)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	e := s.Metrics()["test_error"]
	t.Logf("shipped classifier (%s, %d parameters, %d bytes): accuracy %.2f %% on %d test digits (%v)",
		strings.Join(strings.Fields(fmt.Sprint(m.Config().Nets()[classifier.Net])), "-"), m.Config().ParamCount(), len(b),
		100*(1-e), te.N, time.Since(start).Round(time.Millisecond))
	if !(1-e >= 0.98) {
		t.Errorf("accuracy %.2f %%, want at least 98 %%", 100*(1-e))
	}
}

// TestConformance: the shared checks (core/modeltest), dropout masks
// included.
func TestConformance(t *testing.T) {
	modeltest.Conformance(t, small(), modeltest.Options{Falls: []int{0}})
}
