package schedule

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// A learning-rate schedule (model.Config.LRSchedule) scales every optimizer's
// learning rate by a factor of the epoch, the number of passes over the
// training digits completed:
//
//	""                  constant: factor 1
//	"step:E1,E2,...:F"  step decay: ×F at each listed epoch (F^k after the kth)
//	"exp:F"             exponential: F^epoch
//
// F is in (0, 1]; the epochs increase. The factor applies from the first
// step of each epoch, so a resumed training keeps its schedule.
type Schedule struct {
	epochs []int   // step decay: the epochs at which it decays, increasing
	factor float64 // the factor per decay (step) or per epoch (exp); 1 constant
	exp    bool
}

// Parse reads a schedule; "" is constant.
func Parse(s string) (Schedule, error) {
	if s == "" {
		return Schedule{factor: 1}, nil
	}
	bad := func(why string) (Schedule, error) {
		return Schedule{}, fmt.Errorf("lr_schedule %q: %s (want \"\", \"step:E1,E2,...:F\" or \"exp:F\", F in (0, 1])", s, why)
	}
	parts := strings.Split(s, ":")
	factor := func(v string) (float64, bool) {
		f, err := strconv.ParseFloat(v, 64)
		return f, err == nil && f > 0 && f <= 1
	}
	switch {
	case parts[0] == "exp" && len(parts) == 2:
		f, ok := factor(parts[1])
		if !ok {
			return bad("the factor is not in (0, 1]")
		}
		return Schedule{factor: f, exp: true}, nil
	case parts[0] == "step" && len(parts) == 3:
		f, ok := factor(parts[2])
		if !ok {
			return bad("the factor is not in (0, 1]")
		}
		var epochs []int
		for _, e := range strings.Split(parts[1], ",") {
			n, err := strconv.Atoi(strings.TrimSpace(e))
			if err != nil || n < 1 || n > 1_000_000 || len(epochs) > 0 && n <= epochs[len(epochs)-1] {
				return bad("the epochs are not increasing counts")
			}
			epochs = append(epochs, n)
		}
		return Schedule{epochs: epochs, factor: f}, nil
	}
	return bad("unknown form")
}

// Factor returns the learning rates' factor during the given epoch
// (counted from 0).
func (s Schedule) Factor(epoch int) float64 {
	if s.exp {
		return math.Pow(s.factor, float64(epoch))
	}
	k := 0
	for _, e := range s.epochs {
		if epoch >= e {
			k++
		}
	}
	return math.Pow(s.factor, float64(k))
}
