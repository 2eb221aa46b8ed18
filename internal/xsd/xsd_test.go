package xsd_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sportello/sportello/internal/xsd"
)

func load(t testing.TB) *xsd.Schema {
	t.Helper()
	s, err := xsd.Load(os.DirFS("testdata"), "shop.xsd")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

const head = `<order xmlns="urn:test:shop" xmlns:e="urn:test:ext" version="1.0">`

// order builds an instance from its middle part, so that each case says only
// what it changes.
func order(customer, pay, lines, tail string) string {
	return head + customer + pay + lines + `<total>10.00</total><date>2026-11-26</date>` + tail + `</order>`
}

const (
	okCustomer = `<customer id="c1" kind="F"><name>Mario Rossi</name><cf>RSSMRA80A01H501U</cf></customer>`
	okPay      = `<iban>IT60X0542811101000000123456</iban>`
	okLine     = `<line qty="2">5.00</line>`
)

// cases are instances with the error each must give ("" for valid); the
// error is matched as a substring.
var cases = []struct {
	name, doc, want string
}{
	{"valid", order(okCustomer, okPay, okLine, ""), ""},
	{"valid with stamp, three lines, note and lax extension", order(okCustomer, `<stamp>AAEC</stamp>`, okLine+okLine+okLine,
		`<note>ok</note><e:tag><v xmlns="">1</v><v xmlns="">-2</v></e:tag><e:unknown/>`), ""},
	{"extension without optional element", order(`<customer id="c1"><name>A</name></customer>`, okPay, okLine, ""), ""},
	{"missing required attribute", order(`<customer><name>A</name></customer>`, okPay, okLine, ""), "missing required attribute id"},
	{"bad enumeration in attribute", order(`<customer id="c1" kind="X"><name>A</name></customer>`, okPay, okLine, ""), `"X" is not one of`},
	{"undeclared attribute", order(`<customer id="c1" foo="1"><name>A</name></customer>`, okPay, okLine, ""), "attribute foo not allowed"},
	{"too long", order(`<customer id="c1"><name>`+strings.Repeat("x", 36)+`</name></customer>`, okPay, okLine, ""), "above 35"},
	{"empty", order(`<customer id="c1"><name></name></customer>`, okPay, okLine, ""), "below 1"},
	{"pattern", order(`<customer id="c1"><name>A</name><cf>rssmra</cf></customer>`, okPay, okLine, ""), "does not match pattern"},
	{"both sides of a choice", order(okCustomer, okPay+`<stamp>AAEC</stamp>`, okLine, ""), "do not match the content model"},
	{"neither side of a choice", order(okCustomer, "", okLine, ""), "do not match the content model"},
	{"too many", order(okCustomer, okPay, okLine+okLine+okLine+okLine, ""), "do not match"},
	{"none", order(okCustomer, okPay, "", ""), "do not match"},
	{"wrong order", head + okPay + okCustomer + okLine + `<total>10.00</total><date>2026-11-26</date></order>`, "do not match"},
	{"amount with one decimal", order(okCustomer, okPay, `<line qty="1">5.0</line>`, ""), "does not match pattern"},
	{"amount zero", order(okCustomer, okPay, `<line qty="1">0.00</line>`, ""), "is not ≥ 0.01"},
	{"amount too large", order(okCustomer, okPay, `<line qty="1">1000000000.00</line>`, ""), "is not ≤"},
	{"positive integer zero", order(okCustomer, okPay, `<line qty="0">1.00</line>`, ""), "not a valid xs:positiveInteger"},
	{"bad base64", order(okCustomer, `<stamp>AAE</stamp>`, okLine, ""), "base64Binary"},
	{"bad date", strings.Replace(order(okCustomer, okPay, okLine, ""), "2026-11-26", "2026-02-30", 1), "xs:date"},
	{"fixed attribute", strings.Replace(order(okCustomer, okPay, okLine, ""), `version="1.0"`, `version="2.0"`, 1), "fixed"},
	{"lax element still checked when declared", order(okCustomer, okPay, okLine, `<e:tag><v xmlns="">x</v></e:tag>`), "xs:int"},
	{"int range", order(okCustomer, okPay, okLine, `<e:tag><v xmlns="">2147483648</v></e:tag>`), "above the range"},
	{"wildcard ##other refuses the target namespace", order(okCustomer, okPay, okLine, `<note>a</note><note>b</note>`), "do not match"},
	{"text in element-only content", strings.Replace(order(okCustomer, okPay, okLine, ""), "<total>", "oops<total>", 1), "text \"oops\""},
	{"unqualified child where qualified is wanted", `<order xmlns="urn:test:shop"><customer id="a"><name xmlns="">A</name></customer></order>`, "do not match"},
	{"undeclared root", `<other xmlns="urn:test:shop"/>`, "no global declaration"},
}

func TestValidate(t *testing.T) {
	s := load(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := s.Validate([]byte(tc.doc))
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("Validate: %v", err)
			case tc.want != "" && err == nil:
				t.Fatalf("Validate: no error, want %q", tc.want)
			case tc.want != "" && !strings.Contains(err.Error(), tc.want):
				t.Fatalf("Validate: %v\nwant it to mention %q", err, tc.want)
			case tc.want != "" && !errors.Is(err, xsd.ErrInvalid):
				t.Fatalf("Validate: %v is not ErrInvalid", err)
			}
		})
	}
}

// TestAgainstXmllint gives every case to xmllint, when installed, and
// checks that it reaches the same verdict: the validator is only as good as
// its agreement with a complete implementation.
func TestAgainstXmllint(t *testing.T) {
	bin, err := exec.LookPath("xmllint")
	if err != nil {
		t.Skip("xmllint not installed (apt-get install libxml2-utils)")
	}
	dir := t.TempDir()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, "doc.xml")
			if err := os.WriteFile(p, []byte(tc.doc), 0o644); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(bin, "--noout", "--schema", filepath.Join("testdata", "shop.xsd"), p).CombinedOutput()
			if valid := err == nil; valid != (tc.want == "") {
				t.Errorf("xmllint valid=%v, this package valid=%v\n%s", valid, tc.want == "", out)
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	for _, name := range []string{"missing.xsd", "ext.xsd/../nothing.xsd"} {
		if _, err := xsd.Load(os.DirFS("testdata"), name); err == nil {
			t.Errorf("Load(%s): no error", name)
		}
	}
}

// FuzzValidate feeds arbitrary documents: the validator must return an
// error or nil, never panic or loop.
func FuzzValidate(f *testing.F) {
	for _, tc := range cases {
		f.Add(tc.doc)
	}
	f.Add(`<order xmlns="urn:test:shop"><customer id="a"><name>A</name></customer><iban>IT00A1</iban>` + strings.Repeat(`<line qty="1">1.00</line>`, 50) + `</order>`)
	s := load(f)
	f.Fuzz(func(t *testing.T, doc string) {
		_ = s.Validate([]byte(doc))
	})
}

func BenchmarkValidate(b *testing.B) {
	s := load(b)
	doc := []byte(cases[1].doc)
	for b.Loop() {
		if err := s.Validate(doc); err != nil {
			b.Fatal(err)
		}
	}
}
