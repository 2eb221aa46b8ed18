package main

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestVerdict checks each target's line against runs on either side of it.
func TestVerdict(t *testing.T) {
	tests := []struct {
		name   string
		con    result
		chrome float64
		want   []string // the three targets' verdicts, in order
		lone   string   // the one-at-a-time ratio
	}{
		{"all met", result{rate: 1250, p95: 31 * time.Millisecond}, 16.8, []string{"met", "met", "met"}, "40×"},
		{"at the limits", result{rate: 1000, p95: 50 * time.Millisecond}, 20, []string{"met", "met", "met"}, "40×"},
		{"slow", result{rate: 999, p95: 51 * time.Millisecond}, 10, []string{"NOT MET", "NOT MET", "met"}, "40×"},
		{"chromium too close", result{rate: 1200, p95: 20 * time.Millisecond}, 25, []string{"met", "met", "NOT MET"}, "40×"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := verdict(&tt.con, tt.chrome, 2*time.Millisecond, 80*time.Millisecond)
			lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
			if len(lines) != 5 || lines[0] != "targets:" {
				t.Fatalf("verdict:\n%s", out)
			}
			var got []string
			for _, l := range lines[1:4] {
				got = append(got, strings.TrimSpace(l[strings.LastIndex(l, "  "):]))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("verdicts (-want +got):\n%s\n%s", diff, out)
			}
			if !strings.Contains(lines[4], tt.lone) {
				t.Errorf("one at a time: %q, want %s", lines[4], tt.lone)
			}
		})
	}
}
