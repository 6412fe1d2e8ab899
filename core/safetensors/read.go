package safetensors

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"slices"

	"github.com/x448/float16"
)

// MaxFileSize is the size of the largest file Read accepts, 1 GiB.
const MaxFileSize = 1 << 30

// maxHeaderSize is the limit on the header length N: a Latent Lab file's
// header is a few kilobytes, and parsing a header costs several times its
// size in memory (the reference library allows 100 MB, which cost 884 MB).
const maxHeaderSize = 16 << 20

// maxRank is the most dimensions a tensor may have (ours have one or two);
// a shape of absurd rank costs memory before it can be refused.
const maxRank = 8

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
		return nil, fmt.Errorf("safetensors: reading file: %w", err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("safetensors: file is larger than the %d-byte limit", limit)
	}
	return Decode(b)
}

// Decode parses the .safetensors file b. The tensors of the result are in
// the order of their data in b (tensors of no bytes sharing an offset in
// header order), float tensors converted to float32, I64 tensors in Ints;
// they do not alias b.
//
// It returns an error, naming the tensor or field at fault, for anything
// that is not a well-formed file of F32, F16 and I64 tensors: a short file, a
// header length past the end of b, a header that is not a UTF-8 JSON object,
// a missing or malformed dtype, shape or data_offsets, any other dtype,
// offsets out of bounds, a byte count other than product(shape) × dtype
// size, gaps, overlaps, trailing bytes, repeated names, or metadata values
// that are not strings. A file without "__metadata__" is fine.
func Decode(b []byte) (*File, error) {
	if len(b) < 8 {
		return nil, fmt.Errorf("safetensors: file is %d bytes, too short for the 8-byte header length", len(b))
	}
	n := binary.LittleEndian.Uint64(b)
	if n > uint64(len(b)-8) {
		return nil, fmt.Errorf("safetensors: header length %d runs past the end of the %d-byte file", n, len(b))
	}
	if n > maxHeaderSize {
		return nil, fmt.Errorf("safetensors: header length %d exceeds the %d-byte limit", n, maxHeaderSize)
	}
	h, data := b[8:8+n], b[8+n:]
	meta, entries, err := parseHeader(h, uint64(len(data)))
	if err != nil {
		return nil, err
	}

	// The byte ranges, in offset order, must tile data exactly.
	// Ties, tensors of no bytes, keep the header's order.
	slices.SortFunc(entries, func(a, b entry) int {
		return cmp.Or(cmp.Compare(a.begin, b.begin), cmp.Compare(a.end, b.end), cmp.Compare(a.index, b.index))
	})
	var pos uint64
	floats, ints := 0, 0
	for i, e := range entries {
		switch {
		case e.begin > pos:
			return nil, fmt.Errorf("safetensors: tensor %q: data_offsets [%d %d] leave bytes %d to %d of the data section unused", e.name, e.begin, e.end, pos, e.begin)
		case e.begin < pos:
			p := entries[i-1]
			return nil, fmt.Errorf("safetensors: tensor %q: data_offsets [%d %d] overlap those of tensor %q, [%d %d]", e.name, e.begin, e.end, p.name, p.begin, p.end)
		}
		pos = e.end
		if e.dtype == I64 {
			ints += e.n
		} else {
			floats += e.n
		}
	}
	if pos != uint64(len(data)) {
		return nil, fmt.Errorf("safetensors: %d trailing bytes after the last tensor (tensors cover %d of the %d bytes after the header)", uint64(len(data))-pos, pos, len(data))
	}

	f := &File{Meta: meta, Tensors: make([]Tensor, len(entries))}
	all := make([]float32, floats)
	allInts := make([]int64, ints) // not nil, even when empty: it marks integer tensors
	sawFloat := false
	for i, e := range entries {
		if e.dtype == I64 {
			x := allInts[:e.n:e.n]
			allInts = allInts[e.n:]
			getInts(x, data[e.begin:e.end])
			f.Tensors[i] = Tensor{Name: e.name, Shape: e.shape, Ints: x}
			continue
		}
		x := all[:e.n:e.n]
		all = all[e.n:]
		getValues(x, data[e.begin:e.end], e.dtype)
		f.Tensors[i] = Tensor{Name: e.name, Shape: e.shape, Data: x}
		switch {
		case !sawFloat:
			f.DType, sawFloat = e.dtype, true
		case f.DType != e.dtype:
			f.DType = ""
		}
	}
	return f, nil
}

// getInts stores in dst the little-endian int64 values of src, which holds
// exactly len(dst) of them.
func getInts(dst []int64, src []byte) {
	src = src[:8*len(dst)]
	for i := range dst {
		dst[i] = int64(binary.LittleEndian.Uint64(src[8*i:]))
	}
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
		panic(fmt.Sprintf("safetensors: unsupported dtype %q", string(dtype)))
	}
}
