package blob

import (
	"errors"
	"io/fs"
	"os"

	"golang.org/x/sys/unix"
)

// fsFlusher returns a flush of the whole file system under root with one
// syncfs(2): file data, new directories and renamed entries become durable
// together, for every Put waiting on it. Linux reports writeback errors to
// syncfs since 5.8.
func fsFlusher(root string) (func() error, error) {
	d, err := os.Open(root)
	if err != nil {
		return nil, err
	}
	// d stays open for the life of the store: syncfs needs a descriptor on
	// the file system, and the store has no Close.
	return func() error {
		return unix.Syncfs(int(d.Fd()))
	}, nil
}

// renameNoReplace renames from to to unless to exists (fs.ErrExist). A
// file system without RENAME_NOREPLACE gets a check, then a rename: the
// content is the same whoever wins a race.
func renameNoReplace(from, to string) error {
	err := unix.Renameat2(unix.AT_FDCWD, from, unix.AT_FDCWD, to, unix.RENAME_NOREPLACE)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, unix.EINVAL), errors.Is(err, unix.ENOSYS):
		if _, err := os.Lstat(to); err == nil {
			return &os.LinkError{Op: "rename", Old: from, New: to, Err: fs.ErrExist}
		}
		return os.Rename(from, to)
	}
	return &os.LinkError{Op: "rename", Old: from, New: to, Err: err}
}
