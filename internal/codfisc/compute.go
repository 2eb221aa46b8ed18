package codfisc

import (
	"fmt"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Compute builds the codice fiscale of a person from the facts it encodes —
// surname, name, sex ('M' or 'F'), birth date and the Belfiore code of the
// birth place — so that an import can check a code against the person it
// names and the demo's generator never invents an inconsistent one. The
// code is the basic, non-omocodic form; Omocodic gives the others. Accents
// are dropped and anything but A–Z ignored, as the Agenzia does.
func Compute(surname, name string, sex byte, born time.Time, belfiore string) (Code, error) {
	if sex != 'M' && sex != 'F' {
		return "", fmt.Errorf("codfisc: compute: sex %q is neither M nor F", sex)
	}
	if len(belfiore) != 4 {
		return "", fmt.Errorf("codfisc: compute: birth place %q is not a Belfiore code", belfiore)
	}
	sc, sv := letters(surname)
	nc, nv := letters(name)
	if sc+sv == "" || nc+nv == "" {
		return "", fmt.Errorf("codfisc: compute: surname and name need at least one letter")
	}
	first := (sc + sv + "XXX")[:3]
	second := (nc + nv + "XXX")[:3]
	if len(nc) >= 4 {
		second = nc[:1] + nc[2:4]
	}
	d := born.Day()
	if sex == 'F' {
		d += 40
	}
	stem := fmt.Sprintf("%s%s%02d%c%02d%s", first, second, born.Year()%100,
		monthLetters[born.Month()-1], d, strings.ToUpper(belfiore))
	c, err := Parse(stem + string(checkChar15(stem+"X")))
	if err != nil {
		return "", fmt.Errorf("codfisc: compute: %w", err)
	}
	return c, nil
}

// Omocodic returns the n-th omocodic variant of c (1 to 7): the n rightmost
// substitutable digits replaced by their letters and the check character
// recomputed, the code the Agenzia gives the n-th homonym. Zero returns
// c's canonical form.
func (c Code) Omocodic(n int) (Code, error) {
	if !c.ok() || n < 0 || n > len(omocodiaPositions) {
		return "", fmt.Errorf("codfisc: omocodic variant %d of an invalid code", n)
	}
	b := []byte(c.Canonical())
	for _, p := range omocodiaPositions[:n] {
		b[p] = omocodiaLetters[b[p]-'0']
	}
	b[codeLen-1] = checkChar15(string(b))
	return Parse(string(b))
}

// letters returns the consonants and the vowels of s in upper case, accents
// removed, ignoring everything that is not a letter A–Z.
func letters(s string) (cons, vows string) {
	var c, v strings.Builder
	for _, r := range norm.NFD.String(strings.ToUpper(s)) {
		switch {
		case unicode.Is(unicode.Mn, r):
		case strings.ContainsRune("AEIOU", r):
			v.WriteRune(r)
		case r >= 'A' && r <= 'Z':
			c.WriteRune(r)
		}
	}
	return c.String(), v.String()
}
