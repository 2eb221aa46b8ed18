//go:build ignore

// gen_data rebuilds data/comuni.csv and data/stati.csv from the ANPR
// archive, keeping only the columns codfisc needs so the embedded tables
// stay small. Run it with `go generate` after updating the vendored archive.
package main

import (
	"cmp"
	"encoding/csv"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"
)

var belfiore = regexp.MustCompile(`^[A-Z][0-9]{3}$`)

type row struct {
	code, from, to, province, name string
}

func main() {
	src := flag.String("src", "../../../shared/data/anpr", "directory holding the vendored ANPR archive")
	dst := flag.String("dst", "data", "directory to write the compact tables to")
	flag.Parse()
	comuni, err := readComuni(filepath.Join(*src, "ANPR_archivio_comuni.csv"))
	if err != nil {
		log.Fatal(err)
	}
	if err := write(filepath.Join(*dst, "comuni.csv"), []string{"belfiore", "from", "to", "province", "name"}, comuni, true); err != nil {
		log.Fatal(err)
	}
	stati, err := readStati(filepath.Join(*src, "tables", "tab_stati_esteri.csv"))
	if err != nil {
		log.Fatal(err)
	}
	if err := write(filepath.Join(*dst, "stati.csv"), []string{"belfiore", "from", "to", "name"}, stati, false); err != nil {
		log.Fatal(err)
	}
}

func readAll(path string) ([]map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	text := strings.TrimPrefix(string(b), "\ufeff")
	recs, err := csv.NewReader(strings.NewReader(text)).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	head := recs[0]
	var out []map[string]string
	for _, r := range recs[1:] {
		m := make(map[string]string, len(head))
		for i, h := range head {
			m[h] = r[i]
		}
		out = append(out, m)
	}
	return out, nil
}

// readComuni keeps every record with a Belfiore code and merges consecutive
// records of one code whose name and province did not change.
func readComuni(path string) ([]row, error) {
	recs, err := readAll(path)
	if err != nil {
		return nil, err
	}
	var rows []row
	for _, m := range recs {
		if !belfiore.MatchString(m["CODCATASTALE"]) {
			continue // "ND": no cadastral code, cannot appear in a codice fiscale
		}
		to := m["DATACESSAZIONE"]
		if to == "9999-12-31" {
			to = ""
		}
		rows = append(rows, row{m["CODCATASTALE"], m["DATAISTITUZIONE"], to, m["SIGLAPROVINCIA"], m["DENOMINAZIONE_IT"]})
	}
	slices.SortFunc(rows, func(a, b row) int {
		return cmp.Or(cmp.Compare(a.code, b.code), cmp.Compare(a.from, b.from))
	})
	var out []row
	for _, r := range rows {
		if n := len(out); n > 0 {
			last := &out[n-1]
			if last.code == r.code && last.name == r.name && last.province == r.province && last.to != "" && nextDay(last.to) == r.from {
				last.to = r.to
				continue
			}
		}
		out = append(out, r)
	}
	return out, nil
}

// readStati keeps the states and territories that have a Z-code; a few names
// in the converted table carry the other columns after " - ", which are cut.
func readStati(path string) ([]row, error) {
	recs, err := readAll(path)
	if err != nil {
		return nil, err
	}
	var out []row
	for _, m := range recs {
		if !belfiore.MatchString(m["CODAT"]) {
			continue
		}
		name := m["DENOMINAZIONE"]
		if before, after, ok := strings.Cut(name, " - "); ok && strings.Contains(after, ": ") {
			name = before
		}
		from, err := isoDate(m["DATAINIZIOVALIDITA"])
		if err != nil {
			return nil, err
		}
		to, err := isoDate(m["DATAFINEVALIDITA"])
		if err != nil {
			return nil, err
		}
		if to == "9999-12-31" {
			to = ""
		}
		out = append(out, row{code: m["CODAT"], from: from, to: to, name: name})
	}
	slices.SortFunc(out, func(a, b row) int {
		return cmp.Or(cmp.Compare(a.code, b.code), cmp.Compare(a.from, b.from))
	})
	return out, nil
}

func nextDay(iso string) string {
	t, err := time.Parse(time.DateOnly, iso)
	if err != nil {
		log.Fatal(err)
	}
	return t.AddDate(0, 0, 1).Format(time.DateOnly)
}

func isoDate(dmy string) (string, error) {
	t, err := time.Parse("02/01/2006", dmy)
	if err != nil {
		return "", err
	}
	return t.Format(time.DateOnly), nil
}

func write(path string, head []string, rows []row, province bool) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := csv.NewWriter(f)
	w.Write(head)
	for _, r := range rows {
		rec := []string{r.code, r.from, r.to, r.province, r.name}
		if !province {
			rec = []string{r.code, r.from, r.to, r.name}
		}
		w.Write(rec)
	}
	w.Flush()
	if err := w.Error(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
