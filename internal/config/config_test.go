package config

import (
	"bytes"
	"errors"
	"flag"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestLoad(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want Config
	}{
		{
			name: "defaults",
			want: Config{
				Mode: Production, Addr: "127.0.0.1:8080", DataDir: "./data",
				DatabaseURL: "sqlite://data/sportello.db", BlobURL: "file://data/blobs",
				BaseURL: "http://127.0.0.1:8080", LogLevel: slog.LevelInfo, LogFormat: "text",
				ShutdownTimeout: 25 * time.Second, DatabaseTimeout: 30 * time.Second, JobWorkers: 4,
				PagoPA: PagoPA{PollInterval: time.Minute},
			},
		},
		{
			name: "environment",
			env: map[string]string{
				"SPORTELLO_ADDR": ":9000", "SPORTELLO_DATA_DIR": "/srv/s",
				"SPORTELLO_DATABASE_URL": "postgres://u:p@db/s", "SPORTELLO_LOG_LEVEL": "debug",
				"SPORTELLO_LOG_FORMAT": "json", "SPORTELLO_BASE_URL": "https://servizi.comune.ala.tn.it/",
				"SPORTELLO_TRUST_PROXY": "true", "SPORTELLO_JOB_WORKERS": "0",
				"SPORTELLO_PAGOPA_GPD_URL":      "https://api.platform.pagopa.it/gpd/debt-positions-service/v1/",
				"SPORTELLO_PAGOPA_RECEIPTS_URL": "https://api.platform.pagopa.it/gpd/payments-receipts-service/v1",
				"SPORTELLO_PAGOPA_CHECKOUT_URL": "https://api.platform.pagopa.it/checkout/ec/v1",
				"SPORTELLO_PAGOPA_KEY":          "0123456789abcdef", "SPORTELLO_PAGOPA_BROKER_ID": "00299740228",
				"SPORTELLO_PAGOPA_STATION_ID": "00299740228_01", "SPORTELLO_PAGOPA_POLL_INTERVAL": "30s",
				"SPORTELLO_PAGOPA_OWN_STATION": "true",
				"SPORTELLO_PAGOPA_FDR_URL":     "https://api.platform.pagopa.it/fdr-org/service/v1",
			},
			want: Config{
				Mode: Production, Addr: ":9000", DataDir: "/srv/s",
				DatabaseURL: "postgres://u:p@db/s", BlobURL: "file:///srv/s/blobs",
				BaseURL: "https://servizi.comune.ala.tn.it", LogLevel: slog.LevelDebug, LogFormat: "json",
				ShutdownTimeout: 25 * time.Second, DatabaseTimeout: 30 * time.Second, JobWorkers: 0, TrustProxy: true,
				PagoPA: PagoPA{PositionsURL: "https://api.platform.pagopa.it/gpd/debt-positions-service/v1",
					ReceiptsURL: "https://api.platform.pagopa.it/gpd/payments-receipts-service/v1",
					CheckoutURL: "https://api.platform.pagopa.it/checkout/ec/v1", Key: "0123456789abcdef",
					BrokerID: "00299740228", StationID: "00299740228_01", PollInterval: 30 * time.Second, OwnStation: true,
					FdRURL: "https://api.platform.pagopa.it/fdr-org/service/v1"},
			},
		},
		{
			name: "flags win over environment",
			args: []string{"--addr", "0.0.0.0:80", "--data=/d", "--trust-proxy", "--shutdown-timeout", "3s"},
			env:  map[string]string{"SPORTELLO_ADDR": ":9000"},
			want: Config{
				Mode: Production, Addr: "0.0.0.0:80", DataDir: "/d",
				DatabaseURL: "sqlite:///d/sportello.db", BlobURL: "file:///d/blobs",
				BaseURL: "http://0.0.0.0:80", LogLevel: slog.LevelInfo, LogFormat: "text",
				ShutdownTimeout: 3 * time.Second, DatabaseTimeout: 30 * time.Second, JobWorkers: 4, TrustProxy: true,
				PagoPA: PagoPA{PollInterval: time.Minute},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Load("serve", Production, tc.args, env(tc.env), &bytes.Buffer{})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, *got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		env      map[string]string
		wantName string
	}{
		{"unknown flag", []string{"--nope"}, nil, "nope"},
		{"bad addr flag", []string{"--addr", "8080"}, nil, "-addr"},
		{"bad addr env", nil, map[string]string{"SPORTELLO_ADDR": "x"}, "SPORTELLO_ADDR"},
		{"bad database", []string{"--database", "mysql://x"}, nil, "-database"},
		{"bad log level", []string{"--log-level", "loud"}, nil, "-log-level"},
		{"bad format env", nil, map[string]string{"SPORTELLO_LOG_FORMAT": "xml"}, "SPORTELLO_LOG_FORMAT"},
		{"bad workers", []string{"--job-workers", "-1"}, nil, "-job-workers"},
		{"bad base url", []string{"--base-url", "ftp://x"}, nil, "-base-url"},
		{"bad timeout", []string{"--shutdown-timeout", "0s"}, nil, "-shutdown-timeout"},
		{"stray argument", []string{"extra"}, nil, "extra"},
		{"short secret key", []string{"--secret-key", "c2hvcnQ="}, nil, "-secret-key"},
		{"secret key not base64", nil, map[string]string{"SPORTELLO_SECRET_KEY": "not base64!"}, "SPORTELLO_SECRET_KEY"},
		{"test idp in production", []string{"--test-idp"}, nil, "production"},
		{"pagopa simulator in production", []string{"--pagopa-sim"}, nil, "production"},
		{"bad gpd url", nil, map[string]string{"SPORTELLO_PAGOPA_GPD_URL": "api.platform.pagopa.it"}, "SPORTELLO_PAGOPA_GPD_URL"},
		{"short poll", []string{"--pagopa-poll", "10ms"}, nil, "-pagopa-poll"},
		{"own station not a boolean", nil, map[string]string{"SPORTELLO_PAGOPA_OWN_STATION": "si"}, "SPORTELLO_PAGOPA_OWN_STATION"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load("serve", Production, tc.args, env(tc.env), &bytes.Buffer{})
			var ue *UsageError
			if !errors.As(err, &ue) {
				t.Fatalf("err = %v, want a UsageError", err)
			}
			if !strings.Contains(err.Error(), tc.wantName) {
				t.Errorf("error %q does not name %q", err, tc.wantName)
			}
		})
	}
}

func TestHelpListsEverySetting(t *testing.T) {
	var out bytes.Buffer
	_, err := Load("serve", Production, []string{"--help"}, env(nil), &out)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("err = %v, want flag.ErrHelp", err)
	}
	for _, s := range settings() {
		for _, want := range []string{"--" + s.flag, s.env, s.help} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("help lacks %q", want)
			}
		}
	}
}

func TestPrintMasksSecrets(t *testing.T) {
	cfg, err := Load("serve", Production, []string{
		"--secret-key", "Zm9ydHktdHdvLWZvcnR5LXR3by1mb3J0eS10d28tISE=",
		"--database", "postgres://sportello:s3cr3t@db:5432/s?sslmode=disable&password=other",
		"--blobs", "s3://AKIA:topsecret@minio:9000/docs",
	}, env(nil), &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	cfg.Print(&out)
	for _, secret := range []string{"s3cr3t", "topsecret", "other", "Zm9ydHktdHdv"} {
		if strings.Contains(out.String(), secret) {
			t.Errorf("printed config reveals %q:\n%s", secret, out.String())
		}
	}
	if !strings.Contains(out.String(), "postgres://sportello:xxxxx@db:5432/s") {
		t.Errorf("printed config lost the database address:\n%s", out.String())
	}
	for _, a := range cfg.Attrs() {
		if s := a.(slog.Attr).Value.String(); strings.Contains(s, "s3cr3t") || strings.Contains(s, "topsecret") {
			t.Errorf("log attributes reveal a secret: %v", a)
		}
	}
}

func TestSecretKeyAndTestIdP(t *testing.T) {
	key := "Zm9ydHktdHdvLWZvcnR5LXR3by1mb3J0eS10d28tISE="
	prod, err := Load("serve", Production, []string{"--secret-key", key}, env(nil), &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if len(prod.SecretKey) != 32 || prod.TestIdP {
		t.Errorf("production: key %d bytes, test IdP %v; want 32 bytes and no test IdP", len(prod.SecretKey), prod.TestIdP)
	}
	if err := prod.RequireSecretKey(); err != nil {
		t.Errorf("RequireSecretKey with a key: %v", err)
	}
	bare, err := Load("serve", Production, nil, env(nil), &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	var ue *UsageError
	if err := bare.RequireSecretKey(); !errors.As(err, &ue) {
		t.Errorf("RequireSecretKey without a key = %v, want a UsageError", err)
	}
	demo, err := Load("demo", Demo, nil, env(nil), &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if !demo.TestIdP {
		t.Error("the demo does not mount the test IdP by default")
	}
	if !demo.PagoPA.Sim || !demo.PagoPA.Enabled() {
		t.Error("the demo does not mount the pagoPA simulator by default")
	}
	off, err := Load("demo", Demo, []string{"--test-idp=false"}, env(nil), &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if off.TestIdP {
		t.Error("--test-idp=false left the test IdP on")
	}
}
