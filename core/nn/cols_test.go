package nn

import (
	"math/rand/v2"
	"testing"
)

// TestJoinSplitCols: JoinCols puts element (i, j) of a at (i, j) and of b
// at (i, da+j), as the naive index arithmetic says; SplitCols takes them
// back, whole or one block at a time; a nil b joins zeros.
func TestJoinSplitCols(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, s := range [][3]int{{1, 1, 1}, {3, 784, 8}, {5, 10, 20}, {4, 2, 0}, {0, 3, 3}} {
		n, da, db := s[0], s[1], s[2]
		a, b := make([]float32, n*da), make([]float32, n*db)
		for i := range a {
			a[i] = r.Float32()
		}
		for i := range b {
			b[i] = r.Float32()
		}
		w := da + db
		dst := make([]float32, n*w)
		JoinCols(dst, a, b, n, da, db)
		for i := range n {
			for j := range w {
				want := float32(0)
				if j < da {
					want = a[i*da+j]
				} else {
					want = b[i*db+j-da]
				}
				if dst[i*w+j] != want {
					t.Fatalf("%v: joined (%d, %d) = %v, want %v", s, i, j, dst[i*w+j], want)
				}
			}
		}
		a2, b2 := make([]float32, n*da), make([]float32, n*db)
		SplitCols(a2, b2, dst, n, da, db)
		b3 := make([]float32, n*db)
		SplitCols(nil, b3, dst, n, da, db)
		for i := range a {
			if a2[i] != a[i] {
				t.Fatalf("%v: split a[%d] = %v, want %v", s, i, a2[i], a[i])
			}
		}
		for i := range b {
			if b2[i] != b[i] || b3[i] != b[i] {
				t.Fatalf("%v: split b[%d] = %v, %v, want %v", s, i, b2[i], b3[i], b[i])
			}
		}
		JoinCols(dst, a, nil, n, da, db)
		for i := range n {
			for j := da; j < w; j++ {
				if dst[i*w+j] != 0 {
					t.Fatalf("%v: a nil b joined %v at (%d, %d)", s, dst[i*w+j], i, j)
				}
			}
		}
	}
	a, b, dst := make([]float32, 8*5), make([]float32, 8*3), make([]float32, 8*8)
	if allocs := testing.AllocsPerRun(10, func() {
		JoinCols(dst, a, b, 8, 5, 3)
		SplitCols(a, b, dst, 8, 5, 3)
	}); allocs != 0 {
		t.Errorf("JoinCols and SplitCols allocate %v times", allocs)
	}
}
