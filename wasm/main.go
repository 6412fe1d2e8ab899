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
	"fmt"
	"strings"
	"syscall/js"
)

func main() {
	b := newBridge()
	api := js.Global().Get("Object").New()
	for name, f := range map[string]func(args []js.Value) (any, error){
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
	} {
		api.Set(name, js.FuncOf(guard(name, f)))
	}
	js.Global().Set("latentlab", api)
	select {}
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
var goPrefixes = []string{"model: ", "train: ", "checkpoint: ", "data: ", "nn: ", "score: ", "prior: ", "project: "}

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
