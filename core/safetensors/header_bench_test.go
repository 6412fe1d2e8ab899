package safetensors

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"
)

// headerOf returns the JSON header of a file of n tensors of 1000 floats
// (the paper model's file has 26 entries, a checkpoint of it about 80).
func headerOf(n int) ([]byte, uint64) {
	var b bytes.Buffer
	b.WriteString(`{"__metadata__":{"format":"latentlab/1","config":"{\"model\":\"aae\"}","step":"600"}`)
	for i := range n {
		fmt.Fprintf(&b, `,"encoder.%d.weight":{"dtype":"F32","shape":[10,100],"data_offsets":[%d,%d]}`, i, 4000*i, 4000*(i+1))
	}
	b.WriteByte('}')
	return b.Bytes(), uint64(4000 * n)
}

// parseHeaderStd is what parseHeader would be on encoding/json: the
// header into a map of raw values, then each entry into a struct. It
// checks less (a name given twice silently keeps the last; shapes are not
// checked against the data), so it is the lower bound of the cost of the
// same parse through encoding/json.
func parseHeaderStd(h []byte) (map[string]string, []entry, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(h, &top); err != nil {
		return nil, nil, err
	}
	meta := map[string]string{}
	var out []entry
	for name, raw := range top {
		if name == "__metadata__" {
			if err := json.Unmarshal(raw, &meta); err != nil {
				return nil, nil, err
			}
			continue
		}
		var e struct {
			Dtype       string    `json:"dtype"`
			Shape       []int     `json:"shape"`
			DataOffsets [2]uint64 `json:"data_offsets"`
		}
		if err := json.Unmarshal(raw, &e); err != nil {
			return nil, nil, err
		}
		n := 1
		for _, d := range e.Shape {
			n *= d
		}
		out = append(out, entry{name: name, dtype: DType(e.Dtype), shape: e.Shape, n: n, begin: e.DataOffsets[0], end: e.DataOffsets[1]})
	}
	return meta, out, nil
}

// BenchmarkHeader: the hand-written scanner (parseHeader) against the same
// parse through encoding/json (parseHeaderStd), for the headers of a model
// file (26 entries), a checkpoint (80) and a large file (2000).
func BenchmarkHeader(b *testing.B) {
	for _, n := range []int{26, 80, 2000} {
		h, dataLen := headerOf(n)
		b.Run(fmt.Sprintf("scanner/%d", n), func(b *testing.B) {
			b.SetBytes(int64(len(h)))
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := parseHeader(h, dataLen); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("encoding-json/%d", n), func(b *testing.B) {
			b.SetBytes(int64(len(h)))
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := parseHeaderStd(h); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
