// Package latentlab holds the web app that cmd/server serves: the page, its
// scripts and the generated assets, embedded at build time.
//
// Conventions: paths in Site are slash-separated and relative to the module
// root ("index.html", "js/...", "assets/..."). Files whose names begin with "."
// or "_" are not embedded (the go:embed rule for directories). The generated
// assets (assets/mnist/*.gz, assets/latentlab.wasm, assets/latentlab.wasm.gz,
// assets/wasm_exec.js) are embedded only if `make` produced them before the
// build; the Makefile's bin/server rule makes sure it did.
package latentlab

import "embed"

// Site is the web app as a read-only file system: index.html at the root, the
// page's scripts under js/, and data, wasm and wasm_exec.js under assets/.
// It never changes while the program runs, so servers may cache what they
// derive from it.
//
//go:embed index.html js assets
var Site embed.FS
