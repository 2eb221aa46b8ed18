package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sportello/sportello/internal/config"
	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/db/testdb"
	"github.com/sportello/sportello/internal/demo"
	"github.com/sportello/sportello/internal/identity/spid"
	"github.com/sportello/sportello/internal/tenant"
)

func TestKeysRotate(t *testing.T) {
	ctx := context.Background()
	u := testdb.URL(t)
	d, err := db.Open(ctx, u, db.Options{ConnectTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	if _, err := d.Migrate(ctx, time.Now); err != nil {
		t.Fatal(err)
	}
	if _, err := demo.Seed(ctx, d, time.Now()); err != nil {
		t.Fatal(err)
	}
	e, err := tenant.BySlug(ctx, d, demo.Slug)
	if err != nil {
		t.Fatal(err)
	}
	getenv := func(k string) string {
		if k == "SPORTELLO_DATABASE_URL" {
			return u
		}
		if k == "SPORTELLO_SECRET_KEY" {
			return testSecretKey
		}
		return ""
	}
	for i := 1; i <= 2; i++ {
		var out bytes.Buffer
		err := run(ctx, []string{"keys", "rotate", "--ente", "ala", "--base-url", "https://servizi.comune.ala.example", "--log-level", "error"}, getenv, &out)
		if err != nil {
			t.Fatalf("rotate %d: %v\n%s", i, err, out.String())
		}
		if !strings.Contains(out.String(), "Comune di Ala (ala): nuova chiave SAML") || !strings.Contains(out.String(), "https://servizi.comune.ala.example/spid/metadata") {
			t.Errorf("rotate %d printed:\n%s", i, out.String())
		}
	}
	key, err := base64.StdEncoding.DecodeString(testSecretKey)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := spid.KeyStore{MasterKey: key}.Keys(ctx, d, e.ID, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 2 {
		t.Errorf("after two rotations: %d keys, want 2 (one active, one retired)", len(keys))
	}
	for _, args := range [][]string{{"keys"}, {"keys", "rotate"}, {"keys", "rotate", "--ente", "nessuno"}, {"keys", "turn"}} {
		var out bytes.Buffer
		var ue *config.UsageError
		if err := run(ctx, append(args, "--log-level", "error"), getenv, &out); !errors.As(err, &ue) {
			t.Errorf("%q: %v, want a usage error", args, err)
		}
	}
}
