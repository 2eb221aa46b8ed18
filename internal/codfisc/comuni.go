package codfisc

import (
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// Comune is an Italian comune as ANPR names it on a date: what an address
// field stores, so that a form can show the official name and province and
// other systems can match it by its Belfiore code.
type Comune struct {
	// Belfiore is the cadastral code, e.g. "H501".
	Belfiore string
	// Name is ANPR's denomination, in capitals with accents: "FORLÌ".
	Name string
	// Province is the two-letter abbreviation, e.g. "RM".
	Province string
}

// String returns "NAME (PR)", the form in which an address names its comune.
func (c Comune) String() string { return c.Name + " (" + c.Province + ")" }

// comuneIndex maps a folded name to the Belfiore codes that ever bore it;
// built from the embedded table on first use.
var comuneIndex = sync.OnceValue(func() map[string][]string {
	idx := map[string][]string{}
	for code, ps := range places() {
		if isForeign(code) {
			continue
		}
		seen := map[string]bool{}
		for _, p := range ps {
			k := foldName(p.name)
			if !seen[k] {
				seen[k] = true
				idx[k] = append(idx[k], code)
			}
		}
	}
	for _, codes := range idx {
		sort.Strings(codes)
	}
	return idx
})

// isForeign reports whether a Belfiore code names a foreign state (Z…).
func isForeign(code string) bool { return strings.HasPrefix(code, "Z") }

// Comuni returns the comuni that existed on a date, sorted by name and
// province, so that an address picker offers exactly the places a citizen
// can live in today (or could on the date a document refers to).
func Comuni(on time.Time) []Comune {
	d := dateInt(on)
	var out []Comune
	for code := range places() {
		if isForeign(code) {
			continue
		}
		if p, found, _ := lookup(code, d); found {
			out = append(out, Comune{Belfiore: code, Name: p.name, Province: p.province})
		}
	}
	sortComuni(out)
	return out
}

// LookupComune returns the comuni existing on a date that query names, so
// that a form field can accept what a citizen types: the name in any case,
// with or without accents, apostrophes and spaces ("forli", "Forlì",
// "LAquila"); the name followed by the province ("Castro (LE)", "Castro
// LE") to choose among homonyms; the form String returns; or a Belfiore code.
// More than one result means the name is ambiguous without the province;
// none means no comune of that name existed on the date.
func LookupComune(query string, on time.Time) []Comune {
	d := dateInt(on)
	q := strings.TrimSpace(query)
	if len(q) == 4 && q[0] >= 'A' && q[0] <= 'Z' && q[0] != 'Z' && isDigits(q[1:]) {
		if p, found, _ := lookup(q, d); found {
			return []Comune{{Belfiore: q, Name: p.name, Province: p.province}}
		}
		return nil
	}
	if strings.HasSuffix(q, ")") { // "Name (PR)": only the province form
		name, prov, ok := splitProvince(q)
		if !ok {
			return nil
		}
		return byName(foldName(name), prov, d)
	}
	// "Cameri no" may be Cameri (NO) or Camerino: offer both.
	out := byName(foldName(q), "", d)
	if name, prov, ok := splitProvince(q); ok {
		out = append(out, byName(foldName(name), prov, d)...)
		sortComuni(out)
		out = slices.Compact(out)
	}
	return out
}

// byName returns the comuni named by a folded name on date d, restricted
// to a province when prov is not "".
func byName(folded, prov string, d int) []Comune {
	if folded == "" {
		return nil
	}
	var out []Comune
	for _, code := range comuneIndex()[folded] {
		p, found, _ := lookup(code, d)
		if !found || foldName(p.name) != folded || (prov != "" && p.province != prov) {
			continue
		}
		out = append(out, Comune{Belfiore: code, Name: p.name, Province: p.province})
	}
	sortComuni(out)
	return out
}

// splitProvince splits "Name (PR)" or "Name PR" into the name and the
// upper-cased province abbreviation.
func splitProvince(q string) (name, prov string, ok bool) {
	if strings.HasSuffix(q, ")") {
		i := strings.LastIndexByte(q, '(')
		if i < 0 {
			return "", "", false
		}
		name, prov = q[:i], strings.TrimSpace(q[i+1:len(q)-1])
	} else {
		i := strings.LastIndexAny(q, " \t")
		if i < 0 {
			return "", "", false
		}
		name, prov = q[:i], q[i+1:]
	}
	prov = strings.ToUpper(prov)
	if len(prov) != 2 || !isLetters(prov) {
		return "", "", false
	}
	return strings.TrimSpace(name), prov, true
}

func sortComuni(cs []Comune) {
	sort.Slice(cs, func(i, j int) bool {
		if cs[i].Name != cs[j].Name {
			return cs[i].Name < cs[j].Name
		}
		return cs[i].Province < cs[j].Province
	})
}

// accentFold maps the accented letters of comuni names (Italian, French
// and German ones in the bilingual regions) to their base letters.
var accentFold = strings.NewReplacer(
	"À", "A", "Á", "A", "Â", "A", "Ä", "A", "È", "E", "É", "E", "Ê", "E", "Ë", "E",
	"Ì", "I", "Í", "I", "Î", "I", "Ï", "I", "Ò", "O", "Ó", "O", "Ô", "O", "Ö", "O",
	"Ù", "U", "Ú", "U", "Û", "U", "Ü", "U", "Ç", "C", "Ñ", "N", "Č", "C", "Š", "S", "Ž", "Z",
	"ß", "SS",
)

// foldName reduces a name to upper-case ASCII letters and digits, so that
// "L'Aquila", "l aquila" and "LAQUILA", or "Forlì" and "FORLI'", compare equal.
func foldName(s string) string {
	s = accentFold.Replace(strings.ToUpper(s))
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			b.WriteByte(c)
		}
	}
	return b.String()
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func isLetters(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return s != ""
}
