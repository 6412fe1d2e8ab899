// Package prior implements the distributions an adversarial autoencoder
// imposes on its codes (Makhzani et al. 2015, arXiv 1511.05644, §2 and
// Figures 2 and 4): a Gaussian, a mixture
// of 10 2-D Gaussians on a circle, a 2-D swiss roll and a uniform box, and,
// for §2.3 (labels in the adversarial regulariser), label-conditioned
// draws from the mixture's components and the swiss roll's segments.
//
// The AAE only ever needs samples of its prior, never its density, so each
// prior is a sampler: a function of (z, n, lat, scale, r) that stores n
// codes of lat dimensions in z, drawn with r. scale is Config.PriorStd (σ);
// how each prior uses it is said at its sampler. The geometries at σ = 1
// are those of the reference implementations (musyoku/adversarial-autoencoder,
// sampler.py), so σ = 1 reproduces their plots and the default σ = 5 gives
// codes of the spread of the default N(0, 5²I).
//
// The mixture and the swiss roll are 2-D. With lat > 2 their first two
// dimensions carry the 2-D prior and the others are N(0, σ²), the Gaussian
// prior's: the structure (and, with labels, the digit classes) lives in the
// plane the page plots, and the further dimensions hold style at the
// default prior's scale. They need lat ≥ 2.
//
// All draws come from r in a fixed order, so a seeded r gives the same
// samples on every run. No sampler allocates.
package prior

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Components is the number of mixture components and of swiss-roll
// segments: one per digit, component (segment) k for digit k.
const Components = 10

// Names lists the priors as Config.Prior spells them.
var Names = []string{"gaussian", "mixture", "swissroll", "uniform"}

// Func stores n samples of a prior, lat values each, in z (n, lat), drawn
// with r; scale is the prior's σ.
type Func func(z []float32, n, lat int, scale float64, r *rand.Rand)

// LabelledFunc stores n samples in z (n, lat) as Func does, row i drawn from
// the part of the prior that belongs to labels[i] (a mixture component, a
// swiss-roll segment). A label ≥ Components (data.Unlabelled) draws the row
// from the whole prior.
type LabelledFunc func(z []float32, labels []uint8, n, lat int, scale float64, r *rand.Rand)

// Gaussian stores n samples of N(0, σ²I) in z.
func Gaussian(z []float32, n, lat int, scale float64, r *rand.Rand) {
	for i := range z[:n*lat] {
		z[i] = float32(r.NormFloat64() * scale)
	}
}

// Uniform stores n samples of U(−σ, σ) in every dimension in z: mean 0,
// variance σ²/3 per dimension.
func Uniform(z []float32, n, lat int, scale float64, r *rand.Rand) {
	for i := range z[:n*lat] {
		z[i] = float32((2*r.Float64() - 1) * scale)
	}
}

// The mixture's geometry at σ = 1 (the reference implementations'):
// component k is a Gaussian centred at radius MixtureRadius on the ray at
// angle 2πk/Components, with standard deviation MixtureRadialStd along the
// ray and MixtureTangentStd across it, so the ten components are petals
// pointing away from the origin (Figures 2 and 4 of the paper). Every
// length scales with σ.
const (
	MixtureRadius     = 1.4
	MixtureRadialStd  = 0.5
	MixtureTangentStd = 0.05
)

// componentDir[k] is (cos, sin) of component k's angle 2πk/Components.
var componentDir = func() (d [Components][2]float64) {
	for k := range d {
		a := 2 * math.Pi * float64(k) / Components
		d[k] = [2]float64{math.Cos(a), math.Sin(a)}
	}
	return d
}()

// Mixture stores n samples of the mixture of Components 2-D Gaussians (see
// MixtureRadius) with equal weights in z, the dimensions past the first two
// N(0, σ²). Each row draws its component, then its radial and tangential
// offsets, then the further dimensions.
func Mixture(z []float32, n, lat int, scale float64, r *rand.Rand) {
	for i := range n {
		mixtureRow(z[i*lat:(i+1)*lat], r.IntN(Components), scale, r)
	}
}

// MixtureLabelled is Mixture with row i drawn from component labels[i]
// (from a component drawn at random if labels[i] ≥ Components).
func MixtureLabelled(z []float32, labels []uint8, n, lat int, scale float64, r *rand.Rand) {
	for i := range n {
		mixtureRow(z[i*lat:(i+1)*lat], component(labels[i], r), scale, r)
	}
}

// component returns label, or a component drawn with r for a label outside
// 0..Components-1.
func component(label uint8, r *rand.Rand) int {
	if int(label) < Components {
		return int(label)
	}
	return r.IntN(Components)
}

func mixtureRow(z []float32, k int, scale float64, r *rand.Rand) {
	a := MixtureRadius + MixtureRadialStd*r.NormFloat64() // along the ray
	b := MixtureTangentStd * r.NormFloat64()              // across it
	c, s := componentDir[k][0], componentDir[k][1]
	z[0] = float32((a*c - b*s) * scale)
	z[1] = float32((a*s + b*c) * scale)
	Gaussian(z[2:], 1, len(z)-2, scale, r)
}

// MixtureCentre returns the centre of mixture component k at σ = scale.
func MixtureCentre(k int, scale float64) (x, y float64) {
	return MixtureRadius * componentDir[k][0] * scale, MixtureRadius * componentDir[k][1] * scale
}

// MixtureComponent returns the mixture component most likely to have drawn
// the point (x, y) at σ = scale: the one of highest density, the
// components having equal weights.
func MixtureComponent(x, y, scale float64) int {
	best, bestK := math.Inf(1), 0
	x, y = x/scale, y/scale
	for k, d := range componentDir {
		a := x*d[0] + y*d[1] - MixtureRadius // offset along the ray
		b := -x*d[1] + y*d[0]                // across it
		e := a*a/(MixtureRadialStd*MixtureRadialStd) + b*b/(MixtureTangentStd*MixtureTangentStd)
		if e < best {
			best, bestK = e, k
		}
	}
	return bestK
}

// The swiss roll's geometry at σ = 1 (the reference implementations'): the
// Archimedean spiral r = SwissRollRadius·φ/SwissRollTurn, φ ∈ [0,
// SwissRollTurn], two turns out from the origin to radius
// SwissRollRadius·σ. A sample is a point of the curve (no thickness)
// uniform along its length; segment k is the k-th of Components pieces of
// equal length from the centre outwards.
//
// The reference implementations draw u ~ U(0, 1) and put the point at
// angle 4π√u, which is nearly uniform in length, and take [k/10,
// (k+1)/10) of u as segment k; here the length is exact (there the innermost
// segment is 14 % longer than the others).
const (
	SwissRollRadius = 3
	SwissRollTurn   = 4 * math.Pi
)

// spiralLength is the length of the spiral r = aφ from 0 to φ, for a = 1:
// (φ√(1+φ²) + asinh φ)/2.
func spiralLength(phi float64) float64 {
	return (phi*math.Sqrt(1+phi*phi) + math.Asinh(phi)) / 2
}

// swissRollLength is the length of the unit swiss roll, for a = 1.
var swissRollLength = spiralLength(SwissRollTurn)

// swissRollAngle returns the angle φ at which the spiral's length from the
// centre is the fraction t ∈ [0, 1] of the whole, by Newton's method from
// the right (the length is convex in φ and above φ²/2, so the iterates
// decrease to the root).
func swissRollAngle(t float64) float64 {
	s := t * swissRollLength
	phi := math.Sqrt(2 * s)
	for range 30 {
		step := (spiralLength(phi) - s) / math.Sqrt(1+phi*phi)
		phi -= step
		if step < 1e-12 {
			break
		}
	}
	return phi
}

// SwissRollPoint returns the point of the swiss roll at the fraction t ∈
// [0, 1] of its length from the centre, at σ = scale.
func SwissRollPoint(t, scale float64) (x, y float64) {
	phi := swissRollAngle(t)
	rad := SwissRollRadius * phi / SwissRollTurn * scale
	return rad * math.Cos(phi), rad * math.Sin(phi)
}

// SwissRoll stores n samples of the swiss roll (see SwissRollRadius) in z,
// the dimensions past the first two N(0, σ²). Each row draws its position
// along the roll, then the further dimensions.
func SwissRoll(z []float32, n, lat int, scale float64, r *rand.Rand) {
	for i := range n {
		swissRollRow(z[i*lat:(i+1)*lat], r.Float64(), scale, r)
	}
}

// SwissRollLabelled is SwissRoll with row i drawn from segment labels[i]
// (from the whole roll if labels[i] ≥ Components).
func SwissRollLabelled(z []float32, labels []uint8, n, lat int, scale float64, r *rand.Rand) {
	for i := range n {
		t := r.Float64()
		if k := int(labels[i]); k < Components {
			t = (float64(k) + t) / Components
		}
		swissRollRow(z[i*lat:(i+1)*lat], t, scale, r)
	}
}

func swissRollRow(z []float32, t, scale float64, r *rand.Rand) {
	x, y := SwissRollPoint(t, scale)
	z[0], z[1] = float32(x), float32(y)
	Gaussian(z[2:], 1, len(z)-2, scale, r)
}

// Prior is the prior a config names, for codes of Latent dimensions at
// scale Scale (Config.PriorStd).
type Prior struct {
	Name     string
	Latent   int
	Scale    float64
	sample   Func
	labelled LabelledFunc

	// roll holds points of the swiss roll at fractions (j+½)/len of its
	// length, for SwissRoll's Segment; nil for the other priors.
	roll [][2]float64
}

// rollPoints is the number of points Segment compares a code with.
const rollPoints = 2000

// New returns the prior named name (see Names) for codes of lat dimensions
// at σ = scale. The mixture and the swiss roll need lat ≥ 2.
func New(name string, lat int, scale float64) (*Prior, error) {
	p := &Prior{Name: name, Latent: lat, Scale: scale}
	switch name {
	case "gaussian":
		p.sample = Gaussian
	case "uniform":
		p.sample = Uniform
	case "mixture":
		p.sample, p.labelled = Mixture, MixtureLabelled
	case "swissroll":
		p.sample, p.labelled = SwissRoll, SwissRollLabelled
		p.roll = make([][2]float64, rollPoints)
		for j := range p.roll {
			x, y := SwissRollPoint((float64(j)+0.5)/rollPoints, scale)
			p.roll[j] = [2]float64{x, y}
		}
	default:
		return nil, fmt.Errorf("prior: unknown prior %q (want gaussian, mixture, swissroll or uniform)", name)
	}
	if p.labelled != nil && lat < 2 {
		return nil, fmt.Errorf("prior: the %s prior is 2-D and needs a latent of at least 2 dimensions, not %d", name, lat)
	}
	if lat < 1 || !(scale > 0) {
		return nil, fmt.Errorf("prior: latent %d and scale %v must be positive", lat, scale)
	}
	return p, nil
}

// Sample stores n samples of the prior in z (n, Latent), drawn with r.
func (p *Prior) Sample(z []float32, n int, r *rand.Rand) {
	p.sample(z, n, p.Latent, p.Scale, r)
}

// Labelled reports whether the prior has a part per label (mixture
// components, swiss-roll segments), as labels in the regulariser (§2.3)
// need. A Gaussian or a uniform prior has none: a label-conditioned draw
// from it could only be the prior itself, telling the discriminator
// nothing.
func (p *Prior) Labelled() bool { return p.labelled != nil }

// SampleLabelled stores n samples in z (n, Latent), row i drawn from the
// part of label labels[i] (the whole prior for a label ≥ Components). It
// panics for a prior that is not Labelled.
func (p *Prior) SampleLabelled(z []float32, labels []uint8, n int, r *rand.Rand) {
	if p.labelled == nil {
		panic("prior: the " + p.Name + " prior has no parts per label")
	}
	p.labelled(z, labels, n, p.Latent, p.Scale, r)
}

// Part returns the label whose part of the prior the code z (first two
// dimensions) is nearest to: the mixture component most likely to have
// drawn it, or the swiss-roll segment holding the point of the roll
// nearest to it. It returns -1 for a prior that is not Labelled.
func (p *Prior) Part(z []float32) int {
	if p.labelled == nil {
		return -1
	}
	x, y := float64(z[0]), float64(z[1])
	switch {
	case p.Name == "mixture":
		return MixtureComponent(x, y, p.Scale)
	case p.roll != nil:
		best, bestJ := math.Inf(1), 0
		for j, q := range p.roll {
			if d := (x-q[0])*(x-q[0]) + (y-q[1])*(y-q[1]); d < best {
				best, bestJ = d, j
			}
		}
		return bestJ * Components / rollPoints
	}
	panic("prior: no parts for the " + p.Name + " prior")
}

// Moments returns the sample mean (lat) and covariance (lat×lat, row-major,
// normalised by n) of the n codes in z (n, lat), to compare a model's codes
// with its prior's.
func Moments(z []float32, n, lat int) (mean, cov []float64) {
	mean, cov = make([]float64, lat), make([]float64, lat*lat)
	for i := range n {
		for a := range lat {
			mean[a] += float64(z[i*lat+a]) / float64(n)
		}
	}
	for i := range n {
		for a := range lat {
			da := float64(z[i*lat+a]) - mean[a]
			for b := range lat {
				cov[a*lat+b] += da * (float64(z[i*lat+b]) - mean[b]) / float64(n)
			}
		}
	}
	return mean, cov
}
