package attachment_test

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sportello/sportello/internal/attachment"
)

// eicar is the antivirus test file, assembled here so that this source file
// is not itself reported by a scanner on a developer's machine.
var eicar = `X5O!P%@AP[4\PZX54(P^)7CC)7}$` + `EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*`

// fakeClamd speaks clamd's INSTREAM protocol on a loopback port: it reads
// the chunks, answers FOUND for the EICAR string and OK otherwise, or
// behaves as its mode says. It records the sizes of the chunks it got.
type fakeClamd struct {
	addr   string
	mode   string // "", "limit" (StreamMaxLength 100 bytes), "silent"
	mu     sync.Mutex
	chunks []int
}

func startClamd(t *testing.T, mode string) *fakeClamd {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := &fakeClamd{addr: ln.Addr().String(), mode: mode}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { c.serve(conn) })
		}
	})
	return c
}

func (c *fakeClamd) serve(conn net.Conn) {
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(conn)
	cmd, err := r.ReadString(0)
	if err != nil || cmd != "zINSTREAM\x00" {
		io.WriteString(conn, "UNKNOWN COMMAND\x00")
		return
	}
	var data bytes.Buffer
	for {
		var n uint32
		if err := binary.Read(r, binary.BigEndian, &n); err != nil {
			return
		}
		if n == 0 {
			break
		}
		c.mu.Lock()
		c.chunks = append(c.chunks, int(n))
		c.mu.Unlock()
		if _, err := io.CopyN(&data, r, int64(n)); err != nil {
			return
		}
		if c.mode == "limit" && data.Len() > 100 {
			io.WriteString(conn, "INSTREAM size limit exceeded. ERROR\x00")
			return
		}
	}
	switch {
	case c.mode == "silent":
		io.Copy(io.Discard, r) // until the client gives up and hangs up
	case strings.Contains(data.String(), eicar):
		io.WriteString(conn, "stream: Eicar-Test-Signature FOUND\x00")
	default:
		io.WriteString(conn, "stream: OK\x00")
	}
}

func TestClamAV(t *testing.T) {
	big := bytes.Repeat([]byte("0123456789"), 10_000) // 100 kB: several chunks
	tests := []struct {
		name    string
		mode    string
		content []byte
		want    string
		wantErr bool
	}{
		{name: "clean", content: pdfBytes},
		{name: "clean in several chunks", content: big},
		{name: "empty", content: nil},
		{name: "eicar", content: []byte(eicar), want: "Eicar-Test-Signature"},
		{name: "eicar after the first chunk", content: append(bytes.Clone(big), eicar...), want: "Eicar-Test-Signature"},
		{name: "over clamd's limit", mode: "limit", content: big, wantErr: true},
		{name: "no answer", mode: "silent", content: pdfBytes, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clamd := startClamd(t, tc.mode)
			scanner := attachment.ClamAV{Addr: clamd.addr, Timeout: 500 * time.Millisecond}
			got, err := scanner.Scan(t.Context(), bytes.NewReader(tc.content))
			if tc.wantErr {
				if err == nil {
					t.Fatalf("Scan = %q, nil; want an error", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("Scan = %q, want %q", got, tc.want)
			}
			clamd.mu.Lock()
			defer clamd.mu.Unlock()
			for _, n := range clamd.chunks {
				if n > 32<<10 {
					t.Errorf("chunk of %d bytes", n)
				}
			}
		})
	}
}

func TestClamAVDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	if _, err := (attachment.ClamAV{Addr: addr, Timeout: time.Second}).Scan(t.Context(), bytes.NewReader(pdfBytes)); err == nil {
		t.Error("Scan with clamd down: no error")
	}
}

// TestStoreWithClamAV runs the EICAR file through Store and the fake
// clamd: refused as Infected, nothing stored.
func TestStoreWithClamAV(t *testing.T) {
	clamd := startClamd(t, "")
	store, list := newStore(t)
	rule := attachment.Rule{Accept: []string{attachment.PDF}, MaxBytes: 1 << 20}
	content := append(bytes.Clone(pdfBytes), eicar...)
	_, err := attachment.Store(t.Context(), store, bytes.NewReader(content), "eicar.pdf", rule, attachment.ClamAV{Addr: clamd.addr})
	if e, ok := err.(*attachment.Error); !ok || e.Reason != attachment.Infected || e.Signature != "Eicar-Test-Signature" {
		t.Errorf("err = %v, want Infected by Eicar-Test-Signature", err)
	}
	if keys := list(); len(keys) > 0 {
		t.Errorf("infected upload stored %v", keys)
	}
	if _, err := attachment.Store(t.Context(), store, bytes.NewReader(pdfBytes), "ok.pdf", rule, attachment.ClamAV{Addr: clamd.addr}); err != nil {
		t.Errorf("clean upload: %v", err)
	}
}
