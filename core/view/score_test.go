package view

import (
	"os"
	"strings"
	"testing"

	"latentlab/core/model"
	"latentlab/core/safetensors"
)

// TestScorer: the shipped classifier scores a generator's samples against
// the test digits; a file of another model, or a model that generates
// nothing, is refused with a message.
func TestScorer(t *testing.T) {
	if testing.Short() {
		t.Skip("fits the classifier's features of the reference digits")
	}
	file, err := os.ReadFile("../../assets/classifier.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	s := session(t, small(t, "default"), 3)
	sc, info, err := NewScorer(file, s.Test)
	if err != nil {
		t.Fatal(err)
	}
	if info["reference"] != min(ScoreReference, s.Test.N) {
		t.Errorf("reference %v", info["reference"])
	}
	r, err := sc.Score(s)
	if err != nil {
		t.Fatal(err)
	}
	finiteAll(t, "score", r)
	if r["n"] != ScoreDigits || len(r["classes"].([]any)) != 10 {
		t.Errorf("scored %v digits, %d classes", r["n"], len(r["classes"].([]any)))
	}
	if c := r["confidence"].(float64); !(c > 0 && c <= 1) {
		t.Errorf("confidence %v", c)
	}
	other, err := model.Encode(s.Model, 3, safetensors.F32)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := NewScorer(other, s.Test); err == nil || !strings.Contains(err.Error(), "not a classifier") {
		t.Errorf("an aae file as the classifier: %v", err)
	}
	if _, err := sc.Score(session(t, small(t, "classifier"), 1)); err == nil || !strings.Contains(err.Error(), "does not generate") {
		t.Errorf("scoring a classifier: %v", err)
	}
}
