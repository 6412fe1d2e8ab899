//go:build amd64 && goexperiment.simd

package optim

import (
	"simd/archsimd"
	"unsafe"
)

var avx2 = archsimd.X86.AVX2()

// adamUpdate is adamScalar eight lanes at a time on a CPU with AVX2
// (multiplies and adds kept apart, never fused, and sqrt and div rounded
// as the scalar ones: the same bits), the scalar loop elsewhere.
func adamUpdate(params, g, m, v []float32, c adamCoef) {
	n := len(g)
	if n < 8 || !avx2 {
		adamScalar(params, g, m, v, c)
		return
	}
	_, _, _ = params[n-1], m[n-1], v[n-1]
	b1, b2 := archsimd.BroadcastFloat32x8(c.b1), archsimd.BroadcastFloat32x8(c.b2)
	a1, a2 := archsimd.BroadcastFloat32x8(c.a1), archsimd.BroadcastFloat32x8(c.a2)
	eps, step := archsimd.BroadcastFloat32x8(c.eps), archsimd.BroadcastFloat32x8(c.step)
	isq := archsimd.BroadcastFloat32x8(c.invSqrtBC2)
	pp, pg := unsafe.Pointer(&params[0]), unsafe.Pointer(&g[0])
	pm, pv := unsafe.Pointer(&m[0]), unsafe.Pointer(&v[0])
	e := (n &^ 7) * 4
	for k := 0; k < e; k += 32 {
		gi := load(pg, k)
		mi := b1.Mul(load(pm, k)).Add(a1.Mul(gi))
		vi := b2.Mul(load(pv, k)).Add(a2.Mul(gi).Mul(gi))
		store(pm, k, mi)
		store(pv, k, vi)
		store(pp, k, load(pp, k).Sub(step.Mul(mi).Div(vi.Sqrt().Mul(isq).Add(eps))))
	}
	// VZEROUPPER before the SSE code that follows (see core/tensor).
	archsimd.ClearAVXUpperBits()
	adamScalar(params[n&^7:], g[n&^7:], m[n&^7:], v[n&^7:], c)
}

func load(p unsafe.Pointer, off int) archsimd.Float32x8 {
	return archsimd.LoadFloat32x8Array((*[8]float32)(unsafe.Add(p, off)))
}

func store(p unsafe.Pointer, off int, x archsimd.Float32x8) {
	x.StoreArray((*[8]float32)(unsafe.Add(p, off)))
}
