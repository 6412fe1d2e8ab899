package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"latentlab"
	"latentlab/core/fileio"
)

// defaultMaxConns is -max-conns's default.
const defaultMaxConns = 512

// shutdownTimeout bounds how long in-flight requests may run after SIGINT or SIGTERM.
const shutdownTimeout = 5 * time.Second

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run parses args, serves until SIGINT or SIGTERM and returns the exit code:
// 0 after a clean shutdown, 1 if the server could not start or failed,
// 2 for bad flags. The "serving on" line goes to stdout, everything else to
// stderr.
func run(args []string, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("server", flag.ContinueOnError)
	flags.SetOutput(stderr)
	addr := flags.String("addr", ":8080", "`address` to listen on; port 0 picks a free port")
	logRequests := flags.Bool("log", false, "log every request to stderr (errors are always logged)")
	maxConns := flags.Int("max-conns", defaultMaxConns, "most connections open at once; past it the longest idle keep-alive one is closed, or new ones wait")
	dir := flags.String("dir", "", "serve the files under `DIR` (laid out like the module root) instead of the embedded copy")
	if err := flags.Parse(args); err != nil {
		return 2
	}
	if *maxConns < 1 {
		fmt.Fprintf(stderr, "latentlab: -max-conns %d: give at least 1\n", *maxConns)
		return 2
	}
	if flags.NArg() > 0 {
		fmt.Fprintf(stderr, "latentlab: unexpected arguments %q\n", flags.Args())
		flags.Usage()
		return 2
	}

	var site fs.FS = latentlab.Site
	if *dir != "" {
		fi, err := os.Stat(*dir)
		if err != nil {
			fmt.Fprintf(stderr, "latentlab: -dir: %v\n", err)
			return 1
		}
		if !fi.IsDir() {
			fmt.Fprintf(stderr, "latentlab: -dir: %s is not a directory\n", *dir)
			return 1
		}
		// An os.Root: no path, and no symbolic link, resolves outside dir.
		root, err := os.OpenRoot(*dir)
		if err != nil {
			fmt.Fprintf(stderr, "latentlab: -dir: %v\n", err)
			return 1
		}
		defer root.Close()
		site = fileio.RootFS(root) // opens a named pipe without waiting on it
	}
	if _, err := fs.Stat(site, "index.html"); err != nil {
		fmt.Fprintf(stderr, "latentlab: warning: no index.html to serve: %v\n", err)
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(stderr, "latentlab: cannot listen on %s: %v\n", *addr, err)
		return 1
	}
	srv := &http.Server{
		Handler:           newHandler(site, stderr, *logRequests),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second, // requests have no body worth waiting for
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}

	limited := limitConns(ln, *maxConns)
	srv.ConnState = limited.ConnState

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(limited) }()
	fmt.Fprintf(stdout, "latentlab: serving on %s\n", serveURL(ln.Addr()))

	select {
	case err := <-served:
		fmt.Fprintf(stderr, "latentlab: server failed: %v\n", err)
		return 1
	case <-ctx.Done():
	}
	stop()
	fmt.Fprintln(stderr, "latentlab: shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		fmt.Fprintf(stderr, "latentlab: shutdown: %v\n", err)
		return 1
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintf(stderr, "latentlab: server failed: %v\n", err)
		return 1
	}
	fmt.Fprintln(stderr, "latentlab: stopped")
	return 0
}

// serveURL returns the URL a browser on this machine can open for the
// listener address a: "localhost" stands in for an unspecified host.
func serveURL(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return "http://" + a.String()
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}
