package train_test

import (
	"reflect"
	"testing"
)

// TestMetricsProgress: the progress of an evaluation rises, never falls,
// and ends at 1, and the measures are Metrics' own.
func TestMetricsProgress(t *testing.T) {
	s := session(t, small())
	var seen []float64
	got := s.MetricsProgress(func(f float64) { seen = append(seen, f) })
	if len(seen) < 2 {
		t.Fatalf("progress reported %d times", len(seen))
	}
	for i := 1; i < len(seen); i++ {
		if seen[i] < seen[i-1] {
			t.Fatalf("progress fell: %v", seen)
		}
	}
	if last := seen[len(seen)-1]; last != 1 {
		t.Errorf("progress ends at %v, want 1", last)
	}
	if want := s.Metrics(); !reflect.DeepEqual(got, want) {
		t.Errorf("MetricsProgress %v, Metrics %v", got, want)
	}
}
