package data

import (
	"slices"
	"testing"
)

// epochOrder runs one epoch of b over an indexSet and returns the indices
// served, in order.
func epochOrder(t *testing.T, b *Batcher) []int {
	t.Helper()
	x := make([]float32, 2*b.Batch())
	var order, buf []int
	start := b.Epoch()
	for b.Epoch() == start {
		b.Next(x, nil)
		buf = indices(buf, x)
		order = append(order, buf...)
	}
	return order
}

func TestBatcherDeterminism(t *testing.T) {
	s := indexSet(1000)
	a := NewBatcher(s, 100, 7)
	b := NewBatcher(s, 100, 7)
	c := NewBatcher(s, 100, 8)
	var prevA []int
	for e := 0; e < 3; e++ {
		oa, ob, oc := epochOrder(t, a), epochOrder(t, b), epochOrder(t, c)
		if !slices.Equal(oa, ob) {
			t.Errorf("epoch %d: same seed, different orders", e)
		}
		if slices.Equal(oa, oc) {
			t.Errorf("epoch %d: seeds 7 and 8 give the same order", e)
		}
		if slices.Equal(oa, prevA) {
			t.Errorf("epoch %d: same order as the epoch before", e)
		}
		if slices.IsSorted(oa) {
			t.Errorf("epoch %d: order is not shuffled", e)
		}
		prevA = oa
	}
}

// TestBatcherGolden pins the order for one seed. The values were recorded
// natively on linux/amd64; the same test runs under GOOS=js GOARCH=wasm, so
// it checks that the order does not depend on the platform.
func TestBatcherGolden(t *testing.T) {
	b := NewBatcher(indexSet(1000), 10, 42)
	x := make([]float32, 20)
	b.Next(x, nil)
	got := indices(nil, x)
	want := []int{351, 183, 127, 78, 825, 457, 552, 132, 650, 373}
	if !slices.Equal(got, want) {
		t.Errorf("first batch for seed 42 = %v, want %v", got, want)
	}
}

func TestBatcherEpochs(t *testing.T) {
	for _, tc := range []struct {
		n, batch int
	}{
		{1000, 100}, // divides evenly
		{103, 10},   // 3 left over per epoch
		{7, 7},      // one batch per epoch
		{5, 1},
		{9, 5}, // 4 left over
	} {
		s := indexSet(tc.n)
		b := NewBatcher(s, tc.batch, uint64(tc.n))
		per := tc.n / tc.batch
		x := make([]float32, 2*tc.batch)
		labels := make([]uint8, tc.batch)
		var buf []int
		skipped := map[int]bool{}
		for e := 0; e < 4; e++ {
			seen := make([]int, tc.n)
			for k := 0; k < per; k++ {
				if b.Epoch() != e {
					t.Fatalf("n %d batch %d: Epoch() = %d before batch %d of epoch %d", tc.n, tc.batch, b.Epoch(), k, e)
				}
				if p, want := b.Progress(), float64(k)/float64(per); p != want {
					t.Fatalf("n %d batch %d: Progress() = %v before batch %d, want %v", tc.n, tc.batch, p, k, want)
				}
				b.Next(x, labels)
				buf = indices(buf, x)
				for i, j := range buf {
					seen[j]++
					if labels[i] != uint8(j%10) {
						t.Fatalf("label %d for image %d", labels[i], j)
					}
				}
			}
			if b.Epoch() != e+1 || b.Progress() != 0 {
				t.Fatalf("n %d batch %d: after epoch %d Epoch() = %d, Progress() = %v", tc.n, tc.batch, e, b.Epoch(), b.Progress())
			}
			served := 0
			for j, c := range seen {
				if c > 1 {
					t.Fatalf("n %d batch %d epoch %d: image %d served %d times", tc.n, tc.batch, e, j, c)
				}
				if c == 0 {
					skipped[j] = true
				}
				served += c
			}
			if served != per*tc.batch {
				t.Fatalf("n %d batch %d epoch %d: %d images served, want %d", tc.n, tc.batch, e, served, per*tc.batch)
			}
		}
		// The images left over differ between epochs.
		if left := tc.n % tc.batch; left > 0 && len(skipped) <= left {
			t.Errorf("n %d batch %d: the same %d images skipped in every epoch", tc.n, tc.batch, len(skipped))
		}
	}
}

func TestBatcherPanics(t *testing.T) {
	s := indexSet(10)
	for _, batch := range []int{0, -1, 11} {
		mustPanic(t, func() { NewBatcher(s, batch, 1) })
	}
	b := NewBatcher(s, 4, 1)
	if b.Batch() != 4 {
		t.Errorf("Batch() = %d, want 4", b.Batch())
	}
	mustPanic(t, func() { b.Next(make([]float32, 7), nil) })
	mustPanic(t, func() { b.Next(make([]float32, 8), make([]uint8, 3)) })
}

func TestBatcherAllocs(t *testing.T) {
	train, _, err := LoadTestSubset()
	if err != nil {
		t.Fatal(err)
	}
	// 2000/300 = 6 batches an epoch, so the runs cross several epochs.
	b := NewBatcher(train, 300, 1)
	x := make([]float32, 300*train.Dim())
	labels := make([]uint8, 300)
	if a := testing.AllocsPerRun(30, func() { b.Next(x, labels) }); a != 0 {
		t.Errorf("Next allocates %v times per call", a)
	}
	if b.Epoch() < 4 {
		t.Errorf("only %d epochs in 31 batches of 300 from 2000", b.Epoch())
	}
}

func BenchmarkBatcherNext(b *testing.B) {
	train, _, err := LoadTestSubset()
	if err != nil {
		b.Fatal(err)
	}
	bt := NewBatcher(train, 100, 1)
	x := make([]float32, 100*train.Dim())
	labels := make([]uint8, 100)
	b.ReportAllocs()
	for b.Loop() {
		bt.Next(x, labels)
	}
}
