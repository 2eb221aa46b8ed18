package web

import (
	"archive/zip"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sportello/sportello/internal/attachment"
	"github.com/sportello/sportello/internal/audit"
	"github.com/sportello/sportello/internal/calendar"
	"github.com/sportello/sportello/internal/catalog"
	"github.com/sportello/sportello/internal/form"
	"github.com/sportello/sportello/internal/i18n"
	"github.com/sportello/sportello/internal/identity"
	"github.com/sportello/sportello/internal/pratica"
)

// The export of a queue: one row per pratica with the columns every
// pratica has, followed, when the queue is filtered on one service, by that
// service's answers flattened by the form package (a repeated group gets as
// many columns as its longest list among the exported pratiche). The
// export takes the queue's filters but not its paging: it is the whole
// filtered queue, read twice in id order (first to size the repeated
// columns and gather the citizens' names, then to write), never held in
// memory.
//
// CSV is written for spreadsheet programs set to Italian: UTF-8 with a BOM
// (without it Excel reads UTF-8 as Windows-1252), ";" between cells (Excel
// in Italian uses "," as the decimal separator and expects ";"), decimal
// commas, dates as dd/mm/yyyy, CRLF line ends. A text cell that a
// spreadsheet would take for a formula (it starts with = + - @) is written
// with a leading apostrophe. XLSX is written by hand (see xlsxWriter): it
// types numbers and dates, so it is the better choice for calculations.

// cellKind is how a spreadsheet should read a cell.
type cellKind int

const (
	cellText cellKind = iota
	// cellNumber holds a decimal with a dot in text.
	cellNumber
	// cellDate holds a day in date.
	cellDate
	// cellTime holds an instant in at, shown in Europe/Rome.
	cellTime
)

// cell is one value of an export row.
type cell struct {
	kind cellKind
	text string
	date calendar.Date
	at   time.Time
}

func textCell(s string) cell { return cell{kind: cellText, text: s} }

func timeCell(t time.Time) cell {
	if t.IsZero() {
		return cell{}
	}
	return cell{kind: cellTime, at: t}
}

func dateCell(d calendar.Date) cell {
	if d.IsZero() {
		return cell{}
	}
	return cell{kind: cellDate, date: d}
}

// sheetWriter writes one table; CSV and XLSX are its two forms.
type sheetWriter interface {
	header(labels []string) error
	row(cells []cell) error
	close() error
}

// exportFormat is what a format adds to the response.
type exportFormat struct {
	ext, contentType string
	writer           func(io.Writer) sheetWriter
}

var (
	csvExport  = exportFormat{"csv", "text/csv; charset=utf-8", newCSVWriter}
	xlsxExport = exportFormat{"xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", newXLSXWriter}
)

// queueExportCSV is GET /ufficio/pratiche/esporta.csv.
func (s *Server) queueExportCSV(w http.ResponseWriter, r *http.Request) error {
	return s.queueExport(w, r, csvExport)
}

// queueExportXLSX is GET /ufficio/pratiche/esporta.xlsx.
func (s *Server) queueExportXLSX(w http.ResponseWriter, r *http.Request) error {
	return s.queueExport(w, r, xlsxExport)
}

// exportPlan is what the first pass over the pratiche learns.
type exportPlan struct {
	rows     int
	maxItems map[string]int
	citizens map[identity.CitizenID]*identity.Citizen
	def      *form.Definition
}

func (s *Server) queueExport(w http.ResponseWriter, r *http.Request, format exportFormat) error {
	ctx := r.Context()
	e := enteFrom(ctx)
	pr := principalFrom(ctx)
	q, _, cat, err := s.resolveQueue(r)
	if err != nil {
		return err
	}
	today := calendar.DateOf(s.now().In(rome))
	keep := func(p *pratica.Pratica) bool {
		if q.Mine && p.Assignee != pr.Operator.ID {
			return false
		}
		return q.DueDays == 0 || (!p.Due.IsZero() && !p.Due.After(today.AddDays(q.DueDays)))
	}
	f := pratica.ExportFilter{Office: q.Office, States: q.states(), Service: q.Service}
	plan := exportPlan{maxItems: map[string]int{}, citizens: map[identity.CitizenID]*identity.Citizen{}}
	if q.Service != "" {
		plan.def = s.forms[q.Service]
	}
	err = pratica.Export(ctx, s.db, e.ID, f, func(p *pratica.Pratica) error {
		if !keep(p) {
			return nil
		}
		plan.rows++
		plan.citizens[p.Citizen] = nil
		if plan.def != nil {
			if a, err := answersOf(p); err == nil {
				plan.def.CountItems(plan.maxItems, a)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for id := range plan.citizens {
		if plan.citizens[id], err = identity.GetCitizen(ctx, s.db, e.ID, id); err != nil {
			return err
		}
	}
	detail := fmt.Sprintf("%s, %d rows, office:%d", format.ext, plan.rows, q.Office)
	if q.Service != "" {
		detail += ", service " + q.Service
	}
	err = s.auditAlone(r, audit.Event{Ente: e.ID, Actor: operatorActor(pr.Operator.ID), Action: auditPraticheExports,
		Subject: "office:" + strconv.FormatInt(q.Office, 10), Outcome: audit.Success, Detail: detail})
	if err != nil {
		return err
	}
	lang := langFrom(ctx)
	t := s.t(r)
	labels := []string{t("bo.col.id"), t("bo.col.protocol"), t("bo.col.submitted"), t("bo.col.service"),
		t("bo.col.state"), t("bo.col.citizen"), t("bo.col.fiscal-code"), t("bo.col.due"), t("bo.col.decided"),
		t("bo.col.outcome"), t("bo.col.assignee")}
	var kinds []cellKind
	if plan.def != nil {
		cols := plan.def.Columns(plan.maxItems, t, string(lang))
		kinds = columnKinds(plan.def, cols)
		for _, c := range cols {
			labels = append(labels, c.Label)
		}
	}
	st, err := s.staff(ctx, e.ID)
	if err != nil {
		return err
	}
	name := fmt.Sprintf("pratiche-%s-%s.%s", officeByID(e, q.Office).Slug, today, format.ext)
	h := w.Header()
	h.Set("Content-Type", format.contentType)
	h.Set("Content-Disposition", attachment.ContentDisposition(name))
	h.Set("X-Content-Type-Options", "nosniff")
	sw := format.writer(w)
	err = sw.header(labels)
	if err == nil {
		err = pratica.Export(ctx, s.db, e.ID, f, func(p *pratica.Pratica) error {
			if !keep(p) {
				return nil
			}
			cells := s.exportRow(cat, p, plan.citizens[p.Citizen], st.names, lang)
			if plan.def != nil {
				a, _ := answersOf(p)
				for i, v := range plan.def.Flatten(a, plan.maxItems, t, string(lang)) {
					cells = append(cells, typedCell(v, kinds[i]))
				}
			}
			return sw.row(cells)
		})
	}
	if err == nil {
		err = sw.close()
	}
	if err != nil {
		// The status and part of the file are out: cut the connection so
		// that the download fails visibly instead of ending short.
		s.log.ErrorContext(ctx, "export failed", "err", err)
		panic(http.ErrAbortHandler)
	}
	return nil
}

// exportRow writes the columns every pratica has.
func (s *Server) exportRow(cat *catalog.Catalog, p *pratica.Pratica, c *identity.Citizen, ops map[identity.OperatorID]string, lang i18n.Lang) []cell {
	name, cf := "", ""
	if c != nil {
		name, cf = strings.TrimSpace(c.GivenName+" "+c.FamilyName), c.FiscalCode
	}
	outcome := p.OutcomeDisplay()
	return []cell{
		{kind: cellNumber, text: strconv.FormatInt(int64(p.ID), 10)}, textCell(p.ProtocolDisplay()),
		timeCell(p.SubmittedAt), textCell(serviceTitle(cat, p.Service, p.Title)),
		textCell(s.text.T(lang, "bo.state."+string(p.State))), textCell(name), textCell(cf),
		dateCell(p.Due), timeCell(p.DecidedAt), textCell(outcome), textCell(ops[p.Assignee]),
	}
}

// answersOf decodes a pratica's answers.
func answersOf(p *pratica.Pratica) (form.Answers, error) {
	var a form.Answers
	err := json.Unmarshal(p.Answers, &a)
	return a, err
}

// columnKinds says which export columns of d hold numbers and dates, from
// the fields their keys name ("anno", "documenti[2].anno", "luogo.comune").
func columnKinds(d *form.Definition, cols []form.Column) []cellKind {
	out := make([]cellKind, len(cols))
	for i, c := range cols {
		top, rest, grouped := strings.Cut(c.Key, "[")
		f, ok := d.Field(top)
		if ok && grouped {
			_, sub, _ := strings.Cut(rest, "].")
			f, ok = subField(f, sub)
		}
		if !ok {
			continue
		}
		switch f.Type {
		case form.TypeNumber:
			out[i] = cellNumber
		case form.TypeDate:
			out[i] = cellDate
		}
	}
	return out
}

// subField returns the field of group g with id.
func subField(g *form.Field, id string) (*form.Field, bool) {
	for k := range g.Fields {
		if g.Fields[k].ID == id {
			return &g.Fields[k], true
		}
	}
	return nil, false
}

// typedCell turns one flattened answer into a cell of its column's kind;
// a value that does not read as that kind stays text.
func typedCell(v string, k cellKind) cell {
	switch {
	case v == "":
		return cell{}
	case k == cellNumber:
		if _, err := strconv.ParseFloat(v, 64); err == nil {
			return cell{kind: cellNumber, text: v}
		}
	case k == cellDate:
		if d, err := calendar.ParseDate(v); err == nil {
			return dateCell(d)
		}
	}
	return textCell(v)
}

// csvWriter writes an export as Italian spreadsheet programs read CSV.
type csvWriter struct {
	w   *csv.Writer
	out io.Writer
}

func newCSVWriter(w io.Writer) sheetWriter {
	cw := csv.NewWriter(w)
	cw.Comma, cw.UseCRLF = ';', true
	return &csvWriter{w: cw, out: w}
}

func (c *csvWriter) header(labels []string) error {
	if _, err := io.WriteString(c.out, "\ufeff"); err != nil {
		return err
	}
	return c.w.Write(labels)
}

func (c *csvWriter) row(cells []cell) error {
	rec := make([]string, len(cells))
	for i, v := range cells {
		rec[i] = csvText(v)
	}
	return c.w.Write(rec)
}

func (c *csvWriter) close() error {
	c.w.Flush()
	return c.w.Error()
}

// csvText writes a cell as Italian Excel parses it, and defuses text a
// spreadsheet would run as a formula (CSV injection).
func csvText(v cell) string {
	switch v.kind {
	case cellNumber:
		return strings.Replace(v.text, ".", ",", 1)
	case cellDate:
		return fmt.Sprintf("%02d/%02d/%04d", v.date.Day, v.date.Month, v.date.Year)
	case cellTime:
		return v.at.In(rome).Format("02/01/2006 15:04")
	}
	if v.text != "" && strings.ContainsRune("=+-@\t\r", rune(v.text[0])) {
		return "'" + v.text
	}
	return v.text
}

// xlsxWriter writes an export as an Office Open XML workbook with one
// sheet, streamed: a workbook is a zip of a few XML parts, and the sheet
// uses inline strings rather than the shared-strings table, so that no part
// needs the whole data before it is written. A library (excelize) would
// bring five modules for what these lines do.
type xlsxWriter struct {
	z     *zip.Writer
	sheet io.Writer
	rows  int
	err   error
}

// xlsxStatic are the parts around the sheet: content types, the package
// and workbook relations, the workbook, and the styles the cells use
// (1: date, 2: date and time, 3: bold header).
var xlsxStatic = []struct{ name, body string }{
	{"[Content_Types].xml", `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
		`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>` +
		`<Default Extension="xml" ContentType="application/xml"/>` +
		`<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>` +
		`<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>` +
		`<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>` +
		`</Types>`},
	{"_rels/.rels", `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
		`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>` +
		`</Relationships>`},
	{"xl/workbook.xml", `<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" ` +
		`xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">` +
		`<sheets><sheet name="Pratiche" sheetId="1" r:id="rId1"/></sheets></workbook>`},
	{"xl/_rels/workbook.xml.rels", `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
		`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>` +
		`<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>` +
		`</Relationships>`},
	{"xl/styles.xml", `<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">` +
		`<numFmts count="2"><numFmt numFmtId="164" formatCode="dd/mm/yyyy"/><numFmt numFmtId="165" formatCode="dd/mm/yyyy hh:mm"/></numFmts>` +
		`<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font></fonts>` +
		`<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>` +
		`<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>` +
		`<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>` +
		`<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>` +
		`<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>` +
		`<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>` +
		`<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>` +
		`<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>`},
}

const xmlHeader = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n"

// xlsxMaxText is the longest text a cell holds in Excel.
const xlsxMaxText = 32767

func newXLSXWriter(w io.Writer) sheetWriter {
	x := &xlsxWriter{z: zip.NewWriter(w)}
	for _, part := range xlsxStatic {
		x.part(part.name, part.body)
	}
	if x.err == nil {
		x.sheet, x.err = x.z.Create("xl/worksheets/sheet1.xml")
	}
	x.write(xmlHeader + `<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">` +
		`<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>` +
		`</sheetView></sheetViews><sheetData>`)
	return x
}

func (x *xlsxWriter) part(name, body string) {
	if x.err != nil {
		return
	}
	var f io.Writer
	if f, x.err = x.z.Create(name); x.err == nil {
		_, x.err = io.WriteString(f, xmlHeader+body)
	}
}

func (x *xlsxWriter) write(s string) {
	if x.err == nil {
		_, x.err = io.WriteString(x.sheet, s)
	}
}

func (x *xlsxWriter) header(labels []string) error {
	cells := make([]cell, len(labels))
	for i, l := range labels {
		cells[i] = textCell(l)
	}
	return x.writeRow(cells, "3")
}

func (x *xlsxWriter) row(cells []cell) error { return x.writeRow(cells, "") }

func (x *xlsxWriter) writeRow(cells []cell, style string) error {
	x.rows++
	var b strings.Builder
	n := strconv.Itoa(x.rows)
	b.WriteString(`<row r="` + n + `">`)
	for i, c := range cells {
		ref := columnName(i) + n
		s := style
		var v string
		switch c.kind {
		case cellNumber:
			v = `<v>` + c.text + `</v>`
		case cellDate:
			s, v = "1", `<v>`+strconv.Itoa(c.date.Sub(calendar.D(1899, 12, 30)))+`</v>`
		case cellTime:
			t := c.at.In(rome)
			secs := t.Hour()*3600 + t.Minute()*60 + t.Second()
			serial := float64(calendar.DateOf(t).Sub(calendar.D(1899, 12, 30))) + float64(secs)/86400
			s, v = "2", `<v>`+strconv.FormatFloat(serial, 'f', -1, 64)+`</v>`
		default:
			if c.text == "" {
				continue
			}
			text := c.text
			if len(text) > xlsxMaxText {
				text = text[:xlsxMaxText]
			}
			var esc strings.Builder
			_ = xml.EscapeText(&esc, []byte(text))
			b.WriteString(`<c r="` + ref + `" t="inlineStr"` + styleAttr(s) + `><is><t xml:space="preserve">` + esc.String() + `</t></is></c>`)
			continue
		}
		b.WriteString(`<c r="` + ref + `"` + styleAttr(s) + `>` + v + `</c>`)
	}
	b.WriteString(`</row>`)
	x.write(b.String())
	return x.err
}

func styleAttr(s string) string {
	if s == "" {
		return ""
	}
	return ` s="` + s + `"`
}

func (x *xlsxWriter) close() error {
	x.write(`</sheetData></worksheet>`)
	if x.err != nil {
		return x.err
	}
	return x.z.Close()
}

// columnName is a spreadsheet column's letters: 0 is A, 26 is AA.
func columnName(i int) string {
	name := ""
	for i++; i > 0; i = (i - 1) / 26 {
		name = string(rune('A'+(i-1)%26)) + name
	}
	return name
}
