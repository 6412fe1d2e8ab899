package gan_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"latentlab/core/data"
	"latentlab/core/gan"
	"latentlab/core/model"
	"latentlab/core/modeltest"
	"latentlab/core/nn"
)

func small(kind string) model.Config {
	c := model.Defaults()
	c.Model, c.Latent, c.Encoder, c.Discriminator, c.Batch, c.PriorStd = kind, 4, []int{16}, []int{12}, 10, 1
	return c
}

// variants take every code path between them: each loss, k
// discriminator steps (an uneven split), batch norm, dropout, both priors.
var variants = []struct {
	name string
	edit func(*model.Config)
}{
	{"gan", func(c *model.Config) {}},
	{"gan-minimax-k3-bn-dropout", func(c *model.Config) {
		c.GANLoss, c.DiscSteps, c.BatchNorm, c.Dropout = "minimax", 3, true, 0.25
	}},
	{"gan-ml-uniform", func(c *model.Config) { c.GANLoss, c.Prior = "ml", "uniform" }},
	{"gan-lsgan-k2", func(c *model.Config) { c.GANLoss, c.DiscSteps = "lsgan", 2 }},
	{"aegan", func(c *model.Config) { c.Model = "aegan" }},
	{"aegan-lsgan-bn-dropout", func(c *model.Config) {
		c.Model, c.GANLoss, c.BatchNorm, c.Dropout, c.AdvWeight = "aegan", "lsgan", true, 0.2, 0.5
	}},
	{"bigan", func(c *model.Config) { c.Model, c.Prior = "bigan", "uniform" }},
	{"bigan-minimax-bn-dropout", func(c *model.Config) {
		c.Model, c.GANLoss, c.BatchNorm, c.Dropout = "bigan", "minimax", true, 0.2
	}},
}

func variant(i int) model.Config {
	c := small("gan")
	variants[i].edit(&c)
	return c
}

// TestSameSeedSameLosses: the same seed gives identical losses, through
// steps and phases run alone, another seed different ones.
func TestSameSeedSameLosses(t *testing.T) {
	tr, te := modeltest.Subset(t)
	for i, v := range variants {
		run := func(seed uint64) []model.Losses {
			c := variant(i)
			c.Seed = seed
			s := modeltest.Session(t, c, tr, te)
			var ls []model.Losses
			for range 5 {
				ls = append(ls, s.Step())
			}
			for _, phase := range []string{"gen", "disc", "gen"} {
				l, err := s.StepPhase(phase)
				if err != nil {
					t.Fatal(err)
				}
				ls = append(ls, l)
			}
			return ls
		}
		a, b, other := run(7), run(7), run(8)
		for j := range a {
			if a[j] != b[j] || !finite(a[j]) {
				t.Fatalf("%s step %d: %v then %v with the same seed", v.name, j, a[j], b[j])
			}
		}
		if a[4] == other[4] {
			t.Errorf("%s: seeds 7 and 8 gave the same losses", v.name)
		}
	}
}

// TestStepAllocatesNothing covers the training step and each phase of
// every variant.
func TestStepAllocatesNothing(t *testing.T) {
	tr, te := modeltest.Subset(t)
	for i, v := range variants {
		s := modeltest.Session(t, variant(i), tr, te)
		if a := testing.AllocsPerRun(5, func() { s.Step() }); a != 0 {
			t.Errorf("%s: a training step allocates %v times", v.name, a)
		}
		for _, phase := range []string{"disc", "gen"} {
			if a := testing.AllocsPerRun(5, func() { s.StepPhase(phase) }); a != 0 {
				t.Errorf("%s: phase %s allocates %v times", v.name, phase, a)
			}
		}
	}
}

// nets returns the generator side's networks and the discriminator of a
// model of this package.
func nets(m model.Model) (gen []*nn.MLP, disc *nn.MLP) {
	switch m := m.(type) {
	case *gan.Model:
		return []*nn.MLP{m.Gen}, m.Disc()
	case *gan.AEGAN:
		return []*nn.MLP{m.Enc, m.Dec}, m.Disc()
	case *gan.BiGAN:
		return []*nn.MLP{m.Enc, m.Gen}, m.Disc()
	}
	panic(fmt.Sprintf("not a model of package gan: %T", m))
}

// TestPhases: the "disc" phase changes the discriminator's parameters and
// no other network's, and reports the discriminator's losses only; the
// "gen" phase changes every network but the discriminator and reports
// the generator side's losses only. Batch norm is on, as in the gan
// preset (its running statistics are state, not parameters: a
// discriminator phase, which runs the generator in training mode, moves
// them as PyTorch would).
func TestPhases(t *testing.T) {
	tr, te := modeltest.Subset(t)
	for i, v := range variants {
		c := variant(i)
		s := modeltest.Session(t, c, tr, te)
		s.Step()
		gens, disc := nets(s.Model)
		names := s.Model.LossNames()
		if got := s.Model.(model.PhaseStepper).Phases(); !slices.Equal(got, []string{"disc", "gen"}) {
			t.Fatalf("%s: phases %v", v.name, got)
		}
		for _, phase := range []string{"disc", "gen"} {
			before := make([][]float32, len(gens))
			for j, g := range gens {
				before[j] = slices.Clone(g.Params)
			}
			discBefore := slices.Clone(disc.Params)
			l, err := s.StepPhase(phase)
			if err != nil {
				t.Fatal(err)
			}
			discMoved := !slices.Equal(discBefore, disc.Params)
			for j, g := range gens {
				if moved := !slices.Equal(before[j], g.Params); moved != (phase == "gen") {
					t.Errorf("%s: phase %s: generator-side network %d moved: %v", v.name, phase, j, moved)
				}
			}
			if discMoved != (phase == "disc") {
				t.Errorf("%s: phase %s: discriminator moved: %v", v.name, phase, discMoved)
			}
			for j, name := range names {
				discLoss := name == "disc" || name == "d_real" || name == "d_fake"
				if (l[j] != 0) != (discLoss == (phase == "disc")) {
					t.Errorf("%s: phase %s reports %s = %v", v.name, phase, name, l[j])
				}
			}
		}
		if _, err := s.StepPhase("recon"); err == nil {
			t.Errorf("%s: an unknown phase ran", v.name)
		}
	}
}

// TestLayers: batch norm goes in the generator side's networks only,
// dropout in the discriminator only, as in the references.
func TestLayers(t *testing.T) {
	for i, v := range variants {
		c := variant(i)
		m, err := model.New(c)
		if err != nil {
			t.Fatal(err)
		}
		gens, disc := nets(m)
		for _, g := range gens {
			if g.Opts.BatchNorm != c.BatchNorm || g.Opts.Dropout != 0 {
				t.Errorf("%s: generator-side network with %+v", v.name, g.Opts)
			}
		}
		if disc.Opts.BatchNorm || disc.Opts.Dropout != c.Dropout {
			t.Errorf("%s: discriminator with %+v", v.name, disc.Opts)
		}
	}
}

// TestFileRoundTrip: every variant comes back from its file generating
// the same digits from the same noise, with the same codes and
// reconstruction loss where it has them, its tensors named and shaped as
// PyTorch's nn.Sequential gives them; a truncated file is an error.
func TestFileRoundTrip(t *testing.T) {
	tr, te := modeltest.Subset(t)
	x := images(te, 10)
	for i, v := range variants {
		c := variant(i)
		s := modeltest.Session(t, c, tr, te)
		for range 5 {
			s.Step()
		}
		m := modeltest.RoundTrip(t, s)
		if a, b := samples(s.Model.(model.Generator), c, 10), samples(m.(model.Generator), c, 10); !slices.Equal(a, b) {
			t.Errorf("%s: different digits from the same noise after loading", v.name)
		}
		if e, ok := m.(model.Encoder); ok {
			za, zb := make([]float32, 10*c.Latent), make([]float32, 10*c.Latent)
			s.Model.(model.Encoder).Encode(za, x, 10)
			e.Encode(zb, x, 10)
			if !slices.Equal(za, zb) {
				t.Errorf("%s: different codes after loading", v.name)
			}
			ra, rb := s.Model.(model.Autoencoder).ReconLoss(nil, x, 10), m.(model.Autoencoder).ReconLoss(nil, x, 10)
			if ra != rb {
				t.Errorf("%s: reconstruction loss %v before saving, %v after", v.name, ra, rb)
			}
		}
		discIn, gen := 784, "generator"
		switch c.Model {
		case "bigan":
			discIn = 784 + c.Latent
		case "aegan":
			gen = "decoder"
		}
		per := 2 // modules per hidden layer
		if c.BatchNorm {
			per++
		}
		want := map[string][]int{
			gen + ".0.weight": {16, c.Latent}, fmt.Sprintf("%s.%d.weight", gen, per): {784, 16},
			"discriminator.0.weight": {12, discIn}, fmt.Sprintf("discriminator.%d.bias", 2+btoi(c.Dropout > 0)): {1},
		}
		if c.Model != "gan" {
			want["encoder.0.weight"] = []int{16, 784}
			want[fmt.Sprintf("encoder.%d.weight", per)] = []int{c.Latent, 16}
		}
		if c.BatchNorm {
			want[gen+".1.running_var"] = []int{16}
		}
		for _, ts := range m.Tensors() {
			if shape, ok := want[ts.Name]; ok {
				if fmt.Sprint(shape) != fmt.Sprint(ts.Shape) {
					t.Errorf("%s: %s: shape %v, want %v", v.name, ts.Name, ts.Shape, shape)
				}
				delete(want, ts.Name)
			}
		}
		if len(want) > 0 {
			t.Errorf("%s: missing tensors %v", v.name, want)
		}
		if !c.BatchNorm {
			n := 0
			for _, ts := range m.Tensors() {
				n += len(ts.Data)
			}
			if n != c.ParamCount() {
				t.Errorf("%s: ParamCount %d, the tensors hold %d", v.name, c.ParamCount(), n)
			}
		}
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestCheck: the kinds refuse the configs that cannot train, saying why,
// and accept their presets (the BiGAN's with uniform noise).
func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		edit func(*model.Config)
		want string
	}{
		{func(c *model.Config) { c.DiscSteps = 11 }, "disc_steps 11"},
		{func(c *model.Config) { c.Model, c.DiscSteps = "aegan", 2 }, `disc_steps is not read by "aegan", only by the gan kind`},
		{func(c *model.Config) { c.Model, c.DiscSteps = "bigan", 2 }, `disc_steps is not read by "bigan"`},
		{func(c *model.Config) { c.Prior, c.Latent = "mixture", 1 }, "2-D"},
	} {
		c := small("gan")
		tc.edit(&c)
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one saying %q", c.JSON(), err, tc.want)
		}
	}
	presets := model.Presets()
	for _, name := range []string{"gan", "aegan", "bigan"} {
		c, ok := presets[name]
		if !ok || c.Model != name {
			t.Fatalf("no preset %s", name)
		}
		if err := c.Validate(); err != nil {
			t.Errorf("preset %s: %v", name, err)
		}
	}
	if c := presets["bigan"]; c.Prior != "uniform" || c.Latent != 16 {
		t.Errorf("bigan preset: prior %s, latent %d", c.Prior, c.Latent)
	}
	if c := presets["gan"]; !c.BatchNorm || c.Nets()["generator"][1] != 128 {
		t.Errorf("gan preset: batchnorm %v, generator %v", c.BatchNorm, c.Nets()["generator"])
	}
}

// fixedEncoder encodes a digit as its first pixel.
type fixedEncoder struct{}

func (fixedEncoder) Encode(z, x []float32, n int) {
	for i := range n {
		z[i] = x[i*model.Pixels]
	}
}

// TestNNAccuracy: codes that carry the label classify perfectly; codes
// that carry another digit's label as often as chance has it.
func TestNNAccuracy(t *testing.T) {
	set := func(labels []uint8, code func(i int) uint8) *data.Set {
		s := &data.Set{N: len(labels), Rows: 28, Cols: 28, Pix: make([]uint8, len(labels)*model.Pixels), Labels: labels}
		for i := range labels {
			s.Pix[i*model.Pixels] = code(i)
		}
		return s
	}
	r := rand.New(rand.NewPCG(1, 1))
	refLabels, queryLabels := make([]uint8, 300), make([]uint8, 500)
	for i := range refLabels {
		refLabels[i] = uint8(r.IntN(10))
	}
	for i := range queryLabels {
		queryLabels[i] = uint8(r.IntN(10))
	}
	ref := set(refLabels, func(i int) uint8 { return 20*refLabels[i] + uint8(r.IntN(5)) })
	query := set(queryLabels, func(i int) uint8 { return 20*queryLabels[i] + uint8(r.IntN(5)) })
	if acc := gan.NNAccuracy(fixedEncoder{}, 1, 7, ref, query); acc != 1 {
		t.Errorf("codes that carry the label: accuracy %v", acc)
	}
	blind := set(queryLabels, func(int) uint8 { return uint8(20 * r.IntN(10)) })
	if acc := gan.NNAccuracy(fixedEncoder{}, 1, 7, ref, blind); acc > 0.2 {
		t.Errorf("codes that carry no label: accuracy %v", acc)
	}
	// Evaluate on the committed subset: a fraction.
	tr, te := modeltest.Subset(t)
	m, _ := model.New(variant(6))
	acc := m.(model.Evaluator).Evaluate(tr, te)["nn_accuracy"]
	t.Logf("untrained BiGAN on the test subset: nn_accuracy %.3f", acc)
	if !(acc > 0.1 && acc <= 1) {
		t.Errorf("nn_accuracy %v", acc)
	}
}

// TestConformance: the shared checks (core/modeltest) on every variant;
// their losses fight, so none need fall.
func TestConformance(t *testing.T) {
	for i, v := range variants {
		t.Run(v.name, func(t *testing.T) { modeltest.Conformance(t, variant(i), modeltest.Options{}) })
	}
}
