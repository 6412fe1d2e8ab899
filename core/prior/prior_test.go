package prior

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

const draws = 20000

// near fails the test unless got is within tol of want.
func near(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if math.Abs(got-want) > tol {
		t.Errorf("%s = %.4f, want %.4f ± %.4f", what, got, want, tol)
	}
}

func sample(t *testing.T, name string, lat int, scale float64, seed uint64) (*Prior, []float32) {
	t.Helper()
	p, err := New(name, lat, scale)
	if err != nil {
		t.Fatal(err)
	}
	z := make([]float32, draws*lat)
	p.Sample(z, draws, rand.New(rand.NewPCG(seed, 1)))
	return p, z
}

// TestMoments: every prior's sample mean and covariance are the ones its
// geometry gives (with lat = 3, the third dimension N(0, σ²) independent
// of the first two for the 2-D priors). The swiss roll's are integrated
// along its length.
func TestMoments(t *testing.T) {
	const s, lat = 2.0, 3
	const q = 100000 // quadrature points along the roll
	roll := make([]float32, q*lat)
	for j := range q {
		x, y := SwissRollPoint((float64(j)+0.5)/q, s)
		roll[j*lat], roll[j*lat+1] = float32(x), float32(y)
	}
	rollMean, rollCov := Moments(roll, q, lat)
	// Per-axis variance in the plane: the mixture's mean square radius over
	// 2, the components' angles spreading it evenly.
	mixVar := (MixtureRadius*MixtureRadius + MixtureRadialStd*MixtureRadialStd + MixtureTangentStd*MixtureTangentStd) / 2 * s * s
	for _, tc := range []struct {
		name      string
		variance  [lat]float64 // expected variance of each dimension
		checkMean bool         // the mean is 0 (else the swiss roll's)
	}{
		{"gaussian", [lat]float64{s * s, s * s, s * s}, true},
		{"uniform", [lat]float64{s * s / 3, s * s / 3, s * s / 3}, true},
		{"mixture", [lat]float64{mixVar, mixVar, s * s}, true},
		{"swissroll", [lat]float64{rollCov[0], rollCov[lat+1], s * s}, false},
	} {
		_, z := sample(t, tc.name, lat, s, 1)
		mean, cov := Moments(z, draws, lat)
		t.Logf("%s: mean %.3f, covariance %.3f", tc.name, mean, cov)
		if !tc.checkMean {
			t.Logf("%s along its length: mean %.3f, covariance %.3f", tc.name, rollMean, rollCov)
		}
		for a := range lat {
			want := 0.0
			if !tc.checkMean {
				want = rollMean[a]
			}
			near(t, tc.name+" mean", mean[a], want, 0.06*s)
			near(t, tc.name+" variance", cov[a*lat+a], tc.variance[a], 0.04*tc.variance[a])
			for b := range lat {
				want := 0.0
				if !tc.checkMean {
					want = rollCov[a*lat+b]
				}
				if a != b {
					near(t, tc.name+" covariance", cov[a*lat+b], want, 0.04*s*s)
				}
			}
		}
		if tc.name == "uniform" {
			lo, hi := slices.Min(z), slices.Max(z)
			if lo < -s || hi > s || lo > -0.99*s || hi < 0.99*s {
				t.Errorf("uniform samples span [%v, %v], want [−%v, %v]", lo, hi, s, s)
			}
		}
	}
}

// TestMixtureComponents: unlabelled draws use every component equally;
// labelled draws come from their own component, with its centre and its
// radial and tangential spreads.
func TestMixtureComponents(t *testing.T) {
	const s, lat = 3.0, 2
	p, z := sample(t, "mixture", lat, s, 2)
	var count [Components]int
	for i := range draws {
		count[p.Part(z[i*lat:])]++
	}
	t.Logf("unlabelled draws per component: %v", count)
	for k, c := range count {
		near(t, "share of component "+string(rune('0'+k)), float64(c)/draws, 0.1, 0.01)
	}

	labels := make([]uint8, draws)
	for i := range labels {
		labels[i] = uint8(i % Components)
	}
	p.SampleLabelled(z, labels, draws, rand.New(rand.NewPCG(3, 1)))
	own := 0
	var along, across, sqAlong, sqAcross [Components]float64
	for i, l := range labels {
		if p.Part(z[i*lat:]) == int(l) {
			own++
		}
		d := componentDir[l]
		x, y := float64(z[i*lat]), float64(z[i*lat+1])
		a, b := (x*d[0]+y*d[1])/s, (-x*d[1]+y*d[0])/s
		along[l] += a
		across[l] += b
		sqAlong[l] += a * a
		sqAcross[l] += b * b
	}
	t.Logf("labelled draws in their own component: %.4f", float64(own)/draws)
	if float64(own)/draws < 0.98 {
		t.Errorf("only %d of %d labelled draws are nearest their own component", own, draws)
	}
	const per = draws / Components
	for k := range Components {
		ma, mb := along[k]/per, across[k]/per
		near(t, "radial centre", ma, MixtureRadius, 0.03)
		near(t, "tangential centre", mb, 0, 0.005)
		near(t, "radial std", math.Sqrt(sqAlong[k]/per-ma*ma), MixtureRadialStd, 0.03)
		near(t, "tangential std", math.Sqrt(sqAcross[k]/per-mb*mb), MixtureTangentStd, 0.003)
		cx, cy := MixtureCentre(k, s)
		near(t, "centre radius", math.Hypot(cx, cy), MixtureRadius*s, 1e-9)
		if got := MixtureComponent(cx, cy, s); got != k {
			t.Errorf("centre of component %d is in component %d", k, got)
		}
	}
}

// TestSwissRoll: samples lie on the spiral; the ten segments have equal
// lengths; unlabelled draws fall evenly in them (uniform along the
// length) and labelled draws in their own.
func TestSwissRoll(t *testing.T) {
	const s, lat = 1.5, 2
	p, z := sample(t, "swissroll", lat, s, 4)
	var count [Components]int
	worst := 0.0
	for i := range draws {
		x, y := float64(z[i*lat]), float64(z[i*lat+1])
		r := math.Hypot(x, y)
		phi := r / (SwissRollRadius * s) * SwissRollTurn // the angle at that radius
		worst = max(worst, math.Hypot(x-r*math.Cos(phi), y-r*math.Sin(phi)))
		count[p.Part(z[i*lat:])]++
	}
	t.Logf("largest distance from the spiral %.2g; draws per segment %v", worst, count)
	if worst > 1e-5*s {
		t.Errorf("a sample lies %.2g off the spiral", worst)
	}
	for _, c := range count {
		near(t, "share of a segment", float64(c)/draws, 0.1, 0.01)
	}
	// Segment lengths, by a fine polyline.
	var lengths [Components]float64
	const steps = 100000
	px, py := SwissRollPoint(0, s)
	for j := 1; j <= steps; j++ {
		x, y := SwissRollPoint(float64(j)/steps, s)
		lengths[(j-1)*Components/steps] += math.Hypot(x-px, y-py)
		px, py = x, y
	}
	t.Logf("segment lengths %.4f", lengths)
	for _, l := range lengths {
		near(t, "segment length", l, lengths[Components-1], 1e-3*l)
	}
	if x, y := SwissRollPoint(1, s); math.Abs(math.Hypot(x, y)-SwissRollRadius*s) > 1e-9 {
		t.Errorf("the roll ends at radius %v, want %v", math.Hypot(x, y), SwissRollRadius*s)
	}

	labels := make([]uint8, draws)
	for i := range labels {
		labels[i] = uint8(i % Components)
	}
	p.SampleLabelled(z, labels, draws, rand.New(rand.NewPCG(5, 1)))
	own := 0
	for i, l := range labels {
		if p.Part(z[i*lat:]) == int(l) {
			own++
		}
	}
	t.Logf("labelled draws in their own segment: %.4f", float64(own)/draws)
	if float64(own)/draws < 0.995 {
		t.Errorf("only %d of %d labelled draws are in their own segment", own, draws)
	}
}

// TestUnlabelledRows: a label ≥ Components (data.Unlabelled, 255) draws
// from the whole prior, and labelled and unlabelled rows mix in one call.
func TestUnlabelledRows(t *testing.T) {
	for _, name := range []string{"mixture", "swissroll"} {
		p, _ := New(name, 2, 1)
		labels := make([]uint8, draws)
		for i := range labels {
			labels[i] = 255
			if i%2 == 0 {
				labels[i] = 7
			}
		}
		z := make([]float32, draws*2)
		p.SampleLabelled(z, labels, draws, rand.New(rand.NewPCG(6, 1)))
		var count [Components]int
		for i := 1; i < draws; i += 2 {
			count[p.Part(z[i*2:])]++
		}
		seven := 0
		for i := 0; i < draws; i += 2 {
			if p.Part(z[i*2:]) == 7 {
				seven++
			}
		}
		t.Logf("%s: unlabelled rows per part %v; rows labelled 7 in part 7: %d of %d", name, count, seven, draws/2)
		for _, c := range count {
			near(t, name+" share of an unlabelled part", float64(c)/(draws/2), 0.1, 0.015)
		}
		if seven < draws/2*98/100 {
			t.Errorf("%s: %d of %d rows labelled 7 are in part 7", name, seven, draws/2)
		}
	}
}

// TestDeterministic: the same seed gives the same samples, another seed
// others; no sampler allocates.
func TestDeterministic(t *testing.T) {
	labels := []uint8{0, 3, 255, 9, 1, 255}
	for _, name := range Names {
		p, err := New(name, 4, 2)
		if err != nil {
			t.Fatal(err)
		}
		draw := func(seed uint64, labelled bool) []float32 {
			z := make([]float32, 6*4)
			r := rand.New(rand.NewPCG(seed, 9))
			if labelled {
				p.SampleLabelled(z, labels, 6, r)
			} else {
				p.Sample(z, 6, r)
			}
			return z
		}
		kinds := []bool{false}
		if p.Labelled() {
			kinds = append(kinds, true)
		}
		for _, labelled := range kinds {
			a := draw(1, labelled)
			if !slices.Equal(a, draw(1, labelled)) {
				t.Errorf("%s (labelled %v): seed 1 gave two different samples", name, labelled)
			}
			if slices.Equal(a, draw(2, labelled)) {
				t.Errorf("%s (labelled %v): seeds 1 and 2 gave the same samples", name, labelled)
			}
		}
		z := make([]float32, 6*4)
		r := rand.New(rand.NewPCG(1, 9))
		if a := testing.AllocsPerRun(10, func() { p.Sample(z, 6, r) }); a != 0 {
			t.Errorf("%s: Sample allocates %v times", name, a)
		}
		if p.Labelled() {
			if a := testing.AllocsPerRun(10, func() { p.SampleLabelled(z, labels, 6, r) }); a != 0 {
				t.Errorf("%s: SampleLabelled allocates %v times", name, a)
			}
		}
	}
}

// TestNew: unknown priors, a 2-D prior on a 1-D code and bad sizes are
// errors; Gaussian and uniform priors have no parts, and SampleLabelled on
// them panics.
func TestNew(t *testing.T) {
	for _, tc := range []struct {
		name  string
		lat   int
		scale float64
		want  string
	}{
		{"cauchy", 2, 1, `unknown prior "cauchy"`},
		{"mixture", 1, 1, "at least 2"},
		{"swissroll", 1, 1, "at least 2"},
		{"gaussian", 0, 1, "latent 0"},
		{"uniform", 2, 0, "scale 0"},
	} {
		if _, err := New(tc.name, tc.lat, tc.scale); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%q, %d, %v): error %v, want one naming %s", tc.name, tc.lat, tc.scale, err, tc.want)
		}
	}
	for _, name := range []string{"gaussian", "uniform"} {
		p, _ := New(name, 1, 1)
		if p.Labelled() || p.Part([]float32{0, 0}) != -1 {
			t.Errorf("%s prior claims parts per label", name)
		}
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("SampleLabelled on the %s prior did not panic", name)
				}
			}()
			p.SampleLabelled(make([]float32, 1), []uint8{0}, 1, rand.New(rand.NewPCG(1, 1)))
		}()
	}
}
