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

// evalResult is what `latentlab eval` prints: one JSON object.
type evalResult struct {
	Recon  float64      `json:"recon"` // mean test reconstruction loss, nats per image
	N      int          `json:"n"`     // test digits evaluated
	Step   int          `json:"step"`  // training steps the file had had
	Params int          `json:"params"`
	Config model.Config `json:"config"`
}

func evalCmd(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("eval --weights FILE", "Prints one JSON object with the mean reconstruction loss (BCE summed over\nthe 784 pixels, nats per image) of a .safetensors model over the 10,000\nMNIST test digits.", stderr)
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
	sum, n := s.TestLoss(0, testSet.N)
	return json.NewEncoder(stdout).Encode(evalResult{Recon: sum / float64(n), N: n, Step: step, Params: m.Config().ParamCount(), Config: m.Config()})
}
