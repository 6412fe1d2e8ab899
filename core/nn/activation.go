package nn

import (
	"fmt"
	"math"
)

// LeakySlope is the slope of LeakyReLU for negative inputs, as in the reference implementations.
const LeakySlope = 0.2

// Activation is an elementwise nonlinearity applied after a dense layer.
type Activation int

// The activations. Identity leaves logits as they are.
const (
	Identity Activation = iota
	ReLU
	LeakyReLU
	Sigmoid
	Tanh
)

var activationNames = [...]string{"identity", "relu", "leakyrelu", "sigmoid", "tanh"}

// String returns the activation's name as configs spell it.
func (a Activation) String() string {
	if a < 0 || int(a) >= len(activationNames) {
		return fmt.Sprintf("Activation(%d)", int(a))
	}
	return activationNames[a]
}

// ParseActivation returns the activation named s ("relu", "leakyrelu",
// "sigmoid", "tanh" or "identity").
func ParseActivation(s string) (Activation, error) {
	for i, name := range activationNames {
		if s == name {
			return Activation(i), nil
		}
	}
	return 0, fmt.Errorf("nn: unknown activation %q (want relu, leakyrelu, sigmoid, tanh or identity)", s)
}

// Forward stores act(x) in y; y may be x.
func (a Activation) Forward(y, x []float32) {
	switch a {
	case Identity:
		copy(y, x)
	case ReLU:
		ReLUForward(y, x)
	case LeakyReLU:
		LeakyReLUForward(y, x)
	case Sigmoid:
		SigmoidForward(y, x)
	case Tanh:
		TanhForward(y, x)
	default:
		panic("nn: bad activation")
	}
}

// Backward stores dy·act'(x) in dx, given y = act(x); dx may be dy.
func (a Activation) Backward(dx, dy, y []float32) {
	switch a {
	case Identity:
		copy(dx, dy)
	case ReLU:
		ReLUBackward(dx, dy, y)
	case LeakyReLU:
		LeakyReLUBackward(dx, dy, y)
	case Sigmoid:
		SigmoidBackward(dx, dy, y)
	case Tanh:
		TanhBackward(dx, dy, y)
	default:
		panic("nn: bad activation")
	}
}

// ReLUForward stores max(x, 0) in y (NaN stays NaN).
func ReLUForward(y, x []float32) { reluForward(y[:len(x)], x) }

func reluForwardScalar(y, x []float32) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] = max(v, 0)
	}
}

// ReLUBackward stores dy·[y > 0] in dx.
//
//	y = max(x, 0)  ⇒  dx = dy if y > 0 else 0
func ReLUBackward(dx, dy, y []float32) { reluBackward(dx[:len(y)], dy[:len(y)], y) }

func reluBackwardScalar(dx, dy, y []float32) {
	dx = dx[:len(y)]
	dy = dy[:len(y)]
	for i, v := range y {
		if v > 0 {
			dx[i] = dy[i]
		} else {
			dx[i] = 0
		}
	}
}

// LeakyReLUForward stores x if x > 0, else LeakySlope·x, in y.
func LeakyReLUForward(y, x []float32) {
	y = y[:len(x)]
	for i, v := range x {
		if v > 0 {
			y[i] = v
		} else {
			y[i] = LeakySlope * v
		}
	}
}

// LeakyReLUBackward stores dy·(1 if y > 0 else LeakySlope) in dx; the sign
// of y is the sign of x.
func LeakyReLUBackward(dx, dy, y []float32) {
	dx = dx[:len(y)]
	dy = dy[:len(y)]
	for i, v := range y {
		if v > 0 {
			dx[i] = dy[i]
		} else {
			dx[i] = LeakySlope * dy[i]
		}
	}
}

// SigmoidForward stores 1/(1+e^-x) in y, computed without overflow.
func SigmoidForward(y, x []float32) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] = sigmoid(v)
	}
}

func sigmoid(v float32) float32 {
	if v >= 0 {
		return float32(1 / (1 + math.Exp(-float64(v))))
	}
	e := math.Exp(float64(v))
	return float32(e / (1 + e))
}

// SigmoidBackward stores dy·y·(1−y) in dx.
//
//	y = σ(x)  ⇒  dx = dy·σ(x)·(1−σ(x))
func SigmoidBackward(dx, dy, y []float32) {
	dx = dx[:len(y)]
	dy = dy[:len(y)]
	for i, v := range y {
		dx[i] = dy[i] * v * (1 - v)
	}
}

// TanhForward stores tanh(x) in y.
func TanhForward(y, x []float32) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] = float32(math.Tanh(float64(v)))
	}
}

// TanhBackward stores dy·(1−y²) in dx.
//
//	y = tanh(x)  ⇒  dx = dy·(1 − tanh²(x))
func TanhBackward(dx, dy, y []float32) {
	dx = dx[:len(y)]
	dy = dy[:len(y)]
	for i, v := range y {
		dx[i] = dy[i] * (1 - v*v)
	}
}
