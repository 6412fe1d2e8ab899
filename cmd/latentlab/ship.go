package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"latentlab/core/fileio"
	"latentlab/core/model"
	"latentlab/core/safetensors"
)

// A model the site ships (assets/models/index.json), as the page lists it
// under "Load a trained model" and TestShippedModels checks it.
type shipped struct {
	Row    string   `json:"row"`    // the preset the row trains (paper-semisup-100, ...)
	File   string   `json:"file"`   // its file, beside index.json
	Bytes  int      `json:"bytes"`  // its size
	SHA256 string   `json:"sha256"` // its SHA-256, hex
	Eval   []string `json:"eval"`   // the eval flags that measure it
	Metric string   `json:"metric"` // the key of eval's JSON that is its figure
	Value  float64  `json:"value"`  // that figure, as eval prints it for the file
	Figure string   `json:"figure"` // the figure in words
	Epochs float64  `json:"epochs"` // the chunk chosen
	Chosen string   `json:"chosen"` // how it was chosen
}

// shipRow writes the chunk of row name whose held-out figure is best (the
// later on a tie; from its results, evaluating a chunk's weights where a
// line lacks the figure)
// as an F16 file in dir, and lists it in dir/index.json with its figure as
// eval prints it for that file.
func shipRow(name string, r row, results, dir, dataDir string, stdout, stderr io.Writer) error {
	lines, err := readResults(results, name)
	if err != nil {
		return fmt.Errorf("reproduce %s: %v", name, err)
	}
	measure := func(weights string) (map[string]any, error) {
		var out bytes.Buffer
		if err := evalCmd(append([]string{"--data", dataDir, "--weights", weights}, r.eval...), &out, stderr); err != nil {
			return nil, err
		}
		var m map[string]any
		return m, json.Unmarshal(out.Bytes(), &m)
	}
	best, bestVal := -1, 0.0
	for i, l := range lines {
		v, ok := l[r.choose].(float64)
		if !ok {
			w, _ := l["weights"].(string)
			m, err := measure(w)
			if err != nil {
				return fmt.Errorf("reproduce %s --ship: chunk at %v epochs: %v", name, l["epochs"], err)
			}
			if v, ok = m[r.choose].(float64); !ok {
				return fmt.Errorf("reproduce %s --ship: eval gives no %s", name, r.choose)
			}
		}
		fmt.Fprintf(stderr, "latentlab: %s at %v epochs: %s %v\n", name, l["epochs"], r.choose, v)
		// Ties go to the later chunk, the longer training.
		if best < 0 || (r.lower && v <= bestVal) || (!r.lower && v >= bestVal) {
			best, bestVal = i, v
		}
	}
	if best < 0 {
		return fmt.Errorf("reproduce %s --ship: no chunk measured in %s", name, results)
	}
	chosen := lines[best]
	src, _ := chosen["weights"].(string)
	b, err := readWeights(src)
	if err != nil {
		return err
	}
	f, err := safetensors.Decode(b)
	if err != nil {
		return fmt.Errorf("%s: %v", src, err)
	}
	m, step, err := model.FromFile(f, nil)
	if err != nil {
		return fmt.Errorf("%s: %v", src, err)
	}
	// The shipped file keeps the record of the data it trained on.
	keep := map[string]string{}
	for _, k := range []string{"dataset", "dataset_hash"} {
		if v, ok := f.Meta[k]; ok {
			keep[k] = v
		}
	}
	half, err := model.EncodeMeta(m, step, safetensors.F16, keep)
	if err != nil {
		return err
	}
	preset := r.start[slices.Index(r.start, "--preset")+1]
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	file := preset + ".safetensors"
	path := filepath.Join(dir, file)
	if err := fileio.Write(path, half); err != nil {
		return err
	}
	figures, err := measure(path)
	if err != nil {
		return err
	}
	value, _ := figures[r.metric].(float64)
	sum := sha256.Sum256(half)
	entry := shipped{
		Row: preset, File: file, Bytes: len(half), SHA256: hex.EncodeToString(sum[:]),
		Eval: r.eval, Metric: r.metric, Value: value, Figure: figureWords(r, figures),
		Epochs: chosen["epochs"].(float64),
		Chosen: fmt.Sprintf("best %s of %d chunks (%v)", r.choose, len(lines), bestVal),
	}
	index := filepath.Join(dir, "index.json")
	var list struct {
		Models []shipped `json:"models"`
	}
	if old, err := fileio.Read(index, maxTextFile); err == nil {
		if err := json.Unmarshal(old, &list); err != nil {
			return fmt.Errorf("%s: %v", index, err)
		}
	}
	list.Models = slices.DeleteFunc(list.Models, func(s shipped) bool { return s.Row == preset })
	list.Models = append(list.Models, entry)
	slices.SortFunc(list.Models, func(a, b shipped) int { return strings.Compare(a.Row, b.Row) })
	out, _ := json.MarshalIndent(list, "", "  ")
	if err := fileio.Write(index, append(out, '\n')); err != nil {
		return err
	}
	line, _ := json.Marshal(entry)
	fmt.Fprintf(stdout, "%s\n", line)
	return nil
}

// figureWords is a shipped model's figure as the page lists it.
func figureWords(r row, f map[string]any) string {
	num := func(k string) float64 { v, _ := f[k].(float64); return v }
	switch r.metric {
	case "parzen_ll":
		return fmt.Sprintf("Parzen log-likelihood %.1f ± %.1f nats", num("parzen_ll"), num("parzen_se"))
	case "test_error":
		return fmt.Sprintf("test error %.2f %%", 100*num("test_error"))
	case "cluster_error":
		return fmt.Sprintf("cluster error %.2f %% (majority), %.2f %% (paper's labelling)", 100*num("cluster_error"), 100*num("cluster_error_valid"))
	}
	return fmt.Sprintf("%s %v", r.metric, num(r.metric))
}
