package identity

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sportello/sportello/internal/apperr"
)

func TestHashAndVerifyPassword(t *testing.T) {
	h, err := hashPassword("correct horse battery staple", passwordParams)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("hash %q: want PHC format with the current costs", h)
	}
	h2, _ := hashPassword("correct horse battery staple", passwordParams)
	if h == h2 {
		t.Error("two hashes of one password are equal: the salt is not random")
	}
	weaker := argonParams{Memory: 8 * 1024, Time: 1, Threads: 1}
	old, _ := hashPassword("correct horse battery staple", weaker)
	tests := []struct {
		name       string
		hash, pw   string
		ok, rehash bool
	}{
		{"right password", h, "correct horse battery staple", true, false},
		{"wrong password", h, "correct horse battery stapl", false, false},
		{"empty password", h, "", false, false},
		{"old costs: right password asks for a rehash", old, "correct horse battery staple", true, true},
		{"old costs: wrong password does not", old, "nope", false, false},
	}
	for _, tc := range tests {
		ok, rehash, err := verifyPassword(tc.hash, tc.pw, passwordParams)
		if err != nil || ok != tc.ok || rehash != tc.rehash {
			t.Errorf("%s: ok=%v rehash=%v err=%v, want ok=%v rehash=%v", tc.name, ok, rehash, err, tc.ok, tc.rehash)
		}
	}
}

func TestParsePHC(t *testing.T) {
	salt, key := "MDEyMzQ1Njc4OWFiY2RlZg", "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY"
	tests := []struct {
		name string
		in   string
		want argonParams
		ok   bool
	}{
		{"current", "$argon2id$v=19$m=19456,t=2,p=1$" + salt + "$" + key, argonParams{19456, 2, 1}, true},
		{"other costs", "$argon2id$v=19$m=65536,t=3,p=4$" + salt + "$" + key, argonParams{65536, 3, 4}, true},
		{"argon2i", "$argon2i$v=19$m=19456,t=2,p=1$" + salt + "$" + key, argonParams{}, false},
		{"old version", "$argon2id$v=16$m=19456,t=2,p=1$" + salt + "$" + key, argonParams{}, false},
		{"parameters out of order", "$argon2id$v=19$t=2,m=19456,p=1$" + salt + "$" + key, argonParams{}, false},
		{"a parameter missing", "$argon2id$v=19$m=19456,t=2$" + salt + "$" + key, argonParams{}, false},
		{"memory too large", "$argon2id$v=19$m=4194304,t=2,p=1$" + salt + "$" + key, argonParams{}, false},
		{"zero time", "$argon2id$v=19$m=19456,t=0,p=1$" + salt + "$" + key, argonParams{}, false},
		{"too many threads", "$argon2id$v=19$m=19456,t=2,p=255$" + salt + "$" + key, argonParams{}, false},
		{"memory below 8 per thread", "$argon2id$v=19$m=8,t=2,p=2$" + salt + "$" + key, argonParams{}, false},
		{"short salt", "$argon2id$v=19$m=19456,t=2,p=1$MDEy$" + key, argonParams{}, false},
		{"bad base64", "$argon2id$v=19$m=19456,t=2,p=1$!!!$" + key, argonParams{}, false},
		{"not PHC", "plaintext", argonParams{}, false},
		{"empty", "", argonParams{}, false},
	}
	for _, tc := range tests {
		p, _, _, err := parsePHC(tc.in)
		if (err == nil) != tc.ok || p != tc.want {
			t.Errorf("%s: parsePHC = %+v, err %v; want %+v, ok %v", tc.name, p, err, tc.want, tc.ok)
		}
	}
}

func TestCheckPasswordPolicy(t *testing.T) {
	tests := []struct {
		password, username string
		ok                 bool
	}{
		{"correct horse battery staple", "mario", true},
		{"twelve chars", "mario", true},
		{"eleven char", "mario", false},
		{"àèìòùàèìòùàè", "mario", true}, // 12 characters, 24 bytes
		{"àèìòùàèìòù", "mario", false},  // 10 characters, 20 bytes
		{strings.Repeat("x", 257), "mario", false},
		{"aaaaaaaaaaaaaaaa", "mario", false},
		{"éééééééééééé", "mario", false},
		{"123456789012", "mario", false},
		{"QwertyUiopAS", "mario", false},
		{"Password2026!", "mario", false},
		{"P4ssw0rd-2026", "mario", true}, // digits inside the word: not the plain word
		{"sportello2026!!", "mario", false},
		{"Mario.Rossi-2026", "mario.rossi", false},
		{"mariorossimariorossi", "mario.rossi", false},
		{"demo-sportello-2026", "sportello", true}, // the username inside a longer phrase
		{"una-password-lunga-admin", "admin", true},
	}
	for _, tc := range tests {
		err := CheckPasswordPolicy(tc.password, tc.username)
		if (err == nil) != tc.ok {
			t.Errorf("CheckPasswordPolicy(%q, %q) = %v, want ok=%v", tc.password, tc.username, err, tc.ok)
		}
		if err != nil && apperr.KindOf(err) != apperr.Invalid {
			t.Errorf("CheckPasswordPolicy(%q): kind %v, want Invalid", tc.password, apperr.KindOf(err))
		}
	}
}

func TestLockDuration(t *testing.T) {
	got := map[int]time.Duration{}
	for _, n := range []int{1, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 100} {
		got[n] = lockDuration(n)
	}
	h := time.Hour
	want := map[int]time.Duration{1: 0, 4: 0, 5: 15 * time.Minute, 6: 30 * time.Minute, 7: h, 8: 2 * h, 9: 4 * h, 10: 8 * h,
		11: 16 * h, 12: 24 * h, 13: 24 * h, 100: 24 * h}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("lockDuration mismatch (-want +got):\n%s", diff)
	}
}

func TestSealBindsTheRow(t *testing.T) {
	k, err := NewKeys([]byte(strings.Repeat("m", 32)))
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := k.seal("JBSWY3DPEHPK3PXP", totpAD(1, 7))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := k.open(sealed, totpAD(1, 7)); err != nil || got != "JBSWY3DPEHPK3PXP" {
		t.Errorf("open = %q, %v", got, err)
	}
	for name, s := range map[string]string{
		"another operator":  totpAD(1, 8),
		"another ente":      totpAD(2, 7),
		"tampered":          "",
		"an unknown format": "",
	} {
		value := sealed
		switch name {
		case "tampered":
			value = sealed[:len(sealed)-2] + "AA"
		case "an unknown format":
			value = "v9." + sealed[3:]
		}
		ad := s
		if ad == "" {
			ad = totpAD(1, 7)
		}
		if _, err := k.open(value, ad); err == nil {
			t.Errorf("open for %s succeeded", name)
		}
	}
}

func TestRetryAfterOf(t *testing.T) {
	m := time.Minute
	tests := []struct {
		prev, hits, limit int
		elapsed, want     time.Duration
	}{
		{0, 4, 3, 10 * time.Second, 80 * time.Second},
		{4, 1, 3, 29 * time.Second, 16 * time.Second},
		{5, 1, 5, 0, 24 * time.Second},
		{0, 2, 1, 0, 2 * m},
		{0, 100, 1, 59 * time.Second, 61 * time.Second},
		{1000, 1, 1, 0, 2 * m},
		{3, 1, 3, 10*time.Second + 500*time.Millisecond, 30 * time.Second}, // 29.5 s, rounded up
	}
	for _, tc := range tests {
		if got := retryAfterOf(tc.prev, tc.hits, tc.limit, tc.elapsed, m); got != tc.want {
			t.Errorf("retryAfterOf(prev %d, hits %d, limit %d, at %s) = %s, want %s", tc.prev, tc.hits, tc.limit, tc.elapsed, got, tc.want)
		}
	}
}
