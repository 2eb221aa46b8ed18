package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sportello/sportello/internal/config"
	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/db/testdb"
)

// TestMain lets a test start this test binary as the real sportello
// process (to send it signals): with SPORTELLO_TEST_MAIN=1 it runs main.
func TestMain(m *testing.M) {
	if os.Getenv("SPORTELLO_TEST_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

func noEnv(string) string { return "" }

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// readyWithin bounds a start in the tests: a hang guard, not a speed
// check (the demo's start hashes four passwords with argon2id, slow under
// the race detector on a busy machine; docs/benchmarks.md has the speed).
const readyWithin = 2 * time.Minute

func waitReady(t *testing.T, base string, done <-chan error) {
	t.Helper()
	deadline := time.Now().Add(readyWithin)
	for time.Now().Before(deadline) {
		select {
		case err := <-done:
			t.Fatalf("server stopped before it was ready: %v", err)
		default:
		}
		res, err := http.Get(base + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("server not ready after %s", readyWithin)
}

// startDemo runs `sportello demo` in process until the test cancels it.
func startDemo(t *testing.T, dataDir string, extra ...string) (base string, stop func() (string, error)) {
	t.Helper()
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	out := &syncBuffer{}
	done := make(chan error, 1)
	args := append([]string{"demo", "--addr", addr, "--data", dataDir, "--log-level", "warn"}, extra...)
	go func() { done <- run(ctx, args, noEnv, out) }()
	base = "http://" + addr
	waitReady(t, base, done)
	return base, func() (string, error) {
		cancel()
		select {
		case err := <-done:
			return out.String(), err
		case <-time.After(30 * time.Second):
			t.Fatal("server did not stop within 30 s")
			return "", nil
		}
	}
}

func TestDemoServesHomeAndKeepsData(t *testing.T) {
	dir := t.TempDir()
	base, stop := startDemo(t, dir)
	res, err := http.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(body), "Comune di Ala") || !strings.Contains(string(body), "pArLA") {
		t.Fatalf("home: status %d, body lacks the demo comune", res.StatusCode)
	}
	// Store something, to see it survive a restart.
	form := url.Values{"page": {"/"}, "stars": {"5"}, "step": {"full"}}
	req, _ := http.NewRequest("POST", base+"/valutazione", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", base)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("rating POST: status %d", res.StatusCode)
	}
	out, err := stop()
	if err != nil {
		t.Fatalf("demo returned %v; output:\n%s", err, out)
	}
	if !strings.Contains(out, "Sito del comune:   "+base+"/") {
		t.Errorf("the demo did not print its URL:\n%s", out)
	}

	// A second start keeps the data and seeds nothing twice.
	_, stop = startDemo(t, dir)
	if _, err := stop(); err != nil {
		t.Fatal(err)
	}
	d, err := db.Open(context.Background(), "sqlite://"+dir+"/sportello.db", db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var enti, ratings int
	d.QueryRow(`SELECT count(*) FROM ente`).Scan(&enti)
	d.QueryRow(`SELECT count(*) FROM page_rating`).Scan(&ratings)
	if enti != 1 || ratings != 1 {
		t.Errorf("after a restart: %d enti, %d ratings; want 1 and 1", enti, ratings)
	}
}

func TestServeOnTheTestEngine(t *testing.T) {
	// serve (production mode) on the engine of this test run, with its own
	// database: migrations apply, /readyz answers, no demo data is seeded.
	u := testdb.URL(t)
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	out := &syncBuffer{}
	go func() {
		done <- run(ctx, []string{"serve", "--addr", addr, "--data", t.TempDir(), "--log-level", "warn"},
			func(k string) string {
				switch k {
				case "SPORTELLO_DATABASE_URL":
					return u
				case "SPORTELLO_SECRET_KEY":
					return testSecretKey
				}
				return ""
			}, out)
	}()
	waitReady(t, "http://"+addr, done)
	res, err := http.Get("http://" + addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNotFound {
		t.Errorf("home with no ente configured: status %d, want 404", res.StatusCode)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v\n%s", err, out.String())
	}
}

// testSecretKey is a fixed key for tests of production mode.
const testSecretKey = "dGVzdC1vbmx5LXNlY3JldC1rZXktMzItYnl0ZXMhISE="

func TestServeRequiresASecretKeyInProduction(t *testing.T) {
	var out bytes.Buffer
	err := run(context.Background(), []string{"serve", "--addr", freeAddr(t), "--data", t.TempDir()}, noEnv, &out)
	var ue *config.UsageError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "SPORTELLO_SECRET_KEY") {
		t.Errorf("serve without a secret key: %v, want a usage error naming SPORTELLO_SECRET_KEY", err)
	}
}

func TestDemoKeepsItsSecretKey(t *testing.T) {
	dir := t.TempDir()
	cfg := &config.Config{Mode: config.Demo, DataDir: dir}
	if err := secretKey(cfg); err != nil {
		t.Fatal(err)
	}
	again := &config.Config{Mode: config.Demo, DataDir: dir}
	if err := secretKey(again); err != nil {
		t.Fatal(err)
	}
	if len(cfg.SecretKey) != 32 || !bytes.Equal(cfg.SecretKey, again.SecretKey) {
		t.Errorf("demo keys: %x then %x, want the same 32 bytes", cfg.SecretKey, again.SecretKey)
	}
	fi, err := os.Stat(filepath.Join(dir, "secret.key"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("secret.key mode %v, want 0600", fi.Mode().Perm())
	}
}

func TestMigrateCommand(t *testing.T) {
	var out bytes.Buffer
	err := run(context.Background(), []string{"migrate", "--database", testdb.URL(t), "--log-level", "error"}, noEnv, &out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "at migration") {
		t.Errorf("migrate printed %q", out.String())
	}
}

func TestCommandLineErrors(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantText string
	}{
		{"no command", nil, 2, "no command"},
		{"unknown command", []string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{"unknown flag", []string{"serve", "--colour", "blue"}, 2, "colour"},
		{"bad value", []string{"serve", "--addr", "nowhere"}, 2, "-addr"},
		{"bad env", []string{"demo"}, 2, "SPORTELLO_LOG_LEVEL"},
		{"help", []string{"serve", "--help"}, 0, ""},
		{"version", []string{"version"}, 0, ""},
		{"unreachable database", []string{"migrate", "--database", "postgres://nobody@127.0.0.1:1/x?connect_timeout=1", "--database-timeout", "200ms"}, 1, "cannot reach PostgreSQL"},
		{"bad document store", []string{"serve", "--blobs", "ftp://x"}, 2, "-blobs"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := noEnv
			if tc.name == "bad env" {
				env = func(k string) string {
					if k == "SPORTELLO_LOG_LEVEL" {
						return "chatty"
					}
					return ""
				}
			}
			var out, stderr bytes.Buffer
			err := run(context.Background(), tc.args, env, &out)
			if code := exitCode(err, &stderr); code != tc.wantCode {
				t.Errorf("exit code %d, want %d (err %v)", code, tc.wantCode, err)
			}
			if !strings.Contains(stderr.String(), tc.wantText) {
				t.Errorf("stderr %q does not mention %q", stderr.String(), tc.wantText)
			}
		})
	}
}

func TestServeHelpDocumentsEverySetting(t *testing.T) {
	var out bytes.Buffer
	err := run(context.Background(), []string{"serve", "--help"}, noEnv, &out)
	if exitCode(err, io.Discard) != 0 {
		t.Fatalf("serve --help: %v", err)
	}
	for _, want := range []string{"--addr", "SPORTELLO_ADDR", "127.0.0.1:8080", "--data", "SPORTELLO_DATA_DIR", "./data",
		"--database", "SPORTELLO_DATABASE_URL", "--base-url", "--log-level", "--log-format", "--blobs", "--shutdown-timeout"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("serve --help lacks %q", want)
		}
	}
}

// TestSIGTERMDrains starts the real process, sends it SIGTERM and expects
// a clean exit (status 0) after draining.
func TestSIGTERMDrains(t *testing.T) {
	addr := freeAddr(t)
	cmd := exec.Command(os.Args[0], "demo", "--addr", addr, "--data", t.TempDir())
	cmd.Env = append(os.Environ(), "SPORTELLO_TEST_MAIN=1")
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	deadline := time.Now().Add(readyWithin)
	for {
		res, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			res.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("not ready:\n%s", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, out.String())
		}
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatal("no exit within 30 s of SIGTERM")
	}
	if !strings.Contains(out.String(), "msg=stopped") {
		t.Errorf("the process did not log a clean stop:\n%s", out.String())
	}
}
