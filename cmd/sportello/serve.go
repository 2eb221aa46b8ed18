package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"

	"github.com/sportello/sportello/internal/blob"
	"github.com/sportello/sportello/internal/booking"
	"github.com/sportello/sportello/internal/certificate"
	"github.com/sportello/sportello/internal/config"
	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/demo"
	"github.com/sportello/sportello/internal/identity"
	"github.com/sportello/sportello/internal/identity/spid"
	"github.com/sportello/sportello/internal/jobs"
	"github.com/sportello/sportello/internal/logging"
	"github.com/sportello/sportello/internal/mail"
	"github.com/sportello/sportello/internal/payment"
	"github.com/sportello/sportello/internal/pratica"
	"github.com/sportello/sportello/internal/protocol"
	pagopasim "github.com/sportello/sportello/internal/sim/pagopa"
	"github.com/sportello/sportello/internal/sim/spididp"
	"github.com/sportello/sportello/internal/tenant"
	"github.com/sportello/sportello/internal/web"
)

// version is the module version the binary was built from, or "dev".
func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// app is everything serve and migrate open, closed in reverse order.
type app struct {
	log   *slog.Logger
	db    *db.DB
	jobs  *jobs.Jobs
	blobs blob.Store
	// mail is true when e-mail can be sent (a relay, or the demo's catcher).
	mail bool
	// payments is set when pagoPA is configured (the platform or the
	// simulator); its clients are connected by connectPagoPA.
	payments *payment.Service
	// certs issues registry certificates, with stamps collecting their
	// stamp duty through pagoPA when it is configured.
	certs  *certificate.Issuer
	stamps *payment.Stamps
}

// open connects to the database and the document store and migrates both
// the application's and the job queue's tables.
func open(ctx context.Context, cfg *config.Config, log *slog.Logger, workers int) (*app, error) {
	d, err := db.Open(ctx, cfg.DatabaseURL, db.Options{Logger: log, ConnectTimeout: cfg.DatabaseTimeout})
	if err != nil {
		return nil, err
	}
	a := &app{log: log, db: d}
	n, err := d.Migrate(ctx, time.Now)
	if err != nil {
		a.close()
		return nil, err
	}
	if n > 0 {
		log.Info("database migrated", "applied", n)
	}
	a.blobs, err = blob.Open(ctx, cfg.BlobURL)
	if err != nil {
		a.close()
		return nil, fmt.Errorf("document store: %w", err)
	}
	reg := river.NewWorkers()
	periodic := []*river.PeriodicJob{jobs.Maintenance(reg, d), purgeJob(reg, d, log),
		protocol.DailyRegisterJob(reg, d, a.blobs, dailyRegisterPDF, log),
		pratica.ReceiptSweepJob(reg, d, a.blobs, web.RenderReceipt, log),
		pratica.TermWarningsJob(reg, d, func() *jobs.Jobs { return a.jobs }, log)}
	filesInDB := certificate.FilesInDatabaseFor(d)
	if j := certificate.SettleFilesJob(reg, d, a.blobs, filesInDB, log); j != nil {
		periodic = append(periodic, j)
	}
	var sender mail.Sender
	switch {
	case cfg.SMTPURL != "":
		sc, err := mail.ParseSMTPURL(cfg.SMTPURL)
		if err != nil {
			a.close()
			return nil, &config.UsageError{Err: err}
		}
		if sender, err = mail.NewSMTP(sc); err != nil {
			a.close()
			return nil, err
		}
	case cfg.Mode == config.Demo:
		sender = mail.Catcher{}
	}
	if sender != nil {
		river.AddWorker(reg, mail.NewWorker(d, sender, log))
		a.mail = true
		reminder, offer, err := bookingMails(cfg.BaseURL)
		if err != nil {
			a.close()
			return nil, err
		}
		periodic = append(periodic, booking.RemindJob(reg, d, func() *jobs.Jobs { return a.jobs }, reminder, offer, time.Now))
	}
	if cfg.PagoPA.Enabled() {
		if err := payment.CheckItems(ctx, d); err != nil {
			// Not fatal: the other payments work; these entries are
			// refused until fixed.
			log.Error("payment items with an invalid taxonomy code", "err", err)
		}
		a.payments = &payment.Service{DB: d, Log: log}
		periodic = append(periodic, payment.Jobs(reg, a.payments, cfg.PagoPA.PollInterval),
			payment.ReconcileJob(reg, a.payments, reconcileEvery(cfg)))
	}
	if len(cfg.SecretKey) == 32 {
		keys, err := certificate.NewKeyStore(cfg.SecretKey)
		if err != nil {
			a.close()
			return nil, err
		}
		a.certs = &certificate.Issuer{DB: d, Registrar: protocol.Builtin{}, Blobs: a.blobs, Keys: keys,
			FilesInDatabase: filesInDB}
		if a.payments != nil {
			// The same issuer for the pages and the job that issues a
			// certificate when its stamp's receipt arrives.
			a.stamps = &payment.Stamps{Payments: a.payments, Issuer: a.certs}
			a.certs.Payer = a.stamps
			periodic = append(periodic, payment.StampJobs(reg, a.stamps, cfg.PagoPA.PollInterval))
		}
	}
	a.jobs, err = jobs.New(d, jobs.Options{Workers: workers, Registry: reg, Periodic: periodic, Logger: log})
	if err != nil {
		a.close()
		return nil, err
	}
	if a.payments != nil {
		a.payments.Jobs = a.jobs
	}
	if _, err := a.jobs.Migrate(ctx); err != nil {
		a.close()
		return nil, err
	}
	return a, nil
}

// reconcileEvery is how often reconciliation flows are fetched: hourly, as
// flows come by D+2; in the demo as often as receipts, so that a payment
// made there reaches the finance office's page within a minute or two.
func reconcileEvery(cfg *config.Config) time.Duration {
	if cfg.PagoPA.Sim {
		return cfg.PagoPA.PollInterval
	}
	return time.Hour
}

func (a *app) close() {
	if a.db != nil {
		a.db.Close()
	}
}

// migrate applies every migration and exits.
func migrate(ctx context.Context, cfg *config.Config, stdout io.Writer) error {
	log := logging.New(stdout, cfg.LogLevel, cfg.LogFormat)
	a, err := open(ctx, cfg, log, 0)
	if err != nil {
		return err
	}
	defer a.close()
	v, err := a.db.Version(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "database %s at migration %d\n", a.db.Engine, v)
	return nil
}

// serve runs the server until ctx is done (SIGINT or SIGTERM), then drains
// in-flight requests and jobs. ready, if not nil, gets the listening address.
func serve(ctx context.Context, cfg *config.Config, stdout io.Writer, ready func(addr string)) error {
	start := time.Now()
	if err := secretKey(cfg); err != nil {
		return err
	}
	log := logging.New(stdout, cfg.LogLevel, cfg.LogFormat)
	// The runtime reads GOGC, GOMEMLIMIT and GOMAXPROCS from the process's
	// own environment, so TuneRuntime looks there too.
	rt := config.TuneRuntime(os.Getenv)
	log.Info("starting", append(append([]any{"version", version()}, cfg.Attrs()...), rt.Attrs()...)...)

	a, err := open(ctx, cfg, log, cfg.JobWorkers)
	if err != nil {
		return err
	}
	defer a.close()

	keys, err := identity.NewKeys(cfg.SecretKey)
	if err != nil {
		return err
	}
	if cfg.Mode == config.Demo {
		created, err := demo.Seed(ctx, a.db, time.Now())
		if err != nil {
			return err
		}
		if created {
			log.Info("demo comune seeded", "ente", demo.Slug)
		}
		e, err := tenant.BySlug(ctx, a.db, demo.Slug)
		if err != nil {
			return err
		}
		if err := demo.SeedOperators(ctx, a.db, keys, e.ID, time.Now()); err != nil {
			return err
		}
		if err := demo.SeedRegistry(ctx, a.db, e.ID); err != nil {
			return err
		}
	}
	var idps []*spid.IdP
	if cfg.IdPRegistry != "" {
		if idps, err = spid.LoadRegistry(cfg.IdPRegistry); err != nil {
			return fmt.Errorf("identity provider registry: %w", err)
		}
		log.Info("identity providers loaded", "count", len(idps), "file", cfg.IdPRegistry)
	}
	var testIdPs *web.TestIdPs
	if cfg.TestIdP {
		if cfg.Mode == config.Production {
			return &config.UsageError{Err: errors.New("the test identity provider cannot run in production mode")}
		}
		// The simulators take their address from each request, as the
		// service provider does, so the demo works on any host and port.
		testIdPs = web.NewTestIdPs(web.RequestOrigin(cfg.TrustProxy))
	}

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	var sim *pagopasim.Sim
	if a.payments != nil {
		if sim, err = connectPagoPA(a.payments, cfg, ln.Addr().String(), log); err != nil {
			ln.Close()
			return err
		}
	}

	opts := web.Options{
		DB: a.db, Logger: log, TrustProxy: cfg.TrustProxy, Version: version(),
		Registry: prometheus.NewRegistry(), JobStats: a.jobs.Stats,
		SecretKey: cfg.SecretKey, IdPs: idps, TestIdPs: testIdPs, Demo: cfg.Mode == config.Demo, Blobs: a.blobs,
	}
	if a.mail {
		opts.Jobs = a.jobs
	}
	if a.payments != nil {
		opts.Payments = a.payments
	}
	if a.certs != nil {
		opts.Certificates, opts.Stamps = a.certs, a.stamps
	}
	if sim != nil {
		opts.PagoPASim = sim
	}
	if a.payments != nil && cfg.PagoPA.OwnStation {
		st, err := ownStation(ctx, a.db, a.payments, cfg, sim, ln.Addr().String(), log)
		if err != nil {
			ln.Close()
			return err
		}
		opts.Station = st
	}
	srv, err := web.New(opts)
	if err != nil {
		ln.Close()
		return err
	}
	httpSrv := &http.Server{
		Handler:           srv,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       5 * time.Minute, // uploads of building practices are large
		WriteTimeout:      5 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	// Jobs start before the first request is served, so that /readyz means
	// the whole instance is up.
	if err := a.jobs.Start(ctx); err != nil {
		ln.Close()
		return err
	}
	served := make(chan error, 1)
	go func() { served <- httpSrv.Serve(ln) }()
	addr := ln.Addr().String()
	log.Info("ready", "addr", addr, "startup_ms", time.Since(start).Milliseconds())
	if cfg.Mode == config.Demo {
		printDemoBanner(stdout, addr, cfg)
	}
	if ready != nil {
		ready(addr)
	}

	select {
	case err := <-served:
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down: draining requests and jobs", "timeout", cfg.ShutdownTimeout)
	drain, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	var errs []error
	if err := httpSrv.Shutdown(drain); err != nil {
		errs = append(errs, fmt.Errorf("drain requests: %w", err))
	}
	if err := a.jobs.Stop(drain); err != nil {
		errs = append(errs, fmt.Errorf("drain jobs: %w", err))
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		errs = append(errs, err)
	}
	if len(errs) == 0 {
		log.Info("stopped")
	}
	return errors.Join(errs...)
}

// printDemoBanner tells a newcomer where to look.
func printDemoBanner(w io.Writer, addr string, cfg *config.Config) {
	host, port, _ := net.SplitHostPort(addr)
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	u := "http://" + net.JoinHostPort(host, port) + "/"
	fmt.Fprintf(w, `
  Sportello demo: Comune di Ala (TN)
  ----------------------------------
  Sito del comune:   %s
  Area personale:    %sarea-personale
  Posta inviata:     %s_sim/posta/
  Simulatore pagoPA: %s_sim/pagopa/ (pagamenti di prova: nessun addebito)
  Dati:              %s
  Fermare:           Ctrl+C

  Tutte le persone e i recapiti della demo sono fittizi.
`, u, u, u, u, cfg.DataDir)
	if cfg.TestIdP {
		fmt.Fprintf(w, "\n  Accesso cittadini: \"Entra con SPID\" → \"Sportello Test IdP\", poi scegli una persona:\n")
		for _, id := range spididp.DemoIdentities() {
			fmt.Fprintf(w, "    %-16s  %s %s\n", id.FiscalCode, id.Name, id.FamilyName)
		}
	}
	fmt.Fprintf(w, "\n  Accesso personale: %soperatori/accedi (codice: app di autenticazione con la chiave indicata)\n", u)
	for _, o := range demo.Operators() {
		fmt.Fprintf(w, "    %-10s  password %-20s  chiave TOTP %s  (%s)\n", o.Username, o.Password, o.TOTPSecret, o.Role)
	}
	fmt.Fprintln(w)
}
