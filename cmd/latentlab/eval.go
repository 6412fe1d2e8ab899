package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"

	"latentlab/core/data"
	"latentlab/core/model"
	"latentlab/core/safetensors"
	"latentlab/core/train"
)

// maxSamples is the most digits eval draws to score (its default is the
// usual 10,000).
const maxSamples = 1_000_000

func evalCmd(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("eval --weights FILE", "Prints one JSON object evaluating a .safetensors model on the 10,000 MNIST\ntest digits: what its kind allows of test_recon (reconstruction loss, BCE\nsummed over the 784 pixels, nats per image), test_nll and bits_per_pixel,\ntest_error and cluster_error; and n, step, params and config.\n\n"+
		"For a model that generates (a generator or a sampler) it also scores\n"+
		"--samples digits drawn from it (a fixed seed derived from the model's) with\n"+
		"the classifier of --classifier: samples, sample_confidence (mean largest\n"+
		"class probability), sample_entropy (of the classes seen, nats; log 10 =\n"+
		"2.303 is all ten equally), sample_frechet (Fréchet distance of the\n"+
		"classifier's features to the test digits') and sample_classes. A missing\n"+
		"default classifier file only leaves the scores out, with a note on\n"+
		"stderr; a --classifier given but missing, or a bad file, is an error.\n\n"+
		"--parzen adds the Parzen-window log-likelihood of the test digits\n"+
		"(parzen_ll, parzen_se, parzen_sigma, parzen_valid_ll): the AAE paper's\n"+
		"Table 1 measure, over --parzen-samples samples, σ from logspace(-1, 0, 10)\n"+
		"chosen on the digits the model's config held out from training (valid),\n"+
		"or on the last --parzen-valid training digits.\n\n"+
		"--png FILE writes a grid of 100 samples to look at.", stderr)
	weights := fs.String("weights", "", "the .safetensors `file` to evaluate")
	dataDir := fs.String("data", "assets/mnist", "`dir`ectory holding the MNIST idx files (make data)")
	clfPath := fs.String("classifier", "", "the classifier `file` that scores samples (default: the set's, assets/classifier.safetensors for MNIST, assets/classifier-NAME.safetensors for another)")
	samples := fs.Int("samples", 10000, "digits to draw and score if the model generates (0: none)")
	parzen := fs.Bool("parzen", false, "also estimate the test digits' log-likelihood with a Parzen window over the model's samples (Goodfellow et al. 2014, as the AAE paper's Table 1): parzen_ll ± parzen_se nats, σ chosen on held-out digits")
	parzenSamples := fs.Int("parzen-samples", 10000, "samples the Parzen window is built on")
	parzenValid := fs.Int("parzen-valid", 0, "choose the window's σ on the last N training digits (0: the digits the model's config held out, its valid, else the last 1000, which it trained on)")
	pngPath := fs.String("png", "", "also write a 10×10 grid of the model's samples (the first the score sees) to this PNG `file`")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *samples < 0 || *samples > maxSamples {
		return fmt.Errorf("--samples %d: want 0 to %d", *samples, maxSamples)
	}
	if *weights == "" {
		return errors.New("eval: --weights is required: the .safetensors file to evaluate (run 'latentlab eval -h' for its flags)")
	}
	if err := checkOutputs(stderr, output{"--png", *pngPath}); err != nil {
		return err
	}
	b, err := readWeights(*weights)
	if err != nil {
		return err
	}
	f, err := safetensors.Decode(b)
	if err != nil {
		return fmt.Errorf("%s: %w", *weights, err)
	}
	m, step, err := model.FromFile(f, nil)
	if err != nil {
		return fmt.Errorf("%s: %w", *weights, err)
	}
	ds, err := data.Load(*dataDir)
	if err != nil {
		return err
	}
	trainSet, testSet := ds.Train, ds.Test
	s, err := train.New(m, trainSet, testSet, step)
	if err != nil {
		return err
	}
	s.Data = ds
	out := map[string]any{"n": testSet.N, "step": step, "params": m.Config().ParamCount(), "config": m.Config(), "dataset": ds.Name()}
	if trained, ok := f.Meta["dataset"]; ok {
		out["trained_on"] = trained
		if f.Meta["dataset_hash"] != ds.Hash() {
			fmt.Fprintf(stderr, "latentlab: %s was trained on %s, not on the %s of %s: these figures measure it on data it has not seen the like of\n", *weights, trained, ds.Name(), *dataDir)
		}
	}
	for k, v := range s.Metrics() {
		out[k] = v
	}
	scores, err := sampleScores(m, ds, *clfPath, *samples, stderr)
	if err != nil {
		return err
	}
	for k, v := range scores {
		out[k] = v
	}
	if *parzen {
		pz, err := parzenScores(s, *parzenSamples, *parzenValid, stderr)
		if err != nil {
			return err
		}
		for k, v := range pz {
			out[k] = v
		}
	}
	if err := allFinite(out, m); err != nil {
		return fmt.Errorf("%s: %w", *weights, err)
	}
	if *pngPath != "" {
		if err := writeSampleGrid(*pngPath, m); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "latentlab: wrote %s\n", *pngPath)
	}
	return json.NewEncoder(stdout).Encode(out)
}

// allFinite returns an error naming every figure of out that is not a
// finite number, and the model's largest weight: model.Decode refuses
// NaN and ±Inf weights, so a figure that is not finite comes of finite
// weights whose products overflow.
func allFinite(out map[string]any, m model.Model) error {
	var bad []string
	for k, v := range out {
		if f, ok := v.(float64); ok && (math.IsNaN(f) || math.IsInf(f, 0)) {
			bad = append(bad, fmt.Sprintf("%s is %v", k, f))
		}
	}
	if len(bad) == 0 {
		return nil
	}
	slices.Sort(bad)
	var big float64
	for _, t := range m.Tensors() {
		for _, v := range t.Data {
			big = max(big, math.Abs(float64(v)))
		}
	}
	return fmt.Errorf("%s: the model's computation overflows float32 (its largest weight is %.3g in magnitude); these weights cannot be evaluated", strings.Join(bad, ", "), big)
}
