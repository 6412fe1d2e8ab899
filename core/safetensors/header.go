package safetensors

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// entry is one tensor of a header, checked against the data section.
type entry struct {
	name       string
	dtype      DType
	shape      []int
	n          int    // elements, product(shape)
	begin, end uint64 // byte offsets in the data section
	index      int    // position in the header
}

// parseHeader parses the JSON header h of a file whose data section is
// dataLen bytes long, and checks each entry on its own and that no two
// share a name; how their byte ranges fit together is Decode's business.
//
// It checks h with json.Valid first, then walks it with a scanner that
// can rely on that, so it allocates little beyond its results: no
// reflection, no intermediate maps or copies of the text.
func parseHeader(h []byte, dataLen uint64) (map[string]string, []entry, error) {
	if !utf8.Valid(h) {
		return nil, nil, errors.New("safetensors: header is not valid UTF-8")
	}
	if len(h) == 0 || h[0] != '{' {
		return nil, nil, errors.New("safetensors: header does not start with '{'")
	}
	if !json.Valid(h) {
		var serr *json.SyntaxError
		err := json.Unmarshal(h, new(struct{})) // for the message and offset
		if errors.As(err, &serr) {
			return nil, nil, fmt.Errorf("safetensors: header is not valid JSON: %v, at byte %d of %d", serr, serr.Offset, len(h))
		}
		return nil, nil, fmt.Errorf("safetensors: header is not valid JSON: %v", err)
	}
	s := &scanner{b: h}
	s.next() // '{'
	meta := map[string]string{}
	var entries []entry
	sawMeta := false
	for s.peek() != '}' {
		name := s.str()
		s.next() // ':'
		if name == metadataKey {
			if sawMeta {
				return nil, nil, fmt.Errorf("safetensors: header has two entries named %q", name)
			}
			sawMeta = true
			if err := parseMeta(meta, s); err != nil {
				return nil, nil, err
			}
		} else {
			e, err := parseEntry(s, name, dataLen)
			if err != nil {
				return nil, nil, err
			}
			e.index = len(entries)
			entries = append(entries, e)
		}
		if s.peek() == ',' {
			s.next()
		}
	}

	// Repeated names, found by sorting rather than with a map.
	byName := make([]*entry, len(entries))
	for i := range entries {
		byName[i] = &entries[i]
	}
	slices.SortFunc(byName, func(a, b *entry) int { return strings.Compare(a.name, b.name) })
	for i := 1; i < len(byName); i++ {
		if byName[i].name == byName[i-1].name {
			return nil, nil, fmt.Errorf("safetensors: header has two entries named %q", byName[i].name)
		}
	}
	return meta, entries, nil
}

// parseMeta parses the value of "__metadata__" at s into meta: null, or an
// object of strings.
func parseMeta(meta map[string]string, s *scanner) error {
	switch s.peek() {
	case 'n':
		s.value()
		return nil
	case '{':
	default:
		return fmt.Errorf("safetensors: %s must be an object of string values, not %s", metadataKey, clip(s.value()))
	}
	s.next()
	for s.peek() != '}' {
		k := s.str()
		s.next() // ':'
		if s.peek() != '"' {
			return fmt.Errorf("safetensors: %s must be an object of string values: %q is %s", metadataKey, k, clip(s.value()))
		}
		if _, dup := meta[k]; dup {
			return fmt.Errorf("safetensors: %s has the key %q twice", metadataKey, k)
		}
		meta[k] = s.str()
		if s.peek() == ',' {
			s.next()
		}
	}
	s.next()
	return nil
}

// parseEntry parses and checks the header entry of tensor name at s.
func parseEntry(s *scanner, name string, dataLen uint64) (entry, error) {
	e := entry{name: name}
	fail := func(format string, args ...any) (entry, error) {
		return entry{}, fmt.Errorf("safetensors: tensor %q: "+format, append([]any{name}, args...)...)
	}
	if s.peek() != '{' {
		return fail("entry %s is not a JSON object", clip(s.value()))
	}
	s.next()
	var rawType, rawShape, rawOffsets []byte
	for s.peek() != '}' {
		k := s.str()
		s.next() // ':'
		v := s.value()
		var field *[]byte
		switch k {
		case "dtype":
			field = &rawType
		case "shape":
			field = &rawShape
		case "data_offsets":
			field = &rawOffsets
		}
		if field != nil {
			if *field != nil {
				return fail("field %q appears twice", k)
			}
			*field = v
		}
		if s.peek() == ',' {
			s.next()
		}
	}
	s.next()

	// dtype
	switch {
	case rawType == nil:
		return fail("no dtype")
	case rawType[0] != '"':
		return fail("dtype %s is not a string", clip(rawType))
	}
	switch string(rawType) { // no allocation: the compiler compares in place
	case `"F32"`:
		e.dtype = F32
	case `"F16"`:
		e.dtype = F16
	case `"I64"`:
		e.dtype = I64
	default:
		switch v := unquote(rawType); v { // escaped, or another dtype
		case "F32", "F16", "I64":
			e.dtype = DType(v)
		default:
			return fail("unsupported dtype %q (this reader handles F32, F16 and I64)", v)
		}
	}

	// shape
	if rawShape == nil {
		return fail("no shape")
	}
	if n := bytes.Count(rawShape, []byte{','}) + 1; n > maxRank {
		return fail("shape %s: %d dimensions, more than the %d this reader takes", clip(rawShape), n, maxRank)
	}
	shape, err := parseCounts(rawShape, "dimension")
	if err != nil {
		return fail("shape %s: %v", clip(rawShape), err)
	}
	for i, d := range shape {
		if d > math.MaxInt {
			return fail("shape %s: dimension %d is too large", clip(rawShape), i)
		}
	}

	// data_offsets
	if rawOffsets == nil {
		return fail("no data_offsets")
	}
	offs, err := parseCounts(rawOffsets, "offset")
	if err != nil {
		return fail("data_offsets %s: %v", clip(rawOffsets), err)
	}
	if len(offs) != 2 {
		return fail("data_offsets %s is not an array [begin, end]", clip(rawOffsets))
	}
	e.begin, e.end = offs[0], offs[1]
	if e.end < e.begin {
		return fail("data_offsets [%d %d] end before they begin", e.begin, e.end)
	}
	if e.end > dataLen {
		return fail("data_offsets [%d %d] run past the end of the %d bytes after the header", e.begin, e.end, dataLen)
	}

	// product(shape) × size must be the byte count.
	have := e.end - e.begin
	elems := uint64(0)
	if !slices.Contains(shape, 0) {
		elems = 1
		for _, d := range shape {
			hi, lo := bits.Mul64(elems, d)
			if hi != 0 {
				return fail("shape %s has more than 2^64 elements", shapeString(shape))
			}
			elems = lo
		}
	}
	hi, need := bits.Mul64(elems, uint64(e.dtype.size()))
	if hi != 0 || need != have {
		return fail("shape %s of %s needs %s bytes but data_offsets [%d %d] hold %d", shapeString(shape), e.dtype, byteCount(hi, need), e.begin, e.end, have)
	}
	e.n = int(elems)
	e.shape = make([]int, len(shape))
	for i, d := range shape {
		e.shape[i] = int(d)
	}
	return e, nil
}

// parseCounts parses raw, a valid JSON value, as an array of non-negative
// integer literals; noun names an item in errors. It allocates only its
// result, 8 bytes per item, each of which took at least 2 bytes of raw.
func parseCounts(raw []byte, noun string) ([]uint64, error) {
	if raw[0] != '[' {
		return nil, errors.New("not an array")
	}
	inner := raw[1 : len(raw)-1]
	if len(bytes.TrimSpace(inner)) == 0 {
		return []uint64{}, nil
	}
	// Refuse strings, arrays, objects, true, false and null before
	// splitting on commas, which such items could hold.
	for _, c := range inner {
		switch c {
		case '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '-', '+', '.', 'e', 'E', ',', ' ', '\t', '\r', '\n':
		default:
			return nil, errors.New("not an array of whole numbers")
		}
	}
	out := make([]uint64, 0, bytes.Count(inner, []byte{','})+1)
	for len(inner) > 0 {
		var item []byte
		item, inner, _ = bytes.Cut(inner, []byte{','})
		v, err := parseCount(bytes.TrimSpace(item))
		if err != nil {
			return nil, fmt.Errorf("%s %d: %v", noun, len(out), err)
		}
		out = append(out, v)
	}
	return out, nil
}

// parseCount parses s, a JSON number, as a non-negative integer literal.
func parseCount(s []byte) (uint64, error) {
	if len(s) > 0 && s[0] == '-' {
		return 0, fmt.Errorf("%s is negative", clip(s))
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("%s is not a whole number", clip(s))
		}
	}
	v, err := strconv.ParseUint(string(s), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s is out of range", clip(s))
	}
	return v, nil
}

// byteCount formats the byte count hi·2^64 + lo for an error message.
func byteCount(hi, lo uint64) string {
	if hi == 0 {
		return strconv.FormatUint(lo, 10)
	}
	return "more than 2^64"
}

// clip returns b as a string for an error message, cut after 40 bytes.
func clip(b []byte) string {
	if len(b) <= 40 {
		return string(b)
	}
	return string(b[:40]) + "..."
}

// scanner walks a JSON text that json.Valid has accepted, so it need not
// check the grammar: it only finds where values begin and end.
type scanner struct {
	b []byte
	i int
}

// peek skips white space and returns the next byte, or 0 at the end.
func (s *scanner) peek() byte {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\r', '\n':
			s.i++
			continue
		}
		return s.b[s.i]
	}
	return 0
}

// next skips white space and the next byte, a structural character.
func (s *scanner) next() {
	s.peek()
	s.i++
}

// value skips white space and the value that follows, and returns its text.
func (s *scanner) value() []byte {
	s.peek()
	start := s.i
	depth := 0
	for s.i < len(s.b) {
		switch c := s.b[s.i]; c {
		case '"':
			s.skipString()
			if depth == 0 {
				return s.b[start:s.i]
			}
			continue
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 { // the end of a number, true, false or null
				return s.b[start:s.i]
			}
			depth--
			if depth == 0 {
				s.i++
				return s.b[start:s.i]
			}
		case ',', ' ', '\t', '\r', '\n':
			if depth == 0 { // the end of a number, true, false or null
				return s.b[start:s.i]
			}
		}
		s.i++
	}
	return s.b[start:s.i]
}

// skipString moves past the string literal that starts at s.i.
func (s *scanner) skipString() {
	s.i++ // opening quote
	for s.b[s.i] != '"' {
		if s.b[s.i] == '\\' {
			s.i++
		}
		s.i++
	}
	s.i++ // closing quote
}

// str skips white space and reads a string literal, returning its value.
func (s *scanner) str() string {
	return unquote(s.value())
}

// unquote returns the value of lit, a valid JSON string literal.
func unquote(lit []byte) string {
	if bytes.IndexByte(lit, '\\') < 0 {
		return string(lit[1 : len(lit)-1])
	}
	var v string
	if err := json.Unmarshal(lit, &v); err != nil {
		return string(lit) // unreachable for a literal json.Valid accepted
	}
	return v
}
