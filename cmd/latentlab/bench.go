package main

import (
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"latentlab/core/data"
	"latentlab/core/model"
	"latentlab/core/perf"
	"latentlab/core/tensor"
)

// benchResult is what `latentlab bench --json` prints.
type benchResult struct {
	Go      string        `json:"go"`
	Arch    string        `json:"arch"`
	Cores   int           `json:"cores"`
	Kernels string        `json:"kernels"` // the matmul kernels this build runs on this CPU
	Reports []perf.Report `json:"reports"`
}

func benchCmd(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench", "Measures training speed on MNIST: samples/s of each reference model's\nstep, GFLOP/s of each matrix product it performs, and the step's\nefficiency against the bound those rates set. Figures, not a test.", stderr)
	models := fs.String("models", "small,paper", "comma-separated reference models: small, paper")
	seconds := fs.Float64("seconds", 5, "seconds of training per model")
	kernelSeconds := fs.Float64("kernel-seconds", 0.3, "seconds per kernel shape")
	batch := fs.Int("batch", 0, "batch size instead of the models' 100 (50 is one of two workers' shard)")
	asJSON := fs.Bool("json", false, "print one JSON object instead of a table")
	dataDir := fs.String("data", "assets/mnist", "`dir`ectory holding the MNIST idx files (make data)")
	if err := parse(fs, args); err != nil {
		return err
	}
	switch {
	case *batch < 0 || *batch > model.MaxBatch:
		return fmt.Errorf("--batch %d: want a batch size of 1 to %d, or 0 for the models' own", *batch, model.MaxBatch)
	case !(*seconds > 0 && *seconds <= 3600):
		return fmt.Errorf("--seconds %v: want more than 0, at most 3600", *seconds)
	case !(*kernelSeconds > 0 && *kernelSeconds <= 60):
		return fmt.Errorf("--kernel-seconds %v: want more than 0, at most 60", *kernelSeconds)
	}
	var known []string
	for _, m := range perf.Models() {
		known = append(known, m.Name)
	}
	for _, name := range strings.Split(*models, ",") {
		if !slices.Contains(known, name) {
			return fmt.Errorf("--models: no reference model %q (want %s)", name, strings.Join(known, ", "))
		}
	}
	trainSet, _, err := data.LoadMNIST(*dataDir)
	if err != nil {
		return err
	}
	res := benchResult{Go: runtime.Version(), Arch: runtime.GOOS + "/" + runtime.GOARCH, Cores: runtime.NumCPU(), Kernels: tensor.KernelName()}
	want := strings.Split(*models, ",")
	for _, m := range perf.Models() {
		if !slices.Contains(want, m.Name) {
			continue
		}
		if *batch > 0 {
			m.Config.Batch = *batch
		}
		fmt.Fprintf(stderr, "latentlab: bench %s (%s, batch %d)\n", m.Name, res.Arch, m.Config.Batch)
		r, err := perf.Measure(m.Name, m.Config, trainSet, time.Duration(*seconds*float64(time.Second)), time.Duration(*kernelSeconds*float64(time.Second)))
		if err != nil {
			return err
		}
		res.Reports = append(res.Reports, r)
	}
	if len(res.Reports) == 0 {
		return fmt.Errorf("no known model in --models %q (want small, paper)", *models)
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(res)
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "%s %s, %d cores, %s kernels\t\n", res.Go, res.Arch, res.Cores, res.Kernels)
	fmt.Fprintln(tw, "model\tGFLOP/step\tsamples/s\tbound\tefficiency\tallocs/step\t")
	for _, r := range res.Reports {
		fmt.Fprintf(tw, "%s\t%.3f\t%.0f\t%.0f\t%.0f%%\t%.0f\t\n", r.Name, r.GFLOPPerStep, r.SamplesPerSec, r.BoundPerSec, 100*r.Efficiency, r.AllocsPerStep)
	}
	fmt.Fprintln(tw, "\t\t\t\t\t\t")
	fmt.Fprintln(tw, "model\tproduct\tn×in×out\tper step\tGFLOP/s\t\t")
	for _, r := range res.Reports {
		for _, k := range r.Kernels {
			fmt.Fprintf(tw, "%s\t%s\t%d×%d×%d\t%d\t%.2f\t\t\n", r.Name, k.Kind, k.N, k.In, k.Out, k.PerStep, k.GFLOPS)
		}
	}
	return tw.Flush()
}
