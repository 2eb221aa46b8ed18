package web

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/sportello/sportello/internal/blob"
	"github.com/sportello/sportello/internal/blob/blobtest"
	"github.com/sportello/sportello/internal/certificate"
)

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
	held := blobtest.NewHeld(fs)
	t.Cleanup(func() { close(held.Hold) })
	// A fresh issuer, whose settler never reaches a flush.
	old := f.srv.certs
	f.srv.certs = &certificate.Issuer{DB: old.DB, Registrar: old.Registrar, Blobs: held, Keys: old.Keys, Now: old.Now}

	issue := func() (path, digest string) {
		res, _ := f.as(t, pCitizenA, "POST", "/area-personale/certificati", url.Values{
			"persona": {strconv.FormatInt(int64(f.certs.personA), 10)}, "tipo": {"8"}, "esenzione": {"3"}}.Encode(), formType)
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("request: status %d", res.StatusCode)
		}
		path = strings.TrimSuffix(strings.SplitN(res.Header.Get("Location"), "?", 2)[0], "/")
		id, err := strconv.ParseInt(path[strings.LastIndex(path, "/")+1:], 10, 64)
		if err != nil {
			t.Fatalf("certificate page %s: %v", path, err)
		}
		if err := f.srv.db.QueryRowContext(t.Context(), `SELECT sha256 FROM certificate_file WHERE certificate_id = $1`, id).Scan(&digest); err != nil {
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
			res, pdf := f.as(t, pCitizenA, "GET", path+"/pdf", "", "")
			sum := sha256.Sum256([]byte(pdf))
			if res.StatusCode != http.StatusOK || hex.EncodeToString(sum[:]) != digest {
				t.Fatalf("download: status %d, %d bytes hashing to %x; want 200 and %s", res.StatusCode, len(pdf), sum, digest)
			}
			// The file is whole again on disk and the copy is gone.
			if b, err := os.ReadFile(file(digest)); err != nil || sha256.Sum256(b) != sum {
				t.Errorf("the file on disk after the download: %v", err)
			}
			var kept int
			if err := f.srv.db.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM certificate_file WHERE sha256 = $1`, digest).Scan(&kept); err != nil || kept != 0 {
				t.Errorf("%d kept copies after the download (%v), want 0", kept, err)
			}
		})
	}
}
