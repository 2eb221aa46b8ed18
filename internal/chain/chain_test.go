package chain

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"
)

func TestHash(t *testing.T) {
	tests := []struct {
		fields []string
		form   string
	}{
		{nil, ""},
		{[]string{""}, "0:\n"},
		{[]string{"v1", "a:b", "àè"}, "2:v1\n3:a:b\n4:àè\n"},
	}
	for _, tc := range tests {
		sum := sha256.Sum256([]byte(tc.form))
		if got, want := Hash(tc.fields...), hex.EncodeToString(sum[:]); got != want {
			t.Errorf("Hash(%q) = %s, want the SHA-256 of %q", tc.fields, got, tc.form)
		}
	}
	// A field's length keeps a separator inside a value from moving it.
	if Hash("a\n1:b") == Hash("a", "b") {
		t.Error("two different lists serialise alike")
	}
}
