// Package blob keeps documents under the SHA-256 of their bytes, so that a
// key names exactly one content, identical uploads are stored once, and a
// damaged copy is caught when it is read back.
//
// Store has two implementations: FS, a directory on one host, and S3, any
// S3-compatible object store. Both pass the suite in package blobtest.
package blob

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
)

// ErrNotFound is wrapped by every error for a key with no content, so callers
// tell a missing document from a failing store with errors.Is.
var ErrNotFound = errors.New("blob: not found")

// ErrInvalidKey is wrapped by every error for a string that is not a Key, so a
// key taken from a request can be refused as the caller's mistake.
var ErrInvalidKey = errors.New("blob: invalid key")

// ErrCorrupt is wrapped by the error a reader from Open returns at the end of
// content that does not hash to its key, so damaged storage is never served.
var ErrCorrupt = errors.New("blob: content does not match key")

// Key is the lowercase hex SHA-256 of a content: derived from the bytes alone,
// it can be kept in a database row and trusted without asking the store.
type Key string

// keyLen is the length of a Key: two hex digits per byte of SHA-256.
const keyLen = 2 * sha256.Size

// ParseKey returns s as a Key if it is 64 lowercase hex digits, the one
// spelling that stores accept, so that no content has two names.
func ParseKey(s string) (Key, error) {
	if len(s) != keyLen {
		return "", fmt.Errorf("blob: parse key: %w: %d characters, want %d", ErrInvalidKey, len(s), keyLen)
	}
	for i := range len(s) {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return "", fmt.Errorf("blob: parse key: %w: character %d is not a lowercase hex digit", ErrInvalidKey, i)
		}
	}
	return Key(s), nil
}

// check reports whether k is well formed; stores call it before a key
// becomes part of a path or an object name.
func (k Key) check() error {
	_, err := ParseKey(string(k))
	return err
}

// Store keeps content under its Key; it has an interface because FS and S3
// are both used, the first on a single host and in tests.
type Store interface {
	// Put reads r to its end, stores the content and returns its key and
	// size; storing content that is already there succeeds with the same key.
	Put(ctx context.Context, r io.Reader) (Key, int64, error)
	// Open returns the content under k; the reader fails with ErrCorrupt at
	// the end if what it read does not hash to k.
	Open(ctx context.Context, k Key) (io.ReadCloser, error)
	// Stat returns the size of the content under k without reading it.
	Stat(ctx context.Context, k Key) (int64, error)
	// Delete removes the content under k; as equal documents share a key,
	// the caller must know that nothing else refers to it.
	Delete(ctx context.Context, k Key) error
}

// Stager is a Store that can write content now and make it durable later,
// many contents with one flush.
type Stager interface {
	Store
	// Stage writes r's content under its key, like Put, but returns before
	// it is durable: until a Sync called after it has returned nil, a crash
	// may lose it, so whoever records the key meanwhile keeps the bytes
	// somewhere durable of their own.
	Stage(ctx context.Context, r io.Reader) (Key, int64, error)
	// Sync returns once everything staged before the call is durable.
	Sync() error
}

// KeyOf returns the Key of b, as a store would name it.
func KeyOf(b []byte) Key {
	sum := sha256.Sum256(b)
	return Key(hex.EncodeToString(sum[:]))
}

// PutBytes stores b in s, for callers that already hold a document in memory.
func PutBytes(ctx context.Context, s Store, b []byte) (Key, error) {
	k, _, err := s.Put(ctx, bytes.NewReader(b))
	return k, err
}

// sumKey returns the Key of the content written so far to h.
func sumKey(h hash.Hash) Key {
	return Key(hex.EncodeToString(h.Sum(nil)))
}

// copyHashed copies r to w, hashing on the way, and stops early when ctx
// is done; it is how both stores learn the key of what they are given.
func copyHashed(ctx context.Context, w io.Writer, r io.Reader) (Key, int64, error) {
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(w, h), ctxReader{ctx: ctx, r: r})
	if err != nil {
		return "", n, err
	}
	return sumKey(h), n, nil
}

// ctxReader stops a long copy once its context is done.
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

// verifyReader hashes what it reads and, at the end, fails with ErrCorrupt
// unless the content matches its key.
type verifyReader struct {
	rc   io.ReadCloser
	h    hash.Hash
	want Key
}

func newVerifyReader(rc io.ReadCloser, k Key) *verifyReader {
	return &verifyReader{rc: rc, h: sha256.New(), want: k}
}

func (v *verifyReader) Read(p []byte) (int, error) {
	n, err := v.rc.Read(p)
	v.h.Write(p[:n])
	if errors.Is(err, io.EOF) {
		if got := sumKey(v.h); got != v.want {
			return n, fmt.Errorf("blob read %s: %w: content hashes to %s", v.want, ErrCorrupt, got)
		}
	}
	return n, err
}

func (v *verifyReader) Close() error {
	return v.rc.Close()
}
