package model_test

import (
	"math"
	"strings"
	"testing"

	"latentlab/core/model"
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
		s, err := model.ParseSchedule(tc.spec)
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
		if _, err := model.ParseSchedule(bad); err == nil || !strings.Contains(err.Error(), "lr_schedule") {
			t.Errorf("%q: %v", bad, err)
		}
	}
	c := model.Defaults()
	c.LRSchedule = "step:3,2:0.5"
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "lr_schedule") {
		t.Errorf("Validate of a bad schedule: %v", err)
	}
}
