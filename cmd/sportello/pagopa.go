package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/sportello/sportello/internal/config"
	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/logging"
	"github.com/sportello/sportello/internal/pagopa/checkout"
	"github.com/sportello/sportello/internal/pagopa/fdr"
	"github.com/sportello/sportello/internal/pagopa/gpd"
	"github.com/sportello/sportello/internal/pagopa/spec"
	"github.com/sportello/sportello/internal/pagopa/station"
	"github.com/sportello/sportello/internal/payment"
	pagopasim "github.com/sportello/sportello/internal/sim/pagopa"
	"github.com/sportello/sportello/internal/tenant"
)

// simKey is the subscription key of the mounted simulator when none is
// configured: the simulator accepts any key, the client needs one.
const simKey = "simulatore"

// connectPagoPA gives the payment service its clients: to the platform as
// configured or, with the simulator on and no GPD URL, to the simulator
// mounted on this very server at addr — through the same clients and HTTP.
// It returns the simulator to mount, or nil.
func connectPagoPA(svc *payment.Service, cfg *config.Config, addr string, log *slog.Logger) (*pagopasim.Sim, error) {
	p := cfg.PagoPA
	var sim *pagopasim.Sim
	if p.Sim && p.PositionsURL == "" {
		base := localURL(addr) + "/_sim/pagopa"
		p.PositionsURL = base + "/gpd/debt-positions-service/v1"
		p.ReceiptsURL = cmp.Or(p.ReceiptsURL, base+"/gpd/payments-receipts-service/v1")
		p.CheckoutURL = cmp.Or(p.CheckoutURL, base+"/checkout/ec/v1")
		p.FdRURL = cmp.Or(p.FdRURL, base+"/fdr-org/service/v1")
		p.Key = cmp.Or(p.Key, simKey)
		sim = pagopasim.New(pagopasim.Options{Key: p.Key, BrokerID: p.BrokerID, StationID: p.StationID, AutoFlows: true, Logger: log})
	}
	if p.ReceiptsURL == "" || p.Key == "" {
		return nil, &config.UsageError{Err: errors.New("pagoPA: --pagopa-receipts-url and --pagopa-key are required with --pagopa-gpd-url")}
	}
	g, err := gpd.New(gpd.Options{PositionsURL: p.PositionsURL, ReceiptsURL: p.ReceiptsURL, Key: p.Key})
	if err != nil {
		return nil, &config.UsageError{Err: err}
	}
	svc.GPD = g
	if p.CheckoutURL != "" {
		c, err := checkout.New(checkout.Options{URL: p.CheckoutURL, Key: p.Key})
		if err != nil {
			return nil, &config.UsageError{Err: err}
		}
		svc.Checkout = c
	}
	if p.FdRURL != "" {
		c, err := fdr.New(fdr.Options{URL: p.FdRURL, Key: p.Key})
		if err != nil {
			return nil, &config.UsageError{Err: err}
		}
		svc.FdR = c
	}
	log.Info("pagoPA connected", "gpd", p.PositionsURL, "checkout", p.CheckoutURL, "fdr", p.FdRURL, "simulator", sim != nil)
	return sim, nil
}

// Simulated ids of the intermediary and station, for the demo's own
// station when none is configured (the simulator's defaults).
const (
	simBrokerID  = "15376371009"
	simStationID = "15376371009_01"
)

// ownStation builds the ente's own pagoPA station over the payments store,
// for every ente of the deployment (by fiscal code), and, in the demo,
// points the simulator's payer at a counter to it, at addr. Production
// needs the broker and station ids the pagoPA back office registered.
func ownStation(ctx context.Context, d *db.DB, svc *payment.Service, cfg *config.Config, sim *pagopasim.Sim, addr string, log *slog.Logger) (*station.Station, error) {
	p := cfg.PagoPA
	if sim != nil {
		p.BrokerID, p.StationID = cmp.Or(p.BrokerID, simBrokerID), cmp.Or(p.StationID, simStationID)
	}
	if p.BrokerID == "" || p.StationID == "" {
		return nil, &config.UsageError{Err: errors.New("pagoPA: --pagopa-broker and --pagopa-station are required with --pagopa-own-station")}
	}
	schema, err := spec.Schema()
	if err != nil {
		return nil, err
	}
	// Each request's idPA is looked up when it arrives, so that a comune
	// added while the server runs is served at once.
	serves := func(ctx context.Context, idPA string) (bool, error) { return tenant.HasFiscalCode(ctx, d, idPA) }
	st := &station.Station{BrokerID: p.BrokerID, StationID: p.StationID, Serves: serves,
		Positions: &payment.Station{DB: d, Calendar: svc.Calendar}, Schema: schema, Log: log}
	if sim != nil {
		sim.SetStation(localURL(addr) + stationPath)
	}
	log.Info("pagoPA own station", "path", stationPath, "broker", p.BrokerID, "station", p.StationID)
	return st, nil
}

// stationPath is where the web server serves the own station.
const stationPath = "/pagopa/stazione"

// localURL is the base URL of this server as reached from itself.
func localURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// simulateUsage describes `sportello simulate`.
const simulateUsage = `Usage: sportello simulate pagopa [--addr host:port] [--key KEY]

Serves the pagoPA simulator alone (GPD, receipts, Checkout, reconciliation
flows, fault injection): point a sportello at it with
--pagopa-gpd-url http://ADDR/gpd/debt-positions-service/v1,
--pagopa-receipts-url http://ADDR/gpd/payments-receipts-service/v1,
--pagopa-checkout-url http://ADDR/checkout/ec/v1,
--pagopa-fdr-url http://ADDR/fdr-org/service/v1 and the same --pagopa-key.
See docs/pagopa.md.
`

// simulateCommand runs `sportello simulate pagopa`.
func simulateCommand(ctx context.Context, args []string, stdout io.Writer, ready func(addr string)) error {
	if len(args) == 0 || args[0] != "pagopa" {
		fmt.Fprint(stdout, simulateUsage)
		if len(args) > 0 && (args[0] == "help" || args[0] == "--help" || args[0] == "-h") {
			return nil
		}
		return &config.UsageError{Err: errors.New("simulate: want the name of a simulator: pagopa")}
	}
	fs := flag.NewFlagSet("sportello simulate pagopa", flag.ContinueOnError)
	fs.SetOutput(stdout)
	addr := fs.String("addr", "127.0.0.1:8090", "address to listen on (host:port)")
	key := fs.String("key", "", "subscription key the GPD calls must carry (default: any)")
	strict := fs.Bool("strict", false, "refuse notice numbers with wrong check digits")
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return &config.UsageError{Err: err}
	}
	log := logging.New(stdout, slog.LevelInfo, "text")
	sim := pagopasim.New(pagopasim.Options{Key: *key, StrictCheckDigits: *strict, AutoFlows: true, Logger: log})
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", *addr, err)
	}
	srv := &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	fmt.Fprintf(stdout, "pagoPA simulator on http://%s/ (Ctrl+C to stop)\n", ln.Addr())
	if ready != nil {
		ready(ln.Addr().String())
	}
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(shut)
}
