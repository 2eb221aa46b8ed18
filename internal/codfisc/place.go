package codfisc

import (
	"bytes"
	_ "embed"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"
)

//go:generate go run gen_data.go

// The birth-place tables, derived from the ANPR archive (CC BY 4.0,
// Ministero dell'Interno, ANPR); see data/README.md.
var (
	//go:embed data/comuni.csv
	comuniCSV []byte
	//go:embed data/stati.csv
	statiCSV []byte
)

// foreignProvince is the province abbreviation Italian forms use for a
// place abroad.
const foreignProvince = "EE"

// period is one span during which a Belfiore code named a place; dates are
// yyyymmdd integers, both ends inclusive.
type period struct {
	from, to       int
	name, province string
}

// places maps a Belfiore code to its periods in date order; it is parsed
// from the embedded tables on first use and never changes afterwards.
var places = sync.OnceValue(func() map[string][]period {
	m := make(map[string][]period, 10000)
	if err := loadPlaces(m, comuniCSV, true); err != nil {
		panic(fmt.Sprintf("codfisc: embedded comuni table: %v", err))
	}
	if err := loadPlaces(m, statiCSV, false); err != nil {
		panic(fmt.Sprintf("codfisc: embedded stati table: %v", err))
	}
	return m
})

// loadPlaces reads a table written by gen_data.go: belfiore, from, to,
// [province,] name.
func loadPlaces(m map[string][]period, data []byte, hasProvince bool) error {
	r := csv.NewReader(bytes.NewReader(data))
	r.ReuseRecord = true
	if _, err := r.Read(); err != nil { // header
		return err
	}
	for {
		rec, err := r.Read()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		p := period{province: foreignProvince}
		if p.from, err = isoToInt(rec[1]); err != nil {
			return err
		}
		p.to = 99991231
		if rec[2] != "" {
			if p.to, err = isoToInt(rec[2]); err != nil {
				return err
			}
		}
		if hasProvince {
			p.province, p.name = rec[3], rec[4]
		} else {
			p.name = rec[3]
		}
		m[rec[0]] = append(m[rec[0]], p)
	}
}

func isoToInt(s string) (int, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return 0, err
	}
	return dateInt(t), nil
}

func dateInt(t time.Time) int {
	y, m, d := t.Date()
	return y*10000 + int(m)*100 + d
}

// lookup returns the period of belfiore covering date (yyyymmdd), and
// whether the code is known at all.
func lookup(belfiore string, date int) (p period, found, known bool) {
	ps, known := places()[belfiore]
	for _, p := range ps {
		if p.from <= date && date <= p.to {
			return p, true, true
		}
	}
	return period{}, false, known
}

// PlaceName returns the name and province abbreviation ("EE" for a foreign
// state) that a Belfiore code had on a date, so that a certificate can print
// the birth place as it was called when the person was born.
func PlaceName(belfiore string, on time.Time) (name, province string, ok bool) {
	p, found, _ := lookup(belfiore, dateInt(on))
	return p.name, p.province, found
}

// ValidatePlace checks that the code's birth place named a comune (ceased
// ones included) or a foreign state on the birth date, resolved against ref
// as BirthDate does, because a code built with the wrong Belfiore code is
// well-formed but false.
func ValidatePlace(code Code, ref time.Time) error {
	born, err := code.BirthDate(ref)
	if err != nil {
		return err
	}
	belfiore := code.BirthPlace()
	_, found, known := lookup(belfiore, dateInt(born))
	switch {
	case !known:
		return &Error{Reason: ReasonPlaceUnknown, Pos: 12, Got: belfiore, Want: "a Belfiore code from the ANPR archive"}
	case !found:
		return &Error{Reason: ReasonPlaceDate, Pos: 12, Got: belfiore, Want: "a place that existed on " + born.Format(time.DateOnly)}
	}
	return nil
}
