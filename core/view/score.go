package view

import (
	"fmt"
	"time"

	"latentlab/core/classifier"
	"latentlab/core/data"
	"latentlab/core/model"
	"latentlab/core/score"
	"latentlab/core/train"
)

// Digits drawn for the page's sample score: a model.Generator decodes
// prior samples cheaply; a model.Sampler draws each digit pixel by pixel,
// at about a forward pass per pixel, so it is scored on fewer. The
// reference is the first ScoreReference test digits, not all 10,000 as for
// the CLI: fitting their features takes the classifier a pass over each,
// about 5·10^5 multiply-adds a digit, which a browser tab should not spend
// seconds on.
const (
	ScoreDigits        = 1000
	ScoreSamplerDigits = 300
	ScoreReference     = 2000
)

// Scorer scores any model's samples with the shipped classifier against
// the first ScoreReference digits of a test set.
type Scorer struct {
	s         *score.Scorer
	reference int
}

// NewScorer loads the classifier file's bytes (a "classifier" model file,
// assets/classifier.safetensors) and fits the features of test's first
// ScoreReference digits; it returns {ms, reference} for the page.
func NewScorer(file []byte, test *data.Set) (*Scorer, Result, error) {
	clf, err := classifier.Load(file)
	if err != nil {
		return nil, nil, fmt.Errorf("classifier file: %w", err)
	}
	start := time.Now()
	ref := test.Subset(min(ScoreReference, test.N))
	s, err := score.New(clf, ref)
	if err != nil {
		return nil, nil, err
	}
	return &Scorer{s, ref.N}, Result{"ms": float64(time.Since(start).Milliseconds()), "reference": ref.N}, nil
}

// Score returns score.Result (n, confidence, entropy, frechet, classes),
// reference (the test digits the Fréchet distance compares with), step
// and ms: s's model's samples scored. The samples come from score.Rand,
// so that scoring twice draws the same digits, as the CLI does.
func (sc *Scorer) Score(s *train.Session) (Result, error) {
	if !score.CanGenerate(s.Model) {
		return nil, fmt.Errorf("a %q model does not generate digits", s.Model.Config().Model)
	}
	n := ScoreDigits
	if _, ok := s.Model.(model.Sampler); ok {
		n = ScoreSamplerDigits
	}
	start := time.Now()
	r, err := sc.s.ScoreModel(s.Model, n, score.Rand(s.Model.Config()))
	if err != nil {
		return nil, err
	}
	classes := make([]any, len(r.Classes))
	for i, c := range r.Classes {
		classes[i] = c
	}
	return Result{
		"n": r.N, "confidence": r.Confidence, "entropy": r.Entropy,
		"frechet": r.Frechet, "classes": classes, "step": s.Steps, "reference": sc.reference,
		"ms": float64(time.Since(start).Milliseconds()),
	}, nil
}
