package web

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/sportello/sportello/internal/blob"
	"github.com/sportello/sportello/internal/certificate"
)

// heldStore is a file system store whose shared flush never comes: the
// issuer's settler waits on it, as a process that crashed before its flush
// never settles.
type heldStore struct {
	*blob.FS
	hold chan struct{}
}

func (s heldStore) Sync() error {
	<-s.hold
	return s.FS.Sync()
}

// TestCertificateDownloadAfterCrash checks that a certificate whose file
// was lost or damaged before its flush (a crash) downloads whole from the
// kept copy, before the settle job has run.
func TestCertificateDownloadAfterCrash(t *testing.T) {
	f := newAccessFixture(t)
	root := t.TempDir()
	fs, err := blob.NewFS(root)
	if err != nil {
		t.Fatal(err)
	}
	hold := make(chan struct{})
	t.Cleanup(func() { close(hold) })
	// A fresh issuer, whose settler never reaches a flush.
	old := f.srv.certs
	f.srv.certs = &certificate.Issuer{DB: old.DB, Registrar: old.Registrar, Blobs: heldStore{fs, hold}, Keys: old.Keys, Now: old.Now}

	get := func(path string) (*http.Response, string) {
		req := httptest.NewRequest("GET", path, nil)
		req.Host = "localhost"
		for _, c := range f.login(t, pCitizenA) {
			req.AddCookie(c)
		}
		return do(t, f.srv, req)
	}
	issue := func() (path, digest string) {
		req := httptest.NewRequest("POST", "/area-personale/certificati", strings.NewReader(url.Values{
			"persona": {strconv.FormatInt(int64(f.certs.personA), 10)}, "tipo": {"8"}, "esenzione": {"3"}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Host = "localhost"
		for _, c := range f.login(t, pCitizenA) {
			req.AddCookie(c)
		}
		res, _ := do(t, f.srv, req)
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("request: status %d", res.StatusCode)
		}
		path = strings.TrimSuffix(strings.SplitN(res.Header.Get("Location"), "?", 2)[0], "/")
		id, err := strconv.ParseInt(path[strings.LastIndex(path, "/")+1:], 10, 64)
		if err != nil {
			t.Fatalf("certificate page %s: %v", path, err)
		}
		if err := f.srv.db.QueryRowContext(t.Context(), `SELECT sha256 FROM certificate_file_pending WHERE certificate_id = $1`, id).Scan(&digest); err != nil {
			t.Fatalf("certificate %d has no kept copy: %v", id, err)
		}
		return path, digest
	}
	file := func(digest string) string { return filepath.Join(root, digest[0:2], digest[2:4], digest) }

	tests := []struct {
		name  string
		crash func(path string) error
	}{
		{"lost", os.Remove},
		{"emptied", func(path string) error { return os.Truncate(path, 0) }},
		{"intact", func(string) error { return nil }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path, digest := issue()
			if err := tc.crash(file(digest)); err != nil {
				t.Fatal(err)
			}
			res, pdf := get(path + "/pdf")
			sum := sha256.Sum256([]byte(pdf))
			if res.StatusCode != http.StatusOK || hex.EncodeToString(sum[:]) != digest {
				t.Fatalf("download: status %d, %d bytes hashing to %x; want 200 and %s", res.StatusCode, len(pdf), sum, digest)
			}
			// The file is whole again on disk and the copy is gone.
			if b, err := os.ReadFile(file(digest)); err != nil || sha256.Sum256(b) != sum {
				t.Errorf("the file on disk after the download: %v", err)
			}
			var kept int
			if err := f.srv.db.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM certificate_file_pending WHERE sha256 = $1`, digest).Scan(&kept); err != nil || kept != 0 {
				t.Errorf("%d kept copies after the download (%v), want 0", kept, err)
			}
		})
	}
}
