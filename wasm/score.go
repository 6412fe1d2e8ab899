//go:build js && wasm

package main

import (
	"errors"
	"syscall/js"

	"latentlab/core/view"
)

// setScorer(bytes) → view.NewScorer's {ms, reference}: loads the shipped
// classifier once; score then scores any model's samples.
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
	s, r, err := view.NewScorer(raw, b.testSet)
	if err != nil {
		return nil, err
	}
	b.scorer = s
	return toJS(r), nil
}

// score() → view.Scorer.Score of the current model.
func (b *bridge) score(args []js.Value) (any, error) {
	s, err := b.session()
	if err != nil {
		return nil, err
	}
	if b.scorer == nil {
		return nil, errors.New("no classifier loaded: call setScorer first")
	}
	r, err := b.scorer.Score(s)
	if err != nil {
		return nil, err
	}
	return toJS(r), nil
}
