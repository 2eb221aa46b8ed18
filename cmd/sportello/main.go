// Command sportello is the whole of Sportello in one binary: the web server
// for citizens, desk operators and back offices, its database migrations,
// and a self-contained demo.
//
//	sportello demo      # seeded demo comune on SQLite, simulators on
//	sportello serve     # production: PostgreSQL or SQLite, S3 or local files
//	sportello migrate   # apply the database migrations and exit
//	sportello audit verify  # check every ente's audit log chain
//	sportello verify --keys keys.json certificate.pdf  # offline check
//	sportello registry import --ente ala residents.csv
//	sportello simulate pagopa  # the pagoPA simulator alone
//	sportello version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // Europe/Rome even on machines without a zone database

	"github.com/sportello/sportello/internal/config"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout)
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

// exitCode reports err on w and returns the process status: 0 for success
// (and --help), 2 for a usage mistake, 1 for anything else.
func exitCode(err error, w io.Writer) int {
	var ue *config.UsageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(w, "sportello: %v\nRun 'sportello help' or 'sportello <command> --help' for the settings.\n", err)
		return 2
	}
	fmt.Fprintf(w, "sportello: %v\n", err)
	return 1
}

// usage lists the subcommands.
const usage = `Sportello: the comune's one-stop desk and citizen's area.

Usage: sportello <command> [flags]

Commands:
  demo      start the demo comune (SQLite, local files, simulators) on 127.0.0.1:8080
  serve     start the server as configured by flags and SPORTELLO_* variables
  migrate   apply the database migrations and exit
  audit     audit verify: check every ente's audit log chain (exit 1 if one is broken)
  keys      keys rotate --ente slug: replace an ente's SAML signing key
  verify    verify --keys keys.json file.pdf: check a registry certificate offline
  registry  registry import|export --ente slug: load or dump the anagrafe (CSV)
  simulate  simulate pagopa: serve the pagoPA simulator alone
  version   print the version

Run 'sportello <command> --help' for its settings.
`

// run is the whole program; main only adds signals and the exit status, so
// that tests can run it in process.
func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stdout, usage)
		return &config.UsageError{Err: errors.New("no command given")}
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		cfg, err := config.Load(cmd, config.Production, rest, getenv, stdout)
		if err != nil {
			return err
		}
		return serve(ctx, cfg, stdout, nil)
	case "demo":
		cfg, err := config.Load(cmd, config.Demo, rest, getenv, stdout)
		if err != nil {
			return err
		}
		return serve(ctx, cfg, stdout, nil)
	case "migrate":
		cfg, err := config.Load(cmd, config.Production, rest, getenv, stdout)
		if err != nil {
			return err
		}
		return migrate(ctx, cfg, stdout)
	case "audit":
		return auditCommand(ctx, rest, getenv, stdout)
	case "keys":
		return keysCommand(ctx, rest, getenv, stdout)
	case "verify":
		return verifyCommand(ctx, rest, stdout)
	case "registry":
		return registryCommand(ctx, rest, getenv, stdout)
	case "simulate":
		return simulateCommand(ctx, rest, stdout, nil)
	case "version", "--version", "-v":
		fmt.Fprintf(stdout, "sportello %s\n", version())
		return nil
	case "help", "--help", "-h":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stdout, usage)
	return &config.UsageError{Err: fmt.Errorf("unknown command %q", cmd)}
}
