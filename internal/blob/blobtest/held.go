package blobtest

import "github.com/sportello/sportello/internal/blob"

// Held is a file system store whose shared flush waits until Hold is
// closed: what a process that crashed before its flush looks like to the
// code waiting on Sync. Puts still sync their own files.
type Held struct {
	*blob.FS
	Hold chan struct{}
}

// NewHeld wraps fs with a flush held until the returned store's Hold is
// closed.
func NewHeld(fs *blob.FS) *Held {
	return &Held{FS: fs, Hold: make(chan struct{})}
}

// Sync waits for Hold, then flushes.
func (s *Held) Sync() error {
	<-s.Hold
	return s.FS.Sync()
}
