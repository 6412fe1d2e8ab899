package safetensors

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/x448/float16"
)

// Encode returns the .safetensors file holding tensors, in that order, with
// meta as its "__metadata__" (omitted when empty), every float tensor
// stored as dtype and every integer tensor (see Tensor) as I64. F16 rounds
// each value to the nearest binary16, ties to even, with
// float16.Fromfloat32.
//
// It returns an error if a key or value of meta is not valid UTF-8. It
// panics if dtype is neither F32 nor F16, if a tensor's values do not match
// its Shape, if a shape has a negative dimension, or if a name is repeated,
// is "__metadata__" or is not valid UTF-8.
func Encode(tensors []Tensor, meta map[string]string, dtype DType) ([]byte, error) {
	h, err := header(tensors, meta, dtype)
	if err != nil {
		return nil, err
	}
	n := 0
	for _, t := range tensors {
		n += t.dtypeIn(dtype).size() * t.values()
	}
	b := make([]byte, 8+len(h)+n)
	binary.LittleEndian.PutUint64(b, uint64(len(h)))
	off := 8 + copy(b[8:], h)
	for _, t := range tensors {
		if t.isInt() {
			off += putInts(b[off:], t.Ints)
		} else {
			off += putValues(b[off:], t.Data, dtype)
		}
	}
	return b, nil
}

// Write writes to w the file that Encode(tensors, meta, dtype) returns,
// converting the data in small chunks rather than building the whole file
// in memory. It returns Encode's errors and those of w, and panics where
// Encode panics.
func Write(w io.Writer, tensors []Tensor, meta map[string]string, dtype DType) error {
	h, err := header(tensors, meta, dtype)
	if err != nil {
		return err
	}
	const chunk = 32 << 10 // bytes converted per w.Write
	buf := make([]byte, max(8+len(h), chunk))
	binary.LittleEndian.PutUint64(buf, uint64(len(h)))
	copy(buf[8:], h)
	if _, err := w.Write(buf[:8+len(h)]); err != nil {
		return fmt.Errorf("safetensors: writing header: %w", err)
	}
	per := chunk / dtype.size()
	for _, t := range tensors {
		for x := t.Ints; len(x) > 0; {
			m := min(len(x), chunk/8)
			k := putInts(buf, x[:m])
			if _, err := w.Write(buf[:k]); err != nil {
				return fmt.Errorf("safetensors: writing tensor %q: %w", t.Name, err)
			}
			x = x[m:]
		}
		for x := t.Data; len(x) > 0; {
			m := min(len(x), per)
			k := putValues(buf, x[:m], dtype)
			if _, err := w.Write(buf[:k]); err != nil {
				return fmt.Errorf("safetensors: writing tensor %q: %w", t.Name, err)
			}
			x = x[m:]
		}
	}
	return nil
}

// putValues stores x in dst as little-endian dtype values and returns the
// number of bytes written, len(x)·dtype.size().
func putValues(dst []byte, x []float32, dtype DType) int {
	switch dtype {
	case F32:
		dst = dst[:4*len(x)]
		for i, v := range x {
			binary.LittleEndian.PutUint32(dst[4*i:], math.Float32bits(v))
		}
		return 4 * len(x)
	case F16:
		dst = dst[:2*len(x)]
		for i, v := range x {
			binary.LittleEndian.PutUint16(dst[2*i:], float16.Fromfloat32(v).Bits())
		}
		return 2 * len(x)
	}
	panic(fmt.Sprintf("safetensors: unsupported dtype %q", string(dtype)))
}

// putInts stores x in dst as little-endian int64 values and returns the
// number of bytes written, 8·len(x).
func putInts(dst []byte, x []int64) int {
	dst = dst[:8*len(x)]
	for i, v := range x {
		binary.LittleEndian.PutUint64(dst[8*i:], uint64(v))
	}
	return 8 * len(x)
}

// header returns the JSON header for float tensors stored as dtype and
// integer tensors as I64, padded with spaces to a multiple of 8 bytes.
func header(tensors []Tensor, meta map[string]string, dtype DType) ([]byte, error) {
	if !dtype.isFloat() {
		panic(fmt.Sprintf("safetensors: unsupported dtype %q (want F32 or F16)", string(dtype)))
	}
	seen := make(map[string]bool, len(tensors))
	for _, t := range tensors {
		checkTensor(t)
		switch {
		case t.Name == metadataKey:
			panic("safetensors: a tensor cannot be named " + metadataKey)
		case !utf8.ValidString(t.Name):
			panic(fmt.Sprintf("safetensors: tensor name %q is not valid UTF-8", t.Name))
		case seen[t.Name]:
			panic(fmt.Sprintf("safetensors: two tensors named %q", t.Name))
		}
		seen[t.Name] = true
	}
	keys := make([]string, 0, len(meta))
	for k, v := range meta {
		if !utf8.ValidString(k) || !utf8.ValidString(v) {
			return nil, fmt.Errorf("safetensors: metadata %q: key or value is not valid UTF-8", k)
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)

	h := make([]byte, 0, 64+64*len(tensors))
	h = append(h, '{')
	if len(keys) > 0 {
		h = appendString(h, metadataKey)
		h = append(h, ":{"...)
		for i, k := range keys {
			if i > 0 {
				h = append(h, ',')
			}
			h = appendString(h, k)
			h = append(h, ':')
			h = appendString(h, meta[k])
		}
		h = append(h, '}')
	}
	off := 0
	for i, t := range tensors {
		if i > 0 || len(keys) > 0 {
			h = append(h, ',')
		}
		h = appendString(h, t.Name)
		h = append(h, `:{"dtype":"`...)
		h = append(h, t.dtypeIn(dtype)...)
		h = append(h, `","shape":[`...)
		for j, d := range t.Shape {
			if j > 0 {
				h = append(h, ',')
			}
			h = strconv.AppendInt(h, int64(d), 10)
		}
		h = append(h, `],"data_offsets":[`...)
		h = strconv.AppendInt(h, int64(off), 10)
		h = append(h, ',')
		off += t.dtypeIn(dtype).size() * t.values()
		h = strconv.AppendInt(h, int64(off), 10)
		h = append(h, "]}"...)
	}
	h = append(h, '}')
	for len(h)%8 != 0 {
		h = append(h, ' ')
	}
	return h, nil
}

// appendString appends s, valid UTF-8, to dst as a JSON string literal:
// quote, backslash and control characters escaped, everything else as is.
func appendString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c == '\n':
			dst = append(dst, '\\', 'n')
		case c == '\r':
			dst = append(dst, '\\', 'r')
		case c == '\t':
			dst = append(dst, '\\', 't')
		case c < 0x20:
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			dst = append(dst, c)
		}
	}
	return append(dst, '"')
}
