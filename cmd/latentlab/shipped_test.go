package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The trained models the site ships (assets/models, REPRODUCTION.md), as
// their listing assets/models/index.json gives them to the page.
const modelsDir = "../../assets/models"

// TestShippedModels checks every model the page offers under "Load a
// trained model": the file is the listed size and SHA-256, and latentlab
// eval on the real MNIST test digits prints the listed figure (the one
// REPRODUCTION.md reports).
func TestShippedModels(t *testing.T) {
	if testing.Short() {
		t.Skip("evaluates the shipped models on the whole MNIST test set")
	}
	b, err := os.ReadFile(filepath.Join(modelsDir, "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	var list struct {
		Models []shipped `json:"models"`
	}
	if err := json.Unmarshal(b, &list); err != nil {
		t.Fatalf("index.json: %v", err)
	}
	if len(list.Models) == 0 {
		t.Fatal("index.json lists no models")
	}
	mnist := "../../assets/mnist"
	total := 0
	for _, m := range list.Models {
		t.Run(m.Row, func(t *testing.T) {
			path := filepath.Join(modelsDir, m.File)
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			total += len(data)
			sum := sha256.Sum256(data)
			if len(data) != m.Bytes || hex.EncodeToString(sum[:]) != m.SHA256 {
				t.Fatalf("%s: %d bytes, SHA-256 %x; index.json lists %d bytes, %s", m.File, len(data), sum, m.Bytes, m.SHA256)
			}
			args := append([]string{"eval", "--weights", path, "--data", mnist}, m.Eval...)
			code, stdout, stderr := cli(t, args...)
			if code != 0 {
				t.Fatalf("eval %s: exit %d\n%s", m.File, code, stderr)
			}
			var out map[string]any
			if err := json.Unmarshal([]byte(stdout), &out); err != nil {
				t.Fatalf("eval printed %q: %v", stdout, err)
			}
			got, ok := out[m.Metric].(float64)
			if !ok {
				t.Fatalf("eval printed no %s: %s", m.Metric, clip(stdout))
			}
			// Errors are counts of 10,000 digits: one digit either way
			// allows for another CPU's rounding; a log-likelihood 0.1 nats.
			tol := 1.5e-4
			if strings.HasPrefix(m.Metric, "parzen") {
				tol = 0.1
			}
			if math.Abs(got-m.Value) > tol {
				t.Errorf("eval %s: %s = %v, index.json lists %v", m.File, m.Metric, got, m.Value)
			}
			t.Logf("%s: %s = %v (%s)", m.Row, m.Metric, got, m.Figure)
		})
	}
	if total > 40<<20 {
		t.Errorf("the shipped models take %d bytes, more than 40 MiB", total)
	}
}
