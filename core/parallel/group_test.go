package parallel

import (
	"sync"
	"testing"
)

// TestAllReduce: every replica ends with the same sums, in replica order,
// for lengths that split unevenly and lengths shorter than the group (some
// parts empty).
func TestAllReduce(t *testing.T) {
	const k = 3
	for _, n := range []int{1, 2, 7, 1001} {
		shards := Group(k)
		vs := make([][]float32, k)
		for r := range vs {
			vs[r] = make([]float32, n)
			for i := range vs[r] {
				vs[r][i] = float32(r+1) * (0.1 + float32(i))
			}
		}
		var wg sync.WaitGroup
		for r, s := range shards {
			wg.Go(func() { s.AllReduce(vs[r]) })
		}
		wg.Wait()
		for i := range n {
			x := 0.1 + float32(i)
			want := 1*x + 2*x + 3*x // in replica order
			for r := range k {
				if vs[r][i] != want {
					t.Fatalf("n %d: replica %d holds %v at %d, want %v", n, r, vs[r][i], i, want)
				}
			}
		}
	}
}
