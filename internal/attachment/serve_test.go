package attachment_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/attachment"
	"github.com/sportello/sportello/internal/blob"
)

func TestServe(t *testing.T) {
	root := t.TempDir()
	store, err := blob.NewFS(root)
	if err != nil {
		t.Fatal(err)
	}
	rule := attachment.Rule{Accept: []string{attachment.PDF, attachment.PNG, attachment.P7M}, MaxBytes: 1 << 20}
	big := append(bytes.Clone(pdfBytes), bytes.Repeat([]byte("x"), 100_000)...) // several copy chunks
	pdf, err := attachment.Store(t.Context(), store, bytes.NewReader(big), "Perché è così.pdf", rule, nil)
	if err != nil {
		t.Fatal(err)
	}
	p7m, err := attachment.Store(t.Context(), store, bytes.NewReader(derP7M(t, pdfBytes)), "domanda.pdf.p7m", rule, nil)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name       string
		method     string
		file       attachment.File
		header     http.Header
		wantStatus int
		wantHeader map[string]string
		wantBody   []byte
	}{
		{
			name: "pdf", method: http.MethodGet, file: pdf, wantStatus: http.StatusOK,
			wantHeader: map[string]string{
				"Content-Type":                 "application/pdf",
				"Content-Disposition":          `attachment; filename="Perch_ _ cos_.pdf"; filename*=UTF-8''Perch%C3%A9%20%C3%A8%20cos%C3%AC.pdf`,
				"X-Content-Type-Options":       "nosniff",
				"Content-Security-Policy":      "default-src 'none'; sandbox",
				"Cache-Control":                "private, no-cache",
				"Cross-Origin-Resource-Policy": "same-origin",
				"ETag":                         `"` + string(pdf.SHA256) + `"`,
				"Content-Length":               strconv.Itoa(len(big)),
			},
			wantBody: big,
		},
		{
			name: "p7m goes as octet-stream", method: http.MethodGet, file: p7m, wantStatus: http.StatusOK,
			wantHeader: map[string]string{
				"Content-Type":        "application/octet-stream",
				"Content-Disposition": `attachment; filename="domanda.pdf.p7m"; filename*=UTF-8''domanda.pdf.p7m`,
			},
			wantBody: derP7M(t, pdfBytes),
		},
		{
			name: "head", method: http.MethodHead, file: pdf, wantStatus: http.StatusOK,
			wantHeader: map[string]string{"Content-Length": strconv.Itoa(len(big)), "Content-Disposition": `attachment; filename="Perch_ _ cos_.pdf"; filename*=UTF-8''Perch%C3%A9%20%C3%A8%20cos%C3%AC.pdf`},
			wantBody:   nil,
		},
		{
			name: "not modified", method: http.MethodGet, file: pdf,
			header:     http.Header{"If-None-Match": {`"other", "` + string(pdf.SHA256) + `"`}},
			wantStatus: http.StatusNotModified,
			wantHeader: map[string]string{"ETag": `"` + string(pdf.SHA256) + `"`},
		},
		{
			name: "a name that claims html is still a download", method: http.MethodGet,
			file:       attachment.File{Name: "pagina.html", MIME: "text/html", Size: pdf.Size, SHA256: pdf.SHA256},
			wantStatus: http.StatusOK,
			wantHeader: map[string]string{"Content-Type": "application/octet-stream", "Content-Disposition": `attachment; filename="pagina.html"; filename*=UTF-8''pagina.html`},
			wantBody:   big,
		},
	}
	// ServeContent, given the bytes the caller read, must answer as Serve
	// does from the store.
	contents := map[blob.Key][]byte{pdf.SHA256: big, p7m.SHA256: derP7M(t, pdfBytes)}
	serves := map[string]func(http.ResponseWriter, *http.Request, attachment.File) error{
		"Serve": func(w http.ResponseWriter, r *http.Request, f attachment.File) error {
			return attachment.Serve(w, r, store, f)
		},
		"ServeContent": func(w http.ResponseWriter, r *http.Request, f attachment.File) error {
			return attachment.ServeContent(w, r, f, contents[f.SHA256])
		},
	}
	for _, tc := range tests {
		for name, serve := range serves {
			t.Run(name+"/"+tc.name, func(t *testing.T) {
				req := httptest.NewRequestWithContext(t.Context(), tc.method, "/allegati/1", nil)
				for k, v := range tc.header {
					req.Header[k] = v
				}
				rec := httptest.NewRecorder()
				if err := serve(rec, req, tc.file); err != nil {
					t.Fatal(err)
				}
				if rec.Code != tc.wantStatus {
					t.Errorf("status = %d, want %d", rec.Code, tc.wantStatus)
				}
				got := map[string]string{}
				for k := range tc.wantHeader {
					got[k] = rec.Header().Get(k)
				}
				if diff := cmp.Diff(tc.wantHeader, got); diff != "" {
					t.Errorf("headers mismatch (-want +got):\n%s", diff)
				}
				if !bytes.Equal(rec.Body.Bytes(), tc.wantBody) {
					t.Errorf("body: %d bytes, want %d", rec.Body.Len(), len(tc.wantBody))
				}
			})
		}
	}
}

// TestServeMissing returns NotFound before any header is set, so that the
// caller's error page is not offered as a download.
func TestServeMissing(t *testing.T) {
	store, _ := newStore(t)
	f := attachment.File{Name: "x.pdf", MIME: attachment.PDF, Size: 3, SHA256: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}
	for _, f := range []attachment.File{f, {Name: "x.pdf", SHA256: "../../etc/passwd"}} {
		rec := httptest.NewRecorder()
		err := attachment.Serve(rec, httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/", nil), store, f)
		if !apperr.Is(err, apperr.NotFound) {
			t.Errorf("Serve(%q) err = %v, want kind NotFound", f.SHA256, err)
		}
		if h := rec.Header().Get("Content-Disposition"); h != "" {
			t.Errorf("Content-Disposition %q set on an error", h)
		}
	}
}

// TestServeCorrupt damages a stored file on disk: the download must end
// short of its Content-Length, never deliver the damaged file whole.
func TestServeCorrupt(t *testing.T) {
	root := t.TempDir()
	store, err := blob.NewFS(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, size := range []int{100, 32 << 10, 100_000} {
		content := append(bytes.Clone(pdfBytes), bytes.Repeat([]byte("y"), size-len(pdfBytes))...)
		f, err := attachment.Store(t.Context(), store, bytes.NewReader(content), "a.pdf", attachment.Rule{Accept: []string{attachment.PDF}, MaxBytes: 1 << 20}, nil)
		if err != nil {
			t.Fatal(err)
		}
		k := string(f.SHA256)
		damaged := bytes.Clone(content)
		damaged[len(damaged)-1] = 'z'
		if err := os.WriteFile(filepath.Join(root, k[0:2], k[2:4], k), damaged, 0o600); err != nil {
			t.Fatal(err)
		}
		rec := httptest.NewRecorder()
		err = attachment.Serve(rec, httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/", nil), store, f)
		if err == nil {
			t.Errorf("size %d: no error for a damaged file", size)
		}
		if rec.Body.Len() >= size {
			t.Errorf("size %d: served %d bytes of a damaged file", size, rec.Body.Len())
		}
	}
}

func TestContentDisposition(t *testing.T) {
	tests := []struct{ in, want string }{
		{"domanda.pdf", `attachment; filename="domanda.pdf"; filename*=UTF-8''domanda.pdf`},
		{`a"b\c.pdf`, `attachment; filename="c.pdf"; filename*=UTF-8''c.pdf`},
		{`quote".pdf`, `attachment; filename="quote_.pdf"; filename*=UTF-8''quote_.pdf`},
		{"spazio e ;virgola.pdf", `attachment; filename="spazio e ;virgola.pdf"; filename*=UTF-8''spazio%20e%20%3Bvirgola.pdf`},
		{"日本.pdf", `attachment; filename="__.pdf"; filename*=UTF-8''%E6%97%A5%E6%9C%AC.pdf`},
		{"", `attachment; filename="allegato"; filename*=UTF-8''allegato`},
	}
	for _, tc := range tests {
		if got := attachment.ContentDisposition(tc.in); got != tc.want {
			t.Errorf("ContentDisposition(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}
