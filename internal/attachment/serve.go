package attachment

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/blob"
)

// inlineSafe are the types sent with their own Content-Type; everything
// else (TIFF, P7M, whatever a future rule accepts) goes as
// application/octet-stream, which no browser renders.
var inlineSafe = map[string]bool{PDF: true, JPEG: true, PNG: true}

// Serve sends a stored file as a download, never as a page of the site: a
// file is user content, and served inline from our origin a crafted one
// could run script with the user's session. So: Content-Disposition
// attachment (with the name for every browser, RFC 6266 and 5987), nosniff,
// a sandboxing Content-Security-Policy, and a private cache keyed on the
// SHA-256. The caller has checked that the user may see f.
//
// An error before the first byte (the blob is missing) is returned for the
// caller's error page. If the content turns out not to match its hash, the
// last chunk is withheld and the response ends short of its
// Content-Length, so the browser reports a failed download rather than
// saving a damaged file; the error is returned for the log.
func Serve(w http.ResponseWriter, r *http.Request, blobs blob.Store, f File) error {
	return serve(w, r, f, func() (io.ReadCloser, error) { return blobs.Open(r.Context(), f.SHA256) })
}

// ServeContent sends content, already read and checked against f.SHA256 by
// the caller, as Serve sends a stored file: the same headers, the same
// answer to If-None-Match and HEAD.
func ServeContent(w http.ResponseWriter, r *http.Request, f File, content []byte) error {
	f.Size = int64(len(content))
	return serve(w, r, f, func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(content)), nil })
}

// serve is Serve with the content opened by open.
func serve(w http.ResponseWriter, r *http.Request, f File, open func() (io.ReadCloser, error)) error {
	if _, err := blob.ParseKey(string(f.SHA256)); err != nil {
		return apperr.Errorf(apperr.NotFound, "attachment: serve: %w", err)
	}
	etag := `"` + string(f.SHA256) + `"`
	if match := r.Header.Get("If-None-Match"); match != "" && etagMatches(match, etag) {
		setHeaders(w.Header(), f, etag)
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	rc, err := open()
	if err != nil {
		// No header is set yet, so the caller's error page is a page.
		if errors.Is(err, blob.ErrNotFound) {
			return apperr.Errorf(apperr.NotFound, "attachment: serve: %w", err)
		}
		return fmt.Errorf("attachment: serve: %w", err)
	}
	defer rc.Close()
	setHeaders(w.Header(), f, etag)
	if f.Size > 0 {
		w.Header().Set("Content-Length", strconv.FormatInt(f.Size, 10))
	}
	if r.Method == http.MethodHead {
		return nil
	}
	if err := copyVerified(w, rc); err != nil {
		return fmt.Errorf("attachment: serve %s: %w", f.SHA256, err)
	}
	return nil
}

// setHeaders sets the headers that make a response a download.
func setHeaders(h http.Header, f File, etag string) {
	h.Set("ETag", etag)
	h.Set("Cache-Control", "private, no-cache")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	h.Set("Content-Disposition", ContentDisposition(f.Name))
	ctype := "application/octet-stream"
	if inlineSafe[f.MIME] {
		ctype = f.MIME
	}
	h.Set("Content-Type", ctype)
}

// copyVerified copies a blob reader, which reports a hash mismatch only
// with its final read, keeping each chunk back until the next read has
// succeeded: a damaged file never reaches the client whole.
func copyVerified(w io.Writer, r io.Reader) error {
	a, b := copyBufs.Get().(*[]byte), copyBufs.Get().(*[]byte)
	defer copyBufs.Put(a)
	defer copyBufs.Put(b)
	pending, next := (*a)[:0], (*b)[:cap(*b)]
	for {
		n, err := io.ReadFull(r, next)
		if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
			return err
		}
		if len(pending) > 0 {
			if _, werr := w.Write(pending); werr != nil {
				return werr
			}
		}
		if err != nil { // EOF: the reader verified the hash
			if n > 0 {
				_, werr := w.Write(next[:n])
				return werr
			}
			return nil
		}
		pending, next = next[:n], pending[:cap(pending)]
	}
}

// etagMatches reports whether an If-None-Match header names etag.
func etagMatches(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == etag || t == "*" {
			return true
		}
	}
	return false
}

// ContentDisposition returns an "attachment" header value carrying name
// twice: an ASCII fallback in filename for old clients, and the UTF-8 name
// percent-encoded in filename* (RFC 5987), which current browsers prefer.
func ContentDisposition(name string) string {
	name = SanitizeName(name)
	var ascii, ext strings.Builder
	for _, r := range name {
		switch {
		case r < 0x20 || r >= 0x7F || r == '"' || r == '\\':
			ascii.WriteByte('_')
		default:
			ascii.WriteRune(r)
		}
	}
	for _, c := range []byte(name) {
		if isAttrChar(c) {
			ext.WriteByte(c)
		} else {
			fmt.Fprintf(&ext, "%%%02X", c)
		}
	}
	return `attachment; filename="` + ascii.String() + `"; filename*=UTF-8''` + ext.String()
}

// isAttrChar reports whether c may appear unencoded in an RFC 5987 value.
func isAttrChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$&+-.^_`|~", c) >= 0
}
