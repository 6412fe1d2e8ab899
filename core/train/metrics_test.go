package train

import (
	"reflect"
	"testing"
)

// TestConfidentLabels: each category takes the label of the digit most
// confident of it, not the label most of its digits have; a category no
// digit gives any probability takes -1.
func TestConfidentLabels(t *testing.T) {
	// Three digits, three categories. Category 0: most digits are 7s, but
	// the 1 is the most confident of it. Category 2: no probability.
	probs := []float32{
		0.6, 0.4, 0, // a 7
		0.9, 0.1, 0, // a 1
		0.5, 0.5, 0, // a 7
	}
	got := ConfidentLabels(probs, []uint8{7, 1, 7}, 3)
	if want := []int{1, 7, -1}; !reflect.DeepEqual(got, want) {
		t.Errorf("ConfidentLabels = %v, want %v", got, want)
	}
	if e := ClassError([]int{-1, 3}, []uint8{0, 3}); e != 0.5 {
		t.Errorf("a digit in an unlabelled category: error %v, want 0.5", e)
	}
}
