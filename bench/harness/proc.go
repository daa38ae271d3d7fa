package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTick is Linux's USER_HZ: /proc/PID/stat counts CPU time in these.
const clockTick = 100

// procSample is one reading of a process from /proc.
type procSample struct {
	cpu    float64 // user + system seconds so far
	rss    int64   // resident set size now, bytes
	hwm    int64   // peak resident set size so far (VmHWM), bytes
	exists bool
}

// readProc reads the CPU time and memory of pid. A process that has
// exited reads as exists false.
func readProc(pid int) procSample {
	var s procSample
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return s
	}
	// The command name (field 2) may hold spaces; fields after it are
	// counted from the closing parenthesis.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return s
	}
	f := strings.Fields(string(stat[i+1:]))
	// f[0] is field 3 (state); utime and stime are fields 14 and 15.
	if len(f) < 13 {
		return s
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	s.cpu = float64(ut+st) / clockTick
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return s
	}
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "VmRSS:"):
			s.rss = kib(line)
		case strings.HasPrefix(line, "VmHWM:"):
			s.hwm = kib(line)
		}
	}
	s.exists = true
	return s
}

func kib(line string) int64 {
	f := strings.Fields(line)
	if len(f) < 2 {
		return 0
	}
	n, _ := strconv.ParseInt(f[1], 10, 64)
	return n << 10
}

// metrics are the counters the harness reads from a pipeline's /metrics,
// each summed over its labels.
type metrics map[string]float64

var metricsClient = &http.Client{Timeout: time.Second}

// scrape reads the Prometheus text exposition at url. Only plain samples
// are kept; "name{labels} value" lines are summed per name, and labelled
// series are also kept under "name{labels}".
func scrape(url string) (metrics, error) {
	resp, err := metricsClient.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: %s", url, resp.Status)
	}
	return parseMetrics(body), nil
}

func parseMetrics(body []byte) metrics {
	m := metrics{}
	for _, line := range strings.Split(string(body), "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		sp := strings.LastIndexByte(line, ' ')
		if sp < 0 {
			continue
		}
		v, err := strconv.ParseFloat(line[sp+1:], 64)
		if err != nil {
			continue
		}
		series := line[:sp]
		name := series
		if i := strings.IndexByte(series, '{'); i >= 0 {
			name = series[:i]
			m[series] += v
		}
		m[name] += v
	}
	return m
}

// label returns the sum of the series of name whose labels include
// key="value".
func (m metrics) label(name, key, value string) float64 {
	var sum float64
	want := key + `="` + value + `"`
	for series, v := range m {
		if strings.HasPrefix(series, name+"{") && strings.Contains(series, want) {
			sum += v
		}
	}
	return sum
}
