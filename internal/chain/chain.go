// Package chain is the hash chain shared by the registers that must show
// any change made behind the application's back — the protocol register
// and the audit log: each row's hash covers its fields and the previous
// row's hash, in one canonical form.
package chain

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
)

// Genesis is the previous hash of a chain's first row: a fixed value, so
// that a chain can be checked from its start without any outside state.
const Genesis = "0000000000000000000000000000000000000000000000000000000000000000"

// Hash is the lowercase hex SHA-256 of the fields written one a line as
// their length in bytes, a colon and the value, so that no two different
// lists of fields serialise alike. Callers start the list with a version
// string of their own form and end it with the previous row's hash.
func Hash(fields ...string) string {
	n := 0
	for _, f := range fields {
		n += len(f) + 8
	}
	buf := make([]byte, 0, n)
	for _, f := range fields {
		buf = strconv.AppendInt(buf, int64(len(f)), 10)
		buf = append(buf, ':')
		buf = append(buf, f...)
		buf = append(buf, '\n')
	}
	sum := sha256.Sum256(buf)
	return hex.EncodeToString(sum[:])
}

// Split groups the rows of a batch by the chain each belongs to (its key),
// keeping their order within a chain and the chains in the order they
// first appear, so that a batch appended in one transaction takes one run
// of numbers per chain.
func Split[T any, K comparable](rows []T, key func(T) K) [][]T {
	var out [][]T
	at := map[K]int{}
	for _, r := range rows {
		k := key(r)
		i, ok := at[k]
		if !ok {
			i = len(out)
			at[k] = i
			out = append(out, nil)
		}
		out[i] = append(out[i], r)
	}
	return out
}
