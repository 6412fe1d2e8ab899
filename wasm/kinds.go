//go:build js && wasm

package main

// The kinds of model the page offers: package kinds imports every model
// package, each of which registers its kinds in its init (model.Register).
import _ "latentlab/core/kinds"
