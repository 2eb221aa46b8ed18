package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/audit"
	"github.com/sportello/sportello/internal/config"
	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/logging"
	"github.com/sportello/sportello/internal/tenant"
)

// auditUsage describes `sportello audit`, whose one verb so far is verify.
const auditUsage = `Usage: sportello audit verify [--ente slug] [flags]

Checks the hash chain of the audit log of every ente (or of the one named by
--ente) and prints one line per ente. The exit status is 1 if any chain is
broken. It only reads: it neither migrates nor changes the database.
`

// auditCommand runs `sportello audit <verb> …`.
func auditCommand(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "verify" {
		fmt.Fprint(stdout, auditUsage)
		switch {
		case len(args) == 0:
			return &config.UsageError{Err: errors.New("audit: no subcommand given")}
		case args[0] == "help" || args[0] == "--help" || args[0] == "-h":
			return nil
		}
		return &config.UsageError{Err: fmt.Errorf("audit: unknown subcommand %q", args[0])}
	}
	// --ente is this command's own flag; the rest are the usual settings.
	slug, rest, err := cutFlag(args[1:], "ente")
	if err != nil {
		return &config.UsageError{Err: fmt.Errorf("audit verify: %w", err)}
	}
	cfg, err := config.Load("audit verify", config.Production, rest, getenv, stdout)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, "\n--ente slug: verify only this ente's chain (default: every ente)\n")
	}
	if err != nil {
		return err
	}
	return auditVerify(ctx, cfg, slug, stdout)
}

// auditVerify opens the database without migrating it and prints the state
// of each chain; a broken chain makes it return an error.
func auditVerify(ctx context.Context, cfg *config.Config, slug string, stdout io.Writer) error {
	log := logging.New(stdout, cfg.LogLevel, cfg.LogFormat)
	d, err := db.Open(ctx, cfg.DatabaseURL, db.Options{Logger: log, ConnectTimeout: cfg.DatabaseTimeout})
	if err != nil {
		return err
	}
	defer d.Close()
	if err := requireMigrated(ctx, d); err != nil {
		return err
	}
	var enti []*tenant.Ente
	var reports []audit.Report
	if slug != "" {
		e, err := tenant.BySlug(ctx, d, slug)
		if apperr.Is(err, apperr.NotFound) {
			return &config.UsageError{Err: fmt.Errorf("audit verify: no ente with slug %q", slug)}
		}
		if err != nil {
			return err
		}
		r, err := audit.Verify(ctx, d, e.ID)
		if err != nil {
			return err
		}
		enti, reports = []*tenant.Ente{e}, []audit.Report{r}
	} else {
		if enti, err = tenant.List(ctx, d); err != nil {
			return err
		}
		if reports, err = audit.VerifyAll(ctx, d); err != nil {
			return err
		}
	}
	byID := make(map[tenant.ID]*tenant.Ente, len(enti))
	for _, e := range enti {
		byID[e.ID] = e
	}
	broken := 0
	for _, r := range reports {
		e := byID[r.Ente]
		if e == nil { // created while we were verifying
			e = &tenant.Ente{ID: r.Ente, Name: "Ente " + strconv.FormatInt(int64(r.Ente), 10)}
		}
		fmt.Fprintln(stdout, reportLine(e, r))
		if !r.Intact() {
			broken++
		}
	}
	if broken > 0 {
		return fmt.Errorf("audit verify: the audit chain of %d of %d enti is broken", broken, len(reports))
	}
	return nil
}

// requireMigrated refuses a database behind this binary's schema, whose
// missing audit tables would otherwise surface as an obscure SQL error.
func requireMigrated(ctx context.Context, d *db.DB) error {
	ms, err := db.Migrations(d.Engine)
	if err != nil {
		return err
	}
	v, err := d.Version(ctx)
	if err != nil {
		return fmt.Errorf("audit verify: not a Sportello database, or not migrated: %w", err)
	}
	if v < len(ms) {
		return fmt.Errorf("audit verify: the database is at migration %d, this binary needs %d: run 'sportello migrate' first", v, len(ms))
	}
	return nil
}

// reportLine is one ente's line, in Italian for the comune's staff:
// "Comune di Ala (ala): 12.345 eventi, catena integra".
func reportLine(e *tenant.Ente, r audit.Report) string {
	name := e.Name
	if e.Slug != "" {
		name += " (" + e.Slug + ")"
	}
	if r.Intact() {
		return fmt.Sprintf("%s: %s, catena integra", name, eventi(r.Events))
	}
	return fmt.Sprintf("%s: catena interrotta all'evento %s: %s", name, thousands(r.Seq), problemText(r))
}

// problemText explains a break to whoever must investigate it.
func problemText(r audit.Report) string {
	switch r.Problem {
	case audit.Changed:
		return "evento modificato dopo la registrazione (l'impronta non corrisponde al contenuto)"
	case audit.Missing:
		return "evento mancante (rimosso)"
	case audit.Unchained:
		return "l'evento non è concatenato al precedente (eventi rimossi, inseriti, riordinati o riscritti)"
	case audit.Truncated:
		return fmt.Sprintf("mancano gli ultimi eventi (la catena ne conta %s, ne sono registrati %s)", thousands(r.Head), thousands(r.Events))
	case audit.BeyondHead:
		return "eventi registrati oltre la fine della catena (inseriti fuori dall'applicazione)"
	}
	return r.Reason
}

// eventi counts events in Italian: "1 evento", "12.345 eventi".
func eventi(n int64) string {
	if n == 1 {
		return "1 evento"
	}
	return thousands(n) + " eventi"
}

// thousands writes n, which is not negative, with dots between thousands,
// as Italians read numbers.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// cutFlag removes every --name value, --name=value, -name value or
// -name=value from args and returns the last value, so that a command can
// add one flag of its own before the shared settings are parsed by
// config.Load. Parsing stops at "--", as the flag package's does.
func cutFlag(args []string, name string) (value string, rest []string, err error) {
	rest = make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return value, append(rest, args[i:]...), nil
		}
		trimmed := strings.TrimPrefix(strings.TrimPrefix(a, "-"), "-")
		key, v, hasValue := strings.Cut(trimmed, "=")
		if trimmed == a || key != name {
			rest = append(rest, a)
			continue
		}
		if !hasValue {
			if i+1 == len(args) {
				return "", nil, fmt.Errorf("flag needs an argument: -%s", name)
			}
			i++
			v = args[i]
		}
		if v == "" {
			return "", nil, fmt.Errorf("flag -%s: the value is empty", name)
		}
		value = v
	}
	return value, rest, nil
}
