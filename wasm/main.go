//go:build js && wasm

// Command wasm is the Go core compiled for the browser. It is the only code
// that touches JavaScript: it sets globalThis.latentlab, an object of
// synchronous functions that js/worker.js calls from a Web Worker, then
// blocks forever so the functions stay callable.
//
// Every function validates its arguments and returns {error: "..."} instead
// of panicking: a Go panic would end the program, and every later call
// would fail with "Go program has already exited".
package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"syscall/js"
)

func main() {
	b := newBridge()
	api := js.Global().Get("Object").New()
	fs := functions(b)
	for name, f := range fs {
		api.Set(name, js.FuncOf(guard(name, f)))
	}
	api.Set("protocol", js.FuncOf(guard("protocol", func([]js.Value) (any, error) { return protocol(fs) })))
	js.Global().Set("latentlab", api)
	select {}
}

// functions are what latentlab offers, on b.
func functions(b *bridge) map[string]func(args []js.Value) (any, error) {
	return map[string]func(args []js.Value) (any, error){
		"defaults":      b.defaults,
		"presets":       b.presets,
		"options":       b.options,
		"figures":       b.figures,
		"setData":       b.setData,
		"init":          b.init,
		"train":         b.train,
		"kinds":         b.kinds,
		"snapshot":      b.snapshot,
		"stepPhase":     b.stepPhase,
		"pick":          b.pick,
		"decodeAt":      b.decodeAt,
		"traverse":      b.traverse,
		"interpolate":   b.interpolate,
		"encodeDigit":   b.encodeDigit,
		"sampleBegin":   b.sampleBegin,
		"sampleRows":    b.sampleRows,
		"metrics":       b.metrics,
		"setScorer":     b.setScorer,
		"score":         b.score,
		"exportWeights": b.exportWeights,
		"importWeights": b.importWeights,
		"checkpoint":    b.checkpoint,
		"retune":        b.retune,
		"setShard":      b.setShard,
	}
}

// requests are the functions the page may ask a worker for by their own
// names: the worker calls one with the request's fields named here, in
// order (js/worker.js goRequest; it adds requests of its own, which call
// the others).
var requests = map[string]string{
	"init":          "config",
	"importWeights": "bytes",
	"retune":        "config curves",
	"exportWeights": "dtype",
	"checkpoint":    "curves",
	"stepPhase":     "phase count",
	"pick":          "x y",
	"decodeAt":      "x y",
	"traverse":      "n range",
	"interpolate":   "i j",
	"encodeDigit":   "pixels",
	"setScorer":     "bytes",
	"score":         "",
}

// replacing are the requests that may replace the model: the worker's
// replica starts its gradient sums anew.
var replacing = map[string]bool{"init": true, "importWeights": true, "retune": true}

// protocol() → JSON {name: {args, replaces}} of the requests, those of fs
// that requests names.
func protocol(fs map[string]func([]js.Value) (any, error)) (any, error) {
	type request struct {
		Args     []string `json:"args"`
		Replaces bool     `json:"replaces"`
	}
	out := map[string]request{}
	for name, fields := range requests {
		if fs[name] == nil {
			return nil, fmt.Errorf("request %q is no function", name)
		}
		out[name] = request{strings.Fields(fields), replacing[name]}
	}
	raw, err := json.Marshal(out)
	return string(raw), err
}

// guard turns an error or a panic of f into a {error: message} result.
func guard(name string, f func(args []js.Value) (any, error)) func(js.Value, []js.Value) any {
	return func(_ js.Value, args []js.Value) (result any) {
		defer func() {
			if p := recover(); p != nil {
				result = errorValue(fmt.Errorf("internal error in %s: %v", name, p))
			}
		}()
		v, err := f(args)
		if err != nil {
			return errorValue(err)
		}
		return v
	}
}

func errorValue(err error) any {
	return js.ValueOf(map[string]any{"error": plain(err.Error())})
}

// goPrefixes are the "package: " prefixes the Go core's errors begin with
// (for a developer, and the CLI's stderr); a visitor reads the rest.
var goPrefixes = []string{"model: ", "train: ", "safetensors: ", "data: ", "nn: ", "score: ", "prior: ", "pca: "}

// plain returns message without its leading package prefixes:
// "model: config: latent size 0 is outside 1..1024" reads "config: latent
// size 0 is outside 1..1024" (the page puts it in a sentence of its own).
func plain(message string) string {
	for trimmed := true; trimmed; {
		trimmed = false
		for _, p := range goPrefixes {
			if rest, ok := strings.CutPrefix(message, p); ok && rest != "" {
				message, trimmed = rest, true
			}
		}
	}
	return message
}
