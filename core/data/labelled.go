package data

import (
	"fmt"
	"math/rand/v2"
)

// Unlabelled is the label MaskLabels gives digits outside the labelled
// subset.
const Unlabelled = 255

// LabelledSubset chooses count images of s whose labels training may use,
// as semi-supervised experiments do: the same number of each label
// (count/10, the first count%10 labels one more), drawn with a generator
// seeded by seed, in ascending index order. If count ≥ s.N it returns every
// index. A label with too few images is an error.
func LabelledSubset(s *Set, count int, seed uint64) ([]int, error) {
	if count <= 0 {
		return nil, fmt.Errorf("data: a labelled subset of %d images", count)
	}
	if count >= s.N {
		all := make([]int, s.N)
		for i := range all {
			all[i] = i
		}
		return all, nil
	}
	byLabel := make([][]int, 10)
	for i, l := range s.Labels {
		if l < 10 {
			byLabel[l] = append(byLabel[l], i)
		}
	}
	r := rand.New(rand.NewPCG(seed, pcgStream+1))
	chosen := make([]bool, s.N)
	for l, idx := range byLabel {
		want := count / 10
		if l < count%10 {
			want++
		}
		if want > len(idx) {
			return nil, fmt.Errorf("data: %d labelled images of digit %d wanted, the set has %d", want, l, len(idx))
		}
		// A partial Fisher–Yates shuffle picks want of them.
		for i := range want {
			j := i + r.IntN(len(idx)-i)
			idx[i], idx[j] = idx[j], idx[i]
			chosen[idx[i]] = true
		}
	}
	out := make([]int, 0, count)
	for i, c := range chosen {
		if c {
			out = append(out, i)
		}
	}
	return out, nil
}

// MaskLabels returns s with the labels of images outside idx replaced by
// Unlabelled; the pixels are shared.
func (s *Set) MaskLabels(idx []int) *Set {
	labels := make([]uint8, s.N)
	for i := range labels {
		labels[i] = Unlabelled
	}
	for _, i := range idx {
		labels[i] = s.Labels[i]
	}
	return &Set{N: s.N, Rows: s.Rows, Cols: s.Cols, Pix: s.Pix, Labels: labels}
}

// Select returns a new Set holding images idx of s, in that order.
func (s *Set) Select(idx []int) *Set {
	d := s.Dim()
	out := &Set{N: len(idx), Rows: s.Rows, Cols: s.Cols, Pix: make([]uint8, len(idx)*d), Labels: make([]uint8, len(idx))}
	for i, j := range idx {
		copy(out.Pix[i*d:(i+1)*d], s.Pix[j*d:(j+1)*d])
		out.Labels[i] = s.Labels[j]
	}
	return out
}
