package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/sportello/sportello/internal/apperr"
)

// staticFiles serves the embedded static tree with checksum URLs: a URL
// that carries the file's hash is cached for a year, since new content
// gets a new URL.
type staticFiles struct {
	files map[string]staticFile
}

type staticFile struct {
	data  []byte
	hash  string
	ctype string
}

func newStaticFiles(fsys fs.FS, root string) (*staticFiles, error) {
	sf := &staticFiles{files: map[string]staticFile{}}
	err := fs.WalkDir(fsys, root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		ctype := mime.TypeByExtension(path.Ext(p))
		if ctype == "" {
			ctype = http.DetectContentType(b)
		}
		sf.files[strings.TrimPrefix(p, root+"/")] = staticFile{data: b, hash: hex.EncodeToString(sum[:6]), ctype: ctype}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("static files: %w", err)
	}
	return sf, nil
}

// url returns the checksum URL of a static file; templates call it as
// {{static "css/sportello.css"}}. An unknown name panics at render, which
// the template test catches.
func (sf *staticFiles) url(name string) (string, error) {
	f, ok := sf.files[name]
	if !ok {
		return "", fmt.Errorf("no static file %q", name)
	}
	return "/static/" + name + "?v=" + f.hash, nil
}

func (s *Server) staticShow(w http.ResponseWriter, r *http.Request) error {
	name := strings.TrimPrefix(r.URL.Path, "/static/")
	f, ok := s.static.files[name]
	if !ok {
		return apperr.Errorf(apperr.NotFound, "static %q: no such file", name)
	}
	h := w.Header()
	h.Set("Content-Type", f.ctype)
	if r.URL.Query().Get("v") == f.hash {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "public, max-age=300")
	}
	h.Set("ETag", `"`+f.hash+`"`)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(f.data))
	return nil
}

func (s *Server) faviconShow(w http.ResponseWriter, r *http.Request) error {
	u, err := s.static.url("img/favicon.svg")
	if err != nil {
		return apperr.Errorf(apperr.NotFound, "favicon: %w", err)
	}
	http.Redirect(w, r, u, http.StatusMovedPermanently)
	return nil
}
