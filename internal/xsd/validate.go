package xsd

import (
	"errors"
	"fmt"
	"strings"

	"github.com/beevik/etree"
)

// Errors lists every way a document departs from the schema, each with the
// path of the element it concerns, so that a test failure says all that is
// wrong at once.
type Errors []string

func (e Errors) Error() string { return "xsd: invalid document:\n  " + strings.Join(e, "\n  ") }

// ErrInvalid is matched by errors.Is for a document that does not validate.
var ErrInvalid = errors.New("xsd: invalid document")

// Is makes errors.Is(err, ErrInvalid) true for Errors.
func (e Errors) Is(target error) bool { return target == ErrInvalid }

// Validate parses doc and checks its root element, and everything under it,
// against the schema. A root the schema does not declare is an error.
func (s *Schema) Validate(doc []byte) error {
	d := etree.NewDocument()
	if err := d.ReadFromBytes(doc); err != nil {
		return fmt.Errorf("xsd: parse: %w", err)
	}
	root := d.Root()
	if root == nil {
		return Errors{"no root element"}
	}
	return s.ValidateElement(root)
}

// ValidateElement checks one element, which must be declared globally,
// against the schema; it lets a caller validate the payload of a larger
// document on its own.
func (s *Schema) ValidateElement(root *etree.Element) error {
	v := &validator{s: s}
	q := qname{root.NamespaceURI(), root.Tag}
	decl, ok := s.elements[q]
	if !ok {
		return Errors{"/" + root.Tag + ": no global declaration for " + q.String()}
	}
	v.element(root, decl, "/"+root.Tag)
	if len(v.errs) > 0 {
		return v.errs
	}
	return nil
}

type validator struct {
	s    *Schema
	errs Errors
}

func (v *validator) fail(path, format string, args ...any) {
	v.errs = append(v.errs, path+": "+fmt.Sprintf(format, args...))
}

// deref follows an element reference to the global declaration.
func (v *validator) deref(e *element) (*element, error) {
	if e.ref == (qname{}) {
		return e, nil
	}
	g, ok := v.s.elements[e.ref]
	if !ok {
		return nil, fmt.Errorf("no global element %s", e.ref)
	}
	return g, nil
}

// typeOf returns the type of a declaration; nil is xs:anyType.
func (v *validator) typeOf(e *element) (*typeDef, error) {
	if e.inline != nil {
		return e.inline, nil
	}
	if e.typeName == (qname{}) || e.typeName == (qname{NS, "anyType"}) {
		return nil, nil
	}
	return v.lookupType(e.typeName)
}

func (v *validator) lookupType(q qname) (*typeDef, error) {
	if t, ok := v.s.types[q]; ok {
		return t, nil
	}
	if q.ns == NS {
		if _, ok := builtins[q.local]; ok {
			return &typeDef{name: q, simple: &simpleType{base: q}}, nil
		}
	}
	return nil, fmt.Errorf("no type %s", q)
}

// element validates x against decl.
func (v *validator) element(x *etree.Element, decl *element, path string) {
	t, err := v.typeOf(decl)
	if err != nil {
		v.fail(path, "%v", err)
		return
	}
	if decl.nillable && attrValue(x, xsiNS, "nil") == "true" {
		if len(x.ChildElements()) > 0 || strings.TrimSpace(x.Text()) != "" {
			v.fail(path, "nil element has content")
		}
		return
	}
	if decl.fixed != nil && strings.TrimSpace(textOf(x)) != strings.TrimSpace(*decl.fixed) {
		v.fail(path, "value %q, fixed %q", textOf(x), *decl.fixed)
	}
	switch {
	case t == nil:
		return // anyType: anything goes
	case t.simple != nil:
		v.checkAttrs(x, nil, path)
		if len(x.ChildElements()) > 0 {
			v.fail(path, "simple type %s: has child elements", t.name)
			return
		}
		if err := v.checkSimple(t, textOf(x)); err != nil {
			v.fail(path, "%v", err)
		}
	default:
		v.complex(x, t.complex, path)
	}
}

// textOf returns the character data directly inside x.
func textOf(x *etree.Element) string {
	var b strings.Builder
	for _, c := range x.Child {
		if cd, ok := c.(*etree.CharData); ok {
			b.WriteString(cd.Data)
		}
	}
	return b.String()
}

func attrValue(x *etree.Element, ns, local string) string {
	for _, a := range x.Attr {
		if a.Key == local && a.NamespaceURI() == ns {
			return a.Value
		}
	}
	return ""
}

// merge resolves a complex type's base chain once: an extension appends its
// particle to the base's in a sequence and adds attributes; a restriction
// keeps its own particle and adds the base's attributes it does not
// redeclare.
func (v *validator) merge(ct *complexType) (*complexType, error) {
	if ct.merged || ct.extends == (qname{}) && ct.restricts == (qname{}) && ct.simpleBase == (qname{}) {
		return ct, nil
	}
	out := *ct
	out.merged = true
	baseName := ct.extends
	if baseName == (qname{}) {
		baseName = ct.restricts
	}
	if baseName == (qname{}) {
		baseName = ct.simpleBase
	}
	if baseName == (qname{NS, "anyType"}) {
		return &out, nil
	}
	bt, err := v.lookupType(baseName)
	if err != nil {
		return nil, err
	}
	if bt.simple != nil {
		if out.text == nil {
			out.text = &typeRef{name: baseName}
		} else if out.text.inline != nil && out.text.inline.simple.base == (qname{}) {
			st := *out.text.inline.simple
			st.base = baseName
			out.text = &typeRef{inline: &typeDef{simple: &st}}
		}
		return &out, nil
	}
	base, err := v.merge(bt.complex)
	if err != nil {
		return nil, err
	}
	own := map[qname]bool{}
	for _, a := range out.attrs {
		own[a.key()] = true
	}
	attrs := append([]*attribute(nil), out.attrs...)
	for _, a := range base.attrs {
		if !own[a.key()] {
			attrs = append(attrs, a)
		}
	}
	out.attrs = attrs
	out.groupRefs = append(append([]qname(nil), out.groupRefs...), base.groupRefs...)
	if out.anyAttr == nil && ct.extends != (qname{}) {
		out.anyAttr = base.anyAttr
	}
	switch {
	case ct.simpleBase != (qname{}):
		if out.text == nil {
			out.text = base.text
		} else if t := out.text.inline; t != nil && (t.simple.base == (qname{}) || t.simple.base == ct.simpleBase) && base.text != nil {
			// A restriction of a complex type with simple content
			// restricts that type's text.
			st := *out.text.inline.simple
			st.base = base.text.name
			st.baseInline = base.text.inline
			out.text = &typeRef{inline: &typeDef{simple: &st}}
		}
	case ct.extends != (qname{}):
		out.text = base.text
		switch {
		case base.content == nil:
		case out.content == nil:
			out.content = base.content
		default:
			out.content = &particle{kind: pSequence, min: 1, max: 1, children: []*particle{base.content, out.content}}
		}
		out.mixed = out.mixed || base.mixed
	}
	return &out, nil
}

func (a *attribute) key() qname {
	if a.ref != (qname{}) {
		return a.ref
	}
	return a.name
}

// complex validates attributes, text and children of x against ct.
func (v *validator) complex(x *etree.Element, ct *complexType, path string) {
	ct, err := v.merge(ct)
	if err != nil {
		v.fail(path, "%v", err)
		return
	}
	v.checkAttrs(x, ct, path)
	kids := x.ChildElements()
	if ct.text != nil {
		if len(kids) > 0 {
			v.fail(path, "simple content: has child elements")
			return
		}
		t := ct.text.inline
		if t == nil {
			if t, err = v.lookupType(ct.text.name); err != nil {
				v.fail(path, "%v", err)
				return
			}
		}
		if err := v.checkSimple(t, textOf(x)); err != nil {
			v.fail(path, "%v", err)
		}
		return
	}
	if !ct.mixed && strings.TrimSpace(textOf(x)) != "" {
		v.fail(path, "text %q in element-only content", strings.TrimSpace(textOf(x)))
	}
	assign := make([]*particle, len(kids))
	m := matcher{v: v, kids: kids, assign: assign}
	ok := ct.content == nil && len(kids) == 0 ||
		ct.content != nil && m.match(ct.content, 0, func(j int) bool { return j == len(kids) })
	if !ok {
		names := make([]string, len(kids))
		for i, k := range kids {
			names[i] = k.Tag
		}
		v.fail(path, "children [%s] do not match the content model (first unexpected near %q)", strings.Join(names, " "), m.near())
		return
	}
	seen := map[string]int{}
	for i, k := range kids {
		seen[k.Tag]++
		kp := fmt.Sprintf("%s/%s", path, k.Tag)
		if seen[k.Tag] > 1 {
			kp = fmt.Sprintf("%s[%d]", kp, seen[k.Tag])
		}
		p := assign[i]
		if p.kind == pAny {
			v.wild(k, p.any, kp)
			continue
		}
		decl, err := v.deref(p.elem)
		if err != nil {
			v.fail(kp, "%v", err)
			continue
		}
		v.element(k, decl, kp)
	}
}

// wild validates an element matched by a wildcard: strict needs a global
// declaration, lax uses one if there is one, skip checks nothing.
func (v *validator) wild(k *etree.Element, w *wildcard, path string) {
	if w.process == "skip" {
		return
	}
	decl, ok := v.s.elements[qname{k.NamespaceURI(), k.Tag}]
	switch {
	case ok:
		v.element(k, decl, path)
	case w.process == "strict":
		v.fail(path, "no global declaration for %s", qname{k.NamespaceURI(), k.Tag})
	}
}

// checkAttrs validates x's attributes against ct (nil: none allowed).
func (v *validator) checkAttrs(x *etree.Element, ct *complexType, path string) {
	uses := map[qname]*attribute{}
	var any *wildcard
	if ct != nil {
		v.collectAttrs(ct.attrs, ct.groupRefs, uses, path)
		any = ct.anyAttr
	}
	present := map[qname]bool{}
	for _, a := range x.Attr {
		if a.Space == "xmlns" || a.Space == "" && a.Key == "xmlns" {
			continue
		}
		q := qname{a.NamespaceURI(), a.Key}
		if q.ns == xsiNS {
			continue
		}
		present[q] = true
		u, ok := uses[q]
		if !ok {
			if any != nil && any.allows(q.ns) {
				if g, ok := v.s.attributes[q]; ok && any.process != "skip" {
					v.checkAttrValue(g, a.Value, path+"/@"+a.Key)
				}
				continue
			}
			v.fail(path, "attribute %s not allowed", q)
			continue
		}
		v.checkAttrValue(u, a.Value, path+"/@"+a.Key)
	}
	for q, u := range uses {
		if u.required && !present[q] {
			v.fail(path, "missing required attribute %s", q)
		}
	}
}

func (v *validator) collectAttrs(attrs []*attribute, groups []qname, into map[qname]*attribute, path string) {
	for _, a := range attrs {
		u := a
		if a.ref != (qname{}) {
			g, ok := v.s.attributes[a.ref]
			if !ok {
				v.fail(path, "no global attribute %s", a.ref)
				continue
			}
			u = &attribute{name: g.name, typ: g.typ, fixed: g.fixed, required: a.required}
			if a.fixed != nil {
				u.fixed = a.fixed
			}
		}
		if _, dup := into[u.name]; !dup {
			into[u.name] = u
		}
	}
	for _, q := range groups {
		g, ok := v.s.attrGroups[q]
		if !ok {
			v.fail(path, "no attribute group %s", q)
			continue
		}
		v.collectAttrs(g.attrs, g.groups, into, path)
	}
}

func (v *validator) checkAttrValue(a *attribute, val, path string) {
	if a.fixed != nil && val != *a.fixed {
		v.fail(path, "value %q, fixed %q", val, *a.fixed)
	}
	t := a.typ.inline
	if t == nil {
		var err error
		if t, err = v.lookupType(a.typ.name); err != nil {
			v.fail(path, "%v", err)
			return
		}
	}
	if err := v.checkSimple(t, val); err != nil {
		v.fail(path, "%v", err)
	}
}

// matcher finds an assignment of children to the particles of a content
// model by backtracking; content models of real schemas are small and
// nearly deterministic, so this is quick.
type matcher struct {
	v      *validator
	kids   []*etree.Element
	assign []*particle
	far    int // the furthest child any attempt reached
}

func (m *matcher) near() string {
	if m.far < len(m.kids) {
		return m.kids[m.far].Tag
	}
	return "end of content"
}

// match tries p from child i, calling k with every position where p could
// end until k accepts one.
func (m *matcher) match(p *particle, i int, k func(int) bool) bool {
	var rep func(n, i int) bool
	rep = func(n, i int) bool {
		if n >= p.min && k(i) {
			return true
		}
		if p.max != unbounded && n >= p.max {
			return false
		}
		return m.once(p, i, func(j int) bool {
			if j == i && n >= p.min { // no progress: stop repeating
				return false
			}
			return rep(n+1, j)
		})
	}
	return rep(0, i)
}

// once matches one occurrence of p's term from child i.
func (m *matcher) once(p *particle, i int, k func(int) bool) bool {
	m.far = max(m.far, i)
	switch p.kind {
	case pElement:
		if i >= len(m.kids) {
			return false
		}
		decl, err := m.v.deref(p.elem)
		if err != nil {
			return false
		}
		x := m.kids[i]
		if x.Tag != decl.name.local || x.NamespaceURI() != decl.name.ns {
			return false
		}
		m.assign[i] = p
		return k(i + 1)
	case pAny:
		if i >= len(m.kids) || !p.any.allows(m.kids[i].NamespaceURI()) {
			return false
		}
		m.assign[i] = p
		return k(i + 1)
	case pSequence:
		var seq func(c, i int) bool
		seq = func(c, i int) bool {
			if c == len(p.children) {
				return k(i)
			}
			return m.match(p.children[c], i, func(j int) bool { return seq(c+1, j) })
		}
		return seq(0, i)
	case pChoice:
		for _, c := range p.children {
			if m.match(c, i, k) {
				return true
			}
		}
		return false
	case pAll:
		used := make([]int, len(p.children))
		var all func(i int) bool
		all = func(i int) bool {
			done := true
			for c, cp := range p.children {
				if used[c] < cp.min {
					done = false
				}
			}
			if done && k(i) {
				return true
			}
			for c, cp := range p.children {
				if used[c] >= max(cp.max, 1) && cp.max != unbounded {
					continue
				}
				used[c]++
				ok := m.once(cp, i, func(j int) bool { return j > i && all(j) })
				used[c]--
				if ok {
					return true
				}
			}
			return false
		}
		return all(i)
	case pGroup:
		g, ok := m.v.s.groups[p.group]
		if !ok {
			return false
		}
		return m.match(g, i, k)
	}
	return false
}
