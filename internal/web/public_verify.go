package web

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/calendar"
	"github.com/sportello/sportello/internal/certificate"
)

// verifyMaxBody bounds an uploaded certificate: they are tens of kilobytes.
const verifyMaxBody = 4 << 20

// verifyPage is /verifica: a code typed, a QR scanned (its URL carries the
// sealed payload) or a file uploaded, and what the ente's records say. It
// shows what the certificate itself shows about the certificate — type,
// dates, status — and never the holder, so that a code does not reveal
// whose it is.
type verifyPage struct {
	basePage
	Code    string
	Problem string
	Result  *verifyResult
}

// verifyResult is the answer.
type verifyResult struct {
	StatusKey  string
	Valid      bool
	Title      string
	Issued     string
	ValidUntil string
	// FileChecked is set when a file was uploaded; FileMatches when it is
	// exactly the file the ente issued.
	FileChecked bool
	FileMatches bool
	Changed     []string
	Problems    []string
}

// verifyShow answers GET /verifica, with ?codice= or the QR's ?q=.
func (s *Server) verifyShow(w http.ResponseWriter, r *http.Request) error {
	p := &verifyPage{basePage: s.base(r, "cert.verify.title")}
	p.Breadcrumb = []crumb{{p.T("nav.home"), "/"}}
	q := r.URL.Query()
	switch {
	case q.Get("q") != "":
		if err := s.verifyPayload(r, p, q.Get("q")); err != nil {
			return err
		}
	case q.Get("codice") != "":
		p.Code = q.Get("codice")
		code, ok := certificate.NormalizeCode(p.Code)
		if !ok {
			p.Problem = p.T("cert.verify.bad-code")
			return s.render(w, r, http.StatusUnprocessableEntity, "public/verifica", p)
		}
		if err := s.verifyCode(r, p, code); err != nil {
			return err
		}
	}
	return s.render(w, r, http.StatusOK, "public/verifica", p)
}

// verifyCode fills the result from the ente's record of a code.
func (s *Server) verifyCode(r *http.Request, p *verifyPage, code string) error {
	ctx := r.Context()
	c, err := certificate.ByCode(ctx, s.db, enteFrom(ctx).ID, code)
	if apperr.Is(err, apperr.NotFound) {
		p.Result = &verifyResult{StatusKey: "cert.status.unknown"}
		return nil
	}
	if err != nil {
		return err
	}
	st := c.StatusOn(calendar.DateOf(s.now().In(rome)))
	if st == certificate.StatusPending {
		st = certificate.StatusUnknown
	}
	res := &verifyResult{StatusKey: "cert.status." + string(st), Valid: st == certificate.StatusValid}
	if st != certificate.StatusUnknown {
		v := s.certView(p.basePage, c)
		res.Title, res.Issued, res.ValidUntil = v.Title, v.Issued, v.ValidUntil
	}
	p.Result = res
	p.Code = code
	return nil
}

// verifyPayload checks a scanned QR's seal, then the record.
func (s *Server) verifyPayload(r *http.Request, p *verifyPage, text string) error {
	ctx := r.Context()
	e := enteFrom(ctx)
	pl, err := certificate.CheckPayload(ctx, s.db, e, text)
	if err != nil {
		if apperr.Is(err, apperr.Invalid) {
			p.Result = &verifyResult{StatusKey: "cert.status.unknown", Problems: []string{p.T("cert.verify.bad-seal")}}
			return nil
		}
		return err
	}
	return s.verifyCode(r, p, pl.Code)
}

// verifyUpload answers POST /verifica with a file (and optionally a code).
func (s *Server) verifyUpload(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	e := enteFrom(ctx)
	p := &verifyPage{basePage: s.base(r, "cert.verify.title")}
	p.Breadcrumb = []crumb{{p.T("nav.home"), "/"}}
	file, _, err := r.FormFile("file")
	if err != nil {
		p.Problem = p.T("cert.verify.no-file")
		return s.render(w, r, http.StatusUnprocessableEntity, "public/verifica", p)
	}
	defer file.Close()
	pdf, err := io.ReadAll(io.LimitReader(file, verifyMaxBody))
	if err != nil {
		return apperr.Errorf(apperr.Invalid, "verify: read the upload: %w", err)
	}
	keys, err := certificate.Published(ctx, s.db, e.ID)
	if err != nil {
		return err
	}
	v := certificate.Verify(pdf, keys)
	res := &verifyResult{StatusKey: "cert.status.unknown", FileChecked: true, Changed: v.Changed, Problems: v.Problems}
	if v.Payload != nil && v.Payload.Istat == e.IstatCode {
		if err := s.verifyCode(r, p, v.Payload.Code); err != nil {
			return err
		}
		if p.Result.StatusKey != "cert.status.unknown" {
			res.StatusKey, res.Valid, res.Title, res.Issued, res.ValidUntil =
				p.Result.StatusKey, p.Result.Valid && v.OK(), p.Result.Title, p.Result.Issued, p.Result.ValidUntil
			c, err := certificate.ByCode(ctx, s.db, e.ID, v.Payload.Code)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(pdf)
			res.FileMatches = v.OK() && hex.EncodeToString(sum[:]) == c.DocumentSHA256
		}
	}
	if !res.FileMatches && len(res.Problems) == 0 {
		res.Problems = []string{p.T("cert.verify.not-issued-file")}
	}
	res.Valid = res.Valid && res.FileMatches
	p.Result = res
	return s.render(w, r, http.StatusOK, "public/verifica", p)
}

// certificateKeys serves the ente's public keys.
func (s *Server) certificateKeys(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	e := enteFrom(ctx)
	keys, err := certificate.Published(ctx, s.db, e.ID)
	if err != nil {
		return err
	}
	doc := certificate.NewKeysDocument(e, keys)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Header().Set("Access-Control-Allow-Origin", "*")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}
