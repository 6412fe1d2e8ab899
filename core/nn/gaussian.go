package nn

import "math"

// Gaussian codes: an encoder whose output rows are [μ, log σ²] (2·lat
// values, μ first, as PyTorch's out.chunk(2, dim=1) splits them) gives
// codes z = μ + σ·ε by the reparameterisation trick (Kingma and Welling
// 2014), so the gradient reaches μ and log σ². The VAE adds the KL
// divergence to its prior; the AAE's Gaussian posterior regularises z
// adversarially instead.

// Reparameterise stores z = μ + exp(½·log σ²)·ε in z (n, lat), from out
// (n, 2·lat), whose rows are [μ, log σ²], and eps (n, lat).
func Reparameterise(z, out, eps []float32, n, lat int) {
	for i := range n {
		mu, logVar := out[2*i*lat:(2*i+1)*lat], out[(2*i+1)*lat:(2*i+2)*lat]
		for j := range lat {
			z[i*lat+j] = mu[j] + float32(math.Exp(0.5*float64(logVar[j])))*eps[i*lat+j]
		}
	}
}

// ReparameteriseBackward stores in dout (n, 2·lat) the gradient with
// respect to [μ, log σ²] of a loss whose gradient with respect to z =
// μ + σ·ε is dz: ∂L/∂μ = dz, ∂L/∂log σ² = dz·ε·σ/2.
func ReparameteriseBackward(dout, dz, out, eps []float32, n, lat int) {
	for i := range n {
		logVar := out[(2*i+1)*lat : (2*i+2)*lat]
		dmu, dlv := dout[2*i*lat:(2*i+1)*lat], dout[(2*i+1)*lat:(2*i+2)*lat]
		for j := range lat {
			g := dz[i*lat+j]
			dmu[j] = g
			dlv[j] = g * eps[i*lat+j] * 0.5 * float32(math.Exp(0.5*float64(logVar[j])))
		}
	}
}

// GaussianKL returns KL(N(μ, σ²) ‖ N(0, s2·I)) averaged over the n rows
// [μ, log σ²] of out (n, 2·lat), and adds its gradient to dout unless dout
// is nil:
//
//	∂/∂μ = μ/(s2·n),    ∂/∂log σ² = (σ²/s2 − 1)/(2n).
func GaussianKL(dout, out []float32, n, lat int, s2 float64) float64 {
	logS2, inv := math.Log(s2), 1/float64(n)
	var kl float64
	for i := range n {
		mu, logVar := out[2*i*lat:(2*i+1)*lat], out[(2*i+1)*lat:(2*i+2)*lat]
		for j := range lat {
			lv, u := float64(logVar[j]), float64(mu[j])
			v := math.Exp(lv)
			kl += 0.5 * (logS2 - lv + (v+u*u)/s2 - 1)
			if dout != nil {
				dout[2*i*lat+j] += float32(u / s2 * inv)
				dout[(2*i+1)*lat+j] += float32(0.5 * (v/s2 - 1) * inv)
			}
		}
	}
	return kl * inv
}
