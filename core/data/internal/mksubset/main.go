// Command mksubset writes the small MNIST subset that core/data's tests and
// data.LoadTestSubset use: the first -train training and first -test test
// digits, as gzip-compressed idx files with MNIST's file names.
//
//	go run ./core/data/internal/mksubset -src assets/mnist -dst core/data/testdata
//
// The output bytes depend only on the input (gzip level 9, no name or time in
// the gzip header), so re-running it leaves the committed files unchanged.
package main

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"latentlab/core/data"
)

func main() {
	src := flag.String("src", "assets/mnist", "directory holding the full MNIST idx files")
	dst := flag.String("dst", "core/data/testdata", "directory to write the subset into")
	nTrain := flag.Int("train", 2000, "number of training digits to keep")
	nTest := flag.Int("test", 1000, "number of test digits to keep")
	flag.Parse()

	train, test, err := data.LoadMNIST(*src)
	if err != nil {
		fmt.Fprintln(os.Stderr, "mksubset:", err)
		os.Exit(1)
	}
	if *nTrain < 1 || *nTrain > train.N || *nTest < 1 || *nTest > test.N {
		fmt.Fprintf(os.Stderr, "mksubset: want 1..%d training and 1..%d test digits\n", train.N, test.N)
		os.Exit(2)
	}
	if err := os.MkdirAll(*dst, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "mksubset:", err)
		os.Exit(1)
	}
	for _, f := range []struct {
		name string
		set  *data.Set
		imgs bool
	}{
		{data.TrainImages, train.Subset(*nTrain), true},
		{data.TrainLabels, train.Subset(*nTrain), false},
		{data.TestImages, test.Subset(*nTest), true},
		{data.TestLabels, test.Subset(*nTest), false},
	} {
		var raw []byte
		if f.imgs {
			raw = binary.BigEndian.AppendUint32(raw, 0x00000803)
			raw = binary.BigEndian.AppendUint32(raw, uint32(f.set.N))
			raw = binary.BigEndian.AppendUint32(raw, uint32(f.set.Rows))
			raw = binary.BigEndian.AppendUint32(raw, uint32(f.set.Cols))
			raw = append(raw, f.set.Pix...)
		} else {
			raw = binary.BigEndian.AppendUint32(raw, 0x00000801)
			raw = binary.BigEndian.AppendUint32(raw, uint32(f.set.N))
			raw = append(raw, f.set.Labels...)
		}
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression) // a valid level never fails
		if _, err := zw.Write(raw); err != nil {
			fmt.Fprintln(os.Stderr, "mksubset:", err)
			os.Exit(1)
		}
		if err := zw.Close(); err != nil {
			fmt.Fprintln(os.Stderr, "mksubset:", err)
			os.Exit(1)
		}
		path := filepath.Join(*dst, f.name+".gz")
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "mksubset:", err)
			os.Exit(1)
		}
		fmt.Fprintf(os.Stderr, "mksubset: wrote %s (%d digits, %d bytes)\n", path, f.set.N, buf.Len())
	}
}
