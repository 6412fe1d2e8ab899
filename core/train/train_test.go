package train_test

import (
	"math"
	"slices"
	"strings"
	"sync"
	"testing"

	_ "latentlab/core/aae" // registers "aae" and "ae"
	"latentlab/core/data"
	"latentlab/core/model"
	"latentlab/core/train"
)

// loadSubset loads the committed subset once for all tests; none changes it.
var loadSubset = sync.OnceValues(func() ([2]*data.Set, error) {
	tr, te, err := data.LoadTestSubset()
	return [2]*data.Set{tr, te}, err
})

func subset(t testing.TB) (*data.Set, *data.Set) {
	t.Helper()
	sets, err := loadSubset()
	if err != nil {
		t.Fatal(err)
	}
	return sets[0], sets[1]
}

// small is a quick AAE with batch 50: 40 steps per epoch of the 2000-digit
// training subset, 20 evaluation chunks over the 1000 test digits.
func small() model.Config {
	c := model.Defaults()
	c.Encoder = []int{16}
	c.Discriminator = []int{8}
	c.Latent = 3
	c.Batch = 50
	return c
}

func newModel(t testing.TB, c model.Config) model.Model {
	t.Helper()
	m, err := model.New(c)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func session(t testing.TB, c model.Config) *train.Session {
	t.Helper()
	tr, te := subset(t)
	s, err := train.New(newModel(t, c), tr, te, 0)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestNewErrors(t *testing.T) {
	tr, te := subset(t)
	m := newModel(t, small())
	small := &data.Set{N: 100, Rows: 14, Cols: 14, Pix: make([]uint8, 100*14*14), Labels: make([]uint8, 100)}
	// 784 pixels a digit, but not 28×28: the models' images are squares.
	strip := &data.Set{N: 100, Rows: 16, Cols: 49, Pix: make([]uint8, 100*16*49), Labels: make([]uint8, 100)}
	for _, tc := range []struct {
		name       string
		train, tst *data.Set
		want       string
	}{
		{"nil training set", nil, te, "no data"},
		{"nil test set", tr, nil, "no data"},
		{"empty training set", tr.Subset(0), te, "no data"},
		{"empty test set", tr, te.Subset(0), "no data"},
		{"14x14 training images", small, te, "14x14"},
		{"14x14 test images", tr, small, "14x14"},
		{"16x49 training images", strip, te, "16x49"},
		{"batch over the training set", tr.Subset(49), te, "batch 50"},
	} {
		s, err := train.New(m, tc.train, tc.tst, 0)
		if err == nil || s != nil {
			t.Errorf("%s: got %v, %v", tc.name, s, err)
			continue
		}
		if msg := err.Error(); !strings.HasPrefix(msg, "train: ") || !strings.Contains(msg, tc.want) {
			t.Errorf("%s: error %q, want one containing %q", tc.name, msg, tc.want)
		}
	}
	// A training set exactly one batch long, and a test set smaller than a
	// batch, are fine.
	if _, err := train.New(m, tr.Subset(50), te.Subset(3), 0); err != nil {
		t.Error(err)
	}
}

// TestTestLossChunks: sums over consecutive ranges add up to the sum over
// their union, whatever the chunk boundaries; ranges clip to the test set.
func TestTestLossChunks(t *testing.T) {
	s := session(t, small())
	for range 3 {
		s.Step() // a model that has moved from its initialisation
	}
	whole, n := s.TestLoss(0, 1000)
	if n != 1000 || !(whole > 0) {
		t.Fatalf("TestLoss(0, 1000) = %v, %d", whole, n)
	}
	close := func(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Abs(b) }
	for _, cuts := range [][]int{{0, 300, 1000}, {0, 137, 1000}, {0, 1, 2, 51, 999, 1000}, {0, 500, 500, 1000}} {
		sum, count := 0.0, 0
		for i := 0; i+1 < len(cuts); i++ {
			s, k := s.TestLoss(cuts[i], cuts[i+1]-cuts[i])
			sum += s
			count += k
		}
		if count != 1000 || !close(sum, whole) {
			t.Errorf("chunks %v: sum %v over %d digits, whole %v", cuts, sum, count, whole)
		}
	}
	first1, _ := s.TestLoss(0, 1)
	first5, _ := s.TestLoss(0, 5)
	last10, _ := s.TestLoss(990, 10)
	for _, tc := range []struct {
		offset, count int
		wantN         int
		wantSum       float64
	}{
		{-5, 10, 5, first5},                   // [-5, 5) is [0, 5)
		{-100, 50, 0, 0},                      // entirely before the set
		{990, 100, 10, last10},                // runs past the end
		{1, math.MaxInt, 999, whole - first1}, // offset+count overflows
		{0, 0, 0, 0},
		{10, -3, 0, 0},
		{1000, 10, 0, 0},
		{5000, 10, 0, 0},
		{-5, math.MaxInt, 1000, whole},
	} {
		sum, n := s.TestLoss(tc.offset, tc.count)
		if n != tc.wantN {
			t.Errorf("TestLoss(%d, %d) covered %d digits, want %d", tc.offset, tc.count, n, tc.wantN)
			continue
		}
		if !close(sum, tc.wantSum) {
			t.Errorf("TestLoss(%d, %d) = %v, want %v", tc.offset, tc.count, sum, tc.wantSum)
		}
	}
	if got := s.MeanTestLoss(); !close(got, whole/1000) {
		t.Errorf("MeanTestLoss %v, want %v", got, whole/1000)
	}
}

// TestUntrainedLoss: at initialisation the decoder's pixel probabilities are
// near 1/2, so the loss is near 784·ln 2 ≈ 543 nats per image. A loss
// averaged over pixels (≈ 0.69) or summed rather than averaged over images
// (≈ 543,000) is far outside the bound.
func TestUntrainedLoss(t *testing.T) {
	for _, kind := range []string{"aae", "ae"} {
		c := small()
		c.Model = kind
		if kind == "ae" {
			c.Discriminator = model.Defaults().Discriminator // an ae has none
		}
		s := session(t, c)
		got := s.MeanTestLoss()
		t.Logf("%s: untrained test loss %.2f nats per image; 784·ln 2 = %.2f", kind, got, 784*math.Ln2)
		if got < 530 || got > 560 {
			t.Errorf("%s: untrained test loss %.2f, want about 784·ln 2 = %.1f", kind, got, 784*math.Ln2)
		}
	}
}

// TestEncodeTest: EncodeTest writes exactly count codes, the ones Encode
// gives for the same images one at a time.
func TestEncodeTest(t *testing.T) {
	c := small()
	s := session(t, c)
	for range 3 {
		s.Step()
	}
	for _, count := range []int{1, 50, 73, 1000} {
		z := make([]float32, (count+2)*c.Latent)
		for i := range z {
			z[i] = float32(math.NaN())
		}
		s.EncodeTest(z, count)
		x := make([]float32, model.Pixels)
		want := make([]float32, c.Latent)
		for i := range count {
			s.Test.Fill(x, nil, []int{i})
			s.Model.(model.Encoder).Encode(want, x, 1)
			for j, w := range want {
				if g := z[i*c.Latent+j]; math.Abs(float64(g-w)) > 1e-5*(1+math.Abs(float64(w))) {
					t.Fatalf("count %d: code %d[%d] = %v, Encode gives %v", count, i, j, g, w)
				}
			}
		}
		for i, v := range z[count*c.Latent:] {
			if !math.IsNaN(float64(v)) {
				t.Fatalf("count %d: EncodeTest wrote past its %d codes, at %d", count, count, count*c.Latent+i)
			}
		}
	}
}

// TestReconstruct: x holds the test images themselves, xhat their
// reconstructions, probabilities in [0, 1].
func TestReconstruct(t *testing.T) {
	c := small()
	s := session(t, c)
	for range 3 {
		s.Step()
	}
	const count = 73
	x := make([]float32, (count+1)*model.Pixels)
	xhat := make([]float32, (count+1)*model.Pixels)
	for i := range x {
		x[i], xhat[i] = -1, -1
	}
	s.Reconstruct(x, xhat, count)
	for i := range count * model.Pixels {
		if want := float32(s.Test.Pix[i]) / 255; x[i] != want {
			t.Fatalf("x[%d] = %v, the test image has %v", i, x[i], want)
		}
		if !(xhat[i] >= 0 && xhat[i] <= 1) {
			t.Fatalf("xhat[%d] = %v, not a probability", i, xhat[i])
		}
	}
	for i := count * model.Pixels; i < len(x); i++ {
		if x[i] != -1 || xhat[i] != -1 {
			t.Fatalf("Reconstruct wrote past its %d images, at %d", count, i)
		}
	}
	// xhat is the decoding of the code of x.
	z := make([]float32, c.Latent)
	want := make([]float32, model.Pixels)
	for _, i := range []int{0, 50, count - 1} {
		ae := s.Model.(model.Autoencoder)
		ae.Encode(z, x[i*model.Pixels:(i+1)*model.Pixels], 1)
		ae.Decode(want, z, 1)
		for p, w := range want {
			if g := xhat[i*model.Pixels+p]; math.Abs(float64(g-w)) > 1e-5 {
				t.Fatalf("image %d pixel %d: xhat %v, Decode(Encode(x)) %v", i, p, g, w)
			}
		}
	}
}

// TestProgress: Steps counts on from the steps given to New; an epoch of the
// 2000-digit subset at batch 50 is 40 steps.
func TestProgress(t *testing.T) {
	tr, te := subset(t)
	s, err := train.New(newModel(t, small()), tr, te, 7)
	if err != nil {
		t.Fatal(err)
	}
	if s.Batch() != 50 || s.Steps != 7 || s.Epoch() != 0 || s.Progress() != 0 {
		t.Fatalf("new session: batch %d, steps %d, epoch %d, progress %v", s.Batch(), s.Steps, s.Epoch(), s.Progress())
	}
	for i := 1; i <= 90; i++ {
		l := s.Step()
		if !(l[0] > 0) || !(l[1] > 0) || !(l[2] > 0) {
			t.Fatalf("step %d: losses %+v", i, l)
		}
		wantEpoch, wantProgress := i/40, float64(i%40)/40
		if s.Steps != 7+i || s.Epoch() != wantEpoch || s.Progress() != wantProgress {
			t.Fatalf("after %d steps: steps %d epoch %d progress %v, want %d, %d, %v", i, s.Steps, s.Epoch(), s.Progress(), 7+i, wantEpoch, wantProgress)
		}
	}
}

// TestStepTrains: steps change the model, and a few dozen lower its test
// loss.
func TestStepTrains(t *testing.T) {
	s := session(t, small())
	before := s.MeanTestLoss()
	for range 40 {
		s.Step()
	}
	after := s.MeanTestLoss()
	t.Logf("test loss %.1f → %.1f after 40 steps", before, after)
	if !(after < before-50) {
		t.Errorf("test loss went from %.1f to %.1f in 40 steps", before, after)
	}
}

func TestMean(t *testing.T) {
	var a train.Mean
	if v := a.Value(); v != (model.Losses{}) {
		t.Errorf("empty mean %+v", v)
	}
	steps := []model.Losses{
		{100, 1.5, 0.5},
		{200, 1.0, 1.0},
		{600, 0.5, 3.0},
	}
	for _, l := range steps {
		a.Add(l)
	}
	want := model.Losses{300, 1, 1.5}
	if v := a.Value(); a.Count != 3 || v != want {
		t.Errorf("mean of %+v: %+v over %d, want %+v", steps, v, a.Count, want)
	}
	a.Reset()
	if a.Count != 0 || a.Value() != (model.Losses{}) {
		t.Errorf("after Reset: %+v", a)
	}
	a.Add(model.Losses{42})
	if v := a.Value(); v != (model.Losses{42}) {
		t.Errorf("mean of one plain step %+v", v)
	}
}

func TestCodesAndLossMatchSeparatePasses(t *testing.T) {
	s := session(t, small())
	lat := s.Model.Config().Latent
	z1, z2 := make([]float32, 130*lat), make([]float32, 130*lat)
	s.EncodeTest(z1, 130)
	want, _ := s.TestLoss(0, 130)
	got, n := s.TestCodesAndLoss(z2, 0, 130)
	if n != 130 || got != want {
		t.Fatalf("one pass: %v over %d; separate passes: %v over 130", got, n, want)
	}
	for i := range z1 {
		if z1[i] != z2[i] {
			t.Fatalf("code %d: %v vs %v", i, z2[i], z1[i])
		}
	}
	// A range from an offset: the codes of those digits, their loss.
	z3 := make([]float32, 80*lat)
	part, n := s.TestCodesAndLoss(z3, 50, 80)
	if wantPart, _ := s.TestLoss(50, 80); n != 80 || part != wantPart {
		t.Fatalf("digits [50, 130): %v over %d; TestLoss %v", part, n, wantPart)
	}
	if !slices.Equal(z3, z1[50*lat:]) {
		t.Fatal("digits [50, 130): the codes differ from those of the whole pass")
	}
}
