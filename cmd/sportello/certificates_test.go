package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sportello/sportello/internal/blob"
	"github.com/sportello/sportello/internal/certificate"
	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/db/testdb"
	"github.com/sportello/sportello/internal/demo"
	"github.com/sportello/sportello/internal/identity"
	"github.com/sportello/sportello/internal/protocol"
	"github.com/sportello/sportello/internal/registry"
	"github.com/sportello/sportello/internal/tenant"
)

// TestRegistryAndVerify imports a registry file through the command,
// exports it, issues a certificate and verifies it offline, then a
// tampered copy.
func TestRegistryAndVerify(t *testing.T) {
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
		return ""
	}
	dir := t.TempDir()
	csv := filepath.Join(dir, "anagrafe.csv")
	file := strings.Join(registry.Columns, ",") + "\n" +
		"000001,famiglia,Via Nuova,22,,38061,,0,TMSMRC79E03H612A,Tomasi,Marco,M,1979-05-03,H612,,ITA,1,,,,1,residente,2,0,2006-06-10,\n"
	if err := os.WriteFile(csv, []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := run(ctx, []string{"registry", "import", "--ente", "ala", "--log-level", "error", csv}, getenv, &out); err != nil {
		t.Fatalf("import: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "1 rows: 1 persons in 1 households, 0 rejected") || !strings.Contains(out.String(), "write [####") {
		t.Errorf("import printed:\n%s", out.String())
	}
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte(strings.Replace(file, "H612A", "H612B", 1)), 0o600)
	out.Reset()
	if err := run(ctx, []string{"registry", "import", "--ente", "ala", "--log-level", "error", bad}, getenv, &out); err == nil ||
		!strings.Contains(out.String(), "line 2: codice fiscale non valido") {
		t.Errorf("a bad file: %v\n%s", err, out.String())
	}
	out.Reset()
	if err := run(ctx, []string{"registry", "export", "--ente", "ala", "--log-level", "error"}, getenv, &out); err != nil {
		t.Fatal(err)
	}
	if out.String() != file {
		t.Errorf("export:\n%s\nwant:\n%s", out.String(), file)
	}

	// Issue a certificate and publish the keys as the site does.
	blobs, err := blob.NewFS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	keys, err := certificate.NewKeyStore(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	is := &certificate.Issuer{DB: d, Registrar: protocol.Builtin{}, Blobs: blobs, Keys: keys}
	op, err := identity.CreateOperator(ctx, d, e.ID, identity.OperatorInput{Username: "sportello", Name: "Operatore",
		Password: "correct horse battery staple", Grants: []identity.Grant{{Role: identity.RoleDesk}}}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	res, err := is.Issue(ctx, certificate.Order{Ente: e, Channel: certificate.Desk, HolderCF: "TMSMRC79E03H612A", Operator: op.ID,
		Kinds: certificate.Kinds{certificate.Residence}, Requester: "Marco Tomasi, C.I. CA00000AA", StampID: "01234567890123",
		VerifyURL: "https://ala.example/verifica"})
	if err != nil {
		t.Fatal(err)
	}
	published, err := certificate.Published(ctx, d, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	doc, _ := json.Marshal(certificate.NewKeysDocument(e, published))
	keysFile, pdfFile, tampered := filepath.Join(dir, "keys.json"), filepath.Join(dir, "c.pdf"), filepath.Join(dir, "t.pdf")
	os.WriteFile(keysFile, doc, 0o600)
	os.WriteFile(pdfFile, res.PDF, 0o600)
	os.WriteFile(tampered, bytes.Replace(res.PDF, []byte("(Tomasi Marco)"), []byte("(Tomasi Mirco)"), 1), 0o600)
	out.Reset()
	if err := run(ctx, []string{"verify", "--keys", keysFile, pdfFile}, getenv, &out); err != nil {
		t.Fatalf("verify: %v\n%s", err, out.String())
	}
	for _, want := range []string{"Firma PAdES:   valida", "Contrassegno:  valida", "Codice:        " + res.Certificate.Code, "Esito:         valido"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("verify printed no %q:\n%s", want, out.String())
		}
	}
	out.Reset()
	if err := run(ctx, []string{"verify", "--keys", keysFile, tampered}, getenv, &out); err == nil ||
		!strings.Contains(out.String(), "Modificato:    testo della pagina 1") {
		t.Errorf("a tampered file: %v\n%s", err, out.String())
	}
}
