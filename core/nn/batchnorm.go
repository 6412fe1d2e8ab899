package nn

import "math"

// Batch normalisation constants, PyTorch's BatchNorm1d defaults.
//
// BNMomentum is the weight of the batch in the running statistics
// (running = (1−BNMomentum)·running + BNMomentum·batch). The reference Keras
// BatchNormalization(momentum=0.8) keeps 0.8 of the old value, which is
// PyTorch momentum 0.2; we keep PyTorch's default 0.1 so that files match
// what nn.BatchNorm1d() trains.
const (
	BNEps      = 1e-5
	BNMomentum = 0.1
)

// BatchNorm is PyTorch's BatchNorm1d(f) over inputs (n, f): in training it
// normalises each feature with the batch's mean and biased variance,
// x̂ = (x − mean)/√(var + BNEps), outputs y = γ·x̂ + β, and moves the running
// statistics toward the batch's (the variance unbiased, ×n/(n−1)); in
// evaluation it normalises with the running statistics.
//
// A training batch of one example is degenerate (PyTorch refuses it): its
// variance is 0, so x̂ = 0 and y = β, whose gradient with respect to x is
// exactly 0. BatchNorm computes that, and leaves the running statistics and
// Tracked as they are, since one example says nothing of the variance.
type BatchNorm struct {
	Features int
	// Gamma (weight) and Beta (bias) are trained; an MLP makes them views
	// into its Params, DGamma and DBeta into its Grads.
	Gamma, Beta, DGamma, DBeta []float32
	// RunningMean and RunningVar are state, not parameters: no optimizer
	// touches them. Tracked[0] counts the batches that updated them
	// (PyTorch's num_batches_tracked).
	RunningMean, RunningVar []float32
	Tracked                 []int64

	xhat   []float32 // (maxBatch, f) the last training batch normalised
	invStd []float32 // (f) 1/√(var + eps) of the last training batch
	s1, s2 []float64 // (f) per-feature sums

	scale, shift []float32 // (f) Infer's affine map
}

// newBatchNorm returns a BatchNorm for batches of up to maxBatch whose
// parameters and gradients are the given views; its running statistics
// start at mean 0, variance 1.
func newBatchNorm(gamma, beta, dgamma, dbeta []float32, maxBatch int) *BatchNorm {
	f := len(gamma)
	bn := &BatchNorm{
		Features: f,
		Gamma:    gamma, Beta: beta, DGamma: dgamma, DBeta: dbeta,
		RunningMean: make([]float32, f),
		RunningVar:  make([]float32, f),
		Tracked:     make([]int64, 1),
		xhat:        make([]float32, maxBatch*f),
		invStd:      make([]float32, f),
		s1:          make([]float64, f),
		s2:          make([]float64, f),
		scale:       make([]float32, f),
		shift:       make([]float32, f),
	}
	bn.Reset()
	return bn
}

// NewBatchNorm returns a BatchNorm of f features, for batches of up to
// maxBatch, that holds its own γ, β and their gradients (no MLP's views):
// a batch norm outside an MLP, whose owner decides what trains them.
func NewBatchNorm(f, maxBatch int) *BatchNorm {
	p := make([]float32, 4*f)
	return newBatchNorm(p[:f], p[f:2*f], p[2*f:3*f], p[3*f:], maxBatch)
}

// Reset sets γ = 1, β = 0 and the running statistics to mean 0, variance
// 1, no batch tracked: PyTorch's reset_parameters.
func (bn *BatchNorm) Reset() {
	for i := range bn.Gamma {
		bn.Gamma[i], bn.Beta[i] = 1, 0
		bn.RunningMean[i], bn.RunningVar[i] = 0, 1
	}
	bn.Tracked[0] = 0
}

// Forward normalises x (n, f) in training mode, stores the result in y (y
// may be x) and updates the running statistics. Backward uses what it
// keeps.
func (bn *BatchNorm) Forward(y, x []float32, n int) {
	f := bn.Features
	x, y = x[:n*f], y[:n*f]
	mean, vr := bn.s1, bn.s2
	clear(mean)
	clear(vr)
	for i := 0; i < n; i++ {
		for j, v := range x[i*f : i*f+f] {
			mean[j] += float64(v)
		}
	}
	for j := range mean {
		mean[j] /= float64(n)
	}
	for i := 0; i < n; i++ {
		for j, v := range x[i*f : i*f+f] {
			d := float64(v) - mean[j]
			vr[j] += d * d
		}
	}
	for j := range vr {
		vr[j] /= float64(n) // biased: the normalisation's
		bn.invStd[j] = float32(1 / math.Sqrt(vr[j]+BNEps))
	}
	xhat := bn.xhat[:n*f]
	for i := 0; i < n; i++ {
		row, hrow, yrow := x[i*f:i*f+f], xhat[i*f:i*f+f], y[i*f:i*f+f]
		for j, v := range row {
			h := (v - float32(mean[j])) * bn.invStd[j]
			hrow[j] = h
			yrow[j] = bn.Gamma[j]*h + bn.Beta[j]
		}
	}
	if n < 2 {
		return
	}
	unbias := float64(n) / float64(n-1)
	for j := range mean {
		bn.RunningMean[j] = float32((1-BNMomentum)*float64(bn.RunningMean[j]) + BNMomentum*mean[j])
		bn.RunningVar[j] = float32((1-BNMomentum)*float64(bn.RunningVar[j]) + BNMomentum*vr[j]*unbias)
	}
	bn.Tracked[0]++
}

// Infer normalises x (n, f) with the running statistics and stores the
// result in y (y may be x).
func (bn *BatchNorm) Infer(y, x []float32, n int) {
	f := bn.Features
	x, y = x[:n*f], y[:n*f]
	scale, shift := bn.scale, bn.shift
	for j := range scale {
		s := float64(bn.Gamma[j]) / math.Sqrt(float64(bn.RunningVar[j])+BNEps)
		scale[j] = float32(s)
		shift[j] = float32(float64(bn.Beta[j]) - s*float64(bn.RunningMean[j]))
	}
	for i := 0; i < n; i++ {
		row, yrow := x[i*f:i*f+f], y[i*f:i*f+f]
		for j, v := range row {
			yrow[j] = scale[j]*v + shift[j]
		}
	}
}

// Backward takes dy = ∂L/∂y (n, f) for the last Forward, adds ∂L/∂γ to
// DGamma and ∂L/∂β to DBeta, and stores ∂L/∂x in dx (dx may be dy):
//
//	dx = γ/(n·σ) · (n·dy − Σdy − x̂·Σ(dy·x̂))
func (bn *BatchNorm) Backward(dx, dy []float32, n int) {
	f := bn.Features
	dy, dx = dy[:n*f], dx[:n*f]
	xhat := bn.xhat[:n*f]
	sdy, sdyx := bn.s1, bn.s2
	clear(sdy)
	clear(sdyx)
	for i := 0; i < n; i++ {
		hrow := xhat[i*f : i*f+f]
		for j, g := range dy[i*f : i*f+f] {
			sdy[j] += float64(g)
			sdyx[j] += float64(g) * float64(hrow[j])
		}
	}
	for j := range sdy {
		bn.DBeta[j] += float32(sdy[j])
		bn.DGamma[j] += float32(sdyx[j])
		sdy[j] /= float64(n)
		sdyx[j] /= float64(n)
	}
	for i := 0; i < n; i++ {
		hrow, grow, xrow := xhat[i*f:i*f+f], dy[i*f:i*f+f], dx[i*f:i*f+f]
		for j, g := range grow {
			k := bn.Gamma[j] * bn.invStd[j]
			xrow[j] = k * (g - float32(sdy[j]) - hrow[j]*float32(sdyx[j]))
		}
	}
}
