//go:build !linux

package blob

import (
	"errors"
	"os"
)

// fsFlusher has no whole-file-system flush off Linux: each Put fsyncs its
// own file and directory.
func fsFlusher(string) (func() error, error) {
	return nil, nil
}

// renameNoReplace is not needed off Linux, where every Put is synced on
// its own (placeSynced).
func renameNoReplace(from, to string) error {
	return &os.LinkError{Op: "rename", Old: from, New: to, Err: errors.ErrUnsupported}
}
