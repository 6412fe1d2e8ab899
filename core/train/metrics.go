package train

import (
	"math"

	"latentlab/core/data"
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
//   - "cluster_error_valid": the paper's clustering error (§7): each
//     category takes the label of the held-out validation digit it is most
//     confident of, and the test digits are read through those labels
//     (a model.Classifier trained without labels, when the config holds
//     digits out);
//   - "valid_error": the held-out digits' classification error, for
//     choosing among a run's checkpoints (labels and digits held out);
//   - "valid_cluster_error": the held-out digits' cluster error, each
//     category labelled by their majority: for choosing among a run's
//     checkpoints of a model trained without labels (digits held out);
//   - whatever a model.Evaluator adds.
func (s *Session) Metrics() map[string]float64 { return s.MetricsProgress(nil) }

// MetricsProgress is Metrics, calling progress (unless nil) with the
// fraction of the work done, from 0 to 1, after each batch of digits it
// goes through (a model.Evaluator's measures count as one pass over the
// test digits, reported when they are done).
func (s *Session) MetricsProgress(progress func(float64)) map[string]float64 {
	out := map[string]float64{}
	_, ev := s.Model.(model.Evaluator)
	_, ae := s.Model.(model.Autoencoder)
	_, dens := s.Model.(model.Density)
	_, cl := s.Model.(model.Classifier)
	passes := 0
	for _, on := range []bool{ev, ae, dens, cl} {
		if on {
			passes++
		}
	}
	s.meter = meter{total: passes * s.Test.N, f: progress}
	if cl && s.Valid != nil {
		s.meter.total += s.Valid.N
	}
	defer func() { s.meter = meter{} }()
	if e, ok := s.Model.(model.Evaluator); ok {
		for k, v := range e.Evaluate(s.Train, s.Test) {
			out[k] = v
		}
		s.meter.add(s.Test.N)
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
		labelled := s.Model.Config().Labels > 0
		if labelled {
			out["test_error"] = ClassError(pred, s.Test.Labels)
		}
		out["cluster_error"], _ = ClusterError(pred, s.Test.Labels, c.Classes())
		if s.Valid != nil {
			probs := s.classify(c, s.Valid)
			if labelled {
				out["valid_error"] = ClassError(argmaxRows(probs, c.Classes()), s.Valid.Labels)
			} else {
				out["valid_cluster_error"], _ = ClusterError(argmaxRows(probs, c.Classes()), s.Valid.Labels, c.Classes())
				names := ConfidentLabels(probs, s.Valid.Labels, c.Classes())
				for i, p := range pred {
					pred[i] = names[p]
				}
				out["cluster_error_valid"] = ClassError(pred, s.Test.Labels)
			}
		}
	}
	return out
}

// Predict returns the most probable class of every test digit.
func (s *Session) Predict(c model.Classifier) []int {
	return argmaxRows(s.classify(c, s.Test), c.Classes())
}

// classify returns c's class probabilities of every digit of set, a row of
// c.Classes() values each.
func (s *Session) classify(c model.Classifier, set *data.Set) []float32 {
	k := c.Classes()
	p := make([]float32, set.N*k)
	done := 0
	s.eachChunk(set, 0, set.N, func(x []float32, n int) {
		c.Classify(p[done*k:(done+n)*k], x, n)
		done += n
	})
	return p
}

// argmaxRows returns the index of the largest value of each row of k.
func argmaxRows(p []float32, k int) []int {
	out := make([]int, len(p)/k)
	for i := range out {
		row := p[i*k : (i+1)*k]
		best := 0
		for j, v := range row {
			if v > row[best] {
				best = j
			}
		}
		out[i] = best
	}
	return out
}

// ConfidentLabels gives each of k categories the label of the digit of
// probs (rows of k probabilities, one per digit of labels) whose
// probability of that category is highest: the paper's labelling of
// clusters by a validation set (§7). A category no digit gives any
// probability takes label -1, which no digit has.
func ConfidentLabels(probs []float32, labels []uint8, k int) []int {
	out := make([]int, k)
	for c := range out {
		out[c] = -1
		best := float32(0)
		for i, l := range labels {
			if p := probs[i*k+c]; p > best {
				best, out[c] = p, int(l)
			}
		}
	}
	return out
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
