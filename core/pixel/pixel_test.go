package pixel

import (
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"latentlab/core/data"
	"latentlab/core/gradcheck"
	"latentlab/core/model"
	"latentlab/core/modeltest"
	"latentlab/core/parallel"
	"latentlab/core/train"
)

var loadSubset = sync.OnceValues(func() ([2]*data.Set, error) {
	tr, te, err := data.LoadTestSubset()
	return [2]*data.Set{tr, te}, err
})

// small is a pixel model quick enough for the unit tests.
func small() model.Config {
	c := model.Defaults()
	c.Model = "pixel"
	c.Encoder = []int{40, 24}
	c.Batch = 20
	c.Beta1 = 0.9
	return c
}

func build(t testing.TB, c model.Config) *Model {
	t.Helper()
	m, err := model.New(c)
	if err != nil {
		t.Fatal(err)
	}
	return m.(*Model)
}

// testDigits returns the first n test digits of the subset as pixels.
func testDigits(t testing.TB, n int) []float32 {
	t.Helper()
	_, te := modeltest.Subset(t)
	x := make([]float32, n*model.Pixels)
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	te.Fill(x, nil, idx)
	return x
}

func TestLevels(t *testing.T) {
	// K = 4: the bytes 0–42, 43–127, 128–212, 213–255.
	for b, want := range map[int]int{0: 0, 42: 0, 43: 1, 127: 1, 128: 2, 212: 2, 213: 3, 255: 3} {
		if got := Level(float32(b)/255, 4); got != want {
			t.Errorf("K=4: byte %d is level %d, want %d", b, got, want)
		}
	}
	for _, k := range []int{2, 3, 4, 7, 256} {
		prev := 0
		for b := range 256 {
			q := Level(float32(b)/255, k)
			// The nearest level, and levels grow with the byte.
			if d := math.Abs(float64(b)/255*float64(k-1) - float64(q)); d > 0.5 || q < prev {
				t.Fatalf("K=%d: byte %d at level %d", k, b, q)
			}
			prev = q
		}
		if prev != k-1 {
			t.Errorf("K=%d: byte 255 at level %d", k, prev)
		}
		for q := range k {
			if got := Level(Value(q, k), k); got != q {
				t.Errorf("K=%d: Level(Value(%d)) = %d", k, q, got)
			}
		}
		if Level(-1, k) != 0 || Level(2, k) != k-1 || Level(float32(math.NaN()), k) != 0 {
			t.Errorf("K=%d: out-of-range intensities are not clamped", k)
		}
	}
	if Value(0, 4) != 0 || Value(3, 4) != 1 {
		t.Error("levels 0 and K−1 are not black and white")
	}
}

// checkGrad compares analytic gradients with central differences of f at
// the entries idx of p (all of them if idx is nil).
func checkGrad(t *testing.T, name string, p, analytic []float32, idx []int, f func() float64) {
	t.Helper()
	c := gradcheck.Case{Name: name, Params: p, Analytic: analytic, Loss: f, Floor: 1e-2}
	if idx != nil {
		keep := make([]bool, len(p))
		for _, i := range idx {
			keep[i] = true
		}
		c.Skip = func(i int) bool { return !keep[i] }
	}
	gradcheck.Check(t, c)
}

// TestSoftmaxGradient checks the per-pixel K-way softmax cross-entropy
// and its gradient against finite differences, and its value against the
// definition.
func TestSoftmaxGradient(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const n, k, scale = 2, 5, 0.5
	l := make([]float32, n*model.Pixels*k)
	for i := range l {
		l[i] = float32(3 * r.NormFloat64())
	}
	levels := make([]uint8, n*model.Pixels)
	for i := range levels {
		levels[i] = uint8(r.IntN(k))
	}
	dl := make([]float32, len(l))
	loss := func() float64 { return scale * pixelNLL(nil, l, levels, n, 0) }
	got := pixelNLL(dl, l, levels, n, scale)
	var want float64
	for i, t := range levels {
		var z float64
		for _, v := range l[i*k : (i+1)*k] {
			z += math.Exp(float64(v))
		}
		want -= math.Log(math.Exp(float64(l[i*k+int(t)])) / z)
	}
	want /= n
	if math.Abs(got-want) > 1e-6*want {
		t.Errorf("NLL %v, want %v", got, want)
	}
	var pick []int
	for range 200 {
		pick = append(pick, r.IntN(len(l)))
	}
	checkGrad(t, "logits", l, dl, pick, loss)
	// Huge logits neither overflow nor give NaN.
	l[0], l[1] = 1e30, -1e30
	if v := pixelNLL(dl, l, levels, n, scale); math.IsNaN(v) || math.IsInf(v, 0) {
		t.Errorf("NLL %v with logits ±1e30", v)
	}
}

// TestMaskedGradient checks the whole network's gradient (masked linear
// layers, tanh, softmax cross-entropy per pixel) against finite differences
// of the NLL, on entries of every layer, and that the gradients of masked
// weights are cleared and the masked weights zero.
func TestMaskedGradient(t *testing.T) {
	c := small()
	c.Encoder = []int{12, 10}
	c.Levels = 3
	c.Activation = "tanh"
	m := build(t, c)
	const n = 2
	x := testDigits(t, n)
	r := rand.New(rand.NewPCG(3, 4))
	// Tilt the parameters off their initial values so no gradient is tiny.
	for i := range m.Net.Params {
		m.Net.Params[i] += float32(0.1 * r.NormFloat64())
	}
	m.mask(m.Net.W)
	m.Net.ZeroGrad()
	xq, levels := m.xq[:n*model.Pixels], m.levels[:n*model.Pixels]
	quantise(xq, levels, x, m.K)
	logits := m.Net.Forward(xq, n)
	dl := m.dlogits[:len(logits)]
	pixelNLL(dl, logits, levels, n, 1)
	m.Net.BackwardParams(dl, n)
	m.mask(m.Net.DW)
	loss := func() float64 { return m.NLL(x, n) / n }
	for l := range m.Net.W {
		in := m.Net.Sizes[l]
		var live, cut []int
		for o, conn := range m.conn[l] {
			for i := range in {
				if i < int(conn) {
					live = append(live, o*in+i)
				} else {
					cut = append(cut, o*in+i)
				}
			}
		}
		for _, i := range cut {
			if m.Net.W[l][i] != 0 || m.Net.DW[l][i] != 0 {
				t.Fatalf("layer %d: masked weight %d is %v, gradient %v", l, i, m.Net.W[l][i], m.Net.DW[l][i])
			}
		}
		if len(live) == 0 || len(cut) == 0 {
			t.Fatalf("layer %d: %d live and %d masked weights", l, len(live), len(cut))
		}
		// Weights on which the gradient is non-zero, plus a random sample.
		var pick []int
		for _, i := range live {
			if m.Net.DW[l][i] != 0 && len(pick) < 40 {
				pick = append(pick, i)
			}
		}
		for range 40 {
			pick = append(pick, live[r.IntN(len(live))])
		}
		checkGrad(t, "W"+string(rune('0'+l)), m.Net.W[l], m.Net.DW[l], pick, loss)
		var bias []int
		for range 20 {
			bias = append(bias, r.IntN(len(m.Net.B[l])))
		}
		checkGrad(t, "b"+string(rune('0'+l)), m.Net.B[l], m.Net.DB[l], bias, loss)
	}
}

// TestAutoregressive: changing pixel j leaves the predicted distributions
// of pixels 0..j exactly as they were (bit for bit), and changes those of
// some later pixel (every pixel reaches the last hidden layer's unit of
// degree 783), in a model trained a few steps.
func TestAutoregressive(t *testing.T) {
	tr, te := modeltest.Subset(t)
	for _, v := range []struct {
		enc []int
		act string
	}{{[]int{40, 24}, "relu"}, {[]int{40, 24}, "tanh"}, {[]int{32}, "tanh"}, {nil, "relu"}} {
		enc := v.enc
		c := small()
		c.Encoder, c.Activation = enc, v.act
		s := modeltest.Session(t, c, tr, te)
		for range 5 {
			s.Step()
		}
		m := s.Model.(*Model)
		k := m.K
		x := testDigits(t, 1)
		logits := func(x []float32) []float32 {
			xq, levels := make([]float32, model.Pixels), make([]uint8, model.Pixels)
			quantise(xq, levels, x, k)
			return append([]float32(nil), m.Net.Infer(xq, 1)...)
		}
		base := logits(x)
		for _, j := range []int{0, 1, 27, 28, 300, 405, 600, 782, 783} {
			y := append([]float32(nil), x...)
			y[j] = Value((Level(x[j], k)+1+j%(k-1))%k, k) // another level
			got := logits(y)
			first := -1
			for i := range got {
				if got[i] != base[i] {
					first = i
					break
				}
			}
			switch {
			case first >= 0 && first/k <= j:
				t.Fatalf("encoder %v: changing pixel %d changed the logits of pixel %d", enc, j, first/k)
			case first < 0 && j < model.Pixels-1 && v.act != "relu": // a ReLU unit may be off for this digit
				t.Errorf("encoder %v: changing pixel %d changed no later pixel's logits", enc, j)
			}
		}
	}
}

// TestSamplerMatchesDense: the pixel-by-pixel sampler draws each pixel from
// the same logits, bit for bit, as the dense forward pass computes on the
// finished sample; chunked SampleRows gives Sample's digits; and completion
// keeps the given pixels and writes none past `to`.
func TestSamplerMatchesDense(t *testing.T) {
	tr, te := modeltest.Subset(t)
	c := small()
	t.Run("plain", func(t *testing.T) { samplerMatchesDense(t, c, tr, te) })
	// Dropout is off in evaluation mode, where the sampler runs.
	c.Dropout = 0.25
	t.Run("dropout", func(t *testing.T) { samplerMatchesDense(t, c, tr, te) })
}

func samplerMatchesDense(t *testing.T, c model.Config, tr, te *data.Set) {
	s := modeltest.Session(t, c, tr, te)
	for range 10 {
		s.Step()
	}
	m := s.Model.(*Model)
	const n, k = 7, 4
	x := make([]float32, n*model.Pixels)
	m.Sample(x, n, rand.New(rand.NewPCG(5, 6)))
	xq, levels := make([]float32, len(x)), make([]uint8, len(x))
	quantise(xq, levels, x, k)
	for i, v := range x {
		if v != xq[i] {
			t.Fatalf("sample pixel %d is %v, not a level's value", i, v)
		}
	}
	logits := m.Net.Infer(xq, n)
	replay := rand.New(rand.NewPCG(5, 6))
	inked := 0
	for j := range model.Pixels {
		for i := range n {
			row := logits[(i*model.Pixels+j)*k : (i*model.Pixels+j+1)*k]
			if q := drawLevel(row, replay.Float64()); q != int(levels[i*model.Pixels+j]) {
				t.Fatalf("digit %d pixel %d: sampled level %d, the dense logits give %d", i, j, levels[i*model.Pixels+j], q)
			}
			if levels[i*model.Pixels+j] > 0 {
				inked++
			}
		}
	}
	if inked == 0 {
		t.Error("the samples are blank")
	}

	chunked := make([]float32, len(x))
	r := rand.New(rand.NewPCG(5, 6))
	for from := 0; from < model.Pixels; from += 100 {
		m.SampleRows(chunked, n, from, min(from+100, model.Pixels), r)
	}
	for i := range x {
		if chunked[i] != x[i] {
			t.Fatalf("pixel %d: %v drawn in chunks, %v in one call", i, chunked[i], x[i])
		}
	}

	// Completion of the top half of real digits.
	real := testDigits(t, n)
	y := append([]float32(nil), real...)
	for i := range n {
		for p := 500; p < model.Pixels; p++ {
			y[i*model.Pixels+p] = -7 // untouched past `to`
		}
	}
	m.SampleRows(y, n, 392, 500, rand.New(rand.NewPCG(1, 1)))
	for i := range n {
		for p := range model.Pixels {
			v := y[i*model.Pixels+p]
			switch {
			case p < 392 && v != real[i*model.Pixels+p]:
				t.Fatalf("digit %d: given pixel %d changed", i, p)
			case p >= 392 && p < 500 && v != Value(Level(v, k), k):
				t.Fatalf("digit %d: drawn pixel %d is %v", i, p, v)
			case p >= 500 && v != -7:
				t.Fatalf("digit %d: pixel %d past `to` written", i, p)
			}
		}
	}
}

// TestSameSeedSameLosses: the same seed gives identical losses and
// samples, another seed different ones.
func TestSameSeedSameLosses(t *testing.T) {
	tr, te := modeltest.Subset(t)
	run := func(seed uint64) ([]model.Losses, []float32) {
		c := small()
		c.Seed = seed
		s := modeltest.Session(t, c, tr, te)
		var ls []model.Losses
		for range 10 {
			ls = append(ls, s.Step())
		}
		x := make([]float32, 3*model.Pixels)
		s.Model.(model.Sampler).Sample(x, 3, model.NewRand(c, 1))
		return ls, x
	}
	a, xa := run(7)
	b, xb := run(7)
	other, _ := run(8)
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("step %d: %+v then %+v with the same seed", i, a[i], b[i])
		}
	}
	for i := range xa {
		if xa[i] != xb[i] {
			t.Fatalf("sample pixel %d differs with the same seed", i)
		}
	}
	if a[len(a)-1] == other[len(other)-1] {
		t.Error("seeds 7 and 8 gave the same losses")
	}
}

// TestAllocatesNothing covers the training step, NLL and sampling.
func TestAllocatesNothing(t *testing.T) {
	tr, te := modeltest.Subset(t)
	c := small()
	s := modeltest.Session(t, c, tr, te)
	m := s.Model.(*Model)
	if a := testing.AllocsPerRun(5, func() { s.Step() }); a != 0 {
		t.Errorf("a training step allocates %v times", a)
	}
	x := testDigits(t, c.Batch)
	if a := testing.AllocsPerRun(3, func() { m.NLL(x, c.Batch) }); a != 0 {
		t.Errorf("NLL allocates %v times", a)
	}
	r := rand.New(rand.NewPCG(1, 1))
	if a := testing.AllocsPerRun(2, func() { m.SampleRows(x, 4, 300, 400, r) }); a != 0 {
		t.Errorf("SampleRows allocates %v times", a)
	}
}

// TestUntrainedNLL: an untrained model gives each level about 1/K, so the
// NLL is near 784·ln K per digit, and Step reports the same figure.
func TestUntrainedNLL(t *testing.T) {
	tr, te := modeltest.Subset(t)
	for _, k := range []int{2, 4, 16} {
		c := small()
		c.Levels = k
		s := modeltest.Session(t, c, tr, te)
		nll := s.Metrics()["test_nll"]
		want := model.Pixels * math.Log(float64(k))
		if math.Abs(nll-want) > 0.15*want {
			t.Errorf("K=%d: untrained test NLL %.1f nats, want about %.1f", k, nll, want)
		}
		if l := s.Step()[0]; math.Abs(l-nll) > 0.1*nll {
			t.Errorf("K=%d: first step's loss %.1f, test NLL %.1f", k, l, nll)
		}
	}
}

func TestFileRoundTrip(t *testing.T) {
	tr, te := modeltest.Subset(t)
	c := small()
	s, back := modeltest.Reloaded(t, c, tr, te, 5)
	m2 := back.Model
	x := testDigits(t, c.Batch)
	if a, b := s.Model.(model.Density).NLL(x, c.Batch), m2.(model.Density).NLL(x, c.Batch); a != b {
		t.Fatalf("NLL %v before saving, %v after loading", a, b)
	}
	xa, xb := make([]float32, 2*model.Pixels), make([]float32, 2*model.Pixels)
	s.Model.(model.Sampler).Sample(xa, 2, rand.New(rand.NewPCG(9, 9)))
	m2.(model.Sampler).Sample(xb, 2, rand.New(rand.NewPCG(9, 9)))
	for i := range xa {
		if xa[i] != xb[i] {
			t.Fatalf("sample pixel %d differs after loading", i)
		}
	}
	want := map[string][]int{"made.0.weight": {40, 784}, "made.2.bias": {24}, "made.4.weight": {784 * 4, 24}, "made.4.bias": {784 * 4}}
	for _, ts := range m2.Tensors() {
		if shape, ok := want[ts.Name]; ok {
			if len(shape) != len(ts.Shape) || shape[0] != ts.Shape[0] || (len(shape) > 1 && shape[1] != ts.Shape[1]) {
				t.Errorf("%s: shape %v, want %v", ts.Name, ts.Shape, shape)
			}
			delete(want, ts.Name)
		}
	}
	if len(want) > 0 {
		t.Errorf("missing tensors %v", want)
	}
	// A file whose levels disagree with its tensors' shapes is refused.
	b, err := model.Encode(s.Model, s.Steps, "F32")
	if err != nil {
		t.Fatal(err)
	}
	c5 := strings.Replace(string(b), `levels\":4`, `levels\":5`, 1)
	if c5 == string(b) {
		t.Fatal("no levels in the file's config")
	}
	if _, _, err := model.Decode([]byte(c5)); err == nil {
		t.Error("a file with 5 levels and tensors for 4 decoded")
	}
}

func TestConfigChecks(t *testing.T) {
	c := small()
	c.Levels, c.Encoder = 256, []int{4096}
	if _, err := model.New(c); err == nil || !strings.Contains(err.Error(), "parameters") {
		t.Errorf("784·256 outputs from 4096 units: %v", err)
	}
	c = small()
	c.Encoder = nil
	if p, want := c.ParamCount(), 784*784*4+784*4; p != want {
		t.Errorf("no hidden layer: %d parameters, want %d", p, want)
	}
}

// independentNLL returns the test NLL in nats per digit of the baseline
// that draws every pixel independently from its level frequencies in the
// training set (add-one smoothed).
func independentNLL(tr, te *data.Set, k int) float64 {
	count := make([]float64, model.Pixels*k)
	for i, b := range tr.Pix {
		count[(i%model.Pixels)*k+Level(float32(b)/255, k)]++
	}
	var nll float64
	for i, b := range te.Pix {
		c := count[(i%model.Pixels)*k+Level(float32(b)/255, k)]
		nll -= math.Log((c + 1) / (float64(tr.N) + float64(k)))
	}
	return nll / float64(te.N)
}

// TestLearnsMNIST trains the "pixel" preset on real MNIST for a short run
// (2000 test digits): the test NLL must
// fall far below the untrained 784·ln K and below the independent-pixel
// baseline, and the samples must hold ink.
func TestLearnsMNIST(t *testing.T) {
	if testing.Short() {
		t.Skip("learning test: runs natively in make test-go")
	}
	tr, te := modeltest.MNIST(t)
	te = te.Subset(2000)
	c := model.Presets()["pixel"]
	s := modeltest.Session(t, c, tr, te)
	untrained := model.Pixels * math.Log(float64(c.Levels))
	baseline := independentNLL(tr, te, c.Levels)
	start := time.Now()
	var last model.Losses
	for range 200 {
		last = s.Step()
	}
	trainTime := time.Since(start)
	mt := s.Metrics()
	nll := mt["test_nll"]
	t.Logf("K=%d, preset pixel 784-%v-%d: test NLL %.1f nats/digit (%.3f bits/pixel) after %d steps of %d in %.1f s; last batch %.1f; untrained %.1f, independent pixels %.1f",
		c.Levels, c.Encoder, model.Pixels*c.Levels, nll, mt["bits_per_pixel"], s.Steps, c.Batch, trainTime.Seconds(), last[0], untrained, baseline)
	if !(nll < 0.35*untrained) {
		t.Errorf("test NLL %.1f, not far below the untrained %.1f", nll, untrained)
	}
	if !(nll < 0.9*baseline) {
		t.Errorf("test NLL %.1f, not below the independent-pixel baseline %.1f", nll, baseline)
	}
	// Samples: a digit has some ink, but is not all ink.
	const n = 20
	x := make([]float32, n*model.Pixels)
	start = time.Now()
	s.Model.(model.Sampler).Sample(x, n, model.NewRand(c, 1))
	var ink float64
	for _, v := range x {
		ink += float64(v)
	}
	ink /= n * model.Pixels
	var want float64
	for _, b := range te.Pix {
		want += float64(Value(Level(float32(b)/255, c.Levels), c.Levels))
	}
	want /= float64(len(te.Pix))
	t.Logf("%d samples in %.2f s: mean intensity %.3f, test digits %.3f", n, time.Since(start).Seconds(), ink, want)
	if !(ink > 0.4*want && ink < 2.5*want) {
		t.Errorf("samples' mean intensity %.3f, test digits' %.3f", ink, want)
	}
}

// TestShards: two data-parallel replicas on a batch of 20 stay identical
// to each other, and their summed losses follow the single model's.
func TestShards(t *testing.T) {
	tr, te := modeltest.Subset(t)
	c := small()
	whole := modeltest.Session(t, c, tr, te)
	reps := []*train.Session{modeltest.Session(t, c, tr, te), modeltest.Session(t, c, tr, te)}
	for i, sh := range parallel.Group(2) {
		if err := reps[i].Model.(parallel.Sharder).SetShard(sh); err != nil {
			t.Fatal(err)
		}
	}
	for step := range 5 {
		want := whole.Step()[0]
		var got [2]float64
		var wg sync.WaitGroup
		for i, s := range reps {
			wg.Go(func() { got[i] = s.Step()[0] })
		}
		wg.Wait()
		if sum := got[0] + got[1]; math.Abs(sum-want) > 1e-3*want {
			t.Fatalf("step %d: replicas' losses sum to %v, the whole model's is %v", step, sum, want)
		}
	}
	p0, p1, pw := reps[0].Model.(*Model).Net.Params, reps[1].Model.(*Model).Net.Params, whole.Model.(*Model).Net.Params
	worst := 0.0
	for i := range p0 {
		if p0[i] != p1[i] {
			t.Fatalf("replicas differ at parameter %d", i)
		}
		worst = max(worst, math.Abs(float64(p0[i]-pw[i])))
	}
	t.Logf("largest parameter difference from the whole model: %.2g", worst)
	if worst > 1e-3 {
		t.Errorf("replicas drift %.2g from the whole model", worst)
	}
}

// TestConformance: the shared checks (core/modeltest); the NLL falls.
func TestConformance(t *testing.T) {
	modeltest.Conformance(t, small(), modeltest.Options{Falls: []int{0}})
}
