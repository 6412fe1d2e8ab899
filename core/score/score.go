// Package score measures the quality of generated digits with the digit
// classifier of package classifier, for every model that can generate (a
// model.Generator, its prior samples decoded, or a model.Sampler):
//
//   - confidence: the classifier's mean confidence, its largest softmax
//     probability averaged over the digits (near its test accuracy for
//     real digits; low for blurred or ambiguous ones);
//   - entropy: the entropy in nats of the histogram of the classes the
//     classifier assigns, log 10 ≈ 2.303 when every digit is drawn equally
//     often, lower when the model has collapsed onto a few modes;
//   - frechet: the Fréchet distance between Gaussian fits of the
//     classifier's features (its last hidden layer) of the digits and of
//     the test digits, FID (Heusel et al. 2017) with a digit classifier in
//     place of Inception: 0 for the test set's own distribution.
//
// These complement the paper's Parzen-window likelihood of samples
// (Makhzani et al. 2015, arXiv 1511.05644, §4 and Table 1), which
// REPRODUCTION.md measures and which is known to rank sample
// quality poorly.
//
// A Scorer holds the classifier and the test digits' statistics, computed
// once in New; Score scores a batch of digits:
//
//	s, err := score.New(clf, test)
//	r := s.Score(x, n)                     // x (n, 784), pixels in [0, 1]
//	r, err := s.ScoreModel(m, 10000, rng)  // draws from m first
//
// Result's fields carry JSON tags, for the CLI and the page.
package score

import (
	"fmt"
	"math"
	"math/rand/v2"

	"latentlab/core/classifier"
	"latentlab/core/data"
	"latentlab/core/model"
)

// Result is what the classifier makes of n digits.
type Result struct {
	N          int     `json:"n"`          // digits scored
	Confidence float64 `json:"confidence"` // mean largest class probability
	Entropy    float64 `json:"entropy"`    // of the histogram of classes, in nats (log 10 at most)
	Frechet    float64 `json:"frechet"`    // Fréchet distance of features to the test digits'
	Classes    []int   `json:"classes"`    // digits assigned to each class
}

// Scorer scores digits against a reference set with a classifier. It is
// not safe for concurrent use.
type Scorer struct {
	clf *classifier.Model
	ref *Gaussian // fit of the reference digits' features
	n   int       // reference digits

	f, p []float32 // features (n, FeatureDim) and probabilities (n, Classes), grown as needed
}

// New returns a scorer that compares digits with those of ref (the 10,000
// MNIST test digits, usually) in clf's feature space. It fits the
// reference Gaussian now, once: about 10^10 operations for 10,000 digits.
func New(clf *classifier.Model, ref *data.Set) (*Scorer, error) {
	if clf == nil {
		return nil, fmt.Errorf("score: no classifier")
	}
	if ref == nil || ref.N < 2 || ref.Dim() != model.Pixels {
		return nil, fmt.Errorf("score: the reference set needs at least 2 digits of 28x28 pixels")
	}
	x := make([]float32, ref.N*model.Pixels)
	ref.FillRange(x, nil, 0, ref.N)
	s := &Scorer{clf: clf, n: ref.N}
	s.ref = Fit(s.features(x, ref.N), ref.N, clf.FeatureDim())
	s.ref.Sqrt() // decomposed now rather than in the first Score
	return s, nil
}

// Reference returns the Gaussian fit of the reference digits' features.
func (s *Scorer) Reference() *Gaussian { return s.ref }

// Classifier returns the scorer's classifier.
func (s *Scorer) Classifier() *classifier.Model { return s.clf }

// features runs the classifier on x (n, Pixels), keeping the class
// probabilities in s.p, and returns the features.
func (s *Scorer) features(x []float32, n int) []float32 {
	d, k := s.clf.FeatureDim(), s.clf.Classes()
	if len(s.f) < n*d {
		s.f = make([]float32, n*d)
		s.p = make([]float32, n*k)
	}
	s.clf.Features(s.f[:n*d], s.p[:n*k], x, n)
	return s.f[:n*d]
}

// Score scores the n digits x (n, Pixels), pixel intensities (or
// probabilities) in [0, 1]. It panics if n < 2, for which there is no
// covariance.
func (s *Scorer) Score(x []float32, n int) Result {
	if n < 2 {
		panic(fmt.Sprintf("score: %d digits; a Fréchet distance needs at least 2", n))
	}
	f := s.features(x, n)
	k := s.clf.Classes()
	r := Result{N: n, Classes: make([]int, k)}
	var conf float64
	for i := range n {
		row := s.p[i*k : (i+1)*k]
		best := classifier.Argmax(row)
		conf += float64(row[best])
		r.Classes[best]++
	}
	r.Confidence = conf / float64(n)
	r.Entropy = Entropy(r.Classes)
	r.Frechet = Frechet(s.ref, Fit(f, n, s.clf.FeatureDim()))
	return r
}

// Entropy returns the entropy in nats of the distribution of the counts,
// −Σ p·log p with p = count/total (0 for no counts).
func Entropy(counts []int) float64 {
	total := 0
	for _, c := range counts {
		total += c
	}
	var h float64
	for _, c := range counts {
		if c > 0 {
			p := float64(c) / float64(total)
			h -= p * math.Log(p)
		}
	}
	return h
}

// ScoreModel draws n digits from m (see Sample) with r and scores them.
func (s *Scorer) ScoreModel(m model.Model, n int, r *rand.Rand) (Result, error) {
	if n < 2 {
		return Result{}, fmt.Errorf("score: %d samples; scoring needs at least 2", n)
	}
	x := make([]float32, n*model.Pixels)
	if err := Sample(x, m, n, r); err != nil {
		return Result{}, err
	}
	return s.Score(x, n), nil
}

// CanGenerate reports whether m draws digits: whether it is a
// model.Sampler or a model.Generator.
func CanGenerate(m model.Model) bool {
	_, sampler := m.(model.Sampler)
	_, gen := m.(model.Generator)
	return sampler || gen
}

// Sample stores in x (n, Pixels) n digits drawn from m with r, in chunks
// of at most one batch (Config().Batch): a model.Sampler's own samples,
// otherwise a model.Generator's decoding (pixel probabilities) of samples
// of its prior. It is an error for a model that can do neither.
func Sample(x []float32, m model.Model, n int, r *rand.Rand) error {
	b := m.Config().Batch
	if sm, ok := m.(model.Sampler); ok {
		for lo := 0; lo < n; lo += b {
			hi := min(n, lo+b)
			sm.Sample(x[lo*model.Pixels:hi*model.Pixels], hi-lo, r)
		}
		return nil
	}
	g, ok := m.(model.Generator)
	if !ok {
		return fmt.Errorf("score: a %q model cannot generate digits (it is neither a model.Generator nor a model.Sampler)", m.Config().Model)
	}
	lat := m.Config().Latent
	z := make([]float32, b*lat)
	for lo := 0; lo < n; lo += b {
		hi := min(n, lo+b)
		g.SamplePrior(z[:(hi-lo)*lat], hi-lo, r)
		g.Decode(x[lo*model.Pixels:hi*model.Pixels], z[:(hi-lo)*lat], hi-lo)
	}
	return nil
}

// SampleStream is the random stream (see model.NewRand) that Rand draws
// from, apart from the streams a model trains with.
const SampleStream = 0x53434f5245 // "SCORE"

// Rand returns the generator from which the CLI draws the samples it
// scores of a model with config c: stream SampleStream of c's seed, so
// that scoring the same file twice draws the same digits.
func Rand(c model.Config) *rand.Rand { return model.NewRand(c, SampleStream) }
