package score_test

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"latentlab/core/data"
	_ "latentlab/core/kinds"
	"latentlab/core/model"
	"latentlab/core/score"
	"latentlab/core/train"
)

// TestGANPresetScoreImproves trains the "gan" preset, the GAN a person
// gets by choosing it in the page or with --model gan, on real MNIST: no
// loss becomes NaN or infinite, the Fréchet distance of its samples to
// the test digits falls well below the untrained generator's, and the
// class entropy of its samples, 0 before training (the classifier sees
// every untrained blob as the same digit), comes near log 10: no mode
// collapse. 300 steps (about 75 s on 2 cores); BENCHMARKS.md ("Sample
// quality") has the figures over longer runs.
func TestGANPresetScoreImproves(t *testing.T) {
	if testing.Short() {
		t.Skip("learning test on the full MNIST: runs natively in make test-go")
	}
	s, te := scorer(t)
	tr, _, err := data.LoadMNIST("../../assets/mnist")
	if err != nil {
		t.Fatal(err)
	}
	m, err := model.New(model.Presets()["gan"])
	if err != nil {
		t.Fatal(err)
	}
	sess, err := train.New(m, tr, te, 0)
	if err != nil {
		t.Fatal(err)
	}
	const steps, every, n = 300, 100, 1000
	scoreNow := func() score.Result {
		r, err := s.ScoreModel(m, n, rand.New(rand.NewPCG(5, 5)))
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("step %d: confidence %.3f, entropy %.3f, Fréchet %.1f, classes %v", sess.Steps, r.Confidence, r.Entropy, r.Frechet, r.Classes)
		return r
	}
	start := time.Now()
	r0 := scoreNow()
	r := r0
	names := m.LossNames()
	for i := 1; i <= steps; i++ {
		l := sess.Step()
		for k, name := range names {
			if math.IsNaN(l[k]) || math.IsInf(l[k], 0) {
				t.Fatalf("step %d: loss %s is %v", i, name, l[k])
			}
		}
		if i%every == 0 {
			r = scoreNow()
		}
	}
	t.Logf("%d steps and %d scorings in %v", steps, steps/every+1, time.Since(start).Round(time.Second))
	if !(r.Frechet < 0.75*r0.Frechet) {
		t.Errorf("Fréchet distance %.1f after %d steps, %.1f untrained", r.Frechet, steps, r0.Frechet)
	}
	if !(r.Entropy > 0.8*math.Log(10)) {
		t.Errorf("class entropy %.3f after %d steps (log 10 = %.3f): the generator dropped modes", r.Entropy, steps, math.Log(10))
	}
}
