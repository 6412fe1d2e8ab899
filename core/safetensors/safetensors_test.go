package safetensors

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/x448/float16"
)

// randomTensors returns tensors of the given shapes filled with values
// drawn from N(0, scale²), named "t0", "t1", ...
func randomTensors(rng *rand.Rand, scale float64, shapes ...[]int) []Tensor {
	ts := make([]Tensor, len(shapes))
	for i, s := range shapes {
		n := 1
		for _, d := range s {
			n *= d
		}
		x := make([]float32, n)
		for j := range x {
			x[j] = float32(scale * rng.NormFloat64())
		}
		ts[i] = Tensor{Name: "t" + string(rune('0'+i)), Shape: s, Data: x}
	}
	return ts
}

// cloneTensors returns a deep copy of ts.
func cloneTensors(ts []Tensor) []Tensor {
	out := make([]Tensor, len(ts))
	for i, t := range ts {
		out[i] = Tensor{Name: t.Name, Shape: slices.Clone(t.Shape), Data: slices.Clone(t.Data)}
	}
	return out
}

// sameBits reports whether a and b hold the same float32 bit patterns.
func sameBits(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}

// mustPanic runs f and fails unless it panics with a "safetensors: " message
// containing want.
func mustPanic(t *testing.T, want string, f func()) {
	t.Helper()
	defer func() {
		t.Helper()
		r := recover()
		if r == nil {
			t.Fatalf("no panic, want one containing %q", want)
		}
		msg, ok := r.(string)
		if !ok || !strings.HasPrefix(msg, "safetensors: ") || !strings.Contains(msg, want) {
			t.Fatalf("panic %v, want a \"safetensors: \" message containing %q", r, want)
		}
	}()
	f()
}

func TestParseDType(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want DType
		ok   bool
	}{
		{"F32", F32, true},
		{"f32", F32, true},
		{"F16", F16, true},
		{"f16", F16, true},
		{"BF16", "", false},
		{"float32", "", false},
		{"", "", false},
		{" f32", "", false},
	} {
		got, err := ParseDType(tc.in)
		if got != tc.want || (err == nil) != tc.ok {
			t.Errorf("ParseDType(%q) = %q, %v; want %q, ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
		if err != nil && (!strings.HasPrefix(err.Error(), "safetensors: ") || !strings.Contains(err.Error(), tc.in)) {
			t.Errorf("ParseDType(%q) error %q does not name the input", tc.in, err)
		}
	}
}

func TestRoundTripF32Exact(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	ts := randomTensors(rng, 3, []int{5, 7}, []int{7}, []int{}, []int{0, 4}, []int{2, 3, 4})
	special := []float32{
		0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)),
		math.Float32frombits(0x7fc00001), math.Float32frombits(0xff800123), // NaNs with payloads
		math.MaxFloat32, -math.MaxFloat32, math.SmallestNonzeroFloat32, 1e-40,
	}
	ts = append(ts, Tensor{Name: "special", Shape: []int{len(special)}, Data: special})
	meta := map[string]string{"format": "latentlab/1", "config": `{"z": 2, "note": "a\tb\n"}`, "": "empty key"}
	b, err := Encode(ts, meta, F32)
	if err != nil {
		t.Fatal(err)
	}
	f, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if f.DType != F32 {
		t.Errorf("DType = %q, want F32", f.DType)
	}
	if len(f.Meta) != len(meta) {
		t.Errorf("Meta = %q, want %q", f.Meta, meta)
	}
	for k, v := range meta {
		if f.Meta[k] != v {
			t.Errorf("Meta[%q] = %q, want %q", k, f.Meta[k], v)
		}
	}
	if len(f.Tensors) != len(ts) {
		t.Fatalf("%d tensors, want %d", len(f.Tensors), len(ts))
	}
	for i, want := range ts {
		got := f.Tensors[i] // Encode lays data out in the caller's order
		if got.Name != want.Name || !equalShapes(got.Shape, want.Shape) || !sameBits(got.Data, want.Data) {
			t.Errorf("tensor %d: got %q %v, want %q %v (or data differs)", i, got.Name, got.Shape, want.Name, want.Shape)
		}
		if len(got.Data) != cap(got.Data) {
			t.Errorf("tensor %q: cap %d > len %d, so an append would overwrite its neighbour", got.Name, cap(got.Data), len(got.Data))
		}
	}
	// The data must not alias the input.
	clear(b)
	if !sameBits(f.Tensors[0].Data, ts[0].Data) {
		t.Error("decoded data changed when the input bytes were cleared")
	}
}

func TestRoundTripF16(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, scale := range []float64{1e-6, 1e-3, 1, 100, 5000} {
		ts := randomTensors(rng, scale, []int{64, 32}, []int{32})
		b, err := Encode(ts, nil, F16)
		if err != nil {
			t.Fatal(err)
		}
		f, err := Decode(b)
		if err != nil {
			t.Fatal(err)
		}
		if f.DType != F16 {
			t.Errorf("DType = %q, want F16", f.DType)
		}
		for i, want := range ts {
			got := f.Tensors[i]
			for j, x := range want.Data {
				// Round to nearest: error at most half an ulp, 2^-11
				// relative for normal halves, 2^-25 absolute below 2^-14.
				tol := math.Max(math.Abs(float64(x))*0x1p-11, 0x1p-25)
				if d := math.Abs(float64(got.Data[j] - x)); d > tol {
					t.Fatalf("scale %g: %s[%d] = %g, want %g within %g", scale, want.Name, j, got.Data[j], x, tol)
				}
			}
		}
	}
}

// TestF16Exact checks that every binary16 value, as a float32, survives an
// F16 round trip bit for bit.
func TestF16Exact(t *testing.T) {
	x := make([]float32, 1<<16)
	for u := range x {
		x[u] = float16.Frombits(uint16(u)).Float32()
	}
	b, err := Encode([]Tensor{{Name: "all", Shape: []int{len(x)}, Data: x}}, nil, F16)
	if err != nil {
		t.Fatal(err)
	}
	f, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	got := f.Tensors[0].Data
	for u := range x {
		if math.Float32bits(got[u]) != math.Float32bits(x[u]) {
			t.Fatalf("half %#04x: %g (%#08x) came back as %g (%#08x)", u, x[u], math.Float32bits(x[u]), got[u], math.Float32bits(got[u]))
		}
	}
}

// TestF16Rounding pins the float32 → F16 rounding: nearest, ties to even,
// overflow to infinity.
func TestF16Rounding(t *testing.T) {
	for _, tc := range []struct {
		in, want float32
	}{
		{1 + 0x1p-11, 1},                     // halfway, down to the even 1
		{1 + 3*0x1p-11, 1 + 0x1p-9},          // halfway, up to the even neighbour
		{1 + 0x1p-11 + 0x1p-20, 1 + 0x1p-10}, // just above halfway
		{65504, 65504},                       // largest half
		{65519, 65504},                       // below the halfway point to 65536
		{65520, float32(math.Inf(1))},        // halfway to 65536: even is infinity
		{-1e6, float32(math.Inf(-1))},
		{0x1p-24, 0x1p-24}, // smallest subnormal half
		{0x1p-26, 0},       // below half of it
	} {
		b, err := Encode([]Tensor{{Name: "x", Shape: []int{1}, Data: []float32{tc.in}}}, nil, F16)
		if err != nil {
			t.Fatal(err)
		}
		f, err := Decode(b)
		if err != nil {
			t.Fatal(err)
		}
		if got := f.Tensors[0].Data[0]; got != tc.want {
			t.Errorf("F16 of %g (%#08x) = %g, want %g", tc.in, math.Float32bits(tc.in), got, tc.want)
		}
	}
}

// header32 returns 8 little-endian bytes holding n.
func header32(n uint64) []byte {
	return binary.LittleEndian.AppendUint64(nil, n)
}

// TestGolden pins the byte layout against files written out by hand.
func TestGolden(t *testing.T) {
	for _, tc := range []struct {
		name    string
		tensors []Tensor
		meta    map[string]string
		dtype   DType
		want    []byte
	}{
		{
			name: "f32",
			tensors: []Tensor{
				{Name: "b", Shape: []int{2}, Data: []float32{1, -2}},
				{Name: "a", Shape: []int{1, 1}, Data: []float32{0.5}},
			},
			meta:  map[string]string{"k": "v"},
			dtype: F32,
			want: slices.Concat(
				[]byte{0x88, 0, 0, 0, 0, 0, 0, 0},
				[]byte(`{"__metadata__":{"k":"v"},"b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"a":{"dtype":"F32","shape":[1,1],"data_offsets":[8,12]}}`+" "),
				[]byte{0, 0, 0x80, 0x3f}, // 1
				[]byte{0, 0, 0, 0xc0},    // -2
				[]byte{0, 0, 0, 0x3f},    // 0.5
			),
		},
		{
			name:    "f16 with escapes",
			tensors: []Tensor{{Name: "w", Shape: []int{3}, Data: []float32{1, -2, 0.5}}},
			meta:    map[string]string{"q": "\"\\\n\x01é"},
			dtype:   F16,
			want: slices.Concat(
				[]byte{0x60, 0, 0, 0, 0, 0, 0, 0},
				[]byte(`{"__metadata__":{"q":"\"\\\n\u0001é"},"w":{"dtype":"F16","shape":[3],"data_offsets":[0,6]}}`+"    "),
				[]byte{0, 0x3c, 0, 0xc0, 0, 0x38}, // 1, -2, 0.5
			),
		},
		{
			name:    "no tensors, no metadata",
			tensors: nil,
			dtype:   F32,
			want:    slices.Concat(header32(8), []byte("{}      ")),
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Encode(tc.tensors, tc.meta, tc.dtype)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tc.want) {
				t.Fatalf("Encode:\n got %q\nwant %q", got, tc.want)
			}
			var buf bytes.Buffer
			if err := Write(&buf, tc.tensors, tc.meta, tc.dtype); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(buf.Bytes(), tc.want) {
				t.Fatalf("Write:\n got %q\nwant %q", buf.Bytes(), tc.want)
			}
			f, err := Decode(tc.want)
			if err != nil {
				t.Fatal(err)
			}
			if len(f.Tensors) != len(tc.tensors) {
				t.Fatalf("decoded %d tensors, want %d", len(f.Tensors), len(tc.tensors))
			}
			for i, w := range tc.tensors {
				g := f.Tensors[i]
				if g.Name != w.Name || !equalShapes(g.Shape, w.Shape) || !sameBits(g.Data, w.Data) {
					t.Errorf("tensor %d = %+v, want %+v", i, g, w)
				}
			}
			for k, v := range tc.meta {
				if f.Meta[k] != v {
					t.Errorf("Meta[%q] = %q, want %q", k, f.Meta[k], v)
				}
			}
		})
	}
}

// TestHeaderAlignment checks that the header is padded with spaces to a
// multiple of 8 bytes, whatever the name lengths.
func TestHeaderAlignment(t *testing.T) {
	for n := range 17 {
		for _, dtype := range []DType{F32, F16} {
			ts := []Tensor{{Name: strings.Repeat("x", n), Shape: []int{3}, Data: []float32{1, 2, 3}}}
			b, err := Encode(ts, map[string]string{"m": strings.Repeat("y", n/2)}, dtype)
			if err != nil {
				t.Fatal(err)
			}
			h := binary.LittleEndian.Uint64(b)
			if h%8 != 0 {
				t.Errorf("name length %d, %s: header length %d is not a multiple of 8", n, dtype, h)
			}
			hdr := b[8 : 8+h]
			trimmed := bytes.TrimRight(hdr, " ")
			if len(hdr)-len(trimmed) >= 8 || trimmed[len(trimmed)-1] != '}' {
				t.Errorf("name length %d, %s: header %q is not JSON padded with fewer than 8 spaces", n, dtype, hdr)
			}
			if got, want := uint64(len(b))-8-h, uint64(3*dtype.size()); got != want {
				t.Errorf("name length %d, %s: %d data bytes, want %d", n, dtype, got, want)
			}
		}
	}
}

// failWriter fails once more than n bytes have been written to it.
type failWriter struct{ n int }

func (w *failWriter) Write(p []byte) (int, error) {
	if len(p) > w.n {
		return 0, errors.New("disk full")
	}
	w.n -= len(p)
	return len(p), nil
}

// TestWriteMatchesEncode checks Write against Encode on tensors larger than
// Write's chunk, and that Write reports the writer's errors.
func TestWriteMatchesEncode(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	ts := randomTensors(rng, 1, []int{100, 200}, []int{3}, []int{9000})
	for _, dtype := range []DType{F32, F16} {
		want, err := Encode(ts, map[string]string{"a": "b"}, dtype)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := Write(&buf, ts, map[string]string{"a": "b"}, dtype); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(buf.Bytes(), want) {
			t.Errorf("%s: Write and Encode differ (%d and %d bytes)", dtype, buf.Len(), len(want))
		}
		for _, n := range []int{0, len(want) / 2} {
			err := Write(&failWriter{n: n}, ts, nil, dtype)
			if err == nil || !strings.Contains(err.Error(), "disk full") || !strings.HasPrefix(err.Error(), "safetensors: ") {
				t.Errorf("%s: Write to a writer failing after %d bytes: error %v", dtype, n, err)
			}
		}
	}
}

func TestEncodePanics(t *testing.T) {
	ok := Tensor{Name: "a", Shape: []int{2}, Data: []float32{1, 2}}
	for _, tc := range []struct {
		name    string
		tensors []Tensor
		dtype   DType
		want    string
	}{
		{"short data", []Tensor{{Name: "a", Shape: []int{2, 3}, Data: make([]float32, 5)}}, F32, "has 5 values, shape [2 3] wants 6"},
		{"long data", []Tensor{{Name: "a", Shape: []int{}, Data: make([]float32, 2)}}, F32, "has 2 values"},
		{"negative dim", []Tensor{{Name: "a", Shape: []int{-1, -2}, Data: make([]float32, 2)}}, F32, "negative dimension"},
		{"duplicate", []Tensor{ok, ok}, F16, `two tensors named "a"`},
		{"reserved name", []Tensor{{Name: "__metadata__", Shape: []int{0}}}, F32, "__metadata__"},
		{"bad utf-8 name", []Tensor{{Name: "a\xff", Shape: []int{0}}}, F32, "UTF-8"},
		{"bad dtype", []Tensor{ok}, "BF16", "BF16"},
		{"empty dtype", nil, "", "unsupported dtype"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mustPanic(t, tc.want, func() { Encode(tc.tensors, nil, tc.dtype) })
			mustPanic(t, tc.want, func() { Write(&bytes.Buffer{}, tc.tensors, nil, tc.dtype) })
		})
	}
}

func TestEncodeBadMetadata(t *testing.T) {
	for _, meta := range []map[string]string{{"k": "\xff"}, {"\xc3": "v"}} {
		if _, err := Encode(nil, meta, F32); err == nil || !strings.HasPrefix(err.Error(), "safetensors: ") {
			t.Errorf("Encode with metadata %q: error %v, want a checkpoint error", meta, err)
		}
		if err := Write(&bytes.Buffer{}, nil, meta, F32); err == nil {
			t.Errorf("Write with metadata %q: no error", meta)
		}
	}
}

func TestFileTensor(t *testing.T) {
	b, err := Encode([]Tensor{
		{Name: "enc.0.weight", Shape: []int{2, 1}, Data: []float32{1, 2}},
		{Name: "enc.0.bias", Shape: []int{2}, Data: []float32{3, 4}},
	}, nil, F32)
	if err != nil {
		t.Fatal(err)
	}
	f, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		ok    bool
		first float32
	}{
		{"enc.0.weight", true, 1},
		{"enc.0.bias", true, 3},
		{"enc.0", false, 0},
		{"", false, 0},
	} {
		got, ok := f.Tensor(tc.name)
		if ok != tc.ok || (ok && (got.Name != tc.name || got.Data[0] != tc.first)) {
			t.Errorf("Tensor(%q) = %+v, %v; want ok=%v, first value %g", tc.name, got, ok, tc.ok, tc.first)
		}
	}
}

// modelTensors is a small model's tensors, for CopyInto.
func modelTensors() []Tensor {
	return []Tensor{
		{Name: "encoder.0.weight", Shape: []int{3, 2}, Data: make([]float32, 6)},
		{Name: "encoder.0.bias", Shape: []int{3}, Data: make([]float32, 3)},
		{Name: "decoder.0.weight", Shape: []int{2, 3}, Data: make([]float32, 6)},
	}
}

func TestCopyInto(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	src := modelTensors()
	for _, s := range src {
		for i := range s.Data {
			s.Data[i] = rng.Float32()
		}
	}
	for _, dtype := range []DType{F32, F16} {
		// The file's order differs from the model's: CopyInto goes by name.
		b, err := Encode([]Tensor{src[2], src[0], src[1]}, nil, dtype)
		if err != nil {
			t.Fatal(err)
		}
		f, err := Decode(b)
		if err != nil {
			t.Fatal(err)
		}
		flat := make([]float32, 15) // like a model's flat parameter block
		dst := modelTensors()
		dst[0].Data, dst[1].Data, dst[2].Data = flat[0:6], flat[6:9], flat[9:15]
		if err := CopyInto(dst, f); err != nil {
			t.Fatalf("%s: %v", dtype, err)
		}
		for i := range dst {
			for j, x := range src[i].Data {
				want := x
				if dtype == F16 {
					want = float16.Fromfloat32(x).Float32()
				}
				if dst[i].Data[j] != want {
					t.Fatalf("%s: %s[%d] = %g, want %g", dtype, dst[i].Name, j, dst[i].Data[j], want)
				}
			}
		}
		if flat[14] != dst[2].Data[5] || flat[14] == 0 {
			t.Errorf("%s: CopyInto did not write through to the model's parameter block", dtype)
		}
	}
}

// encodeDecode returns ts encoded as dtype and decoded again.
func encodeDecode(t *testing.T, dtype DType, ts ...Tensor) *File {
	t.Helper()
	b, err := Encode(ts, nil, dtype)
	if err != nil {
		t.Fatal(err)
	}
	f, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestCopyIntoMismatch(t *testing.T) {
	file := func(ts ...Tensor) *File { return encodeDecode(t, F32, ts...) }
	full := func() []Tensor {
		ts := modelTensors()
		for _, x := range ts {
			for i := range x.Data {
				x.Data[i] = 9
			}
		}
		return ts
	}
	m := full()
	for _, tc := range []struct {
		name string
		f    *File
		want string
	}{
		{"missing", file(m[0], m[2]), `encoder.0.bias: missing from file`},
		{"unexpected", file(append(full(), Tensor{Name: "extra", Shape: []int{1}, Data: []float32{1}})...), "extra: in file (shape [1]) but not in model"},
		{"mis-shaped", file(Tensor{Name: "encoder.0.weight", Shape: []int{2, 3}, Data: make([]float32, 6)}, m[1], m[2]), "safetensors: encoder.0.weight: shape [2 3] in file, model wants [3 2]"},
		{"renamed", file(Tensor{Name: "enc.0.weight", Shape: []int{3, 2}, Data: make([]float32, 6)}, m[1], m[2]), "encoder.0.weight: missing from file"},
		{"several", file(m[2]), "(and 1 more mismatched tensors)"},
		{"empty file", file(), "encoder.0.weight: missing"},
		{"duplicate in hand-built file", &File{Tensors: []Tensor{m[0], m[0], m[1], m[2]}}, "appears twice"},
		{"data length in hand-built file", &File{Tensors: []Tensor{m[0], {Name: "encoder.0.bias", Shape: []int{3}, Data: []float32{1}}, m[2]}}, "1 values in file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dst := modelTensors()
			before := cloneTensors(dst)
			err := CopyInto(dst, tc.f)
			if err == nil || !strings.HasPrefix(err.Error(), "safetensors: ") || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("CopyInto error %v, want one containing %q", err, tc.want)
			}
			for i := range dst {
				if !sameBits(dst[i].Data, before[i].Data) {
					t.Fatalf("CopyInto changed %s despite the error", dst[i].Name)
				}
			}
		})
	}
}

func TestCopyIntoPanics(t *testing.T) {
	f := &File{}
	mustPanic(t, `two tensors named "a"`, func() {
		CopyInto([]Tensor{{Name: "a", Shape: []int{0}}, {Name: "a", Shape: []int{0}}}, f)
	})
	mustPanic(t, "has 1 values", func() {
		CopyInto([]Tensor{{Name: "a", Shape: []int{2}, Data: []float32{1}}}, f)
	})
}

func TestRead(t *testing.T) {
	ts := []Tensor{{Name: "a", Shape: []int{2}, Data: []float32{1, 2}}}
	b, err := Encode(ts, nil, F32)
	if err != nil {
		t.Fatal(err)
	}
	f, err := Read(bytes.NewReader(b))
	if err != nil || len(f.Tensors) != 1 || f.Tensors[0].Data[1] != 2 {
		t.Fatalf("Read = %+v, %v", f, err)
	}
	if _, err := readLimited(bytes.NewReader(b), int64(len(b))); err != nil {
		t.Errorf("readLimited at exactly the limit: %v", err)
	}
	if _, err := readLimited(bytes.NewReader(b), int64(len(b)-1)); err == nil || !strings.Contains(err.Error(), "limit") {
		t.Errorf("readLimited past the limit: error %v, want a limit error", err)
	}
	r := io.MultiReader(bytes.NewReader(b[:10]), errReader{})
	if _, err := Read(r); err == nil || !strings.Contains(err.Error(), "unplugged") {
		t.Errorf("Read from a failing reader: error %v", err)
	}
}

// errReader fails every read.
type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("cable unplugged") }
