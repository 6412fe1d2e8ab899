package data

import "testing"

func TestLabelledSubset(t *testing.T) {
	tr, _, err := LoadTestSubset()
	if err != nil {
		t.Fatal(err)
	}
	idx, err := LabelledSubset(tr, 103, 7)
	if err != nil {
		t.Fatal(err)
	}
	if len(idx) != 103 {
		t.Fatalf("%d images, want 103", len(idx))
	}
	per := make([]int, 10)
	for k, i := range idx {
		if k > 0 && idx[k-1] >= i {
			t.Fatalf("indices not ascending at %d", k)
		}
		per[tr.Labels[i]]++
	}
	for l, n := range per {
		if want := 10 + map[bool]int{true: 1}[l < 3]; n != want {
			t.Errorf("digit %d: %d labelled, want %d", l, n, want)
		}
	}
	again, _ := LabelledSubset(tr, 103, 7)
	other, _ := LabelledSubset(tr, 103, 8)
	same := func(a, b []int) bool {
		for i := range a {
			if a[i] != b[i] {
				return false
			}
		}
		return true
	}
	if !same(idx, again) || same(idx, other) {
		t.Error("the subset should depend on the seed alone")
	}
	masked := tr.MaskLabels(idx)
	n := 0
	for i, l := range masked.Labels {
		if l != Unlabelled {
			n++
			if l != tr.Labels[i] {
				t.Fatalf("label %d changed", i)
			}
		}
	}
	if n != 103 {
		t.Errorf("%d labels kept, want 103", n)
	}
	sel := tr.Select(idx)
	if sel.N != 103 || sel.Labels[5] != tr.Labels[idx[5]] || sel.Pix[5*784+300] != tr.Pix[idx[5]*784+300] {
		t.Error("Select copied the wrong images")
	}
	if all, _ := LabelledSubset(tr, tr.N+5, 1); len(all) != tr.N {
		t.Errorf("count above N gives %d images", len(all))
	}
	if _, err := LabelledSubset(tr, tr.N-1, 1); err == nil {
		t.Error("want an error when a digit has too few images")
	}
}
