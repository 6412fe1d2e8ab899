// Command server serves Latent Lab: the page, its scripts, the wasm build of
// the Go core and the MNIST files, all embedded in the one binary.
//
// Usage:
//
//	server [-addr :8080] [-dir DIR] [-log] [-max-conns 512]
//
// -addr is the address to listen on; "127.0.0.1:0" picks a free port. Once
// listening, the server prints one line to stdout,
//
//	latentlab: serving on http://localhost:8080
//
// with the port it actually bound. -dir serves the files under DIR (laid out
// like the module root: index.html, js/, assets/) instead of the embedded
// copy, which is handy while editing the page.
//
// Conventions:
//
//   - Only GET and HEAD are served; other methods get 405 with an Allow header.
//   - Request paths are cleaned; paths with "..", NUL, a backslash or more than
//     maxPathLen bytes get 400. Unknown files, directories and names beginning
//     with "." get 404. "/" serves index.html.
//   - Every response, errors and 304s included, carries the cross-origin
//     isolation headers (COOP same-origin, COEP require-corp, CORP
//     same-origin) and X-Content-Type-Options: nosniff, so the page may use
//     SharedArrayBuffer.
//   - When the client accepts gzip, a file is sent as the precompressed
//     "<name>.gz" beside it if there is one, else compressed on the fly if its
//     type compresses well and it is at least minGzipSize bytes. A ".gz" file
//     asked for by its own name is sent as application/gzip, unencoded.
//   - Each representation has a strong ETag (a hash of the bytes sent);
//     If-None-Match gives 304. Cache-Control is no-cache: browsers revalidate
//     every time, so a rebuilt wasm is never stale.
//   - File contents, hashes and compressed bytes are cached in memory per
//     path, keyed by the file's size and modification time, so the embedded
//     files are read once and a -dir file is re-read when it changes.
//   - With -log, one line per request goes to stderr: method, path, status,
//     bytes, duration. Errors are always logged. A panic in a handler is
//     logged and answered with 500.
//   - Slow clients are bounded: a read timeout, 64 KB of headers, a write
//     deadline per response sized by its length, and at most -max-conns
//     connections at once: at the cap the keep-alive connection idle the
//     longest is closed for a new one; where none is idle, later ones wait
//     in the backlog.
//   - Files are read through core/fileio: a -dir entry that is not a
//     regular file (a named pipe, a device) is not found, and none larger
//     than maxSiteFile is read.
package main
