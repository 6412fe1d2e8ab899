//go:build js && wasm

package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"syscall/js"
	"time"
	"unsafe"

	"latentlab/core/data"
	"latentlab/core/figures"
	"latentlab/core/model"
	"latentlab/core/parallel"
	"latentlab/core/safetensors"
	"latentlab/core/train"
	"latentlab/core/view"
)

// bridge holds the state behind the JS functions: the data, the session
// and the current model's live views (core/view).
type bridge struct {
	trainSet, testSet *data.Set
	dataset           *data.Dataset // names them (for the files the page writes)
	s                 *train.Session
	mean              train.Mean

	view   *view.Views  // the current model's views; set with s
	scorer *view.Scorer // the sample-quality scorer, once setScorer has loaded its classifier

	shard   *parallel.Shard  // set by setShard; applied to every model this bridge makes that can take it
	sharded bool             // the current model is a replica (false: it trains whole in this worker)
	bounds  map[int]js.Value // n bytes → Int32Array of every replica's part's start in bytes, and n (gather)
}

func newBridge() *bridge { return &bridge{} }

func (b *bridge) defaults(args []js.Value) (any, error) {
	return model.Defaults().JSON(), nil
}

// options() → JSON [{key, label, doc, choices, min, integer, list, text,
// example}]: model.Options, what each config field is, for the page's form.
func (b *bridge) options(args []js.Value) (any, error) {
	return model.OptionsJSON(), nil
}

// figures() → JSON [{key, label, short, unit, percent, digits, group,
// good}]: figures.All, what each loss and measure is, for the page's
// labels.
func (b *bridge) figures(args []js.Value) (any, error) {
	out, err := json.Marshal(figures.All)
	return string(out), err
}

func (b *bridge) presets(args []js.Value) (any, error) {
	out, err := json.Marshal(model.Presets())
	return string(out), err
}

// kinds() → JSON [{name, doc, nets, caps}]: the registered kinds of model,
// by name, with the names of their networks and their capabilities (see
// capsOf; null if a small probe model of the kind could not be built), so
// that the page can show the config fields and views a kind has before
// building it.
func (b *bridge) kinds(args []js.Value) (any, error) {
	type kindInfo struct {
		Name string         `json:"name"`
		Doc  string         `json:"doc"`
		Nets []string       `json:"nets"`
		Caps map[string]any `json:"caps"`
	}
	presets := model.Presets()
	names := make([]string, 0, len(presets))
	for name := range presets {
		names = append(names, name)
	}
	slices.Sort(names)
	var out []kindInfo
	for _, kind := range model.Kinds() {
		k, _ := model.KindOf(kind)
		c := model.Defaults()
		c.Model = kind
		for _, name := range names { // the kind's first preset, if it has one
			if presets[name].Model == kind {
				c = presets[name]
				break
			}
		}
		info := kindInfo{Name: kind, Doc: k.Doc, Caps: probe(c)}
		for net := range c.Nets() {
			info.Nets = append(info.Nets, net)
		}
		slices.Sort(info.Nets)
		out = append(out, info)
	}
	j, err := json.Marshal(out)
	return string(j), err
}

// probe returns the capabilities of a model like c's built small (narrow
// layers, small batch), or nil if it cannot be built.
func probe(c model.Config) (caps map[string]any) {
	defer func() {
		if recover() != nil {
			caps = nil
		}
	}()
	shrink := func(ws []int) []int {
		out := make([]int, len(ws))
		for i, w := range ws {
			out[i] = min(w, 8)
		}
		return out
	}
	c.Encoder, c.Discriminator, c.Batch = shrink(c.Encoder), shrink(c.Discriminator), min(c.Batch, 4)
	m, err := model.New(c)
	if err != nil {
		return nil
	}
	return view.Caps(m)
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
	for name, s := range map[string]*data.Set{"training": tr, "test": te} {
		if s.Rows != model.Side || s.Cols != model.Side {
			return nil, fmt.Errorf("%s images are %dx%d, want 28x28", name, s.Rows, s.Cols)
		}
	}
	b.trainSet, b.testSet = tr, te
	b.dataset = data.NewDataset(tr, te, "idx files")
	// The views plot digits of the new test set; the model stays and
	// trains on the new data.
	b.scorer = nil // its reference statistics are the old test set's
	if b.s != nil {
		s, err := train.New(b.s.Model, tr, te, b.s.Steps)
		if err != nil {
			return nil, err
		}
		b.s = s
		s.Data = b.dataset
		b.view.SetData(s)
	}
	return map[string]any{"train": tr.N, "test": te.N}, nil
}

// init(configJSON) → {config, params, step, sharded, caps} (see modelInfo
// and capsOf): a fresh model. On error the current model stays. A model
// that cannot be a data-parallel replica (no parallel.Sharder) is built whole
// even when setShard made this worker a replica; sharded says which.
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
	return b.modelInfo(), nil
}

// modelInfo describes the current model for init and importWeights:
// {config, params, step, epoch, epochProgress, sharded, caps}.
func (b *bridge) modelInfo() map[string]any {
	c := b.s.Model.Config()
	return map[string]any{
		"config":        c.JSON(),
		"params":        c.ParamCount(),
		"step":          b.s.Steps,
		"epoch":         b.s.Epoch(),
		"epochProgress": b.s.Progress(),
		"sharded":       b.sharded,
		"caps":          view.Caps(b.s.Model),
	}
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
	return b.useSession(s)
}

// useSession makes s the current session.
func (b *bridge) useSession(s *train.Session) error {
	sharded, err := b.applyShard(s.Model)
	if err != nil {
		return err
	}
	b.s, b.sharded = s, sharded
	s.Data = b.dataset
	b.view = view.New(s)
	b.view.SetReplica(b.replica())
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
	return b.trainResult(start, false), nil
}

// stepPhase(phase, count) → as train: count runs of one phase of the
// training step (model.PhaseStepper, the page's step controls). losses
// holds only the losses the phase computes (non-zero).
func (b *bridge) stepPhase(args []js.Value) (any, error) {
	s, err := b.session()
	if err != nil {
		return nil, err
	}
	if len(args) != 2 || args[0].Type() != js.TypeString || args[1].Type() != js.TypeNumber {
		return nil, errors.New("stepPhase wants (phase, count)")
	}
	phase, count := args[0].String(), max(args[1].Int(), 1)
	start := time.Now()
	b.mean.Reset()
	for range count {
		l, err := s.StepPhase(phase)
		if err != nil {
			return nil, err
		}
		b.mean.Add(l)
	}
	return b.trainResult(start, true), nil
}

// trainResult reports the steps b.mean holds, run since start; onlyNonZero
// leaves out the losses that stayed exactly zero (not computed by a phase).
func (b *bridge) trainResult(start time.Time, onlyNonZero bool) map[string]any {
	s := b.s
	l := b.mean.Value()
	losses := map[string]any{}
	for i, name := range s.Model.LossNames() {
		if onlyNonZero && l[i] == 0 {
			continue
		}
		losses[name] = finite(l[i])
	}
	return map[string]any{
		"step":          s.Steps,
		"epoch":         s.Epoch(),
		"epochProgress": s.Progress(),
		"steps":         b.mean.Count,
		"samples":       b.mean.Count * s.Batch(),
		"ms":            float64(time.Since(start).Microseconds()) / 1000,
		"losses":        losses,
	}
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
	dtype, err := safetensors.ParseDType(args[0].String())
	if err != nil {
		return nil, err
	}
	file, err := s.Weights(dtype)
	if err != nil {
		return nil, err
	}
	c := s.Model.Config()
	name := fmt.Sprintf("latentlab-%s-z%d-step%d-%s.safetensors", c.Model, c.Latent, s.Steps, dtype)
	return map[string]any{"bytes": bytesToJS(file), "filename": name}, nil
}

// importWeights(bytes) → {config, params, step, epoch, epochProgress,
// sharded, caps, curves}: replaces the model with the file's, or returns
// an error and leaves the current model as it was. A training checkpoint
// (checkpoint, or the CLI's --checkpoint) resumes exactly, its loss curves
// in curves (JSON, as checkpoint takes them); a file of weights alone
// starts a new training of them at the file's step, curves null.
func (b *bridge) importWeights(args []js.Value) (any, error) {
	if len(args) != 1 {
		return nil, errors.New("importWeights wants the file's bytes as a Uint8Array")
	}
	raw, err := bytesFromJS(args[0])
	if err != nil {
		return nil, err
	}
	if b.trainSet == nil {
		return nil, errors.New("the MNIST data has not been loaded yet")
	}
	f, err := safetensors.Decode(raw)
	if err != nil {
		return nil, err
	}
	var curves any
	if train.IsCheckpoint(f) {
		s, err := train.Resume(f, b.trainSet, b.testSet, nil)
		if err != nil {
			return nil, err
		}
		if err := b.useSession(s); err != nil {
			return nil, err
		}
		j, err := json.Marshal(s.Curves)
		if err != nil {
			return nil, err
		}
		curves = string(j)
	} else {
		m, steps, err := model.FromFile(f, nil)
		if err != nil {
			return nil, err
		}
		if err := b.use(m, steps); err != nil {
			return nil, err
		}
	}
	info := b.modelInfo()
	info["curves"] = curves
	return info, nil
}

// retune(config, curves) → the model's info and changed, the fields that
// changed: the model trains on from the next step with the fields of
// config (JSON, over the model's own config) that model.Tunable lets
// change (learning rates, their schedule, Adam's β, momentum), exactly as
// latentlab train --resume with --lr-recon does: its whole training state
// (with the page's loss curves, JSON) goes through a checkpoint that
// resumes with the new config. Any other field that differs is refused,
// naming it, and the model is kept. Every replica is asked (each gathers
// its optimizer parts first, as for a checkpoint).
func (b *bridge) retune(args []js.Value) (any, error) {
	s, err := b.session()
	if err != nil {
		return nil, err
	}
	if len(args) != 2 || args[0].Type() != js.TypeString || args[1].Type() != js.TypeString {
		return nil, errors.New("retune wants the config and the loss curves as JSON strings")
	}
	was := s.Model.Config()
	asked, err := model.ParseConfigOver(was, []byte(args[0].String()))
	if err != nil {
		return nil, err
	}
	changed, err := model.Retune(was, asked)
	if err != nil {
		return nil, err
	}
	if len(changed) == 0 {
		info := b.modelInfo()
		info["changed"] = []any{}
		return info, nil
	}
	curves, err := train.ParseCurves([]byte(args[1].String()))
	if err != nil {
		return nil, err
	}
	if b.sharded {
		s.GatherState(b.shard)
	}
	s.Curves = curves
	raw, err := s.Checkpoint()
	if err != nil {
		return nil, err
	}
	f, err := safetensors.Decode(raw)
	if err != nil {
		return nil, err
	}
	s2, err := train.Resume(f, b.trainSet, b.testSet, func(model.Config) (model.Config, error) { return asked, nil })
	if err != nil {
		return nil, err
	}
	if err := b.useSession(s2); err != nil {
		return nil, err
	}
	info := b.modelInfo()
	names := make([]any, len(changed))
	for i, k := range changed {
		names[i] = k
	}
	info["changed"] = names
	return info, nil
}

// checkpoint(curvesJSON) → {bytes, filename, step, config}: the whole training
// state (train.Session.Checkpoint) with the page's loss curves ({name:
// {x, y}}), which importWeights resumes exactly. Every replica of a
// sharded model must call it, as for train: their optimizers' parts are
// gathered; replicas other than 0 return no bytes. Weights that are not
// finite are refused: there is nothing worth keeping.
func (b *bridge) checkpoint(args []js.Value) (any, error) {
	s, err := b.session()
	if err != nil {
		return nil, err
	}
	if len(args) != 1 || args[0].Type() != js.TypeString {
		return nil, errors.New("checkpoint wants the loss curves as a JSON string")
	}
	curves, err := train.ParseCurves([]byte(args[0].String()))
	if err != nil {
		return nil, err
	}
	if err := model.CheckFinite(s.Model); err != nil {
		return nil, err
	}
	if b.sharded {
		s.GatherState(b.shard)
		if b.shard.Index > 0 {
			return map[string]any{"step": s.Steps}, nil
		}
	}
	s.Curves = curves
	file, err := s.Checkpoint()
	if err != nil {
		return nil, err
	}
	c := s.Model.Config()
	name := fmt.Sprintf("latentlab-%s-z%d-step%d-checkpoint.safetensors", c.Model, c.Latent, s.Steps)
	return map[string]any{"bytes": bytesToJS(file), "filename": name, "step": s.Steps, "config": c.JSON()}, nil
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
	return js.Global().Get("Float32Array").New(bytesToJS(asBytes(f)).Get("buffer"))
}

// finite returns v, or nil (JSON null) if it is NaN or infinite.
func finite(v float64) any {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return v
}

// setShard(index, count, reduce, gather) makes this worker replica index
// of count data-parallel replicas, for the current model and every later
// one; setShard(0, 1) makes it whole again. The two functions carry
// parallel.Shard's Reduce and Gather on the Go core's own memory (the
// instance's exported memory, "mem"), the numbers as little-endian float32
// bytes and the parts as byte offsets, so that nothing is copied on the way:
// reduce(addr, n, lo, hi) finds a network's gradient in memory bytes
// [addr, addr+n) and must leave in [addr+lo, addr+hi) that part of its sum
// over all replicas, summed in the same order by every replica;
// gather(addr, n, lo, hi, bounds) finds this replica's part of the
// parameters in [addr+lo, addr+hi) and must leave in [addr, addr+n) every
// replica's part: replica k's part is bytes [bounds[k], bounds[k+1]) from
// addr (parallel.Shard.Part; the page restates no formula). The memory does
// not move or grow during a call. Replicas must run the same number of
// steps.
func (b *bridge) setShard(args []js.Value) (any, error) {
	if len(args) < 2 || args[0].Type() != js.TypeNumber || args[1].Type() != js.TypeNumber {
		return nil, errors.New("setShard wants (index, count, reduce, gather)")
	}
	index, count := args[0].Int(), args[1].Int()
	var sh *parallel.Shard
	if count > 1 {
		if len(args) != 4 || args[2].Type() != js.TypeFunction || args[3].Type() != js.TypeFunction {
			return nil, errors.New("setShard wants reduce and gather functions for more than one replica")
		}
		reduce, gather := args[2], args[3]
		sh = &parallel.Shard{
			Index:  index,
			Count:  count,
			Reduce: func(g []float32, lo, hi int) { b.reduce(reduce, g, lo, hi) },
			Gather: func(p []float32, lo, hi int) { b.gatherParts(gather, p, lo, hi, count) },
		}
		if err := sh.Check(model.MaxBatch); err != nil {
			return nil, err
		}
	}
	old := b.shard
	b.shard = sh
	if b.s != nil {
		sharded, err := b.applyShard(b.s.Model)
		if err != nil {
			b.shard = old
			return nil, err
		}
		b.sharded = sharded
		b.view.SetReplica(b.replica())
	}
	return map[string]any{"index": index, "count": max(count, 1)}, nil
}

// applyShard makes m a replica as setShard asked, or whole, and reports
// whether it is a replica: a model that is no parallel.Sharder, or whose
// config no replica can train, stays whole.
func (b *bridge) applyShard(m model.Model) (bool, error) {
	sh, ok := m.(parallel.Sharder)
	if !ok {
		return false, nil
	}
	// A config no replica can train (batch norm, dropout: Shard.CheckConfig)
	// trains whole in this worker, as a kind that is no Sharder does.
	if b.shard == nil || b.shard.CheckConfig(m.Config()) != nil {
		return false, sh.SetShard(nil)
	}
	return true, sh.SetShard(b.shard)
}

// replica returns the shard the current model is a replica of, or nil
// when it trains whole.
func (b *bridge) replica() *parallel.Shard {
	if !b.sharded {
		return nil
	}
	return b.shard
}

// reduce hands g, where it lies in memory, to the JS reduce function,
// which leaves the sum of its part g[lo:hi] in place.
func (b *bridge) reduce(f js.Value, g []float32, lo, hi int) {
	if len(g) == 0 {
		return
	}
	f.Invoke(addrOf(g), 4*len(g), 4*lo, 4*hi)
	runtime.KeepAlive(g)
}

// gatherParts hands p, where it lies in memory with this replica's part
// p[lo:hi] updated, to the JS gather function, which fills in every other
// replica's part.
func (b *bridge) gatherParts(f js.Value, p []float32, lo, hi, count int) {
	if len(p) == 0 {
		return
	}
	f.Invoke(addrOf(p), 4*len(p), 4*lo, 4*hi, b.boundsFor(len(p), count))
	runtime.KeepAlive(p)
}

// addrOf is the byte offset of f's first number (f not empty) in the
// WebAssembly memory: a Go pointer is one, and Go's collector does not move
// what it points at.
func addrOf(f []float32) int { return int(uintptr(unsafe.Pointer(&f[0]))) }

// boundsFor returns, as an Int32Array made once per size, the byte offset
// at which each of count replicas' parts of n float32s starts, then 4n:
// replica k's part is [bounds[k], bounds[k+1]) (parallel.Shard.Part).
func (b *bridge) boundsFor(n, count int) js.Value {
	if v, ok := b.bounds[n]; ok && v.Length() == count+1 {
		return v
	}
	v := js.Global().Get("Int32Array").New(count + 1)
	for k := range count {
		lo, _ := (&parallel.Shard{Index: k, Count: count}).Part(n)
		v.SetIndex(k, 4*lo)
	}
	v.SetIndex(count, 4*n)
	if b.bounds == nil {
		b.bounds = map[int]js.Value{}
	}
	b.bounds[n] = v
	return v
}

// asBytes is the memory of f (not empty) as bytes.
func asBytes(f []float32) []byte { return unsafe.Slice((*byte)(unsafe.Pointer(&f[0])), 4*len(f)) }
