package main

import (
	"fmt"
	"os"
	"strings"
	"time"
)

// report is what one harness run found.
type report struct {
	o       options
	benches []bench
	results map[string][]measure
	mem     *measure
	took    time.Duration
	when    time.Time
}

func newReport(o options, benches []bench, results map[string][]measure, mem *measure, took time.Duration) *report {
	return &report{o: o, benches: benches, results: results, mem: mem, took: took, when: time.Now().UTC()}
}

func (r *report) rate(name string) float64 {
	return median(r.results[name], measure.rate)
}

// targets are the issue's, as minimum ratios to the ceiling.
var targets = map[string]float64{"B8": 0.98, "B1": 0.5, "B2": 0.3, "B3": 0.35, "B4": 0.15, "B6": 0.5, "B7": 0.5}

func ratio(a, b float64) string {
	if a == 0 || b == 0 {
		return ""
	}
	return fmt.Sprintf("%.2f×", a/b)
}

func (r *report) table() string {
	var b strings.Builder
	b.WriteString("| benchmark | what | input shape | msgs/s | MB/s | CPU s per M records | peak RSS MiB | vs ceiling | vs floor |\n")
	b.WriteString("|---|---|---|---:|---:|---:|---:|---:|---:|\n")
	for _, bn := range r.benches {
		ms := r.results[bn.name]
		if len(ms) == 0 {
			continue
		}
		rate := r.rate(bn.name)
		vsC, vsF := "", ""
		if bn.ceiling != "" {
			vsC = ratio(rate, r.rate(bn.ceiling)) + " of " + bn.ceiling
		}
		if bn.floor != "" {
			vsF = ratio(rate, r.rate(bn.floor)) + " of " + bn.floor
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %.1f | %.2f | %.0f | %s | %s |\n", bn.name, bn.what, bn.shape,
			thousands(rate), median(ms, measure.mbps), median(ms, measure.cpuPerM), median(ms, func(m measure) float64 { return float64(m.PeakRSS) / (1 << 20) }), vsC, vsF)
	}
	return b.String()
}

// verdicts compares the medians with the targets.
func (r *report) verdicts() string {
	var b strings.Builder
	line := func(name, target string, got float64, ok bool) {
		mark := "met"
		if !ok {
			mark = "**not met**"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", name, target, fmtRatio(got), mark)
	}
	b.WriteString("| benchmark | target | measured | |\n|---|---|---:|---|\n")
	for _, bn := range r.benches {
		if len(r.results[bn.name]) == 0 {
			continue
		}
		rate := r.rate(bn.name)
		if t, ok := targets[bn.name]; ok && bn.ceiling != "" && len(r.results[bn.ceiling]) > 0 {
			got := rate / r.rate(bn.ceiling)
			line(bn.name, fmt.Sprintf("≥ %.2f× %s", t, bn.ceiling), got, got >= t)
		}
		if bn.name == "B1" && len(r.results[bn.floor]) > 0 {
			got := rate / r.rate(bn.floor)
			line(bn.name, "≥ 0.60× "+bn.floor, got, got >= 0.6)
		}
		if bn.name == "B1u" {
			fmt.Fprintf(&b, "| B1u | ≥ 50,000 msg/s, minimal config | %s msg/s | %s |\n", thousands(rate), map[bool]string{true: "met", false: "**not met**"}[rate >= 50_000])
		}
	}
	if r.mem != nil {
		first, second := r.mem.halves()
		ok := r.mem.PeakRSS < 256<<20
		fmt.Fprintf(&b, "| B5 | peak RSS < 256 MiB, flat after warm-up | peak %.0f MiB; RSS max %.0f MiB in the first half, %.0f MiB in the second | %s |\n",
			float64(r.mem.PeakRSS)/(1<<20), float64(first)/(1<<20), float64(second)/(1<<20), map[bool]string{true: "met", false: "**not met**"}[ok && second <= first+first/10])
	}
	return b.String()
}

func fmtRatio(f float64) string { return fmt.Sprintf("%.2f×", f) }

// halves is the largest RSS sampled in the first and the second half of
// the run: a flat profile has the second no larger than the first.
func (m measure) halves() (first, second int64) {
	if len(m.RSS) == 0 {
		return 0, 0
	}
	mid := m.RSS[len(m.RSS)-1].T / 2
	for _, p := range m.RSS {
		if p.T < mid {
			first = max(first, p.RSS)
		} else {
			second = max(second, p.RSS)
		}
	}
	return first, second
}

func thousands(f float64) string {
	s := fmt.Sprintf("%.0f", f)
	var out []byte
	for i := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}

const (
	docBegin = "<!-- bench:begin (written by `make bench`; edit outside these markers) -->"
	docEnd   = "<!-- bench:end -->"
)

// writeDoc replaces the generated section of the markdown file, or
// appends one.
func (r *report) writeDoc(path string) error {
	old, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	var sec strings.Builder
	sec.WriteString(docBegin + "\n\n")
	fmt.Fprintf(&sec, "Measured %s on %s, by `make bench` (`bench/harness`; %d records per benchmark, medians of %d interleaved rounds; the run took %v).\n\n",
		r.when.Format("2006-01-02"), machine(), r.o.records, r.o.reps, r.took.Round(time.Second))
	sec.WriteString(r.table())
	sec.WriteString("\n")
	sec.WriteString(r.verdicts())
	if r.mem != nil {
		fmt.Fprintf(&sec, "\nB5 wrote %s records through the batched input into a broker holding each produce request %v (storage off), at %s msg/s; RSS was sampled every 100 ms, less often as the run grew (every 1/200 of the time elapsed; chart below).\n",
			thousands(float64(r.mem.Records)), r.o.memDelay, thousands(r.mem.rate()))
	}
	if r.o.chart != "" {
		fmt.Fprintf(&sec, "\n![benchmark chart](%s)\n", strings.TrimPrefix(r.o.chart, "docs/"))
	}
	sec.WriteString("\n" + docEnd)

	s := string(old)
	i, j := strings.Index(s, docBegin), strings.Index(s, docEnd)
	if i >= 0 && j > i {
		s = s[:i] + sec.String() + s[j+len(docEnd):]
	} else {
		s = strings.TrimRight(s, "\n") + "\n\n" + sec.String() + "\n"
	}
	return os.WriteFile(path, []byte(s), 0o644)
}
