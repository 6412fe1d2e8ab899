//go:build js && wasm

package main

import (
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"syscall/js"

	"latentlab/core/model"
	"latentlab/core/project"
	"latentlab/core/score"
	"latentlab/core/train"
)

// Sizes of the live views; the page lays out its canvases to match.
const (
	viewDigits   = 16   // test digits shown beside their reconstructions
	viewSamples  = 64   // digits decoded from fixed prior samples
	viewCodes    = 1000 // test digits whose codes are plotted (and classified)
	viewPrior    = 1000 // prior samples plotted under them
	viewPerClass = 8    // digits shown per cluster
	viewClasses  = 20   // at most this many clusters are shown
	viewLabels   = 10   // digits a label grid decodes one code with
)

// rowSampler is a model.Sampler that draws a run of pixels at a time (the
// pixel model's SampleRows), so that the page can show digits as they are
// drawn.
type rowSampler interface {
	SampleRows(x []float32, n, from, to int, r *rand.Rand)
}

// views is what the live views keep between calls: fixed noise (so that a
// person sees the same draws evolve), the plotted test digits, the last
// plot (for picking a code on it) and a pixel-by-pixel sample in progress.
type views struct {
	samplesZ []float32 // (viewSamples, Latent) decoded for the sample grid
	priorZ   []float32 // (viewPrior, Latent) plotted under the codes

	x      []float32 // (viewCodes, Pixels) the plotted test digits
	labels []uint8   // their labels
	rawPCA []float32 // (viewCodes, 2) their pixels projected on 2 principal axes; nil until asked

	codes     []float32           // (viewCodes, Latent) their codes at the last snapshot
	plane     *project.Projection // how the last snapshot put codes on the plot (see fitPlane)
	plotCodes []float32           // (viewCodes, 2) as plotted
	plotPrior []float32           // (viewPrior, 2) as plotted
	pickZ     []float32           // (Latent) the code the label grid decodes
	pickXY    [2]float32

	sampleX []float32  // (n, Pixels) a sample being drawn pixel by pixel
	sampleN int        // digits in it
	sampleR *rand.Rand // its random stream
}

// reset prepares the views of a new model m: fresh fixed noise from its
// seed, and no pick, plot or sample in progress.
func (v *views) reset(m model.Model) {
	c := m.Config()
	v.samplesZ, v.priorZ, v.codes, v.plotCodes, v.plotPrior, v.pickZ, v.plane = nil, nil, nil, nil, nil, nil, nil
	v.sampleX, v.sampleN, v.sampleR = nil, 0, nil
	if g, ok := m.(model.Generator); ok {
		v.samplesZ = make([]float32, viewSamples*c.Latent)
		g.SamplePrior(v.samplesZ, viewSamples, model.NewRand(c, 2))
		v.priorZ = make([]float32, viewPrior*c.Latent)
		g.SamplePrior(v.priorZ, viewPrior, model.NewRand(c, 3))
		v.pickZ = slices.Clone(v.priorZ[:c.Latent])
		v.pickXY = [2]float32{v.priorZ[0], 0}
		if c.Latent > 1 {
			v.pickXY[1] = v.priorZ[1]
		}
	}
}

// testDigits returns the first viewCodes test digits (fewer if the test set
// is smaller) and their labels, filled once per data set.
func (b *bridge) testDigits() ([]float32, []uint8) {
	v := &b.views
	n := min(viewCodes, b.testSet.N)
	if len(v.labels) != n {
		v.x = make([]float32, n*model.Pixels)
		v.labels = make([]uint8, n)
		b.testSet.FillRange(v.x, v.labels, 0, n)
		v.rawPCA = nil
	}
	return v.x, v.labels
}

// chunks calls f on consecutive runs of at most batch of the n rows of x
// (rows of dim values): f(lo, hi, x[lo*dim:hi*dim]).
func chunks(x []float32, n, dim, batch int, f func(lo, hi int, x []float32)) {
	for lo := 0; lo < n; lo += batch {
		hi := min(lo+batch, n)
		f(lo, hi, x[lo*dim:hi*dim])
	}
}

// decodeAll returns g's digits (n, Pixels) decoded from the codes z (n,
// lat), a batch of rows at a time.
func decodeAll(g model.Generator, z []float32, n, lat, batch int) []float32 {
	px := make([]float32, n*model.Pixels)
	chunks(z, n, lat, batch, func(lo, hi int, zb []float32) {
		g.Decode(px[lo*model.Pixels:hi*model.Pixels], zb, hi-lo)
	})
	return px
}

// capsOf lists what m can do, for the page: one flag per capability
// interface of core/model, the phases of a model.PhaseStepper, the classes
// of a model.Classifier and the model's loss names.
func capsOf(m model.Model) map[string]any {
	_, enc := m.(model.Encoder)
	_, gen := m.(model.Generator)
	_, ae := m.(model.Autoencoder)
	_, rec := m.(model.Reconstructor)
	cl, isCl := m.(model.Classifier)
	_, lg := m.(model.LabelGenerator)
	_, smp := m.(model.Sampler)
	_, rows := m.(rowSampler)
	_, dens := m.(model.Density)
	_, ev := m.(model.Evaluator)
	_, sh := m.(model.Sharder)
	phases := []any{}
	if p, ok := m.(model.PhaseStepper); ok {
		for _, name := range p.Phases() {
			phases = append(phases, name)
		}
	}
	classes := 0
	if isCl {
		classes = cl.Classes()
	}
	names := []any{}
	for _, n := range m.LossNames() {
		names = append(names, n)
	}
	return map[string]any{
		"encoder": enc, "generator": gen, "autoencoder": ae, "reconstructor": rec, "classifier": isCl,
		"labelGenerator": lg, "sampler": smp, "rowSampler": rows, "density": dens,
		"evaluator": ev, "sharder": sh, "phases": phases, "classes": classes,
		"lossNames": names,
	}
}

// snapshot(optionsJSON?) → the data of the live views, by capability (see
// js/worker.js): always kind, latent, step, lossNames, caps;
//   - Autoencoder or Reconstructor: inputs, recons (viewDigits test
//     digits); testRecon (mean over the plotted digits) for an Autoencoder;
//   - Generator: samples (viewSamples digits from fixed noise), prior
//     (fixed prior samples, as plotted);
//   - Encoder: codes and labels of the plotted test digits, projection
//     ("direct" for a latent of 1 or 2, else "axes" (the two dimensions
//     axes, options.latentView "axes:i,j") or "pca" as options.latentView
//     asks; see fitPlane); rawPCA, the same digits' pixels on
//     their two principal axes, when options.rawPCA and the latent is 2;
//   - LabelGenerator: labelGrid, the picked code decoded with each label,
//     and pick, where it is on the plot;
//   - Classifier: clusterError, testError (with labels), clusters (the
//     most probable digits of each class);
//   - Density: testNLL (nats per digit) and bitsPerPixel.
//
// Figures over test digits are over the plotted ones (the first viewCodes).
//
// A replica (several workers train the model) must be asked for every
// snapshot with the others, the same options to each: the replicas split
// the figures over test digits (codes, losses) and gather them (gather),
// and only replica 0 does the rest and returns the views; the others
// return {replica: true}.
func (b *bridge) snapshot(args []js.Value) (any, error) {
	s, err := b.session()
	if err != nil {
		return nil, err
	}
	var opt struct {
		LatentView string `json:"latentView"`
		RawPCA     bool   `json:"rawPCA"`
	}
	if len(args) > 0 && args[0].Type() == js.TypeString {
		if err := json.Unmarshal([]byte(args[0].String()), &opt); err != nil {
			return nil, errors.New("snapshot: options: " + err.Error())
		}
	}
	m := s.Model
	if !b.lead() {
		// Only the gathered figures, in the order replica 0 computes them.
		r := map[string]any{"replica": true}
		if _, ok := m.(model.Encoder); ok {
			b.snapshotCodes(r, opt.LatentView, opt.RawPCA)
		}
		if d, ok := m.(model.Density); ok {
			b.snapshotNLL(r, d)
		}
		return r, nil
	}
	c := m.Config()
	r := map[string]any{
		"kind":      c.Model,
		"latent":    c.Latent,
		"step":      s.Steps,
		"lossNames": strings.Join(m.LossNames(), ","),
		"caps":      capsOf(m),
	}
	x, labels := b.testDigits()
	n := len(labels)
	_, ae := m.(model.Autoencoder)
	if _, rec := m.(model.Reconstructor); ae || rec {
		k := min(viewDigits, n)
		xhat := make([]float32, k*model.Pixels)
		s.Reconstruct(make([]float32, k*model.Pixels), xhat, k)
		r["inputs"], r["recons"] = pixelsToJS(x[:k*model.Pixels]), pixelsToJS(xhat)
	}
	if g, ok := m.(model.Generator); ok {
		r["samples"] = pixelsToJS(decodeAll(g, b.views.samplesZ, viewSamples, c.Latent, c.Batch))
	}
	if _, ok := m.(model.Encoder); ok {
		b.snapshotCodes(r, opt.LatentView, opt.RawPCA)
	}
	if lg, ok := m.(model.LabelGenerator); ok && b.views.pickZ != nil {
		r["labelGrid"] = pixelsToJS(b.decodeLabels(lg))
		r["pick"] = float32sToJS(b.views.pickXY[:])
	}
	if cl, ok := m.(model.Classifier); ok {
		b.snapshotClasses(r, cl)
	}
	if d, ok := m.(model.Density); ok {
		b.snapshotNLL(r, d)
	}
	return r, nil
}

// snapshotNLL adds to r the negative log-likelihood of the plotted test
// digits, testNLL in nats per digit and bitsPerPixel.
func (b *bridge) snapshotNLL(r map[string]any, d model.Density) {
	x, labels := b.testDigits()
	n := len(labels)
	lo, hi := b.viewRows(n)
	var sum float64
	chunks(x[lo*model.Pixels:hi*model.Pixels], hi-lo, model.Pixels, b.s.Model.Config().Batch, func(from, to int, xb []float32) {
		sum += d.NLL(xb, to-from)
	})
	sum = b.gather(nil, sum)[0]
	r["testNLL"] = finite(sum / float64(n))
	r["bitsPerPixel"] = finite(sum / float64(n) / (model.Pixels * math.Ln2))
}

// lead reports whether this worker returns the views: it is the whole
// model, or replica 0 of several.
func (b *bridge) lead() bool { return !b.sharded || b.shard.Index == 0 }

// viewRows returns the rows [lo, hi) of n view digits whose figures this
// worker computes: its share (model.Shard.Rows) when the model is a
// replica, all n otherwise.
func (b *bridge) viewRows(n int) (lo, hi int) {
	if !b.sharded {
		return 0, n
	}
	return b.shard.Rows(n)
}

// gather completes on every replica the figures the replicas computed in
// parts, and returns the totals of sums: each replica filled its rows
// (viewRows) of v, left the others zero, and summed its part of each of
// sums. The sum over the replicas (Shard.AllReduce, added in the same order
// by all) then holds every replica's rows exactly (x + 0 = x); the sums
// go through it as float32. Every replica must make the same gather calls
// (the page asks them all for the snapshot). v fits the reduce's slots,
// which hold all of a model's parameters: the codes of viewCodes digits
// are fewer numbers than an encoder's 784·Latent weights and its
// decoder's. A model that is not a replica keeps v and sums as they are.
func (b *bridge) gather(v []float32, sums ...float64) []float64 {
	if !b.sharded {
		return sums
	}
	buf := make([]float32, len(v), len(v)+len(sums))
	copy(buf, v)
	for _, s := range sums {
		buf = append(buf, float32(s))
	}
	b.shard.AllReduce(buf)
	copy(v, buf)
	out := make([]float64, len(sums))
	for i := range sums {
		out[i] = float64(buf[len(v)+i])
	}
	return out
}

// snapshotCodes adds the codes of the plotted test digits to r (see
// snapshot), and the reconstruction loss over them for an Autoencoder.
//
// A projection that fails is reported (projectionError, rawPCAError) and
// the plot falls back to the first two dimensions (no rawPCA).
func (b *bridge) snapshotCodes(r map[string]any, view string, rawPCA bool) {
	s, v := b.s, &b.views
	c := s.Model.Config()
	x, labels := b.testDigits()
	n := len(labels)
	v.codes = make([]float32, n*c.Latent)
	lo, hi := b.viewRows(n)
	sum, _ := s.TestCodesAndLoss(v.codes[lo*c.Latent:hi*c.Latent], lo, hi-lo)
	sum = b.gather(v.codes, sum)[0]
	if !b.lead() {
		return // replica 0 plots them
	}
	if _, ok := s.Model.(model.Autoencoder); ok {
		r["testRecon"] = finite(sum / float64(n))
	}
	plane, proj, err := b.fitPlane(v.codes, n, c.Latent, view)
	if err != nil {
		r["projectionError"] = err.Error()
	}
	v.plane = plane
	v.plotCodes = onPlane(plane, v.codes, n)
	v.plotPrior = nil
	if v.priorZ != nil {
		v.plotPrior = onPlane(plane, v.priorZ, viewPrior)
	}
	if proj == "axes" {
		r["axes"] = axesOf(plane)
	}
	r["projection"] = proj
	r["codes"] = float32sToJS(v.plotCodes)
	r["labels"] = bytesToJS(labels)
	if v.plotPrior != nil {
		r["prior"] = float32sToJS(v.plotPrior)
	}
	if rawPCA && c.Latent == 2 {
		if v.rawPCA == nil {
			p, err := project.Fit(x, n, model.Pixels, 2)
			if err != nil {
				r["rawPCAError"] = err.Error()
				return
			}
			v.rawPCA = onPlane(p, x, n)
		}
		r["rawPCA"] = float32sToJS(v.rawPCA)
	}
}

// snapshotClasses adds to r the class (cluster) figures of a Classifier
// over the plotted test digits: clusterError, testError when it trained
// with labels, and clusters: {k, per, pixels (k·per digits, the most
// probable members of each class first, blank when fewer), counts (members
// per class), major (the label most members have, -1 for none)}.
func (b *bridge) snapshotClasses(r map[string]any, cl model.Classifier) {
	c := b.s.Model.Config()
	x, labels := b.testDigits()
	n := len(labels)
	k := cl.Classes()
	p := make([]float32, n*k)
	chunks(x, n, model.Pixels, c.Batch, func(lo, hi int, xb []float32) {
		cl.Classify(p[lo*k:hi*k], xb, hi-lo)
	})
	pred := make([]int, n)
	for i := range n {
		row := p[i*k : (i+1)*k]
		for j, q := range row {
			if q > row[pred[i]] {
				pred[i] = j
			}
		}
	}
	clusterErr, major := train.ClusterError(pred, labels, k)
	r["clusterError"] = finite(clusterErr)
	if c.Labels > 0 {
		r["testError"] = finite(train.ClassError(pred, labels))
	}
	shown := min(k, viewClasses)
	pix := make([]float32, shown*viewPerClass*model.Pixels)
	counts := make([]any, shown)
	majors := make([]any, shown)
	for j := range shown {
		var members []int
		for i, q := range pred {
			if q == j {
				members = append(members, i)
			}
		}
		counts[j], majors[j] = len(members), major[j]
		slices.SortStableFunc(members, func(a, b int) int {
			switch pa, pb := p[a*k+j], p[b*k+j]; {
			case pa > pb:
				return -1
			case pa < pb:
				return 1
			}
			return 0
		})
		for t, i := range members[:min(len(members), viewPerClass)] {
			copy(pix[(j*viewPerClass+t)*model.Pixels:], x[i*model.Pixels:(i+1)*model.Pixels])
		}
	}
	r["clusters"] = map[string]any{
		"k": k, "shown": shown, "per": viewPerClass, "pixels": pixelsToJS(pix),
		"counts": counts, "major": majors,
	}
}

// decodeLabels decodes the picked code with each of the viewLabels labels.
func (b *bridge) decodeLabels(lg model.LabelGenerator) []float32 {
	lat := b.s.Model.Config().Latent
	batch := b.s.Model.Config().Batch
	z := make([]float32, viewLabels*lat)
	lbl := make([]uint8, viewLabels)
	for i := range viewLabels {
		copy(z[i*lat:], b.views.pickZ)
		lbl[i] = uint8(i)
	}
	out := make([]float32, viewLabels*model.Pixels)
	chunks(z, viewLabels, lat, batch, func(lo, hi int, zb []float32) {
		lg.DecodeLabels(out[lo*model.Pixels:hi*model.Pixels], zb, lbl[lo:hi], hi-lo)
	})
	return out
}

// pick(x, y) → {labelGrid, pick}: picks the code the label grid decodes at
// point (x, y) of the latent plot (codeAt).
func (b *bridge) pick(args []js.Value) (any, error) {
	s, err := b.session()
	if err != nil {
		return nil, err
	}
	lg, ok := s.Model.(model.LabelGenerator)
	if !ok {
		return nil, errors.New("this model decodes no labels")
	}
	if len(args) != 2 || args[0].Type() != js.TypeNumber || args[1].Type() != js.TypeNumber {
		return nil, errors.New("pick wants (x, y)")
	}
	v := &b.views
	px, py := float32(args[0].Float()), float32(args[1].Float())
	z, err := b.codeAt(px, py)
	if err != nil {
		return nil, err
	}
	v.pickZ, v.pickXY = z, [2]float32{px, py}
	if s.Model.Config().Latent == 1 {
		v.pickXY[1] = 0
	}
	return map[string]any{"labelGrid": pixelsToJS(b.decodeLabels(lg)), "pick": float32sToJS(v.pickXY[:])}, nil
}

// sampleBegin(n) → {n, rows}: starts drawing n digits (at most one batch)
// pixel by pixel with a model.Sampler, from the same random stream every
// time, so that a person sees the same draws evolve as the model trains.
// rows says whether sampleRows can draw them a run at a time; if not, the
// whole digits are drawn at once by the first sampleRows call.
func (b *bridge) sampleBegin(args []js.Value) (any, error) {
	s, err := b.session()
	if err != nil {
		return nil, err
	}
	if _, ok := s.Model.(model.Sampler); !ok {
		return nil, errors.New("this model does not draw digits itself")
	}
	if len(args) != 1 || args[0].Type() != js.TypeNumber {
		return nil, errors.New("sampleBegin wants the number of digits")
	}
	c := s.Model.Config()
	n := min(max(args[0].Int(), 1), c.Batch, viewSamples)
	v := &b.views
	v.sampleX = make([]float32, n*model.Pixels)
	v.sampleN = n
	v.sampleR = model.NewRand(c, 4)
	_, rows := s.Model.(rowSampler)
	return map[string]any{"n": n, "rows": rows}, nil
}

// sampleRows(from, to) → {pixels, done}: draws pixels [from, to) (raster
// order) of the digits sampleBegin started and returns all of them so far
// (pixels not drawn yet are 0).
func (b *bridge) sampleRows(args []js.Value) (any, error) {
	s, err := b.session()
	if err != nil {
		return nil, err
	}
	v := &b.views
	if v.sampleX == nil {
		return nil, errors.New("sampleRows before sampleBegin")
	}
	if len(args) != 2 || args[0].Type() != js.TypeNumber || args[1].Type() != js.TypeNumber {
		return nil, errors.New("sampleRows wants (from, to)")
	}
	from, to := args[0].Int(), args[1].Int()
	if from < 0 || from > to || to > model.Pixels {
		return nil, errors.New("sampleRows: pixels outside 0..784")
	}
	if rs, ok := s.Model.(rowSampler); ok {
		rs.SampleRows(v.sampleX, v.sampleN, from, to, v.sampleR)
	} else {
		s.Model.(model.Sampler).Sample(v.sampleX, v.sampleN, v.sampleR)
		to = model.Pixels
	}
	return map[string]any{"pixels": pixelsToJS(v.sampleX), "done": to}, nil
}

// metrics(progress?) → train.Session.Metrics over the whole test set, by
// name (null for a value that is not finite), and for a model.Generator
// its Parzen-window log-likelihood (parzen_ll ± parzen_se, parzen_sigma,
// parzen_valid_ll; core/score); progress, a function, is called with the
// fraction done at every whole percent.
func (b *bridge) metrics(args []js.Value) (any, error) {
	s, err := b.session()
	if err != nil {
		return nil, err
	}
	var progress func(float64)
	if len(args) > 0 && args[0].Type() == js.TypeFunction {
		// At most a hundred calls: every whole percent.
		last := -1
		progress = func(f float64) {
			if p := int(100 * f); p > last {
				last = p
				args[0].Invoke(f)
			}
		}
	}
	// A Generator's evaluation is mostly its Parzen window: the other
	// measures take the first quarter of the bar.
	_, gen := s.Model.(model.Generator)
	part := func(lo, hi float64) func(float64) {
		if progress == nil {
			return nil
		}
		return func(f float64) { progress(lo + (hi-lo)*f) }
	}
	first := part(0, 1)
	if gen {
		first = part(0, 0.25)
	}
	out := map[string]any{}
	for k, v := range s.MetricsProgress(first) {
		out[k] = finite(v)
	}
	if gen {
		// The paper's likelihood protocol (latentlab eval --parzen):
		// σ chosen on the digits the model held out, else the last 1000
		// training digits.
		vlo, _ := s.ParzenValidation()
		rest := part(0.25, 1)
		r, err := score.ParzenOf(s.Model, parzenSamples, s.Train, vlo, s.Train.N, s.Test, func(done, total int) {
			if rest != nil {
				rest(float64(done) / float64(total))
			}
		})
		if err != nil {
			return nil, err
		}
		out["parzen_ll"], out["parzen_se"], out["parzen_sigma"], out["parzen_valid_ll"] = finite(r.Test), finite(r.TestSE), r.Sigma, finite(r.Valid)
	}
	return map[string]any{"metrics": out, "step": s.Steps, "n": s.Test.N}, nil
}

// parzenSamples is how many samples the page's Evaluate puts in a Parzen
// window: the protocol's 10,000.
const parzenSamples = 10000
