package data

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// LoadTestSubset loads the small MNIST subset committed in this package's
// testdata directory: the first 2000 training and first 1000 test digits, in
// the same idx files as MNIST. It is meant for other packages' fast tests.
//
// It finds the directory next to this source file (runtime.Caller), which
// works for `go test` natively and under GOOS=js GOARCH=wasm; failing that
// (a binary built with -trimpath), it looks for core/data/testdata in the
// working directory and its parents.
func LoadTestSubset() (train, test *Set, err error) {
	dir, err := testdataDir()
	if err != nil {
		return nil, nil, err
	}
	return LoadMNIST(dir)
}

// testdataDir locates core/data/testdata.
func testdataDir() (string, error) {
	var tried []string
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
		dir := filepath.Join(filepath.Dir(file), "testdata")
		if isDir(dir) {
			return dir, nil
		}
		tried = append(tried, dir)
	}
	wd, err := os.Getwd()
	if err == nil {
		for d := wd; ; d = filepath.Dir(d) {
			dir := filepath.Join(d, "core", "data", "testdata")
			if isDir(dir) {
				return dir, nil
			}
			tried = append(tried, dir)
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	return "", fmt.Errorf("data: test subset not found; looked in %s", strings.Join(tried, ", "))
}

// isDir reports whether path names a directory.
func isDir(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}
