package safetensors

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

// benchEncoders runs write, which encodes the model ts as dtype, for F32
// and F16, counting the model's bytes and the allocations.
func benchEncoders(b *testing.B, write func(ts []Tensor, dtype DType) error) {
	ts := benchModel()
	for _, dtype := range []DType{F32, F16} {
		b.Run(string(dtype), func(b *testing.B) {
			b.SetBytes(modelBytes(ts, dtype))
			b.ReportAllocs()
			for b.Loop() {
				if err := write(ts, dtype); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkEncode(b *testing.B) {
	benchEncoders(b, func(ts []Tensor, dtype DType) (err error) {
		sinkBytes, err = Encode(ts, map[string]string{"format": "latentlab/1"}, dtype)
		return err
	})
}

func BenchmarkWrite(b *testing.B) {
	benchEncoders(b, func(ts []Tensor, dtype DType) error {
		return Write(io.Discard, ts, map[string]string{"format": "latentlab/1"}, dtype)
	})
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
