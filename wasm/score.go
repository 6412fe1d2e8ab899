//go:build js && wasm

package main

import (
	"errors"
	"fmt"
	"syscall/js"
	"time"

	"latentlab/core/classifier"
	"latentlab/core/model"
	"latentlab/core/score"
)

// Digits drawn for a sample score: a model.Generator decodes prior samples
// cheaply; a model.Sampler draws each digit pixel by pixel, at about a
// forward pass per pixel, so it is scored on fewer. The reference is the
// first scoreReference test digits, not all 10,000 as for the CLI: fitting
// their features takes the classifier a pass over each, about 5·10^5
// multiply-adds a digit, which a browser tab should not spend seconds on.
const (
	scoreDigits        = 1000
	scoreSamplerDigits = 300
	scoreReference     = 2000
)

// setScorer(bytes) → {ms, reference}: loads the shipped classifier
// (assets/classifier.safetensors, a "classifier" model file) and fits the
// features of the first scoreReference test digits, once; score then
// scores any model's samples.
func (b *bridge) setScorer(args []js.Value) (any, error) {
	if b.testSet == nil {
		return nil, errors.New("the MNIST data has not been loaded yet")
	}
	if len(args) != 1 {
		return nil, errors.New("setScorer wants the classifier file's bytes as a Uint8Array")
	}
	raw, err := bytesFromJS(args[0])
	if err != nil {
		return nil, err
	}
	m, _, err := model.Decode(raw)
	if err != nil {
		return nil, fmt.Errorf("classifier file: %w", err)
	}
	clf, ok := m.(*classifier.Model)
	if !ok {
		return nil, fmt.Errorf("classifier file: holds a %q model, not a classifier", m.Config().Model)
	}
	start := time.Now()
	ref := b.testSet.Subset(min(scoreReference, b.testSet.N))
	s, err := score.New(clf, ref)
	if err != nil {
		return nil, err
	}
	b.scorer, b.scoreRef = s, ref.N
	return map[string]any{"ms": float64(time.Since(start).Milliseconds()), "reference": ref.N}, nil
}

// score() → score.Result (n, confidence, entropy, frechet, classes) and
// reference, the test digits the Fréchet distance compares with: the
// current model's samples scored by the classifier setScorer loaded. The
// samples come from score.Rand, so that scoring twice draws the same
// digits, as the CLI does.
func (b *bridge) score(args []js.Value) (any, error) {
	s, err := b.session()
	if err != nil {
		return nil, err
	}
	if b.scorer == nil {
		return nil, errors.New("no classifier loaded: call setScorer first")
	}
	if !score.CanGenerate(s.Model) {
		return nil, fmt.Errorf("a %q model does not generate digits", s.Model.Config().Model)
	}
	n := scoreDigits
	if _, ok := s.Model.(model.Sampler); ok {
		n = scoreSamplerDigits
	}
	start := time.Now()
	r, err := b.scorer.ScoreModel(s.Model, n, score.Rand(s.Model.Config()))
	if err != nil {
		return nil, err
	}
	classes := make([]any, len(r.Classes))
	for i, c := range r.Classes {
		classes[i] = c
	}
	return map[string]any{
		"n": r.N, "confidence": finite(r.Confidence), "entropy": finite(r.Entropy),
		"frechet": finite(r.Frechet), "classes": classes, "step": s.Steps, "reference": b.scoreRef,
		"ms": float64(time.Since(start).Milliseconds()),
	}, nil
}
