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
