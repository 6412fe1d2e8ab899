// Package modeltest is what every model kind's tests share: the committed
// MNIST subset and the full MNIST, a training session, and the checks every kind must pass
// (Conformance): the same seed gives the same losses, a step allocates
// nothing, the model comes back from its file with the same metrics, data-
// parallel shards make the whole batch's step, and the losses fall.
// Gradient checks against finite differences are core/gradcheck.
package modeltest

import (
	"fmt"
	"math"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"sync"
	"testing"

	"latentlab/core/data"
	"latentlab/core/model"
	"latentlab/core/parallel"
	"latentlab/core/safetensors"
	"latentlab/core/train"
)

// Small returns c on a small network, quick to train in a test: encoder
// 64-32, discriminator 32-32, batch 50.
func Small(c model.Config) model.Config {
	c.Encoder, c.Batch = []int{64, 32}, 50
	if k, _ := model.KindOf(c.Model); slices.Contains(k.Fields, "discriminator") {
		c.Discriminator = []int{32, 32}
	}
	return c
}

// Smooth sets c's activation to tanh, smooth, so that finite differences
// are exact to O(h²) in a gradient check, and fails t unless c is then
// valid.
func Smooth(t testing.TB, c *model.Config) {
	t.Helper()
	c.Activation = "tanh"
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
}

// Subset returns the small MNIST subset committed in core/data.
func Subset(t testing.TB) (tr, te *data.Set) {
	t.Helper()
	tr, te, err := data.LoadTestSubset()
	if err != nil {
		t.Fatal(err)
	}
	return tr, te
}

// mnist is the full MNIST of assets/mnist, read once for every test of the
// process (no test changes a set: Subset and Range give new ones).
var mnist = sync.OnceValues(func() ([2]*data.Set, error) {
	_, file, _, _ := runtime.Caller(0)
	tr, te, err := data.LoadMNIST(filepath.Join(filepath.Dir(file), "../../assets/mnist"))
	return [2]*data.Set{tr, te}, err
})

// MNIST returns the full MNIST (60,000 training and 10,000 test digits) for
// the learning tests, or fails saying how to get it.
func MNIST(t testing.TB) (tr, te *data.Set) {
	t.Helper()
	sets, err := mnist()
	if err != nil {
		t.Fatalf("learning tests need MNIST in assets/mnist (make data): %v", err)
	}
	return sets[0], sets[1]
}

// Session builds a model of c and a training session over tr and te.
func Session(t testing.TB, c model.Config, tr, te *data.Set) *train.Session {
	t.Helper()
	m, err := model.New(c)
	if err != nil {
		t.Fatal(err)
	}
	s, err := train.New(m, tr, te, 0)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Losses runs steps steps of a fresh session of c and returns their losses.
func Losses(t testing.TB, c model.Config, tr, te *data.Set, steps int) []model.Losses {
	t.Helper()
	s := Session(t, c, tr, te)
	ls := make([]model.Losses, steps)
	for i := range ls {
		ls[i] = s.Step()
	}
	return ls
}

// Options says what a kind's conformance run may expect.
type Options struct {
	// Falls lists the losses (indices into LossNames) whose mean over the
	// last ten of FallSteps steps must be below their mean over the first
	// ten: a kind whose losses fight (a GAN's) names none.
	Falls     []int
	FallSteps int // default 60
}

// Conformance runs every shared check on config c as subtests.
func Conformance(t *testing.T, c model.Config, o Options) {
	t.Helper()
	tr, te := Subset(t)
	t.Run("same seed, same losses", func(t *testing.T) { SameSeed(t, c, tr, te) })
	t.Run("no allocations a step", func(t *testing.T) { NoAllocs(t, c, tr, te) })
	t.Run("file round trip", func(t *testing.T) {
		s := Session(t, c, tr, te.Subset(min(te.N, 200)))
		for range 3 {
			s.Step()
		}
		RoundTrip(t, s)
	})
	t.Run("checkpoint resumes exactly", func(t *testing.T) { Resume(t, c, tr, te) })
	if m, err := model.New(c); err == nil {
		if sh, ok := m.(parallel.Sharder); ok && sh.SetShard(parallel.Group(2)[0]) == nil {
			t.Run("two shards make the whole step", func(t *testing.T) { Shards(t, c, tr, te) })
		}
	}
	if len(o.Falls) > 0 {
		t.Run("losses fall", func(t *testing.T) { Falls(t, c, tr, te, o) })
	}
}

// SameSeed: two runs of 6 steps with c.Seed give identical losses, and a
// run with another seed different last losses; every named loss is finite.
func SameSeed(t *testing.T, c model.Config, tr, te *data.Set) {
	t.Helper()
	a, b := Losses(t, c, tr, te, 6), Losses(t, c, tr, te, 6)
	other := c
	other.Seed++
	o := Losses(t, other, tr, te, 6)
	for j := range a {
		if a[j] != b[j] {
			t.Fatalf("step %d: %v then %v with the same seed", j, a[j], b[j])
		}
	}
	if a[5] == o[5] {
		t.Errorf("seeds %d and %d gave the same losses %v", c.Seed, other.Seed, a[5])
	}
	m, _ := model.New(c)
	for i := range m.LossNames() {
		if v := a[5][i]; math.IsNaN(v) || math.IsInf(v, 0) {
			t.Errorf("loss %s = %v", m.LossNames()[i], v)
		}
	}
}

// NoAllocs: a training step allocates nothing.
func NoAllocs(t *testing.T, c model.Config, tr, te *data.Set) {
	t.Helper()
	s := Session(t, c, tr, te)
	s.Step()
	if a := testing.AllocsPerRun(5, func() { s.Step() }); a != 0 {
		t.Errorf("a training step allocates %v times", a)
	}
}

// Reloaded trains a fresh session of c for steps steps on tr and te, then
// reads its model back from its file (RoundTrip): it returns the session
// and a session of the model read back, at the same step.
func Reloaded(t *testing.T, c model.Config, tr, te *data.Set, steps int) (s, back *train.Session) {
	t.Helper()
	s = Session(t, c, tr, te)
	for range steps {
		s.Step()
	}
	back, err := train.New(RoundTrip(t, s), tr, te, s.Steps)
	if err != nil {
		t.Fatal(err)
	}
	return s, back
}

// RoundTrip writes s's model to an F32 file and reads it back: the same
// config, step count, tensor names and shapes, and test metrics. It
// returns the model read back, for a kind's own checks of its tensors.
func RoundTrip(t *testing.T, s *train.Session) model.Model {
	t.Helper()
	b, err := model.Encode(s.Model, s.Steps, safetensors.F32)
	if err != nil {
		t.Fatal(err)
	}
	m, steps, err := model.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if steps != s.Steps || m.Config().JSON() != s.Model.Config().JSON() {
		t.Fatalf("read back step %d config %s, wrote step %d config %s", steps, m.Config().JSON(), s.Steps, s.Model.Config().JSON())
	}
	shapes := func(m model.Model) string {
		out := ""
		for _, ts := range m.Tensors() {
			out += fmt.Sprintf("%s%v ", ts.Name, ts.Shape)
		}
		return out
	}
	if a, b := shapes(s.Model), shapes(m); a != b {
		t.Fatalf("tensors %s read back as %s", a, b)
	}
	s2, err := train.New(m, s.Train, s.Test, steps)
	if err != nil {
		t.Fatal(err)
	}
	if a, b := s.Metrics(), s2.Metrics(); !reflect.DeepEqual(a, b) {
		t.Fatalf("metrics %v before the file, %v after", a, b)
	}
	if _, _, err := model.Decode(b[:len(b)/2]); err == nil {
		t.Error("half a file decoded without an error")
	}
	return m
}

// Resume: a session checkpointed after 3 steps and resumed from the file
// takes the same next 3 steps, to the bit, as the session that went on;
// then both checkpoint to the same bytes. The resumed model also reads as
// plain weights (model.Decode), and half the file is refused.
func Resume(t *testing.T, c model.Config, tr, te *data.Set) {
	t.Helper()
	s := Session(t, c, tr, te)
	for range 3 {
		s.Step()
	}
	s.Curves.Add("recon", 3, 1.5)
	b, err := s.Checkpoint()
	if err != nil {
		t.Fatal(err)
	}
	f, err := safetensors.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	r, err := train.Resume(f, tr, te, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.Steps != 3 || r.Epoch() != s.Epoch() || r.Progress() != s.Progress() || r.Curves["recon"].Y[0] != 1.5 {
		t.Fatalf("resumed at step %d, epoch %d + %v, curves %v; saved at %d, %d + %v", r.Steps, r.Epoch(), r.Progress(), r.Curves, s.Steps, s.Epoch(), s.Progress())
	}
	for i := range 3 {
		if a, b := s.Step(), r.Step(); a != b {
			t.Fatalf("step %d after the checkpoint: losses %v went on, %v resumed", 4+i, a, b)
		}
	}
	b1, err := s.Checkpoint()
	if err != nil {
		t.Fatal(err)
	}
	b2, err := r.Checkpoint()
	if err != nil {
		t.Fatal(err)
	}
	if string(b1) != string(b2) {
		t.Error("the session that went on and the resumed one checkpoint to different bytes")
	}
	if _, _, err := model.Decode(b); err != nil {
		t.Errorf("a checkpoint does not read as weights: %v", err)
	}
	if half, err := safetensors.Decode(b[:len(b)/2]); err == nil {
		if _, err := train.Resume(half, tr, te, nil); err == nil {
			t.Error("half a checkpoint resumed without an error")
		}
	}
}

// Shards: two replicas of c, each on its half of every batch, with their
// gradients summed through parallel.Group, stay bit-identical to each
// other and follow one model on the whole batch: their losses add up to
// its losses, their weights stay within 1e-3 of its.
func Shards(t *testing.T, c model.Config, tr, te *data.Set) {
	t.Helper()
	const steps = 6
	one := Session(t, c, tr, te)
	var want model.Losses
	for range steps {
		want = one.Step()
	}
	reps := []*train.Session{Session(t, c, tr, te), Session(t, c, tr, te)}
	losses := make([]model.Losses, 2)
	var wg sync.WaitGroup
	for r, sh := range parallel.Group(2) {
		if err := reps[r].Model.(parallel.Sharder).SetShard(sh); err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			for range steps {
				losses[r] = reps[r].Step()
			}
		})
	}
	wg.Wait()
	for i := range one.Model.LossNames() {
		if got := losses[0][i] + losses[1][i]; math.Abs(got-want[i]) > 1e-4*max(1, math.Abs(want[i])) {
			t.Errorf("loss %s: one model %v, replicas summed %v", one.Model.LossNames()[i], want[i], got)
		}
	}
	worst := 0.0
	ref, r0, r1 := one.Model.Tensors(), reps[0].Model.Tensors(), reps[1].Model.Tensors()
	for i := range ref {
		for j, v := range r0[i].Data {
			if v != r1[i].Data[j] {
				t.Fatalf("replicas differ at %s[%d]", ref[i].Name, j)
			}
			worst = max(worst, math.Abs(float64(v-ref[i].Data[j])))
		}
	}
	if worst > 1e-3 {
		t.Errorf("replicas drifted %.2g from the single model in %d steps", worst, steps)
	}
}

// Falls: the losses o.Falls name fall over o.FallSteps steps.
func Falls(t *testing.T, c model.Config, tr, te *data.Set, o Options) {
	t.Helper()
	n := o.FallSteps
	if n == 0 {
		n = 60
	}
	ls := Losses(t, c, tr, te, n)
	m, _ := model.New(c)
	for _, i := range o.Falls {
		first, last := 0.0, 0.0
		for j := range 10 {
			first += ls[j][i] / 10
			last += ls[n-10+j][i] / 10
		}
		if !(last < first) {
			t.Errorf("loss %s: %.4g over the first 10 steps, %.4g over the last 10 of %d", m.LossNames()[i], first, last, n)
		} else {
			t.Logf("loss %s: %.4g → %.4g over %d steps", m.LossNames()[i], first, last, n)
		}
	}
}

// Shapes checks that m has the tensors want names with those shapes (want
// need not name them all), and that its tensors hold exactly its config's
// ParamCount values.
func Shapes(t *testing.T, m model.Model, want map[string][]int) {
	t.Helper()
	n := 0
	for _, ts := range m.Tensors() {
		n += len(ts.Data)
		if shape, ok := want[ts.Name]; ok {
			if fmt.Sprint(shape) != fmt.Sprint(ts.Shape) {
				t.Errorf("%s: shape %v, want %v", ts.Name, ts.Shape, shape)
			}
		}
	}
	for name := range want {
		if !slices.ContainsFunc(m.Tensors(), func(ts safetensors.Tensor) bool { return ts.Name == name }) {
			t.Errorf("no tensor %s", name)
		}
	}
	if c := m.Config().ParamCount(); c != n {
		t.Errorf("ParamCount %d, the tensors hold %d", c, n)
	}
}
