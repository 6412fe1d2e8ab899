// Package view computes what the page shows of a model while it trains
// and what a person explores in its latent space: reconstructions, samples
// from fixed noise, the plotted codes of test digits, clusters, the label
// grid, pixel-by-pixel samples, the evaluation, and the decodes under the
// pointer (explore.go). It is plain Go, tested natively; wasm/ only
// carries its results across to JavaScript.
//
// A result is a Result: a map from the names the page reads to values of
// a few types, which wasm/ turns into JavaScript values one for one:
// Pixels (grey levels in [0, 1], sent as bytes 0..255), []float32
// (a Float32Array), []byte (a Uint8Array), float64 (null when not
// finite), int, string, bool, []any and Result.
package view

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	"latentlab/core/model"
	"latentlab/core/parallel"
	"latentlab/core/pca"
	"latentlab/core/train"
)

// Result is what a view returns, by the names the page reads.
type Result = map[string]any

// Pixels are grey levels in [0, 1], rows of model.Pixels.
type Pixels []float32

// Sizes of the live views; the page lays out its canvases to match.
const (
	Digits   = 16   // test digits shown beside their reconstructions
	Samples  = 64   // digits decoded from fixed prior samples
	Codes    = 1000 // test digits whose codes are plotted (and classified)
	Prior    = 1000 // prior samples plotted under them
	PerClass = 8    // digits shown per cluster
	Classes  = 20   // at most this many clusters are shown
	Labels   = 10   // digits a label grid decodes one code with
)

// RowSampler is a model.Sampler that draws a run of pixels at a time (the
// pixel model's SampleRows), so that the page can show digits as they are
// drawn.
type RowSampler interface {
	SampleRows(x []float32, n, from, to int, r *rand.Rand)
}

// Views is what the live views keep between calls for one model: fixed
// noise (so that a person sees the same draws evolve), the plotted test
// digits, the last plot (for picking a code on it) and a pixel-by-pixel
// sample in progress.
type Views struct {
	s       *train.Session
	replica *parallel.Shard // the model is this replica of several; nil: whole

	samplesZ []float32 // (Samples, Latent) decoded for the sample grid
	priorZ   []float32 // (Prior, Latent) plotted under the codes

	x      []float32 // (Codes, Pixels) the plotted test digits
	labels []uint8   // their labels
	rawPCA []float32 // (Codes, 2) their pixels projected on 2 principal axes; nil until asked

	codes     []float32       // (Codes, Latent) their codes at the last snapshot
	plane     *pca.Projection // how the last snapshot put codes on the plot (see fitPlane)
	plotCodes []float32       // (Codes, 2) as plotted
	plotPrior []float32       // (Prior, 2) as plotted
	pickZ     []float32       // (Latent) the code the label grid decodes
	pickXY    [2]float32

	sampleX []float32  // (n, Pixels) a sample being drawn pixel by pixel
	sampleN int        // digits in it
	sampleR *rand.Rand // its random stream
}

// New returns the views of s's model: fresh fixed noise from its seed, and
// no pick, plot or sample in progress.
func New(s *train.Session) *Views {
	v := &Views{s: s}
	c := s.Model.Config()
	if g, ok := s.Model.(model.Generator); ok {
		v.samplesZ = make([]float32, Samples*c.Latent)
		g.SamplePrior(v.samplesZ, Samples, model.NewRand(c, 2))
		v.priorZ = make([]float32, Prior*c.Latent)
		g.SamplePrior(v.priorZ, Prior, model.NewRand(c, 3))
		v.pickZ = slices.Clone(v.priorZ[:c.Latent])
		v.pickXY = [2]float32{v.priorZ[0], 0}
		if c.Latent > 1 {
			v.pickXY[1] = v.priorZ[1]
		}
	}
	return v
}

// SetData makes the views show s, the same model on new data: the plotted
// digits are the new test set's; the noise, the pick and the plot stay.
func (v *Views) SetData(s *train.Session) {
	v.s = s
	v.labels = nil
}

// SetReplica says that the model is replica sh of several (nil: it trains
// whole): the figures over test digits are then split between the
// replicas (see gather).
func (v *Views) SetReplica(sh *parallel.Shard) { v.replica = sh }

// testDigits returns the first Codes test digits (fewer if the test set is
// smaller) and their labels, filled once per data set.
func (v *Views) testDigits() ([]float32, []uint8) {
	test := v.s.Test
	n := min(Codes, test.N)
	if len(v.labels) != n || v.x == nil {
		v.x = make([]float32, n*model.Pixels)
		v.labels = make([]uint8, n)
		test.FillRange(v.x, v.labels, 0, n)
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
func decodeAll(g model.Generator, z []float32, n, lat, batch int) Pixels {
	px := make(Pixels, n*model.Pixels)
	chunks(z, n, lat, batch, func(lo, hi int, zb []float32) {
		g.Decode(px[lo*model.Pixels:hi*model.Pixels], zb, hi-lo)
	})
	return px
}

// Caps lists what m can do, for the page: one flag per capability
// interface of core/model, the phases of a model.PhaseStepper, the classes
// of a model.Classifier and the model's loss names.
func Caps(m model.Model) Result {
	_, enc := m.(model.Encoder)
	_, gen := m.(model.Generator)
	_, ae := m.(model.Autoencoder)
	_, rec := m.(model.Reconstructor)
	cl, isCl := m.(model.Classifier)
	_, lg := m.(model.LabelGenerator)
	_, smp := m.(model.Sampler)
	_, rows := m.(RowSampler)
	_, dens := m.(model.Density)
	_, ev := m.(model.Evaluator)
	_, sh := m.(parallel.Sharder)
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
	return Result{
		"encoder": enc, "generator": gen, "autoencoder": ae, "reconstructor": rec, "classifier": isCl,
		"labelGenerator": lg, "sampler": smp, "rowSampler": rows, "density": dens,
		"evaluator": ev, "sharder": sh, "phases": phases, "classes": classes,
		"lossNames": names,
	}
}

// Options are what a snapshot may be asked for.
type Options struct {
	// LatentView is how a code of more than two values is plotted: "pca",
	// "axes:i,j" (two of its dimensions, 0-based) or "first" (0 and 1).
	LatentView string `json:"latentView"`
	// RawPCA asks, for a latent of 2, for the plotted digits' pixels on
	// their two principal axes beside their codes.
	RawPCA bool `json:"rawPCA"`
}

// Snapshot returns the data of the live views, by capability: always
// kind, latent, step, lossNames, caps;
//   - Autoencoder or Reconstructor: inputs, recons (Digits test digits);
//     testRecon (mean over the plotted digits) for an Autoencoder;
//   - Generator: samples (Samples digits from fixed noise), prior (fixed
//     prior samples, as plotted);
//   - Encoder: codes and labels of the plotted test digits, projection
//     ("direct" for a latent of 1 or 2, else "axes" with axes, or "pca",
//     as opt.LatentView asks; see fitPlane); rawPCA when opt.RawPCA and
//     the latent is 2;
//   - LabelGenerator: labelGrid, the picked code decoded with each label,
//     and pick, where it is on the plot;
//   - Classifier: clusterError, testError (with labels), clusters (the
//     most probable digits of each class);
//   - Density: testNLL (nats per digit) and bitsPerPixel.
//
// Figures over test digits are over the plotted ones (the first Codes).
//
// A replica must be asked for every snapshot with the others, the same
// options to each: the replicas split the figures over test digits (codes,
// losses) and gather them (gather), and only replica 0 does the rest and
// returns the views; the others return {replica: true}.
func (v *Views) Snapshot(opt Options) Result {
	s := v.s
	m := s.Model
	if !v.Lead() {
		// Only the gathered figures, in the order replica 0 computes them.
		r := Result{"replica": true}
		if _, ok := m.(model.Encoder); ok {
			v.snapshotCodes(r, opt)
		}
		if d, ok := m.(model.Density); ok {
			v.snapshotNLL(r, d)
		}
		return r
	}
	c := m.Config()
	r := Result{
		"kind":      c.Model,
		"latent":    c.Latent,
		"step":      s.Steps,
		"lossNames": strings.Join(m.LossNames(), ","),
		"caps":      Caps(m),
	}
	x, labels := v.testDigits()
	n := len(labels)
	_, ae := m.(model.Autoencoder)
	if _, rec := m.(model.Reconstructor); ae || rec {
		k := min(Digits, n)
		xhat := make(Pixels, k*model.Pixels)
		s.Reconstruct(make([]float32, k*model.Pixels), xhat, k)
		r["inputs"], r["recons"] = Pixels(slices.Clone(x[:k*model.Pixels])), xhat
	}
	if g, ok := m.(model.Generator); ok {
		r["samples"] = decodeAll(g, v.samplesZ, Samples, c.Latent, c.Batch)
	}
	if _, ok := m.(model.Encoder); ok {
		v.snapshotCodes(r, opt)
	}
	if lg, ok := m.(model.LabelGenerator); ok && v.pickZ != nil {
		r["labelGrid"] = v.decodeLabels(lg)
		r["pick"] = slices.Clone(v.pickXY[:])
	}
	if cl, ok := m.(model.Classifier); ok {
		v.snapshotClasses(r, cl)
	}
	if d, ok := m.(model.Density); ok {
		v.snapshotNLL(r, d)
	}
	return r
}

// snapshotNLL adds to r the negative log-likelihood of the plotted test
// digits, testNLL in nats per digit and bitsPerPixel.
func (v *Views) snapshotNLL(r Result, d model.Density) {
	x, labels := v.testDigits()
	n := len(labels)
	lo, hi := v.rows(n)
	var sum float64
	chunks(x[lo*model.Pixels:hi*model.Pixels], hi-lo, model.Pixels, v.s.Model.Config().Batch, func(from, to int, xb []float32) {
		sum += d.NLL(xb, to-from)
	})
	sum = v.gather(nil, sum)[0]
	r["testNLL"] = sum / float64(n)
	r["bitsPerPixel"] = sum / float64(n) / (model.Pixels * math.Ln2)
}

// Lead reports whether these views return the views: the model is whole,
// or replica 0 of several.
func (v *Views) Lead() bool { return v.replica == nil || v.replica.Index == 0 }

// rows returns the rows [lo, hi) of n view digits whose figures this
// replica computes: its share (parallel.Shard.Rows), all n for a whole model.
func (v *Views) rows(n int) (lo, hi int) {
	lo, hi, _ = v.replica.Rows(n)
	return lo, hi
}

// gather completes on every replica the figures the replicas computed in
// parts, and returns the totals of sums: each replica filled its rows
// (rows) of vals, left the others zero, and summed its part of each of
// sums. The sum over the replicas (Shard.AllReduce, added in the same order
// by all) then holds every replica's rows exactly (x + 0 = x); the sums go
// through it as float32. Every replica must make the same gather calls.
// vals fits the reduce's slots, which hold all of a model's parameters: the
// codes of Codes digits are fewer numbers than an encoder's 784·Latent
// weights and its decoder's. A whole model keeps vals and sums as they are.
func (v *Views) gather(vals []float32, sums ...float64) []float64 {
	if v.replica == nil {
		return sums
	}
	buf := make([]float32, len(vals), len(vals)+len(sums))
	copy(buf, vals)
	for _, s := range sums {
		buf = append(buf, float32(s))
	}
	v.replica.AllReduce(buf)
	copy(vals, buf)
	out := make([]float64, len(sums))
	for i := range sums {
		out[i] = float64(buf[len(vals)+i])
	}
	return out
}

// snapshotCodes adds the codes of the plotted test digits to r (see
// Snapshot), and the reconstruction loss over them for an Autoencoder.
//
// A projection that fails is reported (projectionError, rawPCAError) and
// the plot falls back to the first two dimensions (no rawPCA).
func (v *Views) snapshotCodes(r Result, opt Options) {
	s := v.s
	c := s.Model.Config()
	x, labels := v.testDigits()
	n := len(labels)
	v.codes = make([]float32, n*c.Latent)
	lo, hi := v.rows(n)
	sum, _ := s.TestCodesAndLoss(v.codes[lo*c.Latent:hi*c.Latent], lo, hi-lo)
	sum = v.gather(v.codes, sum)[0]
	if !v.Lead() {
		return // replica 0 plots them
	}
	if _, ok := s.Model.(model.Autoencoder); ok {
		r["testRecon"] = sum / float64(n)
	}
	plane, proj, err := fitPlane(v.codes, n, c.Latent, opt.LatentView)
	if err != nil {
		r["projectionError"] = err.Error()
	}
	v.plane = plane
	v.plotCodes = onPlane(plane, v.codes, n)
	v.plotPrior = nil
	if v.priorZ != nil {
		v.plotPrior = onPlane(plane, v.priorZ, Prior)
	}
	if proj == "axes" {
		r["axes"] = axesOf(plane)
	}
	r["projection"] = proj
	r["codes"] = v.plotCodes
	r["labels"] = slices.Clone(labels)
	if v.plotPrior != nil {
		r["prior"] = v.plotPrior
	}
	if opt.RawPCA && c.Latent == 2 {
		if v.rawPCA == nil {
			p, err := pca.Fit(x, n, model.Pixels, 2)
			if err != nil {
				r["rawPCAError"] = err.Error()
				return
			}
			v.rawPCA = onPlane(p, x, n)
		}
		r["rawPCA"] = v.rawPCA
	}
}

// snapshotClasses adds to r the class (cluster) figures of a Classifier
// over the plotted test digits: clusterError, testError when it trained
// with labels, and clusters: {k, shown, per, pixels (shown·per digits, the
// most probable members of each class first, blank when fewer), counts
// (members per class), major (the label most members have, -1 for none)}.
func (v *Views) snapshotClasses(r Result, cl model.Classifier) {
	c := v.s.Model.Config()
	x, labels := v.testDigits()
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
	r["clusterError"] = clusterErr
	if c.Labels > 0 {
		r["testError"] = train.ClassError(pred, labels)
	}
	shown := min(k, Classes)
	pix := make(Pixels, shown*PerClass*model.Pixels)
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
		for t, i := range members[:min(len(members), PerClass)] {
			copy(pix[(j*PerClass+t)*model.Pixels:], x[i*model.Pixels:(i+1)*model.Pixels])
		}
	}
	r["clusters"] = Result{
		"k": k, "shown": shown, "per": PerClass, "pixels": pix,
		"counts": counts, "major": majors,
	}
}

// decodeLabels decodes the picked code with each of the Labels labels.
func (v *Views) decodeLabels(lg model.LabelGenerator) Pixels {
	c := v.s.Model.Config()
	lat := c.Latent
	z := make([]float32, Labels*lat)
	lbl := make([]uint8, Labels)
	for i := range Labels {
		copy(z[i*lat:], v.pickZ)
		lbl[i] = uint8(i)
	}
	out := make(Pixels, Labels*model.Pixels)
	chunks(z, Labels, lat, c.Batch, func(lo, hi int, zb []float32) {
		lg.DecodeLabels(out[lo*model.Pixels:hi*model.Pixels], zb, lbl[lo:hi], hi-lo)
	})
	return out
}

// Pick picks the code the label grid decodes at point (x, y) of the latent
// plot (codeAt) and returns {labelGrid, pick}.
func (v *Views) Pick(x, y float32) (Result, error) {
	lg, ok := v.s.Model.(model.LabelGenerator)
	if !ok {
		return nil, errors.New("this model decodes no labels")
	}
	z, err := v.codeAt(x, y)
	if err != nil {
		return nil, err
	}
	v.pickZ, v.pickXY = z, [2]float32{x, y}
	if v.s.Model.Config().Latent == 1 {
		v.pickXY[1] = 0
	}
	return Result{"labelGrid": v.decodeLabels(lg), "pick": slices.Clone(v.pickXY[:])}, nil
}

// SampleBegin starts drawing n digits (at least 1, at most a batch and
// Samples) pixel by pixel with a model.Sampler, from the same random
// stream every time, so that a person sees the same draws evolve as the
// model trains. It returns {n, rows}: rows says whether SampleRows draws
// them a run at a time; if not, the first SampleRows call draws the whole
// digits.
func (v *Views) SampleBegin(n int) (Result, error) {
	m := v.s.Model
	if _, ok := m.(model.Sampler); !ok {
		return nil, errors.New("this model does not draw digits itself")
	}
	c := m.Config()
	n = min(max(n, 1), c.Batch, Samples)
	v.sampleX = make([]float32, n*model.Pixels)
	v.sampleN = n
	v.sampleR = model.NewRand(c, 4)
	_, rows := m.(RowSampler)
	return Result{"n": n, "rows": rows}, nil
}

// SampleRows draws pixels [from, to) (raster order) of the digits
// SampleBegin started and returns {pixels, done}: all of them so far
// (pixels not drawn yet are 0; the sample's own buffer, which the next
// call draws on: the page copies it at once) and the pixels drawn.
func (v *Views) SampleRows(from, to int) (Result, error) {
	if v.sampleX == nil {
		return nil, errors.New("sampleRows before sampleBegin")
	}
	if from < 0 || from > to || to > model.Pixels {
		return nil, errors.New("sampleRows: pixels outside 0..784")
	}
	if rs, ok := v.s.Model.(RowSampler); ok {
		rs.SampleRows(v.sampleX, v.sampleN, from, to, v.sampleR)
	} else {
		v.s.Model.(model.Sampler).Sample(v.sampleX, v.sampleN, v.sampleR)
		to = model.Pixels
	}
	return Result{"pixels": Pixels(v.sampleX), "done": to}, nil
}
