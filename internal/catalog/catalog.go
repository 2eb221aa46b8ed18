package catalog

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/sportello/sportello/internal/apperr"
)

//go:embed services/*.json
var shipped embed.FS

// Catalog is a set of published service definitions.
type Catalog struct {
	services []*Service
	bySlug   map[string]*Service
}

// Shipped returns the catalogue that comes with Sportello: the services
// every comune offers, which the ente's administrator adapts.
func Shipped() (*Catalog, error) {
	return Load(shipped, "services")
}

// Load reads every <slug>.json in dir, refusing unknown fields and any
// definition that does not validate, so a typo cannot publish a broken page.
func Load(fsys fs.FS, dir string) (*Catalog, error) {
	files, err := fs.Glob(fsys, path.Join(dir, "*.json"))
	if err != nil {
		return nil, fmt.Errorf("catalog: %w", err)
	}
	c := &Catalog{bySlug: map[string]*Service{}}
	for _, f := range files {
		b, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, fmt.Errorf("catalog: %w", err)
		}
		s, err := Parse(b)
		if err != nil {
			return nil, fmt.Errorf("catalog: %s: %w", f, err)
		}
		if want := strings.TrimSuffix(path.Base(f), ".json"); s.Slug != want {
			return nil, fmt.Errorf("catalog: %s: slug %q does not match the file name", f, s.Slug)
		}
		c.services = append(c.services, s)
		c.bySlug[s.Slug] = s
	}
	sort.Slice(c.services, func(i, j int) bool { return c.services[i].Title < c.services[j].Title })
	return c, nil
}

// Parse reads and validates one JSON definition.
func Parse(b []byte) (*Service, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var s Service
	if err := dec.Decode(&s); err != nil {
		return nil, apperr.Errorf(apperr.Invalid, "service definition: %w", err)
	}
	if dec.More() {
		return nil, apperr.Errorf(apperr.Invalid, "service definition: data after the object")
	}
	if err := s.Validate(); err != nil {
		return nil, apperr.Errorf(apperr.Invalid, "%w", err)
	}
	return &s, nil
}

// All returns every service, by title.
func (c *Catalog) All() []*Service { return c.services }

// Get returns the service with the given slug.
func (c *Catalog) Get(slug string) (*Service, error) {
	s, ok := c.bySlug[slug]
	if !ok {
		return nil, apperr.Errorf(apperr.NotFound, "service %q: not in the catalogue", slug)
	}
	return s, nil
}

// InCategory returns the services of one category, by title.
func (c *Catalog) InCategory(category string) []*Service {
	var out []*Service
	for _, s := range c.services {
		if s.Category == category {
			out = append(out, s)
		}
	}
	return out
}

// Search returns the services whose title, description, topics or category
// contain every word of q (case-insensitive); categoryName names categories.
func (c *Catalog) Search(q string, categoryName func(slug string) string) []*Service {
	words := strings.Fields(strings.ToLower(q))
	if len(words) == 0 {
		return c.services
	}
	var out []*Service
	for _, s := range c.services {
		hay := strings.ToLower(strings.Join(append([]string{s.Title, s.Description, categoryName(s.Category)}, s.Topics...), " "))
		match := true
		for _, w := range words {
			match = match && strings.Contains(hay, w)
		}
		if match {
			out = append(out, s)
		}
	}
	return out
}
