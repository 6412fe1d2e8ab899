package safetensors

import (
	"encoding/binary"
	"fmt"
	"runtime"
	"strings"
	"testing"
)

// allocated returns the bytes f allocates on the heap.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestDecodeAllocationBound checks that Decode's allocations stay within a
// small multiple of its input on inputs built to inflate them.
func TestDecodeAllocationBound(t *testing.T) {
	const (
		factor = 12      // bytes allocated per input byte, at most,
		slack  = 4 << 10 // plus this much for error messages and such
	)
	var many strings.Builder
	many.WriteString("{")
	for i := range 20000 {
		if i > 0 {
			many.WriteString(",")
		}
		fmt.Fprintf(&many, `"t%d":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}`, i)
	}
	many.WriteString("}")
	values := make([]float32, 100000)
	f16, err := Encode([]Tensor{{Name: "w", Shape: []int{len(values)}, Data: values}}, nil, F16)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		file []byte
		ok   bool
	}{
		{"long shape of zeros, refused by rank", rawFile(`{"a":{"dtype":"F32","shape":[`+strings.Repeat("0,", 100000)+`0],"data_offsets":[0,0]}}`, nil), false},
		{"rank 8 of zeros", rawFile(`{"a":{"dtype":"F32","shape":[0,0,0,0,0,0,0,0],"data_offsets":[0,0]}}`, nil), true},
		{"long shape, refused", rawFile(`{"a":{"dtype":"F32","shape":[`+strings.Repeat("1,", 100000)+`1],"data_offsets":[0,8]}}`, zeros(8)), false},
		{"many empty tensors", rawFile(many.String(), nil), true},
		{"F16 data", f16, true},
		{"I64 data", rawFile(`{"n":{"dtype":"I64","shape":[100000],"data_offsets":[0,800000]}}`, zeros(800000)), true},
		{"lying header length", append(binary.LittleEndian.AppendUint64(nil, 1<<40), strings.Repeat("{", 1000)...), false},
		{"lying offsets", rawFile(`{"a":{"dtype":"F32","shape":[1000000000],"data_offsets":[0,4000000000]}}`, zeros(16)), false},
	} {
		var err error
		n := allocated(func() { _, err = Decode(tc.file) })
		if (err == nil) != tc.ok {
			t.Errorf("%s: error %v, want ok=%v", tc.name, err, tc.ok)
		}
		t.Logf("%s: %d bytes in, %d allocated (%.1f×)", tc.name, len(tc.file), n, float64(n)/float64(len(tc.file)))
		if n > factor*uint64(len(tc.file))+slack {
			t.Errorf("%s: Decode allocated %d bytes for a %d-byte input, more than %d× + %d", tc.name, n, len(tc.file), factor, slack)
		}
	}
}
