package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"latentlab/core/checkpoint"
	"latentlab/core/data"
	_ "latentlab/core/kinds" // registers every kind of model
	"latentlab/core/model"
	"latentlab/core/train"
)

func trainCmd(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("train", "Trains a model on MNIST. Progress goes to stderr; a JSON line of\nmean losses per log interval goes to stdout, and a last line with the\ntest-set reconstruction loss. Same config and seed, same losses.", stderr)
	config := configFlags(fs)
	steps := fs.Int("steps", 0, "training steps (batches); overrides --epochs")
	epochs := fs.Float64("epochs", 1, "passes over the 60,000 training digits")
	out := fs.String("out", "", "write the trained model to this .safetensors `file`")
	dtype := fs.String("dtype", "f32", "dtype of the written file: f32 or f16")
	init := fs.String("init", "", "continue training from this .safetensors `file` (its config wins)")
	dataDir := fs.String("data", "assets/mnist", "`dir`ectory holding the MNIST idx files (make data)")
	logEvery := fs.Int("log-every", 100, "steps per JSON line")
	if err := parse(fs, args); err != nil {
		return err
	}
	dt, err := checkpoint.ParseDType(*dtype)
	if err != nil {
		return err
	}
	if *logEvery < 1 {
		return errors.New("--log-every must be at least 1")
	}
	var m model.Model
	done := 0
	if *init != "" {
		b, err := readWeights(*init)
		if err != nil {
			return err
		}
		if m, done, err = model.Decode(b); err != nil {
			return fmt.Errorf("%s: %w", *init, err)
		}
	} else {
		c, err := config()
		if err != nil {
			return err
		}
		if m, err = model.New(c); err != nil {
			return err
		}
	}
	trainSet, testSet, err := data.LoadMNIST(*dataDir)
	if err != nil {
		return err
	}
	s, err := train.New(m, trainSet, testSet, done)
	if err != nil {
		return err
	}
	total := *steps
	if total <= 0 {
		if *epochs <= 0 {
			return errors.New("give --steps or a positive --epochs")
		}
		total = int(*epochs * float64(trainSet.N/s.Batch()))
	}
	c := m.Config()
	fmt.Fprintf(stderr, "latentlab: training %s %v, %d parameters, %d steps of %d\n", c.Model, c.Nets()["encoder"], c.ParamCount(), total, c.Batch)

	// The first SIGINT or SIGTERM stops after the current step, still
	// writes --out and exits 130 or 143; a second one exits at once.
	var stop atomic.Value // the os.Signal that asked to stop
	sig := make(chan os.Signal, 2)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sig)
	go func() {
		first, ok := <-sig
		if !ok {
			return
		}
		stop.Store(first)
		fmt.Fprintf(stderr, "\nlatentlab: %v: stopping after this step (again to quit at once)\n", first)
		if again, ok := <-sig; ok {
			fmt.Fprintf(stderr, "latentlab: %v again: quitting without writing\n", again)
			os.Exit(signalCode(again))
		}
	}()
	stopped := func() bool { return stop.Load() != nil }

	enc := json.NewEncoder(stdout)
	bar := newProgress(stderr, total)
	var mean train.Mean
	start, last := time.Now(), time.Now()
	lastStep := 0
	for i := 1; i <= total && !stopped(); i++ {
		l := s.Step()
		for k, name := range m.LossNames() {
			if math.IsNaN(l[k]) || math.IsInf(l[k], 0) {
				bar.finish()
				kept := ""
				if *out != "" {
					kept = fmt.Sprintf("; %s was not written", *out)
				}
				return fmt.Errorf("training diverged at step %d: loss %s is %v (try a lower learning rate, --lr-recon or --lr-reg)%s", s.Steps, name, l[k], kept)
			}
		}
		mean.Add(l)
		bar.update(i, m.LossNames(), mean.Value())
		if i%*logEvery == 0 || i == total {
			now := time.Now()
			if err := enc.Encode(statsOf(s, mean.Value(), float64((i-lastStep)*s.Batch())/now.Sub(last).Seconds(), now.Sub(start))); err != nil {
				return err
			}
			mean.Reset()
			last, lastStep = now, i
		}
	}
	bar.finish()
	if stopped() {
		fmt.Fprintf(stderr, "latentlab: interrupted at step %d\n", s.Steps)
	}
	fmt.Fprintf(stderr, "latentlab: evaluating on %d test digits\n", testSet.N)
	final := map[string]any{"step": s.Steps, "epoch": s.Epoch(), "elapsed_s": time.Since(start).Seconds()}
	for k, v := range s.Metrics() {
		final[k] = finite(v)
	}
	if err := enc.Encode(final); err != nil {
		return err
	}
	if *out != "" {
		if err := writeModel(*out, s, dt); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "latentlab: wrote %s\n", *out)
	}
	if sg, ok := stop.Load().(os.Signal); ok {
		return exitCode{signalCode(sg), fmt.Sprintf("stopped by %v at step %d", sg, s.Steps)}
	}
	return nil
}

// exitCode is an error that ends the command with its own exit status.
type exitCode struct {
	code int
	msg  string
}

func (e exitCode) Error() string { return e.msg }

// signalCode is the shell's status for a command ended by sg: 128 + its number.
func signalCode(sg os.Signal) int {
	if n, ok := sg.(syscall.Signal); ok {
		return 128 + int(n)
	}
	return 1
}

// statsOf is the JSON line printed on stdout every log interval: step,
// epoch, epoch_progress, the mean of each loss by its name (null if not
// finite), samples_per_sec and elapsed_s.
func statsOf(s *train.Session, l model.Losses, samplesPerSec float64, elapsed time.Duration) map[string]any {
	st := map[string]any{
		"step": s.Steps, "epoch": s.Epoch(), "epoch_progress": s.Progress(),
		"samples_per_sec": samplesPerSec, "elapsed_s": elapsed.Seconds(),
	}
	for i, name := range s.Model.LossNames() {
		st[name] = finite(l[i])
	}
	return st
}

// finite returns v, or nil (JSON null) if it is NaN or infinite, which
// JSON cannot carry.
func finite(v float64) any {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return v
}

// writeModel writes the session's model to path atomically: a crash or a
// full disk never leaves a half-written file under that name.
func writeModel(path string, s *train.Session, dt checkpoint.DType) error {
	b, err := model.Encode(s.Model, s.Steps, dt)
	if err != nil {
		return err
	}
	// A temporary file beside path, mode 0644 less the umask (CreateTemp's
	// 0600 would hide the weights from other users and tools), synced to
	// disk before it takes path's name.
	dir := filepath.Dir(path)
	var tmp *os.File
	for try := 0; ; try++ {
		name := filepath.Join(dir, fmt.Sprintf(".latentlab-%d-%d.tmp", os.Getpid(), time.Now().UnixNano()+int64(try)))
		tmp, err = os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err == nil || !errors.Is(err, os.ErrExist) || try > 100 {
			break
		}
	}
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	if d, err := os.Open(dir); err == nil { // the rename itself, on disk
		d.Sync()
		d.Close()
	}
	return nil
}

// progress draws a progress bar on a terminal, or a line per 10% elsewhere.
type progress struct {
	w       io.Writer
	total   int
	tty     bool
	start   time.Time
	last    time.Time
	lastPct int
}

func newProgress(w io.Writer, total int) *progress {
	tty := false
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			tty = true
		}
	}
	return &progress{w: w, total: total, tty: tty, start: time.Now(), lastPct: -1}
}

func (p *progress) update(step int, names []string, l model.Losses) {
	now := time.Now()
	pct := 100 * step / p.total
	if p.tty && now.Sub(p.last) < 100*time.Millisecond && step != p.total {
		return
	}
	if !p.tty && pct/10 == p.lastPct/10 && step != p.total {
		return
	}
	p.last, p.lastPct = now, pct
	elapsed := now.Sub(p.start)
	eta := time.Duration(float64(elapsed) * float64(p.total-step) / float64(step)).Round(time.Second)
	const width = 30
	fill := width * step / p.total
	bar := strings.Repeat("=", fill) + strings.Repeat(" ", width-fill)
	line := fmt.Sprintf("[%s] %3d%% step %d/%d", bar, pct, step, p.total)
	for i, name := range names {
		line += fmt.Sprintf(" %s %.4g", name, l[i])
	}
	line += fmt.Sprintf(" eta %s", eta)
	if p.tty {
		fmt.Fprintf(p.w, "\r%s\033[K", line)
	} else {
		fmt.Fprintln(p.w, line)
	}
}

func (p *progress) finish() {
	if p.tty {
		fmt.Fprintln(p.w)
	}
}

// readWeights reads a .safetensors file, refusing by its size, before
// reading a byte, one larger than checkpoint.MaxFileSize.
func readWeights(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	if fi.Size() > checkpoint.MaxFileSize {
		return nil, fmt.Errorf("%s is %d bytes, more than the %d a weights file may be", path, fi.Size(), checkpoint.MaxFileSize)
	}
	b, err := io.ReadAll(io.LimitReader(f, checkpoint.MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(b) > checkpoint.MaxFileSize {
		return nil, fmt.Errorf("%s grew past %d bytes while being read", path, checkpoint.MaxFileSize)
	}
	return b, nil
}
