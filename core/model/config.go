package model

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"latentlab/core/schedule"
)

// Side is the width and height of an MNIST digit; Pixels its pixel count.
const (
	Side   = 28
	Pixels = Side * Side
)

// Config fully describes a model and how it trains; a .safetensors file
// carries it in its metadata so the file alone rebuilds the model.
type Config struct {
	Model         string  `json:"model"`         // kind (see Kinds): "aae", "ae", ...
	Encoder       []int   `json:"encoder"`       // hidden widths, input side first; the decoder (generator) mirrors them
	Discriminator []int   `json:"discriminator"` // hidden widths of the discriminator
	Latent        int     `json:"latent"`        // size of the code z (a generator's noise)
	Activation    string  `json:"activation"`    // hidden activation: relu, leakyrelu, sigmoid or tanh
	Prior         string  `json:"prior"`         // prior on codes: gaussian, mixture, swissroll or uniform
	PriorStd      float64 `json:"prior_std"`     // scale of the prior: σ of the Gaussian (see package prior for the others)
	Posterior     string  `json:"posterior"`     // AAE encoder: deterministic, gaussian or universal
	Noise         int     `json:"noise"`         // size of the noise η fed with x to a universal-approximator encoder
	Labels        int     `json:"labels"`        // training digits whose labels training may use (0: none)
	Valid         int     `json:"valid"`         // the last training digits held out, never trained on, for validation (0: none)
	Classes       int     `json:"classes"`       // categories of a classifying model (10 digits; K clusters)
	Dropout       float64 `json:"dropout"`       // dropout rate after each hidden activation (0: off)
	InputNoise    float64 `json:"input_noise"`   // σ of Gaussian noise on an AAE encoder's input in training (0: off)
	InputDropout  float64 `json:"input_dropout"` // rate of dropout on a semi-supervised or clustering encoder's input pixels in training (0: off)
	LogitNorm     float64 `json:"logit_norm"`    // scale of the batch-normalised logits of a semi-supervised or clustering y (0: not normalised)
	BatchNorm     bool    `json:"batchnorm"`     // batch normalisation before each hidden activation
	GANLoss       string  `json:"gan_loss"`      // generator loss: minimax, nonsaturating, ml or lsgan
	DiscSteps     int     `json:"disc_steps"`    // discriminator steps per generator step
	AdvWeight     float64 `json:"adv_weight"`    // weight of the adversarial loss beside reconstruction
	Levels        int     `json:"levels"`        // intensity levels of an autoregressive pixel model
	Batch         int     `json:"batch"`         // examples per step
	Optimizer     string  `json:"optimizer"`     // adam or sgd
	LRRecon       float64 `json:"lr_recon"`      // learning rate of the reconstruction phase
	LRReg         float64 `json:"lr_reg"`        // learning rate of the regularisation phases
	LRSchedule    string  `json:"lr_schedule"`   // learning rates' factor by epoch: "" constant, "step:E1,E2:F", "exp:F" (see Schedule)
	Beta1         float64 `json:"beta1"`         // Adam β1
	Beta2         float64 `json:"beta2"`         // Adam β2
	Momentum      float64 `json:"momentum"`      // SGD momentum
	Seed          uint64  `json:"seed"`          // all randomness derives from it
}

// Defaults returns the default config: an AAE with a 2-D code that learns
// visibly within a minute in a browser tab.
//
// The widths are the "small" benchmark model (784-512-256-2). The prior
// N(0, 5²I) and batch 100 are the references'. Adam with β1 = 0.5 is the usual
// choice for adversarial training; the regularisation phases run at a
// fifth of the reconstruction rate so the code settles without collapsing.
func Defaults() Config {
	return Config{
		Model:         "aae",
		Encoder:       []int{512, 256},
		Discriminator: []int{256, 256},
		Latent:        2,
		Activation:    "relu",
		Prior:         "gaussian",
		PriorStd:      5,
		Posterior:     "deterministic",
		Noise:         0,
		Labels:        0,
		Valid:         0,
		Classes:       10,
		Dropout:       0,
		BatchNorm:     false,
		GANLoss:       "nonsaturating",
		DiscSteps:     1,
		AdvWeight:     1,
		Levels:        4,
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

// Limits on configs, so that a config cannot ask a browser tab for more
// memory than it has.
const (
	MaxWidth  = 4096
	MaxLayers = 8
	MaxLatent = 1024
	MaxBatch  = 4096
	MaxParams = 50_000_000
	MaxValid  = 50_000
	MaxLabels = 60_000 // MNIST's training digits: a config naming this many uses every label
)

// ParseConfig reads a config from JSON. Fields it leaves out keep their
// Defaults; unknown fields are an error, and so is an invalid result.
func ParseConfig(b []byte) (Config, error) { return ParseConfigOver(Defaults(), b) }

// ParseConfigOver reads a config from JSON as ParseConfig does, but fields
// it leaves out keep base's values rather than the defaults. base is
// left as it was (its lists are copied before the JSON fills them).
func ParseConfigOver(base Config, b []byte) (Config, error) {
	c := base
	c.Encoder, c.Discriminator = slices.Clone(base.Encoder), slices.Clone(base.Discriminator)
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
	kind, ok := registry[c.Model]
	if !ok {
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
	case !validSchedule(c.LRSchedule):
		_, err := schedule.Parse(c.LRSchedule)
		return bad("%v", err)
	case c.Optimizer != "adam" && c.Optimizer != "sgd":
		return bad("unknown optimizer %q (want adam or sgd)", c.Optimizer)
	case c.Seed > 1<<53:
		return bad("seed %d is above 2^53, which JavaScript cannot represent exactly", c.Seed)
	}
	for _, f := range [][2]string{{"activation", c.Activation}, {"prior", c.Prior}, {"posterior", c.Posterior}, {"gan_loss", c.GANLoss}} {
		if err := checkChoice(f[0], f[1]); err != nil {
			return bad("%v", err)
		}
	}
	switch {
	case c.Noise < 0 || c.Noise > MaxLatent:
		return bad("noise size %d is outside 0..%d", c.Noise, MaxLatent)
	case c.Labels < 0:
		return bad("labels %d is negative (0 uses none)", c.Labels)
	case c.Labels > MaxLabels:
		return bad("labels %d: MNIST has %d training digits (labels %d uses every label)", c.Labels, MaxLabels, MaxLabels)
	case c.Valid < 0 || c.Valid > MaxValid:
		return bad("valid %d: hold out 0 to %d training digits", c.Valid, MaxValid)
	case c.Classes < 2 || c.Classes > 256:
		return bad("classes %d is outside 2..256", c.Classes)
	case !(c.Dropout >= 0 && c.Dropout < 1):
		return bad("dropout %v must be in [0, 1)", c.Dropout)
	case !(c.InputNoise >= 0 && c.InputNoise <= 10):
		return bad("input_noise %v must be in [0, 10]", c.InputNoise)
	case !(c.InputDropout >= 0 && c.InputDropout < 1):
		return bad("input_dropout %v must be in [0, 1)", c.InputDropout)
	case !(c.LogitNorm >= 0 && c.LogitNorm <= 100):
		return bad("logit_norm %v must be in [0, 100]", c.LogitNorm)
	case c.DiscSteps < 1 || c.DiscSteps > 100:
		return bad("disc_steps %d is outside 1..100", c.DiscSteps)
	case !(c.AdvWeight >= 0 && c.AdvWeight <= 1000):
		return bad("adv_weight %v must be in [0, 1000]", c.AdvWeight)
	case c.Levels < 2 || c.Levels > 256:
		return bad("levels %d is outside 2..256", c.Levels)
	}
	// The kind's own checks first: they say what to do in its terms.
	if kind.Check != nil {
		if err := kind.Check(c); err != nil {
			return bad("%v", err)
		}
	}
	// A field some kinds read (Kind.Fields) is refused, set off its
	// default, for the others.
	if err := checkKinds(c); err != nil {
		return bad("%v", err)
	}
	if p := c.ParamCount(); p > MaxParams {
		return bad("%d parameters, more than the %d a browser tab can train", p, MaxParams)
	}
	return nil
}

// ParamCount returns the number of parameters of the networks c describes
// (see Nets).
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
// tensors carry, as c's kind lays them out (Kind.Nets), or by default
// AutoencoderNets.
func (c Config) Nets() map[string][]int {
	if k, ok := registry[c.Model]; ok && k.Nets != nil {
		return k.Nets(c)
	}
	return AutoencoderNets(c)
}

// AutoencoderNets is the adversarial autoencoder's layout: encoder
// Pixels→…→Latent, decoder Latent→…→Pixels (the encoder's widths reversed)
// and, unless the kind is "ae", discriminator Latent→…→1.
func AutoencoderNets(c Config) map[string][]int {
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

// Tunable lists the config fields a training may change as it continues
// from a file: how it steps, not what the model is, what its state holds
// or how its batches are drawn (a GAN's discriminator steps split each
// batch's rows among them, and draw the same batches).
var Tunable = []string{"lr_recon", "lr_reg", "lr_schedule", "beta1", "beta2", "momentum", "disc_steps"}

func validSchedule(s string) bool {
	_, err := schedule.Parse(s)
	return err == nil
}

// RetuneError is Retune's error: the fields, not Tunable, in which the
// config asked for differs from the model's.
type RetuneError struct {
	Fields []string
	msg    string
}

func (e *RetuneError) Error() string { return e.msg }

// Retune compares asked with c, the config a model was built with: it
// returns the Tunable fields in which they differ, or a *RetuneError
// naming every other field that differs (with both values), which a model
// cannot change as it continues.
func Retune(c, asked Config) (changed []string, err error) {
	var was, now map[string]json.RawMessage
	if err := json.Unmarshal([]byte(c.JSON()), &was); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(asked.JSON()), &now); err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(was))
	for k := range was {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var fields, refused []string
	for _, k := range keys {
		if bytes.Equal(was[k], now[k]) {
			continue
		}
		if slices.Contains(Tunable, k) {
			changed = append(changed, k)
		} else {
			fields = append(fields, k)
			refused = append(refused, fmt.Sprintf("%s %s (the model has %s)", k, now[k], was[k]))
		}
	}
	if len(refused) > 0 {
		return nil, &RetuneError{fields, fmt.Sprintf("model: a model continues with the config it was built with, but for %s; only %s may change",
			strings.Join(refused, ", "), strings.Join(Tunable, ", "))}
	}
	return changed, nil
}

// checkKinds returns an error naming the first field c sets off its
// default that some kinds read (Kind.Fields) but not c.Model.
func checkKinds(c Config) error {
	var have, def map[string]any
	if json.Unmarshal([]byte(c.JSON()), &have) != nil || json.Unmarshal([]byte(Defaults().JSON()), &def) != nil {
		return nil
	}
	for _, o := range Options() {
		if o.Kinds == nil || slices.Contains(o.Kinds, c.Model) || reflect.DeepEqual(have[o.Key], def[o.Key]) {
			continue
		}
		return fmt.Errorf("%s is not read by %q, only by %s", o.Key, c.Model, o.ReadBy())
	}
	return nil
}
