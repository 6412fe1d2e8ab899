package data

import (
	"bytes"
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
)

// Reference facts about MNIST (REFERENCE.md).
var (
	firstTrainLabels = []uint8{5, 0, 4, 1, 9, 2, 1, 3, 1, 4}
	firstTestLabels  = []uint8{7, 2, 1, 0, 4, 1, 4, 9, 5, 9}
)

// checkMNISTSet checks a set drawn from the start of an MNIST split.
func checkMNISTSet(t *testing.T, name string, s *Set, n int, first []uint8) {
	t.Helper()
	if s.N != n || s.Rows != 28 || s.Cols != 28 || s.Dim() != 784 || len(s.Pix) != n*784 || len(s.Labels) != n {
		t.Fatalf("%s: N %d, %dx%d, %d pixels, %d labels; want %d of 28x28", name, s.N, s.Rows, s.Cols, len(s.Pix), len(s.Labels), n)
	}
	if !bytes.Equal(s.Labels[:len(first)], first) {
		t.Errorf("%s: first labels %v, want %v", name, s.Labels[:len(first)], first)
	}
	var count [10]int
	for _, l := range s.Labels {
		count[l]++
	}
	for d, c := range count {
		if c < n/20 {
			t.Errorf("%s: only %d of %d images are %ds", name, c, n, d)
		}
	}
	// MNIST digits are centred: the border pixels of the first image are
	// blank and its centre is not.
	img := s.Pix[:784]
	var border, centre int
	for r := 0; r < 28; r++ {
		for c := 0; c < 28; c++ {
			v := int(img[r*28+c])
			if r == 0 || r == 27 || c == 0 || c == 27 {
				border += v
			}
			if r >= 8 && r < 20 && c >= 8 && c < 20 {
				centre += v
			}
		}
	}
	if border != 0 || centre == 0 {
		t.Errorf("%s: first image has border sum %d and centre sum %d", name, border, centre)
	}
}

func TestLoadTestSubset(t *testing.T) {
	train, test, err := LoadTestSubset()
	if err != nil {
		t.Fatal(err)
	}
	checkMNISTSet(t, "train subset", train, 2000, firstTrainLabels)
	checkMNISTSet(t, "test subset", test, 1000, firstTestLabels)
}

// idxMD5 returns the MD5 of the idx files that would hold s.
func idxMD5(s *Set) (images, labels string) {
	h := md5.New()
	var hdr []byte
	for _, v := range []int{magicImages, s.N, s.Rows, s.Cols} {
		hdr = binary.BigEndian.AppendUint32(hdr, uint32(v))
	}
	h.Write(hdr)
	h.Write(s.Pix)
	images = hex.EncodeToString(h.Sum(nil))
	h.Reset()
	h.Write(binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(nil, magicLabels), uint32(s.N)))
	h.Write(s.Labels)
	labels = hex.EncodeToString(h.Sum(nil))
	return images, labels
}

// TestFullMNIST loads the real MNIST that `make data` puts in assets/mnist,
// checks it against the reference MD5s, and checks that the committed
// subset is its prefix.
func TestFullMNIST(t *testing.T) {
	dir := filepath.Join("..", "..", "assets", "mnist")
	if _, err := os.Stat(filepath.Join(dir, TrainImages+".gz")); err != nil {
		t.Skipf("full MNIST not in %s (run `make data`): %v", dir, err)
	}
	train, test, err := LoadMNIST(dir)
	if err != nil {
		t.Fatal(err)
	}
	checkMNISTSet(t, "train", train, 60000, firstTrainLabels)
	checkMNISTSet(t, "test", test, 10000, firstTestLabels)
	for _, tc := range []struct {
		name         string
		s            *Set
		images, labs string
	}{
		{"train", train, "6bbc9ace898e44ae57da46a324031adb", "a25bea736e30d166cdddb491f175f624"},
		{"test", test, "2646ac647ad5339dbf082846283269ea", "27ae3e4e09519cfbb04c329615203637"},
	} {
		img, lab := idxMD5(tc.s)
		if img != tc.images || lab != tc.labs {
			t.Errorf("%s: decoded set re-encodes to MD5s %s, %s; want %s, %s", tc.name, img, lab, tc.images, tc.labs)
		}
	}
	subTrain, subTest, err := LoadTestSubset()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name      string
		full, sub *Set
	}{{"train", train, subTrain}, {"test", test, subTest}} {
		want := tc.full.Subset(tc.sub.N)
		if !bytes.Equal(tc.sub.Pix, want.Pix) || !bytes.Equal(tc.sub.Labels, want.Labels) {
			t.Errorf("%s: testdata subset is not the first %d digits of MNIST; rerun go run ./core/data/internal/mksubset", tc.name, tc.sub.N)
		}
	}
}

func TestSubset(t *testing.T) {
	s := indexSet(50)
	for _, n := range []int{0, 1, 17, 50} {
		sub := s.Subset(n)
		if sub.N != n || len(sub.Pix) != 2*n || len(sub.Labels) != n || sub.Rows != 1 || sub.Cols != 2 {
			t.Fatalf("Subset(%d) = %+v", n, sub)
		}
		if n > 0 && (&sub.Pix[0] != &s.Pix[0] || &sub.Labels[0] != &s.Labels[0]) {
			t.Errorf("Subset(%d) does not share memory", n)
		}
		// Appending to a subset must not overwrite the parent.
		_ = append(sub.Labels, 99)
		if n < 50 && s.Labels[n] == 99 {
			t.Errorf("append to Subset(%d) overwrote the parent", n)
		}
	}
	for _, n := range []int{-1, 51} {
		mustPanic(t, func() { s.Subset(n) })
	}
}

// TestFillRange: a range fills as Fill of its indices does; a bad range
// or buffer panics.
func TestFillRange(t *testing.T) {
	train, _, err := LoadTestSubset()
	if err != nil {
		t.Fatal(err)
	}
	d := train.Dim()
	for _, r := range [][2]int{{0, 1}, {3, 40}, {1990, 2000}, {7, 7}} {
		lo, hi := r[0], r[1]
		idx := make([]int, hi-lo)
		for i := range idx {
			idx[i] = lo + i
		}
		want, wantL := make([]float32, len(idx)*d), make([]uint8, len(idx))
		train.Fill(want, wantL, idx)
		got, gotL := make([]float32, len(idx)*d), make([]uint8, len(idx))
		for i := range got {
			got[i] = -1
		}
		train.FillRange(got, gotL, lo, hi)
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("FillRange(%d, %d): x[%d] = %v, Fill gives %v", lo, hi, i, got[i], want[i])
			}
		}
		for i := range wantL {
			if gotL[i] != wantL[i] {
				t.Fatalf("FillRange(%d, %d): label %d = %d, Fill gives %d", lo, hi, i, gotL[i], wantL[i])
			}
		}
	}
	mustPanic(t, func() { train.FillRange(make([]float32, d), nil, -1, 0) })
	mustPanic(t, func() { train.FillRange(make([]float32, d), nil, 1999, 2001) })
	mustPanic(t, func() { train.FillRange(make([]float32, d), nil, 0, 2) })
	mustPanic(t, func() { train.FillRange(make([]float32, d), make([]uint8, 2), 0, 1) })
}

func TestFill(t *testing.T) {
	train, _, err := LoadTestSubset()
	if err != nil {
		t.Fatal(err)
	}
	d := train.Dim()
	for _, idx := range [][]int{{0}, {1999, 0, 7}, {5, 5}, {}} {
		x := make([]float32, len(idx)*d)
		for i := range x {
			x[i] = -1 // every value must be overwritten
		}
		labels := make([]uint8, len(idx))
		train.Fill(x, labels, idx)
		for i, j := range idx {
			if labels[i] != train.Labels[j] {
				t.Errorf("Fill(%v): label %d = %d, want %d", idx, i, labels[i], train.Labels[j])
			}
			for p := 0; p < d; p++ {
				want := float32(train.Pix[j*d+p]) / 255
				if got := x[i*d+p]; got != want || got < 0 || got > 1 {
					t.Fatalf("Fill(%v): x[%d][%d] = %v, want %v", idx, i, p, got, want)
				}
			}
		}
		y := make([]float32, len(x))
		train.Fill(y, nil, idx)
		for i := range x {
			if x[i] != y[i] {
				t.Fatalf("Fill(%v) with nil labels differs at %d", idx, i)
			}
		}
	}
	for _, tc := range []struct {
		name   string
		x      []float32
		labels []uint8
		idx    []int
	}{
		{"short x", make([]float32, d-1), nil, []int{0}},
		{"long x", make([]float32, d+1), nil, []int{0}},
		{"short labels", make([]float32, 2*d), make([]uint8, 1), []int{0, 1}},
		{"negative index", make([]float32, d), nil, []int{-1}},
		{"index past end", make([]float32, d), nil, []int{train.N}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mustPanic(t, func() { train.Fill(tc.x, tc.labels, tc.idx) })
		})
	}
	x := make([]float32, 100*d)
	labels := make([]uint8, 100)
	idx := make([]int, 100)
	for i := range idx {
		idx[i] = (i * 37) % train.N
	}
	if a := testing.AllocsPerRun(20, func() { train.Fill(x, labels, idx) }); a != 0 {
		t.Errorf("Fill allocates %v times per call", a)
	}
}
