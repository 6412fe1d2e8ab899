package figures

import "testing"

// TestFigures: every figure has a key, a label and a line on what good
// looks like, and no key is listed twice.
func TestFigures(t *testing.T) {
	seen := map[string]bool{}
	for _, f := range All {
		if f.Key == "" || f.Label == "" || f.Good == "" {
			t.Errorf("figure %+v lacks a key, label or what good looks like", f)
		}
		if seen[f.Key] {
			t.Errorf("figure %q listed twice", f.Key)
		}
		seen[f.Key] = true
	}
	if _, ok := Of("recon"); !ok {
		t.Error("no figure recon")
	}
	if _, ok := Of("no_such"); ok {
		t.Error("a figure for no_such")
	}
}
