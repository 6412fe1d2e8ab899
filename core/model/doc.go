// Package model defines what every Latent Lab model shares: its Config (one
// JSON object that fully describes it, defaults and presets included), the
// Model interface that the trainer, the CLI and the page drive, a registry
// of model kinds, and the conversion of a model to and from a .safetensors
// file.
//
// Pixels are bytes/255 in [0, 1]; images are rows of Pixels float32. The
// reconstruction loss is binary cross-entropy summed over the 784 pixels of
// an image (nats per image).
package model
