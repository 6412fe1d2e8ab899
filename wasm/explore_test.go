//go:build js && wasm

package main

import (
	"slices"
	"strings"
	"syscall/js"
	"testing"

	"latentlab/core/model"
	"latentlab/core/view"
)

// pixelsOf copies a Uint8Array result field out of r.
func pixelsOf(r js.Value, field string) []byte {
	v := r.Get(field)
	out := make([]byte, v.Get("length").Int())
	js.CopyBytesToGo(out, v)
	return out
}

// TestExplore: decodeAt gives different digits at two points of the plot
// and refuses bad points; traverse and interpolate give their frames; a
// drawn digit comes back reconstructed, placed on the plot, and classified
// by a classifier; a model without encoder and decoder says so.
func TestExplore(t *testing.T) {
	b := loaded(t)
	if _, e := call("decodeAt", b.decodeAt, 0, 0); !strings.Contains(e, "no model") {
		t.Errorf("decodeAt before init: %q", e)
	}
	if _, e := call("init", b.init, small()); e != "" {
		t.Fatal(e)
	}
	if _, e := call("train", b.train, 3, 1e6); e != "" {
		t.Fatal(e)
	}
	// Before a snapshot a 2-D code is the point itself.
	a, e := call("decodeAt", b.decodeAt, -3, 2)
	if e != "" {
		t.Fatal(e)
	}
	c, _ := call("decodeAt", b.decodeAt, 4, -1)
	if pa, pc := pixelsOf(a, "pixels"), pixelsOf(c, "pixels"); len(pa) != model.Pixels || string(pa) == string(pc) {
		t.Errorf("two points decode to %d bytes, the same: %v", len(pa), string(pa) == string(pc))
	}
	for _, args := range [][]any{{1}, {"1", 2}, {js.Global().Get("NaN"), 0}} {
		if _, e := call("decodeAt", b.decodeAt, args...); !strings.Contains(e, "decodeAt") {
			t.Errorf("decodeAt%v: %q", args, e)
		}
	}
	if _, e := call("snapshot", b.snapshot, `{"latentView":"first"}`); e != "" {
		t.Fatal(e)
	}
	g, e := call("traverse", b.traverse, 5, 3)
	if e != "" {
		t.Fatal(e)
	}
	if px := pixelsOf(g, "pixels"); len(px) != 25*model.Pixels {
		t.Errorf("traverse(5) gave %d bytes", len(px))
	}
	for _, args := range [][]any{{1, 3}, {17, 3}, {2.5, 3}, {4, 0}, {4, -1}} {
		if _, e := call("traverse", b.traverse, args...); !strings.Contains(e, "traverse wants") {
			t.Errorf("traverse%v: %q", args, e)
		}
	}
	in, e := call("interpolate", b.interpolate, 0, 7)
	if e != "" {
		t.Fatal(e)
	}
	if px := pixelsOf(in, "pixels"); len(px) != view.InterpFrames*model.Pixels || in.Get("path").Get("length").Int() != 2*view.InterpFrames {
		t.Errorf("interpolate: %d bytes, path %v", len(px), in.Get("path"))
	}
	for _, args := range [][]any{{0, 30}, {-1, 2}, {0.5, 1}} {
		if _, e := call("interpolate", b.interpolate, args...); !strings.Contains(e, "interpolate wants two test digits in 0..29") {
			t.Errorf("interpolate%v: %q", args, e)
		}
	}
	drawn := make([]byte, model.Pixels)
	for i := 10 * 28; i < 12*28; i++ {
		drawn[i] = 255
	}
	d, e := call("encodeDigit", b.encodeDigit, u8(drawn))
	if e != "" {
		t.Fatal(e)
	}
	if len(pixelsOf(d, "recon")) != model.Pixels || d.Get("point").Get("length").Int() != 2 || !d.Get("probs").IsUndefined() {
		t.Errorf("encodeDigit: recon, point %v, probs %v", d.Get("point"), d.Get("probs"))
	}
	if _, e := call("encodeDigit", b.encodeDigit, u8(drawn[:100])); !strings.Contains(e, "784 bytes (28×28), got 100") {
		t.Errorf("encodeDigit of 100 bytes: %q", e)
	}
	if _, e := call("encodeDigit", b.encodeDigit, "ink"); !strings.Contains(e, "encodeDigit") {
		t.Errorf("encodeDigit of a string: %q", e)
	}

	// A classifying model gives the drawn digit's class probabilities.
	cl := model.Presets()["semisupervised"]
	cl.Encoder, cl.Discriminator, cl.Batch, cl.Labels = []int{8}, []int{4}, 20, 100
	if _, e := call("init", b.init, cl.JSON()); e != "" {
		t.Fatal(e)
	}
	d, e = call("encodeDigit", b.encodeDigit, u8(drawn))
	if e != "" {
		t.Fatal(e)
	}
	if p := d.Get("probs"); p.Get("length").Int() != 10 {
		t.Errorf("semi-supervised encodeDigit probs %v", p)
	}
	if _, e := call("interpolate", b.interpolate, 0, 1); !strings.Contains(e, "do not interpolate") {
		t.Errorf("semi-supervised interpolate: %q", e)
	}

	// A GAN has no encoder.
	gan := model.Presets()["gan"]
	gan.Encoder, gan.Discriminator, gan.Batch = []int{8}, []int{4}, 20
	if _, e := call("init", b.init, gan.JSON()); e != "" {
		t.Fatal(e)
	}
	if _, e := call("decodeAt", b.decodeAt, 0, 0); !strings.Contains(e, "no encoder and decoder") {
		t.Errorf("GAN decodeAt: %q", e)
	}
}

// TestRetune: a learning rate changes as the model trains on (the step and
// the steps to come kept), a field the model cannot change is refused
// naming it and the model kept, and an unchanged config changes nothing.
func TestRetune(t *testing.T) {
	b := built(t, 3)
	kept := b.s.Model
	if _, e := call("retune", b.retune, `{"latent": 3}`, `{}`); !strings.Contains(e, "latent") || b.s.Model != kept {
		t.Errorf("retune of the latent: %q (model replaced: %v)", e, b.s.Model != kept)
	}
	if _, e := call("retune", b.retune, `{"lr_recon": -1}`, `{}`); !strings.Contains(e, "lr_recon") {
		t.Errorf("retune to a negative rate: %q", e)
	}
	if _, e := call("retune", b.retune, `{"lr_recon": 5e-4}`); !strings.Contains(e, "retune wants") {
		t.Errorf("retune without curves: %q", e)
	}
	r, e := call("retune", b.retune, `{"lr_recon": 0.001}`, `{}`)
	if e != "" || r.Get("changed").Length() != 0 || b.s.Model != kept {
		t.Fatalf("an unchanged config: %q, changed %v", e, r.Get("changed"))
	}
	r, e = call("retune", b.retune, `{"lr_recon": 5e-4, "lr_reg": 1e-4}`, `{"recon":{"x":[1,2,3],"y":[500,400,300]}}`)
	if e != "" {
		t.Fatal(e)
	}
	if got := r.Get("changed"); got.Length() != 2 || got.Index(0).String() != "lr_recon" || got.Index(1).String() != "lr_reg" {
		t.Errorf("changed %v", got)
	}
	c := b.s.Model.Config()
	if c.LRRecon != 5e-4 || c.LRReg != 1e-4 || b.s.Steps != 3 || r.Get("step").Int() != 3 {
		t.Errorf("after retune: lr %v %v, step %d", c.LRRecon, c.LRReg, b.s.Steps)
	}
	if len(b.s.Curves) == 0 {
		t.Error("the loss curves were not kept")
	}
	if _, e := call("train", b.train, 2, 1e6); e != "" || b.s.Steps != 5 {
		t.Errorf("training on: %q, step %d", e, b.s.Steps)
	}
	// A GAN's discriminator steps change as it trains, too.
	gan := model.Presets()["gan"]
	gan.Encoder, gan.Discriminator, gan.Batch = []int{8}, []int{4}, 20
	if _, e := call("init", b.init, gan.JSON()); e != "" {
		t.Fatal(e)
	}
	if _, e := call("train", b.train, 2, 1e6); e != "" {
		t.Fatal(e)
	}
	r, e = call("retune", b.retune, `{"disc_steps": 2}`, `{}`)
	if e != "" || r.Get("changed").Length() != 1 || b.s.Model.Config().DiscSteps != 2 {
		t.Fatalf("GAN retune of disc_steps: %q, config %+v", e, b.s.Model.Config().DiscSteps)
	}
	if _, e := call("train", b.train, 2, 1e6); e != "" || b.s.Steps != 4 {
		t.Errorf("the GAN training on with 2 discriminator steps: %q, step %d", e, b.s.Steps)
	}
}

// TestMetricsParzen: a generator's evaluation carries its Parzen-window
// log-likelihood, with progress rising to 1; a classifier's does not.
func TestMetricsParzen(t *testing.T) {
	b := built(t, 0)
	var seen []float64
	progress := js.FuncOf(func(_ js.Value, args []js.Value) any {
		seen = append(seen, args[0].Float())
		return nil
	})
	defer progress.Release()
	r, e := call("metrics", b.metrics, progress)
	if e != "" {
		t.Fatal(e)
	}
	m := r.Get("metrics")
	for _, k := range []string{"parzen_ll", "parzen_se", "parzen_sigma", "parzen_valid_ll", "test_recon"} {
		if m.Get(k).Type() != js.TypeNumber {
			t.Errorf("metrics has no number %s: %v", k, m.Get(k))
		}
	}
	// The measures, then the Parzen window's blocks of digits.
	if len(seen) < 3 || seen[len(seen)-1] < 0.99 || !slices.IsSorted(seen) {
		t.Errorf("progress %v", seen)
	}
	cl := model.Presets()["classifier"]
	cl.Encoder, cl.Batch, cl.Labels = []int{8}, 20, 120
	if _, e := call("init", b.init, cl.JSON()); e != "" {
		t.Fatal(e)
	}
	r, e = call("metrics", b.metrics)
	if e != "" || !r.Get("metrics").Get("parzen_ll").IsUndefined() {
		t.Errorf("a classifier's metrics: %q, parzen_ll %v", e, r.Get("metrics").Get("parzen_ll"))
	}
}
