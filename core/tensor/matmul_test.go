package tensor

import (
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
)

type product struct {
	name        string
	kind        Kind
	fast, naive func(dst, a, b []float32, n, in, out int)
	// sizes of dst, a, b for a shape
	sizes func(n, in, out int) (int, int, int)
	acc   bool // dst is accumulated into, not overwritten
}

var products = []product{
	{"MulXWt", XWt, MulXWt, MulXWtNaive, func(n, in, out int) (int, int, int) { return n * out, n * in, out * in }, false},
	{"AddDyTX", DyTX, AddDyTX, AddDyTXNaive, func(n, in, out int) (int, int, int) { return out * in, n * out, n * in }, true},
	{"MulDyW", DyW, MulDyW, MulDyWNaive, func(n, in, out int) (int, int, int) { return n * in, n * out, out * in }, false},
}

// impls are the implementations of p the tests check against the oracle:
// the exported function (the platform's kernels, shared between cores) and,
// whole, each kernel set the build has, so the pure-Go kernels are tested
// natively too.
func (p product) impls() []impl {
	whole := func(set kernelSet) func(dst, a, b []float32, n, in, out int) {
		return func(dst, a, b []float32, n, in, out int) {
			rows := n
			if p.kind == DyTX {
				rows = out
			}
			set[p.kind](dst, a, b, n, in, out, 0, rows)
		}
	}
	ims := []impl{{"fast", p.fast}}
	for _, name := range slices.Sorted(maps.Keys(kernelSets)) {
		ims = append(ims, impl{name, whole(kernelSets[name])})
	}
	return ims
}

type impl struct {
	name string
	f    func(dst, a, b []float32, n, in, out int)
}

func randSlice(r *rand.Rand, size int, zeros float64) []float32 {
	s := make([]float32, size)
	for i := range s {
		if r.Float64() < zeros {
			continue
		}
		s[i] = float32(r.NormFloat64())
	}
	return s
}

// TestConformance checks every fast kernel against its naive oracle over
// many shapes, awkward ones included, with and without ReLU-like zeros.
func TestConformance(t *testing.T) {
	dims := []int{1, 2, 3, 4, 5, 7, 8, 9, 13, 17, 33, 64}
	shapes := [][3]int{{100, 784, 1000}, {100, 784, 512}, {50, 1000, 1000}, {3, 1001, 7}, {7, 3, 1001}, {1001, 1, 3}, {100, 2, 256}, {100, 256, 1}, {51, 1003, 29}}
	for _, n := range dims {
		for _, in := range dims {
			for _, out := range dims {
				shapes = append(shapes, [3]int{n, in, out})
			}
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for _, p := range products {
		for _, sh := range shapes {
			n, in, out := sh[0], sh[1], sh[2]
			for _, zeros := range []float64{0, 0.6} {
				nd, na, nb := p.sizes(n, in, out)
				a, b := randSlice(r, na, zeros), randSlice(r, nb, 0)
				want := randSlice(r, nd, 0)
				if !p.acc {
					for i := range want {
						want[i] = float32(math.NaN()) // must be overwritten
					}
				}
				start := append([]float32(nil), want...)
				p.naive(want, a, b, n, in, out)
				// Tolerance grows with the length of the sums.
				k := map[string]int{"MulXWt": in, "AddDyTX": n, "MulDyW": out}[p.name]
				tol := 1e-5 * float64(k+1)
				for _, im := range p.impls() {
					got := append([]float32(nil), start...)
					im.f(got, a, b, n, in, out)
					for i := range want {
						if d := math.Abs(float64(want[i] - got[i])); !(d <= tol*(1+math.Abs(float64(want[i])))) {
							t.Fatalf("%s (%s) n=%d in=%d out=%d zeros=%v: [%d] got %v want %v", p.name, im.name, n, in, out, zeros, i, got[i], want[i])
						}
					}
				}
			}
		}
	}
}

func TestShortSlicePanics(t *testing.T) {
	for _, p := range products {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic on a short slice", p.name)
				}
			}()
			p.fast(make([]float32, 5), make([]float32, 6), make([]float32, 6), 2, 3, 3)
		}()
	}
}

func TestNoAllocs(t *testing.T) {
	n, in, out := 10, 13, 9
	for _, p := range products {
		nd, na, nb := p.sizes(n, in, out)
		d, a, b := make([]float32, nd), make([]float32, na), make([]float32, nb)
		for _, im := range p.impls() {
			if allocs := testing.AllocsPerRun(10, func() { im.f(d, a, b, n, in, out) }); allocs != 0 {
				t.Errorf("%s (%s) allocates %v times per call", p.name, im.name, allocs)
			}
		}
	}
}

var sink float32

// BenchmarkProducts reports GFLOP/s of each kernel at the training shapes of
// the default and paper models (batch 100, and 50, a replica's share of
// it): fast is the platform's (both cores natively), the kernel sets by
// name on one core.
func BenchmarkProducts(b *testing.B) {
	shapes := [][3]int{{100, 784, 512}, {100, 512, 256}, {100, 256, 784}, {100, 784, 1000}, {100, 1000, 1000}, {100, 1000, 784}, {50, 784, 512}, {50, 512, 256}, {50, 1000, 1000}}
	r := rand.New(rand.NewPCG(3, 4))
	for _, p := range products {
		for _, sh := range shapes {
			n, in, out := sh[0], sh[1], sh[2]
			for _, impl := range append(p.impls(), impl{"naive", p.naive}) {
				for _, zeros := range []float64{0, 0.5} {
					b.Run(fmt.Sprintf("%s/%s/%dx%dx%d/zeros=%v", p.name, impl.name, n, in, out, zeros), func(b *testing.B) {
						nd, na, nb := p.sizes(n, in, out)
						d, x, y := randSlice(r, nd, 0), randSlice(r, na, zeros), randSlice(r, nb, 0)
						b.ReportAllocs()
						for b.Loop() {
							impl.f(d, x, y, n, in, out)
						}
						sink = d[0]
						flops := 2 * float64(n*in*out) * float64(b.N)
						b.ReportMetric(flops/b.Elapsed().Seconds()/1e9, "GFLOP/s")
					})
				}
			}
		}
	}
}

// TestSplitIsExact: sharing a product between cores gives bit-identical
// results to computing it on one, so runs reproduce on any machine.
func TestSplitIsExact(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	r := rand.New(rand.NewPCG(9, 9))
	n, in, out := 101, 300, 257
	for _, p := range products {
		nd, na, nb := p.sizes(n, in, out)
		a, b := randSlice(r, na, 0.3), randSlice(r, nb, 0)
		one, many := make([]float32, nd), make([]float32, nd)
		runtime.GOMAXPROCS(1)
		p.fast(one, a, b, n, in, out)
		runtime.GOMAXPROCS(4)
		p.fast(many, a, b, n, in, out)
		for i := range one {
			if one[i] != many[i] {
				t.Fatalf("%s: element %d is %v on one core, %v on four", p.name, i, one[i], many[i])
			}
		}
	}
}

// TestAVX512SameBits: on a CPU with AVX-512, its kernels give the AVX2
// kernels' bits on every shape (each element the same chain of fused
// multiply-adds), so a run's numbers do not depend on which of the two a
// CPU has. It is skipped where the build or the CPU has not both.
func TestAVX512SameBits(t *testing.T) {
	wide, ok1 := kernelSets["avx512"]
	narrow, ok2 := kernelSets["avx2"]
	if !ok1 || !ok2 {
		t.Skipf("kernel sets %v: no AVX-512 here", slices.Sorted(maps.Keys(kernelSets)))
	}
	r := rand.New(rand.NewPCG(3, 4))
	for _, sh := range [][3]int{{100, 784, 1000}, {4, 33, 65}, {5, 31, 17}, {3, 1001, 7}, {7, 3, 1001}, {100, 2, 256}, {9, 47, 95}, {50, 1000, 1000}} {
		n, in, out := sh[0], sh[1], sh[2]
		for _, p := range products {
			dn, an, bn := p.sizes(n, in, out)
			a, b := randSlice(r, an, 0.3), randSlice(r, bn, 0)
			rows := n
			if p.kind == DyTX {
				rows = out
			}
			got, want := randSlice(r, dn, 0), make([]float32, dn)
			copy(want, got)
			wide[p.kind](got, a, b, n, in, out, 0, rows)
			narrow[p.kind](want, a, b, n, in, out, 0, rows)
			for i := range got {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("%s %v: element %d is %v with AVX-512, %v with AVX2", p.name, sh, i, got[i], want[i])
				}
			}
		}
	}
}
