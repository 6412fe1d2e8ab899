package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"testing/fstest"
	"time"

	"latentlab/core/fileio"
)

// text returns n bytes of compressible text seeded by seed.
func text(n int, seed uint64) []byte {
	words := []string{"latent ", "lab ", "encoder ", "decoder ", "adversarial ", "mnist ", "\n"}
	r := rand.New(rand.NewPCG(seed, 1))
	var b bytes.Buffer
	for b.Len() < n {
		b.WriteString(words[r.IntN(len(words))])
	}
	return b.Bytes()[:n]
}

// noise returns n incompressible bytes seeded by seed.
func noise(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 2))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// gz compresses b at the given level with name in the gzip header, so tests
// can tell precompressed bytes from bytes compressed by the server.
func gz(tb testing.TB, b []byte, level int, name string) []byte {
	tb.Helper()
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, level)
	if err != nil {
		tb.Fatal(err)
	}
	zw.Name = name
	zw.Write(b)
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// gunzip decompresses b.
func gunzip(tb testing.TB, b []byte) []byte {
	tb.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		tb.Fatalf("gunzip: %v", err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		tb.Fatalf("gunzip: %v", err)
	}
	return out
}

// testSite is a small site laid out like the real one.
type testSite struct {
	fs                                  fstest.MapFS
	index, app, small, wasm, wasmGz, mn []byte
}

func newTestSite(tb testing.TB) *testSite {
	s := &testSite{
		index: append([]byte("<!doctype html><title>Latent Lab</title>\n"), text(3000, 1)...),
		app:   text(5000, 2),
		small: []byte(strings.Repeat("export const x = 1;\n", 40)), // compressible but under minGzipSize
		wasm:  append([]byte("\x00asm\x01\x00\x00\x00"), text(20000, 3)...),
		mn:    gz(tb, noise(4000, 4), gzip.BestSpeed, "mnist"),
	}
	s.wasmGz = gz(tb, s.wasm, gzip.BestSpeed, "precompressed")
	s.fs = fstest.MapFS{
		"index.html":               {Data: s.index},
		"js/app.js":                {Data: s.app},
		"js/small.js":              {Data: s.small},
		"js/style.css":             {Data: text(2000, 5)},
		"assets/README.md":         {Data: text(1500, 6)},
		"assets/latentlab.wasm":    {Data: s.wasm},
		"assets/latentlab.wasm.gz": {Data: s.wasmGz},
		"assets/noise.wasm":        {Data: noise(3000, 7)},
		"assets/mnist/train-images-idx3-ubyte.gz": {Data: s.mn},
		"assets/weights.safetensors":              {Data: noise(100, 8)},
		"assets/model.bin":                        {Data: noise(100, 9)},
	}
	return s
}

// do serves one request through h and returns the response.
func do(h http.Handler, method, target string, header map[string]string) *http.Response {
	req := httptest.NewRequest(method, target, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w.Result()
}

// body reads and closes the body of resp.
func body(tb testing.TB, resp *http.Response) []byte {
	tb.Helper()
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// checkCommonHeaders fails unless resp carries the headers every response must.
func checkCommonHeaders(tb testing.TB, what string, h http.Header) {
	tb.Helper()
	want := map[string]string{
		"Cross-Origin-Opener-Policy":   "same-origin",
		"Cross-Origin-Embedder-Policy": "require-corp",
		"Cross-Origin-Resource-Policy": "same-origin",
		"X-Content-Type-Options":       "nosniff",
		"Referrer-Policy":              "no-referrer",
		"Content-Security-Policy":      contentSecurityPolicy,
	}
	for k, v := range want {
		if got := h.Get(k); got != v {
			tb.Errorf("%s: %s = %q, want %q", what, k, got, v)
		}
	}
}

func TestCommonHeadersOnEveryResponse(t *testing.T) {
	s := newTestSite(t)
	h := newHandler(s.fs, io.Discard, true)
	etag := do(h, "GET", "/js/app.js", nil).Header.Get("ETag")
	for _, tc := range []struct {
		method, target string
		header         map[string]string
		status         int
	}{
		{"GET", "/", nil, 200},
		{"HEAD", "/", nil, 200},
		{"GET", "/js/app.js", map[string]string{"Accept-Encoding": "gzip"}, 200},
		{"GET", "/js/app.js", map[string]string{"If-None-Match": etag}, 304},
		{"GET", "/missing.js", nil, 404},
		{"GET", "/assets/", nil, 404},
		{"POST", "/", nil, 405},
		{"DELETE", "/index.html", nil, 405},
		{"GET", "/../etc/passwd", nil, 400},
		{"GET", "/a%00b", nil, 400},
	} {
		what := tc.method + " " + tc.target
		resp := do(h, tc.method, tc.target, tc.header)
		if resp.StatusCode != tc.status {
			t.Errorf("%s: status %d, want %d", what, resp.StatusCode, tc.status)
		}
		checkCommonHeaders(t, what, resp.Header)
		if got := resp.Header.Get("Cache-Control"); got != "no-cache" {
			t.Errorf("%s: Cache-Control = %q, want no-cache", what, got)
		}
	}
}

func TestContentType(t *testing.T) {
	s := newTestSite(t)
	h := newHandler(s.fs, io.Discard, true)
	for _, tc := range []struct{ target, want string }{
		{"/", "text/html; charset=utf-8"},
		{"/index.html", "text/html; charset=utf-8"},
		{"/js/app.js", "text/javascript; charset=utf-8"},
		{"/js/style.css", "text/css; charset=utf-8"},
		{"/assets/README.md", "text/markdown; charset=utf-8"},
		{"/assets/latentlab.wasm", "application/wasm"},
		{"/assets/latentlab.wasm.gz", "application/gzip"},
		{"/assets/mnist/train-images-idx3-ubyte.gz", "application/gzip"},
		{"/assets/weights.safetensors", "application/octet-stream"},
		{"/assets/model.bin", "application/octet-stream"},
	} {
		for _, ae := range []string{"", "gzip"} {
			resp := do(h, "GET", tc.target, map[string]string{"Accept-Encoding": ae})
			if resp.StatusCode != 200 {
				t.Fatalf("GET %s: status %d", tc.target, resp.StatusCode)
			}
			if got := resp.Header.Get("Content-Type"); got != tc.want {
				t.Errorf("GET %s (Accept-Encoding %q): Content-Type %q, want %q", tc.target, ae, got, tc.want)
			}
		}
	}
}

func TestGzipNegotiation(t *testing.T) {
	s := newTestSite(t)
	h := newHandler(s.fs, io.Discard, true)
	for _, tc := range []struct {
		name           string
		target, accept string
		want           []byte // the decoded body
		wantEncoding   string
		exact          []byte // if set, the bytes that must be sent as they are
	}{
		{"precompressed sibling", "/assets/latentlab.wasm", "gzip, deflate, br", s.wasm, "gzip", s.wasmGz},
		{"precompressed not accepted", "/assets/latentlab.wasm", "", s.wasm, "", s.wasm},
		{"precompressed q=0", "/assets/latentlab.wasm", "gzip;q=0, br", s.wasm, "", s.wasm},
		{"on the fly js", "/js/app.js", "gzip", s.app, "gzip", nil},
		{"on the fly html for /", "/", "br;q=1.0, gzip;q=0.8", s.index, "gzip", nil},
		{"on the fly via *", "/js/app.js", "*", s.app, "gzip", nil},
		{"gzip refused, * allowed", "/js/app.js", "gzip;q=0, *", s.app, "", s.app},
		{"only br", "/js/app.js", "br", s.app, "", s.app},
		{"small file stays plain", "/js/small.js", "gzip", s.small, "", s.small},
		{"incompressible wasm stays plain", "/assets/noise.wasm", "gzip", s.fs["assets/noise.wasm"].Data, "", s.fs["assets/noise.wasm"].Data},
		{"gz by its own name", "/assets/mnist/train-images-idx3-ubyte.gz", "gzip", s.mn, "", s.mn},
		{"binary type not compressed", "/assets/model.bin", "gzip", s.fs["assets/model.bin"].Data, "", s.fs["assets/model.bin"].Data},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := do(h, "GET", tc.target, map[string]string{"Accept-Encoding": tc.accept})
			got := body(t, resp)
			if resp.StatusCode != 200 {
				t.Fatalf("status %d", resp.StatusCode)
			}
			if enc := resp.Header.Get("Content-Encoding"); enc != tc.wantEncoding {
				t.Fatalf("Content-Encoding %q, want %q", enc, tc.wantEncoding)
			}
			if cl := resp.Header.Get("Content-Length"); cl != fmt.Sprint(len(got)) {
				t.Errorf("Content-Length %s, body has %d bytes", cl, len(got))
			}
			if v := resp.Header.Get("Vary"); v != "Accept-Encoding" {
				t.Errorf("Vary %q, want Accept-Encoding", v)
			}
			if tc.exact != nil && !bytes.Equal(got, tc.exact) {
				t.Errorf("body differs from the file's bytes (%d vs %d bytes)", len(got), len(tc.exact))
			}
			decoded := got
			if tc.wantEncoding == "gzip" {
				if len(got) >= len(tc.want) {
					t.Errorf("gzip body %d bytes, not smaller than %d", len(got), len(tc.want))
				}
				decoded = gunzip(t, got)
			}
			if !bytes.Equal(decoded, tc.want) {
				t.Errorf("decoded body differs from the original (%d vs %d bytes)", len(decoded), len(tc.want))
			}
		})
	}
}

func TestGzipCachedAndStable(t *testing.T) {
	s := newTestSite(t)
	h := newHandler(s.fs, io.Discard, true)
	ae := map[string]string{"Accept-Encoding": "gzip"}
	first := do(h, "GET", "/js/app.js", ae)
	b1 := body(t, first)
	// Replace the file's bytes behind the server's back, keeping size and
	// modification time: a cached response must not notice.
	s.fs["js/app.js"].Data = text(len(s.app), 99)
	second := do(h, "GET", "/js/app.js", ae)
	b2 := body(t, second)
	if !bytes.Equal(b1, b2) || first.Header.Get("ETag") != second.Header.Get("ETag") {
		t.Errorf("second response differs from the first: compressed bytes were not cached")
	}
}

func TestAcceptsGzip(t *testing.T) {
	for _, tc := range []struct {
		values []string
		want   bool
	}{
		{nil, false},
		{[]string{""}, false},
		{[]string{"gzip"}, true},
		{[]string{"GZIP"}, true},
		{[]string{"x-gzip"}, true},
		{[]string{"deflate, gzip;q=0.5"}, true},
		{[]string{"gzip;q=0"}, false},
		{[]string{"gzip; q=0.000"}, false},
		{[]string{"gzip;q=bad"}, false},
		{[]string{"*"}, true},
		{[]string{"*;q=0"}, false},
		{[]string{"gzip;q=0", "*"}, false},
		{[]string{"br", "gzip"}, true},
		{[]string{"identity"}, false},
		{[]string{"gzipx"}, false},
	} {
		if got := acceptsGzip(tc.values); got != tc.want {
			t.Errorf("acceptsGzip(%q) = %v, want %v", tc.values, got, tc.want)
		}
	}
}

func TestETag(t *testing.T) {
	s := newTestSite(t)
	h := newHandler(s.fs, io.Discard, true)
	plain := do(h, "GET", "/js/app.js", nil)
	zipped := do(h, "GET", "/js/app.js", map[string]string{"Accept-Encoding": "gzip"})
	pre := do(h, "GET", "/assets/latentlab.wasm", map[string]string{"Accept-Encoding": "gzip"})
	other := do(h, "GET", "/js/style.css", nil)
	etag, zetag, petag := plain.Header.Get("ETag"), zipped.Header.Get("ETag"), pre.Header.Get("ETag")
	for _, e := range []string{etag, zetag, petag, other.Header.Get("ETag")} {
		if len(e) < 10 || e[0] != '"' || e[len(e)-1] != '"' {
			t.Fatalf("ETag %q is not a quoted strong tag", e)
		}
	}
	if etag == zetag || etag == other.Header.Get("ETag") {
		t.Fatalf("ETags not distinct: plain %s gzip %s other %s", etag, zetag, other.Header.Get("ETag"))
	}
	for _, tc := range []struct {
		name, target, accept, inm string
		status                    int
	}{
		{"same tag", "/js/app.js", "", etag, 304},
		{"weak form", "/js/app.js", "", "W/" + etag, 304},
		{"in a list", "/js/app.js", "", `"nope", ` + etag, 304},
		{"star", "/js/app.js", "", "*", 304},
		{"other tag", "/js/app.js", "", `"nope"`, 200},
		{"other file's tag", "/js/style.css", "", etag, 200},
		{"gzip tag for gzip", "/js/app.js", "gzip", zetag, 304},
		{"plain tag for gzip", "/js/app.js", "gzip", etag, 200},
		{"gzip tag for plain", "/js/app.js", "", zetag, 200},
		{"precompressed tag", "/assets/latentlab.wasm", "gzip", petag, 304},
		{"HEAD", "/js/app.js", "", etag, 304},
	} {
		t.Run(tc.name, func(t *testing.T) {
			method := "GET"
			if tc.name == "HEAD" {
				method = "HEAD"
			}
			resp := do(h, method, tc.target, map[string]string{"Accept-Encoding": tc.accept, "If-None-Match": tc.inm})
			b := body(t, resp)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.status)
			}
			if tc.status == 304 {
				if len(b) != 0 {
					t.Errorf("304 with a %d-byte body", len(b))
				}
				if resp.Header.Get("ETag") == "" || resp.Header.Get("Cache-Control") != "no-cache" {
					t.Errorf("304 lacks ETag or Cache-Control: %v", resp.Header)
				}
			}
		})
	}
}

func TestDirChangesInvalidateCache(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "index.html")
	h := newHandler(os.DirFS(dir), io.Discard, true)
	ae := map[string]string{"Accept-Encoding": "gzip"}
	var etags []string
	for i, content := range [][]byte{text(4000, 10), text(4000, 11), text(5000, 12)} {
		if err := os.WriteFile(name, content, 0o644); err != nil {
			t.Fatal(err)
		}
		// Same size may come with the same mtime on a coarse clock: step it.
		mod := time.Date(2024, 1, 1, 0, 0, i, 0, time.UTC)
		if err := os.Chtimes(name, mod, mod); err != nil {
			t.Fatal(err)
		}
		resp := do(h, "GET", "/", ae)
		got := gunzip(t, body(t, resp))
		if !bytes.Equal(got, content) {
			t.Fatalf("version %d: served stale content", i)
		}
		etags = append(etags, resp.Header.Get("ETag"))
	}
	if etags[0] == etags[1] || etags[1] == etags[2] {
		t.Errorf("ETag did not change with the content: %q", etags)
	}
}

func TestHeadHasNoBody(t *testing.T) {
	s := newTestSite(t)
	h := newHandler(s.fs, io.Discard, true)
	for _, tc := range []struct{ target, accept string }{
		{"/", ""},
		{"/js/app.js", "gzip"},
		{"/assets/latentlab.wasm", "gzip"},
		{"/missing", ""},
	} {
		get := do(h, "GET", tc.target, map[string]string{"Accept-Encoding": tc.accept})
		getBody := body(t, get)
		head := do(h, "HEAD", tc.target, map[string]string{"Accept-Encoding": tc.accept})
		if b := body(t, head); len(b) != 0 {
			t.Errorf("HEAD %s: %d-byte body", tc.target, len(b))
		}
		if head.StatusCode != get.StatusCode {
			t.Errorf("HEAD %s: status %d, GET gave %d", tc.target, head.StatusCode, get.StatusCode)
		}
		if cl := head.Header.Get("Content-Length"); cl != fmt.Sprint(len(getBody)) {
			t.Errorf("HEAD %s: Content-Length %s, GET body has %d bytes", tc.target, cl, len(getBody))
		}
		for _, k := range []string{"Content-Type", "Content-Encoding", "ETag"} {
			if head.Header.Get(k) != get.Header.Get(k) {
				t.Errorf("HEAD %s: %s %q, GET gave %q", tc.target, k, head.Header.Get(k), get.Header.Get(k))
			}
		}
	}
}

func TestMethodNotAllowed(t *testing.T) {
	s := newTestSite(t)
	h := newHandler(s.fs, io.Discard, true)
	for _, m := range []string{"POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "BREW"} {
		resp := do(h, m, "/", nil)
		b := body(t, resp)
		if resp.StatusCode != 405 {
			t.Errorf("%s: status %d, want 405", m, resp.StatusCode)
		}
		if a := resp.Header.Get("Allow"); a != "GET, HEAD" {
			t.Errorf("%s: Allow %q", m, a)
		}
		if bytes.Contains(b, s.index[:20]) {
			t.Errorf("%s: body has the page", m)
		}
	}
}

// rawGet sends target verbatim in a request line to addr and returns the
// response and its body, so no client cleans the path first.
func rawGet(t *testing.T, addr, target string) (*http.Response, []byte) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n", target)
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("GET %q: %v", target, err)
	}
	return resp, body(t, resp)
}

func TestBadPaths(t *testing.T) {
	// The site is a directory beside a secret file no path may reach.
	root := t.TempDir()
	secret := "SECRET-" + fmt.Sprint(rand.Uint64())
	site := filepath.Join(root, "site")
	for name, data := range map[string]string{
		filepath.Join(root, "secret.txt"):          secret,
		filepath.Join(site, "index.html"):          "<!doctype html>index",
		filepath.Join(site, "assets", "README.md"): "readme",
		filepath.Join(site, ".git", "config"):      secret,
		filepath.Join(site, "js", ".env"):          secret,
	} {
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(name, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewServer(newHandler(os.DirFS(site), io.Discard, true))
	defer srv.Close()
	addr := srv.Listener.Addr().String()
	for _, tc := range []struct {
		target string
		status int
	}{
		{"/../secret.txt", 400},
		{"/../etc/passwd", 400},
		{"/%2e%2e/", 400},
		{"/%2e%2e/secret.txt", 400},
		{"/%2E%2E%2Fsecret.txt", 400},
		{"/assets/../../secret.txt", 400},
		{"/assets/..", 400},
		{"/..%5csecret.txt", 400},
		{"/assets%5cREADME.md", 400},
		{"/index.html%00", 400},
		{"/a%00b", 400},
		{"/" + strings.Repeat("a", maxPathLen), 400},
		{"*", 400},
		{"/assets/", 404},
		{"/assets", 404},
		{"/js/", 404},
		{"/.git/config", 404},
		{"/js/.env", 404},
		{"/missing.html", 404},
		{"/secret.txt", 404},
		{"//secret.txt", 404},
		{"/assets/README.md", 200},
		{"/./assets//README.md", 200},
	} {
		resp, b := rawGet(t, addr, tc.target)
		if resp.StatusCode != tc.status {
			t.Errorf("GET %q: status %d, want %d", tc.target, resp.StatusCode, tc.status)
		}
		if bytes.Contains(b, []byte(secret)) {
			t.Errorf("GET %q: served the secret", tc.target)
		}
		checkCommonHeaders(t, tc.target, resp.Header)
		if tc.status != 200 {
			if ct := resp.Header.Get("Content-Type"); ct != "text/plain; charset=utf-8" || len(b) == 0 || len(b) > 100 {
				t.Errorf("GET %q: error body %q of type %q, want short plain text", tc.target, b, ct)
			}
		}
	}
}

// panicFS panics when the named file is opened or stat'ed.
type panicFS struct {
	fs.FS
	bad string
}

func (p panicFS) Open(name string) (fs.File, error) {
	if name == p.bad {
		panic("panicFS: " + name)
	}
	return p.FS.Open(name)
}

func TestPanicGives500AndServerKeepsServing(t *testing.T) {
	s := newTestSite(t)
	var logBuf syncBuffer
	srv := httptest.NewServer(newHandler(panicFS{FS: s.fs, bad: "js/app.js"}, &logBuf, false)) // errors are logged without -log
	defer srv.Close()
	for i := range 3 {
		for _, tc := range []struct {
			target string
			status int
		}{
			{"/js/app.js", 500},
			{"/", 200},
			{"/js/small.js", 200},
		} {
			req, _ := http.NewRequest("GET", srv.URL+tc.target, nil)
			req.Header.Set("Accept-Encoding", "gzip")
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatalf("round %d GET %s: %v", i, tc.target, err)
			}
			b := body(t, resp)
			if resp.StatusCode != tc.status {
				t.Errorf("round %d GET %s: status %d, want %d", i, tc.target, resp.StatusCode, tc.status)
			}
			checkCommonHeaders(t, tc.target, resp.Header)
			if tc.status == 500 && (resp.Header.Get("Content-Encoding") != "" || resp.Header.Get("Content-Type") != "text/plain; charset=utf-8" || len(b) == 0) {
				t.Errorf("500 response is not plain text: %v %q", resp.Header, b)
			}
		}
	}
	if !strings.Contains(logBuf.String(), "panicFS: js/app.js") {
		t.Errorf("panic not logged; log:\n%s", logBuf.String())
	}
}

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestRequestLog(t *testing.T) {
	s := newTestSite(t)
	for _, tc := range []struct {
		method, target string
		want           []string
	}{
		{"GET", "/js/small.js", []string{"GET", `"/js/small.js"`, " 200 ", fmt.Sprintf(" %dB ", len(s.small))}},
		{"HEAD", "/js/small.js", []string{"HEAD", `"/js/small.js"`, " 200 ", " 0B "}},
		{"GET", "/nope", []string{"GET", `"/nope"`, " 404 "}},
		{"PUT", "/", []string{"PUT", `"/"`, " 405 "}},
		{"GET", "/x%0Ay", []string{"GET", `"/x\ny"`, " 404 "}},
	} {
		var logBuf bytes.Buffer
		do(newHandler(s.fs, &logBuf, true), tc.method, tc.target, nil)
		line := logBuf.String()
		if strings.Count(line, "\n") != 1 {
			t.Errorf("%s %s: want one log line, got %q", tc.method, tc.target, line)
		}
		for _, w := range tc.want {
			if !strings.Contains(line, w) {
				t.Errorf("%s %s: log line %q lacks %q", tc.method, tc.target, line, w)
			}
		}
		if !strings.Contains(line, "s\n") { // the duration, e.g. 12µs or 1.2ms
			t.Errorf("%s %s: log line %q lacks a duration", tc.method, tc.target, line)
		}
	}
}

func TestConcurrentRequests(t *testing.T) {
	s := newTestSite(t)
	h := newHandler(s.fs, io.Discard, true)
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for i := range 16 {
		wg.Go(func() {
			target := []string{"/", "/js/app.js", "/assets/latentlab.wasm", "/js/style.css"}[i%4]
			want := map[string][]byte{"/": s.index, "/js/app.js": s.app, "/assets/latentlab.wasm": s.wasm, "/js/style.css": s.fs["js/style.css"].Data}[target]
			resp := do(h, "GET", target, map[string]string{"Accept-Encoding": "gzip"})
			b := body(t, resp)
			if resp.Header.Get("Content-Encoding") == "gzip" {
				zr, err := gzip.NewReader(bytes.NewReader(b))
				if err != nil {
					errs <- err.Error()
					return
				}
				b, _ = io.ReadAll(zr)
			}
			if !bytes.Equal(b, want) {
				errs <- "wrong body for " + target
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func TestServeURL(t *testing.T) {
	for _, tc := range []struct {
		addr string
		want string
	}{
		{"[::]:8080", "http://localhost:8080"},
		{"0.0.0.0:8080", "http://localhost:8080"},
		{"127.0.0.1:41234", "http://127.0.0.1:41234"},
		{"[::1]:9000", "http://[::1]:9000"},
		{"192.168.1.5:80", "http://192.168.1.5:80"},
	} {
		a, err := net.ResolveTCPAddr("tcp", tc.addr)
		if err != nil {
			t.Fatal(err)
		}
		if got := serveURL(a); got != tc.want {
			t.Errorf("serveURL(%s) = %q, want %q", tc.addr, got, tc.want)
		}
	}
}

func TestRunPortTaken(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var stdout, stderr bytes.Buffer
	if code := run([]string{"-addr", ln.Addr().String(), "-dir", t.TempDir()}, &stdout, &stderr); code != 1 {
		t.Errorf("exit code %d, want 1", code)
	}
	if !strings.Contains(stderr.String(), "cannot listen on "+ln.Addr().String()) {
		t.Errorf("stderr %q lacks a clear error", stderr.String())
	}
	if strings.Contains(stdout.String(), "serving on") {
		t.Errorf("claimed to serve: %q", stdout.String())
	}
}

func TestRunBadFlags(t *testing.T) {
	file := filepath.Join(t.TempDir(), "f")
	os.WriteFile(file, nil, 0o644)
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"-nope"}, 2, "flag provided but not defined"},
		{[]string{"extra"}, 2, "unexpected arguments"},
		{[]string{"-dir", filepath.Join(t.TempDir(), "missing")}, 1, "-dir"},
		{[]string{"-dir", file}, 1, "not a directory"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(tc.args, &stdout, &stderr); code != tc.code || !strings.Contains(stderr.String(), tc.msg) {
			t.Errorf("run(%q) = %d, stderr %q; want %d and %q", tc.args, code, stderr.String(), tc.code, tc.msg)
		}
	}
}

// TestBinary builds the real server with the embedded site, runs it on a free
// port, fetches / and stops it with SIGTERM.
func TestBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	exe := filepath.Join(t.TempDir(), "server")
	if out, err := exec.Command(gobin, "build", "-o", exe, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(exe, "-addr", "127.0.0.1:0", "-log")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()

	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var url string
	select {
	case line := <-lines:
		var ok bool
		_, url, ok = strings.Cut(line, "latentlab: serving on ")
		if !ok || !strings.HasPrefix(url, "http://127.0.0.1:") || strings.HasSuffix(url, ":0") {
			t.Fatalf("first line %q does not name the bound port", line)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("no 'serving on' line in 10 s; stderr:\n%s", stderr.String())
	}

	resp, err := http.Get(url + "/")
	if err != nil {
		t.Fatal(err)
	}
	page := body(t, resp)
	if resp.StatusCode != 200 || !bytes.Contains(bytes.ToLower(page), []byte("<html")) {
		t.Errorf("GET /: status %d, body starts %q", resp.StatusCode, page[:min(len(page), 60)])
	}
	checkCommonHeaders(t, "binary GET /", resp.Header)
	if ct := resp.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("GET /: Content-Type %q", ct)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("exit after SIGTERM: %v; stderr:\n%s", err, stderr.String())
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("still running 5 s after SIGTERM")
	}
	for _, want := range []string{`GET "/" 200`, "latentlab: shutting down", "latentlab: stopped"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
		}
	}
}

// TestStalledReaderIsDropped: a client that asks for a large file and
// stops reading loses its connection once the write budget is spent,
// instead of holding it (and a goroutine) for ever.
func TestStalledReaderIsDropped(t *testing.T) {
	defer func(b time.Duration, r int) { writeBase, minRate = b, r }(writeBase, minRate)
	writeBase, minRate = 300*time.Millisecond, 1<<30
	const size = 48 << 20 // far more than the sockets' buffers hold
	site := fstest.MapFS{"index.html": {Data: []byte("hi")}, "assets/big.bin": {Data: noise(size, 11)}}
	srv := httptest.NewServer(newHandler(site, io.Discard, true))
	defer srv.Close()
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET /assets/big.bin HTTP/1.1\r\nHost: x\r\n\r\n")
	time.Sleep(1500 * time.Millisecond) // read nothing past the deadline
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	n, err := io.Copy(io.Discard, conn)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf("the connection was still open 10 s after its write deadline (%d bytes read)", n)
	}
	if n >= size {
		t.Fatalf("read all %d bytes: the server never blocked", n)
	}
	t.Logf("dropped after %d of %d bytes", n, size)
}

// TestDirStaysInside: with -dir, a symbolic link that leads outside the
// directory serves nothing, while one inside it works.
func TestDirStaysInside(t *testing.T) {
	outside := filepath.Join(t.TempDir(), "secret.txt")
	if err := os.WriteFile(outside, []byte("not for the web"), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "index.html"), []byte("<!doctype html>"), 0o644)
	os.Mkdir(filepath.Join(dir, "js"), 0o755)
	os.WriteFile(filepath.Join(dir, "js", "app.js"), []byte("export {}"), 0o644)
	if err := os.Symlink(outside, filepath.Join(dir, "js", "leak.js")); err != nil {
		t.Skipf("no symlinks: %v", err)
	}
	os.Symlink("app.js", filepath.Join(dir, "js", "alias.js"))
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	h := newHandler(fileio.RootFS(root), io.Discard, true)
	if resp := do(h, "GET", "/js/leak.js", nil); resp.StatusCode == http.StatusOK {
		t.Errorf("a link out of -dir served %q", body(t, resp))
	}
	if resp := do(h, "GET", "/js/alias.js", nil); resp.StatusCode != http.StatusOK || string(body(t, resp)) != "export {}" {
		t.Errorf("a link inside -dir: %d", resp.StatusCode)
	}
}

// TestRange: a Range request gets 206 and exactly the bytes asked for (of
// the representation sent), an unsatisfiable one 416.
func TestRange(t *testing.T) {
	s := newTestSite(t)
	h := newHandler(s.fs, io.Discard, false)
	resp := do(h, "GET", "/assets/noise.wasm", map[string]string{"Range": "bytes=100-199"})
	got := body(t, resp)
	if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(got, s.fs["assets/noise.wasm"].Data[100:200]) {
		t.Fatalf("bytes=100-199: status %d, %d bytes", resp.StatusCode, len(got))
	}
	if cr := resp.Header.Get("Content-Range"); cr != "bytes 100-199/3000" {
		t.Errorf("Content-Range %q", cr)
	}
	checkCommonHeaders(t, "range", resp.Header)
	resp = do(h, "GET", "/assets/noise.wasm", map[string]string{"Range": "bytes=5000-"})
	if resp.StatusCode != http.StatusRequestedRangeNotSatisfiable {
		t.Errorf("bytes=5000- of 3000: status %d", resp.StatusCode)
	}
	// The last 0 bytes: no representation has them (Go's ServeContent
	// would answer 206 with "bytes 3000-2999/3000").
	for _, rng := range []string{"bytes=-0", "bytes=-0, -00"} {
		resp = do(h, "GET", "/assets/noise.wasm", map[string]string{"Range": rng})
		if resp.StatusCode != http.StatusRequestedRangeNotSatisfiable || resp.Header.Get("Content-Range") != "bytes */3000" {
			t.Errorf("%s: status %d, Content-Range %q", rng, resp.StatusCode, resp.Header.Get("Content-Range"))
		}
	}
	resp = do(h, "GET", "/assets/noise.wasm", map[string]string{"Range": "bytes=-0, 0-9"})
	if b := body(t, resp); resp.StatusCode != http.StatusPartialContent || len(b) == 0 {
		t.Errorf("bytes=-0, 0-9: status %d, %d bytes", resp.StatusCode, len(b))
	}
	resp = do(h, "GET", "/js/app.js", map[string]string{"Range": "bytes=0-9", "Accept-Encoding": "gzip"})
	if b := body(t, resp); resp.StatusCode != http.StatusPartialContent || len(b) != 10 || resp.Header.Get("Content-Encoding") != "gzip" {
		t.Errorf("a range of the gzipped app.js: status %d, %d bytes, encoding %q", resp.StatusCode, len(b), resp.Header.Get("Content-Encoding"))
	}
}
