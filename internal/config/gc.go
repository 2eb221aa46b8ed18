package config

import (
	"math"
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

// GC is how the garbage collector was set up.
type GC struct {
	Percent int   // -1: off
	Limit   int64 // bytes; math.MaxInt64: none
}

// TuneGC applies GCPercent and MemoryLimit unless the GOGC or GOMEMLIMIT
// environment variables say otherwise (the runtime has read those already)
// and returns the settings in force.
func TuneGC(getenv func(string) string) GC {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(GCPercent)
	}
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(MemoryLimit)
	}
	pct := debug.SetGCPercent(-1)
	debug.SetGCPercent(pct)
	return GC{Percent: pct, Limit: debug.SetMemoryLimit(-1)}
}

// Attrs describes the settings for the start-up log.
func (g GC) Attrs() []any {
	limit := "none"
	if g.Limit != math.MaxInt64 {
		limit = strconv.FormatInt(g.Limit>>20, 10) + " MiB"
	}
	return []any{"gogc", g.Percent, "gomemlimit", limit}
}
