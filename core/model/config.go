package model

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// Pixels is the number of pixels of an MNIST digit (28×28).
const Pixels = 784

// Config fully describes a model and how it trains; a .safetensors file
// carries it in its metadata so the file alone rebuilds the model.
type Config struct {
	Model         string  `json:"model"`         // kind: "aae" or "ae"
	Encoder       []int   `json:"encoder"`       // hidden widths, input side first; the decoder mirrors them
	Discriminator []int   `json:"discriminator"` // hidden widths of the discriminator on codes
	Latent        int     `json:"latent"`        // size of the code z
	Activation    string  `json:"activation"`    // hidden activation: relu, leakyrelu, sigmoid or tanh
	PriorStd      float64 `json:"prior_std"`     // σ of the Gaussian prior N(0, σ²I)
	Batch         int     `json:"batch"`         // examples per step
	Optimizer     string  `json:"optimizer"`     // adam or sgd
	LRRecon       float64 `json:"lr_recon"`      // learning rate of the reconstruction phase
	LRReg         float64 `json:"lr_reg"`        // learning rate of the regularisation phases
	Beta1         float64 `json:"beta1"`         // Adam β1
	Beta2         float64 `json:"beta2"`         // Adam β2
	Momentum      float64 `json:"momentum"`      // SGD momentum
	Seed          uint64  `json:"seed"`          // all randomness derives from it
}

// Defaults returns the default config: an AAE with a 2-D code that learns
// visibly within a minute in a browser tab.
//
// The widths are the "small" benchmark model (784-512-256-2). The prior
// N(0, 5²I) and batch 100 are the seeds'. Adam with β1 = 0.5 is the usual
// choice for adversarial training; the regularisation phases run at a
// fifth of the reconstruction rate so the code settles without collapsing.
func Defaults() Config {
	return Config{
		Model:         "aae",
		Encoder:       []int{512, 256},
		Discriminator: []int{256, 256},
		Latent:        2,
		Activation:    "relu",
		PriorStd:      5,
		Batch:         100,
		Optimizer:     "adam",
		LRRecon:       1e-3,
		LRReg:         2e-4,
		Beta1:         0.5,
		Beta2:         0.999,
		Momentum:      0.9,
		Seed:          1,
	}
}

// Presets returns named configs: "default" and "paper", the paper's
// likelihood model (784-1000-1000-8, discriminator 1000-1000).
func Presets() map[string]Config {
	paper := Defaults()
	paper.Encoder = []int{1000, 1000}
	paper.Discriminator = []int{1000, 1000}
	paper.Latent = 8
	return map[string]Config{"default": Defaults(), "paper": paper}
}

// Limits on configs, so that a config cannot ask a browser tab for more
// memory than it has.
const (
	MaxWidth  = 4096
	MaxLayers = 8
	MaxLatent = 1024
	MaxBatch  = 4096
	MaxParams = 50_000_000
)

// ParseConfig reads a config from JSON. Fields it leaves out keep their
// Defaults; unknown fields are an error, and so is an invalid result.
func ParseConfig(b []byte) (Config, error) {
	c := Defaults()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return Config{}, fmt.Errorf("model: config: %v", err)
	}
	if rest := bytes.TrimSpace(b[dec.InputOffset():]); len(rest) > 0 {
		return Config{}, fmt.Errorf("model: config: trailing data after the JSON object")
	}
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// JSON returns the config as one line of JSON.
func (c Config) JSON() string {
	b, err := json.Marshal(c)
	if err != nil {
		panic("model: " + err.Error())
	}
	return string(b)
}

// Validate reports the first problem with c, in words a person can act on.
func (c Config) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("model: config: "+format, args...)
	}
	if _, ok := registry[c.Model]; !ok {
		return bad("unknown model %q (want %s)", c.Model, strings.Join(Kinds(), ", "))
	}
	for _, layers := range []struct {
		name   string
		widths []int
	}{{"encoder", c.Encoder}, {"discriminator", c.Discriminator}} {
		if len(layers.widths) > MaxLayers {
			return bad("%s has %d hidden layers, at most %d", layers.name, len(layers.widths), MaxLayers)
		}
		for _, w := range layers.widths {
			if w < 1 || w > MaxWidth {
				return bad("%s width %d is outside 1..%d", layers.name, w, MaxWidth)
			}
		}
	}
	switch {
	case c.Latent < 1 || c.Latent > MaxLatent:
		return bad("latent size %d is outside 1..%d", c.Latent, MaxLatent)
	case c.Batch < 1 || c.Batch > MaxBatch:
		return bad("batch %d is outside 1..%d", c.Batch, MaxBatch)
	case !(c.PriorStd > 0 && c.PriorStd <= 1000):
		return bad("prior_std %v must be in (0, 1000]", c.PriorStd)
	case !(c.LRRecon > 0 && c.LRRecon <= 10):
		return bad("lr_recon %v must be in (0, 10]", c.LRRecon)
	case !(c.LRReg > 0 && c.LRReg <= 10):
		return bad("lr_reg %v must be in (0, 10]", c.LRReg)
	case !(c.Beta1 >= 0 && c.Beta1 < 1):
		return bad("beta1 %v must be in [0, 1)", c.Beta1)
	case !(c.Beta2 >= 0 && c.Beta2 < 1):
		return bad("beta2 %v must be in [0, 1)", c.Beta2)
	case !(c.Momentum >= 0 && c.Momentum < 1):
		return bad("momentum %v must be in [0, 1)", c.Momentum)
	case c.Optimizer != "adam" && c.Optimizer != "sgd":
		return bad("unknown optimizer %q (want adam or sgd)", c.Optimizer)
	case c.Seed > 1<<53:
		return bad("seed %d is above 2^53, which JavaScript cannot represent exactly", c.Seed)
	}
	if a := c.Activation; a != "relu" && a != "leakyrelu" && a != "sigmoid" && a != "tanh" {
		return bad("unknown activation %q (want relu, leakyrelu, sigmoid or tanh)", a)
	}
	if p := c.ParamCount(); p > MaxParams {
		return bad("%d parameters, more than the %d a browser tab can train", p, MaxParams)
	}
	return nil
}

// ParamCount returns the number of parameters of the encoder, decoder and
// (for adversarial kinds) discriminator that c describes.
func (c Config) ParamCount() int {
	n := 0
	for _, sizes := range c.Nets() {
		for l := 0; l+1 < len(sizes); l++ {
			n += sizes[l]*sizes[l+1] + sizes[l+1]
		}
	}
	return n
}

// Nets returns the layer sizes of each network c describes, by the name its
// tensors carry: encoder Pixels→…→Latent, decoder Latent→…→Pixels (the
// encoder's widths reversed) and, unless the kind is "ae", discriminator
// Latent→…→1.
func (c Config) Nets() map[string][]int {
	enc := append(append([]int{Pixels}, c.Encoder...), c.Latent)
	dec := make([]int, len(enc))
	for i, s := range enc {
		dec[len(enc)-1-i] = s
	}
	nets := map[string][]int{"encoder": enc, "decoder": dec}
	if c.Model != "ae" {
		nets["discriminator"] = append(append([]int{c.Latent}, c.Discriminator...), 1)
	}
	return nets
}

// LR returns the learning rates as float32.
func (c Config) LR() (recon, reg float32) {
	return float32(c.LRRecon), float32(c.LRReg)
}
