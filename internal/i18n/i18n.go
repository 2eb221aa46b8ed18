// Package i18n holds the user-facing text in Italian (the default) and
// English, loaded from flat JSON locale files, and picks the language of a
// request.
package i18n

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

// Lang is a supported language tag.
type Lang string

// The supported languages; Italian comes first and is the fallback.
const (
	IT Lang = "it"
	EN Lang = "en"
)

// Langs lists the supported languages in the order the switcher shows them.
var Langs = []Lang{IT, EN}

// Catalog maps each language to its messages.
type Catalog struct {
	msgs map[Lang]map[string]string
}

// Load reads, for every supported language, <lang>.json and every
// <domain>.<lang>.json from dir: one file per domain keeps the people who
// write a domain's text out of each other's way. A key defined twice in one
// language is an error, so that no file silently overrides another.
func Load(fsys fs.FS, dir string) (*Catalog, error) {
	c := &Catalog{msgs: map[Lang]map[string]string{}}
	for _, l := range Langs {
		files, err := fs.Glob(fsys, path.Join(dir, "*."+string(l)+".json"))
		if err != nil {
			return nil, fmt.Errorf("i18n: %w", err)
		}
		files = append([]string{path.Join(dir, string(l)+".json")}, files...)
		all := map[string]string{}
		for _, f := range files {
			b, err := fs.ReadFile(fsys, f)
			if err != nil {
				return nil, fmt.Errorf("i18n: %w", err)
			}
			m := map[string]string{}
			if err := json.Unmarshal(b, &m); err != nil {
				return nil, fmt.Errorf("i18n: %s: %w", path.Base(f), err)
			}
			for k, v := range m {
				if _, dup := all[k]; dup {
					return nil, fmt.Errorf("i18n: %s: key %q is defined in another %s file too", path.Base(f), k, l)
				}
				all[k] = v
			}
		}
		c.msgs[l] = all
	}
	return c, nil
}

// T returns the message key in lang, formatted with args like fmt.Sprintf;
// a key missing in lang falls back to Italian, then to the key itself (a
// test makes sure no shipped key is missing).
func (c *Catalog) T(lang Lang, key string, args ...any) string {
	msg, ok := c.msgs[lang][key]
	if !ok {
		msg, ok = c.msgs[IT][key]
	}
	if !ok {
		return key
	}
	if len(args) > 0 {
		return fmt.Sprintf(msg, args...)
	}
	return msg
}

// Has reports whether key exists in lang.
func (c *Catalog) Has(lang Lang, key string) bool {
	_, ok := c.msgs[lang][key]
	return ok
}

// Keys returns the sorted keys of one language, for completeness tests.
func (c *Catalog) Keys(lang Lang) []string {
	keys := make([]string, 0, len(c.msgs[lang]))
	for k := range c.msgs[lang] {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Parse returns the supported language named by s ("en", "EN-gb"…), if any.
func Parse(s string) (Lang, bool) {
	base, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(s)), "-")
	for _, l := range Langs {
		if string(l) == base {
			return l, true
		}
	}
	return "", false
}

// FromAcceptLanguage picks the supported language the browser prefers most,
// Italian when it names none we have.
func FromAcceptLanguage(header string) Lang {
	best, bestQ := IT, -1.0
	for _, part := range strings.Split(header, ",") {
		tag, params, _ := strings.Cut(part, ";")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				continue
			}
			q = f
		}
		l, ok := Parse(tag)
		if ok && q > bestQ && q > 0 {
			best, bestQ = l, q
		}
	}
	return best
}
