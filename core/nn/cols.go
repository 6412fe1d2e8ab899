package nn

// Column joins and splits: a layer whose input is two blocks of columns
// side by side, [a, b] (a decoder reading a class and a style, an encoder
// reading pixels and noise, a discriminator reading a pair), joins them in
// its forward pass and splits its input gradient the same way in its
// backward pass.

// JoinCols stores row i of dst (n, da+db) as row i of a (n, da) then row i
// of b (n, db): the forward pass of a column concatenation. A nil b joins
// zeros. It allocates nothing.
func JoinCols(dst, a, b []float32, n, da, db int) {
	w := da + db
	_ = dst[:n*w]
	for i := range n {
		row := dst[i*w : (i+1)*w]
		copy(row[:da], a[i*da:(i+1)*da])
		if b == nil {
			clear(row[da:])
		} else {
			copy(row[da:], b[i*db:(i+1)*db])
		}
	}
}

// SplitCols stores the first da columns of each of the n rows of src (n,
// da+db) in a (n, da) and the last db in b (n, db): the inverse of
// JoinCols, and its backward pass, taking the gradient of the joined
// input back to each block. A nil a or b is skipped. It allocates
// nothing.
func SplitCols(a, b, src []float32, n, da, db int) {
	w := da + db
	_ = src[:n*w]
	for i := range n {
		row := src[i*w : (i+1)*w]
		if a != nil {
			copy(a[i*da:(i+1)*da], row[:da])
		}
		if b != nil {
			copy(b[i*db:(i+1)*db], row[da:])
		}
	}
}
