package adversarial

import (
	"fmt"
	"math"

	"latentlab/core/nn"
)

// Loss is an adversarial objective (Config.GANLoss): how the discriminator
// is scored on its outputs and what the generator minimises (the usual
// comparison of GAN losses: minimax, non-saturating, least squares,
// Wasserstein). The discriminator's output y is a logit, σ(y) the
// probability it gives "real", except under LSGAN, where y is a raw score
// trained toward 1 and 0.
type Loss int

// The losses Config.GANLoss names.
const (
	// Minimax is the original zero-sum game: the generator minimises
	// log(1 − D(G(z))), the negative of the discriminator's loss on its
	// samples. It saturates once D rejects them.
	Minimax Loss = iota
	// NonSaturating has the generator minimise −log D(G(z)) instead: the
	// same fixed point, strong gradients when D rejects the samples.
	NonSaturating
	// ML is Goodfellow's maximum-likelihood game (NIPS 2016 tutorial,
	// §3.2.3; "On distinguishability criteria", 2014): the generator
	// minimises −½·exp(σ⁻¹(D(G(z)))), −½·e^y per sample, whose expected
	// gradient is that of KL(data ‖ model) when D is optimal.
	ML
	// LSGAN is the least-squares GAN (Mao et al. 2017): the discriminator
	// regresses its raw output onto 1 (real) and 0 (fake) with squared
	// error, the generator regresses D's output on its samples onto 1.
	LSGAN
)

var lossNames = [...]string{"minimax", "nonsaturating", "ml", "lsgan"}

// LossNames returns the names of the losses, as configs spell them.
func LossNames() []string { return append([]string(nil), lossNames[:]...) }

// String returns the loss's name as configs spell it.
func (k Loss) String() string {
	if k < 0 || int(k) >= len(lossNames) {
		return fmt.Sprintf("Loss(%d)", int(k))
	}
	return lossNames[k]
}

// ParseLoss returns the loss named s (minimax, nonsaturating, ml or lsgan).
func ParseLoss(s string) (Loss, error) {
	for i, name := range lossNames {
		if s == name {
			return Loss(i), nil
		}
	}
	return 0, fmt.Errorf("unknown GAN loss %q (want minimax, nonsaturating, ml or lsgan)", s)
}

// Disc returns the discriminator's loss on its outputs y (n, 1) for
// examples it must call t (1 real, 0 fake), averaged over the n examples,
// and stores ∂L/∂y in dy unless dy is nil:
//
//	BCE(σ(y), t) = −t·log σ(y) − (1−t)·log(1 − σ(y))   (LSGAN: (y − t)²)
func (k Loss) Disc(dy, y []float32, t float32, n int) float64 {
	if k == LSGAN {
		return squaredConst(dy, y, t, n)
	}
	return nn.BCEWithLogitsConst(dy, y, t, n)
}

// Gen returns the generator's loss on the discriminator's outputs y (n, 1)
// for examples the discriminator is trained to call t, and so the
// generator wants called 1 − t (t = 0 for a GAN's samples; a BiGAN has
// both kinds of pair), averaged over the n examples, and stores ∂L/∂y in
// dy unless dy is nil. With s = 1 − 2t (1 for a GAN's samples):
//
//	minimax:        −BCE(σ(y), t)          (log(1 − D) for t = 0)
//	nonsaturating:   BCE(σ(y), 1 − t)      (−log D for t = 0)
//	ml:             −½·exp(s·y)            (−½·exp(σ⁻¹(D)) for t = 0)
//	lsgan:           (y − (1 − t))²
func (k Loss) Gen(dy, y []float32, t float32, n int) float64 {
	switch k {
	case Minimax:
		loss := nn.BCEWithLogitsConst(dy, y, t, n)
		for i := range dy {
			dy[i] = -dy[i]
		}
		return -loss
	case NonSaturating:
		return nn.BCEWithLogitsConst(dy, y, 1-t, n)
	case ML:
		s := float64(1 - 2*t)
		var sum float64
		for i, v := range y[:n] {
			e := math.Exp(s * float64(v))
			sum += e
			if dy != nil {
				// L = −½·e^{s·y}/n: ∂L/∂y = −½·s·e^{s·y}/n
				dy[i] = float32(-0.5 * s * e / float64(n))
			}
		}
		return -0.5 * sum / float64(n)
	case LSGAN:
		return squaredConst(dy, y, 1-t, n)
	}
	panic("adversarial: bad loss")
}

// squaredConst is nn.MSE with every target t: (1/n) Σ (y − t)², and
// ∂L/∂y = 2(y − t)/n in dy unless dy is nil.
//
// y, dy (n, d)
func squaredConst(dy, y []float32, t float32, n int) float64 {
	inv := 2 / float32(n)
	var sum float64
	for i, v := range y {
		e := v - t
		sum += float64(e) * float64(e)
		if dy != nil {
			dy[i] = e * inv
		}
	}
	return sum / float64(n)
}

// meanOutput returns the mean over y of what the discriminator says of the
// examples: σ(y), the probability of "real", or, under LSGAN, the raw
// output y, which it regresses onto 1 (real) and 0 (fake).
func (k Loss) meanOutput(y []float32) float64 {
	var sum float64
	for _, v := range y {
		if k == LSGAN {
			sum += float64(v)
		} else {
			sum += 1 / (1 + math.Exp(-float64(v)))
		}
	}
	return sum / float64(len(y))
}
