package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"

	"latentlab/core/fileio"
)

// A curve of a row's plot: a key of its results lines, with the label its
// legend gives it.
type curve struct{ key, label string }

// readResults returns the lines of a results file (JSON lines) of row name,
// in order.
func readResults(file, name string) ([]map[string]any, error) {
	f, err := fileio.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		var line map[string]any
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			return nil, fmt.Errorf("%s:%d: %v", file, n, err)
		}
		if line["row"] == name {
			out = append(out, line)
		}
	}
	return out, sc.Err()
}

// plotRow draws row r's learning curves from the results lines into a PNG
// file: each of r.curves against epochs, and the paper's figure as a
// dashed line; percentages (r.percent) are drawn as such.
func plotRow(name string, r row, lines []map[string]any, out string) error {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("latentlab reproduce %s", name)
	p.X.Label.Text = "epochs"
	p.Y.Label.Text = r.unit
	scale := 1.0
	if r.percent {
		scale = 100
	}
	maxX := 0.0
	for i, c := range r.curves {
		var xy plotter.XYs
		for _, l := range lines {
			x, ok1 := l["epochs"].(float64)
			y, ok2 := l[c.key].(float64)
			if ok1 && ok2 {
				xy = append(xy, plotter.XY{X: x, Y: scale * y})
				maxX = max(maxX, x)
			}
		}
		if len(xy) == 0 {
			continue
		}
		line, points, err := plotter.NewLinePoints(xy)
		if err != nil {
			return err
		}
		line.Color = plotutil.Color(i)
		points.Color = plotutil.Color(i)
		points.Shape = plotutil.Shape(i)
		p.Add(line, points)
		p.Legend.Add(c.label, line, points)
	}
	if r.paper != 0 && maxX > 0 {
		ref, err := plotter.NewLine(plotter.XYs{{X: 0, Y: r.paper}, {X: maxX, Y: r.paper}})
		if err != nil {
			return err
		}
		ref.Color = color.Gray{Y: 110}
		ref.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		p.Add(ref)
		p.Legend.Add("the paper", ref)
	}
	// Errors fall from the top: their legend goes top right, above them;
	// a likelihood rises: its legend goes bottom left, below it.
	if r.percent {
		p.Legend.Top = true
		p.Y.Min = 0
		p.Y.Max *= 1.45
	} else {
		p.Legend.Left = true
	}
	p.Add(plotter.NewGrid())
	return p.Save(6*vg.Inch, 3.6*vg.Inch, out)
}
