package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"latentlab/core/classifier" // also registers the "classifier" kind
	"latentlab/core/data"
	"latentlab/core/model"
	"latentlab/core/safetensors"
	"latentlab/core/score"
	"latentlab/core/train"
)

// classifierFor is the shipped classifier that scores samples of ds's
// kind: assets/classifier.safetensors for MNIST, and
// assets/classifier-NAME.safetensors for another set (make trains each).
func classifierFor(ds *data.Dataset) string {
	if ds.Name() == "mnist" {
		return "assets/classifier.safetensors"
	}
	return "assets/classifier-" + ds.Name() + ".safetensors"
}

// sampleScores draws n digits from m and scores them with the classifier
// in the file clfPath (empty: ds's, classifierFor) against ds's test
// images (package score). It returns nil, nil when there is nothing to
// score: m cannot generate, n is 0, or clfPath was not given and ds's
// classifier is absent or was trained on another set, which it says on
// stderr; any other trouble with the classifier file, or a given one
// trained on another set, is an error.
func sampleScores(m model.Model, ds *data.Dataset, clfPath string, n int, stderr io.Writer) (map[string]any, error) {
	explicit := clfPath != ""
	if !explicit {
		clfPath = classifierFor(ds)
	}
	test := ds.Test
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
	f, err := safetensors.Decode(b)
	if err != nil {
		return nil, fmt.Errorf("the sample-scoring classifier %s: %w", clfPath, err)
	}
	clf, err := classifier.FromFile(f)
	if err != nil {
		return nil, fmt.Errorf("the sample-scoring classifier %s: %w", clfPath, err)
	}
	// A classifier that records its training set scores samples of that set
	// only (the shipped MNIST one predates the record).
	if h, ok := f.Meta["dataset_hash"]; ok && h != ds.Hash() {
		msg := fmt.Sprintf("the sample-scoring classifier %s was trained on %s, not on the %s it would score against", clfPath, f.Meta["dataset"], ds.Name())
		if explicit {
			return nil, errors.New(msg)
		}
		fmt.Fprintf(stderr, "latentlab: %s, so no sample scores\n", msg)
		return nil, nil
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
		"sample_confidence": r.Confidence,
		"sample_entropy":    r.Entropy,
		"sample_frechet":    r.Frechet,
		"sample_classes":    r.Classes,
	}, nil
}

// parzenScores estimates the log-likelihood of s's test digits under its
// model with a Parzen window over n of its samples
// (score.ParzenEstimate), the kernel width chosen on the last nvalid
// training digits, or with nvalid 0 on those the model held out (s.Valid)
// or else the last 1000, and returns the figures for eval's JSON.
// Progress goes to stderr, a line per tenth.
func parzenScores(s *train.Session, n, nvalid int, stderr io.Writer) (map[string]any, error) {
	m, trainSet, testSet := s.Model, s.Train, s.Test
	heldOut := false
	if nvalid == 0 {
		var lo int
		lo, heldOut = s.ParzenValidation()
		nvalid = trainSet.N - lo
		if !heldOut {
			fmt.Fprintf(stderr, "latentlab: --parzen: the model held out no digits (config valid 0): σ is chosen on the last %d training digits, which it trained on\n", nvalid)
		}
	}
	if !score.CanGenerate(m) {
		return nil, fmt.Errorf("--parzen: a %s model draws no samples to estimate a density with", m.Config().Model)
	}
	switch {
	case n < 1 || n > maxSamples:
		return nil, fmt.Errorf("--parzen-samples %d: want 1 to %d", n, maxSamples)
	case nvalid < 1 || nvalid > trainSet.N:
		return nil, fmt.Errorf("--parzen-valid %d: want 1 to the %d training digits", nvalid, trainSet.N)
	}
	start := time.Now()
	tenth := -1
	r, err := score.ParzenOf(m, n, trainSet, trainSet.N-nvalid, trainSet.N, testSet, func(done, total int) {
		if t := 10 * done / total; t > tenth {
			tenth = t
			fmt.Fprintf(stderr, "latentlab: Parzen window: %d of %d digits (%v)\n", done, total, time.Since(start).Round(time.Second))
		}
	})
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(stderr, "latentlab: Parzen window over %d samples: σ %.4f (validation %.2f on %d training digits), test %.2f ± %.2f nats in %v\n",
		n, r.Sigma, r.Valid, nvalid, r.Test, r.TestSE, time.Since(start).Round(time.Millisecond))
	return map[string]any{
		"parzen_ll":             r.Test,
		"parzen_se":             r.TestSE,
		"parzen_sigma":          r.Sigma,
		"parzen_valid_ll":       r.Valid,
		"parzen_samples":        n,
		"parzen_valid_digits":   nvalid,
		"parzen_valid_held_out": heldOut,
	}, nil
}
