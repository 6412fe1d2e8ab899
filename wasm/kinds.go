//go:build js && wasm

package main

// The kinds of model the page offers: each package registers its kinds in
// its init (model.Register), so importing it is all it takes.
import (
	_ "latentlab/core/aae"        // "aae", "ae"
	_ "latentlab/core/classifier" // "classifier"
	_ "latentlab/core/semisup"    // "semisupervised", "cluster"
)
