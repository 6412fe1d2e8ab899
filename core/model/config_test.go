package model_test

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	_ "latentlab/core/aae" // registers "aae" and "ae"
	"latentlab/core/model"
)

// TestParseConfigDefaults: fields a config leaves out keep their Defaults.
func TestParseConfigDefaults(t *testing.T) {
	for _, tc := range []struct {
		json string
		edit func(*model.Config) // what the JSON changes from Defaults
	}{
		{`{}`, func(*model.Config) {}},
		{`  {}  `, func(*model.Config) {}},
		{`{"latent": 3}`, func(c *model.Config) { c.Latent = 3 }},
		{`{"model": "ae", "encoder": [40, 20]}`, func(c *model.Config) { c.Model = "ae"; c.Encoder = []int{40, 20} }},
		{`{"encoder": [], "lr_recon": 0.01, "seed": 9007199254740992}`, func(c *model.Config) {
			c.Encoder = []int{}
			c.LRRecon = 0.01
			c.Seed = 1 << 53
		}},
		{`{"optimizer": "sgd", "momentum": 0, "activation": "tanh", "prior_std": 1}`, func(c *model.Config) {
			c.Optimizer = "sgd"
			c.Momentum = 0
			c.Activation = "tanh"
			c.PriorStd = 1
		}},
	} {
		want := model.Defaults()
		tc.edit(&want)
		got, err := model.ParseConfig([]byte(tc.json))
		if err != nil {
			t.Errorf("%s: %v", tc.json, err)
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %s\nwant %s", tc.json, got.JSON(), want.JSON())
		}
	}
}

// TestParseConfigErrors: every invalid config is an error that names what is
// wrong with it.
func TestParseConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		json, want string
	}{
		{`{"latnet": 3}`, `"latnet"`},
		{`{"prior": "cauchy"}`, `prior "cauchy"`},
		{`{"posterior": "exact"}`, `posterior "exact"`},
		{`{"gan_loss": "wasserstein"}`, `gan_loss "wasserstein"`},
		{`{"classes": 1}`, "classes 1"},
		{`{"dropout": 1}`, "dropout 1"},
		{`{"disc_steps": 0}`, "disc_steps 0"},
		{`{"levels": 1}`, "levels 1"},
		{`{"labels": -1}`, "labels -1"},
		{`{"valid": -1}`, "valid -1"},
		{`{"valid": 60000}`, "valid 60000: hold out 0 to 50000"},
		{`{"labels": 70000, "prior": "mixture"}`, "labels 70000: MNIST has 60000 training digits"},
		{`{"noise": -2}`, "noise size -2"},
		{`{"adv_weight": -1}`, "adv_weight -1"},
		{`{"lr_schedule": "step:3,2:0.5"}`, "lr_schedule"},
		{`{"latent": 3} {}`, "trailing"},
		{`{"latent": 3}}`, "trailing"},
		{`{"latent": 3} x`, "trailing"},
		{``, "model: config"},
		{`{"latent": "3"}`, "latent"},
		{`[1, 2]`, "model: config"},
		{`{"encoder": [-1]}`, "encoder width -1"},
		{`{"encoder": [64, 0]}`, "encoder width 0"},
		{`{"encoder": [4097]}`, "encoder width 4097"},
		{`{"discriminator": [0]}`, "discriminator width 0"},
		{`{"discriminator": [8, -3]}`, "discriminator width -3"},
		{`{"encoder": [1, 1, 1, 1, 1, 1, 1, 1, 1]}`, "encoder has 9 hidden layers"},
		{`{"discriminator": [1, 1, 1, 1, 1, 1, 1, 1, 1]}`, "discriminator has 9 hidden layers"},
		{`{"latent": 0}`, "latent"},
		{`{"latent": 1025}`, "latent"},
		{`{"batch": 0}`, "batch"},
		{`{"batch": 4097}`, "batch"},
		{`{"prior_std": 0}`, "prior_std"},
		{`{"lr_recon": 0}`, "lr_recon"},
		{`{"lr_recon": -1}`, "lr_recon"},
		{`{"lr_reg": 0}`, "lr_reg"},
		{`{"lr_reg": -0.5}`, "lr_reg"},
		{`{"beta1": 1}`, "beta1"},
		{`{"beta1": -0.1}`, "beta1"},
		{`{"beta2": 1}`, "beta2"},
		{`{"momentum": 1}`, "momentum"},
		{`{"optimizer": "rmsprop"}`, `optimizer "rmsprop"`},
		{`{"activation": "gelu"}`, `activation "gelu"`},
		{`{"model": "vae"}`, `model "vae"`},
		{`{"model": ""}`, `model ""`},
		{`{"seed": 9007199254740993}`, "seed"},
		{`{"seed": -1}`, "seed"},
		{`{"encoder": [4096, 4096, 4096, 4096]}`, "parameters"},
		{`{"model": "ae", "discriminator": [8]}`, `discriminator is not read by "ae", only by the aae kind`},
	} {
		_, err := model.ParseConfig([]byte(tc.json))
		if err == nil {
			t.Errorf("%s: no error", tc.json)
			continue
		}
		if msg := err.Error(); !strings.HasPrefix(msg, "model: config: ") || !strings.Contains(msg, tc.want) {
			t.Errorf("%s: error %q, want one starting \"model: config: \" and naming %s", tc.json, msg, tc.want)
		}
	}
}

// TestConfigJSONRoundTrip: JSON gives back the same config through
// ParseConfig, for every preset and a config changed in every field.
// TestParseConfigOverKeepsBase: the JSON fills a copy of base's lists,
// not base's own.
func TestParseConfigOverKeepsBase(t *testing.T) {
	base := model.Defaults()
	base.Encoder = []int{16, 8}
	c, err := model.ParseConfigOver(base, []byte(`{"encoder": [7, 5], "discriminator": [3]}`))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(base.Encoder, []int{16, 8}) || !slices.Equal(base.Discriminator, model.Defaults().Discriminator) {
		t.Errorf("base changed to %v, %v", base.Encoder, base.Discriminator)
	}
	if !slices.Equal(c.Encoder, []int{7, 5}) || !slices.Equal(c.Discriminator, []int{3}) {
		t.Errorf("parsed %v, %v", c.Encoder, c.Discriminator)
	}
}

func TestConfigJSONRoundTrip(t *testing.T) {
	odd := model.Config{
		Model: "aae", Encoder: []int{7, 5, 3}, Discriminator: []int{}, Latent: 4,
		Activation: "leakyrelu", PriorStd: 0.25, Batch: 17, Optimizer: "sgd",
		LRRecon: 0.0123, LRReg: 3e-5, Beta1: 0.9, Beta2: 0.99, Momentum: 0.5,
		Seed: 1<<53 - 1, Prior: "swissroll", Posterior: "universal", Noise: 3, Labels: 77,
		Classes: 16, Dropout: 0.25, BatchNorm: true, GANLoss: "lsgan", DiscSteps: 3, AdvWeight: 1, Levels: 8,
	}
	configs := map[string]model.Config{"odd": odd}
	for name, c := range model.Presets() {
		configs[name] = c
	}
	for name, c := range configs {
		j := c.JSON()
		if strings.Contains(j, "\n") {
			t.Errorf("%s: JSON is not one line: %s", name, j)
		}
		got, err := model.ParseConfig([]byte(j))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !reflect.DeepEqual(got, c) {
			t.Errorf("%s: %s came back as %s", name, j, got.JSON())
		}
	}
}

// TestPresets: "default" is Defaults; "paper" is the paper's likelihood model
// and its parameter count is the one computed by hand.
func TestPresets(t *testing.T) {
	presets := model.Presets()
	if !reflect.DeepEqual(presets["default"], model.Defaults()) {
		t.Errorf("preset default %s differs from Defaults %s", presets["default"].JSON(), model.Defaults().JSON())
	}
	paper, ok := presets["paper"]
	if !ok {
		t.Fatal("no paper preset")
	}
	if err := paper.Validate(); err != nil {
		t.Fatal(err)
	}
	want := map[string][]int{
		"encoder":       {784, 1000, 1000, 8},
		"decoder":       {8, 1000, 1000, 784},
		"discriminator": {8, 1000, 1000, 1},
	}
	if got := paper.Nets(); !reflect.DeepEqual(got, want) {
		t.Errorf("paper nets %v, want %v", got, want)
	}
	enc := 784*1000 + 1000 + 1000*1000 + 1000 + 1000*8 + 8
	dec := 8*1000 + 1000 + 1000*1000 + 1000 + 1000*784 + 784
	disc := 8*1000 + 1000 + 1000*1000 + 1000 + 1000*1 + 1
	if got := paper.ParamCount(); got != enc+dec+disc {
		t.Errorf("paper has %d parameters, want %d", got, enc+dec+disc)
	}
	// Presets returns fresh copies: editing one does not change the next.
	presets["paper"].Encoder[0] = 3
	if model.Presets()["paper"].Encoder[0] != 1000 {
		t.Error("editing a returned preset changed the presets")
	}
}

// TestKindAE: the plain autoencoder has no discriminator, in its layer sizes,
// its parameter count and its tensors.
func TestKindAE(t *testing.T) {
	if kinds := model.Kinds(); !slices.Contains(kinds, "ae") || !slices.Contains(kinds, "aae") || !slices.IsSorted(kinds) {
		t.Fatalf("kinds %v", kinds)
	}
	c := model.Defaults()
	c.Encoder = []int{30}
	c.Discriminator = []int{20}
	c.Latent = 3
	aae := c
	c.Model, c.Discriminator = "ae", model.Defaults().Discriminator
	nets := c.Nets()
	if _, ok := nets["discriminator"]; ok || len(nets) != 2 {
		t.Errorf("ae nets %v", nets)
	}
	encDec := 784*30 + 30 + 30*3 + 3 + // encoder 784-30-3
		3*30 + 30 + 30*784 + 784 // decoder 3-30-784
	if got := c.ParamCount(); got != encDec {
		t.Errorf("ae has %d parameters, want %d", got, encDec)
	}
	if got, want := aae.ParamCount(), encDec+3*20+20+20+1; got != want {
		t.Errorf("aae has %d parameters, want %d", got, want)
	}
	m, err := model.New(c)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, ts := range m.Tensors() {
		if strings.HasPrefix(ts.Name, "discriminator") {
			t.Errorf("ae model has tensor %s", ts.Name)
		}
		n += len(ts.Data)
	}
	if n != encDec {
		t.Errorf("ae tensors hold %d values, want %d", n, encDec)
	}
}

// TestNewInvalid: New validates.
func TestNewInvalid(t *testing.T) {
	c := model.Defaults()
	c.LRRecon = -1
	if m, err := model.New(c); err == nil || m != nil || !strings.Contains(err.Error(), "lr_recon") {
		t.Errorf("New of an invalid config gave %v, %v", m, err)
	}
	c = model.Defaults()
	c.Model = "gan"
	if _, err := model.New(c); err == nil || !strings.Contains(err.Error(), "aae") {
		t.Errorf("New of an unknown kind gave %v; want the kinds listed", err)
	}
}

// TestNewRand: a stream is reproducible from the seed, and streams and seeds
// differ from one another.
func TestNewRand(t *testing.T) {
	draw := func(seed, stream uint64) []uint64 {
		c := model.Defaults()
		c.Seed = seed
		r := model.NewRand(c, stream)
		v := make([]uint64, 8)
		for i := range v {
			v[i] = r.Uint64()
		}
		return v
	}
	a := draw(1, 0)
	if !slices.Equal(a, draw(1, 0)) {
		t.Error("the same seed and stream gave different numbers")
	}
	for _, other := range [][2]uint64{{1, 1}, {1, 2}, {2, 0}, {0, 0}} {
		if slices.Equal(a, draw(other[0], other[1])) {
			t.Errorf("seed 1 stream 0 and seed %d stream %d gave the same numbers", other[0], other[1])
		}
	}
	if slices.Equal(draw(2, 1), draw(1, 2)) {
		t.Error("seed 2 stream 1 equals seed 1 stream 2")
	}
}
