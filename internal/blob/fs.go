package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// tmpDir is where FS writes content before it knows the key; it sits under
// the root so that the final rename stays on one file system and is atomic.
const tmpDir = "tmp"

// FS is a Store on a local directory, for a single host and for tests; the
// content under k is the file <root>/k[0:2]/k[2:4]/k, so no directory holds
// more than a few thousand entries.
//
// On Linux a Put does not fsync its own file and directories: it renames the
// file into place and then waits for a flush of the whole file system
// (syncfs) shared with every Put that is waiting at the same time, so a storm
// of uploads pays for one journal commit per batch instead of three fsyncs
// each. Until that flush the file may be incomplete after a crash, under its
// final name; nobody has been told it is stored yet, a reader's check
// against the key refuses it, and the next Put of the same content replaces
// it (Put checks an existing file's content, not only its size).
type FS struct {
	root  string
	group *groupSync // nil: each Put fsyncs its own file and directory
}

var (
	_ Store  = (*FS)(nil)
	_ Stager = (*FS)(nil)
)

// NewFS returns an FS that keeps its files under root, creating it if needed.
func NewFS(root string) (*FS, error) {
	if root == "" {
		return nil, errors.New("blob: new fs: empty root")
	}
	if err := os.MkdirAll(filepath.Join(root, tmpDir), 0o750); err != nil {
		return nil, fmt.Errorf("blob: new fs: %w", err)
	}
	s := &FS{root: root}
	flush, err := fsFlusher(root)
	if err != nil {
		return nil, fmt.Errorf("blob: new fs: %w", err)
	}
	if flush != nil {
		s.group = newGroupSync(flush)
	}
	return s, nil
}

// path returns where the content under a well-formed key lives.
func (s *FS) path(k Key) string {
	return filepath.Join(s.root, string(k[0:2]), string(k[2:4]), string(k))
}

// Put streams r into a temporary file, then renames it to its key's path,
// so a reader sees either the whole content or nothing, and returns once
// the content is durable.
func (s *FS) Put(ctx context.Context, r io.Reader) (Key, int64, error) {
	k, n, err := s.put(ctx, r)
	if err != nil {
		return "", 0, fmt.Errorf("blob put: %w", err)
	}
	return k, n, nil
}

func (s *FS) put(ctx context.Context, r io.Reader) (Key, int64, error) {
	k, n, err := s.write(ctx, r)
	if err != nil || s.group == nil {
		return k, n, err
	}
	return k, n, s.group.Sync()
}

// Stage writes r's content under its key like Put, but returns without
// waiting for the flush that makes it durable (see Stager).
func (s *FS) Stage(ctx context.Context, r io.Reader) (Key, int64, error) {
	k, n, err := s.write(ctx, r)
	if err != nil {
		return "", 0, fmt.Errorf("blob stage: %w", err)
	}
	return k, n, nil
}

// Sync makes everything staged before the call durable, with the flush
// that concurrent Puts share.
func (s *FS) Sync() error {
	if s.group == nil {
		return nil // each Put and Stage synced its own file
	}
	return s.group.Sync()
}

// write places r's content under its key: durable already when each Put
// syncs its own file, waiting for the shared flush otherwise.
func (s *FS) write(ctx context.Context, r io.Reader) (Key, int64, error) {
	tmp, err := os.CreateTemp(filepath.Join(s.root, tmpDir), "put-*")
	if err != nil {
		return "", 0, err
	}
	renamed := false
	defer func() {
		tmp.Close() // a second Close fails harmlessly
		if !renamed {
			os.Remove(tmp.Name())
		}
	}()

	k, n, err := copyHashed(ctx, tmp, r)
	if err != nil {
		return "", 0, err
	}
	final := s.path(k)
	if s.group == nil {
		return k, n, s.placeSynced(tmp, final, k, n, &renamed)
	}
	if err := tmp.Close(); err != nil {
		return "", 0, err
	}
	// Renaming without replacing finds an existing copy without looking
	// for it first, and the directories are made only when missing: one
	// system call in the common case instead of four.
	err = renameNoReplace(tmp.Name(), final)
	if errors.Is(err, fs.ErrNotExist) {
		if err := s.mkdirs(final); err != nil {
			return "", 0, err
		}
		err = renameNoReplace(tmp.Name(), final)
	}
	if errors.Is(err, fs.ErrExist) {
		if stored(final, k, n) {
			// Already there with the same bytes; it may be another Put's
			// that is still waiting for its flush, so the caller waits
			// for one too.
			return k, n, nil
		}
		// A damaged copy: replace it.
		err = os.Rename(tmp.Name(), final)
	}
	if err != nil {
		return "", 0, err
	}
	renamed = true
	return k, n, nil
}

// placeSynced moves a Put's temporary file to final without the shared
// flush: it fsyncs the file before renaming it and the directory after.
func (s *FS) placeSynced(tmp *os.File, final string, k Key, n int64, renamed *bool) error {
	if stored(final, k, n) {
		return nil // already there with the same bytes, synced by its Put
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := s.mkdirs(final); err != nil {
		return err
	}
	// Renaming over an existing file is safe: a concurrent Put of the same
	// content wrote the same bytes, and open readers keep the old inode.
	if err := os.Rename(tmp.Name(), final); err != nil {
		return err
	}
	*renamed = true
	return syncDir(filepath.Dir(final))
}

// mkdirs creates the two directories above a content's path, k[0:2] and
// k[0:2]/k[2:4], where missing.
func (s *FS) mkdirs(final string) error {
	if err := s.mkdir(filepath.Dir(filepath.Dir(final))); err != nil {
		return err
	}
	return s.mkdir(filepath.Dir(final))
}

// mkdir creates dir if it is missing; without the shared flush it also
// fsyncs the parent, so the new entry survives a crash together with the
// file renamed into it.
func (s *FS) mkdir(dir string) error {
	if s.group != nil {
		err := os.Mkdir(dir, 0o750)
		if errors.Is(err, fs.ErrExist) {
			return nil
		}
		return err
	}
	return mkdirSynced(dir)
}

// stored reports whether the file at path holds exactly the content with
// key k and size n: the size first, then the bytes, so a copy damaged by a
// crash (or by anything else) is replaced rather than trusted.
func stored(path string, k Key, n int64) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || fi.Size() != n {
		return false
	}
	_, err = io.Copy(io.Discard, newVerifyReader(f, k))
	return err == nil
}

// Open returns the file under k, checked against k as it is read.
func (s *FS) Open(ctx context.Context, k Key) (io.ReadCloser, error) {
	if err := k.check(); err != nil {
		return nil, fmt.Errorf("blob open: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("blob open %s: %w", k, err)
	}
	f, err := os.Open(s.path(k))
	if err != nil {
		return nil, fmt.Errorf("blob open %s: %w", k, notFound(err))
	}
	return newVerifyReader(f, k), nil
}

// Stat returns the size of the file under k.
func (s *FS) Stat(ctx context.Context, k Key) (int64, error) {
	if err := k.check(); err != nil {
		return 0, fmt.Errorf("blob stat: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("blob stat %s: %w", k, err)
	}
	fi, err := os.Stat(s.path(k))
	if err != nil {
		return 0, fmt.Errorf("blob stat %s: %w", k, notFound(err))
	}
	return fi.Size(), nil
}

// Delete removes the file under k; its directories stay, as at most 65,536
// of them can ever exist.
func (s *FS) Delete(ctx context.Context, k Key) error {
	if err := k.check(); err != nil {
		return fmt.Errorf("blob delete: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("blob delete %s: %w", k, err)
	}
	if err := os.Remove(s.path(k)); err != nil {
		return fmt.Errorf("blob delete %s: %w", k, notFound(err))
	}
	return nil
}

// notFound turns a missing file into ErrNotFound and leaves other errors be.
func notFound(err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return ErrNotFound
	}
	return err
}

// mkdirSynced creates dir if it is missing and then fsyncs its parent, so the
// new entry survives a crash together with the file renamed into it.
func mkdirSynced(dir string) error {
	err := os.Mkdir(dir, 0o750)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return err
	}
	return syncDir(filepath.Dir(dir))
}

// syncDir fsyncs a directory, which makes the entries renamed or created in
// it durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	if err := d.Sync(); err != nil {
		d.Close()
		return err
	}
	return d.Close()
}
