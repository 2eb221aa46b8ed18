package identity_test

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/identity"
	"github.com/sportello/sportello/internal/tenant"
)

func TestStartAndLookupSession(t *testing.T) {
	f := setup(t)
	c := f.login(t, f.ente, cfMario)
	in := identity.SessionInput{IdP: idpPoste, NameID: "_abc", NameQualifier: idpPoste, SessionIndex: "_idx1", Level: 2,
		UserAgent: "Mozilla/5.0 " + strings.Repeat("x", 600), IP: "192.0.2.77:51234"}
	token, s, err := identity.StartSession(ctx, f.d, f.ente, identity.CitizenSubject(c.ID), in, t0)
	wantKind(t, "StartSession", err, ok)
	if raw, err := base64.RawURLEncoding.DecodeString(token); err != nil || len(raw) != 16 {
		t.Errorf("token %q: want 16 random bytes in base64url (err %v)", token, err)
	}
	want := &identity.Session{
		ID: s.ID, Ente: f.ente, Subject: identity.CitizenSubject(c.ID), IdP: idpPoste, NameID: "_abc", NameQualifier: idpPoste,
		SessionIndex: "_idx1", Level: 2, UserAgent: ("Mozilla/5.0 " + strings.Repeat("x", 600))[:512], IP: "192.0.2.0/24",
		CreatedAt: t0, LastSeenAt: t0, ExpiresAt: t0.Add(identity.CitizenMaxAge),
	}
	if diff := cmp.Diff(want, s); diff != "" {
		t.Errorf("StartSession mismatch (-want +got):\n%s", diff)
	}
	var stored int
	if err := f.d.QueryRowContext(ctx, `SELECT count(*) FROM session WHERE token_hash = $1`, token).Scan(&stored); err != nil || stored != 0 {
		t.Errorf("the token is stored in clear (%d rows, err %v)", stored, err)
	}
	got, err := identity.LookupSession(ctx, f.d, f.ente, token, t0.Add(30*time.Second))
	wantKind(t, "LookupSession", err, ok)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("LookupSession mismatch (-want +got):\n%s", diff)
	}
	for _, bad := range []string{"", "nope", strings.Repeat("a", 100), token + "x"} {
		_, err := identity.LookupSession(ctx, f.d, f.ente, bad, t0)
		wantKind(t, "LookupSession("+bad+")", err, apperr.NotFound)
	}
	_, err = identity.LookupSession(ctx, f.d, f.other, token, t0)
	wantKind(t, "LookupSession from another ente", err, apperr.NotFound)

	_, _, err = identity.StartSession(ctx, f.d, f.other, identity.CitizenSubject(c.ID), in, t0)
	wantKind(t, "StartSession for another ente's citizen", err, apperr.NotFound)
	_, _, err = identity.StartSession(ctx, f.d, f.ente, identity.CitizenSubject(c.ID), identity.SessionInput{}, t0)
	wantKind(t, "StartSession without a level", err, apperr.Invalid)
	_, _, err = identity.StartSession(ctx, f.d, f.ente, identity.Subject{Kind: "robot", ID: 1}, in, t0)
	wantKind(t, "StartSession for an unknown kind", err, apperr.Invalid)
	op, _ := f.operator(t, f.ente)
	_, os, err := identity.StartSession(ctx, f.d, f.ente, identity.OperatorSubject(op.ID), identity.SessionInput{IP: "2001:db8:1:2::7"}, t0)
	wantKind(t, "StartSession for an operator", err, ok)
	if os.Level != identity.OperatorLevel || os.IP != "2001:db8:1::/48" || !os.ExpiresAt.Equal(t0.Add(identity.OperatorMaxAge)) {
		t.Errorf("operator session level %d, IP %q, expires %s", os.Level, os.IP, os.ExpiresAt)
	}
	_, _, err = identity.StartSession(ctx, f.d, f.ente, identity.OperatorSubject(op.ID), identity.SessionInput{Level: 1}, t0)
	wantKind(t, "operator session at level 1", err, apperr.Invalid)
}

// TestSessionExpiry checks idle and absolute expiry, and that last_seen is
// written at most once a minute.
func TestSessionExpiry(t *testing.T) {
	f := setup(t)
	c := f.login(t, f.ente, cfMario)
	start := func() string {
		token, _, err := identity.StartSession(ctx, f.d, f.ente, identity.CitizenSubject(c.ID), identity.SessionInput{Level: 2}, t0)
		if err != nil {
			t.Fatal(err)
		}
		return token
	}
	m := time.Minute
	tests := []struct {
		name   string
		visits []time.Duration // lookups after t0, in order; all must succeed but the last
		last   bool            // whether the last visit succeeds
	}{
		{"a visit within the idle timeout", []time.Duration{29 * m}, true},
		{"idle timeout reached", []time.Duration{30 * m}, false},
		{"visits every 20 minutes keep it alive", []time.Duration{20 * m, 40 * m, 60 * m, 80 * m}, true},
		{"a visit 59 s after the last write does not move last_seen", []time.Duration{59 * time.Second, 30 * m}, false},
		{"a visit a minute after moves it", []time.Duration{m, 30 * m}, true},
		{"absolute timeout, however active", func() []time.Duration {
			var v []time.Duration
			for at := 20 * m; at <= 12*time.Hour; at += 20 * m {
				v = append(v, at)
			}
			return v
		}(), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			token := start()
			for i, v := range tc.visits {
				_, err := identity.LookupSession(ctx, f.d, f.ente, token, t0.Add(v))
				wantOK := i < len(tc.visits)-1 || tc.last
				if (err == nil) != wantOK {
					t.Fatalf("visit at +%s: err %v, want ok=%v", v, err, wantOK)
				}
				if err != nil {
					wantKind(t, "expired", err, apperr.NotFound)
				}
			}
		})
	}
}

func TestEndSessions(t *testing.T) {
	f := setup(t)
	mario := f.login(t, f.ente, cfMario)
	giulia := f.login(t, f.ente, cfGiulia)
	foreign := f.login(t, f.other, cfMario)
	start := func(ente tenant.ID, id identity.CitizenID, ua string, at time.Time) (string, *identity.Session) {
		token, s, err := identity.StartSession(ctx, f.d, ente, identity.CitizenSubject(id),
			identity.SessionInput{IdP: idpPoste, NameID: "_n" + ua, SessionIndex: "_s" + ua, Level: 2, UserAgent: ua}, at)
		if err != nil {
			t.Fatal(err)
		}
		return token, s
	}
	_, m1 := start(f.ente, mario.ID, "phone", t0)
	t2, m2 := start(f.ente, mario.ID, "laptop", t0.Add(time.Minute))
	_, m3 := start(f.ente, mario.ID, "old", t0.Add(-time.Hour)) // idle-expired by now
	_, g1 := start(f.ente, giulia.ID, "tablet", t0.Add(2*time.Minute))
	_, x1 := start(f.other, foreign.ID, "foreign", t0)
	now := t0.Add(5 * time.Minute)

	ids := func(ss []*identity.Session) []identity.SessionID {
		var out []identity.SessionID
		for _, s := range ss {
			out = append(out, s.ID)
		}
		return out
	}
	list, err := identity.ListSessions(ctx, f.d, f.ente, identity.CitizenSubject(mario.ID), now)
	wantKind(t, "ListSessions", err, ok)
	if diff := cmp.Diff([]identity.SessionID{m2.ID, m1.ID}, ids(list)); diff != "" {
		t.Errorf("ListSessions: live sessions, last seen first (-want +got):\n%s", diff)
	}
	all, err := identity.ListAllSessions(ctx, f.d, f.ente, now)
	wantKind(t, "ListAllSessions", err, ok)
	if diff := cmp.Diff([]identity.SessionID{g1.ID, m2.ID, m1.ID}, ids(all)); diff != "" {
		t.Errorf("ListAllSessions (-want +got):\n%s", diff)
	}

	got, err := identity.SessionByNameID(ctx, f.d, f.ente, idpPoste, "_nlaptop", "_slaptop")
	wantKind(t, "SessionByNameID", err, ok)
	if got.ID != m2.ID {
		t.Errorf("SessionByNameID = %d, want %d", got.ID, m2.ID)
	}
	got, err = identity.SessionByNameID(ctx, f.d, f.ente, idpPoste, "_nlaptop", "")
	if err != nil || got.ID != m2.ID {
		t.Errorf("SessionByNameID without index = %v (err %v), want %d", got, err, m2.ID)
	}
	for name, args := range map[string][3]string{
		"wrong index": {idpPoste, "_nlaptop", "_sphone"},
		"wrong IdP":   {idpAruba, "_nlaptop", "_slaptop"},
		"no NameID":   {idpPoste, "", ""},
	} {
		_, err := identity.SessionByNameID(ctx, f.d, f.ente, args[0], args[1], args[2])
		wantKind(t, "SessionByNameID "+name, err, apperr.NotFound)
	}
	_, err = identity.SessionByNameID(ctx, f.d, f.other, idpPoste, "_nlaptop", "_slaptop")
	wantKind(t, "SessionByNameID from another ente", err, apperr.NotFound)

	wantKind(t, "EndSession from another ente", identity.EndSession(ctx, f.d, f.other, m2.ID, now), apperr.NotFound)
	wantKind(t, "EndSession", identity.EndSession(ctx, f.d, f.ente, m2.ID, now), ok)
	wantKind(t, "EndSession twice", identity.EndSession(ctx, f.d, f.ente, m2.ID, now), ok)
	wantKind(t, "EndSession unknown", identity.EndSession(ctx, f.d, f.ente, 999999, now), apperr.NotFound)
	_, err = identity.LookupSession(ctx, f.d, f.ente, t2, now)
	wantKind(t, "LookupSession after EndSession", err, apperr.NotFound)
	_, err = identity.SessionByNameID(ctx, f.d, f.ente, idpPoste, "_nlaptop", "_slaptop")
	wantKind(t, "SessionByNameID after EndSession", err, apperr.NotFound)

	n, err := identity.EndAllSessions(ctx, f.d, f.ente, identity.CitizenSubject(mario.ID), now)
	wantKind(t, "EndAllSessions", err, ok)
	if n != 1 {
		t.Errorf("EndAllSessions ended %d live sessions, want 1 (the phone; %d was idle)", n, m3.ID)
	}
	n, err = identity.EndAllSessions(ctx, f.d, f.other, identity.CitizenSubject(mario.ID), now)
	if err != nil || n != 0 {
		t.Errorf("EndAllSessions from another ente = %d (err %v), want 0", n, err)
	}
	if list, _ := identity.ListSessions(ctx, f.d, f.ente, identity.CitizenSubject(mario.ID), now); len(list) != 0 {
		t.Errorf("sessions after EndAllSessions = %d", len(list))
	}
	if list, _ := identity.ListSessions(ctx, f.d, f.ente, identity.CitizenSubject(giulia.ID), now); len(list) != 1 {
		t.Errorf("Giulia's sessions after Mario logged out everywhere = %d, want 1", len(list))
	}

	// The purge removes mario's three (ended or idle) and keeps the live ones.
	purged, err := identity.PurgeSessions(ctx, f.d, now)
	wantKind(t, "PurgeSessions", err, ok)
	if purged != 3 {
		t.Errorf("PurgeSessions deleted %d, want 3", purged)
	}
	var left []identity.SessionID
	rows, err := f.d.QueryContext(ctx, `SELECT id FROM session ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id identity.SessionID
		rows.Scan(&id)
		left = append(left, id)
	}
	rows.Close()
	if diff := cmp.Diff([]identity.SessionID{g1.ID, x1.ID}, left); diff != "" {
		t.Errorf("sessions left after the purge (-want +got):\n%s", diff)
	}
	if purged, _ := identity.PurgeSessions(ctx, f.d, now.Add(identity.CitizenMaxAge)); purged != 2 {
		t.Errorf("PurgeSessions after 12 h deleted %d, want 2", purged)
	}
}

func TestMaskIP(t *testing.T) {
	tests := []struct{ in, want string }{
		{"192.0.2.77", "192.0.2.0/24"},
		{"192.0.2.77:443", "192.0.2.0/24"},
		{"::ffff:192.0.2.77", "192.0.2.0/24"},
		{"2001:db8:aaaa:bbbb::1", "2001:db8:aaaa::/48"},
		{"[2001:db8:aaaa:bbbb::1]:8080", "2001:db8:aaaa::/48"},
		{"fe80::1%eth0", "fe80::/48"},
		{"", ""},
		{"localhost", ""},
	}
	for _, tc := range tests {
		if got := identity.MaskIP(tc.in); got != tc.want {
			t.Errorf("MaskIP(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
