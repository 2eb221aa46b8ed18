package main

import (
	"strconv"
	"time"

	"github.com/sportello/sportello/internal/pdf"
	"github.com/sportello/sportello/internal/protocol"
)

// registerCode names the protocol register in the documents. The AOO code
// is not kept per ente yet: the ente's IPA code stands for its single AOO,
// as in most small comuni.
const registerCode = "REG_PROTOCOLLO"

// dailyRegisterPDF adapts the protocol package's day to the PDF layout.
func dailyRegisterPDF(d protocol.RegisterDay) ([]byte, error) {
	r := pdf.RegisterData{
		Ente: d.EnteName, AOO: d.IPACode, Register: registerCode,
		Day: d.From, GeneratedAt: time.Now(), ChainHead: d.HeadHash,
	}
	for _, e := range d.Entries {
		row := pdf.RegisterEntry{Number: e.Display(), RegisteredAt: e.RegisteredAt, Direction: string(e.Direction),
			Subject: e.Subject, Correspondent: e.Correspondent, DocumentSHA256: e.DocumentSHA256}
		if e.AnnulledBy != 0 {
			row.AnnulledBy = strconv.Itoa(e.Year) + "/" + e.AnnulledBy.String()
		}
		if e.Annuls() {
			row.Annuls = strconv.Itoa(e.AnnulsYear) + "/" + e.AnnulsNumber.String()
		}
		r.Entries = append(r.Entries, row)
	}
	return pdf.DailyRegister(r)
}
