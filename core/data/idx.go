package data

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
)

const (
	magicImages = 0x00000803 // idx, unsigned bytes, 3 dimensions
	magicLabels = 0x00000801 // idx, unsigned bytes, 1 dimension

	// maxSide bounds an image's rows and columns.
	maxSide = 1 << 12
	// maxPayload bounds the decoded size of one idx file, 1 GiB.
	maxPayload = 1 << 30
)

// DecodeImages decodes an idx3 image file (magic 0x00000803), plain or
// gzip-compressed. It returns the number of images, their size and the
// pixels, row-major, one image after another.
//
// It returns an error if the magic is wrong, the header is short, a dimension
// is zero or absurd (rows or columns above 4096, more than 1 GiB of pixels),
// or the payload is not exactly n*rows*cols bytes.
func DecodeImages(b []byte) (n, rows, cols int, pix []uint8, err error) {
	return decodeImages("images", b)
}

// DecodeLabels decodes an idx1 label file (magic 0x00000801), plain or
// gzip-compressed, and returns one label per image.
//
// It returns an error if the magic is wrong, the header is short, the count is
// zero or absurd, the payload is not exactly one byte per label, or a label
// is above 9.
func DecodeLabels(b []byte) ([]uint8, error) {
	return decodeLabels("labels", b)
}

// decodeImages is DecodeImages naming what it reads in its errors.
func decodeImages(name string, b []byte) (n, rows, cols int, pix []uint8, err error) {
	b, err = gunzip(name, b, magicImages)
	if err != nil {
		return 0, 0, 0, nil, err
	}
	const header = 16
	if len(b) < header {
		return 0, 0, 0, nil, fmt.Errorf("data: %s: truncated header: an idx image file starts with %d bytes, have %d", name, header, len(b))
	}
	if err := checkMagic(name, b, magicImages, "image"); err != nil {
		return 0, 0, 0, nil, err
	}
	un := uint64(binary.BigEndian.Uint32(b[4:]))
	ur := uint64(binary.BigEndian.Uint32(b[8:]))
	uc := uint64(binary.BigEndian.Uint32(b[12:]))
	if un == 0 || ur == 0 || uc == 0 {
		return 0, 0, 0, nil, fmt.Errorf("data: %s: header says %d images of %dx%d: no pixels", name, un, ur, uc)
	}
	if ur > maxSide || uc > maxSide {
		return 0, 0, 0, nil, fmt.Errorf("data: %s: header says images of %dx%d: sides above %d are not supported", name, ur, uc, maxSide)
	}
	want := un * ur * uc // at most 2^32 * 2^24, no overflow
	if want > maxPayload {
		return 0, 0, 0, nil, fmt.Errorf("data: %s: header says %d images of %dx%d (%d bytes): more than the %d-byte limit", name, un, ur, uc, want, maxPayload)
	}
	body := b[header:]
	if have := uint64(len(body)); have != want {
		what := "truncated"
		if have > want {
			what = fmt.Sprintf("%d extra bytes", have-want)
		}
		return 0, 0, 0, nil, fmt.Errorf("data: %s: %s: header says %d images of %dx%d (%d bytes) but %d bytes follow", name, what, un, ur, uc, want, have)
	}
	return int(un), int(ur), int(uc), body, nil
}

// decodeLabels is DecodeLabels naming what it reads in its errors.
func decodeLabels(name string, b []byte) ([]uint8, error) {
	b, err := gunzip(name, b, magicLabels)
	if err != nil {
		return nil, err
	}
	const header = 8
	if len(b) < header {
		return nil, fmt.Errorf("data: %s: truncated header: an idx label file starts with %d bytes, have %d", name, header, len(b))
	}
	if err := checkMagic(name, b, magicLabels, "label"); err != nil {
		return nil, err
	}
	want := uint64(binary.BigEndian.Uint32(b[4:]))
	if want == 0 {
		return nil, fmt.Errorf("data: %s: header says 0 labels", name)
	}
	if want > maxPayload {
		return nil, fmt.Errorf("data: %s: header says %d labels: more than the %d limit", name, want, maxPayload)
	}
	body := b[header:]
	if have := uint64(len(body)); have != want {
		what := "truncated"
		if have > want {
			what = fmt.Sprintf("%d extra bytes", have-want)
		}
		return nil, fmt.Errorf("data: %s: %s: header says %d labels (%d bytes) but %d bytes follow", name, what, want, want, have)
	}
	for i, l := range body {
		if l > 9 {
			return nil, fmt.Errorf("data: %s: label %d at index %d is outside 0..9", name, l, i)
		}
	}
	return body, nil
}

// checkMagic checks the idx magic number at the start of b.
func checkMagic(name string, b []byte, want uint32, kind string) error {
	got := binary.BigEndian.Uint32(b)
	if got == want {
		return nil
	}
	hint := ""
	switch got {
	case magicImages:
		hint = " (this is an idx image file)"
	case magicLabels:
		hint = " (this is an idx label file)"
	}
	return fmt.Errorf("data: %s: bad magic 0x%08x, want 0x%08x for an idx %s file%s", name, got, want, kind, hint)
}

// gunzip returns b decompressed if it starts with the gzip magic 0x1f 0x8b,
// and b itself otherwise. It reads the idx header first and then at most
// what the header declares (if that is within maxPayload): a small file
// that decompresses to gigabytes costs no more memory than its header
// asks for, and too much data is an error. A header it cannot read, or
// whose magic is not want (a label file given as images, say), is passed
// on as is, for the decoders to explain.
func gunzip(name string, b []byte, want uint32) ([]byte, error) {
	if len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
		return b, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("data: %s: gzip: %v", name, err)
	}
	fail := func(err error) ([]byte, error) { return nil, fmt.Errorf("data: %s: gzip: %v", name, err) }
	// read fills p from the stream: its bytes and nil, or the bytes read
	// before a clean end of the stream, or a gzip error.
	read := func(p []byte) (int, error) {
		n := 0
		for n < len(p) {
			k, err := zr.Read(p[n:])
			n += k
			if err == io.EOF {
				return n, nil
			}
			if err != nil {
				return n, err
			}
		}
		return n, nil
	}
	head := make([]byte, 4, 16)
	n, err := read(head)
	if err != nil {
		return fail(err)
	}
	dims := int(head[3])
	if n < 4 || binary.BigEndian.Uint32(head) != want || dims < 1 || dims > 3 {
		return head[:n], nil
	}
	head = head[:4+4*dims]
	k, err := read(head[4:])
	if err != nil {
		return fail(err)
	}
	if k < 4*dims {
		return head[:4+k], nil
	}
	size := uint64(1)
	for d := range dims {
		size *= uint64(binary.BigEndian.Uint32(head[4+4*d:]))
		if size > maxPayload {
			return head, nil // the decoder refuses the size
		}
	}
	// Read as the data come, never past size+1 bytes: a small file whose
	// header declares a gigabyte costs what it holds, not what it declares.
	buf := bytes.NewBuffer(head)
	got, err := buf.ReadFrom(io.LimitReader(zr, int64(size)+1))
	if err != nil {
		return fail(err)
	}
	if uint64(got) > size {
		return nil, fmt.Errorf("data: %s: decompresses to more than the %d bytes its header declares", name, uint64(len(head))+size)
	}
	out := buf.Bytes()
	if uint64(got) < size {
		return out, nil // the decoder reports the truncation
	}
	if err := zr.Close(); err != nil {
		return fail(err)
	}
	return out, nil
}
