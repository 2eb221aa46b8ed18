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

const moreDoc = `<doc xmlns="urn:test:more" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" lang="it">` +
	`<props>PROPS</props>PAIRS<codes>CODES</codes><size>SIZE</size>MAYBE<short note="n">SHORT</short></doc>`

func more(props, pairs, codes, size, maybe, short string) string {
	r := strings.NewReplacer("PROPS", props, "PAIRS", pairs, "CODES", codes, "SIZE", size, "MAYBE", maybe, "SHORT", short)
	return r.Replace(moreDoc)
}

const okPair = `<key> k </key><value>v</value>`

var moreCases = []struct{ name, doc, want string }{
	{"valid", more(`<a>1</a><b>2</b>`, okPair, "IT FR", "12", `<maybe>3</maybe>`, "abcd"), ""},
	{"all in any order, optional left out", more(`<b>2</b><a>1</a>`, okPair+okPair, "IT", "M", `<maybe xsi:nil="true"/>`, ""), ""},
	{"all without a required member", more(`<b>2</b>`, okPair, "IT", "M", `<maybe>1</maybe>`, "a"), "do not match"},
	{"all with a member twice", more(`<a>1</a><a>1</a>`, okPair, "IT", "M", `<maybe>1</maybe>`, "a"), "do not match"},
	{"group three times", more(`<a>1</a>`, okPair+okPair+okPair, "IT", "M", `<maybe>1</maybe>`, "a"), "do not match"},
	{"list item", more(`<a>1</a>`, okPair, "IT fr", "M", `<maybe>1</maybe>`, "a"), "list item"},
	{"list too long", more(`<a>1</a>`, okPair, "IT FR DE ES", "M", `<maybe>1</maybe>`, "a"), "4 items"},
	{"union member", more(`<a>1</a>`, okPair, "IT", "L", `<maybe>1</maybe>`, "a"), "no member of the union"},
	{"nil with content", more(`<a>1</a>`, okPair, "IT", "M", `<maybe xsi:nil="true">1</maybe>`, "a"), "nil element has content"},
	{"restricted simple content", more(`<a>1</a>`, okPair, "IT", "M", `<maybe>1</maybe>`, "abcde"), "above 4"},
	{"attribute group", strings.Replace(more(`<a>1</a>`, okPair, "IT", "M", `<maybe>1</maybe>`, "a"), ` lang="it"`, "", 1), "missing required attribute lang"},
}

func TestValidateMore(t *testing.T) {
	s, err := xsd.Load(os.DirFS("testdata"), "more.xsd")
	if err != nil {
		t.Fatal(err)
	}
	bin, _ := exec.LookPath("xmllint")
	for _, tc := range moreCases {
		t.Run(tc.name, func(t *testing.T) {
			err := s.Validate([]byte(tc.doc))
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("Validate: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, xsd.ErrInvalid)):
				t.Fatalf("Validate: %v, want %q", err, tc.want)
			}
			if bin == "" {
				return
			}
			p := filepath.Join(t.TempDir(), "doc.xml")
			if err := os.WriteFile(p, []byte(tc.doc), 0o644); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(bin, "--noout", "--schema", filepath.Join("testdata", "more.xsd"), p).CombinedOutput()
			if valid := err == nil; valid != (tc.want == "") {
				t.Errorf("xmllint valid=%v, want %v\n%s", valid, tc.want == "", out)
			}
		})
	}
}
