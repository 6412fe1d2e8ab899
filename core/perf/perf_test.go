package perf

import (
	"testing"
	"time"

	_ "latentlab/core/aae"
	"latentlab/core/data"
	"latentlab/core/model"
	"latentlab/core/tensor"
	"latentlab/core/train"
)

// TestStepCalls checks the recorded products of one AAE step against the
// phases it runs, counted by hand for a 784-8-2 encoder and 2-4-1
// discriminator, batch 10.
func TestStepCalls(t *testing.T) {
	tr, _, err := data.LoadTestSubset()
	if err != nil {
		t.Fatal(err)
	}
	c := model.Defaults()
	c.Encoder, c.Discriminator, c.Batch = []int{8}, []int{4}, 10
	r, err := Measure("tiny", c, tr, time.Millisecond, time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	per := map[tensor.Kind]int{}
	for _, k := range r.Kernels {
		for _, kind := range []tensor.Kind{tensor.XWt, tensor.DyTX, tensor.DyW} {
			if k.Kind == kind.String() {
				per[kind] += k.PerStep
			}
		}
	}
	// Forward: enc 2 + dec 2 (recon) + enc 2 + disc 2·2 (disc phase) + disc 2 (gen) = 12.
	// Weight grads: dec 2 + enc 2 + disc 2·2 + disc 2 + enc 2 = 12.
	// Input grads (none into the data or the prior samples): dec 2 + enc 1
	// (recon) + disc 1·2 (disc phase) + disc 2 + enc 1 (gen) = 8.
	if per[tensor.XWt] != 12 || per[tensor.DyTX] != 12 || per[tensor.DyW] != 8 {
		t.Errorf("products per step %v, want 12 forward, 12 weight-gradient, 8 input-gradient", per)
	}
	if r.SamplesPerSec <= 0 || r.BoundPerSec <= 0 || r.Efficiency <= 0 {
		t.Errorf("report %+v", r)
	}
	if r.AllocsPerStep != 0 {
		t.Errorf("%v allocations per step", r.AllocsPerStep)
	}
}

// BenchmarkStep reports samples/s of each reference model's training step
// on the committed MNIST subset: the step to profile
// (go test -bench Step -cpuprofile) when a kernel's rate and the step's
// speed disagree.
func BenchmarkStep(b *testing.B) {
	tr, _, err := data.LoadTestSubset()
	if err != nil {
		b.Fatal(err)
	}
	for _, m := range Models() {
		b.Run(m.Name, func(b *testing.B) {
			mod, err := model.New(m.Config)
			if err != nil {
				b.Fatal(err)
			}
			s, err := train.New(mod, tr, tr.Subset(min(tr.N, m.Config.Batch)), 0)
			if err != nil {
				b.Fatal(err)
			}
			s.Step()
			b.ReportAllocs()
			for b.Loop() {
				s.Step()
			}
			b.ReportMetric(float64(b.N*m.Config.Batch)/b.Elapsed().Seconds(), "samples/s")
		})
	}
}
