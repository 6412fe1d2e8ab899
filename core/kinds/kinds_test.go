package kinds_test

import (
	"math"
	"reflect"
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

// TestEveryPresetRegistered: every preset's kind is registered by this
// package, so the CLI and the page offer every preset, and each preset is
// a valid config that builds.
func TestEveryPresetRegistered(t *testing.T) {
	for name, kind := range model.PresetKinds() {
		c, ok := model.Presets()[name]
		if !ok {
			t.Errorf("preset %q: kind %q is not registered (import its package in core/kinds)", name, kind)
			continue
		}
		if err := c.Validate(); err != nil {
			t.Errorf("preset %q: %v", name, err)
		}
	}
	for _, k := range model.Kinds() {
		kind, _ := model.KindOf(k)
		if kind.Doc == "" {
			t.Errorf("kind %q has no Doc", k)
		}
	}
}

// TestFieldsOfSomeKinds: a field the option table gives some kinds
// (Option.Kinds) is refused, set off its default, for every other kind,
// and accepted for its own.
func TestFieldsOfSomeKinds(t *testing.T) {
	for _, o := range model.Options() {
		if o.Kinds == nil {
			continue
		}
		for _, kind := range model.Kinds() {
			c := model.Presets()[kind]
			if _, ok := model.Presets()[kind]; !ok {
				c = model.Defaults()
				c.Model = kind
			}
			off := map[string]string{"posterior": `"gaussian"`, "noise": "3", "adv_weight": "0.25", "input_noise": "0.1", "input_dropout": "0.1", "logit_norm": "2"}[o.Key]
			if off == "" {
				t.Fatalf("no off-default value to try for %s", o.Key)
			}
			_, err := model.ParseConfigOver(c, []byte(`{"`+o.Key+`": `+off+`}`))
			own := slices.Contains(o.Kinds, kind)
			if !own && (err == nil || !strings.Contains(err.Error(), o.Key+" is for the ")) {
				t.Errorf("%s %s on %q: %v, want it refused", o.Key, off, kind, err)
			}
			if own && err != nil && strings.Contains(err.Error(), o.Key+" is for the ") {
				t.Errorf("%s %s on its own kind %q: %v", o.Key, off, kind, err)
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
