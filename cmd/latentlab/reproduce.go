package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"latentlab/core/fileio"
)

// A row of the paper's table (REPRODUCTION.md) as a run: how to start its
// training, how long, and how to evaluate it.
type row struct {
	doc    string
	start  []string // train flags of a fresh run (config and --valid)
	epochs float64  // default budget
	chunk  float64  // epochs between evaluations
	eval   []string // eval flags that measure the row
	report []string // the keys of eval's JSON the row reports
	// The held-out figure that chooses the chunk --ship ships (never a
	// test-set figure), whether lower is better, and the shipped file's
	// headline figure.
	choose string
	lower  bool
	metric string
	// The row's plot (plotRow): its curves, their unit, whether they are
	// fractions drawn as percentages, and the paper's figure (0: none).
	curves  []curve
	unit    string
	percent bool
	paper   float64
}

// rows are the table's rows that can be run.
var rows = map[string]row{
	"parzen": {
		doc:    "Parzen-window log-likelihood of the MNIST test digits (Table 1; the paper: 340 ± 2)",
		start:  []string{"--preset", "paper-parzen"},
		epochs: 40, chunk: 4,
		eval:   []string{"--samples", "0", "--parzen"},
		report: []string{"test_recon", "parzen_ll", "parzen_se", "parzen_sigma", "parzen_valid_ll"},
		choose: "parzen_valid_ll", metric: "parzen_ll",
		curves: []curve{{"parzen_ll", "Parzen log-likelihood, test"}, {"parzen_valid_ll", "Parzen log-likelihood, held-out digits"}},
		unit:   "nats", paper: 340,
	},
	"semisup-100":  semisupRow(100, "1.90 ± 0.10 %", 1.90),
	"semisup-1000": semisupRow(1000, "1.60 %, to confirm", 1.60),
	"semisup-all":  semisupRow(0, "0.85 %", 0.85),
	"cluster-16":   clusterRow(16, "9.55 %, to confirm", 9.55),
	"cluster-30":   clusterRow(30, "4.10 %, to confirm", 4.10),
}

// semisupRow is the semi-supervised error with labels labelled digits (0:
// all of them), preset paper-semisup-N.
func semisupRow(labels int, paper string, figure float64) row {
	name := "all"
	if labels > 0 {
		name = strconv.Itoa(labels)
	}
	return row{
		doc:    "semi-supervised test error with " + name + " labels (§6; the paper: " + paper + ")",
		start:  []string{"--preset", "paper-semisup-" + name},
		epochs: 40, chunk: 2,
		eval:   []string{"--samples", "0"},
		report: []string{"test_error", "valid_error", "test_recon"},
		choose: "valid_error", lower: true, metric: "test_error",
		curves: []curve{{"test_error", "test error"}, {"valid_error", "held-out error"}},
		unit:   "%", percent: true, paper: figure,
	}
}

// clusterRow is the clustering error with k clusters, each labelled by the
// held-out digit it is most confident of (§7), preset paper-cluster-K.
func clusterRow(k int, paper string, figure float64) row {
	return row{
		doc:    fmt.Sprintf("clustering test error with %d clusters (§7; the paper: %s)", k, paper),
		start:  []string{"--preset", fmt.Sprintf("paper-cluster-%d", k)},
		epochs: 40, chunk: 2,
		eval:   []string{"--samples", "0"},
		report: []string{"cluster_error_valid", "cluster_error", "valid_cluster_error", "test_recon"},
		choose: "valid_cluster_error", lower: true, metric: "cluster_error",
		curves: []curve{{"cluster_error_valid", "test error, clusters labelled by held-out digits"}, {"cluster_error", "test error, clusters labelled by their majority"}},
		unit:   "%", percent: true, paper: figure,
	}
}

func rowNames() []string {
	var names []string
	for k := range rows {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

func reproduceCmd(args []string, stdout, stderr io.Writer) error {
	var list strings.Builder
	for _, n := range rowNames() {
		fmt.Fprintf(&list, "\n  %-13s %s, %v epochs", n, rows[n].doc, rows[n].epochs)
	}
	fs := newFlagSet("reproduce ROW", "Runs one row of the AAE paper's table in chunks: trains --chunk epochs at a\n"+
		"time, continuing exactly from DIR/ROW.ckpt, evaluates each chunk's weights,\n"+
		"and appends a JSON line per chunk to --results. Run it again to continue\n"+
		"where it stopped; --epochs is the total budget. Rows:"+list.String(), stderr)
	dir := fs.String("dir", "runs", "`dir`ectory for the checkpoint, weights and logs (keep it outside the repository)")
	results := fs.String("results", "", "append each chunk's figures to this JSON-lines `file` (default DIR/ROW-results.jsonl)")
	plotFile := fs.String("plot", "", "draw the row's learning curves from --results into this PNG `file` after each chunk (default DIR/ROW.png)")
	plotOnly := fs.Bool("plot-only", false, "only draw --plot from --results, training nothing")
	epochs := fs.Float64("epochs", 0, "total epochs (default the row's budget)")
	chunk := fs.Float64("chunk", 0, "epochs between evaluations (default the row's)")
	dataDir := fs.String("data", "assets/mnist", "`dir`ectory holding the MNIST idx files (make data)")
	seed := fs.Uint64("seed", 0, "train a fresh run with this seed instead of the preset's (a row's second seed, in its own --dir); 0: the preset's")
	ship := fs.String("ship", "", "train nothing: choose the measured chunk whose held-out figure is best (the later on a tie), write its weights as F16 to `dir`/PRESET.safetensors and list it, with its figure, in dir/index.json (assets/models for the page)")
	var name string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, args = args[0], args[1:]
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	r, ok := rows[name]
	if !ok {
		return fmt.Errorf("reproduce: unknown row %q (want %s)", name, strings.Join(rowNames(), ", "))
	}
	if *epochs == 0 {
		*epochs = r.epochs
	}
	if *chunk == 0 {
		*chunk = r.chunk
	}
	if !(*epochs > 0 && *epochs <= 1e4) || !(*chunk > 0 && *chunk <= *epochs) {
		return fmt.Errorf("reproduce: --epochs %v and --chunk %v: want 0 < chunk ≤ epochs ≤ 10000", *epochs, *chunk)
	}
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		return err
	}
	if *results == "" {
		*results = filepath.Join(*dir, name+"-results.jsonl")
	}
	if *plotFile == "" {
		*plotFile = filepath.Join(*dir, name+".png")
	}
	draw := func() error {
		lines, err := readResults(*results, name)
		if err != nil {
			return fmt.Errorf("reproduce %s: %v", name, err)
		}
		return plotRow(name, r, lines, *plotFile)
	}
	if *plotOnly {
		return draw()
	}
	if *ship != "" {
		return shipRow(name, r, *results, *ship, *dataDir, stdout, stderr)
	}
	ckpt := filepath.Join(*dir, name+".ckpt")
	logFile, err := os.OpenFile(filepath.Join(*dir, name+".log"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logFile.Close()
	log := io.MultiWriter(stderr, logFile)
	start := time.Now()
	for done := lastEpochs(*results, name); done < *epochs; {
		target := min(done+*chunk, *epochs)
		out := filepath.Join(*dir, fmt.Sprintf("%s-%s.safetensors", name, strconv.FormatFloat(target, 'f', -1, 64)))
		args := []string{"--data", *dataDir, "--epochs", strconv.FormatFloat(target, 'f', -1, 64), "--checkpoint", ckpt, "--out", out, "--log-every", "1000000"}
		if _, err := os.Stat(ckpt); err == nil {
			args = append(args, "--resume", ckpt)
		} else {
			args = append(args, r.start...)
			if *seed != 0 {
				args = append(args, "--seed", strconv.FormatUint(*seed, 10))
			}
		}
		fmt.Fprintf(log, "latentlab: reproduce %s: training to epoch %v\n", name, target)
		var trained bytes.Buffer
		if err := trainCmd(args, &trained, log); err != nil {
			// A chunk stopped early (a signal, --max-time) wrote weights
			// short of its epoch under the chunk's name; the checkpoint
			// holds where it stopped, and the next run writes them whole.
			os.Remove(out)
			return fmt.Errorf("reproduce %s: %w", name, err)
		}
		var evaluated bytes.Buffer
		if err := evalCmd(append([]string{"--data", *dataDir, "--weights", out}, r.eval...), &evaluated, log); err != nil {
			return fmt.Errorf("reproduce %s: %w", name, err)
		}
		var figures map[string]any
		if err := json.Unmarshal(evaluated.Bytes(), &figures); err != nil {
			return fmt.Errorf("reproduce %s: eval printed %q: %v", name, evaluated.String(), err)
		}
		line := map[string]any{"row": name, "epochs": target, "step": figures["step"], "weights": out, "elapsed_s": time.Since(start).Seconds()}
		if cfg, ok := figures["config"].(map[string]any); ok {
			line["seed"] = cfg["seed"]
		}
		for _, k := range r.report {
			line[k] = figures[k]
		}
		b, _ := json.Marshal(line)
		if err := appendLine(*results, b); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s\n", b)
		if err := draw(); err != nil {
			return err
		}
		done = target
	}
	return nil
}

// lastEpochs returns the epochs of the last line of the results file, the
// chunks already measured; 0 when there are none. A checkpoint ahead of
// it (a run stopped during an evaluation) is fine: training to the next
// target then takes no steps, and the chunk is measured.
func lastEpochs(results, name string) float64 {
	b, err := fileio.Read(results, maxTextFile)
	if err != nil {
		return 0
	}
	done := 0.0
	for _, line := range strings.Split(string(b), "\n") {
		var r struct {
			Row    string  `json:"row"`
			Epochs float64 `json:"epochs"`
		}
		if json.Unmarshal([]byte(line), &r) == nil && r.Row == name {
			done = max(done, r.Epochs)
		}
	}
	return done
}

func appendLine(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return err
	}
	return errors.Join(f.Sync(), f.Close())
}
