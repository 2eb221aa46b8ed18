// Package attachment takes the files citizens upload and keeps only those
// that are what they claim to be.
//
// Store streams an upload, never holding it in memory: it recognises the
// type by the content's magic bytes (not by the name or the browser's
// Content-Type) before anything is written, checks it against the rule and
// the file's extension, counts the bytes and stops one past the limit, and
// computes the SHA-256. With a virus scanner the file goes through a
// temporary file that the scanner reads before it is stored; without one,
// straight into the blob store, which keeps it only if it was read to the
// end. A refused upload leaves nothing behind.
//
// Nothing is decompressed or interpreted beyond what the type check needs:
// ZIP archives and Office files are simply not accepted types, so a zip
// bomb is refused by its magic bytes whatever it is called; PDFs and images
// are not parsed past their signature. The one envelope opened is a CAdES
// .p7m, whose signed content must itself be an accepted type: only the
// first few kilobytes are decoded, up to three envelopes deep. Signatures
// are not verified here.
package attachment

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sync"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/blob"
)

// Rule limits the files of one upload field; it has the shape of the form
// package's FileRule so that a field's rule can be passed on as it is.
type Rule struct {
	// Accept lists MIME types: PDF, JPEG, PNG, TIFF and P7M are
	// recognised; any other type listed can never match.
	Accept []string
	// MaxBytes caps each file; it must be positive.
	MaxBytes int64
	// MaxCount caps the number of files of the field; 0 means 1.
	MaxCount int
}

// File is an accepted upload: what a pratica records about it. Name is the
// sanitised name, MIME the type found in the content, and SHA256 both the
// document's impronta and its key in the blob store.
type File struct {
	Name string
	MIME string
	// Signed is, for a P7M, the type of the signed content (the innermost
	// one when envelopes are nested); empty for other files.
	Signed string
	Size   int64
	SHA256 blob.Key
}

// Scanner looks for malware in a file before it is stored; an interface
// because clamd is one implementation and deployments may have another
// (an ICAP gateway, a cloud service).
type Scanner interface {
	// Scan reads r to its end and returns the name of the malware found,
	// or "" for a clean file; an error means the scan could not be done,
	// and the upload is refused rather than stored unscanned.
	Scan(ctx context.Context, r io.Reader) (signature string, err error)
}

// headSize is how much of an upload is read and sniffed before anything is
// written: enough for every magic number and for the headers of three
// nested p7m envelopes, which take about a hundred bytes each.
const headSize = 8 << 10

// copyBufs keeps the buffers uploads are copied through, so that a hundred
// concurrent uploads cost a hundred small buffers and no garbage.
var copyBufs = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// CheckCount refuses the n-th file of a field when the rule allows fewer,
// so that the caller can check before it reads the file at all.
func (r Rule) CheckCount(n int) error {
	limit := r.MaxCount
	if limit <= 0 {
		limit = 1
	}
	if n > limit {
		return &Error{Reason: TooMany, Limit: int64(limit), Got: int64(n)}
	}
	return nil
}

// Store checks the upload r called name against rule, scans it when scan is
// not nil, and puts it in blobs. A refusal is an *Error that says why; on
// any error nothing is stored. A nil *ClamAV passed as scan is a mistake:
// pass a nil Scanner to skip scanning.
func Store(ctx context.Context, blobs blob.Store, r io.Reader, name string, rule Rule, scan Scanner) (File, error) {
	if rule.MaxBytes <= 0 {
		return File{}, apperr.Errorf(apperr.Invalid, "attachment: rule has no size limit")
	}
	clean := SanitizeName(name)
	if traverses(name) {
		return File{}, &Error{Reason: BadName, Name: clean}
	}
	declared := declaredTypes(clean)
	if len(declared) == 0 || !slices.Contains(rule.Accept, declared[0]) {
		return File{}, &Error{Reason: WrongType, Name: clean, Type: extension(clean)}
	}

	limited := io.LimitReader(ctxReader{ctx, r}, rule.MaxBytes+1)
	head := make([]byte, min(headSize, rule.MaxBytes+1))
	n, err := io.ReadFull(limited, head)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return File{}, fmt.Errorf("attachment: read upload: %w", err)
	}
	head = head[:n]
	if n == 0 {
		return File{}, &Error{Reason: Empty, Name: clean}
	}
	chain := sniffChain(head)
	if err := check(rule, clean, declared, chain); err != nil {
		return File{}, err
	}

	whole := io.MultiReader(bytes.NewReader(head), limited)
	tooBig := &Error{Reason: TooBig, Name: clean, Limit: rule.MaxBytes, Got: rule.MaxBytes + 1}
	var key blob.Key
	var size int64
	if scan == nil {
		key, size, err = putDirect(ctx, blobs, whole, rule.MaxBytes)
	} else {
		key, size, err = putScanned(ctx, blobs, whole, rule.MaxBytes, scan)
	}
	var e *Error
	switch {
	case errors.Is(err, errTooBig):
		return File{}, tooBig
	case errors.As(err, &e):
		e.Name = clean
		return File{}, e
	case err != nil:
		return File{}, err
	}
	f := File{Name: clean, MIME: chain[0], Size: size, SHA256: key}
	if chain[0] == P7M {
		f.Signed = chain[len(chain)-1]
	}
	return f, nil
}

// errTooBig is returned by the readers below past the rule's limit.
var errTooBig = errors.New("upload exceeds the size limit")

// capped fails with errTooBig once more than max bytes went through it, so
// that a blob store reading it gives up and keeps nothing.
type capped struct {
	r   io.Reader
	n   int64
	max int64
}

func (c *capped) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if c.n += int64(n); c.n > c.max {
		return 0, errTooBig
	}
	return n, err
}

// putDirect streams an upload straight into the blob store, which hashes it
// and keeps it only if it reads it to the end: with no scan to wait for,
// there is no reason to write it twice.
func putDirect(ctx context.Context, blobs blob.Store, r io.Reader, max int64) (blob.Key, int64, error) {
	key, size, err := blobs.Put(ctx, &capped{r: r, max: max})
	if err != nil {
		return "", 0, fmt.Errorf("attachment: %w", err)
	}
	return key, size, nil
}

// putScanned spools an upload to a temporary file, hashing it, lets the
// scanner read it, and only then stores it.
func putScanned(ctx context.Context, blobs blob.Store, r io.Reader, max int64, scan Scanner) (blob.Key, int64, error) {
	tmp, err := os.CreateTemp("", "sportello-upload-*")
	if err != nil {
		return "", 0, fmt.Errorf("attachment: spool upload: %w", err)
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()

	h := sha256.New()
	buf := copyBufs.Get().(*[]byte)
	size, err := io.CopyBuffer(io.MultiWriter(tmp, h), &capped{r: r, max: max}, *buf)
	copyBufs.Put(buf)
	if err != nil {
		return "", 0, fmt.Errorf("attachment: read upload: %w", err)
	}
	sum := blob.Key(hex.EncodeToString(h.Sum(nil)))

	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return "", 0, fmt.Errorf("attachment: rewind for scan: %w", err)
	}
	sig, err := scan.Scan(ctx, io.LimitReader(tmp, size))
	if err != nil {
		return "", 0, &apperr.Error{Kind: apperr.Unavailable, Public: unavailableMessage, Err: fmt.Errorf("attachment: scan: %w", err)}
	}
	if sig != "" {
		return "", 0, &Error{Reason: Infected, Signature: sig}
	}

	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return "", 0, fmt.Errorf("attachment: rewind for store: %w", err)
	}
	key, stored, err := blobs.Put(ctx, io.LimitReader(tmp, size))
	if err != nil {
		return "", 0, fmt.Errorf("attachment: %w", err)
	}
	if key != sum || stored != size {
		// The spool file changed under us: what is stored is not what
		// was scanned, so it must not be referenced.
		return "", 0, fmt.Errorf("attachment: stored %s (%d bytes), scanned %s (%d bytes)", key, stored, sum, size)
	}
	return key, size, nil
}

// check compares what the content is (chain: the outer type and, for a
// p7m, the types inside) with what the rule accepts and the name declares.
func check(rule Rule, name string, declared, chain []string) error {
	got := chain[len(chain)-1]
	refuse := &Error{Reason: WrongType, Name: name, Type: got}
	if chain[0] != declared[0] || !slices.Contains(rule.Accept, chain[0]) {
		refuse.Type = chain[0]
		return refuse
	}
	if chain[0] != P7M {
		return nil
	}
	// A p7m: every envelope was opened and the content inside is an
	// accepted type other than an envelope, and the one the name
	// announces ("domanda.pdf.p7m") if it announces one.
	if got == P7M || !slices.Contains(rule.Accept, got) {
		return refuse
	}
	if inner := declared[len(declared)-1]; inner != P7M && inner != got {
		return refuse
	}
	return nil
}

// ctxReader stops reading an upload once the request is cancelled.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (r ctxReader) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	return r.r.Read(p)
}
