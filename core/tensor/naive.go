package tensor

// MulXWtNaive stores x·wᵀ in y. It is the reference for MulXWt.
//
// x (n,in), w (out,in), y (n,out)
func MulXWtNaive(y, x, w []float32, n, in, out int) {
	checkXWt(y, x, w, n, in, out)
	for i := 0; i < n; i++ {
		for o := 0; o < out; o++ {
			var s float32
			for k := 0; k < in; k++ {
				s += x[i*in+k] * w[o*in+k]
			}
			y[i*out+o] = s
		}
	}
}

// AddDyTXNaive adds dyᵀ·x to dw. It is the reference for AddDyTX.
//
// dy (n,out), x (n,in), dw (out,in)
func AddDyTXNaive(dw, dy, x []float32, n, in, out int) {
	checkDyTX(dw, dy, x, n, in, out)
	for o := 0; o < out; o++ {
		for k := 0; k < in; k++ {
			var s float32
			for i := 0; i < n; i++ {
				s += dy[i*out+o] * x[i*in+k]
			}
			dw[o*in+k] += s
		}
	}
}

// MulDyWNaive stores dy·w in dx. It is the reference for MulDyW.
//
// dy (n,out), w (out,in), dx (n,in)
func MulDyWNaive(dx, dy, w []float32, n, in, out int) {
	checkDyW(dx, dy, w, n, in, out)
	for i := 0; i < n; i++ {
		for k := 0; k < in; k++ {
			var s float32
			for o := 0; o < out; o++ {
				s += dy[i*out+o] * w[o*in+k]
			}
			dx[i*in+k] = s
		}
	}
}

func checkXWt(y, x, w []float32, n, in, out int) {
	need("y", y, n*out)
	need("x", x, n*in)
	need("w", w, out*in)
}

func checkDyTX(dw, dy, x []float32, n, in, out int) {
	need("dw", dw, out*in)
	need("dy", dy, n*out)
	need("x", x, n*in)
}

func checkDyW(dx, dy, w []float32, n, in, out int) {
	need("dx", dx, n*in)
	need("dy", dy, n*out)
	need("w", w, out*in)
}

func need(name string, s []float32, size int) {
	if size < 0 {
		panic("tensor: negative size for " + name)
	}
	if len(s) < size {
		panic("tensor: " + name + " is shorter than its shape")
	}
}
