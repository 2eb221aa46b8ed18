// Command startup measures the sportello binary as an operator sees it: how
// long `sportello demo` takes from process start until /readyz answers 200,
// on a fresh data folder (migrations and seed) and on a reused one; how much
// memory an idle instance holds; and whether SIGTERM stops it cleanly.
//
//	go run ./bench/startup
//	go run ./bench/startup -n 10 -idle 5s -json /tmp/startup.json
//
// It builds the binary from the module it runs in, starts it only on
// 127.0.0.1 and kills every instance it starts.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "startup: %v\n", err)
		os.Exit(1)
	}
}

// readyTimeout bounds the wait for one instance to answer /readyz.
const readyTimeout = 15 * time.Second

// shutdownTimeout is passed to the binary, and bounds the wait for it to
// exit after SIGTERM (plus a grace second).
const shutdownTimeout = 25 * time.Second

func run() error {
	n := flag.Int("n", 10, "starts per case (fresh and reused data folder)")
	idle := flag.Duration("idle", 5*time.Second, "idle time before reading the memory of the last instance")
	poll := flag.Duration("poll", 2*time.Millisecond, "interval between /readyz polls")
	burst := flag.Int("burst", 0, "before idling, also send this many home page requests over 64 connections (RSS after load)")
	jsonOut := flag.String("json", "", "also write the results as JSON to this file")
	flag.Parse()
	if *n < 1 || *n > 100 || *idle < 0 || *idle > time.Minute || *burst < 0 || *burst > 1_000_000 {
		return errors.New("want -n from 1 to 100, -idle at most 1m, -burst at most 1000000")
	}

	tmp, err := os.MkdirTemp("", "sportello-startup-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, "sportello")
	build := exec.Command("go", "build", "-o", bin, "./cmd/sportello")
	build.Dir, err = moduleRoot()
	if err != nil {
		return err
	}
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("go build: %w", err)
	}

	rep := report{Date: time.Now().UTC().Format(time.RFC3339), GoVersion: runtime.Version(), N: *n, LoadAvg: loadAvg()}
	fmt.Printf("loadavg before: %s\n", rep.LoadAvg)
	for i := range *n {
		data := filepath.Join(tmp, fmt.Sprintf("data-%d", i))
		for _, c := range []struct {
			name string
			out  *[]start
		}{{"fresh", &rep.Fresh}, {"reused", &rep.Reused}} {
			inst, st, err := launch(bin, data, *poll)
			if err != nil {
				return fmt.Errorf("%s start %d: %w", c.name, i+1, err)
			}
			if _, err := inst.stop(); err != nil {
				return fmt.Errorf("%s start %d: %w", c.name, i+1, err)
			}
			*c.out = append(*c.out, st)
			fmt.Printf("%-6s start %2d: ready in %6.1f ms (binary says startup_ms=%d)\n", c.name, i+1, st.ReadyMs, st.StartupMs)
		}
	}
	rep.FreshSummary, rep.ReusedSummary = summarize(rep.Fresh), summarize(rep.Reused)
	fmt.Printf("fresh:  %s\nreused: %s\n", rep.FreshSummary, rep.ReusedSummary)

	rep.Idle, err = idleAndStop(bin, filepath.Join(tmp, "data-0"), *poll, *idle, *burst)
	if err != nil {
		return err
	}
	fmt.Printf("idle %s after %d requests: VmRSS %d kB, VmHWM %d kB\n", *idle, rep.Idle.Requests, rep.Idle.VmRSSkB, rep.Idle.VmHWMkB)
	fmt.Printf("SIGTERM: exit code %d after %.1f ms\n", rep.Idle.ExitCode, rep.Idle.DrainMs)

	if *jsonOut != "" {
		b, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			return err
		}
		return os.WriteFile(*jsonOut, append(b, '\n'), 0o644)
	}
	return nil
}

// report is everything written by -json.
type report struct {
	Date          string  `json:"date"`
	GoVersion     string  `json:"go_version"`
	N             int     `json:"n"`
	LoadAvg       string  `json:"loadavg_before"`
	Fresh         []start `json:"fresh"`
	Reused        []start `json:"reused"`
	FreshSummary  summary `json:"fresh_summary"`
	ReusedSummary summary `json:"reused_summary"`
	Idle          idle    `json:"idle"`
}

// start is one start of the binary.
type start struct {
	ReadyMs   float64 `json:"ready_ms"`
	StartupMs int     `json:"startup_ms"` // as logged by the binary, -1 if not seen
}

// summary is min, median and max of the ready times.
type summary struct {
	MinMs, MedianMs, MaxMs float64
}

func (s summary) String() string {
	return fmt.Sprintf("ready in min %.1f ms, median %.1f ms, max %.1f ms", s.MinMs, s.MedianMs, s.MaxMs)
}

func summarize(ss []start) summary {
	var ms []float64
	for _, s := range ss {
		ms = append(ms, s.ReadyMs)
	}
	slices.Sort(ms)
	return summary{MinMs: ms[0], MedianMs: median(ms), MaxMs: ms[len(ms)-1]}
}

func median(sorted []float64) float64 {
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}

// idle is the memory and shutdown of the last instance.
type idle struct {
	Requests int     `json:"requests"`
	VmRSSkB  int     `json:"vm_rss_kb"`
	VmHWMkB  int     `json:"vm_hwm_kb"`
	ExitCode int     `json:"exit_code"`
	DrainMs  float64 `json:"drain_ms"`
}

// instance is one running binary.
type instance struct {
	cmd       *exec.Cmd
	addr      string
	startupMs chan int
	exited    chan struct{}
}

// launch starts `sportello demo` on data and waits until /readyz answers
// 200, polling every poll.
func launch(bin, data string, poll time.Duration) (*instance, start, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, start{}, err
	}
	cmd := exec.Command(bin, "demo", "--addr", addr, "--data", data,
		"--shutdown-timeout", shutdownTimeout.String())
	cmd.Env = append(os.Environ(), "SPORTELLO_LOG_FORMAT=text")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, start{}, err
	}
	cmd.Stderr = os.Stderr
	inst := &instance{cmd: cmd, addr: addr, startupMs: make(chan int, 1), exited: make(chan struct{})}
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, start{}, err
	}
	go inst.scan(stdout)
	go func() { cmd.Wait(); close(inst.exited) }()

	client := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	deadline := t0.Add(readyTimeout)
	for {
		if ok := ready(client, "http://"+addr+"/readyz"); ok {
			break
		}
		select {
		case <-inst.exited:
			return nil, start{}, fmt.Errorf("exited before ready: %v", cmd.ProcessState)
		case <-time.After(poll):
		}
		if time.Now().After(deadline) {
			inst.kill()
			return nil, start{}, fmt.Errorf("not ready after %s", readyTimeout)
		}
	}
	st := start{ReadyMs: float64(time.Since(t0).Microseconds()) / 1000, StartupMs: -1}
	select {
	case st.StartupMs = <-inst.startupMs:
	case <-time.After(2 * time.Second):
	}
	return inst, st, nil
}

var startupRe = regexp.MustCompile(`\bstartup_ms=(\d+)`)

// scan reads the binary's log, passing on the startup_ms of the "ready" line.
func (i *instance) scan(r io.Reader) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if m := startupRe.FindStringSubmatch(sc.Text()); m != nil {
			n, _ := strconv.Atoi(m[1])
			select {
			case i.startupMs <- n:
			default:
			}
		}
	}
}

func ready(client *http.Client, u string) bool {
	res, err := client.Get(u)
	if err != nil {
		return false
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode == http.StatusOK
}

// stop sends SIGTERM and waits for the exit; it returns how long that took.
func (i *instance) stop() (time.Duration, error) {
	t0 := time.Now()
	if err := i.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return 0, err
	}
	select {
	case <-i.exited:
	case <-time.After(shutdownTimeout + time.Second):
		i.kill()
		return 0, fmt.Errorf("still running %s after SIGTERM", shutdownTimeout+time.Second)
	}
	took := time.Since(t0)
	if code := i.cmd.ProcessState.ExitCode(); code != 0 {
		return took, fmt.Errorf("exit code %d after SIGTERM", code)
	}
	return took, nil
}

func (i *instance) kill() {
	i.cmd.Process.Kill()
	<-i.exited
}

// idleAndStop starts an instance on an existing data folder, sends it a few
// requests, leaves it idle, reads its memory and stops it with SIGTERM.
func idleAndStop(bin, data string, poll, wait time.Duration, burst int) (idle, error) {
	inst, _, err := launch(bin, data, poll)
	if err != nil {
		return idle{}, fmt.Errorf("idle instance: %w", err)
	}
	var out idle
	client := &http.Client{Timeout: 5 * time.Second}
	for range 4 {
		for _, p := range []string{"/", "/servizi", "/amministrazione", "/faq", "/area-personale"} {
			if !ready(client, "http://"+inst.addr+p) {
				inst.kill()
				return idle{}, fmt.Errorf("idle instance: GET %s failed", p)
			}
			out.Requests++
		}
	}
	client.CloseIdleConnections()
	if burst > 0 {
		if err := sendBurst("http://"+inst.addr+"/", burst); err != nil {
			inst.kill()
			return idle{}, fmt.Errorf("idle instance: %w", err)
		}
		out.Requests += burst
	}
	time.Sleep(wait)
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", inst.cmd.Process.Pid))
	if err != nil {
		inst.kill()
		return idle{}, err
	}
	out.VmRSSkB, out.VmHWMkB = statusKB(status, "VmRSS"), statusKB(status, "VmHWM")
	took, err := inst.stop()
	out.DrainMs = float64(took.Microseconds()) / 1000
	out.ExitCode = inst.cmd.ProcessState.ExitCode()
	if err != nil {
		return out, fmt.Errorf("idle instance: %w", err)
	}
	return out, nil
}

// sendBurst sends n GETs of u over 64 connections at once, for at most a
// minute.
func sendBurst(u string, n int) error {
	const conns = 64
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var left atomic.Int64
	left.Store(int64(n))
	errs := make(chan error, conns)
	var wg sync.WaitGroup
	for range conns {
		wg.Go(func() {
			tr := &http.Transport{MaxConnsPerHost: 1}
			defer tr.CloseIdleConnections()
			client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
			for left.Add(-1) >= 0 && ctx.Err() == nil {
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
				res, err := client.Do(req)
				if err != nil {
					errs <- err
					return
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return fmt.Errorf("burst: %w", err)
	}
	return ctx.Err()
}

// statusKB returns the value in kB of a field of /proc/<pid>/status.
func statusKB(status []byte, field string) int {
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			return n
		}
	}
	return -1
}

// freeAddr returns a loopback address with a port free right now.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// moduleRoot returns the folder of the main module's go.mod.
func moduleRoot() (string, error) {
	out, err := exec.CommandContext(context.Background(), "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("run from inside the sportello module")
	}
	return filepath.Dir(gomod), nil
}

// loadAvg returns the first three fields of /proc/loadavg: other work on the
// machine skews every figure.
func loadAvg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	return strings.Join(f[:min(3, len(f))], " ")
}
