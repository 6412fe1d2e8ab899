package tensor

import (
	"runtime"
	"sync"
)

// minParallelMACs is the smallest product worth sharing between cores:
// below it, handing work to another goroutine costs more than it saves.
const minParallelMACs = 1 << 17

// task is a share of one product: output rows [lo, hi).
type task struct {
	kind       Kind
	dst, a, b  []float32
	n, in, out int
	lo, hi     int
	done       *sync.WaitGroup
}

var (
	startPool sync.Once
	tasks     chan task
	// busy is held by the one caller sharing a product at a time; another
	// caller meanwhile computes alone rather than wait.
	busy sync.Mutex
	wg   sync.WaitGroup
)

// split computes a product over its rows output rows (n for XWt and DyW,
// out for DyTX), sharing them between the cores when the product is large
// enough and the platform has more than one. Every output element is
// computed by one goroutine in the same order as sequentially, so results
// do not depend on the number of cores.
func split(kind Kind, dst, a, b []float32, n, in, out, rows int) {
	parts := cores()
	if parts > 1 && n*in*out >= minParallelMACs && rows >= 2*parts && busy.TryLock() {
		defer busy.Unlock()
		startPool.Do(func() {
			tasks = make(chan task, 4*parts)
			for range parts - 1 {
				go func() {
					for t := range tasks {
						t.compute()
						t.done.Done()
					}
				}()
			}
		})
		chunk := (rows/parts + 1) &^ 1 // even, so 2-row tiles stay whole
		lo := chunk
		for lo < rows {
			hi := min(lo+chunk, rows)
			wg.Add(1)
			tasks <- task{kind, dst, a, b, n, in, out, lo, hi, &wg}
			lo = hi
		}
		task{kind, dst, a, b, n, in, out, 0, min(chunk, rows), nil}.compute()
		wg.Wait()
		return
	}
	task{kind, dst, a, b, n, in, out, 0, rows, nil}.compute()
}

func (t task) compute() {
	kernels[t.kind](t.dst, t.a, t.b, t.n, t.in, t.out, t.lo, t.hi)
}

// rowKernel computes output rows [lo, hi) of one product: rows of y or dx
// for XWt and DyW, rows of dw for DyTX.
type rowKernel func(dst, a, b []float32, n, in, out, lo, hi int)

// kernelSet is a row kernel for each Kind. kernels, the set the products
// run, is chosen per platform by build tag (kernels_*.go).
type kernelSet [3]rowKernel

// portable is the pure-Go set (matmul.go): the oracle-checked fallback of
// every platform, and what a build without GOEXPERIMENT=simd runs in wasm.
var portable = kernelSet{XWt: mulXWt, DyTX: addDyTX, DyW: mulDyW}

// KernelName names the kernels the products run on this machine and build.
func KernelName() string { return kernelName }

// orPortable returns kernel k for products whose rows (in) are min long or
// more, the portable kernel of kind for shorter ones: for the 2-wide codes
// of the small model a vector kernel's set-up costs more than its loop.
func orPortable(kind Kind, min int, k rowKernel) rowKernel {
	short := portable[kind]
	return func(dst, a, b []float32, n, in, out, lo, hi int) {
		if in < min {
			short(dst, a, b, n, in, out, lo, hi)
			return
		}
		k(dst, a, b, n, in, out, lo, hi)
	}
}

// cores returns how many goroutines share a large product: GOMAXPROCS
// natively; under js/wasm, which runs one thread, 1.
func cores() int {
	if runtime.GOOS == "js" {
		return 1
	}
	return runtime.GOMAXPROCS(0)
}
