package schedule_test

import (
	"math"
	"strings"
	"testing"

	"latentlab/core/schedule"
)

func TestSchedule(t *testing.T) {
	for _, tc := range []struct {
		spec string
		want map[int]float64 // epoch → factor
	}{
		{"", map[int]float64{0: 1, 7: 1}},
		{"step:2,5:0.1", map[int]float64{0: 1, 1: 1, 2: 0.1, 4: 0.1, 5: 0.01, 100: 0.01}},
		{"exp:0.5", map[int]float64{0: 1, 1: 0.5, 3: 0.125}},
	} {
		s, err := schedule.Parse(tc.spec)
		if err != nil {
			t.Fatalf("%q: %v", tc.spec, err)
		}
		for e, f := range tc.want {
			if got := s.Factor(e); math.Abs(got-f) > 1e-12 {
				t.Errorf("%q at epoch %d: %v, want %v", tc.spec, e, got, f)
			}
		}
	}
	for _, bad := range []string{"step", "step:2:0", "step:5,2:0.5", "step:x:0.5", "exp:1.5", "exp:-1", "cosine:3", "step:0:0.5"} {
		if _, err := schedule.Parse(bad); err == nil || !strings.Contains(err.Error(), "lr_schedule") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}
