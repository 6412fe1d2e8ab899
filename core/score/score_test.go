package score_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"latentlab/core/aae"
	"latentlab/core/classifier"
	"latentlab/core/data"
	"latentlab/core/model"
	"latentlab/core/score"
)

// shipped loads the committed classifier and the test digits: the 10,000
// of MNIST natively, the 1000 of the committed subset in -short mode (as
// under wasm).
func shipped(t *testing.T) (*classifier.Model, *data.Set) {
	t.Helper()
	b, err := os.ReadFile("../../assets/classifier.safetensors")
	if err != nil {
		t.Fatalf("%v (make assets/classifier.safetensors trains it)", err)
	}
	clf, err := classifier.Load(b)
	if err != nil {
		t.Fatal(err)
	}
	var te *data.Set
	if testing.Short() {
		_, te, err = data.LoadTestSubset()
	} else {
		_, te, err = data.LoadMNIST("../../assets/mnist")
		if err != nil {
			err = fmt.Errorf("the full MNIST in assets/mnist is missing (run `make data`): %v", err)
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	return clf, te
}

// The scorer of the whole test set, made once for the tests that share
// it, and the score of 1000 images of uniform noise, whose Fréchet
// distance (hundreds) sets the scale of the others': the features' scale
// is the classifier's.
var (
	once   sync.Once
	shared *score.Scorer
	test   *data.Set
	noise  score.Result
)

func scorer(t *testing.T) (*score.Scorer, *data.Set) {
	t.Helper()
	once.Do(func() {
		clf, te := shipped(t)
		start := time.Now()
		s, err := score.New(clf, te)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("reference statistics of %d test digits in %v", te.N, time.Since(start).Round(time.Millisecond))
		r := rand.New(rand.NewPCG(1, 1))
		x := make([]float32, 1000*model.Pixels)
		for i := range x {
			x[i] = r.Float32()
		}
		noise = s.Score(x, 1000)
		t.Logf("uniform noise: %+v", noise)
		shared, test = s, te
	})
	if shared == nil {
		t.Fatal("no scorer")
	}
	return shared, test
}

// pixels returns digits idx of s as rows of pixels.
func pixels(s *data.Set, idx []int) []float32 {
	x := make([]float32, len(idx)*model.Pixels)
	s.Fill(x, nil, idx)
	return x
}

func span(lo, hi int) []int {
	idx := make([]int, 0, hi-lo)
	for i := lo; i < hi; i++ {
		idx = append(idx, i)
	}
	return idx
}

// TestTestDigits: real digits score as real digits. Against themselves,
// the Fréchet distance is 0 up to rounding; one half of the test set
// against the statistics of the other is small beside noise's (sampling
// error only); the classifier is confident (about as often as it is
// right) and sees the ten digits as often as they are there (entropy
// that of the labels, ≈ log 10). Uniform noise is far, and seen as few
// classes.
func TestTestDigits(t *testing.T) {
	s, te := scorer(t)
	all := s.Score(pixels(te, span(0, te.N)), te.N)
	labels := make([]int, 10)
	for _, l := range te.Labels {
		labels[l]++
	}
	t.Logf("test digits against themselves: %+v; the labels' entropy %v", all, score.Entropy(labels))
	if all.Frechet > 1e-6 {
		t.Errorf("Fréchet distance %v of the test digits to themselves", all.Frechet)
	}
	if !(all.Confidence > 0.97 && all.Confidence <= 1) {
		t.Errorf("confidence %v on the test digits", all.Confidence)
	}
	if h := score.Entropy(labels); math.Abs(all.Entropy-h) > 0.005 || math.Abs(h-math.Log(10)) > 0.02 {
		t.Errorf("entropy %v of the test digits' classes, %v of their labels, want both about log 10 = %v", all.Entropy, h, math.Log(10))
	}
	// Halves of even and odd indices: the first and last 5000 test digits
	// come from different writers (MNIST's SD-3 and SD-1), whose
	// distributions differ.
	var even, odd []int
	for i := range te.N {
		if i%2 == 0 {
			even = append(even, i)
		} else {
			odd = append(odd, i)
		}
	}
	first, err := score.New(s.Classifier(), te.Select(even))
	if err != nil {
		t.Fatal(err)
	}
	second := first.Score(pixels(te, odd), len(odd))
	t.Logf("odd-indexed half against the even: %+v", second)
	if !(second.Frechet > 0 && second.Frechet < noise.Frechet/20) {
		t.Errorf("Fréchet distance %v between the halves of the test set, %v for noise", second.Frechet, noise.Frechet)
	}
	if !(noise.Frechet > 100) || !(noise.Entropy < 1.5) {
		t.Errorf("uniform noise: %+v", noise)
	}
}

// TestOnlyOnes: a batch holding only 1s has a low class entropy (mode
// collapse), and all its digits land in class 1 but for a few.
func TestOnlyOnes(t *testing.T) {
	s, te := scorer(t)
	var ones []int
	for i, l := range te.Labels {
		if l == 1 {
			ones = append(ones, i)
		}
	}
	r := s.Score(pixels(te, ones), len(ones))
	t.Logf("the %d test 1s: %+v", len(ones), r)
	if !(r.Entropy < 0.2) || r.Classes[1] < len(ones)*95/100 {
		t.Errorf("only 1s: entropy %v, classes %v", r.Entropy, r.Classes)
	}
	if !(r.Frechet > noise.Frechet/2) {
		t.Errorf("Fréchet distance %v of only 1s to all digits", r.Frechet)
	}
}

// replay is a model.Sampler whose samples are test digits drawn at random.
type replay struct {
	model.Model
	set *data.Set
	idx []int
}

func (m *replay) Sample(x []float32, n int, r *rand.Rand) {
	for i := range n {
		m.idx[i] = r.IntN(m.set.N)
	}
	m.set.Fill(x[:n*model.Pixels], nil, m.idx[:n])
}

// TestScoreModel: a model that samples test digits scores like them; an
// untrained autoencoder's decodings of its prior do not; the same
// generator seed gives the same result; a model that cannot generate is
// an error.
func TestScoreModel(t *testing.T) {
	s, te := scorer(t)
	c := model.Defaults()
	c.Encoder, c.Batch = []int{16}, 64
	ae := aae.New(c)
	sampler := &replay{Model: ae, set: te, idx: make([]int, c.Batch)}
	if !score.CanGenerate(sampler) || !score.CanGenerate(ae) || score.CanGenerate(s.Classifier()) {
		t.Fatal("CanGenerate is wrong")
	}
	const n = 1000
	real, err := s.ScoreModel(sampler, n, rand.New(rand.NewPCG(2, 2)))
	if err != nil {
		t.Fatal(err)
	}
	untrained, err := s.ScoreModel(ae, n, rand.New(rand.NewPCG(2, 2)))
	if err != nil {
		t.Fatal(err)
	}
	again, _ := s.ScoreModel(ae, n, rand.New(rand.NewPCG(2, 2)))
	t.Logf("replayed test digits: %+v", real)
	t.Logf("an untrained autoencoder: %+v", untrained)
	if real.N != n || !(real.Frechet < noise.Frechet/20) || !(real.Confidence > 0.97) {
		t.Errorf("replayed test digits: %+v (noise's Fréchet distance %v)", real, noise.Frechet)
	}
	if !(untrained.Frechet > noise.Frechet/2) {
		t.Errorf("an untrained autoencoder's Fréchet distance %v, test digits' %v", untrained.Frechet, real.Frechet)
	}
	if !reflect.DeepEqual(untrained, again) {
		t.Errorf("the same seed scored %+v, then %+v", untrained, again)
	}
	if _, err := s.ScoreModel(s.Classifier(), n, rand.New(rand.NewPCG(2, 2))); err == nil || !strings.Contains(err.Error(), "cannot generate") {
		t.Errorf("scoring a classifier: error %v", err)
	}
	if _, err := s.ScoreModel(ae, 1, rand.New(rand.NewPCG(2, 2))); err == nil {
		t.Error("scoring 1 sample: no error")
	}
}

// TestNewErrors: no classifier or no reference digits is an error.
func TestNewErrors(t *testing.T) {
	s, te := scorer(t)
	if _, err := score.New(nil, te); err == nil {
		t.Error("no classifier: no error")
	}
	if _, err := score.New(s.Classifier(), te.Select([]int{0})); err == nil {
		t.Error("one reference digit: no error")
	}
}
