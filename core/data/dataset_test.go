package data

import (
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
)

// assetsDir returns ROOT/assets/name, or skips when make data has not put
// the set there (Fashion-MNIST is optional).
func assetsDir(t *testing.T, name string, optional bool) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(file), "..", "..", "assets", name)
	if _, err := os.Stat(filepath.Join(dir, TestLabels+".gz")); err != nil {
		if optional {
			t.Skipf("no %s in assets (make data fetches it where Debian's package can be had)", name)
		}
		t.Fatalf("no %s in assets: run make data", name)
	}
	return dir
}

// TestKnownHashes: MNIST and Fashion-MNIST, as make data puts them in
// assets/, are named by their contents with their class names; the
// committed MNIST subset is not MNIST, and is named by its folder with
// its labels as class names.
func TestKnownHashes(t *testing.T) {
	if testing.Short() {
		t.Skip("hashes 55 MB")
	}
	d, err := Load(assetsDir(t, "mnist", false))
	if err != nil {
		t.Fatal(err)
	}
	if d.Name() != "mnist" || d.Classes()[3] != "3" || len(d.Classes()) != 10 || d.Train.N != 60000 {
		t.Errorf("assets/mnist is %q, classes %v", d.Name(), d.Classes())
	}
	sub, err := Load(filepath.Join(filepath.Dir(assetsDir(t, "mnist", false)), "..", "core", "data", "testdata"))
	if err != nil {
		t.Fatal(err)
	}
	if sub.Name() != "testdata" || !slices.Equal(sub.Classes(), d.Classes()) || sub.Hash() == d.Hash() {
		t.Errorf("the test subset is %q, classes %v, hash %s", sub.Name(), sub.Classes(), sub.Hash())
	}
	f, err := Load(assetsDir(t, "fashion-mnist", true))
	if err != nil {
		t.Fatal(err)
	}
	if f.Name() != "fashion-mnist" || f.Classes()[9] != "Ankle boot" || f.Test.N != 10000 {
		t.Errorf("assets/fashion-mnist is %q, classes %v", f.Name(), f.Classes())
	}
}

// TestHashIsContents: the hash changes with one pixel or one label, and
// not with how the sets were made.
func TestHashIsContents(t *testing.T) {
	mk := func() (*Set, *Set) {
		return &Set{N: 2, Rows: 2, Cols: 2, Pix: []uint8{1, 2, 3, 4, 5, 6, 7, 8}, Labels: []uint8{0, 3}},
			&Set{N: 1, Rows: 2, Cols: 2, Pix: []uint8{9, 9, 9, 9}, Labels: []uint8{1}}
	}
	tr0, te0 := mk()
	a := NewDataset(tr0, te0, "x")
	tr, te := mk()
	if b := NewDataset(tr, te, "other"); b.Hash() != a.Hash() {
		t.Error("the same contents hash differently")
	}
	if a.Name() != "x" || !slices.Equal(a.Classes(), []string{"0", "1", "2", "3"}) {
		t.Errorf("named %q, classes %v", a.Name(), a.Classes())
	}
	tr.Pix[5]++
	if NewDataset(tr, te, "x").Hash() == a.Hash() {
		t.Error("a changed pixel keeps the hash")
	}
	tr.Pix[5]--
	te.Labels[0] = 2
	if NewDataset(tr, te, "x").Hash() == a.Hash() {
		t.Error("a changed label keeps the hash")
	}
}
