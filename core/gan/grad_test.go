package gan

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"latentlab/core/adversarial"
	"latentlab/core/gradcheck"
	"latentlab/core/model"
	"latentlab/core/nn"
)

// gradCase is a network whose gradients a finite-difference check
// compares: the loss f recomputes them.
type gradCase struct {
	name string
	net  *nn.MLP
}

// checkGradients compares the gradients f leaves in each network with
// central finite differences of f's value: on every parameter past the
// first layer and a sample of the first, and along sign(gradient) in each
// layer's weights and biases, a directional derivative that sums the
// layer's small gradients into one large enough to check at float32
// precision.
func checkGradients(t *testing.T, f func() float64, nets []gradCase) {
	t.Helper()
	const h = 1e-2
	for _, nc := range nets {
		net := nc.net
		loss := f()
		analytic := append([]float32(nil), net.Grads...)
		// Errors are relative, to at least a hundredth of the largest
		// gradient, and to at least the float32 rounding of the loss
		// (about 1e-6 of it) over 2h: the difference of two float32 sums
		// blurs the smallest gradients (the directional checks cover
		// them).
		floor := 1e-6 * max(1, math.Abs(loss)) / h
		for _, g := range analytic {
			floor = max(floor, 1e-2*math.Abs(float64(g)))
		}
		checked, worst := 0, 0.0
		compare := func(what string, num, ana float64) {
			err := math.Abs(num-ana) / math.Max(floor, math.Abs(num)+math.Abs(ana))
			worst = max(worst, err)
			checked++
			if err > 2e-2 {
				t.Fatalf("%s %s: analytic %.6g, numeric %.6g", nc.name, what, ana, num)
			}
		}
		_, checked = gradcheck.Check(t, gradcheck.Case{Name: nc.name, Params: net.Params, Analytic: analytic, Loss: f,
			Step: h, Floor: 1e-6 * max(1, math.Abs(loss)) / h, RelFloor: 1e-2,
			Skip: func(i int) bool { return i < len(net.W[0]) && i%31 != 0 || i >= len(net.W[0]) && i%23 != 0 }})
		if t.Failed() {
			t.FailNow()
		}
		blocks := append(append([][]float32(nil), net.W...), net.B...)
		directions := 0
		for l, block := range blocks {
			off := blockOffset(net, block)
			dir := make([]float32, len(block))
			var ana float64
			for i := range block {
				g := analytic[off+i]
				dir[i] = float32(math.Copysign(1, float64(g)))
				ana += math.Abs(float64(g))
			}
			if ana < floor {
				continue // a bias before batch norm, say, which has none
			}
			// A step that changes the loss by about 1e-4 of itself: far
			// above its rounding, small enough to stay linear.
			hd := float32(1e-4 * max(1, math.Abs(loss)) / ana)
			old := append([]float32(nil), block...)
			step := func(k float32) float64 {
				for i := range block {
					block[i] = old[i] + k*dir[i]
				}
				return f()
			}
			up, down := step(hd), step(-hd)
			copy(block, old)
			compare(fmt.Sprintf("block %d along sign(gradient)", l), (up-down)/(2*float64(hd)), ana)
			directions++
		}
		t.Logf("%s: worst relative error %.2g over %d directions (and %d parameters)", nc.name, worst, directions, checked-directions)
	}
}

// blockOffset returns the offset in net.Params of block, a view into it.
func blockOffset(net *nn.MLP, block []float32) int {
	for i := range net.Params {
		if &net.Params[i] == &block[0] {
			return i
		}
	}
	panic("not a view of Params")
}

// gradConfig is a small smooth (tanh) config for the gradient checks,
// with batch normalisation in the generator (and encoder).
func gradConfig(kind, loss string) model.Config {
	c := model.Defaults()
	c.Model, c.GANLoss, c.Latent, c.Encoder, c.Discriminator, c.Batch = kind, loss, 3, []int{6}, []int{5}, 8
	c.Activation, c.BatchNorm, c.PriorStd = "tanh", true, 1
	if err := c.Validate(); err != nil {
		panic(err)
	}
	return c
}

// TestGeneratorGradients checks, for each kind and loss, the gradients of
// the generator side's loss (through the discriminator and the sigmoid
// of the pixels, and for the BiGAN through the pair's code half) with
// respect to the generator's, encoder's and decoder's parameters, the
// noise held fixed.
func TestGeneratorGradients(t *testing.T) {
	const n = 8
	x := gradcheck.Inputs(rand.New(rand.NewPCG(3, 4)), n*model.Pixels)
	for _, loss := range adversarial.LossNames() {
		t.Run("gan/"+loss, func(t *testing.T) {
			m := New(gradConfig("gan", loss))
			scaleParams(m.disc.Net, 3)
			scaleFirst(m.Gen, 3)
			m.prior.Sample(m.z[:n*3], n, m.noise)
			f := func() float64 { return m.genGrad(generate(m.Gen, m.fake, m.z[:n*3], n), n) }
			checkGradients(t, f, []gradCase{{"generator", m.Gen}})
		})
		t.Run("bigan/"+loss, func(t *testing.T) {
			m := NewBiGAN(gradConfig("bigan", loss))
			scaleParams(m.disc.Net, 3)
			scaleFirst(m.Enc, 3)
			scaleFirst(m.Gen, 3)
			m.prior.Sample(m.z[:n*3], n, m.noise)
			f := func() float64 { m.forwardPairs(x, n); return m.genGrad(n) }
			checkGradients(t, f, []gradCase{{"encoder", m.Enc}, {"generator", m.Gen}})
		})
	}
	for _, adv := range []float64{0.7, 0} {
		t.Run(fmt.Sprintf("aegan/adv=%v", adv), func(t *testing.T) {
			c := gradConfig("aegan", "nonsaturating")
			c.AdvWeight = adv
			m := NewAEGAN(c)
			scaleParams(m.disc.Net, 3)
			scaleFirst(m.Enc, 3)
			scaleFirst(m.Dec, 3)
			m.prior.Sample(m.z[:n*3], n, m.noise)
			f := func() float64 {
				recon, gen := m.genGrad(x, generate(m.Dec, m.fake, m.z[:n*3], n), n)
				return recon + adv*gen
			}
			checkGradients(t, f, []gradCase{{"encoder", m.Enc}, {"decoder", m.Dec}})
		})
	}
}

// scaleParams multiplies a network's parameters by k: a discriminator with
// larger weights than Init's has gradients that matter.
func scaleParams(net *nn.MLP, k float32) {
	for i := range net.Params {
		net.Params[i] *= k
	}
}

// scaleFirst multiplies a network's first-layer weights by k: their
// outputs then vary more over the batch than a finite-difference step
// moves them, which keeps batch normalisation's curvature out of the
// differences.
func scaleFirst(net *nn.MLP, k float32) {
	for i := range net.W[0] {
		net.W[0][i] *= k
	}
}
