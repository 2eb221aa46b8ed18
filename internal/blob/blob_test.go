package blob_test

import (
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/sportello/sportello/internal/blob"
)

func TestParseKey(t *testing.T) {
	const valid = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	tests := []struct {
		name    string
		in      string
		wantErr bool
	}{
		{"valid", valid, false},
		{"all zeros", strings.Repeat("0", 64), false},
		{"all f", strings.Repeat("f", 64), false},
		{"empty", "", true},
		{"one short", valid[:63], true},
		{"one long", valid + "0", true},
		{"uppercase", strings.ToUpper(valid), true},
		{"not hex", strings.Repeat("g", 64), true},
		{"space", " " + valid[1:], true},
		{"path", "../" + valid[3:], true},
		{"multibyte", "è" + valid[2:], true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			k, err := blob.ParseKey(tc.in)
			if tc.wantErr {
				if !errors.Is(err, blob.ErrInvalidKey) {
					t.Errorf("ParseKey(%q) = %q, %v; want an error wrapping ErrInvalidKey", tc.in, k, err)
				}
				return
			}
			if err != nil || string(k) != tc.in {
				t.Errorf("ParseKey(%q) = %q, %v; want it back", tc.in, k, err)
			}
		})
	}
}

// FuzzParseKey checks that ParseKey accepts exactly the 64-digit lowercase hex
// strings, returns them unchanged, and refuses the rest with ErrInvalidKey.
func FuzzParseKey(f *testing.F) {
	for _, s := range []string{
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		"E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
		"",
		"00",
		"../../etc/passwd",
		strings.Repeat("a", 65),
		"2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b982\x00",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k, err := blob.ParseKey(s)
		b, hexErr := hex.DecodeString(s)
		want := hexErr == nil && len(b) == 32 && s == strings.ToLower(s)
		if !want {
			if !errors.Is(err, blob.ErrInvalidKey) {
				t.Fatalf("ParseKey(%q) = %q, %v; want an error wrapping ErrInvalidKey", s, k, err)
			}
			return
		}
		if err != nil || string(k) != s {
			t.Fatalf("ParseKey(%q) = %q, %v; want it back", s, k, err)
		}
	})
}
