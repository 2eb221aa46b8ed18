package xsd

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math/big"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// builtins are the XML Schema built-in simple types this package knows,
// each with its primitive ("decimal" for integers, so that numeric facets
// apply) and a lexical check.
var builtins = map[string]struct {
	primitive string
	lexical   *regexp.Regexp
}{
	"anySimpleType":      {"string", nil},
	"string":             {"string", nil},
	"normalizedString":   {"string", nil},
	"token":              {"string", nil},
	"language":           {"string", regexp.MustCompile(`^[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*$`)},
	"Name":               {"string", regexp.MustCompile(`^[\pL_:][\pL\pN._:\-]*$`)},
	"NCName":             {"string", regexp.MustCompile(`^[\pL_][\pL\pN._\-]*$`)},
	"ID":                 {"string", regexp.MustCompile(`^[\pL_][\pL\pN._\-]*$`)},
	"IDREF":              {"string", regexp.MustCompile(`^[\pL_][\pL\pN._\-]*$`)},
	"NMTOKEN":            {"string", regexp.MustCompile(`^[\pL\pN._:\-]+$`)},
	"QName":              {"string", regexp.MustCompile(`^([\pL_][\pL\pN._\-]*:)?[\pL_][\pL\pN._\-]*$`)},
	"anyURI":             {"string", regexp.MustCompile(`^[^\s]*$`)},
	"boolean":            {"boolean", regexp.MustCompile(`^(true|false|1|0)$`)},
	"decimal":            {"decimal", regexp.MustCompile(`^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$`)},
	"integer":            {"decimal", regexp.MustCompile(`^[+-]?[0-9]+$`)},
	"long":               {"decimal", regexp.MustCompile(`^[+-]?[0-9]+$`)},
	"int":                {"decimal", regexp.MustCompile(`^[+-]?[0-9]+$`)},
	"short":              {"decimal", regexp.MustCompile(`^[+-]?[0-9]+$`)},
	"byte":               {"decimal", regexp.MustCompile(`^[+-]?[0-9]+$`)},
	"nonNegativeInteger": {"decimal", regexp.MustCompile(`^\+?[0-9]+$|^-0+$`)},
	"positiveInteger":    {"decimal", regexp.MustCompile(`^\+?0*[1-9][0-9]*$`)},
	"unsignedLong":       {"decimal", regexp.MustCompile(`^\+?[0-9]+$`)},
	"unsignedInt":        {"decimal", regexp.MustCompile(`^\+?[0-9]+$`)},
	"unsignedShort":      {"decimal", regexp.MustCompile(`^\+?[0-9]+$`)},
	"unsignedByte":       {"decimal", regexp.MustCompile(`^\+?[0-9]+$`)},
	"nonPositiveInteger": {"decimal", regexp.MustCompile(`^-[0-9]+$|^\+?0+$`)},
	"negativeInteger":    {"decimal", regexp.MustCompile(`^-0*[1-9][0-9]*$`)},
	"float":              {"float", regexp.MustCompile(`^([+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?|-?INF|NaN)$`)},
	"double":             {"float", regexp.MustCompile(`^([+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?|-?INF|NaN)$`)},
	"dateTime":           {"dateTime", regexp.MustCompile(`^-?[0-9]{4,}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})?$`)},
	"date":               {"date", regexp.MustCompile(`^-?[0-9]{4,}-[0-9]{2}-[0-9]{2}(Z|[+-][0-9]{2}:[0-9]{2})?$`)},
	"time":               {"time", regexp.MustCompile(`^[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})?$`)},
	"gYear":              {"string", regexp.MustCompile(`^-?[0-9]{4,}(Z|[+-][0-9]{2}:[0-9]{2})?$`)},
	"base64Binary":       {"base64Binary", nil},
	"hexBinary":          {"hexBinary", regexp.MustCompile(`^([0-9a-fA-F]{2})*$`)},
}

// integer bounds of the derived integer types.
var intBounds = map[string][2]string{
	"long":               {"-9223372036854775808", "9223372036854775807"},
	"int":                {"-2147483648", "2147483647"},
	"short":              {"-32768", "32767"},
	"byte":               {"-128", "127"},
	"unsignedLong":       {"0", "18446744073709551615"},
	"unsignedInt":        {"0", "4294967295"},
	"unsignedShort":      {"0", "65535"},
	"unsignedByte":       {"0", "255"},
	"nonNegativeInteger": {"0", ""},
	"positiveInteger":    {"1", ""},
	"nonPositiveInteger": {"", "0"},
	"negativeInteger":    {"", "-1"},
}

// checkSimple validates a value against a simple type, restriction step by
// restriction step from the built-in up, each step's facets applying to the
// value after the whitespace rule of the built-in.
func (v *validator) checkSimple(t *typeDef, raw string) error {
	chain, root, err := v.chain(t)
	if err != nil {
		return err
	}
	last := chain[len(chain)-1]
	switch {
	case last.list != nil:
		item, err := v.refType(*last.list)
		if err != nil {
			return err
		}
		items := strings.Fields(raw)
		for _, it := range items {
			if err := v.checkSimple(item, it); err != nil {
				return fmt.Errorf("list item: %w", err)
			}
		}
		for i := len(chain) - 2; i >= 0; i-- {
			if err := listFacets(chain[i].facets, raw, len(items)); err != nil {
				return err
			}
		}
		return nil
	case last.union != nil:
		var errs []string
		for _, m := range last.union {
			mt, err := v.refType(m)
			if err != nil {
				return err
			}
			if err := v.checkSimple(mt, raw); err == nil {
				for i := len(chain) - 2; i >= 0; i-- {
					if err := facetsOK(chain[i].facets, "string", raw); err != nil {
						return err
					}
				}
				return nil
			} else {
				errs = append(errs, err.Error())
			}
		}
		return fmt.Errorf("%q matches no member of the union (%s)", raw, strings.Join(errs, "; "))
	}
	val := whitespace(root, raw)
	b := builtins[root]
	if b.lexical != nil && !b.lexical.MatchString(val) {
		return fmt.Errorf("%q is not a valid xs:%s", val, root)
	}
	if err := primitiveOK(b.primitive, root, val); err != nil {
		return err
	}
	for i := len(chain) - 1; i >= 0; i-- {
		if err := facetsOK(chain[i].facets, b.primitive, val); err != nil {
			return err
		}
	}
	return nil
}

func (v *validator) refType(r typeRef) (*typeDef, error) {
	if r.inline != nil {
		return r.inline, nil
	}
	return v.lookupType(r.name)
}

// chain returns t's restriction steps, the most derived first, ending at a
// list, a union or a step whose base is the built-in root.
func (v *validator) chain(t *typeDef) ([]*simpleType, string, error) {
	var out []*simpleType
	for range 64 {
		if t.simple == nil {
			return nil, "", fmt.Errorf("type %s is not simple", t.name)
		}
		st := t.simple
		out = append(out, st)
		switch {
		case st.list != nil || st.union != nil:
			return out, "", nil
		case st.baseInline != nil:
			t = st.baseInline
			continue
		}
		if _, named := v.s.types[st.base]; !named && st.base.ns == NS {
			if _, ok := builtins[st.base.local]; !ok {
				return nil, "", fmt.Errorf("built-in type xs:%s is not supported", st.base.local)
			}
			return out, st.base.local, nil
		}
		next, err := v.lookupType(st.base)
		if err != nil {
			return nil, "", err
		}
		t = next
	}
	return nil, "", fmt.Errorf("type %s: derivation too deep", t.name)
}

// whitespace applies the built-in's whiteSpace rule.
func whitespace(root, s string) string {
	switch root {
	case "string", "anySimpleType":
		return s
	case "normalizedString":
		return strings.Map(func(r rune) rune {
			if r == '\t' || r == '\n' || r == '\r' {
				return ' '
			}
			return r
		}, s)
	}
	return strings.Join(strings.Fields(s), " ")
}

// primitiveOK checks what a regular expression cannot: the ranges of dates
// and integer types, and base64.
func primitiveOK(primitive, root, val string) error {
	switch primitive {
	case "dateTime", "date":
		layout := "2006-01-02"
		if primitive == "dateTime" {
			layout = "2006-01-02T15:04:05"
		}
		core := val
		if i := strings.IndexAny(core[min(len(core), len(layout)):], "Z+-"); i >= 0 {
			core = core[:len(layout)+i]
		}
		if j := strings.IndexByte(core, '.'); j >= 0 && primitive == "dateTime" {
			core = core[:j]
		}
		if _, err := time.Parse(layout, core); err != nil && !strings.HasPrefix(core, "-") {
			if strings.HasSuffix(core, "T24:00:00") {
				return nil
			}
			return fmt.Errorf("%q is not a valid xs:%s", val, root)
		}
	case "base64Binary":
		clean := strings.Join(strings.Fields(val), "")
		if _, err := base64.StdEncoding.DecodeString(clean); err != nil {
			return fmt.Errorf("%q is not valid xs:base64Binary", truncate(val))
		}
	case "hexBinary":
		if _, err := hex.DecodeString(val); err != nil {
			return fmt.Errorf("%q is not valid xs:hexBinary", truncate(val))
		}
	case "decimal":
		if bounds, ok := intBounds[root]; ok {
			n, _ := new(big.Rat).SetString(val)
			if bounds[0] != "" {
				lo, _ := new(big.Rat).SetString(bounds[0])
				if n.Cmp(lo) < 0 {
					return fmt.Errorf("%q is below the range of xs:%s", val, root)
				}
			}
			if bounds[1] != "" {
				hi, _ := new(big.Rat).SetString(bounds[1])
				if n.Cmp(hi) > 0 {
					return fmt.Errorf("%q is above the range of xs:%s", val, root)
				}
			}
		}
	}
	return nil
}

func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// facetsOK checks one restriction step's facets.
func facetsOK(f facets, primitive, val string) error {
	if len(f.patterns) > 0 {
		ok := false
		for _, re := range f.patterns {
			if re.MatchString(val) {
				ok = true
				break
			}
		}
		if !ok {
			return fmt.Errorf("%q does not match pattern %s", truncate(val), f.patterns[0])
		}
	}
	if len(f.enum) > 0 {
		ok := false
		for _, e := range f.enum {
			if equalValue(primitive, e, val) {
				ok = true
				break
			}
		}
		if !ok {
			return fmt.Errorf("%q is not one of %q", truncate(val), f.enum)
		}
	}
	n := utf8.RuneCountInString(val)
	switch primitive {
	case "base64Binary":
		b, _ := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(val), ""))
		n = len(b)
	case "hexBinary":
		n = len(val) / 2
	}
	if primitive != "decimal" && primitive != "float" {
		if f.length != nil && n != *f.length {
			return fmt.Errorf("%q has length %d, want %d", truncate(val), n, *f.length)
		}
		if f.minLength != nil && n < *f.minLength {
			return fmt.Errorf("%q has length %d, below %d", truncate(val), n, *f.minLength)
		}
		if f.maxLength != nil && n > *f.maxLength {
			return fmt.Errorf("%q has length %d, above %d", truncate(val), n, *f.maxLength)
		}
	}
	if primitive == "decimal" {
		x, ok := new(big.Rat).SetString(val)
		if !ok {
			return fmt.Errorf("%q is not a decimal", val)
		}
		cmp := func(bound *string, ok func(int) bool, what string) error {
			if bound == nil {
				return nil
			}
			b, good := new(big.Rat).SetString(*bound)
			if !good || !ok(x.Cmp(b)) {
				return fmt.Errorf("%q is not %s %s", val, what, *bound)
			}
			return nil
		}
		for _, err := range []error{
			cmp(f.minIncl, func(c int) bool { return c >= 0 }, "≥"),
			cmp(f.maxIncl, func(c int) bool { return c <= 0 }, "≤"),
			cmp(f.minExcl, func(c int) bool { return c > 0 }, ">"),
			cmp(f.maxEx, func(c int) bool { return c < 0 }, "<"),
		} {
			if err != nil {
				return err
			}
		}
		whole, frac := digits(val)
		if f.totalDigits != nil && whole+frac > *f.totalDigits {
			return fmt.Errorf("%q has more than %d digits", val, *f.totalDigits)
		}
		if f.fractionDigits != nil && frac > *f.fractionDigits {
			return fmt.Errorf("%q has more than %d fraction digits", val, *f.fractionDigits)
		}
	}
	return nil
}

// listFacets checks a list's length facets, which count items.
func listFacets(f facets, raw string, items int) error {
	if f.length != nil && items != *f.length || f.minLength != nil && items < *f.minLength || f.maxLength != nil && items > *f.maxLength {
		return fmt.Errorf("list %q has %d items", truncate(raw), items)
	}
	if len(f.enum) > 0 {
		for _, e := range f.enum {
			if strings.Join(strings.Fields(e), " ") == strings.Join(strings.Fields(raw), " ") {
				return nil
			}
		}
		return fmt.Errorf("%q is not one of %q", truncate(raw), f.enum)
	}
	return nil
}

// digits counts a decimal's significant whole and fraction digits
// (leading and trailing zeros do not count).
func digits(val string) (whole, frac int) {
	val = strings.TrimLeft(val, "+-")
	w, fr, _ := strings.Cut(val, ".")
	w = strings.TrimLeft(w, "0")
	fr = strings.TrimRight(fr, "0")
	return len(w), len(fr)
}

// equalValue compares an enumeration value with an instance value in the
// value space where it matters (decimals); elsewhere lexically.
func equalValue(primitive, a, b string) bool {
	if primitive == "decimal" {
		x, ok1 := new(big.Rat).SetString(a)
		y, ok2 := new(big.Rat).SetString(b)
		return ok1 && ok2 && x.Cmp(y) == 0
	}
	return a == b
}
