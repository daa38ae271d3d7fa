package main

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"os"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

var (
	white = color.RGBA{255, 255, 255, 255}
	ink   = color.RGBA{40, 40, 40, 255}
	grid  = color.RGBA{225, 225, 225, 255}
	ferry = color.RGBA{31, 119, 180, 255}  // Ferry's rows
	ref   = color.RGBA{170, 170, 170, 255} // ceilings and floors
	limit = color.RGBA{214, 39, 40, 255}
)

// writeChart draws the median msgs/s of every benchmark as horizontal
// bars (Ferry in blue, ceilings and floors in grey) and, when B5 ran, its
// RSS over time against the 256 MiB target.
func (r *report) writeChart(path string) error {
	const (
		w      = 900
		rowH   = 26
		left   = 170
		right  = 110
		top    = 40
		memH   = 260
		margin = 20
	)
	var rows []bench
	for _, b := range r.benches {
		if len(r.results[b.name]) > 0 {
			rows = append(rows, b)
		}
	}
	barsH := top + rowH*len(rows) + 30
	h := barsH
	if r.mem != nil && len(r.mem.RSS) > 1 {
		h += memH + 2*margin
	}
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), image.NewUniform(white), image.Point{}, draw.Src)

	text(img, margin, 22, ink, "median messages per second ("+fmt.Sprint(r.o.records)+" records, "+fmt.Sprint(r.o.reps)+" interleaved rounds)")
	var maxRate float64
	for _, b := range rows {
		maxRate = max(maxRate, r.rate(b.name))
	}
	plotW := float64(w - left - right)
	for i := 0; i <= 4; i++ {
		x := left + int(plotW*float64(i)/4)
		vline(img, x, top-4, top+rowH*len(rows), grid)
		text(img, x-20, top+rowH*len(rows)+16, ink, thousands(maxRate*float64(i)/4))
	}
	for i, b := range rows {
		y := top + i*rowH
		rate := r.rate(b.name)
		c := ferry
		if b.ceiling == "" && b.floor == "" {
			c = ref
		}
		bw := int(plotW * rate / maxRate)
		fill(img, image.Rect(left, y+4, left+bw, y+rowH-4), c)
		text(img, margin, y+rowH/2+4, ink, b.name)
		text(img, left+bw+6, y+rowH/2+4, ink, thousands(rate))
	}

	if r.mem != nil && len(r.mem.RSS) > 1 {
		y0 := barsH + margin
		text(img, margin, y0+12, ink, fmt.Sprintf("B5: RSS over time, %s records into a slowed broker (red: 256 MiB target)", thousands(float64(r.mem.Records))))
		pt := image.Rect(left, y0+30, w-right, y0+memH)
		maxT := r.mem.RSS[len(r.mem.RSS)-1].T
		maxR := int64(300 << 20)
		for _, p := range r.mem.RSS {
			maxR = max(maxR, p.RSS)
		}
		px := func(t float64) int { return pt.Min.X + int(float64(pt.Dx())*t/maxT) }
		py := func(b int64) int { return pt.Max.Y - int(float64(pt.Dy())*float64(b)/float64(maxR)) }
		for i := 0; i <= 4; i++ {
			v := maxR * int64(i) / 4
			hline(img, pt.Min.X, pt.Max.X, py(v), grid)
			text(img, margin, py(v)+4, ink, fmt.Sprintf("%d MiB", v>>20))
			t := maxT * float64(i) / 4
			text(img, px(t)-10, pt.Max.Y+16, ink, fmt.Sprintf("%.0fs", t))
		}
		hline(img, pt.Min.X, pt.Max.X, py(256<<20), limit)
		for i := 1; i < len(r.mem.RSS); i++ {
			a, b := r.mem.RSS[i-1], r.mem.RSS[i]
			line(img, px(a.T), py(a.RSS), px(b.T), py(b.RSS), ferry)
		}
	}

	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func text(img draw.Image, x, y int, c color.Color, s string) {
	d := font.Drawer{Dst: img, Src: image.NewUniform(c), Face: basicfont.Face7x13, Dot: fixed.P(x, y)}
	d.DrawString(s)
}

func fill(img draw.Image, r image.Rectangle, c color.Color) {
	draw.Draw(img, r, image.NewUniform(c), image.Point{}, draw.Src)
}

func vline(img draw.Image, x, y0, y1 int, c color.Color) { fill(img, image.Rect(x, y0, x+1, y1), c) }
func hline(img draw.Image, x0, x1, y int, c color.Color) { fill(img, image.Rect(x0, y, x1, y+1), c) }

// line draws a two-pixel line from (x0,y0) to (x1,y1).
func line(img *image.RGBA, x0, y0, x1, y1 int, c color.RGBA) {
	dx, dy := x1-x0, y1-y0
	steps := max(abs(dx), abs(dy), 1)
	for i := 0; i <= steps; i++ {
		x, y := x0+dx*i/steps, y0+dy*i/steps
		img.SetRGBA(x, y, c)
		img.SetRGBA(x, y+1, c)
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
