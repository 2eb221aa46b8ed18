package pagopasim_test

import (
	"context"
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	pagopasim "github.com/sportello/sportello/internal/sim/pagopa"
)

// receiptV2Order is ctReceiptV2's sequence in paForNode.xsd, with the
// elements that must be present.
var receiptV2Order = []struct {
	name     string
	required bool
}{
	{"receiptId", true}, {"noticeNumber", true}, {"fiscalCode", true}, {"outcome", true}, {"creditorReferenceId", true},
	{"paymentAmount", true}, {"description", true}, {"companyName", true}, {"officeName", false}, {"debtor", true},
	{"transferList", true}, {"idPSP", true}, {"pspFiscalCode", false}, {"pspPartitaIVA", false}, {"PSPCompanyName", true},
	{"idChannel", true}, {"channelDescription", true}, {"payer", false}, {"paymentMethod", false}, {"paymentNote", false},
	{"fee", false}, {"primaryCiIncurredFee", false}, {"idBundle", false}, {"idCiBundle", false}, {"paymentDateTime", false},
	{"applicationDate", false}, {"transferDate", false}, {"metadata", false}, {"standIn", false},
}

// TestReceiptMatchesXSD: the receipt the receipts service returns is a
// paSendRTV2Request whose receipt follows ctReceiptV2 element by element,
// and, where xmllint is installed, validates against the vendored XSD.
func TestReceiptMatchesXSD(t *testing.T) {
	sim, _, g, _, nav := setup(t)
	if _, err := sim.Pay(ec, nav, pagopasim.Tobacconist); err != nil {
		t.Fatal(err)
	}
	raw, _, err := g.ReceiptXML(context.Background(), ec, nav[1:])
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		XMLName xml.Name
		Receipt struct {
			Fields []struct {
				XMLName xml.Name
				Inner   string `xml:",innerxml"`
			} `xml:",any"`
		} `xml:"receipt"`
	}
	if err := xml.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.XMLName.Space != "http://pagopa-api.pagopa.gov.it/pa/paForNode.xsd" || doc.XMLName.Local != "paSendRTV2Request" {
		t.Fatalf("root %v", doc.XMLName)
	}
	var got []string
	for _, f := range doc.Receipt.Fields {
		if f.XMLName.Space != "" {
			t.Errorf("%s is qualified (%s); the XSD's children are unqualified", f.XMLName.Local, f.XMLName.Space)
		}
		got = append(got, f.XMLName.Local)
	}
	i := 0
	for _, want := range receiptV2Order {
		if i < len(got) && got[i] == want.name {
			i++
			continue
		}
		if want.required {
			t.Errorf("required %s missing or out of order in %v", want.name, got)
		}
	}
	if i != len(got) {
		t.Errorf("elements not in ctReceiptV2's order or unknown: %v", got[i:])
	}
	if !slices.Contains(got, "paymentDateTime") {
		t.Error("paymentDateTime missing: the platform always sends it")
	}
	xmllint(t, raw)
}

func xmllint(t *testing.T, doc []byte) {
	t.Helper()
	bin, err := exec.LookPath("xmllint")
	if err != nil {
		t.Log("xmllint check skipped: install xmllint (libxml2-utils)")
		return
	}
	f := filepath.Join(t.TempDir(), "receipt.xml")
	if err := os.WriteFile(f, doc, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "--noout", "--schema", filepath.Join("testdata", "wsdl", "xsd", "paForNode.xsd"), f).CombinedOutput()
	if err != nil {
		t.Errorf("xmllint: %v\n%s", err, strings.TrimSpace(string(out)))
	}
}
