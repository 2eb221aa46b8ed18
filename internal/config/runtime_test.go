package config

import (
	"math"
	"runtime"
	"runtime/debug"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestTuneRuntime(t *testing.T) {
	pct, limit, procs := debug.SetGCPercent(-1), debug.SetMemoryLimit(-1), runtime.GOMAXPROCS(0)
	debug.SetGCPercent(pct)
	t.Cleanup(func() {
		debug.SetGCPercent(pct)
		debug.SetMemoryLimit(limit)
		runtime.GOMAXPROCS(procs)
	})
	tests := []struct {
		name string
		env  map[string]string
		// set is what GOGC, GOMEMLIMIT and GOMAXPROCS would have made the
		// runtime do before TuneRuntime runs.
		setPct   int
		setLimit int64
		setProcs int
		want     Runtime
	}{
		{"defaults", nil, 100, math.MaxInt64, 2, Runtime{Percent: GCPercent, Limit: MemoryLimit, Procs: 2 * ProcsPerCPU}},
		{"one CPU", nil, 100, math.MaxInt64, 1, Runtime{Percent: GCPercent, Limit: MemoryLimit, Procs: ProcsPerCPU}},
		{"GOGC kept", map[string]string{"GOGC": "150"}, 150, math.MaxInt64, 2, Runtime{Percent: 150, Limit: MemoryLimit, Procs: 2 * ProcsPerCPU}},
		{"GOGC off kept", map[string]string{"GOGC": "off"}, -1, math.MaxInt64, 2, Runtime{Percent: -1, Limit: MemoryLimit, Procs: 2 * ProcsPerCPU}},
		{"GOMEMLIMIT kept", map[string]string{"GOMEMLIMIT": "3GiB"}, 100, 3 << 30, 2, Runtime{Percent: GCPercent, Limit: 3 << 30, Procs: 2 * ProcsPerCPU}},
		{"GOMAXPROCS kept", map[string]string{"GOMAXPROCS": "3"}, 100, math.MaxInt64, 3, Runtime{Percent: GCPercent, Limit: MemoryLimit, Procs: 3}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			debug.SetGCPercent(tc.setPct)
			debug.SetMemoryLimit(tc.setLimit)
			runtime.GOMAXPROCS(tc.setProcs)
			got := TuneRuntime(env(tc.env))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("TuneRuntime (-want +got):\n%s", diff)
			}
			if p := debug.SetGCPercent(tc.want.Percent); p != tc.want.Percent {
				t.Errorf("runtime GOGC = %d, want %d", p, tc.want.Percent)
			}
			if p := runtime.GOMAXPROCS(0); p != tc.want.Procs {
				t.Errorf("runtime GOMAXPROCS = %d, want %d", p, tc.want.Procs)
			}
		})
	}
	if got := (Runtime{Percent: 400, Limit: math.MaxInt64, Procs: 8}).Attrs(); !cmp.Equal(got, []any{"gogc", 400, "gomemlimit", "none", "gomaxprocs", 8}) {
		t.Errorf("Attrs = %v", got)
	}
	if got := (Runtime{Percent: 400, Limit: 1 << 30, Procs: 4}).Attrs(); !cmp.Equal(got, []any{"gogc", 400, "gomemlimit", "1024 MiB", "gomaxprocs", 4}) {
		t.Errorf("Attrs = %v", got)
	}
}
