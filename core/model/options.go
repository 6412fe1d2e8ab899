package model

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Option describes one config field for the people who set it: the CLI's
// help (one flag per field) and the page's form both read this table, and
// a test checks the README's table of fields against it.
type Option struct {
	Key   string `json:"key"`   // the field's JSON key (the flag is --key with dashes)
	Label string `json:"label"` // a few words for a form
	Doc   string `json:"doc"`   // one sentence: what it does
	// Choices are the allowed values of a field that takes one of a few,
	// in the order to offer them, each with its label; nil otherwise.
	Choices []Choice `json:"choices,omitempty"`
	// For a number: its least value, and whether it is an integer.
	Min     *float64 `json:"min,omitempty"`
	Integer bool     `json:"integer,omitempty"`
	List    bool     `json:"list,omitempty"` // comma-separated positive integers
	Text    bool     `json:"text,omitempty"` // free text (checked by Validate)
	Example string   `json:"example,omitempty"`
	// Tunable says a model may change the field as it trains on (Tunable:
	// the page applies it live, the CLI on --resume); OptionsJSON sets it.
	Tunable bool `json:"tunable,omitempty"`
	// Kinds, when set, are the only kinds the field applies to, those
	// whose Kind.Fields list it (Options fills it in): Validate refuses it
	// set off its default for another, and the page's form shows it for
	// these alone. Unset, every kind reads it.
	Kinds []string `json:"kinds,omitempty"`
}

// Choice is one allowed value of an Option.
type Choice struct {
	Value string `json:"value"`
	Label string `json:"label"`
}

func atLeast(v float64) *float64 { return &v }

func choices(pairs ...string) []Choice {
	var cs []Choice
	for i := 0; i+1 < len(pairs); i += 2 {
		cs = append(cs, Choice{pairs[i], pairs[i+1]})
	}
	return cs
}

// options is the table, in the form's order.
var options = []Option{
	{Key: "model", Label: "Model", Doc: "The kind of model (see the kinds' descriptions)."},
	{Key: "latent", Label: "Latent dims", Doc: "Size of the code z, or of a generator's noise (2 can be plotted directly).", Min: atLeast(1), Integer: true},
	{Key: "encoder", Label: "Hidden widths", Doc: "Hidden layer widths, input side first; a decoder or generator mirrors them.", List: true, Example: "512,256"},
	{Key: "discriminator", Label: "Discriminator widths", Doc: "Hidden layer widths of the discriminator(s).", List: true, Example: "256,256"},
	{Key: "activation", Label: "Activation", Doc: "Hidden-layer nonlinearity (a decoder's output is always a sigmoid).",
		Choices: choices("relu", "ReLU", "leakyrelu", "LeakyReLU (0.2)", "tanh", "tanh", "sigmoid", "sigmoid")},
	{Key: "prior", Label: "Prior", Doc: "Distribution of the codes (prior samples in grey on the latent plot).",
		Choices: choices("gaussian", "Gaussian", "mixture", "10 Gaussians", "swissroll", "Swiss roll", "uniform", "Uniform")},
	{Key: "prior_std", Label: "Prior scale", Doc: "Scale of the prior: σ of the Gaussian, the others scaled alike.", Min: atLeast(0)},
	{Key: "posterior", Label: "Posterior", Doc: "Encoder q(z|x): deterministic, Gaussian, or fed noise η beside x (universal approximator).",
		Choices: choices("deterministic", "Deterministic", "gaussian", "Gaussian", "universal", "Universal approx.")},
	{Key: "noise", Label: "Noise η size", Doc: "Size of the noise fed with x to a universal-approximator encoder.", Min: atLeast(0), Integer: true},
	{Key: "labels", Label: "Labelled digits", Doc: "Training digits whose labels training may use (0: none).", Min: atLeast(0), Integer: true},
	{Key: "valid", Label: "Held-out digits", Doc: "The last N training digits, never trained on: validation (the Parzen window chooses its width on them).", Min: atLeast(0), Integer: true},
	{Key: "classes", Label: "Classes", Doc: "Categories of y: 10 digits, or K clusters.", Min: atLeast(2), Integer: true},
	{Key: "dropout", Label: "Dropout", Doc: "Dropout rate after each hidden activation (0: off).", Min: atLeast(0)},
	{Key: "input_noise", Label: "Input noise σ", Doc: "Standard deviation of Gaussian noise added to an AAE encoder's input pixels in training, the reconstruction's target staying clean (a denoising autoencoder; 0: off).", Min: atLeast(0)},
	{Key: "input_dropout", Label: "Input dropout", Doc: "Rate at which the encoder's input pixels are dropped (set to 0, the rest scaled by 1/(1−rate)) in training, the reconstruction's target staying whole (0: off).", Min: atLeast(0)},
	{Key: "logit_norm", Label: "Logit norm", Doc: "Batch-normalise each logit of the categorical y over the batch, then scale it by this factor, before the softmax (0: off). Every category then leads for some digits of every batch, so none dies.", Min: atLeast(0)},
	{Key: "batchnorm", Label: "Batch norm", Doc: "Batch normalisation before each hidden activation.", Choices: choices("false", "off", "true", "on")},
	{Key: "gan_loss", Label: "GAN loss", Doc: "The generator's adversarial loss.",
		Choices: choices("nonsaturating", "Non-saturating", "minimax", "Minimax", "ml", "Max. likelihood", "lsgan", "Least squares")},
	{Key: "disc_steps", Label: "Disc. steps (k)", Doc: "Discriminator steps per generator step, on slices of the batch.", Min: atLeast(1), Integer: true},
	{Key: "adv_weight", Label: "Adversarial weight", Doc: "Weight of the adversarial loss beside reconstruction.", Min: atLeast(0)},
	{Key: "levels", Label: "Intensity levels", Doc: "Intensity levels of each pixel of an autoregressive model.", Min: atLeast(2), Integer: true},
	{Key: "batch", Label: "Batch size", Doc: "Images per training step.", Min: atLeast(1), Integer: true},
	{Key: "optimizer", Label: "Optimizer", Doc: "Update rule for every phase.", Choices: choices("adam", "Adam", "sgd", "SGD + momentum")},
	{Key: "lr_recon", Label: "Learning rate", Doc: "Learning rate of the main phase (reconstruction, likelihood or classification; a GAN's generator).", Min: atLeast(0)},
	{Key: "lr_reg", Label: "LR regularisation", Doc: "Learning rate of the adversarial phases (discriminator, then encoder or generator).", Min: atLeast(0)},
	{Key: "lr_schedule", Label: "LR schedule", Doc: "The learning rates' factor by epoch: empty for constant, step:E1,E2:F (×F at each listed epoch), exp:F (F to the epoch).", Text: true, Example: "step:50,100:0.1"},
	{Key: "beta1", Label: "Adam β₁", Doc: "Adam first-moment decay.", Min: atLeast(0)},
	{Key: "beta2", Label: "Adam β₂", Doc: "Adam second-moment decay.", Min: atLeast(0)},
	{Key: "momentum", Label: "Momentum", Doc: "SGD momentum.", Min: atLeast(0)},
	{Key: "seed", Label: "Seed", Doc: "Seeds the weights, the batch order and the prior samples.", Min: atLeast(0), Integer: true},
}

// Options returns the table of config fields, one per JSON key of Config,
// in the form's order, each with the registered kinds that read it
// (Option.Kinds; none when every kind does).
func Options() []Option {
	out := slices.Clone(options)
	for i := range out {
		out[i].Kinds = kindsOf(out[i].Key)
	}
	return out
}

// OptionOf returns the option of the field with that JSON key.
func OptionOf(key string) (Option, bool) {
	i := slices.IndexFunc(options, func(o Option) bool { return o.Key == key })
	if i < 0 {
		return Option{}, false
	}
	o := options[i]
	o.Kinds = kindsOf(key)
	return o, true
}

// ReadBy names the kinds that read the field, for a sentence: "the pixel
// kind", "the aae, ae and vae kinds"; "" when every kind does.
func (o Option) ReadBy() string {
	switch n := len(o.Kinds); n {
	case 0:
		return ""
	case 1:
		return "the " + o.Kinds[0] + " kind"
	default:
		return "the " + strings.Join(o.Kinds[:n-1], ", ") + " and " + o.Kinds[n-1] + " kinds"
	}
}

// kindsOf returns the registered kinds whose Fields list key, sorted, or
// nil when none does: every kind reads it.
func kindsOf(key string) []string {
	var out []string
	for name, k := range registry {
		if slices.Contains(k.Fields, key) {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// checkChoice returns an error unless v is one of the option's choices.
func checkChoice(key, v string) error {
	o, ok := OptionOf(key)
	if !ok || o.Choices == nil {
		return nil
	}
	var allowed []string
	for _, c := range o.Choices {
		if c.Value == v {
			return nil
		}
		allowed = append(allowed, c.Value)
	}
	return fmt.Errorf("unknown %s %q (want %s)", key, v, strings.Join(allowed, ", "))
}

// OptionsJSON is Options as JSON, for the page.
func OptionsJSON() string {
	out := Options()
	for i := range out {
		out[i].Tunable = slices.Contains(Tunable, out[i].Key)
	}
	b, err := json.Marshal(out)
	if err != nil {
		panic(err)
	}
	return string(b)
}
