// Package nn holds the layers and losses of the models as forward/backward
// pairs over float32 slices, and MLP, a stack of dense layers whose
// parameters and gradients live in two flat slices.
//
// Besides dense layers and activations, an MLP's hidden layers may have
// batch normalisation (BatchNorm; Ioffe and Szegedy 2015, arXiv 1502.03167)
// before the activation and inverted dropout (DropoutMask; Srivastava et al.
// 2014) after it, as PyTorch's BatchNorm1d and Dropout compute them. The
// Keras models this project grew from use both (BatchNormalization(momentum
// =0.8) in the generator and autoencoder, Dropout(0.25) in the
// discriminator); their batch norm comes after the activation and uses
// Keras's eps 1e-3, where MLP follows the usual PyTorch order
// Linear, BatchNorm1d, activation, Dropout with PyTorch's defaults (see
// BNMomentum).
//
// Conventions: matrices are row-major with a leading batch dimension n;
// outputs come first in argument lists; backward functions accumulate (+=)
// into parameter gradients and overwrite input gradients. Nothing here
// allocates after construction. Losses are summed over the features of an
// example and averaged over the n examples of the batch, and so are their
// gradients.
package nn
