package data

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestDecodeValid(t *testing.T) {
	pix := []byte{0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255}
	lab := []byte{0, 9}
	imgs := idxImages(magicImages, 2, 2, 3, pix)
	labs := idxLabels(magicLabels, 2, lab)
	for _, tc := range []struct {
		name       string
		imgs, labs []byte
	}{
		{"plain", imgs, labs},
		{"gzip", gz(t, imgs), gz(t, labs)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n, rows, cols, got, err := DecodeImages(tc.imgs)
			if err != nil {
				t.Fatal(err)
			}
			if n != 2 || rows != 2 || cols != 3 || string(got) != string(pix) {
				t.Errorf("DecodeImages = %d, %d, %d, %v; want 2, 2, 3, %v", n, rows, cols, got, pix)
			}
			gotLab, err := DecodeLabels(tc.labs)
			if err != nil {
				t.Fatal(err)
			}
			if string(gotLab) != string(lab) {
				t.Errorf("DecodeLabels = %v, want %v", gotLab, lab)
			}
			s, err := NewSet("tiny", tc.imgs, tc.labs)
			if err != nil {
				t.Fatal(err)
			}
			if s.N != 2 || s.Dim() != 6 || s.Pix[11] != 255 || s.Labels[1] != 9 {
				t.Errorf("NewSet = %+v", s)
			}
		})
	}
}

func TestDecodeMalformed(t *testing.T) {
	pix6 := make([]byte, 6)
	goodImgs := idxImages(magicImages, 1, 2, 3, pix6)
	goodLabs := idxLabels(magicLabels, 1, []byte{3})
	corrupt := gz(t, idxImages(magicImages, 100, 28, 28, make([]byte, 100*784)))
	corrupt = append([]byte(nil), corrupt...)
	corrupt[len(corrupt)-6] ^= 0xff // inside the CRC-32 / size trailer
	truncGz := gz(t, goodImgs)
	truncGz = truncGz[:len(truncGz)-10]
	for _, tc := range []struct {
		name       string
		imgs, labs []byte
		want       string // substring of the error
	}{
		{"images bad magic", idxImages(0x12345678, 1, 2, 3, pix6), goodLabs, "bad magic 0x12345678"},
		{"images given labels", idxLabels(magicLabels, 10, make([]byte, 10)), goodLabs, "this is an idx label file"},
		{"labels given images", goodImgs, goodImgs, "this is an idx image file"},
		{"images truncated header", goodImgs[:10], goodLabs, "truncated header"},
		{"labels truncated header", goodImgs, goodLabs[:5], "truncated header"},
		{"empty images", nil, goodLabs, "truncated header"},
		{"images truncated payload", goodImgs[:len(goodImgs)-1], goodLabs, "truncated: header says 1 images of 2x3 (6 bytes) but 5 bytes follow"},
		{"images extra bytes", append(append([]byte(nil), goodImgs...), 0, 0), goodLabs, "2 extra bytes"},
		{"labels truncated payload", goodImgs, idxLabels(magicLabels, 2, []byte{1}), "truncated: header says 2 labels"},
		{"labels extra bytes", goodImgs, idxLabels(magicLabels, 1, []byte{1, 2}), "1 extra bytes"},
		{"zero images", idxImages(magicImages, 0, 28, 28, nil), goodLabs, "no pixels"},
		{"zero rows", idxImages(magicImages, 1, 0, 28, nil), goodLabs, "no pixels"},
		{"zero labels", goodImgs, idxLabels(magicLabels, 0, nil), "0 labels"},
		{"absurd side", idxImages(magicImages, 1, 5000, 1, nil), goodLabs, "5000x1"},
		{"absurd payload", idxImages(magicImages, 1<<31, 28, 28, nil), goodLabs, "limit"},
		{"absurd label count", goodImgs, idxLabels(magicLabels, 0xffffffff, nil), "limit"},
		{"label above 9", goodImgs, idxLabels(magicLabels, 1, []byte{10}), "label 10 at index 0"},
		{"count mismatch", goodImgs, idxLabels(magicLabels, 2, []byte{1, 2}), "1 images but 2 labels"},
		{"corrupt gzip", corrupt, goodLabs, "gzip"},
		{"truncated gzip", truncGz, goodLabs, "gzip"},
		{"gzip magic only", []byte{0x1f, 0x8b}, goodLabs, "gzip"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := NewSet("train", tc.imgs, tc.labs)
			if err == nil {
				t.Fatalf("NewSet succeeded with %+v", s)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "data: train") {
				t.Errorf("error %q does not start with \"data: train\"", msg)
			}
			if !strings.Contains(msg, tc.want) {
				t.Errorf("error %q does not contain %q", msg, tc.want)
			}
		})
	}
}

func TestLoadMNISTErrors(t *testing.T) {
	dir := t.TempDir()
	_, _, err := LoadMNIST(dir)
	if err == nil || !strings.Contains(err.Error(), TrainImages) || !strings.Contains(err.Error(), "make data") {
		t.Errorf("empty dir: error %v, want one naming %s and suggesting make data", err, TrainImages)
	}

	write := func(name string, b []byte) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	img := func(n uint32, v byte) []byte {
		p := make([]byte, n*4)
		for i := range p {
			p[i] = v
		}
		return idxImages(magicImages, n, 2, 2, p)
	}
	write(TrainImages+".gz", gz(t, img(3, 7)))
	write(TrainLabels, idxLabels(magicLabels, 3, []byte{1, 2, 3}))
	write(TestImages+".gz", gz(t, img(2, 8)))
	write(TestLabels+".gz", gz(t, idxLabels(magicLabels, 2, []byte{4, 5})))
	train, test, err := LoadMNIST(dir)
	if err != nil {
		t.Fatal(err)
	}
	if train.N != 3 || train.Pix[0] != 7 || test.N != 2 || test.Pix[0] != 8 || test.Labels[1] != 5 {
		t.Errorf("mixed plain/gz load: train %+v test %+v", train, test)
	}

	// A plain file is preferred over its .gz twin.
	write(TrainImages, img(3, 9))
	train, _, err = LoadMNIST(dir)
	if err != nil {
		t.Fatal(err)
	}
	if train.Pix[0] != 9 {
		t.Errorf("plain and .gz both present: read pixel %d, want 9 from the plain file", train.Pix[0])
	}

	// A corrupt file is named in the error.
	write(TestLabels+".gz", gz(t, idxLabels(magicLabels, 2, []byte{4})))
	_, _, err = LoadMNIST(dir)
	if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, TestLabels+".gz")) || !strings.Contains(err.Error(), "make data") {
		t.Errorf("corrupt test labels: error %v, want one naming the file and suggesting make data", err)
	}
}

// FuzzDecode checks that no input makes the decoders panic and that what
// they accept is consistent.
func FuzzDecode(f *testing.F) {
	for _, name := range []string{TrainLabels, TestLabels, TestImages} {
		b, err := os.ReadFile(filepath.Join("testdata", name+".gz"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		want := uint32(magicLabels)
		if strings.Contains(name, "images") {
			want = magicImages
		}
		if plain, err := gunzip(name, b, want); err == nil {
			f.Add(plain[:min(len(plain), 16+3*784)])
		}
	}
	f.Add(idxImages(magicImages, 1, 2, 3, make([]byte, 6)))
	f.Add(idxLabels(magicLabels, 2, []byte{1, 9}))
	f.Add([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		n, rows, cols, pix, err := DecodeImages(b)
		if err == nil && (n < 1 || rows < 1 || cols < 1 || len(pix) != n*rows*cols) {
			t.Errorf("DecodeImages accepted n=%d %dx%d with %d pixels", n, rows, cols, len(pix))
		}
		if err != nil && !strings.HasPrefix(err.Error(), "data: images: ") {
			t.Errorf("DecodeImages error %q lacks the prefix", err)
		}
		lab, err := DecodeLabels(b)
		if err == nil {
			if len(lab) == 0 {
				t.Error("DecodeLabels accepted no labels")
			}
			for i, l := range lab {
				if l > 9 {
					t.Fatalf("DecodeLabels accepted label %d at %d", l, i)
				}
			}
		}
		if err != nil && !strings.HasPrefix(err.Error(), "data: labels: ") {
			t.Errorf("DecodeLabels error %q lacks the prefix", err)
		}
	})
}

// TestGzipBomb: a small gzip file that decompresses to far more than its
// idx header declares is refused, having decompressed no more than the
// header's size (it used to read up to 1 GiB, costing 2.7 GB).
func TestGzipBomb(t *testing.T) {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write(idxImages(magicImages, 10, 28, 28, make([]byte, 10*28*28)))
	zeros := make([]byte, 1<<20)
	for range 32 { // 32 MiB past the declared 7840 bytes
		zw.Write(zeros)
	}
	zw.Close()
	bomb := buf.Bytes()
	labs := idxLabels(magicLabels, 10, make([]byte, 10))
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := NewSet("train", bomb, labs)
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "decompresses to more than the 7856 bytes its header declares") {
		t.Fatalf("error %v", err)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 4<<20 {
		t.Errorf("a %d-byte bomb cost %d bytes to refuse", len(bomb), grew)
	}
	t.Logf("%d bytes of gzip refused: %v", len(bomb), err)

	// The other way round: a header declaring 784 MB over 7840 bytes of
	// pixels costs what it holds, not what it declares.
	liar := gz(t, idxImages(magicImages, 1_000_000, 28, 28, make([]byte, 10*28*28)))
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err = NewSet("train", liar, labs)
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "truncated") {
		t.Fatalf("error %v", err)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 4<<20 {
		t.Errorf("a header declaring 784 MB cost %d bytes to refuse", grew)
	}
}
