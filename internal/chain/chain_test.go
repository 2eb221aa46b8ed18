package chain

import (
	"crypto/sha256"
	"encoding/hex"
	"reflect"
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

func TestSplit(t *testing.T) {
	type row struct {
		chain string
		n     int
	}
	rows := []row{{"b", 1}, {"a", 2}, {"b", 3}, {"b", 4}, {"c", 5}, {"a", 6}}
	got := Split(rows, func(r row) string { return r.chain })
	want := [][]row{{{"b", 1}, {"b", 3}, {"b", 4}}, {{"a", 2}, {"a", 6}}, {{"c", 5}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Split = %v, want %v", got, want)
	}
	if got := Split([]row(nil), func(r row) string { return r.chain }); len(got) != 0 {
		t.Errorf("Split(nil) = %v, want none", got)
	}
}
