package train

import (
	"math"

	"latentlab/core/model"
)

// Metrics evaluates the model on the whole test set and returns what its
// capabilities allow, by name:
//   - "test_recon": reconstruction loss, nats per image (model.Autoencoder);
//   - "test_nll", "bits_per_pixel": negative log-likelihood in nats per
//     image and in bits per pixel (model.Density);
//   - "test_error": fraction of test digits misclassified, class i read as
//     digit i (a model.Classifier trained with labels);
//   - "cluster_error": the same after each category takes the label most
//     of its test digits have (any model.Classifier);
//   - whatever a model.Evaluator adds.
func (s *Session) Metrics() map[string]float64 {
	out := map[string]float64{}
	if e, ok := s.Model.(model.Evaluator); ok {
		for k, v := range e.Evaluate(s.Train, s.Test) {
			out[k] = v
		}
	}
	if _, ok := s.Model.(model.Autoencoder); ok {
		out["test_recon"] = s.MeanTestLoss()
	}
	if d, ok := s.Model.(model.Density); ok {
		var sum float64
		s.eachTestChunk(0, s.Test.N, func(x []float32, k int) { sum += d.NLL(x, k) })
		nll := sum / float64(s.Test.N)
		out["test_nll"] = nll
		out["bits_per_pixel"] = nll / (model.Pixels * math.Ln2)
	}
	if c, ok := s.Model.(model.Classifier); ok {
		pred := s.Predict(c)
		if s.Model.Config().Labels > 0 {
			out["test_error"] = ClassError(pred, s.Test.Labels)
		}
		out["cluster_error"], _ = ClusterError(pred, s.Test.Labels, c.Classes())
	}
	return out
}

// Predict returns the most probable class of every test digit.
func (s *Session) Predict(c model.Classifier) []int {
	k := c.Classes()
	p := make([]float32, len(s.idx)*k)
	pred := make([]int, 0, s.Test.N)
	s.eachTestChunk(0, s.Test.N, func(x []float32, n int) {
		c.Classify(p, x, n)
		for i := range n {
			row := p[i*k : (i+1)*k]
			best := 0
			for j, v := range row {
				if v > row[best] {
					best = j
				}
			}
			pred = append(pred, best)
		}
	})
	return pred
}

// ClassError returns the fraction of pred that differ from labels.
func ClassError(pred []int, labels []uint8) float64 {
	wrong := 0
	for i, p := range pred {
		if p != int(labels[i]) {
			wrong++
		}
	}
	return float64(wrong) / float64(len(pred))
}

// ClusterError returns the error of clusters pred (in 0..k-1) once each
// takes the label most of its members have, and that label per cluster
// (-1 for an empty one).
func ClusterError(pred []int, labels []uint8, k int) (float64, []int) {
	counts := make([][10]int, k)
	for i, p := range pred {
		if l := labels[i]; l < 10 {
			counts[p][l]++
		}
	}
	major := make([]int, k)
	right := 0
	for c, row := range counts {
		major[c] = -1
		best := 0
		for l, n := range row {
			if n > best {
				best, major[c] = n, l
			}
		}
		right += best
	}
	return 1 - float64(right)/float64(len(pred)), major
}
