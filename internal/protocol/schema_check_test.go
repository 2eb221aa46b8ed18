package protocol_test

import (
	"encoding/base64"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/sportello/sportello/internal/protocol"
)

// This file is a small structural checker for the AgID 2021 schemas
// (segnatura_protocollo.xsd and pec_message.xsd, version 3.0.0), so that
// the tests check the segnatura element by element even where xmllint and
// the schema files are not at hand. The content models below restate the
// schemas' for every type Sportello writes: order, cardinality, choices,
// qualified attributes and the simple types' patterns. The one deliberate
// difference: ds:Signature is optional here, because Segnatura leaves the
// XAdES signature to a signer.

const (
	nsP   = protocol.SegnaturaNS
	nsM   = protocol.MessaggiNS
	nsDS  = "http://www.w3.org/2000/09/xmldsig#"
	unbnd = -1
)

// particle is one place in a content model: an element (ns, name, type)
// occurring min to max times, or a choice among alt.
type particle struct {
	ns, name, typ string
	min, max      int
	alt           []particle
}

// xsAttr is an attribute a type allows; values restricts it to a list
// (a fixed value is a list of one).
type xsAttr struct {
	typ      string
	required bool
	values   []string
}

// xsType is a complex type: element children in sequence, or simple text
// of type text; attributes by "{ns}name".
type xsType struct {
	seq   []particle
	text  string
	attrs map[string]xsAttr
}

func el(ns, name, typ string) particle { return particle{ns: ns, name: name, typ: typ, min: 1, max: 1} }
func opt(p particle) particle          { p.min = 0; return p }
func many(p particle, min int) particle {
	p.min, p.max = min, unbnd
	return p
}
func choice(alts ...particle) particle { return particle{alt: alts, min: 1, max: 1} }
func attrs(ns string, kv ...any) map[string]xsAttr {
	m := map[string]xsAttr{}
	for i := 0; i < len(kv); i += 2 {
		m["{"+ns+"}"+kv[i].(string)] = kv[i+1].(xsAttr)
	}
	return m
}

var soggetto = []particle{choice(
	el(nsP, "Amministrazione", "Amministrazione"),
	el(nsP, "PersonaGiuridica", "PersonaGiuridica"),
	el(nsP, "PersonaFisica", "PersonaFisica"),
	el(nsP, "AmministrazioneEstera", "AmministrazioneEstera"),
)}

var signType = []particle{choice(el(nsP, "UnDetached", "true"), many(el(nsP, "Detached", "Detached"), 1))}

var schemaTypes = map[string]xsType{
	"SegnaturaInformatica": {
		seq: []particle{el(nsP, "Intestazione", "Intestazione"), el(nsP, "Descrizione", "Descrizione"),
			opt(el(nsDS, "Signature", "any"))},
		attrs: attrs(nsP, "versione", xsAttr{"NMTOKEN", true, []string{"3.0.0"}}, "lang", xsAttr{"NMTOKEN", true, []string{"it"}}),
	},
	"Intestazione": {seq: []particle{
		el(nsP, "Identificatore", "Identificatore"), opt(el(nsP, "PrimaRegistrazione", "Identificatore")),
		el(nsP, "Oggetto", "string"), el(nsP, "Classifica", "Classifica"), opt(el(nsP, "Fascicolo", "Fascicolo")),
		opt(el(nsP, "Riservato", "Riservato")),
	}},
	"Identificatore": {seq: []particle{
		el(nsP, "CodiceAmministrazione", "CodiceIPA"), el(nsP, "CodiceAOO", "CodiceIPA"),
		el(nsP, "CodiceRegistro", "codiceRegistro"), el(nsP, "NumeroRegistrazione", "numero"),
		el(nsP, "DataRegistrazione", "date"), opt(el(nsP, "OraRegistrazione", "time")),
	}},
	"CodiceIPA": {text: "string", attrs: attrs(nsP, "descrizione", xsAttr{typ: "string"})},
	"Riservato": {text: "boolean", attrs: attrs(nsP, "note", xsAttr{typ: "string"})},
	"Classifica": {seq: []particle{el(nsP, "Denominazione", "string"),
		choice(el(nsP, "CodiceFlat", "string"), el(nsP, "CodicePath", "Livello"))}},
	"Livello":     {seq: []particle{el(nsP, "Livello", "LivelloNome"), opt(el(nsP, "SubLivello", "Livello"))}},
	"LivelloNome": {text: "string", attrs: attrs(nsP, "descrizione", xsAttr{typ: "string"})},
	"Fascicolo":   {seq: []particle{el(nsP, "Denominazione", "string"), el(nsP, "CodiceFascicolo", "string")}},
	"Descrizione": {seq: []particle{el(nsP, "Mittente", "Soggetto"), many(el(nsP, "Destinatario", "Destinatario"), 1),
		el(nsP, "DocumentoPrimario", "Documento"), many(el(nsP, "Allegato", "Documento"), 0)}},
	"Soggetto": {seq: soggetto},
	"Destinatario": {seq: soggetto, attrs: attrs(nsP,
		"confermaRicezione", xsAttr{typ: "boolean"}, "perConoscenza", xsAttr{typ: "boolean"})},
	"Documento": {
		seq: []particle{opt(el(nsP, "Descrizione", "string")), el(nsP, "Impronta", "Impronta"),
			opt(el(nsP, "CollocazioneTelematica", "CollocazioneTelematica")),
			opt(el(nsP, "firmatoDigitalmente", "Sign")), opt(el(nsP, "sigillatoElettronicamente", "Sign")),
			opt(el(nsP, "marcaturaTemporale", "Sign"))},
		attrs: attrs(nsP, "nomeFile", xsAttr{typ: "string", required: true}, "mimeType", xsAttr{typ: "string", required: true}),
	},
	"Impronta": {text: "sha256", attrs: attrs(nsP, "algoritmo", xsAttr{typ: "string", values: []string{"SHA-256"}})},
	"CollocazioneTelematica": {
		seq:   []particle{el(nsP, "HostValue", "string"), el(nsP, "PathValue", "string")},
		attrs: attrs(nsP, "timeToLive", xsAttr{typ: "integer"}, "userId", xsAttr{typ: "string"}, "password", xsAttr{typ: "string"}),
	},
	"Sign":     {seq: signType},
	"true":     {text: "true"},
	"Detached": {text: "true", attrs: attrs(nsP, "nomeFile", xsAttr{typ: "string", required: true}, "mimeType", xsAttr{typ: "string"}, "order", xsAttr{typ: "integer", required: true})},
	"Amministrazione": {seq: []particle{
		el(nsP, "DenominazioneAmministrazione", "string"), opt(el(nsP, "CFAmministrazione", "piva")),
		el(nsP, "CodiceIPAAmministrazione", "CodiceIPA"), opt(el(nsP, "ContattiAmministrazione", "Contatti")),
		opt(el(nsP, "CodiceIPAAOO", "CodiceIPA")), opt(el(nsP, "ContattiAOO", "Contatti")),
		opt(el(nsP, "CodiceIPAUO", "CodiceIPA")), opt(el(nsP, "ContattiUO", "Contatti")),
		many(el(nsP, "PersonaFisica", "PersonaFisica"), 0),
	}},
	"AmministrazioneEstera": {seq: []particle{el(nsP, "DenominazioneAmministrazione", "string"),
		opt(el(nsP, "DenominazioneUfficio", "string")), opt(el(nsP, "ContattiAmministrazione", "Contatti"))}},
	"PersonaGiuridica": {seq: []particle{el(nsP, "Denominazione", "string"), opt(el(nsP, "PIVAoCF", "piva")),
		opt(el(nsP, "ContattiPersonaGiuridica", "Contatti")), many(el(nsP, "PersonaFisica", "PersonaFisica"), 0)}},
	"PersonaFisica": {seq: []particle{el(nsP, "Nome", "string"), el(nsP, "Cognome", "string"),
		opt(el(nsP, "Titolo", "string")), opt(el(nsP, "CodiceFiscale", "cf")), opt(el(nsP, "Contatti", "Contatti"))}},
	// IndirizzoPostale is not modelled: Sportello never writes one (and the
	// schema's CAP pattern wants six digits, a known bug).
	"Contatti": {seq: []particle{many(el(nsP, "IndirizzoTelematico", "IndirizzoTelematico"), 0),
		many(el(nsP, "Telefono", "string"), 0)}},
	"IndirizzoTelematico": {text: "string", attrs: attrs(nsP,
		"tipo", xsAttr{typ: "NMTOKEN", values: []string{"smtp", "url", "other"}}, "note", xsAttr{typ: "string"})},

	"AnnullamentoProtocollazione": {
		seq: []particle{el(nsM, "MessaggioRicevuto", "MessaggioRicevuto"), el(nsM, "Motivo", "string"),
			el(nsM, "Provvedimento", "string")},
		attrs: attrs(nsM, "versione", xsAttr{"NMTOKEN", true, []string{"3.0.0"}}, "lang", xsAttr{"NMTOKEN", true, []string{"it"}}),
	},
	"MessaggioRicevuto": {seq: []particle{el(nsM, "Identificatore", "Identificatore"),
		opt(el(nsM, "PrimaRegistrazione", "Identificatore"))}},
}

// roots are the global elements a document may start with.
var roots = map[string]string{
	"{" + nsP + "}SegnaturaInformatica":        "SegnaturaInformatica",
	"{" + nsM + "}AnnullamentoProtocollazione": "AnnullamentoProtocollazione",
}

var simpleTypes = map[string]*regexp.Regexp{
	"string":         regexp.MustCompile(`(?s)^.*$`),
	"numero":         regexp.MustCompile(`^[0-9]{7,}$`),
	"codiceRegistro": regexp.MustCompile(`^[A-Za-z0-9_.\-]{1,16}$`),
	"piva":           regexp.MustCompile(`^[0-9]{11}$`),
	"cf":             regexp.MustCompile(`^[A-Z]{6}[0-9LMNPQRSTUV]{2}[ABCDEHLMPRST][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z]$`),
	"date":           regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}(Z|[+-][0-9]{2}:[0-9]{2})?$`),
	"time":           regexp.MustCompile(`^[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})?$`),
	"boolean":        regexp.MustCompile(`^(true|false|1|0)$`),
	"true":           regexp.MustCompile(`^(true|1)$`),
	"integer":        regexp.MustCompile(`^[+-]?[0-9]+$`),
	"NMTOKEN":        regexp.MustCompile(`^[\pL\pN._:\-]+$`),
}

// checkSchema parses doc and returns every way it departs from the schema.
func checkSchema(doc []byte) []string {
	d := etree.NewDocument()
	if err := d.ReadFromBytes(doc); err != nil {
		return []string{"parse: " + err.Error()}
	}
	root := d.Root()
	if root == nil {
		return []string{"no root element"}
	}
	typ, ok := roots[qname(root)]
	if !ok {
		return []string{"unexpected root " + qname(root)}
	}
	var errs []string
	checkElement(root, typ, "/"+root.Tag, &errs)
	return errs
}

func qname(e *etree.Element) string { return "{" + e.NamespaceURI() + "}" + e.Tag }

func checkElement(e *etree.Element, typ, path string, errs *[]string) {
	fail := func(format string, args ...any) { *errs = append(*errs, path+": "+fmt.Sprintf(format, args...)) }
	if typ == "any" {
		return
	}
	t, ok := schemaTypes[typ]
	if !ok {
		if _, simple := simpleTypes[typ]; !simple {
			fail("no model for type %s", typ)
			return
		}
		t = xsType{text: typ}
	}
	seen := map[string]bool{}
	for _, a := range e.Attr {
		if a.Space == "xmlns" || a.Space == "" && a.Key == "xmlns" {
			continue
		}
		key := "{" + a.NamespaceURI() + "}" + a.Key
		seen[key] = true
		spec, ok := t.attrs[key]
		if !ok {
			fail("attribute %s not allowed", key)
			continue
		}
		if !simpleTypes[spec.typ].MatchString(a.Value) {
			fail("attribute %s=%q is not a valid %s", a.Key, a.Value, spec.typ)
		}
		if len(spec.values) > 0 && !slices.Contains(spec.values, a.Value) {
			fail("attribute %s=%q: want one of %v", a.Key, a.Value, spec.values)
		}
	}
	for key, spec := range t.attrs {
		if spec.required && !seen[key] {
			fail("required attribute %s missing", key)
		}
	}
	children := e.ChildElements()
	if t.text != "" {
		if len(children) > 0 {
			fail("simple content has child elements")
		}
		checkText(e.Text(), t.text, fail)
		return
	}
	if strings.TrimSpace(e.Text()) != "" {
		fail("element-only content has text %q", e.Text())
	}
	i := 0
	for _, p := range t.seq {
		n := 0
		for i < len(children) && (p.max == unbnd || n < p.max) {
			c := children[i]
			sub, ok := p.match(c)
			if !ok {
				break
			}
			checkElement(c, sub.typ, fmt.Sprintf("%s/%s", path, c.Tag), errs)
			i, n = i+1, n+1
		}
		if n < p.min {
			fail("missing %s before %s", p.describe(), describeAt(children, i))
			return
		}
	}
	if i < len(children) {
		fail("unexpected element %s", qname(children[i]))
	}
}

// match reports whether c fills particle p, and which alternative.
func (p particle) match(c *etree.Element) (particle, bool) {
	if p.alt == nil {
		return p, c.NamespaceURI() == p.ns && c.Tag == p.name
	}
	for _, a := range p.alt {
		if c.NamespaceURI() == a.ns && c.Tag == a.name {
			return a, true
		}
	}
	return particle{}, false
}

func (p particle) describe() string {
	if p.alt == nil {
		return "{" + p.ns + "}" + p.name
	}
	var names []string
	for _, a := range p.alt {
		names = append(names, a.name)
	}
	return "one of " + strings.Join(names, "|")
}

func describeAt(children []*etree.Element, i int) string {
	if i < len(children) {
		return qname(children[i])
	}
	return "the end"
}

func checkText(s, typ string, fail func(string, ...any)) {
	switch typ {
	case "sha256":
		// xs:base64Binary, and for an impronta SHA-256 a 32-byte digest.
		b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
		if err != nil || len(b) != 32 {
			fail("impronta %q: want the base64 of a 32-byte digest", s)
		}
		return
	case "date":
		if _, err := time.Parse("2006-01-02", s[:min(len(s), 10)]); err != nil {
			fail("date %q: %v", s, err)
		}
	}
	if !simpleTypes[typ].MatchString(s) {
		fail("%q is not a valid %s", s, typ)
	}
}

// TestSchemaCheckCatches proves the checker on broken variants of a good
// segnatura: a checker that accepts everything would pass every other test.
func TestSchemaCheckCatches(t *testing.T) {
	good, err := protocol.Segnatura(incomingEntry(), incomingInfo())
	if err != nil {
		t.Fatal(err)
	}
	if errs := checkSchema(good); len(errs) > 0 {
		t.Fatalf("the good segnatura fails:\n%s", strings.Join(errs, "\n"))
	}
	classifica := regexp.MustCompile(`(?s)<prot:Classifica>.*</prot:Classifica>`)
	tests := []struct {
		name, old, new, want string
	}{
		{"six-digit number", "<prot:NumeroRegistrazione>0000042<", "<prot:NumeroRegistrazione>000042<", "not a valid numero"},
		{"unqualified attribute", `prot:nomeFile="domanda.pdf"`, `nomeFile="domanda.pdf"`, "attribute {}nomeFile not allowed"},
		{"wrong namespace", `xmlns:prot="http://www.agid.gov.it/protocollo/"`, `xmlns:prot="http://www.agid.gov.it/protocollo"`, "unexpected root"},
		{"language", `prot:lang="it"`, `prot:lang="en"`, "want one of [it]"},
		{"hex impronta", "kYvNuqMqgS31jnTA81L+A1pySosZSzOZT0QFiQ338GM=", sum("domanda"), "want the base64 of a 32-byte digest"},
		{"order", "<prot:Mittente>", "<prot:Destinatario><prot:PersonaFisica><prot:Nome>x</prot:Nome><prot:Cognome>y</prot:Cognome></prot:PersonaFisica></prot:Destinatario><prot:Mittente>", "missing {" + nsP + "}Mittente"},
		{"date", "2026-03-02<", "02/03/2026<", "date"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			bad := strings.Replace(string(good), tc.old, tc.new, 1)
			if bad == string(good) {
				t.Fatalf("%q not found", tc.old)
			}
			errs := strings.Join(checkSchema([]byte(bad)), "\n")
			if !strings.Contains(errs, tc.want) {
				t.Errorf("errors %q do not mention %q", errs, tc.want)
			}
		})
	}
	t.Run("no classifica", func(t *testing.T) {
		bad := classifica.ReplaceAll(good, nil)
		errs := strings.Join(checkSchema(bad), "\n")
		if !strings.Contains(errs, "missing {"+nsP+"}Classifica") {
			t.Errorf("errors %q do not mention the missing Classifica", errs)
		}
	})
}
