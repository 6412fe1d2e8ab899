package adversarial

import (
	"latentlab/core/nn"
	"latentlab/core/optim"
)

// Critic is a discriminator network with its optimizer and its loss: the
// one adversarial regulariser of every kind that has one. An AAE's
// discriminators (core/aae, core/supervised, core/semisup) tell prior
// samples (real) from codes (fake) under the non-saturating loss; a GAN's
// (core/gan) tell digits from samples, or a BiGAN's pairs, under
// Config.GANLoss. Its network reads whatever rows its model feeds it and
// gives one output per row.
type Critic struct {
	Net  *nn.MLP
	Opt  optim.Optimizer
	Loss Loss
	// Update applies the network's gradients in Step; nil: Opt.Step. A
	// model whose replicas sum their gradients first sets its own.
	Update func(o optim.Optimizer, net *nn.MLP)
	dy     []float32 // (batch, 1) ∂L/∂output
}

// New returns the critic of net, updated by opt, scored by loss, for
// batches of at most batch rows.
func New(net *nn.MLP, opt optim.Optimizer, loss Loss, batch int) *Critic {
	return &Critic{Net: net, Opt: opt, Loss: loss, dy: make([]float32, batch)}
}

// Step is the discriminator's update on a batch it must call real and one
// it must call fake (each n rows): w·Disc(real, 1) + w·Disc(fake, 0), its
// gradients cleared first and applied by Update (Opt.Step when nil). An
// AAE weighs the halves 1, a GAN ½ (d_loss = (real + fake)/2, as the
// reference implementations). It returns the weighted loss and the mean
// of what the critic says of each batch (see Loss.meanOutput).
func (d *Critic) Step(real, fake []float32, n int, w float32) (loss, onReal, onFake float64) {
	d.Net.ZeroGrad()
	lr, onReal := d.Learn(real, n, 1, w)
	lf, onFake := d.Learn(fake, n, 0, w)
	if d.Update == nil {
		d.Opt.Step(d.Net.Params, d.Net.Grads)
	} else {
		d.Update(d.Opt, d.Net)
	}
	return lr + lf, onReal, onFake
}

// Learn adds to the discriminator's gradients those of w·Disc of its
// outputs on in (n rows) for target t (1 real, 0 fake), and returns
// w·Disc and the mean of what it says of the rows (see meanOutput).
func (d *Critic) Learn(in []float32, n int, t, w float32) (loss, mean float64) {
	y := d.Net.Forward(in, n)
	mean = d.Loss.meanOutput(y)
	dy := d.dy[:n]
	loss = d.Loss.Disc(dy, y, t, n)
	scale(dy, w)
	d.Net.BackwardParams(dy, n)
	return float64(w) * loss, mean
}

// Fool runs the discriminator on in (n rows it is trained to call t) and
// returns Gen, the generator's loss, and the gradient of w·Gen with
// respect to in: the generator's (or encoder's) step through the critic.
// The gradient is a view of the network's buffer that its next Backward
// overwrites. It leaves gradients in the network's Grads, which Step
// clears before the discriminator's next update.
func (d *Critic) Fool(in []float32, n int, t, w float32) (float64, []float32) {
	y := d.Net.Forward(in, n)
	dy := d.dy[:n]
	loss := d.Loss.Gen(dy, y, t, n)
	scale(dy, w)
	return loss, d.Net.Backward(dy, n)
}

// scale multiplies x by w.
func scale(x []float32, w float32) {
	if w == 1 {
		return
	}
	for i := range x {
		x[i] *= w
	}
}
