// Command certificates measures registry certificates end to end, without
// payment: an authenticated citizen's POST /area-personale/certificati
// through the real server (session → registry → eligibility → PDF → sealed
// QR → PAdES signature → protocol entry → blob store → redirect), on a
// fresh SQLite database with the demo comune and its 400 residents. It
// then renders the same certificate as HTML and prints it to PDF with
// headless Chromium, in the same run, prints the ratios, and judges the run
// against the targets (docs/certificates.md, "Performance").
//
//	go run ./bench/certificates
//	go run ./bench/certificates -workers 8 -duration 10s -chromium /usr/bin/chromium
package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/sportello/sportello/bench"
	"github.com/sportello/sportello/internal/blob"
	"github.com/sportello/sportello/internal/config"
	"github.com/sportello/sportello/internal/demo"
	"github.com/sportello/sportello/internal/identity"
	"github.com/sportello/sportello/internal/tenant"
	"github.com/sportello/sportello/internal/web"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "certificates: %v\n", err)
		os.Exit(1)
	}
}

type options struct {
	workers  int
	duration time.Duration
	warmup   time.Duration
	chromium string
	docs     int
	tabs     int
}

func run() error {
	var o options
	flag.IntVar(&o.workers, "workers", 8, "concurrent citizens requesting certificates")
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "measured time of the concurrent phase (at most 30s)")
	flag.DurationVar(&o.warmup, "warmup", 2*time.Second, "unmeasured time before it")
	flag.StringVar(&o.chromium, "chromium", "", "headless Chromium to compare with (default: chromium on PATH; \"none\" skips)")
	flag.IntVar(&o.docs, "docs", 30, "certificates printed with Chromium")
	flag.IntVar(&o.tabs, "tabs", 2, "Chromium tabs printing at once for the throughput comparison (1: only the one-tab run)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the concurrent phase")
	keep := flag.Bool("keep", false, "keep the data directory (deleting thousands of files slows the next run's file creation on some file systems)")
	tracefile := flag.String("trace", "", "write an execution trace of the concurrent phase (go tool trace -pprof=syscall|sync|sched)")
	flag.Parse()
	if o.duration > 30*time.Second {
		o.duration = 30 * time.Second
	}
	// The runtime as `sportello serve` sets it up.
	rt := config.TuneRuntime(os.Getenv)
	fmt.Printf("GOGC %d, GOMEMLIMIT %d MiB, GOMAXPROCS %d\n", rt.Percent, rt.Limit>>20, rt.Procs)
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "certbench")
	if err != nil {
		return err
	}
	if *keep {
		fmt.Printf("data in %s (kept)\n", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	site, err := newSite(ctx, dir)
	if err != nil {
		return err
	}
	defer site.db.Close()
	ts := httptest.NewServer(site.srv)
	defer ts.Close()

	// One sequential pass first: the latency of one certificate alone.
	seq, err := site.load(ts.URL, 1, time.Second, 3*time.Second)
	if err != nil {
		return err
	}
	fmt.Printf("sequential (1 citizen):    %6.0f certificates/s  p50 %5.2f ms  p95 %5.2f ms  mean %5.2f ms\n",
		seq.rate, ms(seq.p50), ms(seq.p95), ms(seq.mean))
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if *tracefile != "" {
		f, err := os.Create(*tracefile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := trace.Start(f); err != nil {
			return err
		}
	}
	con, err := site.load(ts.URL, o.workers, o.warmup, o.duration)
	pprof.StopCPUProfile()
	trace.Stop()
	if err == nil {
		// CPU per certificate (server and load generator together, so an
		// upper bound), whatever else the machine is running.
		n := time.Duration(max(con.n, 1))
		perCert := (con.user + con.sys) / n
		fmt.Printf("CPU per certificate:       %5.2f ms (user %.2f + sys %.2f, client included) → on %d idle cores at most %.0f certificates/s\n",
			ms(perCert), ms(con.user/n), ms(con.sys/n), runtime.NumCPU(), float64(runtime.NumCPU())/perCert.Seconds())
	}
	if err != nil {
		return err
	}
	fmt.Printf("concurrent (%d citizens):  %6.0f certificates/s  p50 %5.2f ms  p95 %5.2f ms  p99 %5.2f ms  (%d issued, %d errors)\n",
		o.workers, con.rate, ms(con.p50), ms(con.p95), ms(con.p99), con.n, con.errors)

	bin := o.chromium
	if bin == "" {
		bin, _ = exec.LookPath("chromium")
	}
	if bin == "" || bin == "none" {
		fmt.Println("chromium: none, comparison skipped")
		return nil
	}
	chrome, err := printWithChromium(ctx, bin, o.docs, 1, dir)
	if err != nil {
		return err
	}
	fmt.Printf("chromium HTML→PDF (1 tab): %6.1f documents/s  mean %6.1f ms  p95 %6.1f ms\n",
		chrome.rate, ms(chrome.mean), ms(chrome.p95))
	fmt.Printf("ratio, one at a time (chromium mean / sportello mean): %.0f×\n", chrome.mean.Seconds()/seq.mean.Seconds())
	fmt.Printf("ratio, throughput (sportello %d citizens / chromium 1 tab): %.0f×\n", o.workers, con.rate/chrome.rate)
	best := chrome.rate
	if o.tabs > 1 {
		par, err := printWithChromium(ctx, bin, o.docs, o.tabs, dir)
		if err != nil {
			return err
		}
		fmt.Printf("chromium HTML→PDF (%d tabs): %6.1f documents/s  mean %6.1f ms  p95 %6.1f ms\n",
			o.tabs, par.rate, ms(par.mean), ms(par.p95))
		fmt.Printf("ratio, throughput (sportello %d citizens / chromium %d tabs): %.0f×\n", o.workers, o.tabs, con.rate/par.rate)
		best = max(best, par.rate)
	}
	fmt.Print(verdict(con, best, seq.mean, chrome.mean))
	return nil
}

// The targets certificates are built to (docs/certificates.md,
// "Performance"), each run judged against them.
const (
	targetRate  = 1000                  // certificates/s on SQLite
	targetP95   = 50 * time.Millisecond // at that rate
	targetRatio = 50                    // certificates/s over Chromium's documents/s
)

// verdict says whether the run meets the targets: the rate and p95 of the
// concurrent phase, and its rate against Chromium's best rate (one tab or
// several). The one-at-a-time ratio follows for information: a lone
// certificate waits for one durable commit, which the disk times.
func verdict(con *result, chromiumBest float64, lone, chromiumLone time.Duration) string {
	met := func(ok bool) string {
		if ok {
			return "met"
		}
		return "NOT MET"
	}
	ratio := con.rate / chromiumBest
	var b bytes.Buffer
	line := func(target, value, judged string) {
		fmt.Fprintf(&b, "  %-42s %10s  %s\n", target, value, judged)
	}
	fmt.Fprintf(&b, "targets:\n")
	line(fmt.Sprintf("≥ %d certificates/s", targetRate), fmt.Sprintf("%.0f/s", con.rate), met(con.rate >= targetRate))
	line(fmt.Sprintf("p95 ≤ %d ms at that rate", targetP95.Milliseconds()), fmt.Sprintf("%.2f ms", ms(con.p95)), met(con.p95 <= targetP95))
	line(fmt.Sprintf("≥ %d× Chromium at its best (per second)", targetRatio), fmt.Sprintf("%.0f×", ratio), met(ratio >= targetRatio))
	line("one at a time, for information", fmt.Sprintf("%.0f×", chromiumLone.Seconds()/lone.Seconds()),
		"(a lone certificate waits for the disk's flush)")
	return b.String()
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

type site struct {
	srv     *web.Server
	db      interface{ Close() error }
	cookies []string // one session per citizen
	persons []string
}

// newSite builds the demo server as `sportello demo` does (blob store on
// disk, secret key) and opens a session for each of 64 residents.
func newSite(ctx context.Context, dir string) (*site, error) {
	s, err := bench.NewSite(ctx, dir, nil)
	if err != nil {
		return nil, err
	}
	d := s.DB
	e, err := tenant.BySlug(ctx, d, demo.Slug)
	if err != nil {
		return nil, err
	}
	if err := demo.SeedRegistry(ctx, d, e.ID); err != nil {
		return nil, err
	}
	blobs, err := blob.NewFS(filepath.Join(dir, "blobs"))
	if err != nil {
		return nil, err
	}
	srv, err := web.New(web.Options{DB: d, Version: "bench", SecretKey: bytes.Repeat([]byte{42}, 32), Blobs: blobs})
	if err != nil {
		return nil, err
	}
	out := &site{srv: srv, db: d}
	rows, err := d.QueryContext(ctx, `SELECT id, fiscal_code, name, surname FROM registry_person
		WHERE ente_id = $1 AND status = 'resident' ORDER BY id LIMIT 64`, e.ID)
	if err != nil {
		return nil, err
	}
	type resident struct{ id, cf, name, surname string }
	var rs []resident
	for rows.Next() {
		var r resident
		if err := rows.Scan(&r.id, &r.cf, &r.name, &r.surname); err != nil {
			return nil, err
		}
		rs = append(rs, r)
	}
	rows.Close()
	now := time.Now()
	for _, r := range rs {
		res, err := identity.LoginCitizen(ctx, d, e.ID, identity.LoginInput{FiscalCode: r.cf, GivenName: r.name,
			FamilyName: r.surname, IdP: "https://idp.example", Level: 2}, now)
		if err != nil {
			return nil, err
		}
		var token string
		err = d.InTx(ctx, func(tx *sql.Tx) error {
			token, _, err = identity.StartSession(ctx, tx, e.ID, identity.CitizenSubject(res.Citizen.ID),
				identity.SessionInput{IdP: "https://idp.example", Level: 2}, now)
			return err
		})
		if err != nil {
			return nil, err
		}
		out.cookies = append(out.cookies, "sid="+token)
		out.persons = append(out.persons, r.id)
	}
	return out, nil
}

type result struct {
	user, sys           time.Duration // process CPU time while measuring
	n, errors           int
	rate                float64
	p50, p95, p99, mean time.Duration
}

// load runs workers citizens, each asking for a residence + family status
// certificate (exempt, code 3: no payment) as soon as the last is issued.
func (s *site) load(base string, workers int, warmup, duration time.Duration) (*result, error) {
	var (
		mu        sync.Mutex
		latencies []time.Duration
		errs      atomic.Int64
		measuring atomic.Bool
		stop      atomic.Bool
		wg        sync.WaitGroup
		firstErr  atomic.Value
	)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1},
				CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			i := w % len(s.cookies)
			body := url.Values{"persona": {s.persons[i]}, "tipo": {"8", "12"}, "esenzione": {"3"}}.Encode()
			var local []time.Duration
			for !stop.Load() {
				req, _ := http.NewRequest("POST", base+"/area-personale/certificati", bytes.NewBufferString(body))
				req.Host = bench.DemoHost
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.Header.Set("Origin", "http://"+bench.DemoHost)
				req.Header.Set("Cookie", s.cookies[i])
				t0 := time.Now()
				res, err := client.Do(req)
				d := time.Since(t0)
				if err == nil {
					io.Copy(io.Discard, res.Body)
					res.Body.Close()
					if res.StatusCode != http.StatusSeeOther {
						err = fmt.Errorf("status %d", res.StatusCode)
					}
				}
				if err != nil {
					errs.Add(1)
					firstErr.CompareAndSwap(nil, err)
					continue
				}
				if measuring.Load() {
					local = append(local, d)
				}
			}
			mu.Lock()
			latencies = append(latencies, local...)
			mu.Unlock()
		}()
	}
	time.Sleep(warmup)
	measuring.Store(true)
	start, user0, sys0 := time.Now(), cpuTime(false), cpuTime(true)
	time.Sleep(duration)
	measuring.Store(false)
	elapsed, user, sys := time.Since(start), cpuTime(false)-user0, cpuTime(true)-sys0
	stop.Store(true)
	wg.Wait()
	if len(latencies) == 0 {
		if e, ok := firstErr.Load().(error); ok {
			return nil, e
		}
		return nil, errors.New("no certificate issued")
	}
	r := summarize(latencies, elapsed, int(errs.Load()))
	r.user, r.sys = user, sys
	return r, nil
}

// cpuTime is the process's user (or system) CPU time so far.
func cpuTime(system bool) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	if system {
		return time.Duration(ru.Stime.Nano())
	}
	return time.Duration(ru.Utime.Nano())
}

func summarize(l []time.Duration, elapsed time.Duration, errs int) *result {
	slices.Sort(l)
	pick := func(q float64) time.Duration { return l[min(len(l)-1, int(q*float64(len(l))))] }
	var sum time.Duration
	for _, d := range l {
		sum += d
	}
	r := &result{n: len(l), errors: errs, p50: pick(0.5), p95: pick(0.95), p99: pick(0.99), mean: sum / time.Duration(len(l))}
	if elapsed > 0 {
		r.rate = float64(len(l)) / elapsed.Seconds()
	}
	return r
}

// certificateHTML is the same certificate as a web page, for Chromium.
var certificateHTML = template.Must(template.New("c").Parse(`<!doctype html><html lang="it"><head><meta charset="utf-8">
<style>@page{size:A4;margin:20mm}body{font-family:Helvetica,Arial,sans-serif;font-size:10pt;color:#191919}
h1{font-size:15pt;text-align:center;margin:0}.sub{text-align:center;font-size:9.5pt;border-bottom:1pt solid #06c;padding-bottom:6pt}
h2{font-size:13pt;margin-top:18pt}dl{display:grid;grid-template-columns:150pt 1fr}dt{color:#5c6f82}dd{margin:0;font-weight:bold}
table{width:100%;border-collapse:collapse;font-size:9.5pt}th{background:#ebf0f5;text-align:left}
.qr{display:flex;gap:8pt;margin-top:30pt;font-size:8.5pt}.qr svg{width:112pt;height:112pt}</style></head><body>
<h1>COMUNE DI ALA</h1><div class="sub">Provincia autonoma di Trento - Ufficio anagrafe</div>
<h2>CERTIFICATO CONTESTUALE DI RESIDENZA E DI STATO DI FAMIGLIA</h2>
<p>L'UFFICIALE D'ANAGRAFE, visti gli atti d'ufficio,</p><p style="text-align:center"><b>CERTIFICA</b></p>
<dl><dt>Cognome e nome</dt><dd>{{.Name}}</dd><dt>Nato a</dt><dd>Rovereto (TN)</dd><dt>Nato il</dt><dd>03/05/1979</dd><dt>Codice fiscale</dt><dd>{{.CF}}</dd></dl>
<p>è residente in questo Comune in Via Nuova 22, Ala.</p><p>che la famiglia anagrafica residente in Via Nuova 22, Ala, è così composta:</p>
<table><tr><th>Cognome e nome</th><th>Luogo di nascita</th><th>Data di nascita</th></tr>
<tr><td>Tomasi Marco</td><td>Rovereto (TN)</td><td>03/05/1979</td></tr><tr><td>Pederzolli Chiara</td><td>Rovereto (TN)</td><td>21/09/1982</td></tr>
<tr><td>Tomasi Sofia</td><td>Rovereto (TN)</td><td>30/03/2007</td></tr></table>
<p>Esente dall'imposta di bollo ai sensi di: uso processuale - art. 18 DPR 30.5.2002, n. 115.</p>
<p><b>Il presente certificato non può essere prodotto agli organi della pubblica amministrazione o ai privati gestori di pubblici servizi (art. 40 DPR 445/2000).</b></p>
<p>Il presente certificato ha validità di sei mesi dalla data di rilascio.</p><p>Ala, 26/11/2026</p>
<div class="qr"><svg viewBox="0 0 57 57">{{range .QR}}<rect x="{{.X}}" y="{{.Y}}" width="1" height="1"/>{{end}}</svg>
<div><b>Contrassegno elettronico (art. 23-ter, comma 5, CAD)</b><br><b>Codice di verifica: {{.Code}}</b><br>https://ala.example/verifica</div></div>
</body></html>`))

type module struct{ X, Y int }

// printWithChromium prints n certificates in each of tabs warm tabs of one
// browser, the tabs at the same time and each one document after the
// other, and times each document; the rate is over the measured documents
// of all tabs.
func printWithChromium(ctx context.Context, bin string, n, tabs int, dir string) (*result, error) {
	alloc, cancel := chromedp.NewExecAllocator(ctx, chromedp.ExecPath(bin), chromedp.Headless, chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true), chromedp.Flag("disable-quic", true), chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.UserDataDir(filepath.Join(dir, "chrome")))
	defer cancel()
	browser, cancelBrowser := chromedp.NewContext(alloc)
	defer cancelBrowser()
	if _, err := chromedp.Run(browser, chromedp.Navigate("about:blank")); err != nil {
		return nil, fmt.Errorf("chromium: %w", err)
	}
	var qr []module // a plausible 57×57 pattern, about half dark
	for y := range 57 {
		for x := range 57 {
			if (x*7+y*13+x*y)%3 == 0 {
				qr = append(qr, module{x, y})
			}
		}
	}
	var (
		mu      sync.Mutex
		l       []time.Duration
		warm    sync.WaitGroup // every tab has printed its two warm-up documents
		started = make(chan struct{})
		errs    = make(chan error, tabs)
		done    sync.WaitGroup
	)
	warm.Add(tabs)
	for t := range tabs {
		tab := browser // the first tab is the browser's own
		if t > 0 {
			var cancelTab context.CancelFunc
			tab, cancelTab = chromedp.NewContext(browser)
			defer cancelTab()
			if _, err := chromedp.Run(tab, chromedp.Navigate("about:blank")); err != nil {
				return nil, fmt.Errorf("chromium: tab %d: %w", t+1, err)
			}
		}
		done.Go(func() {
			for i := range n + 2 {
				if i == 2 { // the first two warm the tab up
					warm.Done()
					<-started
				}
				d, err := printOne(tab, qr, t*1000+i)
				if err != nil {
					errs <- err
					if i < 2 {
						warm.Done()
					}
					return
				}
				if i >= 2 {
					mu.Lock()
					l = append(l, d)
					mu.Unlock()
				}
			}
		})
	}
	warm.Wait()
	start := time.Now()
	close(started)
	done.Wait()
	elapsed := time.Since(start)
	close(errs)
	if err := <-errs; err != nil {
		return nil, err
	}
	return summarize(l, elapsed, 0), nil
}

// printOne prints certificate i as HTML to PDF in tab and returns how long
// it took.
func printOne(tab context.Context, qr []module, i int) (time.Duration, error) {
	var buf bytes.Buffer
	if err := certificateHTML.Execute(&buf, map[string]any{"Name": "Tomasi Marco", "CF": "TMSMRC79E03H612A",
		"Code": "7R65-HNEX-7XE9-" + strconv.Itoa(1000+i), "QR": qr}); err != nil {
		return 0, err
	}
	html := buf.String()
	t0 := time.Now()
	pdf, err := chromedp.Run(tab, func(ctx context.Context, t *chromedp.Target) ([]byte, error) {
		tree, err := cdp.Call(ctx, t, page.GetFrameTree, cdp.Empty{})
		if err != nil {
			return nil, err
		}
		if _, err := cdp.Call(ctx, t, page.SetDocumentContent, page.SetDocumentContentParams{
			FrameID: tree.FrameTree.Frame.ID, HTML: html}); err != nil {
			return nil, err
		}
		yes := true
		res, err := cdp.Call(ctx, t, page.PrintToPDF, page.PrintToPDFParams{PreferCSSPageSize: &yes})
		return res.Data, err
	})
	if err != nil {
		return 0, fmt.Errorf("chromium: print: %w", err)
	}
	if len(pdf) < 1000 {
		return 0, errors.New("chromium: an empty PDF")
	}
	return time.Since(t0), nil
}
