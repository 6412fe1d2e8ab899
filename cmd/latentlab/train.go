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
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"latentlab/core/data"
	"latentlab/core/fileio"
	_ "latentlab/core/kinds" // registers every kind of model
	"latentlab/core/model"
	"latentlab/core/safetensors"
	"latentlab/core/train"
)

var trainSummary = `Trains a model on MNIST. Progress goes to stderr; a JSON line of
mean losses per log interval goes to stdout, and a last line with the
test-set metrics. Same config and seed, same losses.

--out writes the model's weights (a PyTorch state dict). --checkpoint
writes the whole training state (weights, optimizer moments, random
streams, position in the epoch, loss curves) every --checkpoint-every and
at the end; --resume continues it to the bit, and there --steps and
--epochs count the total, the steps before included. --init starts a new
training from a file's weights; --steps and --epochs count the steps to
add. With --init or --resume the model keeps the file's config: the flags
` + tunableFlags() + ` change it, any other
config flag that differs from the file is refused.

The first SIGINT or SIGTERM stops after the current step, writes the
checkpoint and --out, and exits 130 or 143; a second one exits at once.`

func trainCmd(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("train", trainSummary, stderr)
	config := configFlags(fs)
	steps := fs.Int("steps", 0, "training steps (batches); overrides --epochs")
	epochs := fs.Float64("epochs", 1, "passes over the training digits (the 60,000 less those the config's valid holds out)")
	out := fs.String("out", "", "write the trained model to this .safetensors `file`")
	dtype := fs.String("dtype", "f32", "dtype of the written file: f32 or f16")
	init := fs.String("init", "", "start from this .safetensors `file`'s weights (and config)")
	resume := fs.String("resume", "", "continue the training of this checkpoint `file` (see --checkpoint); it is also the checkpoint written unless --checkpoint says otherwise")
	ckpt := fs.String("checkpoint", "", "write the whole training state to this `file`, every --checkpoint-every and at the end")
	every := fs.String("checkpoint-every", "5m", "checkpoint interval: a number of steps (\"500\") or a duration (\"10m\")")
	dataDir := fs.String("data", "assets/mnist", "`dir`ectory holding the MNIST idx files (make data)")
	logEvery := fs.Int("log-every", 100, "steps per JSON line")
	evalEvery := fs.Int("eval-every", 0, "every N steps also print a JSON line of test metrics (and valid_recon on the held-out digits); 0: at the end only")
	maxTime := fs.Duration("max-time", 0, "stop after this long (\"90m\"), as after the last step: checkpoint, --out, final metrics; 0: no limit")
	if err := parse(fs, args); err != nil {
		return err
	}
	dt, err := safetensors.ParseDType(*dtype)
	if err != nil {
		return err
	}
	switch {
	case *logEvery < 1:
		return errors.New("--log-every must be at least 1")
	case *evalEvery < 0:
		return fmt.Errorf("--eval-every %d: give a number of steps, or 0", *evalEvery)
	case *maxTime < 0:
		return fmt.Errorf("--max-time %v: give a duration, or 0 for no limit", *maxTime)
	case *steps < 0:
		return fmt.Errorf("--steps %d: give a positive count", *steps)
	case *steps == 0 && !(*epochs > 0 && *epochs <= 1e6):
		return fmt.Errorf("--epochs %v: give a positive number (at most 1e6), or --steps", *epochs)
	case *init != "" && *resume != "":
		return errors.New("--init starts a new training from a file's weights, --resume continues a checkpoint's training: give one")
	}
	interval, err := parseEvery(*every)
	if err != nil {
		return err
	}
	if *resume != "" && *ckpt == "" {
		*ckpt = *resume
	}
	if err := checkOutputs(stderr, output{"--out", *out}, output{"--checkpoint", *ckpt}); err != nil {
		return err
	}
	ds, err := data.Load(*dataDir)
	if err != nil {
		return err
	}
	trainSet, testSet := ds.Train, ds.Test
	var s *train.Session
	switch {
	case *resume != "":
		f, err := readFile(*resume)
		if err != nil {
			return err
		}
		if s, err = train.Resume(f, trainSet, testSet, config.Retune(*resume, stderr)); err != nil {
			if errors.Is(err, train.ErrNotCheckpoint) {
				return fmt.Errorf("%s: %w; to train on from its weights alone, use --init", *resume, err)
			}
			return fmt.Errorf("%s: %w", *resume, err)
		}
	case *init != "":
		f, err := readFile(*init)
		if err != nil {
			return err
		}
		m, done, err := model.FromFile(f, config.Retune(*init, stderr))
		if err != nil {
			return fmt.Errorf("%s: %w", *init, err)
		}
		if s, err = train.New(m, trainSet, testSet, done); err != nil {
			return err
		}
	default:
		c, err := config.Config()
		if err != nil {
			return err
		}
		m, err := model.New(c)
		if err != nil {
			return err
		}
		if s, err = train.New(m, trainSet, testSet, 0); err != nil {
			return err
		}
	}
	s.Data = ds
	// total is the steps this run takes.
	total := *steps
	if total == 0 {
		total = int(*epochs * float64(s.StepsPerEpoch()))
		if total == 0 && *resume == "" {
			return fmt.Errorf("--epochs %v is less than one step (an epoch is %d steps of %d)", *epochs, s.StepsPerEpoch(), s.Batch())
		}
	}
	if *resume != "" {
		if total <= s.Steps {
			fmt.Fprintf(stderr, "latentlab: %s is at step %d already, of the %d asked for: no training\n", *resume, s.Steps, total)
		}
		total = max(0, total-s.Steps)
	}
	m := s.Model
	c := m.Config()
	fmt.Fprintf(stderr, "latentlab: training %s %v, %d parameters, %d steps of %d from step %d\n", c.Model, c.Nets()["encoder"], c.ParamCount(), total, c.Batch, s.Steps)

	// The first SIGINT or SIGTERM stops after the current step, still
	// writes the checkpoint and --out and exits 130 or 143; a second one
	// exits at once.
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

	saved := -1 // the step of the last checkpoint written
	saveCheckpoint := func() error {
		if *ckpt == "" || saved == s.Steps {
			return nil
		}
		b, err := s.Checkpoint()
		if err != nil {
			return err
		}
		if err := fileio.Write(*ckpt, b); err != nil {
			return fmt.Errorf("checkpoint: %w", err)
		}
		saved = s.Steps
		return nil
	}
	// kept says what a diverged run leaves as it was.
	kept := func() string {
		k := ""
		if *out != "" {
			k = fmt.Sprintf("; %s was not written", *out)
		}
		if saved >= 0 {
			k += fmt.Sprintf("; %s holds step %d, the last good state", *ckpt, saved)
		}
		return k
	}
	enc := json.NewEncoder(stdout)
	bar := newProgress(stderr, total)
	var mean train.Mean
	start, last, lastSaved := time.Now(), time.Now(), time.Now()
	lastStep := 0
	outOfTime := false
	for i := 1; i <= total && !stopped(); i++ {
		if *maxTime > 0 && time.Since(start) >= *maxTime {
			outOfTime = true
			break
		}
		l := s.Step()
		for k, name := range m.LossNames() {
			if math.IsNaN(l[k]) || math.IsInf(l[k], 0) {
				bar.finish()
				return fmt.Errorf("training diverged at step %d: loss %s is %v (try a lower learning rate, --lr-recon or --lr-reg)%s", s.Steps, name, l[k], kept())
			}
		}
		mean.Add(l)
		bar.update(i, m.LossNames(), mean.Value())
		if i%*logEvery == 0 || i == total {
			// Finite losses can hide parameters that overflowed.
			if err := model.CheckFinite(m); err != nil {
				bar.finish()
				return fmt.Errorf("training diverged by step %d: %v%s", s.Steps, err, kept())
			}
			now := time.Now()
			means := mean.Value()
			for k, name := range m.LossNames() {
				s.Curves.Add(name, float64(s.Steps), means[k])
			}
			if err := enc.Encode(statsOf(s, means, float64((i-lastStep)*s.Batch())/now.Sub(last).Seconds(), now.Sub(start))); err != nil {
				return err
			}
			mean.Reset()
			last, lastStep = now, i
		}
		if *evalEvery > 0 && i%*evalEvery == 0 && i < total {
			line := evalLine(s)
			line["elapsed_s"] = time.Since(start).Seconds()
			if err := enc.Encode(line); err != nil {
				return err
			}
		}
		if interval.due(i, time.Since(lastSaved)) && i < total {
			if err := saveCheckpoint(); err != nil {
				return err
			}
			lastSaved = time.Now()
		}
	}
	bar.finish()
	if stopped() {
		fmt.Fprintf(stderr, "latentlab: interrupted at step %d\n", s.Steps)
	}
	if outOfTime {
		fmt.Fprintf(stderr, "latentlab: --max-time %v reached at step %d\n", *maxTime, s.Steps)
	}
	if err := saveCheckpoint(); err != nil {
		return err
	}
	if saved >= 0 {
		fmt.Fprintf(stderr, "latentlab: checkpoint %s at step %d\n", *ckpt, saved)
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
	fmt.Fprintf(stderr, "latentlab: evaluating on %d test digits\n", testSet.N)
	final := evalLine(s)
	final["elapsed_s"] = time.Since(start).Seconds()
	return enc.Encode(final)
}

// evalLine is the JSON line of test metrics (train.Session.Metrics) at the
// session's step, with valid_recon over the digits the config holds out.
func evalLine(s *train.Session) map[string]any {
	line := map[string]any{"step": s.Steps, "epoch": s.Epoch()}
	for k, v := range s.Metrics() {
		line[k] = finite(v)
	}
	if s.Valid != nil {
		if v := s.ValidLoss(); !math.IsNaN(v) {
			line["valid_recon"] = finite(v)
		}
	}
	return line
}

// every is a checkpoint interval: steps, or a duration.
type every struct {
	steps int
	dur   time.Duration
}

func parseEvery(v string) (every, error) {
	if n, err := strconv.Atoi(v); err == nil {
		if n < 1 {
			return every{}, fmt.Errorf("--checkpoint-every %d: give at least 1 step, or a duration such as 10m", n)
		}
		return every{steps: n}, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < time.Second {
		return every{}, fmt.Errorf("--checkpoint-every %q: give a number of steps or a duration of at least 1s, such as 500 or 10m", v)
	}
	return every{dur: d}, nil
}

// due reports whether a checkpoint is due after the run's step i, since
// the last one.
func (e every) due(i int, since time.Duration) bool {
	if e.steps > 0 {
		return i%e.steps == 0
	}
	return since >= e.dur
}

// tunableFlags lists the flags of model.Tunable, for the help.
func tunableFlags() string {
	flags := make([]string, len(model.Tunable))
	for i, key := range model.Tunable {
		flags[i] = "--" + flagName(key)
	}
	return strings.Join(flags[:len(flags)-1], ", ") + " and " + flags[len(flags)-1]
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

// writeModel writes the session's model (its weights, a PyTorch state
// dict) to path atomically (fileio.Write).
func writeModel(path string, s *train.Session, dt safetensors.DType) error {
	b, err := s.Weights(dt)
	if err != nil {
		return err
	}
	return fileio.Write(path, b)
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

// readFile reads and decodes a .safetensors file (readWeights).
func readFile(path string) (*safetensors.File, error) {
	b, err := readWeights(path)
	if err != nil {
		return nil, err
	}
	f, err := safetensors.Decode(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

// readWeights reads a .safetensors file, refusing one larger than
// safetensors.MaxFileSize before reading a byte (fileio.Read).
func readWeights(path string) ([]byte, error) {
	b, err := fileio.Read(path, safetensors.MaxFileSize)
	if big := (*fileio.TooLargeError)(nil); errors.As(err, &big) && big.Size >= 0 {
		return nil, fmt.Errorf("%s is %d bytes, more than the %d a weights file may be", path, big.Size, big.Max)
	}
	return b, err
}

// output is a file a command writes, named by its flag.
type output struct{ flag, path string }

// checkOutputs refuses, before any work, outputs that cannot be written
// (fileio.Check) and two flags naming the same file, and removes the
// temporary files interrupted runs left beside them.
func checkOutputs(stderr io.Writer, outs ...output) error {
	for i, o := range outs {
		if o.path == "" {
			continue
		}
		if err := fileio.Check(o.path); err != nil {
			return fmt.Errorf("%s: %w", o.flag, err)
		}
		for _, p := range outs[:i] {
			if p.path != "" && fileio.Same(p.path, o.path) {
				return fmt.Errorf("%s and %s both name %s: one would overwrite the other; give each its own file", p.flag, o.flag, o.path)
			}
		}
		fileio.RemoveStale(filepath.Dir(o.path), stderr)
	}
	return nil
}
