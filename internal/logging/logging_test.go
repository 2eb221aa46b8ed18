package logging

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"
)

func TestRequestIDOnEveryLine(t *testing.T) {
	var buf bytes.Buffer
	log := New(&buf, slog.LevelInfo, "json").With("component", "test")
	ctx := WithRequestID(context.Background(), "abc123")
	log.InfoContext(ctx, "served")
	log.DebugContext(ctx, "hidden")
	log.Info("no request")
	dec := json.NewDecoder(&buf)
	var lines []map[string]any
	for dec.More() {
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, m)
	}
	if len(lines) != 2 {
		t.Fatalf("got %d lines, want 2", len(lines))
	}
	if lines[0]["request_id"] != "abc123" || lines[0]["component"] != "test" {
		t.Errorf("first line = %v, want request_id and component", lines[0])
	}
	if _, ok := lines[1]["request_id"]; ok {
		t.Errorf("line without a request has request_id: %v", lines[1])
	}
}
