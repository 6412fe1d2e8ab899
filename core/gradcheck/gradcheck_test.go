package gradcheck

import (
	"fmt"
	"testing"
)

// recorder is a testing.TB that keeps what Check reports.
type recorder struct {
	testing.TB
	errors []string
}

func (r *recorder) Helper()                   {}
func (r *recorder) Logf(string, ...any)       {}
func (r *recorder) Errorf(f string, a ...any) { r.errors = append(r.errors, fmt.Sprintf(f, a...)) }
func (r *recorder) Fatalf(f string, a ...any) { r.Errorf(f, a...) }

// TestCheck: a right gradient passes, a wrong one is reported with its
// entry, skipped entries are not checked.
func TestCheck(t *testing.T) {
	p := []float32{0.5, -1.25, 2, 0.75}
	loss := func() float64 { // Σ p³
		s := 0.0
		for _, v := range p {
			s += float64(v) * float64(v) * float64(v)
		}
		return s
	}
	grad := func(scale float32) []float32 {
		g := make([]float32, len(p))
		for i, v := range p {
			g[i] = 3 * v * v * scale
		}
		return g
	}
	r := &recorder{TB: t}
	if worst, n := Check(r, Case{Name: "right", Params: p, Analytic: grad(1), Loss: loss}); len(r.errors) != 0 || n != 4 || worst > 1e-3 {
		t.Fatalf("right gradient: errors %v, %d checked, worst %v", r.errors, n, worst)
	}
	wrong := grad(1)
	wrong[2] *= 1.1
	r = &recorder{TB: t}
	Check(r, Case{Name: "wrong", Params: p, Analytic: wrong, Loss: loss})
	if len(r.errors) != 1 {
		t.Fatalf("a gradient 10%% off at entry 2 gave errors %v", r.errors)
	}
	r = &recorder{TB: t}
	if _, n := Check(r, Case{Name: "skipped", Params: p, Analytic: wrong, Loss: loss, Skip: func(i int) bool { return i == 2 }}); len(r.errors) != 0 || n != 3 {
		t.Fatalf("skipping the wrong entry: errors %v, %d checked", r.errors, n)
	}
	if p[2] != 2 {
		t.Fatalf("parameters not restored: %v", p)
	}
}
