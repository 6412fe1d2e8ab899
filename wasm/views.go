//go:build js && wasm

package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"syscall/js"

	"latentlab/core/view"
)

// The live views and the latent exploration are core/view's; these
// functions read their arguments from JavaScript and carry the results
// back (toJS). Each needs a model (init first).

// views returns the current model's views, or says there is no model.
func (b *bridge) views() (*view.Views, error) {
	if _, err := b.session(); err != nil {
		return nil, err
	}
	return b.view, nil
}

// numbers reads args as n finite numbers, or says what name wants.
func numbers(name string, args []js.Value, n int) ([]float64, error) {
	if len(args) != n {
		return nil, fmt.Errorf("%s wants %d numbers, got %d arguments", name, n, len(args))
	}
	out := make([]float64, n)
	for i, a := range args {
		if a.Type() != js.TypeNumber || math.IsNaN(a.Float()) || math.IsInf(a.Float(), 0) {
			return nil, fmt.Errorf("%s: argument %d is not a finite number", name, i+1)
		}
		out[i] = a.Float()
	}
	return out, nil
}

// snapshot(optionsJSON?) → view.Views.Snapshot (view.Options).
func (b *bridge) snapshot(args []js.Value) (any, error) {
	v, err := b.views()
	if err != nil {
		return nil, err
	}
	var opt view.Options
	if len(args) > 0 && args[0].Type() == js.TypeString {
		if err := json.Unmarshal([]byte(args[0].String()), &opt); err != nil {
			return nil, errors.New("snapshot: options: " + err.Error())
		}
	}
	return toJS(v.Snapshot(opt)), nil
}

// pick(x, y) → view.Views.Pick.
func (b *bridge) pick(args []js.Value) (any, error) {
	return b.twoNumbers("pick", args, func(v *view.Views, x, y float64) (view.Result, error) {
		return v.Pick(float32(x), float32(y))
	})
}

// decodeAt(x, y) → view.Views.DecodeAt.
func (b *bridge) decodeAt(args []js.Value) (any, error) {
	return b.twoNumbers("decodeAt", args, (*view.Views).DecodeAt)
}

// traverse(n, range) → view.Views.Traverse.
func (b *bridge) traverse(args []js.Value) (any, error) {
	return b.twoNumbers("traverse", args, (*view.Views).Traverse)
}

// interpolate(i, j) → view.Views.Interpolate.
func (b *bridge) interpolate(args []js.Value) (any, error) {
	return b.twoNumbers("interpolate", args, (*view.Views).Interpolate)
}

// sampleRows(from, to) → view.Views.SampleRows.
func (b *bridge) sampleRows(args []js.Value) (any, error) {
	return b.twoNumbers("sampleRows", args, func(v *view.Views, from, to float64) (view.Result, error) {
		return v.SampleRows(int(from), int(to))
	})
}

// twoNumbers calls f with the views and args read as two finite numbers.
func (b *bridge) twoNumbers(name string, args []js.Value, f func(*view.Views, float64, float64) (view.Result, error)) (any, error) {
	v, err := b.views()
	if err != nil {
		return nil, err
	}
	n, err := numbers(name, args, 2)
	if err != nil {
		return nil, err
	}
	r, err := f(v, n[0], n[1])
	if err != nil {
		return nil, err
	}
	return toJS(r), nil
}

// encodeDigit(pixels: Uint8Array) → view.Views.EncodeDigit.
func (b *bridge) encodeDigit(args []js.Value) (any, error) {
	v, err := b.views()
	if err != nil {
		return nil, err
	}
	if len(args) != 1 {
		return nil, errors.New("encodeDigit wants the drawn digit's 784 bytes")
	}
	raw, err := bytesFromJS(args[0])
	if err != nil {
		return nil, fmt.Errorf("encodeDigit: %v", err)
	}
	r, err := v.EncodeDigit(raw)
	if err != nil {
		return nil, err
	}
	return toJS(r), nil
}

// sampleBegin(n) → view.Views.SampleBegin.
func (b *bridge) sampleBegin(args []js.Value) (any, error) {
	v, err := b.views()
	if err != nil {
		return nil, err
	}
	n, err := numbers("sampleBegin", args, 1)
	if err != nil {
		return nil, err
	}
	r, err := v.SampleBegin(int(n[0]))
	if err != nil {
		return nil, err
	}
	return toJS(r), nil
}

// metrics(progress?) → view.Views.Metrics; progress, a function, is
// called with the fraction done.
func (b *bridge) metrics(args []js.Value) (any, error) {
	v, err := b.views()
	if err != nil {
		return nil, err
	}
	var progress func(float64)
	if len(args) > 0 && args[0].Type() == js.TypeFunction {
		progress = func(f float64) { args[0].Invoke(f) }
	}
	r, err := v.Metrics(progress)
	if err != nil {
		return nil, err
	}
	return toJS(r), nil
}

// toJS turns a view.Result's values into what js.ValueOf takes, one for
// one: view.Pixels → a Uint8Array of 0..255, []float32 → a Float32Array,
// []byte → a Uint8Array, a float64 that is not finite → null, maps and
// lists value by value.
func toJS(v any) any {
	switch x := v.(type) {
	case view.Result:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = toJS(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = toJS(e)
		}
		return out
	case view.Pixels:
		return pixelsToJS(x)
	case []float32:
		return float32sToJS(x)
	case []byte:
		return bytesToJS(x)
	case float64:
		return finite(x)
	}
	return v
}
