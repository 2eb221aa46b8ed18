package rating_test

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/db/testdb"
	"github.com/sportello/sportello/internal/rating"
	"github.com/sportello/sportello/internal/tenant"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		r    rating.Rating
		ok   bool
	}{
		{"minimal", rating.Rating{Page: "/", Stars: 1}, true},
		{"full", rating.Rating{Page: "/servizi", Stars: 5, Answer: 5, Comment: "Chiaro"}, true},
		{"no stars", rating.Rating{Page: "/", Stars: 0}, false},
		{"six stars", rating.Rating{Page: "/", Stars: 6}, false},
		{"bad answer", rating.Rating{Page: "/", Stars: 3, Answer: 6}, false},
		{"external page", rating.Rating{Page: "https://evil.example/", Stars: 3}, false},
		{"long comment", rating.Rating{Page: "/", Stars: 3, Comment: strings.Repeat("à", 201)}, false},
		{"comment of 200 letters", rating.Rating{Page: "/", Stars: 3, Comment: strings.Repeat("à", 200)}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.r.Validate()
			if (err == nil) != tc.ok {
				t.Errorf("Validate() = %v, want ok=%v", err, tc.ok)
			}
			if err != nil && !apperr.Is(err, apperr.Invalid) {
				t.Errorf("Validate() kind = %v, want Invalid", apperr.KindOf(err))
			}
		})
	}
	if (rating.Rating{Stars: 3}).Positive() || !(rating.Rating{Stars: 4}).Positive() {
		t.Error("the positive threshold is not 4 stars")
	}
}

func TestSummariesPerEnte(t *testing.T) {
	ctx := context.Background()
	d := testdb.Open(t)
	now := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	var enti []*tenant.Ente
	for i, slug := range []string{"ala", "avio"} {
		e := &tenant.Ente{Slug: slug, Name: slug, IstatCode: "02200" + string(rune('1'+i)), Belfiore: "A116",
			IPACode: "c_" + slug, FiscalCode: "00000000000", Hosts: []string{slug + ".example"}}
		if err := d.InTx(ctx, func(tx *sql.Tx) error { return tenant.Create(ctx, tx, e, now) }); err != nil {
			t.Fatal(err)
		}
		enti = append(enti, e)
	}
	for _, r := range []rating.Rating{
		{Ente: enti[0].ID, Page: "/", Stars: 5, Answer: 1},
		{Ente: enti[0].ID, Page: "/", Stars: 2, Answer: 4, Comment: "lento"},
		{Ente: enti[0].ID, Page: "/servizi", Stars: 4},
		{Ente: enti[1].ID, Page: "/", Stars: 1},
	} {
		r.Created = now
		if err := rating.Create(ctx, d, &r); err != nil {
			t.Fatal(err)
		}
	}
	got, err := rating.Summaries(ctx, d, enti[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	want := []rating.Summary{{Page: "/", Count: 2, Average: 3.5}, {Page: "/servizi", Count: 1, Average: 4}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Summaries(ala) mismatch (-want +got):\n%s", diff)
	}
	got, err = rating.Summaries(ctx, d, enti[1].ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]rating.Summary{{Page: "/", Count: 1, Average: 1}}, got); diff != "" {
		t.Errorf("Summaries(avio) mismatch (-want +got):\n%s", diff)
	}
}
