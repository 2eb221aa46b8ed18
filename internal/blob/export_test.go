package blob

// NewFSEachSynced returns an FS whose Puts each fsync their own file and
// directory, as on systems without syncfs, so that Linux tests cover that
// path too.
func NewFSEachSynced(root string) (*FS, error) {
	s, err := NewFS(root)
	if err != nil {
		return nil, err
	}
	s.group = nil
	return s, nil
}

// NewFSFlushing returns an FS whose shared flush is flush, so that tests
// can see when flushes run and make them fail.
func NewFSFlushing(root string, flush func() error) (*FS, error) {
	s, err := NewFS(root)
	if err != nil {
		return nil, err
	}
	s.group = newGroupSync(flush)
	return s, nil
}
