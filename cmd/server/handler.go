package main

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"latentlab/core/fileio"
)

const (
	// maxPathLen is the longest request path served, in bytes; longer paths get 400.
	maxPathLen = 1024
	// minGzipSize is the smallest file compressed on the fly, in bytes.
	minGzipSize = 1024
)

// contentTypes maps a file extension to the Content-Type it is served with.
// Extensions not listed fall back to the mime package, then to
// application/octet-stream.
var contentTypes = map[string]string{
	".html":        "text/html; charset=utf-8",
	".js":          "text/javascript; charset=utf-8",
	".mjs":         "text/javascript; charset=utf-8",
	".css":         "text/css; charset=utf-8",
	".json":        "application/json",
	".svg":         "image/svg+xml",
	".wasm":        "application/wasm",
	".txt":         "text/plain; charset=utf-8",
	".md":          "text/markdown; charset=utf-8",
	".gz":          "application/gzip",
	".png":         "image/png",
	".ico":         "image/x-icon",
	".safetensors": "application/octet-stream",
}

// compressible lists the extensions worth gzipping on the fly.
var compressible = map[string]bool{
	".html": true, ".js": true, ".mjs": true, ".css": true, ".json": true,
	".svg": true, ".wasm": true, ".txt": true, ".md": true,
}

// contentType returns the Content-Type for the file name.
func contentType(name string) string {
	ext := strings.ToLower(path.Ext(name))
	if t, ok := contentTypes[ext]; ok {
		return t
	}
	if t := mime.TypeByExtension(ext); t != "" {
		return t
	}
	return "application/octet-stream"
}

// contentSecurityPolicy lets the page run only its own scripts, workers and
// styles (no inline ones), compile WebAssembly, fetch from its own origin,
// and draw images it made (canvas, blob: and data: URLs).
const contentSecurityPolicy = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; " +
	"style-src 'self'; img-src 'self' blob: data:; connect-src 'self'; object-src 'none'; base-uri 'none'; " +
	"form-action 'none'; frame-ancestors 'none'"

// setCommonHeaders sets the headers every response carries: cross-origin
// isolation (so the page may use SharedArrayBuffer), the content security
// policy, no referrer, nosniff and no-cache.
func setCommonHeaders(h http.Header) {
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Embedder-Policy", "require-corp")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-cache")
}

// newHandler returns the handler serving the files of site, writing its
// errors to logw, and one line per request too if requests is set. site must be rooted like the module
// root: index.html, js/, assets/. The handler caches each file's bytes,
// ETag and compressed form until the file's size or modification time
// changes, so it suits both an embed.FS and an os.DirFS.
func newHandler(site fs.FS, logw io.Writer, requests bool) http.Handler {
	l := log.New(logw, "", log.LstdFlags)
	return &guard{next: &fileServer{site: site, log: l, cache: make(map[string]*entry)}, log: l, requests: requests}
}

// guard wraps a handler: it sets the common headers, turns a panic into a
// logged 500, and logs one line per request.
type guard struct {
	next     http.Handler
	log      *log.Logger
	requests bool // log every request, not only errors
}

// ServeHTTP serves r through g.next, recovering from panics.
func (g *guard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &recorder{ResponseWriter: w}
	setCommonHeaders(rec.Header())
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			g.log.Printf("server: panic serving %s %q: %v", r.Method, r.URL.Path, v)
			if !rec.wroteHeader {
				h := rec.Header()
				for k := range h {
					delete(h, k)
				}
				setCommonHeaders(h)
				plainError(rec, r, http.StatusInternalServerError, "internal server error")
			}
		}
		if g.requests {
			g.log.Printf("%s %q %d %dB %v", r.Method, r.URL.Path, rec.status(), rec.bytes, time.Since(start).Round(time.Microsecond))
		}
	}()
	g.next.ServeHTTP(rec, r)
}

// recorder is a ResponseWriter that remembers the status and counts the body
// bytes written, for the log.
type recorder struct {
	http.ResponseWriter
	code        int
	wroteHeader bool
	bytes       int64
}

// WriteHeader records code and passes it on.
func (w *recorder) WriteHeader(code int) {
	if w.wroteHeader {
		return
	}
	w.code, w.wroteHeader = code, true
	w.ResponseWriter.WriteHeader(code)
}

// Write writes p, sending a 200 header first if none was sent.
func (w *recorder) Write(p []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	n, err := w.ResponseWriter.Write(p)
	w.bytes += int64(n)
	return n, err
}

// Unwrap gives http.ResponseController the connection's writer.
func (w *recorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// status returns the status sent, 200 if the handler wrote nothing.
func (w *recorder) status() int {
	if !w.wroteHeader {
		return http.StatusOK
	}
	return w.code
}

// plainError sends a short text/plain error. HEAD responses get no body.
func plainError(w http.ResponseWriter, r *http.Request, code int, msg string) {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	body := msg + "\n"
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(code)
	if r.Method != http.MethodHead {
		io.WriteString(w, body)
	}
}

// rep is one representation of a file: the bytes sent and their ETag.
type rep struct {
	data []byte
	etag string
}

// newRep returns data with its ETag, a hash of data.
func newRep(data []byte) rep {
	sum := sha256.Sum256(data)
	return rep{data: data, etag: `"` + hex.EncodeToString(sum[:16]) + `"`}
}

// entry caches what is derived from one file of the site. It is valid while
// the file keeps the size and modification time it had when read.
type entry struct {
	size  int64
	mod   time.Time
	plain rep

	gzOnce sync.Once
	gz     *rep // on-the-fly gzip of plain; nil if it would not be smaller
}

// gzipped returns plain compressed with gzip, computing it on first use, or
// nil if compression does not make it smaller.
func (e *entry) gzipped() *rep {
	e.gzOnce.Do(func() {
		var buf bytes.Buffer
		zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		if err != nil {
			panic("server: " + err.Error())
		}
		zw.Write(e.plain.data) // writes to a bytes.Buffer do not fail
		zw.Close()
		if buf.Len() < len(e.plain.data) {
			r := newRep(buf.Bytes())
			e.gz = &r
		}
	})
	return e.gz
}

// fileServer serves the regular files of site, caching them per path.
type fileServer struct {
	site fs.FS
	log  *log.Logger

	mu    sync.Mutex
	cache map[string]*entry
}

// errBadPath is returned by siteName for a path that can never name a file.
var errBadPath = errors.New("server: bad request path")

// siteName returns the site file name for the URL path p: p cleaned, without
// its leading slash, "index.html" for "/". It returns errBadPath for a path
// that is too long, not absolute, or has a NUL, a backslash or a ".." element.
func siteName(p string) (string, error) {
	if len(p) > maxPathLen || !strings.HasPrefix(p, "/") || strings.ContainsAny(p, "\x00\\") {
		return "", errBadPath
	}
	for _, elem := range strings.Split(p, "/") {
		if elem == ".." {
			return "", errBadPath
		}
	}
	name := strings.TrimPrefix(path.Clean(p), "/")
	if name == "" {
		name = "index.html"
	}
	if !fs.ValidPath(name) {
		return "", errBadPath
	}
	return name, nil
}

// hidden reports whether any element of name begins with ".", such as
// ".git/config"; those are never served (it matters for -dir).
func hidden(name string) bool {
	for _, elem := range strings.Split(name, "/") {
		if strings.HasPrefix(elem, ".") {
			return true
		}
	}
	return false
}

// ServeHTTP serves the file named by r.URL.Path.
func (s *fileServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		plainError(w, r, http.StatusMethodNotAllowed, "method not allowed")
		return
	}
	name, err := siteName(r.URL.Path)
	if err != nil {
		plainError(w, r, http.StatusBadRequest, "bad request path")
		return
	}
	if hidden(name) {
		plainError(w, r, http.StatusNotFound, "not found")
		return
	}
	e, err := s.load(name)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			plainError(w, r, http.StatusNotFound, "not found")
			return
		}
		s.log.Printf("server: reading %s: %v", name, err)
		plainError(w, r, http.StatusInternalServerError, "internal server error")
		return
	}

	// Pick the representation: precompressed sibling, on-the-fly gzip, or plain.
	h := w.Header()
	h.Set("Vary", "Accept-Encoding")
	body, encoding := &e.plain, ""
	if acceptsGzip(r.Header.Values("Accept-Encoding")) && path.Ext(name) != ".gz" {
		if pre, err := s.load(name + ".gz"); err == nil {
			body, encoding = &pre.plain, "gzip"
		} else if !errors.Is(err, fs.ErrNotExist) {
			s.log.Printf("server: reading %s.gz: %v", name, err)
			plainError(w, r, http.StatusInternalServerError, "internal server error")
			return
		} else if compressible[strings.ToLower(path.Ext(name))] && len(e.plain.data) >= minGzipSize {
			if gz := e.gzipped(); gz != nil {
				body, encoding = gz, "gzip"
			}
		}
	}

	h.Set("ETag", body.etag)
	if etagMatch(r.Header.Values("If-None-Match"), body.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Type", contentType(name))
	if encoding != "" {
		h.Set("Content-Encoding", encoding)
	}
	// A client that stops reading is dropped once the body is late at the
	// slowest rate we serve, rather than holding its connection and
	// goroutine for ever.
	if r.Method != http.MethodHead {
		http.NewResponseController(w).SetWriteDeadline(time.Now().Add(writeBudget(len(body.data))))
	}
	if rng := r.Header.Get("Range"); rng != "" {
		if onlyEmptySuffixes(rng) && (r.Header.Get("If-Range") == "" || r.Header.Get("If-Range") == body.etag) {
			// ServeContent would answer "bytes=-0" 206 with the
			// impossible Content-Range bytes N-(N−1)/N; the last 0 bytes
			// are unsatisfiable (RFC 9110, section 14.1.1).
			h.Set("Content-Range", fmt.Sprintf("bytes */%d", len(body.data)))
			h.Del("Content-Encoding")
			plainError(w, r, http.StatusRequestedRangeNotSatisfiable, "range not satisfiable")
			return
		}
		// ServeContent answers ranges of the bytes sent (the gzipped ones
		// when gzipped), If-Range included; whole responses stay ours, with
		// their Content-Length, which ServeContent leaves out when encoded.
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body.data))
		return
	}
	h.Set("Content-Length", strconv.Itoa(len(body.data)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(body.data)
	}
}

// onlyEmptySuffixes reports whether a Range header asks only for suffixes
// of length 0 ("bytes=-0", "bytes=-0, -00"), none of which any
// representation can satisfy.
func onlyEmptySuffixes(rng string) bool {
	specs, ok := strings.CutPrefix(strings.TrimSpace(rng), "bytes=")
	if !ok {
		return false
	}
	for _, spec := range strings.Split(specs, ",") {
		n, ok := strings.CutPrefix(strings.TrimSpace(spec), "-")
		if !ok || n == "" || strings.Trim(n, "0") != "" {
			return false
		}
	}
	return true
}

// Write deadlines: writeBase plus a body's bytes at minRate bytes/s (the
// 11 MB of MNIST's training images gzipped reach a 64 KB/s link in 3 min).
var (
	writeBase = 10 * time.Second
	minRate   = 64 << 10
)

func writeBudget(n int) time.Duration {
	return writeBase + time.Duration(n)*time.Second/time.Duration(minRate)
}

// maxSiteFile is the largest file the server reads into its cache, 256
// MiB: the largest it ships (MNIST's training images, a trained model)
// are about 10 MB.
const maxSiteFile = 256 << 20

// load returns the cache entry of the regular file name, reading the file if
// it is not cached or has changed since. A missing file, a directory or any
// other non-regular file gives an error wrapping fs.ErrNotExist.
func (s *fileServer) load(name string) (*entry, error) {
	fi, err := fs.Stat(s.site, name)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("server: %s is not a regular file: %w", name, fs.ErrNotExist)
	}
	s.mu.Lock()
	e := s.cache[name]
	s.mu.Unlock()
	if e != nil && e.size == fi.Size() && e.mod.Equal(fi.ModTime()) {
		return e, nil
	}
	data, err := fileio.ReadFS(s.site, name, maxSiteFile)
	if err != nil {
		return nil, err
	}
	e = &entry{size: fi.Size(), mod: fi.ModTime(), plain: newRep(data)}
	s.mu.Lock()
	s.cache[name] = e
	s.mu.Unlock()
	return e, nil
}

// acceptsGzip reports whether Accept-Encoding header values allow gzip: it is
// listed, or "*" is, with a nonzero q-value (RFC 9110, section 12.5.3).
func acceptsGzip(values []string) bool {
	gzipQ, starQ := -1.0, -1.0
	for _, v := range values {
		for _, item := range strings.Split(v, ",") {
			coding, params, _ := strings.Cut(item, ";")
			coding = strings.ToLower(strings.TrimSpace(coding))
			q := 1.0
			for _, p := range strings.Split(params, ";") {
				k, val, ok := strings.Cut(strings.TrimSpace(p), "=")
				if ok && strings.EqualFold(strings.TrimSpace(k), "q") {
					f, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
					if err != nil {
						f = 0
					}
					q = f
				}
			}
			switch coding {
			case "gzip", "x-gzip":
				gzipQ = max(gzipQ, q)
			case "*":
				starQ = max(starQ, q)
			}
		}
	}
	if gzipQ >= 0 {
		return gzipQ > 0
	}
	return starQ > 0
}

// etagMatch reports whether If-None-Match header values match etag, using the
// weak comparison RFC 9110 (section 13.1.2) prescribes for If-None-Match.
func etagMatch(values []string, etag string) bool {
	for _, v := range values {
		for _, tag := range strings.Split(v, ",") {
			tag = strings.TrimSpace(tag)
			if tag == "*" || strings.TrimPrefix(tag, "W/") == etag {
				return true
			}
		}
	}
	return false
}
