package model_test

import (
	"math"
	"slices"
	"strings"
	"testing"

	_ "latentlab/core/aae" // registers "aae" and "ae"
	"latentlab/core/model"
	"latentlab/core/safetensors"
)

// tiny returns a small valid config and its model.
func tiny(t *testing.T) (model.Config, model.Model) {
	t.Helper()
	c := model.Defaults()
	c.Encoder = []int{16}
	c.Discriminator = []int{8}
	c.Latent = 3
	c.Batch = 10
	c.Seed = 42
	m, err := model.New(c)
	if err != nil {
		t.Fatal(err)
	}
	return c, m
}

// TestFileRoundTripF32: an F32 file gives back the config, the step and
// every value exactly, and carries the documented metadata.
func TestFileRoundTripF32(t *testing.T) {
	c, m := tiny(t)
	b, err := model.Encode(m, 1234, safetensors.F32)
	if err != nil {
		t.Fatal(err)
	}
	f, err := safetensors.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]string{"format": model.FileFormat, "model": "aae", "config": c.JSON(), "step": "1234"} {
		if f.Meta[key] != want {
			t.Errorf("metadata %q = %q, want %q", key, f.Meta[key], want)
		}
	}
	m2, step, err := model.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if step != 1234 || m2.Config().JSON() != c.JSON() {
		t.Errorf("got step %d, config %s", step, m2.Config().JSON())
	}
	want, got := m.Tensors(), m2.Tensors()
	if len(got) != len(want) {
		t.Fatalf("%d tensors back, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].Name != want[i].Name || !slices.Equal(got[i].Shape, want[i].Shape) || !slices.Equal(got[i].Data, want[i].Data) {
			t.Errorf("tensor %d: %s %v came back as %s %v or with other values", i, want[i].Name, want[i].Shape, got[i].Name, got[i].Shape)
		}
	}
}

// TestFileF16: an F16 file is about half the size and decodes to weights
// within float16 precision (relative 2^-11, absolute 2^-24 for subnormals).
func TestFileF16(t *testing.T) {
	_, m := tiny(t)
	b32, err := model.Encode(m, 7, safetensors.F32)
	if err != nil {
		t.Fatal(err)
	}
	b16, err := model.Encode(m, 7, safetensors.F16)
	if err != nil {
		t.Fatal(err)
	}
	params := m.Config().ParamCount()
	if len(b32)-len(b16) < 2*params-params/100 {
		t.Errorf("F16 file %d bytes, F32 %d, for %d parameters", len(b16), len(b32), params)
	}
	m16, step, err := model.Decode(b16)
	if err != nil {
		t.Fatal(err)
	}
	if step != 7 {
		t.Errorf("step %d, want 7", step)
	}
	changed := 0
	want, got := m.Tensors(), m16.Tensors()
	for i := range want {
		for j, w := range want[i].Data {
			g := got[i].Data[j]
			if d := math.Abs(float64(g) - float64(w)); d > max(math.Abs(float64(w))*0x1p-11, 0x1p-24) {
				t.Fatalf("%s[%d] = %v after F16, was %v", want[i].Name, j, g, w)
			}
			if g != w {
				changed++
			}
		}
	}
	if changed == 0 {
		t.Error("no weight changed through F16; was the file really F16?")
	}
}

// TestDecodeErrors: files that are not a valid Latent Lab model are errors
// that say what is wrong.
func TestDecodeErrors(t *testing.T) {
	c, m := tiny(t)
	meta := func(edit func(map[string]string)) map[string]string {
		md := map[string]string{"format": model.FileFormat, "model": c.Model, "config": c.JSON(), "step": "5"}
		if edit != nil {
			edit(md)
		}
		return md
	}
	ts := m.Tensors()
	without := func(name string) []safetensors.Tensor {
		return slices.DeleteFunc(slices.Clone(ts), func(t safetensors.Tensor) bool { return t.Name == name })
	}
	reshaped := slices.Clone(ts)
	reshaped[0].Shape = []int{reshaped[0].Shape[1], reshaped[0].Shape[0]} // transposed, same count
	other := c
	other.Latent = 4
	withValue := func(v float32) []safetensors.Tensor {
		out := slices.Clone(ts)
		out[2].Data = slices.Clone(out[2].Data)
		out[2].Data[1] = v
		return out
	}
	for _, tc := range []struct {
		name    string
		tensors []safetensors.Tensor
		meta    map[string]string
		want    string
	}{
		{"no config", ts, meta(func(md map[string]string) { delete(md, "config") }), `no "config"`},
		{"config not JSON", ts, meta(func(md map[string]string) { md["config"] = "latent=3" }), "the file's config"},
		{"invalid config", ts, meta(func(md map[string]string) { md["config"] = `{"latent": 0}` }), "latent"},
		{"unknown kind", ts, meta(func(md map[string]string) { md["config"] = `{"model": "vae"}` }), `"vae"`},
		{"step not a number", ts, meta(func(md map[string]string) { md["step"] = "five" }), `step "five"`},
		{"negative step", ts, meta(func(md map[string]string) { md["step"] = "-1" }), `step "-1"`},
		{"step near overflow", ts, meta(func(md map[string]string) { md["step"] = "9223372036854775807" }), `step "9223372036854775807"`},
		{"another format", ts, meta(func(md map[string]string) { md["format"] = "latentlab/2" }), `format is "latentlab/2"`},
		{"missing tensor", without("decoder.2.bias"), meta(nil), "decoder.2.bias"},
		{"extra tensor", append(slices.Clone(ts), safetensors.Tensor{Name: "encoder.4.weight", Shape: []int{2}, Data: []float32{1, 2}}), meta(nil), "encoder.4.weight"},
		{"transposed tensor", reshaped, meta(nil), "encoder.0.weight"},
		{"config of another model", ts, meta(func(md map[string]string) { md["config"] = other.JSON() }), "shape"},
		{"a NaN weight", withValue(float32(math.NaN())), meta(nil), ts[2].Name + " holds NaN at [1]: these weights diverged"},
		{"an infinite weight", withValue(float32(math.Inf(-1))), meta(nil), "holds -Inf at [1]"},
	} {
		b, err := safetensors.Encode(tc.tensors, tc.meta, safetensors.F32)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		got, _, err := model.Decode(b)
		if err == nil {
			t.Errorf("%s: decoded", tc.name)
			continue
		}
		t.Logf("%s: %v", tc.name, err)
		if got != nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, error %q, want one containing %s", tc.name, got, err, tc.want)
		}
	}

	// A file without a step is a model that has had no training.
	b, err := safetensors.Encode(ts, meta(func(md map[string]string) { delete(md, "step") }), safetensors.F32)
	if err != nil {
		t.Fatal(err)
	}
	if _, step, err := model.Decode(b); err != nil || step != 0 {
		t.Errorf("no step: got step %d, %v", step, err)
	}

	// Bytes that are not a safetensors file at all.
	for _, junk := range [][]byte{nil, []byte("not a model"), b[:len(b)/2]} {
		if _, _, err := model.Decode(junk); err == nil || !strings.HasPrefix(err.Error(), "safetensors: ") {
			t.Errorf("%d bytes of junk: error %v, want one from checkpoint", len(junk), err)
		}
	}
}
