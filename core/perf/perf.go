// Package perf measures training speed: samples/s of a model's training
// step, GFLOP/s of each matrix product the step performs, and the step's
// efficiency, its samples/s over the samples/s that the measured kernel
// rates allow (rates on the operands of one of its steps, ReLU zeros and
// all). The CLI's bench command prints its reports, natively and
// (built for GOOS=js GOARCH=wasm) under Node.
package perf

import (
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
	"time"

	"latentlab/core/data"
	"latentlab/core/model"
	"latentlab/core/tensor"
	"latentlab/core/train"
)

// Kernel is the measured rate of one product shape and how often one
// training step performs it.
type Kernel struct {
	Kind    string  `json:"kind"`
	N       int     `json:"n"`
	In      int     `json:"in"`
	Out     int     `json:"out"`
	PerStep int     `json:"per_step"`
	GFLOPS  float64 `json:"gflops"`
}

// Report is the speed of one model's training step.
type Report struct {
	Name          string   `json:"name"`
	Arch          string   `json:"arch"` // GOOS/GOARCH
	Params        int      `json:"params"`
	Batch         int      `json:"batch"`
	GFLOPPerStep  float64  `json:"gflop_per_step"`
	Steps         int      `json:"steps"`
	Seconds       float64  `json:"seconds"`
	SamplesPerSec float64  `json:"samples_per_sec"`
	BoundPerSec   float64  `json:"bound_samples_per_sec"` // Σ FLOPs / rate over the step's products
	Efficiency    float64  `json:"efficiency"`            // SamplesPerSec / BoundPerSec
	AllocsPerStep float64  `json:"allocs_per_step"`
	Kernels       []Kernel `json:"kernels"`
}

// allocSteps is how many steps the allocation count averages over.
const allocSteps = 10

// Measure trains a model built from c on train for about d after a short
// warm-up, then records one more step's products and measures each shape
// for about perKernel on that step's operands, and returns the report
// named name.
func Measure(name string, c model.Config, trainSet *data.Set, d, perKernel time.Duration) (Report, error) {
	m, err := model.New(c)
	if err != nil {
		return Report{}, err
	}
	s, err := train.New(m, trainSet, trainSet.Subset(min(trainSet.N, c.Batch)), 0)
	if err != nil {
		return Report{}, err
	}
	r := Report{Name: name, Arch: runtime.GOOS + "/" + runtime.GOARCH, Params: c.ParamCount(), Batch: c.Batch}

	for range 2 { // warm-up
		s.Step()
	}
	start := time.Now()
	for r.Steps == 0 || time.Since(start) < d {
		s.Step()
		r.Steps++
	}
	r.Seconds = time.Since(start).Seconds()
	// Allocations are counted as testing.AllocsPerRun counts them: over a
	// fixed number of steps on one thread, so that an allocation made by
	// the runtime or another goroutine during a short timed run is not
	// charged to the step.
	r.AllocsPerStep = testing.AllocsPerRun(allocSteps, func() { s.Step() })
	r.SamplesPerSec = float64(r.Steps*c.Batch) / r.Seconds

	// The bound: the time each product of a step takes at its shape's
	// rate, measured on the step's own operands.
	step := recordStep(s)
	var boundSec float64
	for _, call := range uniq(step) {
		var same []product
		for _, p := range step {
			if p.Call == call {
				same = append(same, p)
			}
		}
		rate := kernelRate(same, perKernel)
		flops := float64(len(same)) * call.FLOPs()
		r.GFLOPPerStep += flops / 1e9
		boundSec += flops / (rate * 1e9)
		r.Kernels = append(r.Kernels, Kernel{Kind: call.Kind.String(), N: call.N, In: call.In, Out: call.Out, PerStep: len(same), GFLOPS: rate})
	}
	r.BoundPerSec = float64(c.Batch) / boundSec
	r.Efficiency = r.SamplesPerSec / r.BoundPerSec
	return r, nil
}

// product is one product of a training step: its shape and a copy of its
// operand a as the step passed it (x for XWt, dy for DyTX and DyW), the
// one whose zeros (ReLU's) a kernel may skip.
type product struct {
	tensor.Call
	a []float32
}

// recordStep runs one training step of s and returns the products it
// made, in order.
func recordStep(s *train.Session) []product {
	var step []product
	tensor.Recorder = func(c tensor.Call, _, a, _ []float32) {
		_, na, _ := c.Sizes()
		step = append(step, product{c, slices.Clone(a[:na])})
	}
	defer func() { tensor.Recorder = nil }()
	s.Step()
	return step
}

// kernelRate returns the GFLOP/s of the fast kernel over products of one
// shape, each run on its recorded operand a (the other operands random),
// measured for about d: a step's products as fast as the kernels compute
// them, zeros and all. The FLOPs counted are 2·N·In·Out whether or not a
// kernel skips a zero.
func kernelRate(same []product, d time.Duration) float64 {
	c := same[0].Call
	nd, _, nb := c.Sizes()
	r := rand.New(rand.NewPCG(1, 2))
	fill := func(n int) []float32 {
		s := make([]float32, n)
		for i := range s {
			s[i] = float32(r.NormFloat64())
		}
		return s
	}
	dst, b := fill(nd), fill(nb)
	for _, p := range same { // warm-up
		c.Run(dst, p.a, b)
	}
	runs := 0
	start := time.Now()
	for runs == 0 || time.Since(start) < d {
		for _, p := range same {
			c.Run(dst, p.a, b)
		}
		runs += len(same)
	}
	return float64(runs) * c.FLOPs() / time.Since(start).Seconds() / 1e9
}

func uniq(step []product) []tensor.Call {
	var out []tensor.Call
	for _, p := range step {
		if !slices.Contains(out, p.Call) {
			out = append(out, p.Call)
		}
	}
	return out
}

// Models returns the two reference workloads of the speed benchmark:
// "small" (the default config) and "paper" (784-1000-1000-8), batch 100.
func Models() []struct {
	Name   string
	Config model.Config
} {
	p := model.Presets()
	return []struct {
		Name   string
		Config model.Config
	}{{"small", p["default"]}, {"paper", p["paper"]}}
}
