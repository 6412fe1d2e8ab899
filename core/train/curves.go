package train

import (
	"encoding/json"
	"fmt"
	"math"
)

// MaxCurvePoints is the most points a curve keeps: past it, Add halves the
// curve, averaging neighbouring points, so that a long training's curves
// stay a bounded part of its checkpoint.
const MaxCurvePoints = 4096

// Curves are a training's loss curves by name: the page's and the CLI's
// log of mean losses, kept in checkpoints.
type Curves map[string]*Curve

// Curve is a series of (step, value) points, steps increasing.
type Curve struct {
	X []float64 `json:"x"`
	Y []float64 `json:"y"`
}

// Add appends the point (x, y) to the curve called name; a non-finite y is
// skipped.
func (cs *Curves) Add(name string, x, y float64) {
	if math.IsNaN(y) || math.IsInf(y, 0) {
		return
	}
	if *cs == nil {
		*cs = Curves{}
	}
	c := (*cs)[name]
	if c == nil {
		c = &Curve{}
		(*cs)[name] = c
	}
	c.X = append(c.X, x)
	c.Y = append(c.Y, y)
	if len(c.X) > MaxCurvePoints {
		n := len(c.X) / 2
		for i := range n {
			c.X[i] = c.X[2*i+1]
			c.Y[i] = (c.Y[2*i] + c.Y[2*i+1]) / 2
		}
		if len(c.X)%2 == 1 {
			c.X[n], c.Y[n] = c.X[len(c.X)-1], c.Y[len(c.Y)-1]
			n++
		}
		c.X, c.Y = c.X[:n], c.Y[:n]
	}
}

// check refuses curves a checkpoint should not carry: unequal lengths,
// more than MaxCurvePoints points, values that are not finite.
func (cs Curves) check() error {
	for name, c := range cs {
		switch {
		case c == nil:
			return fmt.Errorf("train: curve %q is null", name)
		case len(c.X) != len(c.Y):
			return fmt.Errorf("train: curve %q has %d steps for %d values", name, len(c.X), len(c.Y))
		case len(c.X) > MaxCurvePoints:
			return fmt.Errorf("train: curve %q has %d points, more than %d", name, len(c.X), MaxCurvePoints)
		}
		for i := range c.X {
			if math.IsNaN(c.X[i]+c.Y[i]) || math.IsInf(c.X[i]+c.Y[i], 0) {
				return fmt.Errorf("train: curve %q has a value that is not finite", name)
			}
		}
	}
	return nil
}

// ParseCurves reads curves from their JSON ({name: {"x": [...], "y":
// [...]}}), refusing what check refuses.
func ParseCurves(b []byte) (Curves, error) {
	var cs Curves
	if err := json.Unmarshal(b, &cs); err != nil {
		return nil, fmt.Errorf("train: loss curves: %v", err)
	}
	return cs, cs.check()
}
