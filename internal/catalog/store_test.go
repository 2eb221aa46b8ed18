package catalog_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/catalog"
	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/db/testdb"
	"github.com/sportello/sportello/internal/identity"
	"github.com/sportello/sportello/internal/tenant"
)

var now = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

// newEnte creates a comune with one administrator and returns both ids.
func newEnte(t *testing.T, d *db.DB, slug, istat string) (tenant.ID, int64) {
	t.Helper()
	ctx := context.Background()
	e := &tenant.Ente{
		Slug: slug, Name: "Comune di " + slug, IstatCode: istat, Belfiore: "A116", IPACode: "c_" + slug,
		FiscalCode: "00000000000", Province: "TN", Hosts: []string{slug + ".example"},
	}
	if err := d.InTx(ctx, func(tx *sql.Tx) error { return tenant.Create(ctx, tx, e, now) }); err != nil {
		t.Fatal(err)
	}
	op, err := identity.CreateOperator(ctx, d, e.ID, identity.OperatorInput{Username: "admin", Name: "Admin",
		Email: "admin@example.org", Password: "una-password-lunga-admin", Grants: []identity.Grant{{Role: identity.RoleAdmin}}}, now)
	if err != nil {
		t.Fatal(err)
	}
	return e.ID, int64(op.ID)
}

// edited returns a copy of the shipped service with a new title.
func edited(t *testing.T, shipped *catalog.Catalog, slug, title string) *catalog.Service {
	t.Helper()
	s, err := shipped.Get(slug)
	if err != nil {
		t.Fatal(err)
	}
	cp := *s
	cp.Title = title
	return &cp
}

func TestPublish(t *testing.T) {
	ctx := context.Background()
	d := testdb.Open(t)
	shipped, err := catalog.Shipped()
	if err != nil {
		t.Fatal(err)
	}
	a, adminA := newEnte(t, d, "ala", "022001")
	b, _ := newEnte(t, d, "avio", "022007")

	// Two publications: versions 2 and 3 (the files are version 1).
	var versions []int
	for i, title := range []string{"CILA – seconda", "CILA – terza"} {
		v, err := catalog.Publish(ctx, d, a, shipped, edited(t, shipped, "cila", title), adminA, now.Add(time.Duration(i)*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		versions = append(versions, v)
	}
	if diff := cmp.Diff([]int{2, 3}, versions); diff != "" {
		t.Errorf("versions mismatch (-want +got):\n%s", diff)
	}

	// An invalid definition is refused and stores nothing.
	bad := edited(t, shipped, "cila", " ")
	if _, err := catalog.Publish(ctx, d, a, shipped, bad, adminA, now); !apperr.Is(err, apperr.Invalid) {
		t.Errorf("invalid definition: err = %v, want Invalid", err)
	}

	// The ente sees its latest version, the other ente the shipped one;
	// the shipped catalogue itself is untouched.
	ca, err := catalog.ForEnte(ctx, d, a, shipped)
	if err != nil {
		t.Fatal(err)
	}
	cb, err := catalog.ForEnte(ctx, d, b, shipped)
	if err != nil {
		t.Fatal(err)
	}
	type seen struct {
		Title   string
		Version int
		N       int
	}
	look := func(c *catalog.Catalog) seen {
		s, err := c.Get("cila")
		if err != nil {
			t.Fatal(err)
		}
		return seen{s.Title, s.Version, len(c.All())}
	}
	orig, _ := shipped.Get("cila")
	n := len(shipped.All())
	got := []seen{look(ca), look(cb), look(shipped)}
	want := []seen{{"CILA – terza", 3, n}, {orig.Title, 1, n}, {orig.Title, 1, n}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("catalogues mismatch (-want +got):\n%s", diff)
	}
	if len(ca.InCategory(orig.Category)) != len(shipped.InCategory(orig.Category)) {
		t.Errorf("the edited service left its category")
	}

	// The list's revisions.
	revs, err := catalog.Published(ctx, d, a)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]catalog.Revision{"cila": {Slug: "cila", Version: 3, By: adminA, At: now.Add(time.Hour)}}, revs); diff != "" {
		t.Errorf("revisions mismatch (-want +got):\n%s", diff)
	}
	if revs, err := catalog.Published(ctx, d, b); err != nil || len(revs) != 0 {
		t.Errorf("other ente's revisions = %v, %v; want none", revs, err)
	}
}

func TestVersion(t *testing.T) {
	ctx := context.Background()
	d := testdb.Open(t)
	shipped, err := catalog.Shipped()
	if err != nil {
		t.Fatal(err)
	}
	a, adminA := newEnte(t, d, "ala", "022001")
	b, _ := newEnte(t, d, "avio", "022007")
	if _, err := catalog.Publish(ctx, d, a, shipped, edited(t, shipped, "cila", "CILA nuova"), adminA, now); err != nil {
		t.Fatal(err)
	}
	orig, _ := shipped.Get("cila")
	tests := []struct {
		name      string
		ente      tenant.ID
		slug      string
		version   int
		wantTitle string
		wantKind  apperr.Kind
	}{
		{"shipped v1", a, "cila", 1, orig.Title, 0},
		{"stored v2", a, "cila", 2, "CILA nuova", 0},
		{"no v3", a, "cila", 3, "", apperr.NotFound},
		{"another ente has only v1", b, "cila", 2, "", apperr.NotFound},
		{"another ente's v1", b, "cila", 1, orig.Title, 0},
		{"unknown service", a, "nope", 1, "", apperr.NotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := catalog.Version(ctx, d, tc.ente, shipped, tc.slug, tc.version)
			if tc.wantKind != 0 {
				if !apperr.Is(err, tc.wantKind) {
					t.Fatalf("err = %v, want %v", err, tc.wantKind)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s.Title != tc.wantTitle || s.Version != tc.version {
				t.Errorf("got %q v%d, want %q v%d", s.Title, s.Version, tc.wantTitle, tc.version)
			}
		})
	}
}

func TestPublishAddsAService(t *testing.T) {
	ctx := context.Background()
	d := testdb.Open(t)
	shipped, err := catalog.Shipped()
	if err != nil {
		t.Fatal(err)
	}
	a, adminA := newEnte(t, d, "ala", "022001")
	svc := edited(t, shipped, "cila", "Biblioteca: iscrizione")
	svc.Slug = "iscrizione-biblioteca"
	v, err := catalog.Publish(ctx, d, a, shipped, svc, adminA, now)
	if err != nil || v != 1 {
		t.Fatalf("Publish = %d, %v; want version 1", v, err)
	}
	c, err := catalog.ForEnte(ctx, d, a, shipped)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(c.All()), len(shipped.All())+1; got != want {
		t.Errorf("the ente's catalogue has %d services, want %d", got, want)
	}
	if _, err := c.Get("iscrizione-biblioteca"); err != nil {
		t.Error(err)
	}
}
