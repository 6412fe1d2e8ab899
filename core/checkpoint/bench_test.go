package checkpoint

import (
	"io"
	"math/rand/v2"
	"testing"
)

// Sinks keep the compiler from dropping the benchmarked work.
var (
	sinkBytes []byte
	sinkFile  *File
)

// benchModel returns the tensors of a 784-1000-1000-200 MLP, about 2M
// floats (1,986,200), the size of a Latent Lab encoder.
func benchModel() []Tensor {
	rng := rand.New(rand.NewPCG(9, 10))
	return randomTensors(rng, 0.05, []int{1000, 784}, []int{1000}, []int{1000, 1000}, []int{1000}, []int{200, 1000}, []int{200})
}

// modelBytes returns the size of ts's data in dtype.
func modelBytes(ts []Tensor, dtype DType) int64 {
	n := 0
	for _, t := range ts {
		n += len(t.Data)
	}
	return int64(n * dtype.size())
}

func BenchmarkEncode(b *testing.B) {
	ts := benchModel()
	for _, dtype := range []DType{F32, F16} {
		b.Run(string(dtype), func(b *testing.B) {
			b.SetBytes(modelBytes(ts, dtype))
			b.ReportAllocs()
			for b.Loop() {
				var err error
				if sinkBytes, err = Encode(ts, map[string]string{"format": "latentlab/1"}, dtype); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkWrite(b *testing.B) {
	ts := benchModel()
	for _, dtype := range []DType{F32, F16} {
		b.Run(string(dtype), func(b *testing.B) {
			b.SetBytes(modelBytes(ts, dtype))
			b.ReportAllocs()
			for b.Loop() {
				if err := Write(io.Discard, ts, map[string]string{"format": "latentlab/1"}, dtype); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkDecode(b *testing.B) {
	ts := benchModel()
	for _, dtype := range []DType{F32, F16} {
		b.Run(string(dtype), func(b *testing.B) {
			file, err := Encode(ts, map[string]string{"format": "latentlab/1"}, dtype)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(file)))
			b.ReportAllocs()
			for b.Loop() {
				if sinkFile, err = Decode(file); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
