package data

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"

	"latentlab/core/fileio"
)

// Set is a set of labelled images.
type Set struct {
	// N is the number of images; Rows and Cols their size in pixels.
	N, Rows, Cols int
	// Pix holds the N images of Rows*Cols bytes each, row-major, one after
	// another.
	Pix []uint8
	// Labels holds one label, 0..9, per image.
	Labels []uint8
}

// MNIST file names, as LeCun publishes them.
const (
	TrainImages = "train-images-idx3-ubyte"
	TrainLabels = "train-labels-idx1-ubyte"
	TestImages  = "t10k-images-idx3-ubyte"
	TestLabels  = "t10k-labels-idx1-ubyte"
)

// pixScale maps a pixel byte to its float32 value, byte/255.
var pixScale [256]float32

func init() {
	for i := range pixScale {
		pixScale[i] = float32(i) / 255
	}
}

// Dim returns the number of pixels in one image, Rows*Cols.
func (s *Set) Dim() int { return s.Rows * s.Cols }

// NewSet decodes an idx image file and an idx label file (each plain or
// gzip-compressed) into a Set. Its errors name the set, as in "train-images".
// It returns an error if either file is malformed or their counts differ.
func NewSet(name string, images, labels []byte) (*Set, error) {
	return newSet(name, name+"-images", name+"-labels", images, labels)
}

// newSet is NewSet with separate names for the set and its two files.
func newSet(name, imgName, lblName string, images, labels []byte) (*Set, error) {
	n, rows, cols, pix, err := decodeImages(imgName, images)
	if err != nil {
		return nil, err
	}
	lab, err := decodeLabels(lblName, labels)
	if err != nil {
		return nil, err
	}
	if len(lab) != n {
		return nil, fmt.Errorf("data: %s: %d images but %d labels", name, n, len(lab))
	}
	return &Set{N: n, Rows: rows, Cols: cols, Pix: pix, Labels: lab}, nil
}

// LoadMNIST reads the MNIST training and test sets from dir, which holds the
// four idx files TrainImages, TrainLabels, TestImages and TestLabels, each
// plain or gzip-compressed with a ".gz" suffix. If both forms are present the
// plain file is read. Errors name the file and suggest running `make data`.
func LoadMNIST(dir string) (train, test *Set, err error) {
	train, err = loadPair(dir, "train", TrainImages, TrainLabels)
	if err != nil {
		return nil, nil, err
	}
	test, err = loadPair(dir, "test", TestImages, TestLabels)
	if err != nil {
		return nil, nil, err
	}
	return train, test, nil
}

// loadPair reads one image file and one label file from dir into a Set.
func loadPair(dir, name, images, labels string) (*Set, error) {
	imgPath, img, err := readIdx(dir, images)
	if err != nil {
		return nil, err
	}
	lblPath, lbl, err := readIdx(dir, labels)
	if err != nil {
		return nil, err
	}
	s, err := newSet(name+" set in "+dir, imgPath, lblPath, img, lbl)
	if err != nil {
		return nil, fmt.Errorf("%w (run `make data` to fetch MNIST again)", err)
	}
	return s, nil
}

// maxIdxFile is the most an idx file may hold, plain or compressed: the
// largest payload the decoders accept and its header.
const maxIdxFile = maxPayload + 16

// readIdx reads dir/base, or dir/base.gz if the plain file does not exist,
// and returns the path it read. It reads only a regular file of at most
// maxIdxFile bytes (fileio.Read).
func readIdx(dir, base string) (string, []byte, error) {
	plain := filepath.Join(dir, base)
	b, err := fileio.Read(plain, maxIdxFile)
	if err == nil {
		return plain, b, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", nil, fmt.Errorf("data: reading MNIST: %v", err)
	}
	gz := plain + ".gz"
	b, err = fileio.Read(gz, maxIdxFile)
	if err == nil {
		return gz, b, nil
	}
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil, fmt.Errorf("data: MNIST file %s not found (neither %s nor %s exists); run `make data` to fetch it", base, plain, gz)
	}
	return "", nil, fmt.Errorf("data: reading MNIST: %v", err)
}

// Subset returns the first n images of s as a Set sharing s's memory.
// It panics if n is not in 0..s.N.
func (s *Set) Subset(n int) *Set { return s.Range(0, n) }

// Range returns images [lo, hi) of s as a Set sharing s's memory. It
// panics unless 0 ≤ lo ≤ hi ≤ s.N.
func (s *Set) Range(lo, hi int) *Set {
	if lo < 0 || lo > hi || hi > s.N {
		panic(fmt.Sprintf("data: Range(%d, %d) of a set of %d images", lo, hi, s.N))
	}
	d := s.Dim()
	return &Set{N: hi - lo, Rows: s.Rows, Cols: s.Cols, Pix: s.Pix[lo*d : hi*d : hi*d], Labels: s.Labels[lo:hi:hi]}
}

// FillRange stores images [lo, hi) of s in x and their labels in labels
// unless labels is nil, as Fill with idx lo, lo+1, ..., hi−1 does. It
// allocates nothing; it panics unless 0 ≤ lo ≤ hi ≤ N, len(x) =
// (hi−lo)·Dim and labels is nil or of hi−lo.
func (s *Set) FillRange(x []float32, labels []uint8, lo, hi int) {
	d := s.Dim()
	switch {
	case lo < 0 || lo > hi || hi > s.N:
		panic(fmt.Sprintf("data: FillRange(%d, %d) of a set of %d images", lo, hi, s.N))
	case len(x) != (hi-lo)*d:
		panic(fmt.Sprintf("data: FillRange: len(x) = %d, want %d images of %d = %d", len(x), hi-lo, d, (hi-lo)*d))
	case labels != nil && len(labels) != hi-lo:
		panic(fmt.Sprintf("data: FillRange: len(labels) = %d, want %d", len(labels), hi-lo))
	}
	for i, v := range s.Pix[lo*d : hi*d] {
		x[i] = pixScale[v]
	}
	if labels != nil {
		copy(labels, s.Labels[lo:hi])
	}
}

// Fill stores images idx[0], idx[1], ... of s in x, as consecutive rows of
// Dim values byte/255, and their labels in labels unless labels is nil:
//
//	x[i*Dim + p] = Pix[idx[i]*Dim + p] / 255,  labels[i] = Labels[idx[i]]
//
// It allocates nothing. It panics if len(x) != len(idx)*Dim, if labels is
// not nil and len(labels) != len(idx), or if an index is outside 0..N-1.
func (s *Set) Fill(x []float32, labels []uint8, idx []int) {
	d := s.Dim()
	if len(x) != len(idx)*d {
		panic(fmt.Sprintf("data: Fill: len(x) = %d, want %d images of %d = %d", len(x), len(idx), d, len(idx)*d))
	}
	if labels != nil && len(labels) != len(idx) {
		panic(fmt.Sprintf("data: Fill: len(labels) = %d, want %d", len(labels), len(idx)))
	}
	for i, j := range idx {
		if j < 0 || j >= s.N {
			panic(fmt.Sprintf("data: Fill: index %d outside a set of %d images", j, s.N))
		}
		dst := x[i*d : (i+1)*d]
		src := s.Pix[j*d : (j+1)*d]
		for p, v := range src {
			dst[p] = pixScale[v]
		}
		if labels != nil {
			labels[i] = s.Labels[j]
		}
	}
}
