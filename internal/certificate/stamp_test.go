package certificate_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/certificate"
	"github.com/sportello/sportello/internal/tenant"
)

func TestDuties(t *testing.T) {
	f := setup(t)
	tests := []struct {
		name      string
		settings  *certificate.Settings
		order     func() certificate.Order
		wantStamp certificate.Stamp
		wantFee   int64
		wantErr   apperr.Kind
	}{
		{"desk, stamp and fees", nil, func() certificate.Order { return f.desk(cfMarco, certificate.Residence) },
			certificate.Stamp{Cents: 1600, ID: "01234567890123"}, 52, 0},
		{"desk, exempt: half fees", nil, func() certificate.Order {
			o := f.desk(cfMarco, certificate.Residence)
			o.Exemption, o.StampID = 1, ""
			return o
		}, certificate.Stamp{Exemption: 1}, 26, 0},
		{"desk, exempt without fees (code 7)", nil, func() certificate.Order {
			o := f.desk(cfMarco, certificate.Residence)
			o.Exemption = 7
			return o
		}, certificate.Stamp{Exemption: 7}, 0, 0},
		{"desk, stato civile is exempt by law", nil, func() certificate.Order {
			o := f.desk(cfMarco, certificate.CivilStatus)
			o.RequesterCF = cfMarco
			return o
		}, certificate.Stamp{}, 52, 0},
		{"desk, no stamp number", nil, func() certificate.Order {
			o := f.desk(cfMarco, certificate.Residence)
			o.StampID = "123"
			return o
		}, certificate.Stamp{}, 0, apperr.Invalid},
		{"code 99 without text", nil, func() certificate.Order {
			o := f.desk(cfMarco, certificate.Residence)
			o.Exemption = 99
			return o
		}, certificate.Stamp{}, 0, apperr.Invalid},
		{"code 99 with text", nil, func() certificate.Order {
			o := f.desk(cfMarco, certificate.Residence)
			o.Exemption, o.ExemptionText = 99, "uso per pratica consolare"
			return o
		}, certificate.Stamp{Exemption: 99, ExemptionText: "uso per pratica consolare"}, 26, 0},
		{"code 99 with 257 characters", nil, func() certificate.Order {
			o := f.desk(cfMarco, certificate.Residence)
			o.Exemption, o.ExemptionText = 99, strings.Repeat("è", 257)
			return o
		}, certificate.Stamp{}, 0, apperr.Invalid},
		{"unknown exemption", nil, func() certificate.Order {
			o := f.desk(cfMarco, certificate.Residence)
			o.Exemption = 42
			return o
		}, certificate.Stamp{}, 0, apperr.Invalid},
		{"online, free by the ente's choice", &certificate.Settings{StampCents: 1600, StampDesk: true, FeeDeskCents: 52},
			func() certificate.Order { return f.online(cfMarco, certificate.Residence) }, certificate.Stamp{}, 0, 0},
		{"online, stamp due, no payer", nil, func() certificate.Order { return f.online(cfMarco, certificate.Residence) },
			certificate.Stamp{}, 0, apperr.Forbidden},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			set := certificate.DefaultSettings()
			if tc.settings != nil {
				set = *tc.settings
			}
			if err := certificate.SaveSettings(ctx, f.d, f.ala.ID, set); err != nil {
				t.Fatal(err)
			}
			res, err := f.issuer.Issue(ctx, tc.order())
			if tc.wantErr != 0 {
				var refusal *certificate.Refusal
				if !(apperr.Is(err, tc.wantErr) || tc.wantErr == apperr.Forbidden && errors.As(err, &refusal)) {
					t.Fatalf("Issue = %v, want %s", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.wantStamp, res.Certificate.Stamp); diff != "" || res.Certificate.FeeCents != tc.wantFee {
				t.Errorf("stamp mismatch (-want +got):\n%s fee %d, want %d", diff, res.Certificate.FeeCents, tc.wantFee)
			}
			// What is printed says so.
			got, err := certificate.Get(ctx, f.d, f.ala.ID, res.Certificate.ID)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(res.Certificate.Stamp, got.Stamp); diff != "" {
				t.Errorf("stored stamp mismatch (-issued +stored):\n%s", diff)
			}
		})
	}
}

// payer is a StampPayer that records what it was asked, as the pagoPA
// integration would start an @e.bollo payment.
type payer struct {
	code   string
	digest [32]byte
	cents  int64
}

func (p *payer) RequestStamp(_ context.Context, _ tenant.ID, code string, digest [32]byte, cents int64, returnTo string) (string, error) {
	p.code, p.digest, p.cents = code, digest, cents
	return "https://checkout.example/pay?code=" + code, nil
}

func TestStampAwaitingPayment(t *testing.T) {
	f := setup(t)
	pay := &payer{}
	f.issuer.Payer = pay
	res, err := f.issuer.Issue(ctx, f.online(cfChiara, certificate.Family))
	if err != nil {
		t.Fatal(err)
	}
	c := res.Certificate
	if c.State != certificate.AwaitingStamp || res.PDF != nil || c.Stamp.Cents != 1600 || c.ProtocolNumber != 0 {
		t.Fatalf("before payment: %+v", c)
	}
	// Nothing verifies while the stamp is unpaid.
	if st := c.StatusOn(c.ValidUntil); st != certificate.StatusPending {
		t.Errorf("status before payment: %s", st)
	}
	if _, err := certificate.Open(ctx, f.blobs, c); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("the file of an unpaid certificate: %v", err)
	}
	if _, err := f.issuer.CompleteStamp(ctx, f.ala, c.Code, "", "https://ala.example/verifica"); !apperr.Is(err, apperr.Invalid) {
		t.Errorf("completion without the stamp's id: %v", err)
	}
	// The receipt arrives: the certificate is issued with the stamp's id.
	done, err := f.issuer.CompleteStamp(ctx, f.ala, pay.code, "01234567890123456789", "https://ala.example/verifica")
	if err != nil {
		t.Fatal(err)
	}
	if done.Certificate.State != certificate.Issued || done.Certificate.ProtocolNumber == 0 || done.Certificate.Stamp.ID == "" {
		t.Errorf("after payment: %+v", done.Certificate)
	}
	if pay.digest != certificate.StampDigest(done.Certificate) {
		t.Error("the payment was not bound to the certificate's digest")
	}
	if v := certificate.Verify(done.PDF, f.keys(t)); !v.OK() {
		t.Errorf("the paid certificate: %v", v.Problems)
	}
	if text := pdfText(t, done.PDF); text != "" && !strings.Contains(text, "@e.bollo, identificativo 01234567890123456789") {
		t.Errorf("the stamp line is missing from the PDF")
	}
	// A second receipt for the same certificate is a conflict.
	if _, err := f.issuer.CompleteStamp(ctx, f.ala, pay.code, "01234567890123456789", "https://ala.example/verifica"); !apperr.Is(err, apperr.Conflict) {
		t.Errorf("second completion: %v", err)
	}
	// Another ente does not know the code.
	if _, err := certificate.ByCode(ctx, f.d, f.avio.ID, pay.code); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("another ente's lookup: %v", err)
	}
	if _, err := certificate.Get(ctx, f.d, f.avio.ID, c.ID); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("another ente's get: %v", err)
	}
}

// TestRevoke: a reason is required, another ente cannot reach the
// certificate, a revocation is registered in the protocol and audited in
// its transaction, and a certificate is revoked once.
func TestRevoke(t *testing.T) {
	f := setup(t)
	res, err := f.issuer.Issue(ctx, f.desk(cfMarco, certificate.Residence))
	if err != nil {
		t.Fatal(err)
	}
	id := res.Certificate.ID
	audited := 0
	in := func(reason string) certificate.RevokeInput {
		return certificate.RevokeInput{Operator: f.clerk, Reason: reason,
			Audit: func(context.Context, *sql.Tx, *certificate.Certificate, time.Time) error { audited++; return nil }}
	}
	tests := []struct {
		name string
		ente *tenant.Ente
		in   certificate.RevokeInput
		want apperr.Kind
	}{
		{"another ente", f.avio, in("errore"), apperr.NotFound},
		{"no reason", f.ala, in("   "), apperr.Invalid},
		{"reason too long", f.ala, in(strings.Repeat("x", 301)), apperr.Invalid},
		{"by nobody", f.ala, certificate.RevokeInput{Reason: "errore"}, apperr.Invalid},
		{"revoked", f.ala, in("indirizzo errato"), 0},
		{"twice", f.ala, in("indirizzo errato"), apperr.Conflict},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.issuer.Revoke(ctx, tc.ente, id, tc.in)
			if tc.want == 0 && err != nil || tc.want != 0 && !apperr.Is(err, tc.want) {
				t.Fatalf("Revoke = %v, want %v", err, tc.want)
			}
		})
	}
	c, err := certificate.Get(ctx, f.d, f.ala.ID, id)
	if err != nil {
		t.Fatal(err)
	}
	if c.StatusOn(res.Certificate.ValidUntil) != certificate.StatusRevoked || c.RevokeReason != "indirizzo errato" ||
		c.RevokedBy != f.clerk || audited != 1 {
		t.Errorf("after revocation: %s, reason %q, by %d, audited %d", c.StatusOn(res.Certificate.ValidUntil), c.RevokeReason, c.RevokedBy, audited)
	}
	var subject string
	err = f.d.QueryRowContext(ctx, `SELECT subject FROM protocol_entry WHERE ente_id = $1 AND year = $2 AND number = $3`,
		f.ala.ID, c.RevokeProtocolYear, c.RevokeProtocolNumber).Scan(&subject)
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("Revoca del certificato anagrafico 8 n. %s (prot. %d/%07d): indirizzo errato", c.Code, c.ProtocolYear, c.ProtocolNumber)
	if subject != want {
		t.Errorf("protocol subject %q, want %q", subject, want)
	}
}

// TestSettings: the settings round-trip, are validated, and steer the
// duties per type and the exemptions online.
func TestSettings(t *testing.T) {
	f := setup(t)
	got, err := certificate.GetSettings(ctx, f.d, f.ala.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(certificate.DefaultSettings(), got); diff != "" {
		t.Errorf("defaults mismatch (-want +got):\n%s", diff)
	}
	bad := []struct {
		name  string
		set   certificate.Settings
		field string
	}{
		{"negative stamp", certificate.Settings{StampCents: -1}, "bollo"},
		{"fee above 1000 euro", certificate.Settings{FeeDeskCents: 100001}, "diritti_sportello"},
		{"unknown type", certificate.Settings{ExemptTypes: certificate.Kinds{2}}, "esenti"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			err := certificate.SaveSettings(ctx, f.d, f.ala.ID, tc.set)
			var fe *certificate.FieldError
			if !errors.As(err, &fe) || fe.Field != tc.field || !apperr.Is(err, apperr.Invalid) {
				t.Errorf("SaveSettings = %v, want a FieldError on %s", err, tc.field)
			}
		})
	}
	// Residence exempt by type, no exemptions online.
	set := certificate.Settings{StampCents: 1600, StampOnline: true, StampDesk: true, FeeDeskCents: 52,
		ExemptTypes: certificate.Kinds{certificate.Residence, certificate.CivilStatus}}
	if err := certificate.SaveSettings(ctx, f.d, f.ala.ID, set); err != nil {
		t.Fatal(err)
	}
	if got, err = certificate.GetSettings(ctx, f.d, f.ala.ID); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(set, got); diff != "" {
		t.Errorf("stored settings mismatch (-want +got):\n%s", diff)
	}
	res, err := f.issuer.Issue(ctx, f.online(cfMarco, certificate.Residence))
	if err != nil || res.Certificate.Stamp.Cents != 0 {
		t.Fatalf("residence exempt by type: %v %+v", err, res)
	}
	// Residence with stato di famiglia: the family part owes the stamp.
	if _, err := f.issuer.Issue(ctx, f.online(cfMarco, certificate.Residence, certificate.Family)); err == nil {
		t.Errorf("a contestuale with a type that owes the stamp was issued without a payer")
	}
	o := f.online(cfMarco, certificate.Family)
	o.Exemption = 3
	if _, err := f.issuer.Issue(ctx, o); !apperr.Is(err, apperr.Invalid) {
		t.Errorf("exemption online when the ente grants them at the desk only: %v", err)
	}
	d := f.desk(cfMarco, certificate.Family)
	d.Exemption, d.StampID = 3, ""
	if _, err := f.issuer.Issue(ctx, d); err != nil {
		t.Errorf("exemption at the desk: %v", err)
	}
}
