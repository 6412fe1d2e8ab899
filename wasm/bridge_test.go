//go:build js && wasm

package main

import (
	"encoding/binary"
	"encoding/json"
	"strings"
	"syscall/js"
	"testing"

	"latentlab/core/model"
)

// idx returns an idx image file of n rows×cols images and a label file.
func idx(n, rows, cols int) (images, labels []byte) {
	images = binary.BigEndian.AppendUint32(nil, 0x803)
	for _, v := range []int{n, rows, cols} {
		images = binary.BigEndian.AppendUint32(images, uint32(v))
	}
	for i := range n * rows * cols {
		images = append(images, byte(i*7))
	}
	labels = binary.BigEndian.AppendUint32(nil, 0x801)
	labels = binary.BigEndian.AppendUint32(labels, uint32(n))
	for i := range n {
		labels = append(labels, byte(i%10))
	}
	return images, labels
}

func u8(b []byte) js.Value {
	v := js.Global().Get("Uint8Array").New(len(b))
	js.CopyBytesToJS(v, b)
	return v
}

// call runs a bridge function as the page does, through guard, and
// returns its result and its error message ("" if none).
func call(name string, f func([]js.Value) (any, error), args ...any) (js.Value, string) {
	vs := make([]js.Value, len(args))
	for i, a := range args {
		if v, ok := a.(js.Value); ok {
			vs[i] = v
		} else {
			vs[i] = js.ValueOf(a)
		}
	}
	r := js.ValueOf(guard(name, f)(js.Undefined(), vs))
	if r.Type() == js.TypeObject && r.Get("error").Type() == js.TypeString {
		return r, r.Get("error").String()
	}
	return r, ""
}

// loaded returns a bridge with 120 training and 30 test digits of 28×28.
func loaded(t *testing.T) *bridge {
	t.Helper()
	b := newBridge()
	ti, tl := idx(120, 28, 28)
	si, sl := idx(30, 28, 28)
	if _, e := call("setData", b.setData, u8(ti), u8(tl), u8(si), u8(sl)); e != "" {
		t.Fatal(e)
	}
	return b
}

// built returns a bridge with data and the small model, trained steps steps.
func built(t *testing.T, steps int) *bridge {
	t.Helper()
	b := loaded(t)
	if _, e := call("init", b.init, small()); e != "" {
		t.Fatal(e)
	}
	if steps > 0 {
		if _, e := call("train", b.train, steps, 1e6); e != "" {
			t.Fatal(e)
		}
	}
	return b
}

func small() string {
	c := model.Defaults()
	c.Encoder, c.Discriminator, c.Batch = []int{8}, []int{4}, 20
	return c.JSON()
}

// TestOrderOfCalls: a model before the data, or training before a model,
// is an error that says what to do first.
func TestOrderOfCalls(t *testing.T) {
	b := newBridge()
	if _, e := call("init", b.init, small()); !strings.Contains(e, "MNIST data has not been loaded") {
		t.Errorf("init before setData: %q", e)
	}
	for name, f := range map[string]func([]js.Value) (any, error){"train": b.train, "metrics": b.metrics, "exportWeights": b.exportWeights, "snapshot": b.snapshot} {
		if _, e := call(name, f, 1, 10); !strings.Contains(e, "no model") {
			t.Errorf("%s before init: %q", name, e)
		}
	}
}

// TestSetDataErrors: wrong arguments and malformed or non-square idx
// files are refused with the argument or the file named, and the data
// loaded before stays.
func TestSetDataErrors(t *testing.T) {
	b := loaded(t)
	ti, tl := idx(120, 28, 28)
	si, sl := idx(30, 28, 28)
	strip, stripLabels := idx(30, 16, 49)
	for _, tc := range []struct {
		name string
		args []any
		want string
	}{
		{"three arguments", []any{u8(ti), u8(tl), u8(si)}, "four Uint8Arrays"},
		{"a string for the labels", []any{u8(ti), "labels", u8(si), u8(sl)}, "argument 2: want a Uint8Array"},
		{"labels for images", []any{u8(ti), u8(ti), u8(si), u8(sl)}, "train-labels"},
		{"truncated test images", []any{u8(ti), u8(tl), u8(si[:len(si)-5]), u8(sl)}, "test-images"},
		{"16x49 test digits", []any{u8(ti), u8(tl), u8(strip), u8(stripLabels)}, "test images are 16x49, want 28x28"},
	} {
		if _, e := call("setData", b.setData, tc.args...); !strings.Contains(e, tc.want) {
			t.Errorf("%s: error %q, want one containing %q", tc.name, e, tc.want)
		}
	}
	if b.trainSet.N != 120 || b.testSet.N != 30 {
		t.Errorf("a refused setData replaced the data: %d and %d digits", b.trainSet.N, b.testSet.N)
	}
}

// TestInitAndTrain: a bad config is refused and the model kept; a good
// one trains and reports its losses by name.
func TestInitAndTrain(t *testing.T) {
	b := built(t, 0)
	kept := b.s.Model
	for _, tc := range []struct {
		arg  any
		want string
	}{
		{42, "JSON string"},
		{`{"latent": 2`, "config"},
		{`{"latent": -3}`, "latent"},
		{`{"model": "nosuchkind"}`, "nosuchkind"},
	} {
		if _, e := call("init", b.init, tc.arg); !strings.Contains(e, tc.want) {
			t.Errorf("init(%v): error %q, want one containing %q", tc.arg, e, tc.want)
		}
	}
	if b.s.Model != kept {
		t.Error("a refused config replaced the model")
	}
	if _, e := call("train", b.train, "3", 10); !strings.Contains(e, "train wants (maxSteps, budgetMs)") {
		t.Errorf("train with a string: %q", e)
	}
	r, e := call("train", b.train, 2, 1e6)
	if e != "" {
		t.Fatal(e)
	}
	if steps := r.Get("steps").Int(); steps != 2 || b.s.Steps != 2 {
		t.Errorf("train(2, …) took %d steps, the session has %d", steps, b.s.Steps)
	}
	if l := r.Get("losses").Get("recon"); l.Type() != js.TypeNumber || !(l.Float() > 0) {
		t.Errorf("recon loss %v", l)
	}
}

// TestImportRefusesBadFiles: bytes that are not a Latent Lab file leave
// the current model in place; the model's own export comes back.
func TestImportRefusesBadFiles(t *testing.T) {
	b := built(t, 1)
	kept := b.s.Model
	for name, arg := range map[string]any{"a string": "weights", "garbage": u8([]byte("not a safetensors file at all")), "empty": u8(nil)} {
		if _, e := call("importWeights", b.importWeights, arg); e == "" {
			t.Errorf("%s imported", name)
		}
	}
	if b.s.Model != kept {
		t.Fatal("a refused import replaced the model")
	}
	exp, e := call("exportWeights", b.exportWeights, "F32")
	if e != "" {
		t.Fatal(e)
	}
	if !strings.HasSuffix(exp.Get("filename").String(), "-step1-F32.safetensors") {
		t.Errorf("export filename %q", exp.Get("filename").String())
	}
	r, e := call("importWeights", b.importWeights, exp.Get("bytes"))
	if e != "" {
		t.Fatalf("importing its own export: %s", e)
	}
	if r.Get("step").Int() != 1 {
		t.Errorf("imported step %d, exported at 1", r.Get("step").Int())
	}
}

// TestGuardTurnsPanicsIntoErrors: a panic inside a bridge function is an
// {error} result, not the end of the Go program.
func TestGuardTurnsPanicsIntoErrors(t *testing.T) {
	_, e := call("boom", func([]js.Value) (any, error) { panic("index out of range") })
	if e != "internal error in boom: index out of range" {
		t.Errorf("error %q", e)
	}
}

// TestCheckpointResumes: a checkpoint imported back resumes the training
// exactly (the same next losses) with its step, epoch and curves; bad
// curves are refused, and a weights file imports without curves.
func TestCheckpointResumes(t *testing.T) {
	b := built(t, 3)
	if _, e := call("checkpoint", b.checkpoint, `{"recon": {"x": [1, 2], "y": [3]}}`); !strings.Contains(e, "2 steps for 1 values") {
		t.Errorf("unequal curve: %q", e)
	}
	if _, e := call("checkpoint", b.checkpoint, 7); !strings.Contains(e, "JSON string") {
		t.Errorf("curves as a number: %q", e)
	}
	ck, e := call("checkpoint", b.checkpoint, `{"recon": {"x": [1, 3], "y": [550.5, 540.25]}}`)
	if e != "" {
		t.Fatal(e)
	}
	if ck.Get("step").Int() != 3 || !strings.HasSuffix(ck.Get("filename").String(), "-step3-checkpoint.safetensors") {
		t.Errorf("checkpoint step %d, filename %q", ck.Get("step").Int(), ck.Get("filename").String())
	}
	went, _ := call("train", b.train, 2, 1e6)
	r, e := call("importWeights", b.importWeights, ck.Get("bytes"))
	if e != "" {
		t.Fatal(e)
	}
	if r.Get("step").Int() != 3 || r.Get("epoch").Int() != 0 || r.Get("epochProgress").Float() != 0.5 ||
		r.Get("curves").String() != `{"recon":{"x":[1,3],"y":[550.5,540.25]}}` {
		t.Errorf("imported step %d, epoch %d + %v, curves %s", r.Get("step").Int(), r.Get("epoch").Int(), r.Get("epochProgress").Float(), r.Get("curves").String())
	}
	again, _ := call("train", b.train, 2, 1e6)
	if a, b := went.Get("losses").Get("recon").Float(), again.Get("losses").Get("recon").Float(); a != b {
		t.Errorf("after the checkpoint: recon %v went on, %v resumed", a, b)
	}
	exp, _ := call("exportWeights", b.exportWeights, "F32")
	if r, e := call("importWeights", b.importWeights, exp.Get("bytes")); e != "" || !r.Get("curves").IsNull() {
		t.Errorf("weights alone: curves %v, error %q", r.Get("curves"), e)
	}
}

// TestPlainErrors: the Go core's package prefixes do not reach the page.
func TestPlainErrors(t *testing.T) {
	b := loaded(t)
	_, e := call("init", b.init, `{"latent": -3}`)
	if e != "config: latent size -3 is outside 1..1024" {
		t.Errorf("init with a negative latent: %q", e)
	}
	for in, want := range map[string]string{
		"model: config: unknown model \"x\"": "config: unknown model \"x\"",
		"safetensors: header: truncated":     "header: truncated",
		"model: ":                            "model: ",
		"a bare message":                     "a bare message",
	} {
		if got := plain(in); got != want {
			t.Errorf("plain(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestProtocol: the requests the Go core names are functions it has,
// with the fields the worker passes (js/worker.js goRequest).
func TestProtocol(t *testing.T) {
	fs := functions(newBridge())
	for name := range replacing {
		if _, ok := requests[name]; !ok {
			t.Errorf("%q replaces the model but is no request", name)
		}
	}
	raw, err := protocol(fs)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]struct {
		Args     []string `json:"args"`
		Replaces bool     `json:"replaces"`
	}
	if err := json.Unmarshal([]byte(raw.(string)), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{"init": {"config"}, "decodeAt": {"x", "y"}, "score": {}}
	for name, args := range want {
		r, ok := got[name]
		if !ok || strings.Join(r.Args, ",") != strings.Join(args, ",") || r.Args == nil {
			t.Errorf("protocol %s: got %+v (present %v), want args %v", name, r, ok, args)
		}
	}
	if !got["init"].Replaces || got["decodeAt"].Replaces {
		t.Errorf("replaces: init %v, decodeAt %v", got["init"].Replaces, got["decodeAt"].Replaces)
	}
	if _, ok := got["setData"]; ok {
		t.Error("setData, which the worker calls itself, is offered as a request")
	}
	delete(fs, "decodeAt")
	if _, err := protocol(fs); err == nil {
		t.Error("a request without its function: no error")
	}
}
