package certificate_test

import (
	"context"
	"errors"
	"io"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/sportello/sportello/internal/blob"
	"github.com/sportello/sportello/internal/certificate"
)

// stager wraps the fixture's store: its durable can be made to fail (the
// stage numbered failAt, counting from 1) or to wait for release.
type stager struct {
	*blob.FS
	stages  atomic.Int64
	failAt  int64
	called  chan struct{} // receives when a durable is called, if not nil
	release chan struct{} // durable waits for it, if not nil
}

var errFlush = errors.New("the disk is gone")

func (s *stager) Stage(ctx context.Context, r io.Reader) (blob.Key, int64, func() error, error) {
	k, n, durable, err := s.FS.Stage(ctx, r)
	if err != nil {
		return k, n, durable, err
	}
	if s.stages.Add(1) == s.failAt {
		return k, n, func() error { return errFlush }, nil
	}
	return k, n, func() error {
		if s.called != nil {
			s.called <- struct{}{}
		}
		if s.release != nil {
			<-s.release
		}
		return durable()
	}, nil
}

// count returns how many rows table has for the fixture's ente.
func (f *fixture) count(t *testing.T, table string) int {
	t.Helper()
	var n int
	if err := f.d.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+table+` WHERE ente_id = $1`, f.ala.ID).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestIssueCommitsOnceTheFileIsDurable checks that the registration's
// statements run while the file is flushed, and that nothing is committed
// before the flush has returned.
func TestIssueCommitsOnceTheFileIsDurable(t *testing.T) {
	f := setup(t)
	s := &stager{FS: f.blobs, called: make(chan struct{}), release: make(chan struct{})}
	f.issuer.Blobs = s
	o := f.online(cfSofia, certificate.Residence)
	o.Exemption = 7
	errc := make(chan error, 1)
	go func() {
		_, err := f.issuer.Issue(ctx, o)
		errc <- err
	}()
	<-s.called // inside the transaction, its statements run
	if n := f.count(t, "certificate"); n != 0 {
		t.Errorf("%d certificates committed before the file is durable", n)
	}
	if n := f.count(t, "protocol_entry"); n != 0 {
		t.Errorf("%d protocol entries committed before the file is durable", n)
	}
	close(s.release)
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if n := f.count(t, "certificate"); n != 1 {
		t.Errorf("%d certificates after the flush, want 1", n)
	}
}

// TestIssueFlushFails checks that a certificate whose file could not be
// made durable is not registered, whichever batch it is in, and that the
// certificates issued with it are.
func TestIssueFlushFails(t *testing.T) {
	f := setup(t)
	f.issuer.Blobs = &stager{FS: f.blobs, failAt: 1}
	o := f.online(cfSofia, certificate.Residence)
	o.Exemption = 7
	if _, err := f.issuer.Issue(ctx, o); !errors.Is(err, errFlush) {
		t.Fatalf("Issue with a failed flush = %v, want %v", err, errFlush)
	}
	if n, p := f.count(t, "certificate"), f.count(t, "protocol_entry"); n != 0 || p != 0 {
		t.Fatalf("after a failed flush: %d certificates, %d protocol entries; want none", n, p)
	}

	// Eight at once, the third of which fails: the others are issued,
	// with protocol numbers that leave no gap.
	f.issuer.Blobs = &stager{FS: f.blobs, failAt: 3}
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		failed int
		issued []*certificate.Certificate
	)
	for range 8 {
		wg.Go(func() {
			res, err := f.issuer.Issue(ctx, o)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case errors.Is(err, errFlush):
				failed++
			case err != nil:
				t.Error(err)
			default:
				issued = append(issued, res.Certificate)
			}
		})
	}
	wg.Wait()
	if failed != 1 || len(issued) != 7 {
		t.Fatalf("%d failed, %d issued; want 1 and 7", failed, len(issued))
	}
	numbers := map[int64]bool{}
	for _, c := range issued {
		numbers[c.ProtocolNumber] = true
		if _, err := certificate.Open(ctx, f.blobs, c); err != nil {
			t.Errorf("certificate %s: %v", c.Code, err)
		}
	}
	for n := int64(1); n <= 7; n++ {
		if !numbers[n] {
			t.Errorf("protocol numbers %v: %d is missing", numbers, n)
		}
	}
	if n, p := f.count(t, "certificate"), f.count(t, "protocol_entry"); n != 7 || p != 7 {
		t.Errorf("%d certificates, %d protocol entries; want 7 each", n, p)
	}
}
