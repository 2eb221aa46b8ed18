package config

import (
	"math"
	"runtime/debug"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestTuneGC(t *testing.T) {
	pct, limit := debug.SetGCPercent(-1), debug.SetMemoryLimit(-1)
	debug.SetGCPercent(pct)
	t.Cleanup(func() {
		debug.SetGCPercent(pct)
		debug.SetMemoryLimit(limit)
	})
	tests := []struct {
		name string
		env  map[string]string
		// set is what GOGC and GOMEMLIMIT would have made the runtime do
		// before TuneGC runs.
		setPct   int
		setLimit int64
		want     GC
	}{
		{"defaults", nil, 100, math.MaxInt64, GC{Percent: GCPercent, Limit: MemoryLimit}},
		{"GOGC kept", map[string]string{"GOGC": "150"}, 150, math.MaxInt64, GC{Percent: 150, Limit: MemoryLimit}},
		{"GOGC off kept", map[string]string{"GOGC": "off"}, -1, math.MaxInt64, GC{Percent: -1, Limit: MemoryLimit}},
		{"GOMEMLIMIT kept", map[string]string{"GOMEMLIMIT": "3GiB"}, 100, 3 << 30, GC{Percent: GCPercent, Limit: 3 << 30}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			debug.SetGCPercent(tc.setPct)
			debug.SetMemoryLimit(tc.setLimit)
			got := TuneGC(env(tc.env))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("TuneGC (-want +got):\n%s", diff)
			}
			if p := debug.SetGCPercent(tc.want.Percent); p != tc.want.Percent {
				t.Errorf("runtime GOGC = %d, want %d", p, tc.want.Percent)
			}
		})
	}
	if got := (GC{Percent: 400, Limit: math.MaxInt64}).Attrs(); !cmp.Equal(got, []any{"gogc", 400, "gomemlimit", "none"}) {
		t.Errorf("Attrs = %v", got)
	}
	if got := (GC{Percent: 400, Limit: 1 << 30}).Attrs(); !cmp.Equal(got, []any{"gogc", 400, "gomemlimit", "1024 MiB"}) {
		t.Errorf("Attrs = %v", got)
	}
}
