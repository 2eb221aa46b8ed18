// Package xsd validates XML documents against W3C XML Schema (1.0) files, in
// pure Go, so that every pagoPA message the project writes or reads can be
// checked against the official schema files in `go test ./...` on a machine
// where neither xmllint nor a JVM is installed.
//
// It implements the part of XML Schema that the pagoPA, Agenzia delle
// Entrate, SOAP 1.1 and XML-DSig schemas use: global and local elements
// (with element references and elementFormDefault), sequences, choices and
// all groups with occurrence bounds, wildcards (strict, lax and skip, with
// ##any, ##other and namespace lists), attributes (required, fixed,
// references, anyAttribute), complex content by extension or restriction,
// simple content, mixed content, and simple types by restriction (length,
// minLength, maxLength, pattern, enumeration, min/max inclusive/exclusive,
// totalDigits, fractionDigits), list and union over the built-in types.
//
// What it does not do is said where it matters: identity constraints (key,
// keyref, unique), substitution groups, xsi:type and redefine are refused
// when a schema declares them, never silently ignored.
package xsd

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"strconv"
	"strings"

	"github.com/beevik/etree"
)

// NS is the XML Schema namespace.
const NS = "http://www.w3.org/2001/XMLSchema"

// xsiNS is the namespace of the instance attributes (xsi:schemaLocation…).
const xsiNS = "http://www.w3.org/2001/XMLSchema-instance"

// unbounded is maxOccurs="unbounded".
const unbounded = -1

// qname is an expanded name.
type qname struct{ ns, local string }

func (q qname) String() string {
	if q.ns == "" {
		return q.local
	}
	return "{" + q.ns + "}" + q.local
}

// Schema is a set of loaded schema documents, one per namespace or more,
// ready to validate instances. It is safe for concurrent use once loaded.
type Schema struct {
	elements   map[qname]*element
	types      map[qname]*typeDef
	attributes map[qname]*attribute
	groups     map[qname]*particle
	attrGroups map[qname]*attrGroup
	loaded     map[string]bool
}

// element is an element declaration, global or local.
type element struct {
	name     qname
	typeName qname    // a named type, or
	inline   *typeDef // an anonymous one; neither means xs:anyType
	ref      qname    // a reference to a global element instead
	fixed    *string
	nillable bool
}

// typeDef is a simple or a complex type.
type typeDef struct {
	name    qname
	simple  *simpleType
	complex *complexType
}

// simpleType is a restriction, list or union over other simple types.
type simpleType struct {
	base       qname    // restriction base (built-in or named), or
	baseInline *typeDef // an anonymous base
	facets     facets
	list       *typeRef
	union      []typeRef
}

// typeRef names or inlines a type.
type typeRef struct {
	name   qname
	inline *typeDef
}

// facets are the constraining facets of one restriction step.
type facets struct {
	length, minLength, maxLength     *int
	totalDigits, fractionDigits      *int
	patterns                         []*regexp.Regexp // any one of a step's patterns
	enum                             []string
	minIncl, maxIncl, minExcl, maxEx *string
	whiteSpace                       string
}

// complexType is an element's content model and attributes after
// extension or restriction has been applied at load time.
type complexType struct {
	mixed      bool
	content    *particle // nil for empty content
	text       *typeRef  // simple content
	attrs      []*attribute
	groupRefs  []qname // attribute groups
	anyAttr    *wildcard
	extends    qname // complex content base, merged lazily
	restricts  qname
	simpleBase qname // simple content base
	merged     bool
}

// attribute is an attribute use.
type attribute struct {
	name     qname
	ref      qname
	typ      typeRef
	required bool
	fixed    *string
}

type attrGroup struct {
	attrs   []*attribute
	groups  []qname
	anyAttr *wildcard
}

// particle kinds.
const (
	pElement = iota
	pSequence
	pChoice
	pAll
	pAny
	pGroup
)

// particle is one term of a content model with its occurrence bounds.
type particle struct {
	kind     int
	min, max int
	elem     *element
	children []*particle
	any      *wildcard
	group    qname
}

// wildcard is xs:any or xs:anyAttribute.
type wildcard struct {
	namespaces []string // "##any", "##other" (with target), "##local", URIs
	target     string
	process    string // strict, lax, skip
}

// allows reports whether a name in namespace ns matches the wildcard.
func (w *wildcard) allows(ns string) bool {
	for _, n := range w.namespaces {
		switch n {
		case "##any":
			return true
		case "##other":
			if ns != w.target && ns != "" {
				return true
			}
		case "##local":
			if ns == "" {
				return true
			}
		case "##targetNamespace":
			if ns == w.target {
				return true
			}
		default:
			if n == ns {
				return true
			}
		}
	}
	return false
}

// Load reads the schema documents at paths in fsys, and every document they
// import or include (schemaLocation relative to the importing file).
func Load(fsys fs.FS, paths ...string) (*Schema, error) {
	s := &Schema{
		elements:   map[qname]*element{},
		types:      map[qname]*typeDef{},
		attributes: map[qname]*attribute{},
		groups:     map[qname]*particle{},
		attrGroups: map[qname]*attrGroup{},
		loaded:     map[string]bool{},
	}
	for _, p := range paths {
		if err := s.loadFile(fsys, path.Clean(p), ""); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// loadFile reads one schema document; chameleon is the namespace an
// include without targetNamespace takes.
func (s *Schema) loadFile(fsys fs.FS, name, chameleon string) error {
	if s.loaded[name] {
		return nil
	}
	s.loaded[name] = true
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return fmt.Errorf("xsd: load %s: %w", name, err)
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(b); err != nil {
		return fmt.Errorf("xsd: load %s: %w", name, err)
	}
	root := doc.Root()
	if root == nil || root.Tag != "schema" || root.NamespaceURI() != NS {
		return fmt.Errorf("xsd: load %s: not a schema document", name)
	}
	l := &loader{s: s, file: name, target: root.SelectAttrValue("targetNamespace", chameleon),
		qualified:     root.SelectAttrValue("elementFormDefault", "") == "qualified",
		attrQualified: root.SelectAttrValue("attributeFormDefault", "") == "qualified"}
	for _, c := range root.ChildElements() {
		if c.NamespaceURI() != NS {
			continue
		}
		switch c.Tag {
		case "import", "include":
			loc := c.SelectAttrValue("schemaLocation", "")
			if loc == "" {
				continue // a namespace whose schema the caller loads itself
			}
			next := path.Join(path.Dir(name), loc)
			ch := ""
			if c.Tag == "include" {
				ch = l.target
			}
			if err := s.loadFile(fsys, next, ch); err != nil {
				return err
			}
		case "element":
			e, err := l.element(c, true)
			if err != nil {
				return err
			}
			s.elements[e.name] = e
		case "complexType", "simpleType":
			t, err := l.typeDef(c)
			if err != nil {
				return err
			}
			t.name = qname{l.target, c.SelectAttrValue("name", "")}
			s.types[t.name] = t
		case "attribute":
			a, err := l.attribute(c, true)
			if err != nil {
				return err
			}
			s.attributes[a.name] = a
		case "group":
			p, err := l.groupBody(c)
			if err != nil {
				return err
			}
			s.groups[qname{l.target, c.SelectAttrValue("name", "")}] = p
		case "attributeGroup":
			g := &attrGroup{}
			if err := l.attrsInto(c, &g.attrs, &g.groups, &g.anyAttr); err != nil {
				return err
			}
			s.attrGroups[qname{l.target, c.SelectAttrValue("name", "")}] = g
		case "annotation", "notation":
		case "redefine", "override":
			return fmt.Errorf("xsd: load %s: %s is not supported", name, c.Tag)
		}
	}
	return nil
}

// loader reads the declarations of one schema document.
type loader struct {
	s                        *Schema
	file                     string
	target                   string
	qualified, attrQualified bool
}

func (l *loader) errorf(e *etree.Element, format string, args ...any) error {
	return fmt.Errorf("xsd: %s: <%s name=%q>: %s", l.file, e.Tag, e.SelectAttrValue("name", e.SelectAttrValue("ref", "")), fmt.Sprintf(format, args...))
}

// resolve expands a QName attribute value with the namespaces in scope at e.
func resolve(e *etree.Element, v string) (qname, error) {
	prefix, local := "", v
	if i := strings.IndexByte(v, ':'); i >= 0 {
		prefix, local = v[:i], v[i+1:]
	}
	for p := e; p != nil; p = p.Parent() {
		for _, a := range p.Attr {
			if prefix == "" && a.Space == "" && a.Key == "xmlns" || prefix != "" && a.Space == "xmlns" && a.Key == prefix {
				return qname{a.Value, local}, nil
			}
		}
	}
	if prefix == "" {
		return qname{"", local}, nil
	}
	if prefix == "xml" {
		return qname{"http://www.w3.org/XML/1998/namespace", local}, nil
	}
	return qname{}, fmt.Errorf("undeclared prefix %q in %q", prefix, v)
}

func occurs(e *etree.Element) (int, int, error) {
	mn, mx := 1, 1
	if v := e.SelectAttrValue("minOccurs", ""); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return 0, 0, fmt.Errorf("minOccurs %q", v)
		}
		mn = n
	}
	if v := e.SelectAttrValue("maxOccurs", ""); v == "unbounded" {
		mx = unbounded
	} else if v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return 0, 0, fmt.Errorf("maxOccurs %q", v)
		}
		mx = n
	}
	return mn, mx, nil
}

// element reads an element declaration.
func (l *loader) element(c *etree.Element, global bool) (*element, error) {
	e := &element{nillable: c.SelectAttrValue("nillable", "") == "true"}
	if c.SelectAttr("substitutionGroup") != nil || c.SelectAttrValue("abstract", "") == "true" {
		return nil, l.errorf(c, "substitution groups are not supported")
	}
	if f := c.SelectAttr("fixed"); f != nil {
		v := f.Value
		e.fixed = &v
	}
	if r := c.SelectAttrValue("ref", ""); r != "" {
		q, err := resolve(c, r)
		if err != nil {
			return nil, l.errorf(c, "%v", err)
		}
		e.ref = q
		return e, nil
	}
	name := c.SelectAttrValue("name", "")
	if name == "" {
		return nil, l.errorf(c, "element without name or ref")
	}
	ns := ""
	if form := c.SelectAttrValue("form", ""); global || form == "qualified" || form == "" && l.qualified {
		ns = l.target
	}
	e.name = qname{ns, name}
	if t := c.SelectAttrValue("type", ""); t != "" {
		q, err := resolve(c, t)
		if err != nil {
			return nil, l.errorf(c, "%v", err)
		}
		e.typeName = q
	}
	for _, k := range c.ChildElements() {
		switch k.Tag {
		case "complexType", "simpleType":
			t, err := l.typeDef(k)
			if err != nil {
				return nil, err
			}
			e.inline = t
		case "key", "keyref", "unique":
			return nil, l.errorf(c, "identity constraints are not supported")
		}
	}
	return e, nil
}

// typeDef reads a named or anonymous type.
func (l *loader) typeDef(c *etree.Element) (*typeDef, error) {
	if c.Tag == "simpleType" {
		st, err := l.simpleType(c)
		if err != nil {
			return nil, err
		}
		return &typeDef{simple: st}, nil
	}
	ct := &complexType{mixed: c.SelectAttrValue("mixed", "") == "true"}
	for _, k := range c.ChildElements() {
		switch k.Tag {
		case "sequence", "choice", "all", "group":
			p, err := l.particle(k)
			if err != nil {
				return nil, err
			}
			ct.content = p
		case "complexContent":
			if k.SelectAttrValue("mixed", "") == "true" {
				ct.mixed = true
			}
			for _, d := range k.ChildElements() {
				if d.Tag != "extension" && d.Tag != "restriction" {
					continue
				}
				base, err := resolve(d, d.SelectAttrValue("base", ""))
				if err != nil {
					return nil, l.errorf(c, "%v", err)
				}
				if d.Tag == "extension" {
					ct.extends = base
				} else {
					ct.restricts = base
				}
				if err := l.complexBody(d, ct); err != nil {
					return nil, err
				}
			}
		case "simpleContent":
			for _, d := range k.ChildElements() {
				if d.Tag != "extension" && d.Tag != "restriction" {
					continue
				}
				base, err := resolve(d, d.SelectAttrValue("base", ""))
				if err != nil {
					return nil, l.errorf(c, "%v", err)
				}
				ct.simpleBase = base
				if d.Tag == "restriction" {
					st, err := l.simpleType(d)
					if err != nil {
						return nil, err
					}
					ct.text = &typeRef{inline: &typeDef{simple: st}}
				}
				if err := l.attrsInto(d, &ct.attrs, &ct.groupRefs, &ct.anyAttr); err != nil {
					return nil, err
				}
			}
		}
	}
	if err := l.attrsInto(c, &ct.attrs, &ct.groupRefs, &ct.anyAttr); err != nil {
		return nil, err
	}
	return &typeDef{complex: ct}, nil
}

// complexBody reads the particle and attributes of an extension or
// restriction of complex content.
func (l *loader) complexBody(d *etree.Element, ct *complexType) error {
	for _, k := range d.ChildElements() {
		switch k.Tag {
		case "sequence", "choice", "all", "group":
			p, err := l.particle(k)
			if err != nil {
				return err
			}
			ct.content = p
		}
	}
	return l.attrsInto(d, &ct.attrs, &ct.groupRefs, &ct.anyAttr)
}

// attrsInto reads the attribute uses directly under c.
func (l *loader) attrsInto(c *etree.Element, attrs *[]*attribute, groups *[]qname, any **wildcard) error {
	for _, k := range c.ChildElements() {
		switch k.Tag {
		case "attribute":
			a, err := l.attribute(k, false)
			if err != nil {
				return err
			}
			*attrs = append(*attrs, a)
		case "attributeGroup":
			q, err := resolve(k, k.SelectAttrValue("ref", ""))
			if err != nil {
				return l.errorf(k, "%v", err)
			}
			*groups = append(*groups, q)
		case "anyAttribute":
			*any = l.wildcard(k)
		}
	}
	return nil
}

func (l *loader) attribute(k *etree.Element, global bool) (*attribute, error) {
	a := &attribute{required: k.SelectAttrValue("use", "") == "required"}
	if k.SelectAttrValue("use", "") == "prohibited" {
		a.required = false
	}
	if f := k.SelectAttr("fixed"); f != nil {
		v := f.Value
		a.fixed = &v
	}
	if r := k.SelectAttrValue("ref", ""); r != "" {
		q, err := resolve(k, r)
		if err != nil {
			return nil, l.errorf(k, "%v", err)
		}
		a.ref = q
		return a, nil
	}
	ns := ""
	if form := k.SelectAttrValue("form", ""); global || form == "qualified" || form == "" && l.attrQualified {
		ns = l.target
	}
	a.name = qname{ns, k.SelectAttrValue("name", "")}
	if t := k.SelectAttrValue("type", ""); t != "" {
		q, err := resolve(k, t)
		if err != nil {
			return nil, l.errorf(k, "%v", err)
		}
		a.typ.name = q
	}
	if st := k.SelectElement("simpleType"); st != nil {
		t, err := l.typeDef(st)
		if err != nil {
			return nil, err
		}
		a.typ.inline = t
	}
	if a.typ.name == (qname{}) && a.typ.inline == nil {
		a.typ.name = qname{NS, "anySimpleType"}
	}
	return a, nil
}

func (l *loader) wildcard(k *etree.Element) *wildcard {
	ns := strings.Fields(k.SelectAttrValue("namespace", "##any"))
	return &wildcard{namespaces: ns, target: l.target, process: k.SelectAttrValue("processContents", "strict")}
}

// particle reads a sequence, choice, all, group reference, element or any.
func (l *loader) particle(k *etree.Element) (*particle, error) {
	mn, mx, err := occurs(k)
	if err != nil {
		return nil, l.errorf(k, "%v", err)
	}
	p := &particle{min: mn, max: mx}
	switch k.Tag {
	case "element":
		e, err := l.element(k, false)
		if err != nil {
			return nil, err
		}
		p.kind, p.elem = pElement, e
	case "any":
		p.kind, p.any = pAny, l.wildcard(k)
	case "group":
		q, err := resolve(k, k.SelectAttrValue("ref", ""))
		if err != nil {
			return nil, l.errorf(k, "%v", err)
		}
		p.kind, p.group = pGroup, q
	case "sequence", "choice", "all":
		p.kind = map[string]int{"sequence": pSequence, "choice": pChoice, "all": pAll}[k.Tag]
		for _, c := range k.ChildElements() {
			if c.Tag == "annotation" {
				continue
			}
			cp, err := l.particle(c)
			if err != nil {
				return nil, err
			}
			p.children = append(p.children, cp)
		}
	default:
		return nil, l.errorf(k, "unexpected %s in a content model", k.Tag)
	}
	return p, nil
}

// groupBody reads a named model group's single compositor.
func (l *loader) groupBody(c *etree.Element) (*particle, error) {
	for _, k := range c.ChildElements() {
		switch k.Tag {
		case "sequence", "choice", "all":
			return l.particle(k)
		}
	}
	return nil, l.errorf(c, "group without a compositor")
}

// simpleType reads a simpleType (or a simpleContent restriction).
func (l *loader) simpleType(c *etree.Element) (*simpleType, error) {
	st := &simpleType{}
	body := c
	if c.Tag == "simpleType" {
		body = nil
		for _, k := range c.ChildElements() {
			switch k.Tag {
			case "restriction":
				body = k
			case "list":
				st.list = &typeRef{}
				if it := k.SelectAttrValue("itemType", ""); it != "" {
					q, err := resolve(k, it)
					if err != nil {
						return nil, l.errorf(c, "%v", err)
					}
					st.list.name = q
				} else if in := k.SelectElement("simpleType"); in != nil {
					t, err := l.typeDef(in)
					if err != nil {
						return nil, err
					}
					st.list.inline = t
				}
				return st, nil
			case "union":
				for _, m := range strings.Fields(k.SelectAttrValue("memberTypes", "")) {
					q, err := resolve(k, m)
					if err != nil {
						return nil, l.errorf(c, "%v", err)
					}
					st.union = append(st.union, typeRef{name: q})
				}
				for _, in := range k.SelectElements("simpleType") {
					t, err := l.typeDef(in)
					if err != nil {
						return nil, err
					}
					st.union = append(st.union, typeRef{inline: t})
				}
				return st, nil
			}
		}
		if body == nil {
			return nil, l.errorf(c, "simpleType without restriction, list or union")
		}
	}
	if b := body.SelectAttrValue("base", ""); b != "" {
		q, err := resolve(body, b)
		if err != nil {
			return nil, l.errorf(c, "%v", err)
		}
		st.base = q
	}
	for _, f := range body.ChildElements() {
		v := f.SelectAttrValue("value", "")
		num := func() (*int, error) {
			n, err := strconv.Atoi(v)
			if err != nil {
				return nil, l.errorf(c, "facet %s: %q is not a number", f.Tag, v)
			}
			return &n, nil
		}
		var err error
		switch f.Tag {
		case "simpleType":
			t, terr := l.typeDef(f)
			if terr != nil {
				return nil, terr
			}
			st.baseInline = t
		case "length":
			st.facets.length, err = num()
		case "minLength":
			st.facets.minLength, err = num()
		case "maxLength":
			st.facets.maxLength, err = num()
		case "totalDigits":
			st.facets.totalDigits, err = num()
		case "fractionDigits":
			st.facets.fractionDigits, err = num()
		case "pattern":
			re, rerr := compilePattern(v)
			if rerr != nil {
				return nil, l.errorf(c, "pattern %q: %v", v, rerr)
			}
			st.facets.patterns = append(st.facets.patterns, re)
		case "enumeration":
			st.facets.enum = append(st.facets.enum, v)
		case "minInclusive":
			st.facets.minIncl = &v
		case "maxInclusive":
			st.facets.maxIncl = &v
		case "minExclusive":
			st.facets.minExcl = &v
		case "maxExclusive":
			st.facets.maxEx = &v
		case "whiteSpace":
			st.facets.whiteSpace = v
		}
		if err != nil {
			return nil, err
		}
	}
	return st, nil
}

// compilePattern turns an XML Schema regular expression into an anchored Go
// one. The two dialects agree on what these schemas use; the XML-only
// escapes \i, \c and character class subtraction are refused.
func compilePattern(p string) (*regexp.Regexp, error) {
	if strings.Contains(p, `\i`) || strings.Contains(p, `\c`) || strings.Contains(p, "-[") {
		return nil, errors.New("XML Schema-only regular expression syntax")
	}
	return regexp.Compile(`^(?:` + p + `)$`)
}
