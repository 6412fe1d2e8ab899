package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"latentlab/core/classifier" // also registers the "classifier" kind
	"latentlab/core/data"
	"latentlab/core/model"
	"latentlab/core/score"
)

// defaultClassifier is the shipped classifier that scores samples (make
// assets/classifier.safetensors).
const defaultClassifier = "assets/classifier.safetensors"

// sampleScores draws n digits from m and scores them with the classifier
// in the file clfPath against the test digits (package score). It returns
// nil, nil when there is nothing to score: m cannot generate, n is 0, or
// clfPath is the default file and it is absent (explicit is false), which
// it says on stderr; any other trouble with the classifier file is an
// error.
func sampleScores(m model.Model, test *data.Set, clfPath string, explicit bool, n int, stderr io.Writer) (map[string]any, error) {
	if n == 0 || !score.CanGenerate(m) {
		return nil, nil
	}
	if n < 2 {
		return nil, fmt.Errorf("--samples %d: scoring needs at least 2 samples (0 turns it off)", n)
	}
	b, err := readWeights(clfPath)
	if err != nil {
		if !explicit && os.IsNotExist(err) {
			fmt.Fprintf(stderr, "latentlab: no %s, so no sample scores (make %s trains it; --samples 0 leaves them out)\n", clfPath, clfPath)
			return nil, nil
		}
		return nil, fmt.Errorf("the sample-scoring classifier: %w", err)
	}
	clf, err := classifier.Load(b)
	if err != nil {
		return nil, fmt.Errorf("the sample-scoring classifier %s: %w", clfPath, err)
	}
	start := time.Now()
	s, err := score.New(clf, test)
	if err != nil {
		return nil, err
	}
	r, err := s.ScoreModel(m, n, score.Rand(m.Config()))
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(stderr, "latentlab: scored %d samples in %v\n", n, time.Since(start).Round(time.Millisecond))
	return map[string]any{
		"samples":           r.N,
		"sample_confidence": finite(r.Confidence),
		"sample_entropy":    finite(r.Entropy),
		"sample_frechet":    finite(r.Frechet),
		"sample_classes":    r.Classes,
	}, nil
}
