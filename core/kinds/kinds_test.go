package kinds_test

import (
	"encoding/json"
	"math"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"latentlab/core/figures"
	_ "latentlab/core/kinds"
	"latentlab/core/model"
	"latentlab/core/modeltest"
	"latentlab/core/safetensors"
	"latentlab/core/train"
)

// TestEveryPresetRegistered: every preset is a valid config, and every
// kind has a line for people and a preset the page and the CLI offer.
func TestEveryPresetRegistered(t *testing.T) {
	kinds := map[string]bool{}
	for name, c := range model.Presets() {
		if err := c.Validate(); err != nil {
			t.Errorf("preset %q: %v", name, err)
		}
		kinds[c.Model] = true
	}
	for _, k := range model.Kinds() {
		kind, _ := model.KindOf(k)
		if kind.Doc == "" {
			t.Errorf("kind %q has no Doc", k)
		}
		if !kinds[k] {
			t.Errorf("kind %q has no preset", k)
		}
	}
}

// TestDocsKinds: docs/models.md's table of kinds has a row for every
// kind, listing the fields it reads (Kind.Fields) and its presets, as the
// code has them.
func TestDocsKinds(t *testing.T) {
	b, err := os.ReadFile("../../docs/models.md")
	if err != nil {
		t.Fatal(err)
	}
	ticked := regexp.MustCompile("`([^`]+)`")
	names := func(cell string) []string {
		var out []string
		for _, m := range ticked.FindAllStringSubmatch(cell, -1) {
			out = append(out, m[1])
		}
		slices.Sort(out)
		return out
	}
	presets := map[string][]string{}
	for name, c := range model.Presets() {
		presets[c.Model] = append(presets[c.Model], name)
	}
	for _, k := range model.Kinds() {
		kind, _ := model.KindOf(k)
		var row string
		for line := range strings.Lines(string(b)) {
			if strings.HasPrefix(line, "| `"+k+"` |") {
				row = line
			}
		}
		cells := strings.Split(row, "|")
		if len(cells) != 6 {
			t.Errorf("docs/models.md has no row of 4 cells for %q: %q", k, row)
			continue
		}
		want := slices.Sorted(slices.Values(kind.Fields))
		if got := names(cells[3]); !slices.Equal(got, want) {
			t.Errorf("docs/models.md: %q reads %v, the code %v", k, got, want)
		}
		slices.Sort(presets[k])
		if got := names(cells[4]); !slices.Equal(got, presets[k]) {
			t.Errorf("docs/models.md: %q has presets %v, the code %v", k, got, presets[k])
		}
	}
}

// offDefault are two values, off their defaults, for every field some
// kinds read (Kind.Fields), as JSON: a test takes the first that differs
// from the config it starts from.
var offDefault = map[string][2]string{
	"latent": {"3", "4"}, "discriminator": {"[7]", "[9]"}, "prior": {`"uniform"`, `"mixture"`}, "prior_std": {"2", "3"},
	"posterior": {`"gaussian"`, `"universal"`}, "noise": {"3", "4"}, "labels": {"1000", "2000"}, "classes": {"12", "13"},
	"input_noise": {"0.1", "0.2"}, "input_dropout": {"0.1", "0.3"}, "logit_norm": {"2", "4"}, "batchnorm": {"true", "false"},
	"gan_loss": {`"lsgan"`, `"minimax"`}, "disc_steps": {"2", "3"}, "adv_weight": {"0.25", "0.5"}, "levels": {"3", "5"},
	"lr_reg": {"0.001", "0.0003"},
}

// TestFieldsOfSomeKinds: a field some kinds read (Kind.Fields) is refused,
// set off its default, for every other kind (by its own check, or saying
// which kinds read it);
// and each kind does read every field it lists: set off its default, the
// field either changes the kind's first steps (their losses or weights)
// or is refused by the kind's own check.
func TestFieldsOfSomeKinds(t *testing.T) {
	tr, te := modeltest.Subset(t)
	// first returns the losses and weights of two steps of c.
	first := func(c model.Config) ([]model.Losses, []safetensors.Tensor) {
		s := modeltest.Session(t, c, tr, te)
		ls := []model.Losses{s.Step(), s.Step()}
		return ls, s.Model.Tensors()
	}
	for _, o := range model.Options() {
		if o.Kinds == nil {
			continue
		}
		offs, ok := offDefault[o.Key]
		if !ok {
			t.Fatalf("no off-default value to try for %s", o.Key)
		}
		for _, kind := range model.Kinds() {
			c := model.Defaults()
			c.Model = kind
			for _, p := range model.Presets() {
				if p.Model == kind {
					c = p
					break
				}
			}
			// Small networks, and few labels, to be quick.
			c = modeltest.Small(c)
			c.Valid = 0
			if c.Labels > 0 {
				c.Labels = 500
			}
			off := offs[0]
			var have map[string]any
			if err := json.Unmarshal([]byte(c.JSON()), &have); err != nil {
				t.Fatal(err)
			}
			if b, _ := json.Marshal(have[o.Key]); string(b) == off {
				off = offs[1]
			}
			got, err := model.ParseConfigOver(c, []byte(`{"`+o.Key+`": `+off+`}`))
			generic := err != nil && strings.Contains(err.Error(), o.Key+" is not read by ")
			if !slices.Contains(o.Kinds, kind) {
				// Refused by the kind's own check, in its terms, or by
				// the rule, naming the kinds that read it.
				if err == nil || generic && !strings.Contains(err.Error(), o.ReadBy()) {
					t.Errorf("%s %s on %q: %v, want it refused naming %v", o.Key, off, kind, err, o.Kinds)
				}
				continue
			}
			if generic {
				t.Errorf("%s %s on its own kind %q: %v", o.Key, off, kind, err)
				continue
			}
			if err != nil {
				continue // the kind's own check read it
			}
			l0, w0 := first(c)
			l1, w1 := first(got)
			if reflect.DeepEqual(l0, l1) && reflect.DeepEqual(w0, w1) {
				t.Errorf("%q lists %s, but %s %s changes nothing in its first steps", kind, o.Key, o.Key, off)
			}
		}
	}
}

// TestEveryPresetTrains: every preset builds, takes two steps on real
// digits with finite losses named by LossNames, each loss and measure with
// its entry in figures.All, round-trips through a
// .safetensors file to a model with the same test metrics, and its
// metrics are finite.
func TestEveryPresetTrains(t *testing.T) {
	if testing.Short() {
		t.Skip("builds every preset: runs natively in make test-go")
	}
	tr, te := modeltest.Subset(t)
	te = te.Subset(200)
	for name, c := range model.Presets() {
		t.Run(name, func(t *testing.T) {
			s := modeltest.Session(t, c, tr, te)
			m := s.Model
			names := m.LossNames()
			if len(names) == 0 || len(names) > model.MaxLosses {
				t.Fatalf("%d loss names", len(names))
			}
			for range 2 {
				l := s.Step()
				for i, v := range l {
					if i < len(names) && (math.IsNaN(v) || math.IsInf(v, 0)) {
						t.Fatalf("loss %s = %v", names[i], v)
					}
					if i >= len(names) && v != 0 {
						t.Fatalf("loss %d beyond the %d names is %v", i, len(names), v)
					}
				}
			}
			want := s.Metrics()
			for k, v := range want {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					t.Errorf("metric %s = %v", k, v)
				}
			}
			// Every loss and measure has a label for people (figures.All).
			for _, k := range names {
				if _, ok := figures.Of(k); !ok {
					t.Errorf("loss %q has no entry in figures.All", k)
				}
			}
			for k := range want {
				if _, ok := figures.Of(k); !ok {
					t.Errorf("metric %q has no entry in figures.All", k)
				}
			}
			b, err := model.Encode(m, s.Steps, safetensors.F32)
			if err != nil {
				t.Fatal(err)
			}
			m2, steps, err := model.Decode(b)
			if err != nil || steps != 2 {
				t.Fatalf("decode: %v (steps %d)", err, steps)
			}
			s2, err := train.New(m2, tr, te, steps)
			if err != nil {
				t.Fatal(err)
			}
			if got := s2.Metrics(); !reflect.DeepEqual(got, want) {
				t.Errorf("metrics %v after the file round trip, %v before", got, want)
			}
			t.Logf("%s (%s): %d params, metrics %v", name, c.Model, c.ParamCount(), want)
		})
	}
}
