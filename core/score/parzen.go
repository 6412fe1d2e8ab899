package score

import (
	"fmt"
	"math"
	"runtime"
	"sync"

	"latentlab/core/data"
	"latentlab/core/model"
	"latentlab/core/tensor"
)

// A Parzen-window estimate of a model's log-likelihood, as Goodfellow et
// al. (2014, §5) measure GANs and the AAE paper (Makhzani et al. 2015,
// Table 1) its models: the density of a point x is the mean, over m
// samples s of the model, of an isotropic Gaussian kernel of width σ,
//
//	log p(x) = logsumexp_j(−‖x − s_j‖² / 2σ²) − log m − (d/2)·log(2πσ²),
//
// σ chosen to maximise the mean log-likelihood of a validation set, and
// the figure reported is the mean over the test set with its standard
// error. The squared distances come from the matrix kernels of
// core/tensor (‖x‖² + ‖s‖² − 2·x·s, the product in float32), the sums of
// exponentials in float64, streamed over blocks of samples so that memory
// stays a block's worth.

// ParzenSigmas are the kernel widths the protocol tries: ten values
// spaced logarithmically from 0.1 to 1 (NumPy's logspace(−1, 0, 10)).
func ParzenSigmas() []float64 {
	s := make([]float64, 10)
	for i := range s {
		s[i] = math.Pow(10, -1+float64(i)/9)
	}
	return s
}

// Parzen is a Parzen-window density over m samples of dimension d.
type Parzen struct {
	s     []float32 // (m, d) the samples
	sNorm []float64 // (m) ‖s_j‖²
	m, d  int
}

// Block sizes: rows of points and columns of samples per product. A
// block's dot products are 256×2048 float32 (2 MB).
const (
	parzenRows = 256
	parzenCols = 2048
)

// NewParzen returns the density of the m samples s (m, d); s is not
// copied and must not change while the Parzen is in use.
func NewParzen(s []float32, m, d int) (*Parzen, error) {
	if m < 1 || d < 1 || len(s) != m*d {
		return nil, fmt.Errorf("score: Parzen window over %d values for %d samples of %d", len(s), m, d)
	}
	p := &Parzen{s: s, m: m, d: d, sNorm: norms(s, m, d)}
	for _, v := range p.sNorm {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("score: a sample holds a value that is not finite")
		}
	}
	return p, nil
}

func norms(x []float32, n, d int) []float64 {
	out := make([]float64, n)
	for i := range n {
		var sum float64
		for _, v := range x[i*d : (i+1)*d] {
			sum += float64(v) * float64(v)
		}
		out[i] = sum
	}
	return out
}

// LogLik returns ll[k][i], the log-density of point i of x (n, d) under
// kernel width sigmas[k]. progress, if not nil, is called after each block
// of points with how many are done.
func (p *Parzen) LogLik(x []float32, n int, sigmas []float64, progress func(done, total int)) ([][]float64, error) {
	if len(x) != n*p.d {
		return nil, fmt.Errorf("score: %d values for %d points of %d", len(x), n, p.d)
	}
	for _, s := range sigmas {
		if !(s > 0) || math.IsInf(s, 0) {
			return nil, fmt.Errorf("score: kernel width %v", s)
		}
	}
	K := len(sigmas)
	inv := make([]float64, K) // 1/(2σ²)
	norm := make([]float64, K)
	for k, s := range sigmas {
		inv[k] = 1 / (2 * s * s)
		norm[k] = -math.Log(float64(p.m)) - float64(p.d)/2*math.Log(2*math.Pi*s*s)
	}
	ll := make([][]float64, K)
	for k := range ll {
		ll[k] = make([]float64, n)
	}
	xNorm := norms(x, n, p.d)
	dot := make([]float32, parzenRows*parzenCols)
	// Per point and width, the running log-sum-exp: its largest exponent
	// so far and the sum of exponentials relative to it.
	mx := make([]float64, parzenRows*K)
	sum := make([]float64, parzenRows*K)
	workers := runtime.GOMAXPROCS(0)
	for r0 := 0; r0 < n; r0 += parzenRows {
		rows := min(parzenRows, n-r0)
		for i := range mx[:rows*K] {
			mx[i], sum[i] = math.Inf(-1), 0
		}
		for c0 := 0; c0 < p.m; c0 += parzenCols {
			cols := min(parzenCols, p.m-c0)
			tensor.MulXWt(dot[:rows*cols], x[r0*p.d:(r0+rows)*p.d], p.s[c0*p.d:(c0+cols)*p.d], rows, p.d, cols)
			var wg sync.WaitGroup
			for w := range workers {
				wg.Go(func() {
					for i := w; i < rows; i += workers {
						p.accumulate(dot[i*cols:(i+1)*cols], xNorm[r0+i], c0, inv, mx[i*K:(i+1)*K], sum[i*K:(i+1)*K])
					}
				})
			}
			wg.Wait()
		}
		for i := range rows {
			for k := range K {
				ll[k][r0+i] = mx[i*K+k] + math.Log(sum[i*K+k]) + norm[k]
			}
		}
		if progress != nil {
			progress(r0+rows, n)
		}
	}
	return ll, nil
}

// accumulate adds to one point's running log-sum-exps (mx, sum, one per
// width) the terms of the samples [c0, c0+len(dot)), whose dot products
// with the point are dot.
func (p *Parzen) accumulate(dot []float32, xn float64, c0 int, inv, mx, sum []float64) {
	sn := p.sNorm[c0 : c0+len(dot)]
	// The block's nearest sample sets each width's largest exponent.
	near := math.Inf(1)
	for j, v := range dot {
		near = min(near, max(0, xn+sn[j]-2*float64(v)))
	}
	for k, a := range inv {
		if top := -near * a; top > mx[k] {
			sum[k] *= math.Exp(mx[k] - top)
			mx[k] = top
		}
		s, m := 0.0, mx[k]
		for j, v := range dot {
			d2 := max(0, xn+sn[j]-2*float64(v))
			s += math.Exp(-d2*a - m)
		}
		sum[k] += s
	}
}

// ParzenResult is the protocol's outcome.
type ParzenResult struct {
	Sigma   float64   // the width chosen on the validation set
	Valid   float64   // the validation set's mean log-likelihood at Sigma
	Test    float64   // the test set's mean log-likelihood at Sigma, nats
	TestSE  float64   // its standard error (standard deviation / √n)
	Sigmas  []float64 // the widths tried
	ValidLL []float64 // the validation figure at each
	Samples int
}

// ParzenEstimate runs the protocol: of the widths sigmas, the one that
// maximises the mean log-likelihood of valid (nv, d) under the samples (m,
// d), then the mean log-likelihood of test (nt, d) at that width.
// progress, if not nil, is told the points done of nv + nt.
func ParzenEstimate(samples []float32, m int, valid []float32, nv int, test []float32, nt int, d int, sigmas []float64, progress func(done, total int)) (ParzenResult, error) {
	if nv < 1 || nt < 1 || len(sigmas) == 0 {
		return ParzenResult{}, fmt.Errorf("score: Parzen estimate of %d test points, σ from %d validation points and %d widths", nt, nv, len(sigmas))
	}
	p, err := NewParzen(samples, m, d)
	if err != nil {
		return ParzenResult{}, err
	}
	total := nv + nt
	step := func(offset int) func(int, int) {
		if progress == nil {
			return nil
		}
		return func(done, _ int) { progress(offset+done, total) }
	}
	vll, err := p.LogLik(valid, nv, sigmas, step(0))
	if err != nil {
		return ParzenResult{}, err
	}
	r := ParzenResult{Sigmas: sigmas, ValidLL: make([]float64, len(sigmas)), Valid: math.Inf(-1), Samples: m}
	for k := range sigmas {
		r.ValidLL[k] = mean(vll[k])
		if r.ValidLL[k] > r.Valid {
			r.Valid, r.Sigma = r.ValidLL[k], sigmas[k]
		}
	}
	tll, err := p.LogLik(test, nt, []float64{r.Sigma}, step(nv))
	if err != nil {
		return ParzenResult{}, err
	}
	r.Test = mean(tll[0])
	var ss float64
	for _, v := range tll[0] {
		ss += (v - r.Test) * (v - r.Test)
	}
	if nt > 1 {
		r.TestSE = math.Sqrt(ss/float64(nt-1)) / math.Sqrt(float64(nt))
	}
	return r, nil
}

func mean(v []float64) float64 {
	var s float64
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

// ParzenOf runs the protocol on model m: n samples of m (Sample, drawn
// with Rand of its config), σ chosen on digits [vlo, vhi) of valid, then
// the mean log-likelihood of every digit of test (ParzenEstimate; progress
// as there).
func ParzenOf(m model.Model, n int, valid *data.Set, vlo, vhi int, test *data.Set, progress func(done, total int)) (ParzenResult, error) {
	if n < 1 || vlo < 0 || vhi > valid.N || vhi <= vlo {
		return ParzenResult{}, fmt.Errorf("score: Parzen window of %d samples, σ from digits [%d, %d) of %d", n, vlo, vhi, valid.N)
	}
	samples := make([]float32, n*model.Pixels)
	if err := Sample(samples, m, n, Rand(m.Config())); err != nil {
		return ParzenResult{}, err
	}
	return ParzenEstimate(samples, n, rows(valid, vlo, vhi), vhi-vlo, rows(test, 0, test.N), test.N, model.Pixels, ParzenSigmas(), progress)
}

// rows returns digits [lo, hi) of s as rows of pixels.
func rows(s *data.Set, lo, hi int) []float32 {
	x := make([]float32, (hi-lo)*model.Pixels)
	s.FillRange(x, nil, lo, hi)
	return x
}
