package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/calendar"
	"github.com/sportello/sportello/internal/certificate"
	"github.com/sportello/sportello/internal/config"
	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/logging"
	"github.com/sportello/sportello/internal/registry"
	"github.com/sportello/sportello/internal/tenant"
)

// verifyUsage describes `sportello verify`.
const verifyUsage = `Usage: sportello verify --keys <file or https URL> certificate.pdf

Checks a registry certificate offline: the PAdES signature over the whole
file, every part of it when the whole does not match, anything added after
the signature, and the sealed QR contrassegno, against the ente's public
keys (the document the ente publishes at /.well-known/sportello-certificati.json).
Revocation needs the ente's site: /verifica. Exit status 1 when the file
does not verify.
`

// verifyCommand runs `sportello verify`.
func verifyCommand(ctx context.Context, args []string, stdout io.Writer) error {
	keysArg, rest, err := cutFlag(args, "keys")
	if err != nil {
		return &config.UsageError{Err: fmt.Errorf("verify: %w", err)}
	}
	if len(rest) == 1 && (rest[0] == "--help" || rest[0] == "-h" || rest[0] == "help") {
		fmt.Fprint(stdout, verifyUsage)
		return nil
	}
	if keysArg == "" || len(rest) != 1 || strings.HasPrefix(rest[0], "-") {
		fmt.Fprint(stdout, verifyUsage)
		return &config.UsageError{Err: errors.New("verify: give --keys and one PDF file")}
	}
	keysDoc, err := readKeys(ctx, keysArg)
	if err != nil {
		return err
	}
	doc, keys, err := certificate.ParseKeysDocument(keysDoc)
	if err != nil {
		return err
	}
	pdf, err := os.ReadFile(rest[0])
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	v := certificate.Verify(pdf, keys)
	printVerification(stdout, doc, v, calendar.DateOf(time.Now().In(romeZone())))
	if !v.OK() {
		return errors.New("verify: the file is not an intact certificate of the ente")
	}
	return nil
}

func romeZone() *time.Location {
	loc, err := time.LoadLocation("Europe/Rome")
	if err != nil {
		return time.UTC
	}
	return loc
}

// readKeys reads the keys document from a file or an https URL.
func readKeys(ctx context.Context, where string) ([]byte, error) {
	if !strings.HasPrefix(where, "https://") && !strings.HasPrefix(where, "http://") {
		b, err := os.ReadFile(where)
		if err != nil {
			return nil, fmt.Errorf("verify: keys: %w", err)
		}
		return b, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, where, nil)
	if err != nil {
		return nil, fmt.Errorf("verify: keys: %w", err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("verify: keys: %w", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("verify: keys: %s answered %s", where, res.Status)
	}
	return io.ReadAll(io.LimitReader(res.Body, 1<<20))
}

// printVerification writes the report, in Italian as the certificate.
func printVerification(w io.Writer, doc *certificate.KeysDocument, v *certificate.Verification, today calendar.Date) {
	yes := map[bool]string{true: "valida", false: "NON valida"}
	fmt.Fprintf(w, "Ente:          %s (ISTAT %s)\n", doc.Ente, doc.Istat)
	fmt.Fprintf(w, "Firma PAdES:   %s", yes[v.Signed])
	if v.Signer != "" {
		fmt.Fprintf(w, " (%s)", v.Signer)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "Contrassegno:  %s\n", yes[v.Sealed])
	if p := v.Payload; p != nil {
		fmt.Fprintf(w, "Codice:        %s\n", p.Code)
		fmt.Fprintf(w, "Certificato:   %s\n", strings.ToLower(p.Kinds.Title()))
		fmt.Fprintf(w, "Intestatario:  %s\n", p.FiscalCode)
		fmt.Fprintf(w, "Rilasciato il: %s\n", p.Issued)
		until := "illimitata"
		if !p.ValidUntil.IsZero() {
			until = p.ValidUntil.String()
		}
		fmt.Fprintf(w, "Valido fino:   %s\n", until)
	}
	fmt.Fprintf(w, "Esito:         %s\n", map[certificate.Status]string{certificate.StatusValid: "valido",
		certificate.StatusExpired: "scaduto", certificate.StatusUnknown: "non verificato"}[v.StatusOn(today)])
	for _, c := range v.Changed {
		fmt.Fprintf(w, "Modificato:    %s\n", c)
	}
	for _, p := range v.Problems {
		fmt.Fprintf(w, "Problema:      %s\n", p)
	}
}

// registryUsage describes `sportello registry`.
const registryUsage = `Usage:
  sportello registry import --ente slug [--dry-run yes] file.csv
  sportello registry export --ente slug [--out file.csv]

import loads households and persons from the registry CSV format
(docs/registry.md) in one transaction: a file with any rejected row imports
nothing and every rejected row is listed with its reasons. --dry-run yes
only checks. export writes the ente's registry in the same format.
`

// registryCommand runs `sportello registry import|export`.
func registryCommand(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) == 0 || (args[0] != "import" && args[0] != "export") {
		fmt.Fprint(stdout, registryUsage)
		if len(args) > 0 && (args[0] == "help" || args[0] == "--help" || args[0] == "-h") {
			return nil
		}
		return &config.UsageError{Err: errors.New("registry: give import or export")}
	}
	sub := args[0]
	slug, rest, err := cutFlag(args[1:], "ente")
	if err != nil {
		return &config.UsageError{Err: fmt.Errorf("registry %s: %w", sub, err)}
	}
	dry, rest, err := cutFlag(rest, "dry-run")
	if err != nil {
		return &config.UsageError{Err: fmt.Errorf("registry %s: %w", sub, err)}
	}
	out, rest, err := cutFlag(rest, "out")
	if err != nil {
		return &config.UsageError{Err: fmt.Errorf("registry %s: %w", sub, err)}
	}
	var file string
	if sub == "import" && len(rest) > 0 && !strings.HasPrefix(rest[len(rest)-1], "-") {
		file, rest = rest[len(rest)-1], rest[:len(rest)-1]
	}
	cfg, err := config.Load("registry "+sub, config.Production, rest, getenv, stdout)
	if err != nil {
		return err
	}
	if slug == "" || (sub == "import" && file == "") {
		fmt.Fprint(stdout, registryUsage)
		return &config.UsageError{Err: fmt.Errorf("registry %s: --ente and (for import) a file are required", sub)}
	}
	log := logging.New(io.Discard, cfg.LogLevel, cfg.LogFormat)
	d, err := db.Open(ctx, cfg.DatabaseURL, db.Options{Logger: log, ConnectTimeout: cfg.DatabaseTimeout})
	if err != nil {
		return err
	}
	defer d.Close()
	if err := requireMigrated(ctx, d); err != nil {
		return err
	}
	e, err := tenant.BySlug(ctx, d, slug)
	if apperr.Is(err, apperr.NotFound) {
		return &config.UsageError{Err: fmt.Errorf("registry: no ente with slug %q", slug)}
	}
	if err != nil {
		return err
	}
	if sub == "export" {
		w := stdout
		if out != "" {
			f, err := os.Create(out)
			if err != nil {
				return fmt.Errorf("registry export: %w", err)
			}
			defer f.Close()
			w = f
		}
		n, err := registry.Export(ctx, d, e.ID, w)
		if err != nil {
			return err
		}
		if out != "" {
			fmt.Fprintf(stdout, "%d persons exported to %s\n", n, out)
		}
		return nil
	}
	return registryImport(ctx, d, e.ID, file, dry == "yes", stdout)
}

// registryImport imports a file with a progress bar and the report.
func registryImport(ctx context.Context, d *db.DB, ente tenant.ID, file string, dry bool, stdout io.Writer) error {
	f, err := os.Open(file)
	if err != nil {
		return fmt.Errorf("registry import: %w", err)
	}
	defer f.Close()
	progress := func(stage string, done, total int) {
		switch {
		case stage == "read" && done%500 == 0:
			fmt.Fprintf(stdout, "\rread %d rows", done)
		case stage == "write":
			const width = 30
			filled := width * done / max(total, 1)
			fmt.Fprintf(stdout, "\rwrite [%s%s] %d/%d households", strings.Repeat("#", filled), strings.Repeat(".", width-filled), done, total)
		}
	}
	rep, err := registry.Import(ctx, d, ente, f, registry.ImportOptions{DryRun: dry, Progress: progress, Now: time.Now()})
	fmt.Fprintln(stdout)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d rows: %d persons in %d households, %d rejected\n", rep.Rows, rep.Persons, rep.Households, len(rep.Rejected))
	for _, r := range rep.Rejected {
		fmt.Fprintf(stdout, "line %d: %s\n", r.Line, strings.Join(r.Reasons, "; "))
	}
	switch {
	case len(rep.Rejected) > 0:
		return fmt.Errorf("registry import: %d rows rejected, nothing imported", len(rep.Rejected))
	case dry:
		fmt.Fprintln(stdout, "dry run: nothing imported")
	default:
		fmt.Fprintln(stdout, "imported")
	}
	return nil
}
