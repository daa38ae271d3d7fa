package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// measure is one run of one benchmark.
type measure struct {
	Records    int64   `json:"records"`
	Bytes      int64   `json:"bytes"`
	Seconds    float64 `json:"seconds"`
	CPUSeconds float64 `json:"cpu_seconds"`
	PeakRSS    int64   `json:"peak_rss_bytes"`
	// RSS over the run, for the memory benchmark.
	RSS []rssPoint `json:"rss,omitempty"`
}

type rssPoint struct {
	T   float64 `json:"t"` // seconds since the first record
	RSS int64   `json:"rss"`
}

func (m measure) rate() float64    { return float64(m.Records) / m.Seconds }
func (m measure) mbps() float64    { return float64(m.Bytes) / m.Seconds / 1e6 }
func (m measure) cpuPerM() float64 { return m.CPUSeconds / float64(m.Records) * 1e6 }

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// devBroker is a `connect dev` process.
type devBroker struct {
	cmd      *exec.Cmd
	brokers  string
	registry string
}

// startDev starts `connect dev` with args and waits until it listens.
func startDev(bin, logPath string, args ...string) (*devBroker, error) {
	kp, err := freePort()
	if err != nil {
		return nil, err
	}
	rp, err := freePort()
	if err != nil {
		return nil, err
	}
	log, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	args = append([]string{"dev", "--port", fmt.Sprint(kp), "--registry-port", fmt.Sprint(rp)}, args...)
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	d := &devBroker{cmd: cmd, brokers: fmt.Sprintf("127.0.0.1:%d", kp), registry: fmt.Sprintf("http://127.0.0.1:%d", rp)}
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if c, err := net.DialTimeout("tcp", d.brokers, time.Second); err == nil {
			c.Close()
			return d, nil
		}
	}
	d.stop()
	return nil, fmt.Errorf("connect dev did not start listening (see %s)", logPath)
}

func (d *devBroker) stop() {
	_ = d.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = d.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = d.cmd.Process.Kill()
		<-done
	}
}

// pipeline is a `connect run` benchmark: the YAML without its http and
// metrics sections, which the harness adds.
type pipeline struct {
	yaml    string
	records int64
	bytes   int64
	finite  bool // the pipeline ends by itself when its input does
	check   func(metrics) error
	rssOver bool // keep the RSS time series
}

// runPipeline runs bin/connect on p and measures it from outside: it
// scrapes /metrics and reads /proc every sampleEvery (less often as a run
// grows long, see below). The clock starts at
// the first sample where input_received > 0 and stops at the first where
// output_sent reaches the record count; CPU is the process's user+system
// time between those samples; peak RSS is VmHWM over the whole process.
//
// With profile set, the pipeline serves /debug/pprof and a CPU profile of
// the first profile seconds after its first record is written to
// workDir/name.pprof.
func runPipeline(ctx context.Context, bin, workDir, name string, p pipeline, sampleEvery, profile time.Duration) (measure, error) {
	port, err := freePort()
	if err != nil {
		return measure{}, err
	}
	// shutdown_delay keeps /metrics served for a moment after a finite
	// pipeline ends, so a short run is still read to its last count.
	conf := fmt.Sprintf("http:\n  address: 127.0.0.1:%d\n  debug_endpoints: %t\nmetrics:\n  prometheus: {}\nlogger:\n  level: warn\nshutdown_delay: 1s\n%s", port, profile > 0, p.yaml)
	confPath := filepath.Join(workDir, name+".yaml")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		return measure{}, err
	}
	logPath := filepath.Join(workDir, name+".log")
	log, err := os.Create(logPath)
	if err != nil {
		return measure{}, err
	}
	defer log.Close()
	cmd := exec.Command(bin, "run", confPath)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return measure{}, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	kill := func() {
		_ = cmd.Process.Kill()
		<-exited
	}

	url := fmt.Sprintf("http://127.0.0.1:%d/metrics", port)
	var (
		m        measure
		t0       time.Time
		cpu0     float64
		started  bool
		last     metrics
		tick     = time.NewTicker(sampleEvery)
		procLast procSample
		profiled = make(chan error, 1)
	)
	defer tick.Stop()
	if profile <= 0 {
		profiled <- nil
	}
	for {
		select {
		case <-ctx.Done():
			kill()
			return m, ctx.Err()
		case err := <-exited:
			return m, fmt.Errorf("%s exited before its %d records were written (%v); see %s", name, p.records, err, logPath)
		case <-tick.C:
		}
		now := time.Now()
		ps := readProc(cmd.Process.Pid)
		if ps.exists {
			procLast = ps
			m.PeakRSS = max(m.PeakRSS, ps.hwm)
		}
		mt, err := scrape(url)
		if err != nil {
			continue // not serving yet
		}
		last = mt
		if !started && mt["input_received"] > 0 {
			started, t0, cpu0 = true, now, procLast.cpu
			if profile > 0 {
				go func() {
					profiled <- fetchProfile(fmt.Sprintf("http://127.0.0.1:%d/debug/pprof/profile?seconds=%d", port, max(1, int(profile.Seconds()))),
						filepath.Join(workDir, name+".pprof"))
				}()
			}
		}
		if started && p.rssOver && ps.exists {
			m.RSS = append(m.RSS, rssPoint{T: now.Sub(t0).Seconds(), RSS: ps.rss})
		}
		// A scrape costs the pipeline CPU: past the first second, sample
		// at 1/200 of the time elapsed, which bounds both the overhead
		// and the timing error to half a percent.
		if started {
			if d := now.Sub(t0) / 200; d > sampleEvery {
				tick.Reset(d)
			}
		}
		if started && mt["output_sent"] >= float64(p.records) {
			m.Records, m.Bytes = p.records, p.bytes
			m.Seconds, m.CPUSeconds = now.Sub(t0).Seconds(), procLast.cpu-cpu0
			break
		}
	}
	if p.check != nil {
		if err := p.check(last); err != nil {
			kill()
			return m, fmt.Errorf("%s: %w", name, err)
		}
	}
	if err := <-profiled; err != nil {
		fmt.Fprintf(os.Stderr, "%s: no CPU profile: %v\n", name, err)
	}
	if !p.finite {
		_ = cmd.Process.Signal(syscall.SIGTERM)
	}
	select {
	case err := <-exited:
		if err != nil && p.finite {
			return m, fmt.Errorf("%s: %v; see %s", name, err, logPath)
		}
	case <-time.After(30 * time.Second):
		kill()
		return m, fmt.Errorf("%s did not stop within 30s; see %s", name, logPath)
	}
	return m, nil
}

// fetchProfile saves the pprof answer at url to path.
func fetchProfile(url, path string) error {
	resp, err := http.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", url, resp.Status)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	return os.WriteFile(path, body, 0o644)
}

// runRaw runs bin/rawkafka with args; it reports its own timings, and the
// harness samples its peak RSS.
func runRaw(ctx context.Context, bin, workDir, name string, args ...string) (measure, error) {
	var out, errb bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		return measure{}, err
	}
	var peak int64
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			_ = os.WriteFile(filepath.Join(workDir, name+".log"), errb.Bytes(), 0o644)
			if err != nil {
				return measure{}, fmt.Errorf("%s: %v: %s", name, err, strings.TrimSpace(errb.String()))
			}
			var m measure
			if err := json.Unmarshal(out.Bytes(), &m); err != nil {
				return measure{}, fmt.Errorf("%s: reading its result %q: %w", name, out.String(), err)
			}
			m.PeakRSS = peak
			if m.Records == 0 || m.Seconds <= 0 {
				return m, errors.New(name + ": no records measured")
			}
			return m, nil
		case <-tick.C:
			if ps := readProc(cmd.Process.Pid); ps.exists {
				peak = max(peak, ps.hwm)
			}
		}
	}
}
