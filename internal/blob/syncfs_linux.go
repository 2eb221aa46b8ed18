package blob

import (
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
