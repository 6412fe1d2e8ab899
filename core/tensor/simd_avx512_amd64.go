//go:build goexperiment.simd && amd64

package tensor

import (
	"simd/archsimd"
	"unsafe"
)

// On a CPU with AVX-512, the products run 512-bit tiles: 4 rows × 32
// columns, 8 accumulators of 16 lanes, twice the multiply-adds of the AVX2
// tiles for each load and broadcast; the products around them are the
// AVX2 set's (tiles in simd_amd64.go), on 32 columns. This file's init
// runs after simd_amd64.go's (files initialise in name order) and
// replaces its set.
//
// Every element is still c plus a chain of fused multiply-adds in the order
// of k (or j), as in the AVX2 kernels, and the columns a 32-wide tile does
// not cover go to those kernels: the bits are those of the AVX2 set, so a
// run gives the same numbers on a CPU with AVX-512 and on one with AVX2
// alone (TestAVX512SameBits).
func init() {
	if !archsimd.X86.AVX512() || !archsimd.X86.FMA() {
		return
	}
	set := avx512.kernelSet()
	kernels, kernelName = set, "avx512"
	kernelSets["avx512"] = set
}

func ld16(p unsafe.Pointer, off int) archsimd.Float32x16 {
	return archsimd.LoadFloat32x16Array((*[16]float32)(unsafe.Add(p, off)))
}

func st16(p unsafe.Pointer, off int, v archsimd.Float32x16) {
	v.StoreArray((*[16]float32)(unsafe.Add(p, off)))
}

func splat16(p unsafe.Pointer, off int) archsimd.Float32x16 {
	return archsimd.BroadcastFloat32x16(*(*float32)(unsafe.Add(p, off)))
}

// acc4x32 is acc4x16 with 16-lane vectors: rows r = 0..3 of c get
// Σ_j a(r,j)·b[j, 0:32].
func acc4x32(c unsafe.Pointer, cs int, a unsafe.Pointer, ars, acs int, b unsafe.Pointer, bs, kk int) {
	c1, c2, c3 := unsafe.Add(c, cs*4), unsafe.Add(c, 2*cs*4), unsafe.Add(c, 3*cs*4)
	a1, a2, a3 := unsafe.Add(a, ars*4), unsafe.Add(a, 2*ars*4), unsafe.Add(a, 3*ars*4)
	s00, s01 := ld16(c, 0), ld16(c, 64)
	s10, s11 := ld16(c1, 0), ld16(c1, 64)
	s20, s21 := ld16(c2, 0), ld16(c2, 64)
	s30, s31 := ld16(c3, 0), ld16(c3, 64)
	oa, ob := 0, 0
	for range kk {
		b0, b1 := ld16(b, ob), ld16(b, ob+64)
		u := splat16(a, oa)
		s00 = u.MulAdd(b0, s00)
		s01 = u.MulAdd(b1, s01)
		u = splat16(a1, oa)
		s10 = u.MulAdd(b0, s10)
		s11 = u.MulAdd(b1, s11)
		u = splat16(a2, oa)
		s20 = u.MulAdd(b0, s20)
		s21 = u.MulAdd(b1, s21)
		u = splat16(a3, oa)
		s30 = u.MulAdd(b0, s30)
		s31 = u.MulAdd(b1, s31)
		oa += acs * 4
		ob += bs * 4
	}
	st16(c, 0, s00)
	st16(c, 64, s01)
	st16(c1, 0, s10)
	st16(c1, 64, s11)
	st16(c2, 0, s20)
	st16(c2, 64, s21)
	st16(c3, 0, s30)
	st16(c3, 64, s31)
}

// acc1x32 is acc4x32 for one row.
func acc1x32(c unsafe.Pointer, a unsafe.Pointer, acs int, b unsafe.Pointer, bs, kk int) {
	s0, s1 := ld16(c, 0), ld16(c, 64)
	oa, ob := 0, 0
	for range kk {
		u := splat16(a, oa)
		s0 = u.MulAdd(ld16(b, ob), s0)
		s1 = u.MulAdd(ld16(b, ob+64), s1)
		oa += acs * 4
		ob += bs * 4
	}
	st16(c, 0, s0)
	st16(c, 64, s1)
}
