package model

import (
	"math/rand/v2"

	"latentlab/core/data"
)

// The capability interfaces: a model implements those that make sense for
// it, and the page, the CLI and train.Session offer what its capabilities
// allow (a reconstruction view for an Autoencoder, a sample grid for a
// Generator, a test error for a Classifier, ...).

// Encoder maps digits to codes: Encode stores the codes of x (n, Pixels)
// in z (n, Latent). For a stochastic encoder these are the means.
type Encoder interface {
	Encode(z, x []float32, n int)
}

// Generator maps codes to digits: Decode stores in x (n, Pixels) the pixel
// probabilities decoded from z (n, Latent); SamplePrior stores n samples
// of the prior (the generator's noise) in z, drawn with r.
type Generator interface {
	Decode(x, z []float32, n int)
	SamplePrior(z []float32, n int, r *rand.Rand)
}

// Autoencoder is an Encoder and Generator trained to reconstruct:
// ReconLoss returns BCE(x, decode(encode(x))) summed over the n images (in
// nats), and stores their codes in z unless z is nil.
type Autoencoder interface {
	Encoder
	Generator
	ReconLoss(z, x []float32, n int) float64
}

// Reconstructor reconstructs digits itself, for an Autoencoder whose code
// alone does not say everything the decoder takes (the semi-supervised
// AAE's decoder also takes the class): Reconstruct stores in xhat (n,
// Pixels) the pixel probabilities of x's reconstructions. Without it a
// reconstruction is Decode(Encode(x)).
type Reconstructor interface {
	Reconstruct(xhat, x []float32, n int)
}

// Classifier assigns digits to Classes() categories: Classify stores the
// class probabilities of x in p (n, Classes()). A model trained with labels
// (semi-supervised) means class i to be digit i; an unsupervised one
// (clustering) has arbitrary categories.
type Classifier interface {
	Classes() int
	Classify(p, x []float32, n int)
}

// LabelGenerator decodes a code with a given label (the supervised AAE):
// DecodeLabels stores in x (n, Pixels) the digits decoded from z (n,
// Latent) with labels (n).
type LabelGenerator interface {
	DecodeLabels(x, z []float32, labels []uint8, n int)
}

// Sampler draws whole digits itself rather than from a code (an
// autoregressive model): Sample stores n digits in x, drawn with r.
type Sampler interface {
	Sample(x []float32, n int, r *rand.Rand)
}

// Density gives the likelihood of digits: NLL returns the negative
// log-likelihood of x summed over the n images, in nats.
type Density interface {
	NLL(x []float32, n int) float64
}

// PhaseStepper can run one phase of its training step alone, for the
// page's step controls (a GAN's "disc" and "gen"): Phases names them, and
// StepPhase runs the named one on the batch, returning the losses in the
// order of LossNames (those the phase does not compute are zero).
type PhaseStepper interface {
	Phases() []string
	StepPhase(b *Batch, phase string) Losses
}

// Evaluator computes measures particular to the model on the training and
// test sets (a BiGAN's nearest-neighbour accuracy of its codes, say), by
// name; train.Session.Metrics adds them to the ones it computes itself.
type Evaluator interface {
	Evaluate(train, test *data.Set) map[string]float64
}
