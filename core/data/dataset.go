package data

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"path/filepath"
	"strconv"
	"sync"
)

// Dataset is a training and a test set with what people call them: the
// set's name ("mnist", "fashion-mnist", or the folder's for another idx
// set), its class names, and a hash of its contents, by which a weights
// file records what it was trained on. Name, Classes and Hash are worked
// out when first asked (hashing the sets), not when the sets are loaded:
// the page asks only when it writes a file.
type Dataset struct {
	Train, Test *Set

	fallback string
	once     sync.Once
	name     string
	classes  []string
	hash     string
}

// Known sets, by the hash of their contents (Hash).
var known = map[string]struct {
	name    string
	classes []string
}{
	mnistHash:   {"mnist", []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}},
	fashionHash: {"fashion-mnist", []string{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"}},
}

// The hashes of MNIST's and Fashion-MNIST's four idx files as Hash
// computes them (TestKnownHashes checks them against the files of make
// data).
const (
	mnistHash   = "4797772c2fe8b19bc4124a9f00c9fd8fa26ebf530c34364364f559dd74f505d9"
	fashionHash = "d60c9bd5569617ec48c7bb460ac1b7e72014cc6012814db03437c1561715f01c"
)

// NewDataset is train and test as a Dataset: a known set is named by its
// contents, another by fallback (a folder's name, say), its classes by
// their numbers, 0 to the largest label.
func NewDataset(train, test *Set, fallback string) *Dataset {
	return &Dataset{Train: train, Test: test, fallback: fallback}
}

// Load reads the four idx files of dir (LoadMNIST) as a Dataset named by
// its contents, else by the folder's name.
func Load(dir string) (*Dataset, error) {
	train, test, err := LoadMNIST(dir)
	if err != nil {
		return nil, err
	}
	return NewDataset(train, test, filepath.Base(filepath.Clean(dir))), nil
}

// Name is the set's name: "mnist", "fashion-mnist", or the fallback.
func (d *Dataset) Name() string {
	d.identify()
	return d.name
}

// Classes are the names of the set's classes, class i's at i.
func (d *Dataset) Classes() []string {
	d.identify()
	return d.classes
}

// Hash returns the SHA-256, in hex, of the training then the test set's
// sizes, pixels and labels: the same for the same images and labels
// however the files were compressed.
func (d *Dataset) Hash() string {
	d.identify()
	return d.hash
}

// identify hashes the sets and names them, once.
func (d *Dataset) identify() {
	d.once.Do(func() {
		h := sha256.New()
		for _, s := range []*Set{d.Train, d.Test} {
			var size [12]byte
			binary.LittleEndian.PutUint32(size[0:], uint32(s.N))
			binary.LittleEndian.PutUint32(size[4:], uint32(s.Rows))
			binary.LittleEndian.PutUint32(size[8:], uint32(s.Cols))
			h.Write(size[:])
			h.Write(s.Pix)
			h.Write(s.Labels)
		}
		d.hash = hex.EncodeToString(h.Sum(nil))
		if k, ok := known[d.hash]; ok {
			d.name, d.classes = k.name, k.classes
			return
		}
		d.name = d.fallback
		top := 0
		for _, s := range []*Set{d.Train, d.Test} {
			for _, l := range s.Labels {
				top = max(top, int(l))
			}
		}
		for i := range top + 1 {
			d.classes = append(d.classes, strconv.Itoa(i))
		}
	})
}
