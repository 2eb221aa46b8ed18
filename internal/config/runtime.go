package config

import (
	"math"
	"runtime"
	"runtime/debug"
	"strconv"
)

// The server's garbage collector settings. Go's default (GOGC=100) lets
// the heap grow to twice what is live before collecting; a Sportello
// instance keeps little live (a few tens of megabytes: sessions, caches,
// the requests under way) and allocates a lot per request (pages, PDFs,
// SQL rows), so with the default it collects several times a second and
// the collector takes a tenth of the CPU under load. GCPercent lets the
// heap grow to five times what is live instead, and MemoryLimit bounds
// that: near the limit the collector runs as often as it must, so a large
// live heap never grows five times over.
const (
	GCPercent   = 400
	MemoryLimit = 1 << 30 // 1 GiB
)

// ProcsPerCPU is how many goroutines the server runs at once for each CPU
// Go would use by default (GOMAXPROCS). SQLite's commits, the blob store's
// flushes and the checkpoints wait for the disk inside system calls; while
// one waits, the runtime gives its processor to another goroutine, and when
// the call returns the goroutine queues for a processor behind the pages
// and PDFs being rendered. On SQLite every write of an instance goes
// through one committer at a time, so each such wait holds up every
// request queued behind the commit. With more processors than CPUs the
// kernel shares the CPUs among the threads instead, in slices far shorter
// than a render, and the committer resumes at once: on the 2-CPU reference
// machine certificates went from about 900 to about 1,100 a second, with
// p95 from 47 to 31 ms (docs/benchmarks-certificates.md).
const ProcsPerCPU = 2

// Runtime is how the Go runtime was set up.
type Runtime struct {
	Percent int   // GOGC; -1: off
	Limit   int64 // GOMEMLIMIT, bytes; math.MaxInt64: none
	Procs   int   // GOMAXPROCS
}

// TuneRuntime applies GCPercent, MemoryLimit and ProcsPerCPU unless the
// GOGC, GOMEMLIMIT or GOMAXPROCS environment variables say otherwise (the
// runtime has read those already) and returns the settings in force.
func TuneRuntime(getenv func(string) string) Runtime {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(GCPercent)
	}
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(MemoryLimit)
	}
	if getenv("GOMAXPROCS") == "" {
		// The default follows the machine's CPUs and the container's CPU
		// limit; setting it stops the runtime from following later
		// changes of the limit, which a restart picks up.
		runtime.GOMAXPROCS(ProcsPerCPU * runtime.GOMAXPROCS(0))
	}
	pct := debug.SetGCPercent(-1)
	debug.SetGCPercent(pct)
	return Runtime{Percent: pct, Limit: debug.SetMemoryLimit(-1), Procs: runtime.GOMAXPROCS(0)}
}

// Attrs describes the settings for the start-up log.
func (r Runtime) Attrs() []any {
	limit := "none"
	if r.Limit != math.MaxInt64 {
		limit = strconv.FormatInt(r.Limit>>20, 10) + " MiB"
	}
	return []any{"gogc", r.Percent, "gomemlimit", limit, "gomaxprocs", r.Procs}
}
