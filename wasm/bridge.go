//go:build js && wasm

package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"syscall/js"
	"time"
	"unsafe"

	_ "latentlab/core/aae" // registers "aae" and "ae"
	"latentlab/core/checkpoint"
	"latentlab/core/data"
	"latentlab/core/model"
	"latentlab/core/train"
)

// Sizes of the live views; the page lays out its canvases to match.
const (
	viewDigits  = 16   // test digits shown beside their reconstructions
	viewSamples = 64   // digits decoded from fixed prior samples
	viewCodes   = 1000 // test digits whose codes are plotted
	viewPrior   = 1000 // prior samples plotted under them
)

// bridge holds the state behind the JS functions: the data and the session.
type bridge struct {
	trainSet, testSet *data.Set
	s                 *train.Session

	samplesZ []float32 // fixed prior samples decoded for the sample grid
	priorZ   []float32 // fixed prior samples for the latent plot
	mean     train.Mean

	shard *model.Shard // set by setShard; applied to every model this bridge makes
	stage js.Value     // Uint8Array through which gradients go to the reduce function
}

func newBridge() *bridge { return &bridge{} }

func (b *bridge) defaults(args []js.Value) (any, error) {
	return model.Defaults().JSON(), nil
}

func (b *bridge) presets(args []js.Value) (any, error) {
	out, err := json.Marshal(model.Presets())
	return string(out), err
}

// setData(trainImages, trainLabels, testImages, testLabels: Uint8Array)
// → {train, test}: decodes raw idx files.
func (b *bridge) setData(args []js.Value) (any, error) {
	if len(args) != 4 {
		return nil, errors.New("setData wants four Uint8Arrays: train images, train labels, test images, test labels")
	}
	var raw [4][]byte
	for i, a := range args {
		var err error
		if raw[i], err = bytesFromJS(a); err != nil {
			return nil, fmt.Errorf("setData argument %d: %w", i+1, err)
		}
	}
	tr, err := data.NewSet("train", raw[0], raw[1])
	if err != nil {
		return nil, err
	}
	te, err := data.NewSet("test", raw[2], raw[3])
	if err != nil {
		return nil, err
	}
	if tr.Dim() != model.Pixels || te.Dim() != model.Pixels {
		return nil, fmt.Errorf("images are %dx%d, want 28x28", tr.Rows, tr.Cols)
	}
	b.trainSet, b.testSet = tr, te
	if b.s != nil { // keep the model, train it on the new data
		s, err := train.New(b.s.Model, tr, te, b.s.Steps)
		if err != nil {
			return nil, err
		}
		b.s = s
	}
	return map[string]any{"train": tr.N, "test": te.N}, nil
}

// init(configJSON) → {config, params}: a fresh model. On error the current
// model stays.
func (b *bridge) init(args []js.Value) (any, error) {
	if len(args) != 1 || args[0].Type() != js.TypeString {
		return nil, errors.New("init wants the config as a JSON string")
	}
	c, err := model.ParseConfig([]byte(args[0].String()))
	if err != nil {
		return nil, err
	}
	m, err := model.New(c)
	if err != nil {
		return nil, err
	}
	if err := b.use(m, 0); err != nil {
		return nil, err
	}
	return map[string]any{"config": c.JSON(), "params": c.ParamCount()}, nil
}

// use makes m, which has had steps steps, the current model.
func (b *bridge) use(m model.Model, steps int) error {
	if b.trainSet == nil {
		return errors.New("the MNIST data has not been loaded yet")
	}
	s, err := train.New(m, b.trainSet, b.testSet, steps)
	if err != nil {
		return err
	}
	if err := b.applyShard(m); err != nil {
		return err
	}
	c := m.Config()
	b.s = s
	b.samplesZ, b.priorZ = nil, nil
	if g, ok := m.(model.Generator); ok {
		b.samplesZ = make([]float32, viewSamples*c.Latent)
		g.SamplePrior(b.samplesZ, viewSamples, model.NewRand(c, 2))
		b.priorZ = make([]float32, viewPrior*c.Latent)
		g.SamplePrior(b.priorZ, viewPrior, model.NewRand(c, 3))
	}
	return nil
}

func (b *bridge) session() (*train.Session, error) {
	if b.s == nil {
		return nil, errors.New("no model: call init first")
	}
	return b.s, nil
}

// train(maxSteps, budgetMs) → {step, epoch, epochProgress, steps, samples,
// ms, losses}: at least one step, then more while both allow; losses maps
// each of the model's loss names to its mean over the steps (null if not
// finite).
func (b *bridge) train(args []js.Value) (any, error) {
	s, err := b.session()
	if err != nil {
		return nil, err
	}
	if len(args) != 2 || args[0].Type() != js.TypeNumber || args[1].Type() != js.TypeNumber {
		return nil, errors.New("train wants (maxSteps, budgetMs)")
	}
	maxSteps, budget := args[0].Int(), time.Duration(args[1].Float()*float64(time.Millisecond))
	start := time.Now()
	b.mean.Reset()
	for b.mean.Count < max(maxSteps, 1) {
		b.mean.Add(s.Step())
		if time.Since(start) >= budget {
			break
		}
	}
	l := b.mean.Value()
	losses := map[string]any{}
	for i, name := range s.Model.LossNames() {
		losses[name] = finite(l[i])
	}
	r := map[string]any{
		"step":          s.Steps,
		"epoch":         s.Epoch(),
		"epochProgress": s.Progress(),
		"steps":         b.mean.Count,
		"samples":       b.mean.Count * s.Batch(),
		"ms":            float64(time.Since(start).Microseconds()) / 1000,
		"losses":        losses,
	}
	return r, nil
}

// snapshot() → the data of the live views (see js/worker.js): always
// kind, latent, step, lossNames; inputs, recons and testRecon for an
// Autoencoder; samples for a Generator; codes and labels for an Encoder,
// prior for a Generator (first two dimensions).
func (b *bridge) snapshot(args []js.Value) (any, error) {
	s, err := b.session()
	if err != nil {
		return nil, err
	}
	c := s.Model.Config()
	r := map[string]any{
		"kind":      c.Model,
		"latent":    c.Latent,
		"step":      s.Steps,
		"lossNames": strings.Join(s.Model.LossNames(), ","),
	}
	if _, ok := s.Model.(model.Autoencoder); ok {
		x := make([]float32, viewDigits*model.Pixels)
		xhat := make([]float32, viewDigits*model.Pixels)
		s.Reconstruct(x, xhat, viewDigits)
		r["inputs"], r["recons"] = pixelsToJS(x), pixelsToJS(xhat)
	}
	if g, ok := s.Model.(model.Generator); ok {
		samples := make([]float32, viewSamples*model.Pixels)
		for i := 0; i < viewSamples; i += c.Batch {
			k := min(c.Batch, viewSamples-i)
			g.Decode(samples[i*model.Pixels:(i+k)*model.Pixels], b.samplesZ[i*c.Latent:(i+k)*c.Latent], k)
		}
		r["samples"] = pixelsToJS(samples)
		r["prior"] = float32sToJS(firstTwo(b.priorZ, c.Latent))
	}
	if _, ok := s.Model.(model.Encoder); ok {
		nCodes := min(viewCodes, s.Test.N)
		codes := make([]float32, nCodes*c.Latent)
		sum, n := s.TestCodesAndLoss(codes, nCodes)
		r["codes"] = float32sToJS(firstTwo(codes, c.Latent))
		r["labels"] = bytesToJS(s.Test.Labels[:nCodes])
		if _, ok := s.Model.(model.Autoencoder); ok {
			r["testRecon"] = finite(sum / float64(n))
		}
	}
	return r, nil
}

// evaluate(offset, count) → {sum, n}: the reconstruction loss summed over
// test digits [offset, offset+count).
func (b *bridge) evaluate(args []js.Value) (any, error) {
	s, err := b.session()
	if err != nil {
		return nil, err
	}
	if len(args) != 2 || args[0].Type() != js.TypeNumber || args[1].Type() != js.TypeNumber {
		return nil, errors.New("evaluate wants (offset, count)")
	}
	sum, n := s.TestLoss(args[0].Int(), args[1].Int())
	return map[string]any{"sum": finite(sum), "n": n, "total": s.Test.N}, nil
}

// exportWeights(dtype) → {bytes, filename}: the model as .safetensors.
func (b *bridge) exportWeights(args []js.Value) (any, error) {
	s, err := b.session()
	if err != nil {
		return nil, err
	}
	if len(args) != 1 || args[0].Type() != js.TypeString {
		return nil, errors.New("exportWeights wants the dtype, \"F32\" or \"F16\"")
	}
	dtype, err := checkpoint.ParseDType(args[0].String())
	if err != nil {
		return nil, err
	}
	file, err := model.Encode(s.Model, s.Steps, dtype)
	if err != nil {
		return nil, err
	}
	c := s.Model.Config()
	name := fmt.Sprintf("latentlab-%s-z%d-step%d-%s.safetensors", c.Model, c.Latent, s.Steps, dtype)
	return map[string]any{"bytes": bytesToJS(file), "filename": name}, nil
}

// importWeights(bytes) → {config, step}: replaces the model with the file's,
// or returns an error and leaves the current model as it was.
func (b *bridge) importWeights(args []js.Value) (any, error) {
	if len(args) != 1 {
		return nil, errors.New("importWeights wants the file's bytes as a Uint8Array")
	}
	raw, err := bytesFromJS(args[0])
	if err != nil {
		return nil, err
	}
	m, steps, err := model.Decode(raw)
	if err != nil {
		return nil, err
	}
	if err := b.use(m, steps); err != nil {
		return nil, err
	}
	return map[string]any{"config": m.Config().JSON(), "step": steps, "params": m.Config().ParamCount()}, nil
}

// bytesFromJS copies a Uint8Array into Go in one call.
func bytesFromJS(v js.Value) ([]byte, error) {
	if v.Type() != js.TypeObject || !v.InstanceOf(js.Global().Get("Uint8Array")) {
		return nil, errors.New("want a Uint8Array")
	}
	out := make([]byte, v.Length())
	js.CopyBytesToGo(out, v)
	return out, nil
}

func bytesToJS(b []byte) js.Value {
	v := js.Global().Get("Uint8Array").New(len(b))
	js.CopyBytesToJS(v, b)
	return v
}

// pixelsToJS converts probabilities in [0, 1] to a Uint8Array of 0..255.
func pixelsToJS(p []float32) js.Value {
	out := make([]byte, len(p))
	for i, v := range p {
		out[i] = uint8(math.Round(float64(min(max(v, 0), 1)) * 255))
	}
	return bytesToJS(out)
}

// float32sToJS copies floats into a Float32Array through their bytes
// (little-endian, as wasm and every browser are).
func float32sToJS(f []float32) js.Value {
	if len(f) == 0 {
		return js.Global().Get("Float32Array").New(0)
	}
	raw := unsafe.Slice((*byte)(unsafe.Pointer(&f[0])), 4*len(f))
	return js.Global().Get("Float32Array").New(bytesToJS(raw).Get("buffer"))
}

// firstTwo returns the first two coordinates of each of the rows of z
// (rows, lat); with a 1-D code the second coordinate is 0.
func firstTwo(z []float32, lat int) []float32 {
	rows := len(z) / lat
	out := make([]float32, 2*rows)
	for i := range rows {
		out[2*i] = z[i*lat]
		if lat > 1 {
			out[2*i+1] = z[i*lat+1]
		}
	}
	return out
}

// finite returns v, or nil (JSON null) if it is NaN or infinite.
func finite(v float64) any {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return v
}

// setShard(index, count, reduce) makes this worker replica index of count
// data-parallel replicas, for the current model and every later one;
// setShard(0, 1) makes it whole again. reduce(stage, byteLength) receives
// a network's gradient as the little-endian float32 bytes of stage and must
// leave in them the sum of that gradient over all replicas, summed in the
// same order by every replica. Replicas must run the same number of steps.
func (b *bridge) setShard(args []js.Value) (any, error) {
	if len(args) < 2 || args[0].Type() != js.TypeNumber || args[1].Type() != js.TypeNumber {
		return nil, errors.New("setShard wants (index, count, reduce)")
	}
	index, count := args[0].Int(), args[1].Int()
	var sh *model.Shard
	if count > 1 {
		if len(args) != 3 || args[2].Type() != js.TypeFunction {
			return nil, errors.New("setShard wants a reduce function for more than one replica")
		}
		reduce := args[2]
		sh = &model.Shard{Index: index, Count: count, Reduce: func(g []float32) { b.reduce(reduce, g) }}
		if err := sh.Check(model.MaxBatch); err != nil {
			return nil, err
		}
	}
	old := b.shard
	b.shard = sh
	if b.s != nil {
		if err := b.applyShard(b.s.Model); err != nil {
			b.shard = old
			return nil, err
		}
	}
	return map[string]any{"index": index, "count": max(count, 1)}, nil
}

// applyShard makes m a replica as setShard asked, or whole.
func (b *bridge) applyShard(m model.Model) error {
	sh, ok := m.(model.Sharder)
	if !ok {
		if b.shard != nil {
			return fmt.Errorf("model %q cannot train in several workers", m.Config().Model)
		}
		return nil
	}
	if b.shard == nil {
		return sh.SetShard(nil)
	}
	return sh.SetShard(b.shard)
}

// reduce hands g to the JS reduce function and takes back the sum.
func (b *bridge) reduce(f js.Value, g []float32) {
	if len(g) == 0 {
		return
	}
	raw := unsafe.Slice((*byte)(unsafe.Pointer(&g[0])), 4*len(g))
	if b.stage.IsUndefined() || b.stage.Length() < len(raw) {
		b.stage = js.Global().Get("Uint8Array").New(len(raw))
	}
	js.CopyBytesToJS(b.stage, raw)
	f.Invoke(b.stage, len(raw))
	js.CopyBytesToGo(raw, b.stage)
}
