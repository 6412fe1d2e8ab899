package data

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"math"
	"testing"
)

// idxImages encodes an idx3 image file with the given header and payload.
func idxImages(magic, n, rows, cols uint32, pix []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, magic)
	b = binary.BigEndian.AppendUint32(b, n)
	b = binary.BigEndian.AppendUint32(b, rows)
	b = binary.BigEndian.AppendUint32(b, cols)
	return append(b, pix...)
}

// idxLabels encodes an idx1 label file with the given header and payload.
func idxLabels(magic, n uint32, lab []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, magic)
	b = binary.BigEndian.AppendUint32(b, n)
	return append(b, lab...)
}

// gz compresses b.
func gz(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// indexSet returns a set of n 1x2 images whose pixels spell the image's
// index (low byte, high byte) and whose label is the index mod 10.
func indexSet(n int) *Set {
	s := &Set{N: n, Rows: 1, Cols: 2, Pix: make([]uint8, 2*n), Labels: make([]uint8, n)}
	for i := 0; i < n; i++ {
		s.Pix[2*i] = uint8(i)
		s.Pix[2*i+1] = uint8(i >> 8)
		s.Labels[i] = uint8(i % 10)
	}
	return s
}

// indices decodes the image indices of a batch of indexSet images from x.
func indices(dst []int, x []float32) []int {
	dst = dst[:0]
	for i := 0; i+1 < len(x); i += 2 {
		lo := int(math.Round(float64(x[i]) * 255))
		hi := int(math.Round(float64(x[i+1]) * 255))
		dst = append(dst, lo|hi<<8)
	}
	return dst
}

// mustPanic fails t unless f panics with a message starting with "data: ".
func mustPanic(t *testing.T, f func()) {
	t.Helper()
	defer func() {
		t.Helper()
		r := recover()
		if r == nil {
			t.Fatal("did not panic")
		}
		msg, ok := r.(string)
		if !ok || len(msg) < 6 || msg[:6] != "data: " {
			t.Fatalf("panic %v, want a string starting with \"data: \"", r)
		}
	}()
	f()
}
