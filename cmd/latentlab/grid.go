package main

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"

	"latentlab/core/fileio"
	"latentlab/core/model"
	"latentlab/core/score"
)

// Layout of the PNG of samples that eval --png writes.
const (
	gridSide = 10 // digits per row and per column
	gridGap  = 2  // grey pixels between digits
)

// writeSampleGrid draws gridSide² digits from m with the seed the sample
// score uses (score.Rand), so they are the first of the digits the score
// sees, and writes them to path as a greyscale PNG, white strokes on
// black as MNIST is drawn, with grey gaps between digits.
func writeSampleGrid(path string, m model.Model) error {
	if !score.CanGenerate(m) {
		return fmt.Errorf("--png: a %q model draws no digits", m.Config().Model)
	}
	n := gridSide * gridSide
	x := make([]float32, n*model.Pixels)
	if err := score.Sample(x, m, n, score.Rand(m.Config())); err != nil {
		return err
	}
	side := gridSide*model.Side + (gridSide-1)*gridGap
	img := image.NewGray(image.Rect(0, 0, side, side))
	for i := range img.Pix {
		img.Pix[i] = 96
	}
	for k := range n {
		ox, oy := (k%gridSide)*(model.Side+gridGap), (k/gridSide)*(model.Side+gridGap)
		for p, v := range x[k*model.Pixels : (k+1)*model.Pixels] {
			v = min(max(v, 0), 1)
			img.SetGray(ox+p%model.Side, oy+p/model.Side, color.Gray{Y: uint8(v*255 + 0.5)})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return fmt.Errorf("--png: %w", err)
	}
	if err := fileio.Write(path, buf.Bytes()); err != nil {
		return fmt.Errorf("--png: %w", err)
	}
	return nil
}
