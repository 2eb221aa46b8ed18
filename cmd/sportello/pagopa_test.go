package main

import (
	"context"
	"database/sql"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/pagopa"
	"github.com/sportello/sportello/internal/pagopa/station"
	"github.com/sportello/sportello/internal/tenant"
)

// TestDemoMountsThePagoPASimulator: the demo serves the simulator under
// /_sim/pagopa, with GPD's key check, and says so in its banner.
func TestDemoMountsThePagoPASimulator(t *testing.T) {
	dir := t.TempDir()
	base, stop := startDemo(t, dir)
	res, err := http.Get(base + "/_sim/pagopa/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(body), "Simulatore pagoPA") {
		t.Errorf("simulator index: %d %q", res.StatusCode, body)
	}
	res, err = http.Get(base + "/_sim/pagopa/gpd/debt-positions-service/v1/organizations/00000000221/debtpositions")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusUnauthorized {
		t.Errorf("GPD without a key: %d, want 401", res.StatusCode)
	}
	// The own station answers the Node: a notice nobody issued is unknown.
	payer := &station.Payer{URL: base + "/pagopa/stazione", BrokerID: simBrokerID, StationID: simStationID}
	unknown, err := pagopa.NewIUV(1, 424242)
	if err != nil {
		t.Fatal(err)
	}
	var fault *station.Fault
	if _, err := payer.Verify(context.Background(), "00000000221", unknown.NAV()); !errors.As(err, &fault) || fault.Code != station.FaultUnknown {
		t.Errorf("verify through the demo's station: %v, want %s", err, station.FaultUnknown)
	}
	// An ente the deployment does not have is refused; once added, while
	// the server runs, the station serves it.
	const newCF = "00000000000"
	if _, err := payer.Verify(context.Background(), newCF, unknown.NAV()); !errors.As(err, &fault) || fault.Code != station.FaultWrongDomain {
		t.Errorf("verify for an ente not in the deployment: %v, want %s", err, station.FaultWrongDomain)
	}
	d, err := db.Open(context.Background(), "sqlite://"+filepath.Join(dir, "sportello.db"), db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	err = d.InTx(context.Background(), func(tx *sql.Tx) error {
		return tenant.Create(context.Background(), tx, &tenant.Ente{Slug: "avio", Name: "Comune di Avio", IstatCode: "022007",
			Belfiore: "A520", IPACode: "c_a520", FiscalCode: newCF, Province: "TN", Hosts: []string{"avio.example"},
			Offices: []tenant.Office{{Slug: "anagrafe", Name: "Anagrafe"}}}, time.Now())
	})
	d.Close()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := payer.Verify(context.Background(), newCF, unknown.NAV()); !errors.As(err, &fault) || fault.Code != station.FaultUnknown {
		t.Errorf("verify for the ente added meanwhile: %v, want %s", err, station.FaultUnknown)
	}
	out, err := stop()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "Simulatore pagoPA: "+base+"/_sim/pagopa/") {
		t.Errorf("the banner does not name the simulator:\n%s", out)
	}
}

// TestSimulateCommand serves the simulator alone until cancelled.
func TestSimulateCommand(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	var out syncBuffer
	go func() {
		done <- simulateCommand(ctx, []string{"pagopa", "--addr", "127.0.0.1:0", "--key", "k"}, &out, func(a string) { ready <- a })
	}()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("simulate stopped: %v", err)
	}
	req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/gpd/debt-positions-service/v1/organizations/00000000221/debtpositions", nil)
	req.Header.Set("Ocp-Apim-Subscription-Key", "k")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Errorf("list positions: %d", res.StatusCode)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("simulate returned %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("simulate did not stop")
	}
	if err := run(context.Background(), []string{"simulate", "nothing"}, noEnv, io.Discard); err == nil {
		t.Error("simulate of an unknown simulator succeeded")
	}
}
