package view

import (
	"latentlab/core/model"
	"latentlab/core/score"
)

// ParzenSamples is how many samples the page's Evaluate puts in a Parzen
// window: the protocol's 10,000.
const ParzenSamples = 10000

// Metrics returns {metrics, step, n}: train.Session.MetricsProgress over
// the whole test set (n digits) by name, and for a model.Generator its
// Parzen-window log-likelihood (parzen_ll ± parzen_se, parzen_sigma,
// parzen_valid_ll; core/score) by the paper's protocol: σ chosen on the
// digits the model held out, else the last 1000 training digits.
// progress, unless nil, is called with the fraction done, at most once a
// whole percent.
func (v *Views) Metrics(progress func(float64)) (Result, error) {
	s := v.s
	if progress != nil {
		last, f := -1, progress
		progress = func(x float64) {
			if p := int(100 * x); p > last {
				last = p
				f(x)
			}
		}
	}
	// A Generator's evaluation is mostly its Parzen window: the other
	// measures take the first quarter of the bar.
	_, gen := s.Model.(model.Generator)
	part := func(lo, hi float64) func(float64) {
		if progress == nil {
			return nil
		}
		return func(f float64) { progress(lo + (hi-lo)*f) }
	}
	first := part(0, 1)
	if gen {
		first = part(0, 0.25)
	}
	out := Result{}
	for k, x := range s.MetricsProgress(first) {
		out[k] = x
	}
	if gen {
		vlo, _ := s.ParzenValidation()
		rest := part(0.25, 1)
		r, err := score.ParzenOf(s.Model, ParzenSamples, s.Train, vlo, s.Train.N, s.Test, func(done, total int) {
			if rest != nil {
				rest(float64(done) / float64(total))
			}
		})
		if err != nil {
			return nil, err
		}
		out["parzen_ll"], out["parzen_se"], out["parzen_sigma"], out["parzen_valid_ll"] = r.Test, r.TestSE, r.Sigma, r.Valid
	}
	return Result{"metrics": out, "step": s.Steps, "n": s.Test.N}, nil
}
