package attachment_test

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sportello/sportello/internal/attachment"
)

// upload is a reader of size bytes that look like a PDF, distinct for each
// id, made on the fly so that the test itself holds no file in memory.
type upload struct {
	head   []byte
	size   int64
	offset int64
}

// filler is the body of every generated upload.
var filler = bytes.Repeat([]byte("0123456789abcdef"), 4096)

func newUpload(id int, size int64) *upload {
	return &upload{head: fmt.Appendf(nil, "%%PDF-1.7\n%% upload %d\n", id), size: size}
}

func (u *upload) Read(p []byte) (int, error) {
	if u.offset >= u.size {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), u.size-u.offset)]
	n := 0
	for n < len(p) {
		at := u.offset + int64(n)
		if at < int64(len(u.head)) {
			n += copy(p[n:], u.head[at:])
			continue
		}
		n += copy(p[n:], filler[int(at)%len(filler):])
	}
	u.offset += int64(n)
	return n, nil
}

// rss returns the process's resident set size from /proc, or 0 elsewhere.
func rss() uint64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseUint(f[1], 10, 64)
	return pages * uint64(os.Getpagesize())
}

// TestStoreMemory sends 100 uploads of 10 MB through Store at once and
// measures how much the heap grows: Store must stream, so the growth is
// about a hundred small buffers, not a gigabyte. The target is 32 MB.
func TestStoreMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 2 GB to disk")
	}
	const uploads, size = 100, 10 << 20
	store, _ := newStore(t)
	spoolDir(t)
	rule := attachment.Rule{Accept: []string{attachment.PDF}, MaxBytes: size}

	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	rssBefore := rss()
	var peakHeap, peakRSS atomic.Uint64
	done := make(chan struct{})
	var sampler sync.WaitGroup
	sampler.Go(func() {
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		var m runtime.MemStats
		for {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peakHeap.Load() {
				peakHeap.Store(m.HeapInuse)
			}
			if r := rss(); r > peakRSS.Load() {
				peakRSS.Store(r)
			}
		}
	})

	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, uploads)
	for i := range uploads {
		wg.Go(func() {
			f, err := attachment.Store(t.Context(), store, newUpload(i, size), fmt.Sprintf("documento %03d.pdf", i), rule, nil)
			if err == nil && f.Size != size {
				err = fmt.Errorf("upload %d: stored %d bytes", i, f.Size)
			}
			errs <- err
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(done)
	sampler.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}

	growth := int64(peakHeap.Load()) - int64(before.HeapInuse)
	rssGrowth := int64(peakRSS.Load()) - int64(rssBefore)
	t.Logf("%d concurrent uploads of %d MB in %v: heap in use grew by %.1f MB at most, RSS by %.1f MB",
		uploads, size>>20, elapsed.Round(time.Millisecond), float64(growth)/(1<<20), float64(rssGrowth)/(1<<20))
	if growth > 32<<20 {
		t.Errorf("heap grew by %d bytes, want at most 32 MB", growth)
	}
}

// BenchmarkStore1MB stores distinct 1 MB PDFs into an FS blob store from
// 8 goroutines per CPU, as concurrent submissions would: the blob store's
// fsyncs wait on the disk, not the CPU, so one goroutine per CPU would
// measure the disk's latency rather than the throughput.
func BenchmarkStore1MB(b *testing.B) {
	store, _ := newStore(b)
	dir := b.TempDir()
	b.Setenv("TMPDIR", dir)
	rule := attachment.Rule{Accept: []string{attachment.PDF}, MaxBytes: 10 << 20}
	var id atomic.Int64
	b.SetBytes(1 << 20)
	b.ReportAllocs()
	b.SetParallelism(8)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			_, err := attachment.Store(b.Context(), store, newUpload(int(id.Add(1)), 1<<20), "domanda.pdf", rule, nil)
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
}
