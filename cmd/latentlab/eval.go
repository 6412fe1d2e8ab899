package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"latentlab/core/data"
	"latentlab/core/model"
	"latentlab/core/train"
)

func evalCmd(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("eval --weights FILE", "Prints one JSON object evaluating a .safetensors model on the 10,000 MNIST\ntest digits: what its kind allows of test_recon (reconstruction loss, BCE\nsummed over the 784 pixels, nats per image), test_nll and bits_per_pixel,\ntest_error and cluster_error; and n, step, params and config.", stderr)
	weights := fs.String("weights", "", "the .safetensors `file` to evaluate")
	dataDir := fs.String("data", "assets/mnist", "`dir`ectory holding the MNIST idx files (make data)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *weights == "" {
		fs.Usage()
		return errors.New("--weights is required")
	}
	b, err := os.ReadFile(*weights)
	if err != nil {
		return err
	}
	m, step, err := model.Decode(b)
	if err != nil {
		return fmt.Errorf("%s: %w", *weights, err)
	}
	trainSet, testSet, err := data.LoadMNIST(*dataDir)
	if err != nil {
		return err
	}
	s, err := train.New(m, trainSet, testSet, step)
	if err != nil {
		return err
	}
	out := map[string]any{"n": testSet.N, "step": step, "params": m.Config().ParamCount(), "config": m.Config()}
	for k, v := range s.Metrics() {
		out[k] = finite(v)
	}
	return json.NewEncoder(stdout).Encode(out)
}
