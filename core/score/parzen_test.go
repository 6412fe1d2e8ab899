package score_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"latentlab/core/data"
	"latentlab/core/score"
)

// directLogLik is the Parzen log-density of x under samples s, all in
// float64 from the exact distances: the oracle.
func directLogLik(x, s []float32, n, m, d int, sigma float64) []float64 {
	out := make([]float64, n)
	for i := range n {
		terms := make([]float64, m)
		top := math.Inf(-1)
		for j := range m {
			var d2 float64
			for k := range d {
				diff := float64(x[i*d+k]) - float64(s[j*d+k])
				d2 += diff * diff
			}
			terms[j] = -d2 / (2 * sigma * sigma)
			top = max(top, terms[j])
		}
		var sum float64
		for _, t := range terms {
			sum += math.Exp(t - top)
		}
		out[i] = top + math.Log(sum) - math.Log(float64(m)) - float64(d)/2*math.Log(2*math.Pi*sigma*sigma)
	}
	return out
}

func uniform(r *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = r.Float32()
	}
	return x
}

// TestParzenMatchesDirect: across block boundaries (2100 samples, 260
// points: more than one block of each) and every width, the blocked
// float32-product estimate matches the float64 oracle.
func TestParzenMatchesDirect(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const m, n, d = 2100, 260, 16
	s, x := uniform(r, m*d), uniform(r, n*d)
	p, err := score.NewParzen(s, m, d)
	if err != nil {
		t.Fatal(err)
	}
	sigmas := score.ParzenSigmas()
	ll, err := p.LogLik(x, n, sigmas, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, sigma := range sigmas {
		want := directLogLik(x, s, n, m, d, sigma)
		for i := range n {
			if math.Abs(ll[k][i]-want[i]) > 1e-3*max(1, math.Abs(want[i])) {
				t.Fatalf("σ %.3g, point %d: %v, the oracle %v", sigma, i, ll[k][i], want[i])
			}
		}
	}
}

// TestParzenDigits: real digits, where the distances are large and the
// product's rounding counts most (784 pixels, σ 0.1 to 1): within 0.01
// nats of the oracle.
func TestParzenDigits(t *testing.T) {
	tr, te, err := data.LoadTestSubset()
	if err != nil {
		t.Fatal(err)
	}
	const m, n = 300, 20
	s, x := pixels(tr, span(0, m)), pixels(te, span(0, n))
	p, err := score.NewParzen(s, m, tr.Dim())
	if err != nil {
		t.Fatal(err)
	}
	sigmas := []float64{0.1, 0.2, 0.5}
	ll, err := p.LogLik(x, n, sigmas, nil)
	if err != nil {
		t.Fatal(err)
	}
	worst := 0.0
	for k, sigma := range sigmas {
		want := directLogLik(x, s, n, m, tr.Dim(), sigma)
		for i := range n {
			worst = max(worst, math.Abs(ll[k][i]-want[i]))
		}
	}
	if worst > 0.01 {
		t.Errorf("up to %.3g nats from the oracle", worst)
	}
	t.Logf("largest difference from the float64 oracle: %.2g nats", worst)
}

// TestParzenEstimateSanity: with training digits as the "samples", σ is
// chosen inside the range and the test digits score far above what
// uniform noise as samples scores; progress reaches every point.
func TestParzenEstimateSanity(t *testing.T) {
	tr, te, err := data.LoadTestSubset()
	if err != nil {
		t.Fatal(err)
	}
	d := tr.Dim()
	const m, nv = 1900, 100
	samples, valid, test := pixels(tr, span(0, m)), pixels(tr, span(m, m+nv)), pixels(te, span(0, te.N))
	last := 0
	r, err := score.ParzenEstimate(samples, m, valid, nv, test, te.N, d, score.ParzenSigmas(), func(done, total int) {
		if done <= last || total != nv+te.N {
			t.Errorf("progress %d of %d after %d", done, total, last)
		}
		last = done
	})
	if err != nil {
		t.Fatal(err)
	}
	if last != nv+te.N {
		t.Errorf("progress ended at %d of %d", last, nv+te.N)
	}
	if r.Sigma <= 0.1 || r.Sigma >= 1 || r.TestSE <= 0 || math.IsNaN(r.Test) {
		t.Errorf("%+v", r)
	}
	noise, err := score.ParzenEstimate(uniform(rand.New(rand.NewPCG(3, 4)), m*d), m, valid, nv, test, te.N, d, score.ParzenSigmas(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !(r.Test > noise.Test+100) {
		t.Errorf("training digits as samples score %.1f, uniform noise %.1f", r.Test, noise.Test)
	}
	t.Logf("%d training digits as samples: σ %.3f, validation %.1f, test %.1f ± %.1f; uniform noise: %.1f", m, r.Sigma, r.Valid, r.Test, r.TestSE, noise.Test)
}

// TestParzenRefuses: shapes that do not fit and widths that are no
// widths are errors.
func TestParzenRefuses(t *testing.T) {
	if _, err := score.NewParzen(make([]float32, 10), 3, 4); err == nil {
		t.Error("10 values for 3 samples of 4")
	}
	p, _ := score.NewParzen(make([]float32, 12), 3, 4)
	for _, sigmas := range [][]float64{{0}, {-1}, {math.NaN()}, {math.Inf(1)}} {
		if _, err := p.LogLik(make([]float32, 4), 1, sigmas, nil); err == nil {
			t.Errorf("width %v", sigmas)
		}
	}
	nan := make([]float32, 12)
	nan[5] = float32(math.NaN())
	if _, err := score.NewParzen(nan, 3, 4); err == nil {
		t.Error("a NaN sample")
	}
}

// BenchmarkParzenLogLik: one block of 256 digits against 10,000 samples at
// one width, the protocol's test pass in miniature; it reports the
// distance products' GFLOP/s and digits a second.
func BenchmarkParzenLogLik(b *testing.B) {
	const m, n, d = 10000, 256, 784
	r := rand.New(rand.NewPCG(5, 6))
	p, err := score.NewParzen(uniform(r, m*d), m, d)
	if err != nil {
		b.Fatal(err)
	}
	x := uniform(r, n*d)
	sigmas := []float64{0.2}
	b.ResetTimer()
	for b.Loop() {
		if _, err := p.LogLik(x, n, sigmas, nil); err != nil {
			b.Fatal(err)
		}
	}
	sec := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(2*m*n*d/sec/1e9, "GFLOP/s")
	b.ReportMetric(n/sec, "digits/s")
}
