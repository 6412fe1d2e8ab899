// Package adversarial is the adversarial regulariser every kind with a
// discriminator shares: the losses a discriminator and its generator play
// (Loss: minimax, non-saturating, maximum likelihood, least squares) and
// the Critic, a discriminator network with its optimizer, whose Step
// updates it on real and fake rows and whose Fool is the generator's (or
// an AAE encoder's) step through it.
package adversarial
