// Package nn holds the layers and losses of the models as forward/backward
// pairs over float32 slices, and MLP, a stack of dense layers whose
// parameters and gradients live in two flat slices.
//
// Conventions: matrices are row-major with a leading batch dimension n;
// outputs come first in argument lists; backward functions accumulate (+=)
// into parameter gradients and overwrite input gradients. Nothing here
// allocates after construction. Losses are summed over the features of an
// example and averaged over the n examples of the batch, and so are their
// gradients.
package nn
