//go:build wasm && goexperiment.simd

package optim

import (
	"simd/archsimd"
	"unsafe"
)

// adamUpdate is adamScalar four lanes at a time (wasm's f32x4 sqrt and div
// round as the scalar ones do: the same bits).
func adamUpdate(params, g, m, v []float32, c adamCoef) {
	n := len(g)
	if n == 0 {
		return
	}
	_, _, _ = params[n-1], m[n-1], v[n-1]
	b1, b2 := archsimd.BroadcastFloat32x4(c.b1), archsimd.BroadcastFloat32x4(c.b2)
	a1, a2 := archsimd.BroadcastFloat32x4(c.a1), archsimd.BroadcastFloat32x4(c.a2)
	eps, step := archsimd.BroadcastFloat32x4(c.eps), archsimd.BroadcastFloat32x4(c.step)
	isq := archsimd.BroadcastFloat32x4(c.invSqrtBC2)
	pp, pg := unsafe.Pointer(&params[0]), unsafe.Pointer(&g[0])
	pm, pv := unsafe.Pointer(&m[0]), unsafe.Pointer(&v[0])
	e := (n &^ 3) * 4
	for k := 0; k < e; k += 16 {
		gi := load(pg, k)
		mi := b1.Mul(load(pm, k)).Add(a1.Mul(gi))
		vi := b2.Mul(load(pv, k)).Add(a2.Mul(gi).Mul(gi))
		store(pm, k, mi)
		store(pv, k, vi)
		store(pp, k, load(pp, k).Sub(step.Mul(mi).Div(vi.Sqrt().Mul(isq).Add(eps))))
	}
	adamScalar(params[n&^3:], g[n&^3:], m[n&^3:], v[n&^3:], c)
}

func load(p unsafe.Pointer, off int) archsimd.Float32x4 {
	return archsimd.LoadFloat32x4Array((*[4]float32)(unsafe.Add(p, off)))
}

func store(p unsafe.Pointer, off int, x archsimd.Float32x4) {
	x.StoreArray((*[4]float32)(unsafe.Add(p, off)))
}
