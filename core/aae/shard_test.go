package aae_test

import (
	"math"
	"sync"
	"testing"

	"latentlab/core/data"
	"latentlab/core/model"
	"latentlab/core/modeltest"
	"latentlab/core/parallel"
	"latentlab/core/train"
)

// TestShardsMatchOneModel: three data-parallel replicas on a batch of 50
// (rows 16, 17, 17) stay identical to each other and follow the
// single-model run on the same seed within float tolerance, for the
// deterministic encoder and for the variants that between them take every
// path of a step with random draws (ε, η, labelled prior samples), which
// are made for the whole batch and sliced.
func TestShardsMatchOneModel(t *testing.T) {
	tr, te := modeltest.Subset(t)
	for i, v := range variants {
		switch v.name {
		case "deterministic", "swissroll-labels-gaussian", "mixture-labels-universal-latent4":
			t.Run(v.name, func(t *testing.T) { shardsMatchOneModel(t, variant(i), tr, te) })
		}
	}
}

func shardsMatchOneModel(t *testing.T, c model.Config, tr, te *data.Set) {
	const steps = 8

	one := modeltest.Session(t, c, tr, te)
	var want model.Losses
	for range steps {
		want = one.Step()
	}

	const k = 3
	shards := parallel.Group(k)
	sessions := make([]*train.Session, k)
	losses := make([]model.Losses, k)
	var wg sync.WaitGroup
	for r := range k {
		sessions[r] = modeltest.Session(t, c, tr, te)
		err := sessions[r].Model.(parallel.Sharder).SetShard(shards[r])
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range steps {
				losses[r] = sessions[r].Step()
			}
		}()
	}
	wg.Wait()

	var got model.Losses
	for _, l := range losses {
		for i := range got {
			got[i] += l[i]
		}
	}
	t.Logf("step %d losses: one model %.6f, %d replicas summed %.6f", steps, want[:3], k, got[:3])
	for _, p := range [][2]float64{{want[0], got[0]}, {want[1], got[1]}, {want[2], got[2]}} {
		if math.Abs(p[0]-p[1]) > 1e-3*math.Abs(p[0]) {
			t.Errorf("losses differ: %v vs %v", p[0], p[1])
		}
	}
	ref := one.Model.Tensors()
	worst := 0.0
	for r := range k {
		for i, ts := range sessions[r].Model.Tensors() {
			for j, v := range ts.Data {
				if r > 0 && v != sessions[0].Model.Tensors()[i].Data[j] {
					t.Fatalf("replica %d differs from replica 0 at %s[%d]", r, ts.Name, j)
				}
				worst = max(worst, math.Abs(float64(v-ref[i].Data[j])))
			}
		}
	}
	t.Logf("largest weight difference from the single model: %.2g", worst)
	if worst > 1e-3 {
		t.Errorf("replicas drifted %.2g from the single model", worst)
	}
}

func TestShardCheck(t *testing.T) {
	tr, te := modeltest.Subset(t)
	s := modeltest.Session(t, small("aae"), tr, te)
	for _, sh := range []*parallel.Shard{
		{Index: 0, Count: 51, Reduce: parallel.Group(1)[0].Reduce, Gather: parallel.Group(1)[0].Gather},
		{Index: 2, Count: 2, Reduce: parallel.Group(1)[0].Reduce, Gather: parallel.Group(1)[0].Gather},
		{Index: 0, Count: 2},
		{Index: 0, Count: 2, Reduce: parallel.Group(1)[0].Reduce},
	} {
		if err := s.Model.(parallel.Sharder).SetShard(sh); err == nil {
			t.Errorf("shard %+v accepted for a batch of 50", *sh)
		}
	}
}
