// Package kinds registers every kind of model Latent Lab has: each model
// package registers its kinds in its init (model.Register), so a program
// that imports this package (the CLI, the wasm core) offers them all.
package kinds

import (
	_ "latentlab/core/aae"        // "aae", "ae"
	_ "latentlab/core/classifier" // "classifier"
	_ "latentlab/core/gan"        // "gan", "aegan", "bigan"
	_ "latentlab/core/pixel"      // "pixel"
	_ "latentlab/core/semisup"    // "semisupervised", "cluster"
	_ "latentlab/core/supervised" // "supervised"
	_ "latentlab/core/vae"        // "vae"
)
