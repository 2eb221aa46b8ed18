// Command homeload measures the home page under load against the most
// net/http can do for the same response.
//
// It builds the real server in process (fresh SQLite database in a temporary
// folder, migrations, demo comune, web.New with default options) and a bare
// handler that replays the bytes and Content-Type the home page returned
// once, serves both on 127.0.0.1, and drives each in turn with a closed-loop
// load generator: -conns goroutines, each with its own keep-alive transport
// limited to one connection, sending the next request as soon as the last
// answered. After -warmup it measures for -duration and prints throughput,
// latency percentiles, errors and the ratio app/bare.
//
// The generator shares the machine's cores with the servers. To keep them
// apart, run the servers with -serve-only (they print their URLs and wait)
// and drive them from another process: this one with -target, or wrk.
//
//	go run ./bench/homeload
//	go run ./bench/homeload -conns 64 -duration 10s -json /tmp/home.json
//	GOMAXPROCS=1 taskset -c 0 go run ./bench/homeload -serve-only &
//	GOMAXPROCS=1 taskset -c 1 go run ./bench/homeload -target app=URL,bare=URL
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/sportello/sportello/bench"
	"github.com/sportello/sportello/internal/logging"
)

// maxRun bounds every timed phase, so that a typo in a flag cannot leave a
// load loop running for hours.
const maxRun = 10 * time.Minute

func main() {
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "homeload: %v\n", err)
		os.Exit(1)
	}
}

// options are the command's flags.
type options struct {
	conns            int
	duration, warmup time.Duration
	path, jsonOut    string
	rounds           int
	serveOnly        bool
	serveFor         time.Duration
	target           string
	logText          bool
	cpuProfile       string
	memProfile       string
}

func parseFlags() (options, error) {
	var o options
	flag.IntVar(&o.conns, "conns", 64, "concurrent connections (one goroutine and one transport each)")
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "measured time per target")
	flag.DurationVar(&o.warmup, "warmup", 2*time.Second, "unmeasured load before each measurement")
	flag.StringVar(&o.path, "path", "/", "path to request")
	flag.IntVar(&o.rounds, "rounds", 1, "alternate app and bare this many times")
	flag.StringVar(&o.jsonOut, "json", "", "also write the results as JSON to this file")
	flag.BoolVar(&o.serveOnly, "serve-only", false, "only serve: print the two URLs and wait for a signal or -serve-for")
	flag.DurationVar(&o.serveFor, "serve-for", 5*time.Minute, "with -serve-only, stop after this long")
	flag.StringVar(&o.target, "target", "", "only generate load, against app=URL,bare=URL (loopback only)")
	flag.BoolVar(&o.logText, "log", false, "log every request as the binary does (text, to io.Discard) instead of web's default of no logger")
	flag.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the app's measured phase (with -serve-only: of the whole serving time)")
	flag.StringVar(&o.memProfile, "memprofile", "", "write an allocation profile after the app's measured phase (with -serve-only: at exit)")
	flag.Parse()
	switch {
	case o.conns < 1 || o.conns > 4096:
		return o, errors.New("-conns: want 1 to 4096")
	case o.duration <= 0 || o.duration > maxRun || o.warmup < 0 || o.warmup > maxRun:
		return o, fmt.Errorf("-duration and -warmup: want at most %s", maxRun)
	case o.rounds < 1 || o.rounds > 20:
		return o, errors.New("-rounds: want 1 to 20")
	case o.serveFor <= 0 || o.serveFor > time.Hour:
		return o, errors.New("-serve-for: want at most 1h")
	case !strings.HasPrefix(o.path, "/"):
		return o, errors.New("-path: want an absolute path")
	}
	return o, nil
}

func run() error {
	o, err := parseFlags()
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	var targets []target
	if o.target != "" {
		targets, err = parseTargets(o.target)
		if err != nil {
			return err
		}
	} else {
		dir, err := os.MkdirTemp("", "homeload-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		var shutdown func()
		targets, shutdown, err = startServers(ctx, dir, o)
		if err != nil {
			return err
		}
		defer shutdown()
		if o.serveOnly {
			return serveOnly(ctx, targets, o)
		}
	}

	rep := report{
		Date: time.Now().UTC().Format(time.RFC3339), GoVersion: runtime.Version(), GOMAXPROCS: runtime.GOMAXPROCS(0),
		NumCPU: runtime.NumCPU(), CPU: cpuModel(), LoadAvg: loadAvg(), Conns: o.conns, Duration: o.duration.String(),
		Warmup: o.warmup.String(), Path: o.path, InProcess: o.target == "", Logged: o.logText,
	}
	fmt.Printf("loadavg before: %s\n", rep.LoadAvg)
	for round := 1; round <= o.rounds; round++ {
		for _, t := range targets {
			profile := round == 1 && t.name == "app" && o.target == ""
			res, err := measure(ctx, t, o, profile)
			if err != nil {
				return err
			}
			res.Round = round
			rep.Results = append(rep.Results, res)
			printResult(os.Stdout, res)
		}
	}
	rep.Ratio = ratio(rep.Results, false)
	rep.CleanRatio = ratio(rep.Results, true)
	fmt.Printf("app/bare throughput ratio: %.1f%% (target ≥ 40%%)\n", 100*rep.Ratio)
	if rep.CleanRatio != rep.Ratio {
		fmt.Printf("app/bare throughput ratio over rounds where other processes used < %.1f cores: %.1f%%\n", quiet, 100*rep.CleanRatio)
	}
	if o.jsonOut != "" {
		b, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(o.jsonOut, append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// target is one server to load.
type target struct {
	name, url string
}

// parseTargets reads -target and refuses any host that is not loopback.
func parseTargets(s string) ([]target, error) {
	var out []target
	for _, part := range strings.Split(s, ",") {
		name, raw, ok := strings.Cut(part, "=")
		if !ok {
			return nil, fmt.Errorf("-target: %q: want name=URL", part)
		}
		u, err := url.Parse(raw)
		if err != nil || u.Scheme != "http" {
			return nil, fmt.Errorf("-target: %q: want an http URL", raw)
		}
		ip := net.ParseIP(u.Hostname())
		if ip == nil || !ip.IsLoopback() {
			return nil, fmt.Errorf("-target: %q: only loopback addresses (127.0.0.1, ::1) may be loaded", raw)
		}
		out = append(out, target{name: name, url: strings.TrimRight(raw, "/")})
	}
	return out, nil
}

// startServers builds the real server and the bare one and serves both on
// ephemeral loopback ports.
func startServers(ctx context.Context, dir string, o options) ([]target, func(), error) {
	var log *slog.Logger
	if o.logText {
		log = logging.New(io.Discard, slog.LevelInfo, "text")
	}
	site, err := bench.NewSite(ctx, dir, log)
	if err != nil {
		return nil, nil, err
	}
	snap, err := bench.Take(site.Server, o.path)
	if err != nil {
		site.Close()
		return nil, nil, err
	}
	fmt.Printf("%s: %d bytes, %s\n", o.path, len(snap.Body), snap.ContentType)
	var servers []*http.Server
	var targets []target
	for _, s := range []struct {
		name string
		h    http.Handler
	}{{"app", site.Server}, {"bare", bench.Bare(snap)}} {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			site.Close()
			return nil, nil, err
		}
		srv := &http.Server{Handler: s.h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
		go srv.Serve(ln)
		servers = append(servers, srv)
		targets = append(targets, target{name: s.name, url: "http://" + ln.Addr().String()})
	}
	shutdown := func() {
		for _, srv := range servers {
			srv.Close()
		}
		site.Close()
	}
	return targets, shutdown, nil
}

// serveOnly prints the URLs and serves until a signal or -serve-for.
func serveOnly(ctx context.Context, targets []target, o options) error {
	if o.cpuProfile != "" {
		stop, err := startCPUProfile(o.cpuProfile)
		if err != nil {
			return err
		}
		defer stop()
	}
	for _, t := range targets {
		fmt.Printf("%s %s%s\n", t.name, t.url, o.path)
	}
	fmt.Printf("serving for at most %s; Ctrl+C to stop\n", o.serveFor)
	select {
	case <-ctx.Done():
	case <-time.After(o.serveFor):
	}
	if o.memProfile != "" {
		return writeAllocProfile(o.memProfile)
	}
	return nil
}

// result is the measurement of one target.
type result struct {
	Target    string  `json:"target"`
	Round     int     `json:"round"`
	Requests  int     `json:"requests"`
	Errors    int     `json:"errors"`
	Seconds   float64 `json:"seconds"`
	ReqPerSec float64 `json:"req_per_sec"`
	P50ms     float64 `json:"p50_ms"`
	P90ms     float64 `json:"p90_ms"`
	P99ms     float64 `json:"p99_ms"`
	MaxMs     float64 `json:"max_ms"`
	// OtherCPU is the CPU, in cores, that processes other than this one used
	// during the measurement: the machine was not ours alone if it is not
	// near zero (in -target mode it includes the servers).
	OtherCPU   float64 `json:"other_cpu_cores"`
	FirstError string  `json:"first_error,omitempty"`
}

// report is everything written by -json.
type report struct {
	Date       string   `json:"date"`
	GoVersion  string   `json:"go_version"`
	GOMAXPROCS int      `json:"gomaxprocs"`
	NumCPU     int      `json:"num_cpu"`
	CPU        string   `json:"cpu"`
	LoadAvg    string   `json:"loadavg_before"`
	Conns      int      `json:"conns"`
	Duration   string   `json:"duration"`
	Warmup     string   `json:"warmup"`
	Path       string   `json:"path"`
	InProcess  bool     `json:"servers_in_process"`
	Logged     bool     `json:"request_log"`
	Results    []result `json:"results"`
	Ratio      float64  `json:"app_bare_ratio"`
	// CleanRatio counts only the rounds in which both measurements had the
	// machine to themselves (OtherCPU < quiet); 0 if there were none.
	CleanRatio float64 `json:"app_bare_ratio_quiet_rounds"`
}

// worker is one connection's tally.
type worker struct {
	lat      []time.Duration
	errors   int
	firstErr error
}

// measure loads t with o.conns closed loops for warmup+duration and
// summarizes the requests that started after the warm-up and ended before
// the deadline. profile says whether -cpuprofile and -memprofile apply.
func measure(ctx context.Context, t target, o options, profile bool) (result, error) {
	measureFrom := time.Now().Add(o.warmup)
	end := measureFrom.Add(o.duration)
	ctx, cancel := context.WithDeadline(ctx, end.Add(5*time.Second))
	defer cancel()

	workers := make([]worker, o.conns)
	var wg sync.WaitGroup
	for i := range workers {
		wg.Go(func() { load(ctx, t.url+o.path, measureFrom, end, &workers[i]) })
	}
	select {
	case <-time.After(time.Until(measureFrom)):
	case <-ctx.Done():
	}
	cpu0 := sampleCPU()
	stopProfile := func() {}
	if profile && o.cpuProfile != "" {
		var err error
		if stopProfile, err = startCPUProfile(o.cpuProfile); err != nil {
			cancel()
			wg.Wait()
			return result{}, err
		}
	}
	wg.Wait()
	other := sampleCPU().otherSince(cpu0)
	stopProfile()
	if profile && o.memProfile != "" {
		if err := writeAllocProfile(o.memProfile); err != nil {
			return result{}, err
		}
	}
	if err := ctx.Err(); err != nil && time.Now().Before(end) {
		return result{}, err // interrupted
	}
	res := summarize(workers, o.duration)
	res.Target, res.OtherCPU = t.name, other
	return res, nil
}

// summarize merges the workers' tallies over the measured duration.
func summarize(workers []worker, d time.Duration) result {
	var all []time.Duration
	res := result{Seconds: d.Seconds()}
	for _, w := range workers {
		all = append(all, w.lat...)
		res.Errors += w.errors
		if w.firstErr != nil && res.FirstError == "" {
			res.FirstError = w.firstErr.Error()
		}
	}
	slices.Sort(all)
	res.Requests = len(all)
	res.ReqPerSec = float64(len(all)) / d.Seconds()
	res.P50ms, res.P90ms, res.P99ms = ms(pct(all, 50)), ms(pct(all, 90)), ms(pct(all, 99))
	if len(all) > 0 {
		res.MaxMs = ms(all[len(all)-1])
	}
	return res
}

// load is one connection: it sends GET u until end, recording the latency
// of the successful requests that started at or after from.
func load(ctx context.Context, u string, from, end time.Time, w *worker) {
	tr := &http.Transport{
		MaxConnsPerHost:     1,
		MaxIdleConnsPerHost: 1,
		DisableCompression:  true,
		Proxy:               nil, // never leave the machine, whatever HTTP_PROXY says
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	w.lat = make([]time.Duration, 0, 4096)
	for {
		t0 := time.Now()
		if !t0.Before(end) || ctx.Err() != nil {
			return
		}
		err := get(ctx, client, u)
		t1 := time.Now()
		if t0.Before(from) || t1.After(end) {
			continue
		}
		if err != nil {
			w.errors++
			if w.firstErr == nil {
				w.firstErr = err
			}
			continue
		}
		w.lat = append(w.lat, t1.Sub(t0))
	}
}

// get sends one request and reads the whole body; anything but 200 is an
// error.
func get(ctx context.Context, client *http.Client, u string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	res, err := client.Do(req)
	if err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if err != nil {
		return err
	}
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d", res.StatusCode)
	}
	return nil
}

// pct returns the p-th percentile of sorted durations (nearest rank).
func pct(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := (len(sorted)*p + 99) / 100
	return sorted[max(i-1, 0)]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// quiet is the CPU, in cores, that other processes may use during a
// measurement for its round to count as quiet.
const quiet = 0.1

// ratio is the mean app throughput over the mean bare throughput, of every
// round or only of the quiet ones.
func ratio(rs []result, onlyQuiet bool) float64 {
	noisy := map[int]bool{}
	for _, r := range rs {
		if r.OtherCPU >= quiet {
			noisy[r.Round] = true
		}
	}
	sum := map[string]float64{}
	for _, r := range rs {
		if !onlyQuiet || !noisy[r.Round] {
			sum[r.Target] += r.ReqPerSec
		}
	}
	if sum["bare"] == 0 {
		return 0
	}
	return sum["app"] / sum["bare"]
}

func printResult(w io.Writer, r result) {
	fmt.Fprintf(w, "round %d %-4s %9.0f req/s  p50 %7.2f ms  p90 %7.2f ms  p99 %7.2f ms  max %7.2f ms  errors %d\n",
		r.Round, r.Target, r.ReqPerSec, r.P50ms, r.P90ms, r.P99ms, r.MaxMs, r.Errors)
	if r.OtherCPU >= quiet {
		fmt.Fprintf(w, "  warning: other processes used %.2f cores during this measurement\n", r.OtherCPU)
	}
	if r.FirstError != "" {
		fmt.Fprintf(w, "  first error: %s\n", r.FirstError)
	}
}

func startCPUProfile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

func writeAllocProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return pprof.Lookup("allocs").WriteTo(f, 0)
}

// cpuModel returns the first "model name" of /proc/cpuinfo, or "".
func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// loadAvg returns the first three fields of /proc/loadavg: other work on the
// machine skews every figure.
func loadAvg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	return strings.Join(f[:min(3, len(f))], " ")
}

// cpuSample is the machine's busy CPU time and this process's own.
type cpuSample struct {
	at         time.Time
	busy, self time.Duration
}

// userHz is the unit of /proc/stat (USER_HZ, 100 on Linux).
const userHz = 100

func sampleCPU() cpuSample {
	s := cpuSample{at: time.Now()}
	if b, err := os.ReadFile("/proc/stat"); err == nil {
		line, _, _ := strings.Cut(string(b), "\n")
		for i, f := range strings.Fields(line) {
			// cpu user nice system idle iowait irq softirq steal …: all but
			// idle (4) and iowait (5) are busy.
			if n, err := strconv.ParseInt(f, 10, 64); err == nil && i != 4 && i != 5 {
				s.busy += time.Duration(n) * time.Second / userHz
			}
		}
	}
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		s.self = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	return s
}

// otherSince returns the cores used by other processes since s0.
func (s cpuSample) otherSince(s0 cpuSample) float64 {
	wall := s.at.Sub(s0.at)
	if s0.at.IsZero() || wall <= 0 {
		return 0
	}
	other := (s.busy - s0.busy) - (s.self - s0.self)
	return max(other.Seconds()/wall.Seconds(), 0)
}
