package safetensors

import (
	"fmt"
	"math"
	"strings"
)

// Tensor is a named array of the given shape, row-major: float32 values in
// Data or, for an integer tensor, int64 values in Ints. A tensor is an
// integer tensor when Ints is not nil; Data must then be nil. The values'
// slice must hold the product of Shape (1 for an empty Shape, a scalar).
//
// Integer tensors are state such as PyTorch's num_batches_tracked: files
// store them as I64 whatever the dtype of the float tensors.
type Tensor struct {
	Name  string
	Shape []int
	Data  []float32
	Ints  []int64
}

// isInt reports whether t is an integer tensor.
func (t Tensor) isInt() bool { return t.Ints != nil }

// dtypeIn returns the dtype t is stored as in a file whose float tensors
// are dtype.
func (t Tensor) dtypeIn(dtype DType) DType {
	if t.isInt() {
		return I64
	}
	return dtype
}

// values returns the number of values t holds.
func (t Tensor) values() int {
	if t.isInt() {
		return len(t.Ints)
	}
	return len(t.Data)
}

// DType is the element type of the tensors in a file.
type DType string

// The dtypes this package reads and writes. A file's float tensors are all
// F32 or all F16 (the dtype given to Encode); integer tensors are I64.
const (
	F32 DType = "F32" // IEEE 754 binary32, 4 bytes
	F16 DType = "F16" // IEEE 754 binary16, 2 bytes
	I64 DType = "I64" // two's-complement signed integer, 8 bytes
)

// ParseDType returns the float DType named by s: "F32" or "f32", "F16" or
// "f16". Any other string is an error.
func ParseDType(s string) (DType, error) {
	switch s {
	case "F32", "f32":
		return F32, nil
	case "F16", "f16":
		return F16, nil
	}
	return "", fmt.Errorf("safetensors: unknown dtype %q (want f32 or f16)", s)
}

// size returns the bytes per element of d, and 0 for a dtype this package
// does not handle.
func (d DType) size() int {
	switch d {
	case F32:
		return 4
	case F16:
		return 2
	case I64:
		return 8
	}
	return 0
}

// isFloat reports whether d is a dtype of float tensors this package
// writes, F32 or F16.
func (d DType) isFloat() bool { return d == F32 || d == F16 }

// metadataKey is the header key reserved for the string-to-string metadata.
const metadataKey = "__metadata__"

// File is a decoded .safetensors file.
type File struct {
	// Meta is the file's "__metadata__" map; empty, not nil, when it has none.
	Meta map[string]string
	// Tensors are in the order of their data in the file.
	Tensors []Tensor
	// DType is the dtype of every float tensor in the file, or "" when the
	// file has no float tensors or mixes F32 and F16 tensors. Integer (I64)
	// tensors do not count.
	DType DType
}

// Tensor returns the tensor called name, and whether there is one.
func (f *File) Tensor(name string) (Tensor, bool) {
	for _, t := range f.Tensors {
		if t.Name == name {
			return t, true
		}
	}
	return Tensor{}, false
}

// CopyInto restores a model from f: it copies the data of each tensor of f
// into the tensor of dst with the same name.
//
// f must hold exactly the names of dst, each with the same shape and kind
// (float or integer); otherwise CopyInto returns an error naming the first
// tensor that is missing from f, shaped differently, of the other kind, or
// unexpected in f, and dst is left unchanged: either every tensor is copied
// or none is. It panics if a tensor of dst is malformed (see Tensor), or if
// two tensors of dst share a name.
func CopyInto(dst []Tensor, f *File) error {
	want := make(map[string]int, len(dst))
	for i, t := range dst {
		checkTensor(t)
		if _, dup := want[t.Name]; dup {
			panic(fmt.Sprintf("safetensors: CopyInto: two tensors named %q", t.Name))
		}
		want[t.Name] = i
	}
	have := make(map[string]int, len(f.Tensors))
	var problems []string
	for j, t := range f.Tensors {
		if _, dup := have[t.Name]; dup {
			problems = append(problems, fmt.Sprintf("%s: appears twice in file", t.Name))
			continue
		}
		have[t.Name] = j
	}
	for _, t := range dst {
		j, ok := have[t.Name]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("%s: missing from file, model wants shape %v", t.Name, t.Shape))
		case !equalShapes(f.Tensors[j].Shape, t.Shape):
			problems = append(problems, fmt.Sprintf("%s: shape %v in file, model wants %v", t.Name, f.Tensors[j].Shape, t.Shape))
		case f.Tensors[j].isInt() != t.isInt():
			problems = append(problems, fmt.Sprintf("%s: %s in file, model wants %s", t.Name, kindName(f.Tensors[j]), kindName(t)))
		case f.Tensors[j].values() != t.values():
			problems = append(problems, fmt.Sprintf("%s: %d values in file for shape %v, model wants %d", t.Name, f.Tensors[j].values(), t.Shape, t.values()))
		}
	}
	for _, t := range f.Tensors {
		if _, ok := want[t.Name]; !ok {
			problems = append(problems, fmt.Sprintf("%s: in file (shape %v) but not in model", t.Name, t.Shape))
		}
	}
	switch len(problems) {
	case 0:
	case 1:
		return fmt.Errorf("safetensors: %s", problems[0])
	default:
		return fmt.Errorf("safetensors: %s (and %d more mismatched tensors)", problems[0], len(problems)-1)
	}
	for _, t := range dst {
		copy(t.Data, f.Tensors[have[t.Name]].Data)
		copy(t.Ints, f.Tensors[have[t.Name]].Ints)
	}
	return nil
}

// kindName names the kind of t's values for an error message.
func kindName(t Tensor) string {
	if t.isInt() {
		return "integers (I64)"
	}
	return "floats"
}

// equalShapes reports whether a and b are the same shape.
func equalShapes(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// checkTensor panics unless t's shape has no negative dimension and its
// Data, or Ints for an integer tensor (whose Data must be nil), holds
// exactly the shape's number of elements.
func checkTensor(t Tensor) {
	n := 1
	for _, d := range t.Shape {
		if d < 0 {
			panic(fmt.Sprintf("safetensors: tensor %q has negative dimension in shape %v", t.Name, t.Shape))
		}
		if d != 0 && n > math.MaxInt/d {
			panic(fmt.Sprintf("safetensors: tensor %q: shape %v overflows int", t.Name, t.Shape))
		}
		n *= d
	}
	if t.isInt() && t.Data != nil {
		panic(fmt.Sprintf("safetensors: tensor %q has both Data and Ints", t.Name))
	}
	if t.values() != n {
		panic(fmt.Sprintf("safetensors: tensor %q has %d values, shape %v wants %d", t.Name, t.values(), t.Shape, n))
	}
}

// shapeString formats dims as "[a b c]" for error messages, eliding all
// but the first 8 of a longer shape.
func shapeString(dims []uint64) string {
	var sb strings.Builder
	sb.WriteByte('[')
	for i, d := range dims {
		if i == 8 {
			fmt.Fprintf(&sb, " ... (%d dimensions)", len(dims))
			break
		}
		if i > 0 {
			sb.WriteByte(' ')
		}
		fmt.Fprint(&sb, d)
	}
	sb.WriteByte(']')
	return sb.String()
}
