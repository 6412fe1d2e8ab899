package safetensors

import (
	"bytes"
	"math"
	"slices"
	"strings"
	"testing"
)

// TestGoldenI64 pins the layout of an I64 tensor beside float tensors: it
// is written as I64 whatever the float dtype, in the caller's order.
func TestGoldenI64(t *testing.T) {
	ts := []Tensor{
		{Name: "bn.weight", Shape: []int{1}, Data: []float32{1}},
		{Name: "bn.num_batches_tracked", Shape: []int{}, Ints: []int64{258}},
		{Name: "m", Shape: []int{2}, Ints: []int64{-1, math.MaxInt64}},
	}
	for _, tc := range []struct {
		dtype DType
		want  []byte
	}{
		{F32, slices.Concat(
			header32(192),
			[]byte(`{"bn.weight":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"bn.num_batches_tracked":{"dtype":"I64","shape":[],"data_offsets":[4,12]},"m":{"dtype":"I64","shape":[2],"data_offsets":[12,28]}}`+" "),
			[]byte{0, 0, 0x80, 0x3f},
			[]byte{2, 1, 0, 0, 0, 0, 0, 0},
			[]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
			[]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
		)},
		{F16, slices.Concat(
			header32(192),
			[]byte(`{"bn.weight":{"dtype":"F16","shape":[1],"data_offsets":[0,2]},"bn.num_batches_tracked":{"dtype":"I64","shape":[],"data_offsets":[2,10]},"m":{"dtype":"I64","shape":[2],"data_offsets":[10,26]}}`+" "),
			[]byte{0, 0x3c},
			[]byte{2, 1, 0, 0, 0, 0, 0, 0},
			[]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
			[]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
		)},
	} {
		got, err := Encode(ts, nil, tc.dtype)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, tc.want) {
			t.Fatalf("%s: Encode:\n got %q\nwant %q", tc.dtype, got, tc.want)
		}
		var buf bytes.Buffer
		if err := Write(&buf, ts, nil, tc.dtype); err != nil || !bytes.Equal(buf.Bytes(), tc.want) {
			t.Fatalf("%s: Write: %v\n got %q\nwant %q", tc.dtype, err, buf.Bytes(), tc.want)
		}
		f, err := Decode(got)
		if err != nil {
			t.Fatal(err)
		}
		if f.DType != tc.dtype {
			t.Errorf("%s: DType %q: the I64 tensors must not count", tc.dtype, f.DType)
		}
		for i, w := range ts {
			g := f.Tensors[i]
			if g.Name != w.Name || !equalShapes(g.Shape, w.Shape) || !sameBits(g.Data, w.Data) || !slices.Equal(g.Ints, w.Ints) || (g.Ints == nil) != (w.Ints == nil) {
				t.Errorf("%s: tensor %d = %+v, want %+v", tc.dtype, i, g, w)
			}
		}
	}
}

// TestDecodeI64 covers I64 tensors in files the reference library writes:
// empty ones, files of I64 only, and the byte count they need.
func TestDecodeI64(t *testing.T) {
	f, err := Decode(rawFile(`{"e":{"dtype":"I64","shape":[0],"data_offsets":[0,0]},"n":{"dtype":"I\u0036\u0034","shape":[],"data_offsets":[0,8]}}`, []byte{7, 0, 0, 0, 0, 0, 0, 0x80}))
	if err != nil {
		t.Fatal(err)
	}
	if f.DType != "" || len(f.Tensors) != 2 {
		t.Fatalf("DType %q, %d tensors; want \"\" (no float tensor) and 2", f.DType, len(f.Tensors))
	}
	e, n := f.Tensors[0], f.Tensors[1]
	if e.Ints == nil || len(e.Ints) != 0 || e.Data != nil {
		t.Errorf("empty I64 tensor = %+v: want empty, non-nil Ints", e)
	}
	if len(n.Ints) != 1 || n.Ints[0] != math.MinInt64+7 || n.Data != nil {
		t.Errorf("I64 scalar = %+v, want Ints [%d]", n, int64(math.MinInt64+7))
	}
	for _, tc := range []struct {
		name string
		file []byte
		want string
	}{
		{"I64 short", rawFile(`{"n":{"dtype":"I64","shape":[1],"data_offsets":[0,4]}}`, zeros(4)), `tensor "n": shape [1] of I64 needs 8 bytes but data_offsets [0 4] hold 4`},
		{"I64 long", rawFile(`{"n":{"dtype":"I64","shape":[],"data_offsets":[0,16]}}`, zeros(16)), "needs 8 bytes"},
		{"I32", rawFile(`{"n":{"dtype":"I32","shape":[1],"data_offsets":[0,4]}}`, zeros(4)), `unsupported dtype "I32" (this reader handles F32, F16 and I64)`},
		{"lower-case i64", rawFile(`{"n":{"dtype":"i64","shape":[1],"data_offsets":[0,8]}}`, zeros(8)), `unsupported dtype "i64"`},
	} {
		if _, err := Decode(tc.file); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
}

// TestWriteI64Chunks checks Write against Encode on an I64 tensor larger
// than Write's chunk, and that it reports the writer's errors inside it.
func TestWriteI64Chunks(t *testing.T) {
	ints := make([]int64, 10000)
	for i := range ints {
		ints[i] = int64(i)*1_000_003 - 5_000_000
	}
	ts := []Tensor{{Name: "a", Shape: []int{3}, Data: []float32{1, 2, 3}}, {Name: "n", Shape: []int{100, 100}, Ints: ints}}
	want, err := Encode(ts, nil, F32)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := Write(&buf, ts, nil, F32); err != nil || !bytes.Equal(buf.Bytes(), want) {
		t.Fatalf("Write differs from Encode (error %v)", err)
	}
	f, err := Decode(want)
	if err != nil || !slices.Equal(f.Tensors[1].Ints, ints) {
		t.Fatalf("round trip of 10000 ints: %v", err)
	}
	if err := Write(&failWriter{n: len(want) - 100}, ts, nil, F32); err == nil || !strings.Contains(err.Error(), `tensor "n"`) {
		t.Errorf("Write failing inside the I64 tensor: error %v", err)
	}
}

func TestEncodePanicsI64(t *testing.T) {
	n := Tensor{Name: "n", Shape: []int{}, Ints: []int64{1}}
	for _, tc := range []struct {
		name    string
		tensors []Tensor
		dtype   DType
		want    string
	}{
		{"I64 as the float dtype", []Tensor{n}, I64, `unsupported dtype "I64" (want F32 or F16)`},
		{"both Data and Ints", []Tensor{{Name: "n", Shape: []int{1}, Data: []float32{1}, Ints: []int64{1}}}, F32, "both Data and Ints"},
		{"short Ints", []Tensor{{Name: "n", Shape: []int{2}, Ints: []int64{1}}}, F32, "has 1 values, shape [2] wants 2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mustPanic(t, tc.want, func() { Encode(tc.tensors, nil, tc.dtype) })
			mustPanic(t, tc.want, func() { Write(&bytes.Buffer{}, tc.tensors, nil, tc.dtype) })
		})
	}
}

// TestCopyIntoI64 restores integer tensors, and refuses a float tensor
// where the model wants integers and the reverse, changing nothing.
func TestCopyIntoI64(t *testing.T) {
	model := func() []Tensor {
		return []Tensor{
			{Name: "w", Shape: []int{2}, Data: make([]float32, 2)},
			{Name: "n", Shape: []int{}, Ints: make([]int64, 1)},
		}
	}
	file := func(ts ...Tensor) *File { return encodeDecode(t, F16, ts...) }
	w := Tensor{Name: "w", Shape: []int{2}, Data: []float32{0.5, -1}}
	dst := model()
	if err := CopyInto(dst, file(Tensor{Name: "n", Shape: []int{}, Ints: []int64{1 << 40}}, w)); err != nil {
		t.Fatal(err)
	}
	if dst[1].Ints[0] != 1<<40 || dst[0].Data[1] != -1 {
		t.Errorf("CopyInto gave %v and %v", dst[0].Data, dst[1].Ints)
	}
	for _, tc := range []struct {
		name string
		f    *File
		want string
	}{
		{"float for int", file(w, Tensor{Name: "n", Shape: []int{}, Data: []float32{3}}), "safetensors: n: floats in file, model wants integers (I64)"},
		{"int for float", file(Tensor{Name: "w", Shape: []int{2}, Ints: []int64{1, 2}}, Tensor{Name: "n", Shape: []int{}, Ints: []int64{3}}), "safetensors: w: integers (I64) in file, model wants floats"},
		{"int count in hand-built file", &File{Tensors: []Tensor{w, {Name: "n", Shape: []int{}, Ints: []int64{1, 2}}}}, "n: 2 values in file"},
	} {
		dst := model()
		err := CopyInto(dst, tc.f)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
		if dst[0].Data[0] != 0 || dst[1].Ints[0] != 0 {
			t.Errorf("%s: CopyInto changed the model despite the error", tc.name)
		}
	}
}
