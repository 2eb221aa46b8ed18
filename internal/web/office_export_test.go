package web

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sportello/sportello/internal/calendar"
)

// exportRows reads a CSV export as its header and rows.
func exportRows(t *testing.T, body string) ([]string, [][]string) {
	t.Helper()
	rest, ok := strings.CutPrefix(body, "\ufeff")
	if !ok {
		t.Fatalf("the CSV does not start with a BOM: %.20q", body)
	}
	r := csv.NewReader(strings.NewReader(rest))
	r.Comma = ';'
	all, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(all) == 0 {
		t.Fatal("empty CSV")
	}
	return all[0], all[1:]
}

// pick returns the named columns of a row.
func pick(header, row []string, names ...string) map[string]string {
	out := map[string]string{}
	for _, n := range names {
		for i, h := range header {
			if h == n && i < len(row) {
				out[n] = row[i]
			}
		}
	}
	return out
}

func TestExportCSVFlattensTheAnswers(t *testing.T) {
	env := newOfficeEnv(t)
	a := env.file(t, env.mario, env.parla, testNow)
	short := filePratica(t, env.d, env.blobs, env.ente, env.parla, env.laura, "accesso-agli-atti",
		`{"documenti":{"items":[{"descrizione":{"text":"Delibera 4/2020"}}]},"modalita":{"text":"visione"}}`, "short", testNow.Add(time.Hour))
	env.file(t, env.laura, env.tributi, testNow)
	parla := strconv.FormatInt(env.parla, 10)

	res, body := env.get(t, env.clerk, "/ufficio/pratiche/esporta.csv?stato=tutte&servizio=accesso-agli-atti&ufficio="+parla)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d\n%.500s", res.StatusCode, body)
	}
	if ct, cd := res.Header.Get("Content-Type"), res.Header.Get("Content-Disposition"); ct != "text/csv; charset=utf-8" ||
		!strings.HasPrefix(cd, `attachment; filename="pratiche-parla-2026-11-25.csv"`) {
		t.Errorf("headers: %q, %q", ct, cd)
	}
	if !strings.Contains(body, "\r\n") {
		t.Error("lines do not end in CRLF")
	}
	header, rows := exportRows(t, body)
	if len(rows) != 2 {
		t.Fatalf("%d rows, want the 2 pratiche of the service", len(rows))
	}
	// Two documents at most: each document field twice, numbered from 1.
	cols := []string{"N. pratica", "Protocollo", "Presentata il", "Stato", "Cittadino", "Codice fiscale", "Scadenza",
		"Documento 1 – Descrizione del documento", "Documento 1 – Anno del documento, se lo conosci",
		"Documento 2 – Descrizione del documento", "Documento 2 – Numero di protocollo o di pratica, se lo conosci",
		"Come vuoi avere i documenti", "Dichiarazione sulla verità dei dati"}
	want := map[string]string{
		"N. pratica": strconv.FormatInt(int64(a.ID), 10), "Protocollo": a.ProtocolDisplay(), "Presentata il": "25/11/2026 11:00",
		"Stato": "Da prendere in carico", "Cittadino": "Mario Rossi", "Codice fiscale": "RSSMRA80A01A116Q",
		"Scadenza": a.Due.In(rome).Format("02/01/2006"),
		"Documento 1 – Descrizione del documento": "Permesso di costruire di via Roma 3", "Documento 1 – Anno del documento, se lo conosci": "1998",
		// A text a spreadsheet would run is defused; a ";" is quoted.
		"Documento 2 – Descrizione del documento": `'=HYPERLINK("x")`, "Documento 2 – Numero di protocollo o di pratica, se lo conosci": "prot. 12; 13",
		"Come vuoi avere i documenti": "Copia semplice", "Dichiarazione sulla verità dei dati": "sì",
	}
	if diff := cmp.Diff(want, pick(header, rows[0], cols...)); diff != "" {
		t.Errorf("first row mismatch (-want +got):\n%s", diff)
	}
	// The shorter pratica leaves its second document's cells empty.
	got := pick(header, rows[1], "N. pratica", "Documento 1 – Descrizione del documento", "Documento 2 – Descrizione del documento", "Cittadino")
	wantShort := map[string]string{"N. pratica": strconv.FormatInt(int64(short.ID), 10), "Documento 1 – Descrizione del documento": "Delibera 4/2020",
		"Documento 2 – Descrizione del documento": "", "Cittadino": "Laura Bianchi"}
	if diff := cmp.Diff(wantShort, got); diff != "" {
		t.Errorf("second row mismatch (-want +got):\n%s", diff)
	}
	// Without a service only the common columns; the other office's row never.
	_, body = env.get(t, env.clerk, "/ufficio/pratiche/esporta.csv?ufficio="+parla)
	header, rows = exportRows(t, body)
	if len(header) != 11 || len(rows) != 2 {
		t.Errorf("unfiltered export: %d columns, %d rows; want 11 and 2", len(header), len(rows))
	}
	wantAudit := []string{
		strconv.FormatInt(int64(env.clerk), 10) + " office:" + parla + " csv, 2 rows, office:" + parla,
		strconv.FormatInt(int64(env.clerk), 10) + " office:" + parla + " csv, 2 rows, office:" + parla + ", service accesso-agli-atti",
	}
	if diff := cmp.Diff(wantAudit, env.auditRows(t, auditPraticheExports)); diff != "" {
		t.Errorf("export audit rows (-want +got):\n%s", diff)
	}
}

// xlsxSheet is the part of a worksheet the test reads.
type xlsxSheet struct {
	Rows []struct {
		R     int `xml:"r,attr"`
		Cells []struct {
			Ref    string `xml:"r,attr"`
			Type   string `xml:"t,attr"`
			Style  string `xml:"s,attr"`
			Value  string `xml:"v"`
			Inline string `xml:"is>t"`
		} `xml:"c"`
	} `xml:"sheetData>row"`
}

func TestExportXLSXOpens(t *testing.T) {
	env := newOfficeEnv(t)
	a := env.file(t, env.mario, env.parla, testNow)
	res, body := env.get(t, env.clerk, "/ufficio/pratiche/esporta.xlsx?servizio=accesso-agli-atti")
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != xlsxExport.contentType {
		t.Fatalf("status %d, type %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	z, err := zip.NewReader(bytes.NewReader([]byte(body)), int64(len(body)))
	if err != nil {
		t.Fatal(err)
	}
	parts := map[string][]byte{}
	for _, f := range z.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		parts[f.Name] = b
		// Every part is well-formed XML.
		dec := xml.NewDecoder(bytes.NewReader(b))
		for {
			if _, err := dec.Token(); err != nil {
				if !errors.Is(err, io.EOF) {
					t.Errorf("%s: %v", f.Name, err)
				}
				break
			}
		}
	}
	for _, name := range []string{"[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml", "xl/worksheets/sheet1.xml"} {
		if parts[name] == nil {
			t.Errorf("the workbook lacks %s", name)
		}
	}
	var sheet xlsxSheet
	if err := xml.Unmarshal(parts["xl/worksheets/sheet1.xml"], &sheet); err != nil {
		t.Fatal(err)
	}
	if len(sheet.Rows) != 2 {
		t.Fatalf("%d rows, want header and one pratica", len(sheet.Rows))
	}
	cell := func(row int, ref string) string {
		for _, c := range sheet.Rows[row].Cells {
			if c.Ref == ref {
				return c.Type + "|" + c.Style + "|" + c.Value + c.Inline
			}
		}
		return ""
	}
	serial := func(t time.Time) string {
		r := t.In(rome)
		days := calendar.DateOf(r).Sub(calendar.D(1899, 12, 30))
		return strconv.FormatFloat(float64(days)+float64(r.Hour()*3600+r.Minute()*60)/86400, 'f', -1, 64)
	}
	header := sheet.Rows[0].Cells
	var labels []string
	for _, c := range header {
		labels = append(labels, c.Inline)
	}
	anno := -1
	for i, l := range labels {
		if l == "Documento 1 – Anno del documento, se lo conosci" {
			anno = i
		}
	}
	if anno < 0 {
		t.Fatalf("no year column among %q", labels)
	}
	for _, tc := range []struct {
		row       int
		ref, want string
	}{
		{0, "A1", "inlineStr|3|N. pratica"},
		{1, "A2", "||" + strconv.FormatInt(int64(a.ID), 10)},
		{1, "B2", "inlineStr||" + a.ProtocolDisplay()},
		{1, "C2", "|2|" + serial(a.SubmittedAt)},
		{1, "H2", "|1|" + strconv.Itoa(a.Due.Sub(calendar.D(1899, 12, 30)))},
		// The year is typed as a number.
		{1, columnName(anno) + "2", "||1998"},
	} {
		if got := cell(tc.row, tc.ref); got != tc.want {
			t.Errorf("%s = %q, want %q", tc.ref, got, tc.want)
		}
	}
	if !strings.Contains(string(parts["xl/worksheets/sheet1.xml"]), `=HYPERLINK(&#34;x&#34;)</t>`) {
		t.Error("the formula-like answer is not an escaped inline string")
	}
}

func TestColumnName(t *testing.T) {
	for i, want := range map[int]string{0: "A", 25: "Z", 26: "AA", 51: "AZ", 52: "BA", 701: "ZZ", 702: "AAA"} {
		if got := columnName(i); got != want {
			t.Errorf("columnName(%d) = %q, want %q", i, got, want)
		}
	}
}

func TestCSVText(t *testing.T) {
	at := time.Date(2026, 7, 1, 22, 30, 0, 0, time.UTC)
	for _, tc := range []struct {
		in   cell
		want string
	}{
		{textCell("Via Roma"), "Via Roma"},
		{textCell("=1+1"), "'=1+1"},
		{textCell("+39 333"), "'+39 333"},
		{textCell("-3"), "'-3"},
		{textCell("@SUM"), "'@SUM"},
		{cell{kind: cellNumber, text: "12.5"}, "12,5"},
		{cell{kind: cellNumber, text: "-3"}, "-3"},
		{dateCell(calendar.D(2026, 3, 9)), "09/03/2026"},
		{timeCell(at), "02/07/2026 00:30"},
		{cell{}, ""},
	} {
		if got := csvText(tc.in); got != tc.want {
			t.Errorf("csvText(%+v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
