package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/config"
	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/identity/spid"
	"github.com/sportello/sportello/internal/logging"
	"github.com/sportello/sportello/internal/tenant"
)

// keysUsage describes `sportello keys`.
const keysUsage = `Usage: sportello keys rotate --ente slug --base-url https://host [flags]

Retires the ente's SAML signing key and makes a new one, sealed with the
secret key. Identity providers trust only the certificate registered with
AgID (and the Ministry for CIE): rotate together with the registration of the
new metadata, published at <base-url>/spid/metadata and /cie/metadata.
`

// keysCommand runs `sportello keys rotate …`.
func keysCommand(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "rotate" {
		fmt.Fprint(stdout, keysUsage)
		switch {
		case len(args) == 0:
			return &config.UsageError{Err: errors.New("keys: no subcommand given")}
		case args[0] == "help" || args[0] == "--help" || args[0] == "-h":
			return nil
		}
		return &config.UsageError{Err: fmt.Errorf("keys: unknown subcommand %q", args[0])}
	}
	slug, rest, err := cutFlag(args[1:], "ente")
	if err != nil {
		return &config.UsageError{Err: fmt.Errorf("keys rotate: %w", err)}
	}
	cfg, err := config.Load("keys rotate", config.Production, rest, getenv, stdout)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, "\n--ente slug: the ente whose key to rotate (required)\n")
	}
	if err != nil {
		return err
	}
	if slug == "" {
		return &config.UsageError{Err: errors.New("keys rotate: --ente is required")}
	}
	if err := cfg.RequireSecretKey(); err != nil {
		return err
	}
	return keysRotate(ctx, cfg, slug, time.Now(), stdout)
}

// keysRotate makes the new key pair for both profiles' entity IDs: the
// certificate names the SPID metadata URL, as the SPID rules ask.
func keysRotate(ctx context.Context, cfg *config.Config, slug string, now time.Time, stdout io.Writer) error {
	log := logging.New(stdout, cfg.LogLevel, cfg.LogFormat)
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
		return &config.UsageError{Err: fmt.Errorf("keys rotate: no ente with slug %q", slug)}
	}
	if err != nil {
		return err
	}
	origin := strings.TrimRight(cfg.BaseURL, "/")
	_, cert, err := spid.KeyStore{MasterKey: cfg.SecretKey}.Rotate(ctx, d, e.ID, spid.OrganizationOf(e, origin), origin+"/spid/metadata", now)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s (%s): nuova chiave SAML, certificato n. %s valido fino al %s.\n"+
		"Registra i nuovi metadata presso AgID: %s/spid/metadata e %s/cie/metadata\n",
		e.Name, e.Slug, cert.SerialNumber, cert.NotAfter.In(time.UTC).Format("2006-01-02"), origin, origin)
	return nil
}
