package view

import (
	"math"
	"slices"
	"strings"
	"sync"
	"testing"

	_ "latentlab/core/kinds"
	"latentlab/core/model"
	"latentlab/core/modeltest"
	"latentlab/core/parallel"
	"latentlab/core/train"
)

// small returns preset name on the small networks of modeltest.Small.
func small(t *testing.T, name string) model.Config {
	t.Helper()
	c, ok := model.Presets()[name]
	if !ok {
		t.Fatalf("no preset %q", name)
	}
	return modeltest.Small(c)
}

// session returns a session of c on the test subset, trained steps steps.
func session(t *testing.T, c model.Config, steps int) *train.Session {
	t.Helper()
	tr, te := modeltest.Subset(t)
	s := modeltest.Session(t, c, tr, te)
	for range steps {
		s.Step()
	}
	return s
}

// finiteAll fails on a NaN or infinity anywhere in r.
func finiteAll(t *testing.T, where string, v any) {
	t.Helper()
	switch x := v.(type) {
	case Result:
		for k, e := range x {
			finiteAll(t, where+"."+k, e)
		}
	case []any:
		for i, e := range x {
			finiteAll(t, where+"["+string(rune('0'+i%10))+"]", e)
		}
	case Pixels:
		for _, p := range x {
			if !(p >= 0 && p <= 1) {
				t.Fatalf("%s: pixel %v outside [0, 1]", where, p)
			}
		}
	case []float32:
		for _, f := range x {
			if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
				t.Fatalf("%s: %v", where, f)
			}
		}
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			t.Fatalf("%s: %v", where, x)
		}
	}
}

// TestSnapshotByCapability: each kind's snapshot has the views its
// capabilities give, of the sizes the page lays out, and nothing else.
func TestSnapshotByCapability(t *testing.T) {
	for _, tc := range []struct {
		preset string
		has    []string
		lacks  []string
	}{
		{"default", []string{"inputs", "recons", "testRecon", "samples", "codes", "labels", "prior"}, []string{"clusters", "labelGrid", "testNLL", "axes"}},
		{"paper", []string{"codes", "axes", "samples"}, []string{"clusters"}},
		{"supervised", []string{"inputs", "recons", "labelGrid", "pick", "codes"}, []string{"testRecon", "clusters"}},
		{"cluster", []string{"clusters", "clusterError", "codes"}, []string{"testError"}},
		{"pixel", []string{"testNLL", "bitsPerPixel"}, []string{"codes", "samples", "inputs"}},
	} {
		t.Run(tc.preset, func(t *testing.T) {
			s := session(t, small(t, tc.preset), 2)
			r := New(s).Snapshot(Options{})
			finiteAll(t, tc.preset, r)
			for _, k := range tc.has {
				if _, ok := r[k]; !ok {
					t.Errorf("no %s", k)
				}
			}
			for _, k := range tc.lacks {
				if _, ok := r[k]; ok {
					t.Errorf("has %s", k)
				}
			}
			n := min(Codes, s.Test.N)
			if p, ok := r["inputs"].(Pixels); ok && len(p) != Digits*model.Pixels {
				t.Errorf("inputs: %d values", len(p))
			}
			if p, ok := r["samples"].(Pixels); ok && len(p) != Samples*model.Pixels {
				t.Errorf("samples: %d values", len(p))
			}
			if c, ok := r["codes"].([]float32); ok && (len(c) != 2*n || len(r["labels"].([]byte)) != n) {
				t.Errorf("codes: %d values for %d digits", len(c), n)
			}
			if g, ok := r["labelGrid"].(Pixels); ok && len(g) != Labels*model.Pixels {
				t.Errorf("labelGrid: %d values", len(g))
			}
			if cl, ok := r["clusters"].(Result); ok {
				k := s.Model.Config().Classes
				if cl["k"] != k || len(cl["pixels"].(Pixels)) != min(k, Classes)*PerClass*model.Pixels {
					t.Errorf("clusters: k %v, %d pixel values", cl["k"], len(cl["pixels"].(Pixels)))
				}
				total := 0
				for _, c := range cl["counts"].([]any) {
					total += c.(int)
				}
				if total != n && k <= Classes {
					t.Errorf("cluster members add up to %d, not %d", total, n)
				}
			}
		})
	}
}

// TestReplicasSnapshot: two replicas, asked together, give what the whole
// model gives: replica 0 the same codes and losses, replica 1 only
// {replica: true} and the figures it helped sum.
func TestReplicasSnapshot(t *testing.T) {
	for _, preset := range []string{"default", "pixel"} {
		t.Run(preset, func(t *testing.T) {
			c := small(t, preset)
			whole := New(session(t, c, 0)).Snapshot(Options{})
			out := make([]Result, 2)
			var wg sync.WaitGroup
			for i, sh := range parallel.Group(2) {
				s := session(t, c, 0)
				if err := s.Model.(parallel.Sharder).SetShard(sh); err != nil {
					t.Fatal(err)
				}
				v := New(s)
				v.SetReplica(sh)
				wg.Go(func() { out[i] = v.Snapshot(Options{}) })
			}
			wg.Wait()
			if out[1]["replica"] != true || out[1]["kind"] != nil || out[1]["codes"] != nil {
				t.Errorf("replica 1 returned %v", keys(out[1]))
			}
			for _, k := range []string{"testRecon", "testNLL"} {
				w, ok := whole[k].(float64)
				if !ok {
					continue
				}
				if g := out[0][k].(float64); math.Abs(g-w) > 1e-4*math.Abs(w) {
					t.Errorf("%s: replicas %v, whole %v", k, g, w)
				}
			}
			if w, ok := whole["codes"].([]float32); ok {
				g := out[0]["codes"].([]float32)
				for i := range w {
					if math.Abs(float64(g[i]-w[i])) > 1e-5*max(1, math.Abs(float64(w[i]))) {
						t.Fatalf("code %d: replicas %v, whole %v", i, g[i], w[i])
					}
				}
			}
		})
	}
}

func keys(r Result) []string {
	var out []string
	for k := range r {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// near reports whether a and b are equal to within tol.
func near(a, b []float32, tol float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Abs(float64(a[i]-b[i])) > tol {
			return false
		}
	}
	return true
}

// TestExploreAgreesWithPlot: a drawn digit lands where the snapshot
// plotted it, the decode at its plotted point is the decode of its code,
// an interpolation starts and ends at its digits' plotted points, and a
// code lifted from a point of a PCA plot projects back to that point.
func TestExploreAgreesWithPlot(t *testing.T) {
	for _, tc := range []struct {
		preset, view string
	}{{"default", ""}, {"paper", "pca"}, {"paper", "axes:3,5"}} {
		t.Run(tc.preset+" "+tc.view, func(t *testing.T) {
			s := session(t, small(t, tc.preset), 5)
			v := New(s)
			if tc.preset == "paper" {
				if _, err := v.DecodeAt(0, 0); err == nil || !strings.Contains(err.Error(), "nothing plotted yet") {
					t.Errorf("decodeAt before a snapshot of a 10-D code: %v", err)
				}
			}
			r := v.Snapshot(Options{LatentView: tc.view})
			if _, ok := r["projectionError"]; ok {
				t.Fatal(r["projectionError"])
			}
			codes := r["codes"].([]float32)
			x, _ := v.testDigits()
			raw := make([]byte, model.Pixels)
			for i, p := range x[3*model.Pixels : 4*model.Pixels] {
				raw[i] = byte(math.Round(float64(p) * 255))
			}
			e, err := v.EncodeDigit(raw)
			if err != nil {
				t.Fatal(err)
			}
			if pt := e["point"].([]float32); !near(pt, codes[6:8], 1e-4) {
				t.Errorf("digit 3 drawn lands at %v, plotted at %v", pt, codes[6:8])
			}
			in, err := v.Interpolate(3, 7)
			if err != nil {
				t.Fatal(err)
			}
			path := in["path"].([]float32)
			if !near(path[:2], codes[6:8], 1e-4) || !near(path[2*InterpFrames-2:], codes[14:16], 1e-4) {
				t.Errorf("interpolation runs %v … %v, digits plotted at %v and %v", path[:2], path[len(path)-2:], codes[6:8], codes[14:16])
			}
			// A point of the plot decodes to what its code decodes to,
			// and that code lies at the point.
			px, py := float32(0.3), float32(-0.7)
			z, err := v.codeAt(px, py)
			if err != nil {
				t.Fatal(err)
			}
			if back := onPlane(v.plane, z, 1); !near(back, []float32{px, py}, 1e-4) {
				t.Errorf("point (%v, %v) lifts to a code plotted at %v", px, py, back)
			}
			d, err := v.DecodeAt(float64(px), float64(py))
			if err != nil {
				t.Fatal(err)
			}
			want := make([]float32, model.Pixels)
			s.Model.(model.Generator).Decode(want, z, 1)
			if !near(d["pixels"].(Pixels), want, 1e-6) {
				t.Error("decodeAt differs from decoding the point's code")
			}
			g, err := v.Traverse(4, 2)
			if err != nil {
				t.Fatal(err)
			}
			if len(g["pixels"].(Pixels)) != 16*model.Pixels {
				t.Errorf("traverse(4): %d values", len(g["pixels"].(Pixels)))
			}
		})
	}
}

// TestExploreRefusesBadInput: every exploration says what it wants.
func TestExploreRefusesBadInput(t *testing.T) {
	v := New(session(t, small(t, "default"), 1))
	for name, f := range map[string]func() (Result, error){
		"traverse 1":       func() (Result, error) { return v.Traverse(1, 2) },
		"traverse 2.5":     func() (Result, error) { return v.Traverse(2.5, 2) },
		"traverse 17":      func() (Result, error) { return v.Traverse(MaxTraverse+1, 2) },
		"traverse range 0": func() (Result, error) { return v.Traverse(4, 0) },
		"interpolate -1":   func() (Result, error) { return v.Interpolate(-1, 2) },
		"interpolate far":  func() (Result, error) { return v.Interpolate(0, Codes) },
		"encode 783 bytes": func() (Result, error) { return v.EncodeDigit(make([]byte, 783)) },
		"pick":             func() (Result, error) { return v.Pick(0, 0) },
		"sampleBegin":      func() (Result, error) { return v.SampleBegin(4) },
		"sampleRows":       func() (Result, error) { return v.SampleRows(0, 28) },
	} {
		if r, err := f(); err == nil {
			t.Errorf("%s: no error, %v", name, keys(r))
		}
	}
	pv := New(session(t, small(t, "pixel"), 1))
	if _, err := pv.DecodeAt(0, 0); err == nil || !strings.Contains(err.Error(), "no encoder and decoder") {
		t.Errorf("decodeAt of the pixel model: %v", err)
	}
	if _, err := pv.SampleRows(0, 28); err == nil {
		t.Error("sampleRows before sampleBegin")
	}
	if _, err := pv.SampleBegin(2); err != nil {
		t.Fatal(err)
	}
	if _, err := pv.SampleRows(10, 5); err == nil {
		t.Error("sampleRows(10, 5)")
	}
}

// TestSampleRows: the pixel model draws its digits a run of pixels at a
// time, leaving the rest 0, and drawing from the start again after
// SampleBegin gives the same digits.
func TestSampleRows(t *testing.T) {
	v := New(session(t, small(t, "pixel"), 2))
	draw := func() Pixels {
		b, err := v.SampleBegin(3)
		if err != nil {
			t.Fatal(err)
		}
		if b["n"] != 3 || b["rows"] != true {
			t.Fatalf("sampleBegin: %v", b)
		}
		var last Result
		for from := 0; from < model.Pixels; from += 28 * 7 {
			last, err = v.SampleRows(from, from+28*7)
			if err != nil {
				t.Fatal(err)
			}
			if from == 0 {
				px := last["pixels"].(Pixels)
				for d := range 3 {
					for _, p := range px[d*model.Pixels+28*7 : (d+1)*model.Pixels] {
						if p != 0 {
							t.Fatal("pixels past the run drawn are not 0")
						}
					}
				}
			}
		}
		return last["pixels"].(Pixels)
	}
	a, b := draw(), draw()
	if !slices.Equal(a, b) {
		t.Error("two draws from sampleBegin differ")
	}
}

// TestPick: the label grid decodes the picked point's code with each
// label, so picking another point changes it.
func TestPick(t *testing.T) {
	v := New(session(t, small(t, "supervised"), 3))
	a, err := v.Pick(-2, 1)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := v.Pick(3, 3)
	if slices.Equal(a["labelGrid"].(Pixels), b["labelGrid"].(Pixels)) {
		t.Error("two picks decode the same grid")
	}
	if !slices.Equal(b["pick"].([]float32), []float32{3, 3}) {
		t.Errorf("pick at %v", b["pick"])
	}
}

// TestMetricsProgress: the evaluation reports progress rising to 1, at
// most once a percent, and a generator's Parzen figures.
func TestMetricsProgress(t *testing.T) {
	if testing.Short() {
		t.Skip("a Parzen window of 10,000 samples")
	}
	v := New(session(t, small(t, "default"), 3))
	var seen []float64
	r, err := v.Metrics(func(f float64) { seen = append(seen, f) })
	if err != nil {
		t.Fatal(err)
	}
	finiteAll(t, "metrics", r)
	m := r["metrics"].(Result)
	for _, k := range []string{"parzen_ll", "parzen_se", "parzen_sigma", "test_recon"} {
		if _, ok := m[k]; !ok {
			t.Errorf("no %s in %v", k, keys(m))
		}
	}
	if len(seen) == 0 || len(seen) > 101 || !slices.IsSorted(seen) || seen[len(seen)-1] < 0.99 {
		t.Errorf("%d progress calls, last %v", len(seen), seen[len(seen)-1:])
	}
}
