package checkpoint

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/x448/float16"
)

// MaxFileSize is the size of the largest file Read accepts, 1 GiB.
const MaxFileSize = 1 << 30

// maxHeaderSize is the reference library's limit on the header length N.
const maxHeaderSize = 100_000_000

// Read reads a whole .safetensors file from r and decodes it as Decode
// does. A file longer than MaxFileSize is an error, found without reading
// more than MaxFileSize+1 bytes.
func Read(r io.Reader) (*File, error) {
	return readLimited(r, MaxFileSize)
}

// readLimited is Read refusing files longer than limit bytes.
func readLimited(r io.Reader, limit int64) (*File, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("checkpoint: reading file: %w", err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("checkpoint: file is larger than the %d-byte limit", limit)
	}
	return Decode(b)
}

// entry is one tensor of a header, checked against the data section.
type entry struct {
	name       string
	dtype      DType
	shape      []int
	n          int    // elements, product(shape)
	begin, end uint64 // byte offsets in the data section
}

// Decode parses the .safetensors file b. The tensors of the result are in
// the order of their data in b, converted to float32; they do not alias b.
//
// It returns an error, naming the tensor or field at fault, for anything
// that is not a well-formed file of F32 and F16 tensors: a short file, a
// header length past the end of b, a header that is not UTF-8 JSON object,
// a missing or malformed dtype, shape or data_offsets, any other dtype,
// offsets out of bounds, a byte count other than product(shape) × dtype
// size, gaps, overlaps, trailing bytes, repeated names, or metadata values
// that are not strings. A file without "__metadata__" is fine.
func Decode(b []byte) (*File, error) {
	if len(b) < 8 {
		return nil, fmt.Errorf("checkpoint: file is %d bytes, too short for the 8-byte header length", len(b))
	}
	n := binary.LittleEndian.Uint64(b)
	if n > uint64(len(b)-8) {
		return nil, fmt.Errorf("checkpoint: header length %d runs past the end of the %d-byte file", n, len(b))
	}
	if n > maxHeaderSize {
		return nil, fmt.Errorf("checkpoint: header length %d exceeds the %d-byte limit", n, maxHeaderSize)
	}
	h, data := b[8:8+n], b[8+n:]
	meta, entries, err := parseHeader(h, uint64(len(data)))
	if err != nil {
		return nil, err
	}

	// The byte ranges, in offset order, must tile data exactly.
	slices.SortStableFunc(entries, func(a, b entry) int {
		if a.begin != b.begin {
			return cmpUint(a.begin, b.begin)
		}
		return cmpUint(a.end, b.end)
	})
	var pos uint64
	total := 0
	for i, e := range entries {
		switch {
		case e.begin > pos:
			return nil, fmt.Errorf("checkpoint: tensor %q: data_offsets [%d %d] leave bytes %d to %d of the data section unused", e.name, e.begin, e.end, pos, e.begin)
		case e.begin < pos:
			p := entries[i-1]
			return nil, fmt.Errorf("checkpoint: tensor %q: data_offsets [%d %d] overlap those of tensor %q, [%d %d]", e.name, e.begin, e.end, p.name, p.begin, p.end)
		}
		pos = e.end
		total += e.n
	}
	if pos != uint64(len(data)) {
		return nil, fmt.Errorf("checkpoint: %d trailing bytes after the last tensor (tensors cover %d of the %d bytes after the header)", uint64(len(data))-pos, pos, len(data))
	}

	f := &File{Meta: meta, Tensors: make([]Tensor, len(entries))}
	all := make([]float32, total)
	for i, e := range entries {
		x := all[:e.n:e.n]
		all = all[e.n:]
		getValues(x, data[e.begin:e.end], e.dtype)
		f.Tensors[i] = Tensor{Name: e.name, Shape: e.shape, Data: x}
		switch {
		case i == 0:
			f.DType = e.dtype
		case f.DType != e.dtype:
			f.DType = ""
		}
	}
	return f, nil
}

// getValues stores in dst the little-endian dtype values of src, which holds
// exactly len(dst) of them.
func getValues(dst []float32, src []byte, dtype DType) {
	switch dtype {
	case F32:
		src = src[:4*len(dst)]
		for i := range dst {
			dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(src[4*i:]))
		}
	case F16:
		src = src[:2*len(dst)]
		for i := range dst {
			dst[i] = float16.Frombits(binary.LittleEndian.Uint16(src[2*i:])).Float32()
		}
	default:
		panic(fmt.Sprintf("checkpoint: unsupported dtype %q", string(dtype)))
	}
}

// cmpUint compares a and b like cmp.Compare.
func cmpUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// parseHeader parses the JSON header h of a file whose data section is
// dataLen bytes long, and checks each entry on its own (not yet against the
// others).
func parseHeader(h []byte, dataLen uint64) (map[string]string, []entry, error) {
	if !utf8.Valid(h) {
		return nil, nil, errors.New("checkpoint: header is not valid UTF-8")
	}
	if len(h) == 0 || h[0] != '{' {
		return nil, nil, errors.New("checkpoint: header does not start with '{'")
	}
	dec := json.NewDecoder(bytes.NewReader(h))
	jsonErr := func(err error) error {
		return fmt.Errorf("checkpoint: header is not valid JSON (near byte %d of %d): %v", dec.InputOffset(), len(h), err)
	}
	if _, err := dec.Token(); err != nil { // the '{' checked above
		return nil, nil, jsonErr(err)
	}
	meta := map[string]string{}
	var entries []entry
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, jsonErr(err)
		}
		name, ok := tok.(string)
		if !ok { // unreachable: the decoder only yields strings as keys
			return nil, nil, jsonErr(fmt.Errorf("object key %v is not a string", tok))
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, nil, jsonErr(err)
		}
		if seen[name] {
			return nil, nil, fmt.Errorf("checkpoint: header has two entries named %q", name)
		}
		seen[name] = true
		if name == metadataKey {
			if string(raw) == "null" {
				continue
			}
			if err := json.Unmarshal(raw, &meta); err != nil {
				return nil, nil, fmt.Errorf("checkpoint: %s must be an object of string values: %v", metadataKey, err)
			}
			continue
		}
		e, err := parseEntry(name, raw, dataLen)
		if err != nil {
			return nil, nil, err
		}
		entries = append(entries, e)
	}
	if _, err := dec.Token(); err != nil { // the closing '}'
		return nil, nil, jsonErr(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, nil, fmt.Errorf("checkpoint: header has more than one JSON value (near byte %d of %d)", dec.InputOffset(), len(h))
	}
	return meta, entries, nil
}

// parseEntry parses and checks the header entry of tensor name, raw JSON.
func parseEntry(name string, raw json.RawMessage, dataLen uint64) (entry, error) {
	e := entry{name: name}
	fail := func(format string, args ...any) (entry, error) {
		return entry{}, fmt.Errorf("checkpoint: tensor %q: "+format, append([]any{name}, args...)...)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil || fields == nil {
		return fail("entry is not a JSON object")
	}

	// dtype
	rawType, ok := fields["dtype"]
	if !ok {
		return fail("no dtype")
	}
	var dtype string
	if err := json.Unmarshal(rawType, &dtype); err != nil {
		return fail("dtype %s is not a string", rawType)
	}
	switch DType(dtype) {
	case F32, F16:
		e.dtype = DType(dtype)
	default:
		return fail("unsupported dtype %q (this reader handles F32 and F16)", dtype)
	}

	// shape
	rawShape, ok := fields["shape"]
	if !ok {
		return fail("no shape")
	}
	var dims []json.RawMessage
	if err := json.Unmarshal(rawShape, &dims); err != nil || dims == nil {
		return fail("shape %s is not an array", rawShape)
	}
	shape := make([]uint64, len(dims))
	for i, d := range dims {
		v, err := parseCount(d)
		if err != nil {
			return fail("shape %s: dimension %d: %v", rawShape, i, err)
		}
		if v > math.MaxInt {
			return fail("shape %s: dimension %d is too large", rawShape, i)
		}
		shape[i] = v
	}

	// data_offsets
	rawOffsets, ok := fields["data_offsets"]
	if !ok {
		return fail("no data_offsets")
	}
	var offs []json.RawMessage
	if err := json.Unmarshal(rawOffsets, &offs); err != nil || len(offs) != 2 {
		return fail("data_offsets %s is not an array [begin, end]", rawOffsets)
	}
	for i, p := range []*uint64{&e.begin, &e.end} {
		v, err := parseCount(offs[i])
		if err != nil {
			return fail("data_offsets %s: %v", rawOffsets, err)
		}
		*p = v
	}
	if e.end < e.begin {
		return fail("data_offsets [%d %d] end before they begin", e.begin, e.end)
	}
	if e.end > dataLen {
		return fail("data_offsets [%d %d] run past the end of the %d bytes after the header", e.begin, e.end, dataLen)
	}

	// product(shape) × size must be the byte count; the multiplication
	// stops as soon as it exceeds it, so it cannot overflow.
	have := e.end - e.begin
	size := uint64(e.dtype.size())
	elems := uint64(1)
	if slices.Contains(shape, 0) {
		elems = 0
	}
	for _, d := range shape {
		if elems == 0 {
			break
		}
		hi, lo := bits.Mul64(elems, d)
		if hi != 0 || lo > have/size {
			return fail("shape %s of %s needs more than the %d bytes of data_offsets [%d %d]", shapeString(shape), dtype, have, e.begin, e.end)
		}
		elems = lo
	}
	if elems*size != have {
		return fail("shape %s of %s needs %d bytes but data_offsets [%d %d] hold %d", shapeString(shape), dtype, elems*size, e.begin, e.end, have)
	}
	e.n = int(elems)
	e.shape = make([]int, len(shape))
	for i, d := range shape {
		e.shape[i] = int(d)
	}
	return e, nil
}

// parseCount parses raw, a JSON value, as a non-negative integer literal.
func parseCount(raw json.RawMessage) (uint64, error) {
	s := string(raw)
	if len(s) > 0 && s[0] == '-' {
		return 0, fmt.Errorf("%s is negative", s)
	}
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("%s is not a whole number", s)
		}
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s is out of range", s)
	}
	return v, nil
}
