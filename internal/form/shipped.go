package form

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
)

// definitions are the forms shipped with the platform, one per catalogue
// service that has an online form so far, named by the service's slug.
//
//go:embed definitions/*.json definitions/archive
var definitions embed.FS

// Shipped loads every shipped definition, sorted by service slug, so that a
// new comune starts with working forms and a test proves they all load.
func Shipped() ([]*Definition, error) {
	files, err := fs.Glob(definitions, "definitions/*.json")
	if err != nil {
		return nil, fmt.Errorf("form: %w", err)
	}
	var out []*Definition
	for _, name := range files {
		f, err := definitions.Open(name)
		if err != nil {
			return nil, fmt.Errorf("form: %w", err)
		}
		d, err := Load(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("form: %s: %w", path.Base(name), err)
		}
		if want := path.Base(name); want != d.Service+".json" {
			return nil, fmt.Errorf("form: %s defines service %q", want, d.Service)
		}
		out = append(out, d)
	}
	return out, nil
}

// Archived loads the earlier versions of the shipped forms, kept in
// definitions/archive as <service>.v<N>.json, so that a pratica filed under
// one is shown with it. Each must name its service and version as its
// file name does.
func Archived() ([]*Definition, error) {
	files, err := fs.Glob(definitions, "definitions/archive/*.json")
	if err != nil {
		return nil, fmt.Errorf("form: %w", err)
	}
	var out []*Definition
	for _, name := range files {
		f, err := definitions.Open(name)
		if err != nil {
			return nil, fmt.Errorf("form: %w", err)
		}
		d, err := Load(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("form: archive/%s: %w", path.Base(name), err)
		}
		if want := fmt.Sprintf("%s.v%d.json", d.Service, d.Version); path.Base(name) != want {
			return nil, fmt.Errorf("form: archive/%s defines %s", path.Base(name), want)
		}
		out = append(out, d)
	}
	return out, nil
}
