package safetensors

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"slices"
	"testing"

	"github.com/x448/float16"
)

// FuzzDecode checks that Decode never panics, that what it accepts stays
// within its allocation bound, and that what it accepts survives a round
// trip through Encode.
func FuzzDecode(f *testing.F) {
	for _, tc := range malformedFiles {
		f.Add(tc.file)
	}
	ts := []Tensor{
		{Name: "encoder.0.weight", Shape: []int{2, 3}, Data: []float32{1, -2, 0.5, 3, 1e-5, 65504}},
		{Name: "encoder.0.bias", Shape: []int{2}, Data: []float32{0, -0.25}},
		{Name: "s", Shape: []int{}, Data: []float32{7}},
		{Name: "bn.num_batches_tracked", Shape: []int{}, Ints: []int64{-3}},
	}
	for _, dtype := range []DType{F32, F16} {
		b, err := Encode(ts, map[string]string{"format": "latentlab/1", "step": "10"}, dtype)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add(rawFile(`{"h":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},"s":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, zeros(8)))
	f.Add(rawFile(`{"n":{"dtype":"I64","shape":[2],"data_offsets":[0,16]}}`, zeros(16)))

	f.Fuzz(func(t *testing.T, b []byte) {
		file, err := Decode(b)
		if err != nil {
			return
		}
		values := 0
		for _, x := range file.Tensors {
			n := 1
			for _, d := range x.Shape {
				if d < 0 {
					t.Fatalf("tensor %q: negative dimension in %v", x.Name, x.Shape)
				}
				n *= d
			}
			if x.Ints != nil && x.Data != nil {
				t.Fatalf("tensor %q has both Data and Ints", x.Name)
			}
			if n != x.values() {
				t.Fatalf("tensor %q: %d values for shape %v", x.Name, x.values(), x.Shape)
			}
			values += x.values()
		}
		// encoding/json must see the same entries as the package's scanner.
		var keys map[string]json.RawMessage
		if err := json.Unmarshal(b[8:8+binary.LittleEndian.Uint64(b)], &keys); err != nil {
			t.Fatalf("Decode accepted a header encoding/json refuses: %v", err)
		}
		raw, hasMeta := keys[metadataKey]
		if len(keys) != len(file.Tensors)+boolToInt(hasMeta) {
			t.Fatalf("encoding/json sees %d entries, Decode %d tensors (metadata: %v)", len(keys), len(file.Tensors), hasMeta)
		}
		for _, x := range file.Tensors {
			if _, ok := keys[x.Name]; !ok {
				t.Fatalf("Decode found tensor %q, encoding/json did not", x.Name)
			}
		}
		var meta map[string]string
		if hasMeta {
			if err := json.Unmarshal(raw, &meta); err != nil {
				t.Fatalf("encoding/json refuses the metadata Decode accepted: %v", err)
			}
		}
		if len(meta) != len(file.Meta) {
			t.Fatalf("metadata: encoding/json %q, Decode %q", meta, file.Meta)
		}
		for k, v := range meta {
			if file.Meta[k] != v {
				t.Fatalf("metadata %q: encoding/json %q, Decode %q", k, v, file.Meta[k])
			}
		}
		// Every value takes at least 2 bytes of input.
		if 2*values > len(b) {
			t.Fatalf("%d values decoded from %d bytes", values, len(b))
		}
		if file.DType == "" {
			return // mixed float dtypes or none: Encode writes one
		}
		b2, err := Encode(file.Tensors, file.Meta, file.DType)
		if err != nil {
			t.Fatalf("re-encoding a decoded file: %v", err)
		}
		file2, err := Decode(b2)
		if err != nil {
			t.Fatalf("decoding a re-encoded file: %v", err)
		}
		if len(file2.Tensors) != len(file.Tensors) || len(file2.Meta) != len(file.Meta) {
			t.Fatalf("round trip changed the file: %d tensors %d meta, then %d and %d", len(file.Tensors), len(file.Meta), len(file2.Tensors), len(file2.Meta))
		}
		for k, v := range file.Meta {
			if file2.Meta[k] != v {
				t.Fatalf("round trip changed metadata %q: %q to %q", k, v, file2.Meta[k])
			}
		}
		for i, x := range file.Tensors {
			y := file2.Tensors[i]
			if x.Name != y.Name || !equalShapes(x.Shape, y.Shape) || (x.Ints == nil) != (y.Ints == nil) {
				t.Fatalf("round trip changed tensor %d: %q %v to %q %v", i, x.Name, x.Shape, y.Name, y.Shape)
			}
			if !slices.Equal(x.Ints, y.Ints) {
				t.Fatalf("round trip changed the integers of %s", x.Name)
			}
			for j := range x.Data {
				same := math.Float32bits(x.Data[j]) == math.Float32bits(y.Data[j])
				if file.DType == F16 {
					same = float16.Fromfloat32(x.Data[j]).Bits() == float16.Fromfloat32(y.Data[j]).Bits()
				}
				if !same {
					t.Fatalf("round trip changed %s[%d]: %g to %g", x.Name, j, x.Data[j], y.Data[j])
				}
			}
		}
	})
}

// boolToInt returns 1 for true and 0 for false.
func boolToInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
