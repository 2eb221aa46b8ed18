package identity

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"github.com/sportello/sportello/internal/apperr"
)

// Password length limits: 12 characters is the floor NIST SP 800-63B and
// AgID recommend for single-factor use, and the ceiling only stops absurd
// inputs (argon2 cost does not depend on it).
const (
	MinPasswordLength = 12
	MaxPasswordLength = 256
)

// argonParams are the costs of one argon2id hash; they travel inside the
// PHC string, so that a hash made with older costs still verifies.
type argonParams struct {
	Memory  uint32 // KiB
	Time    uint32
	Threads uint8
}

// passwordParams is OWASP's minimum for argon2id (m=19 MiB, t=2, p=1). The
// server has 2 cores shared with everything else: one hash takes about
// 30 ms of one core and 19 MiB, so ten logins at once cost 190 MiB and do
// not starve the other requests, while an offline guesser still pays
// 19 MiB per guess. Raising it later re-hashes each password at its next
// login (see Authenticate).
var passwordParams = argonParams{Memory: 19 * 1024, Time: 2, Threads: 1}

const (
	saltLen = 16
	keyLen  = 32
)

// Bounds a stored hash must respect, so that a corrupted or hostile row
// cannot make verification allocate gigabytes or spin for minutes.
const (
	maxMemoryKiB = 256 * 1024
	maxTime      = 16
	maxThreads   = 16
)

var b64 = base64.RawStdEncoding

// hashPassword returns password's argon2id hash in PHC string format:
// $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>.
func hashPassword(password string, p argonParams) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, keyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// parsePHC reads an argon2id PHC string back into its parameters, salt and
// key, refusing anything outside the bounds above.
func parsePHC(s string) (p argonParams, salt, key []byte, err error) {
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return p, nil, nil, fmt.Errorf("password hash: not an argon2id PHC string")
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return p, nil, nil, fmt.Errorf("password hash: unsupported version %q", parts[2])
	}
	kvs := strings.Split(parts[3], ",")
	if len(kvs) != 3 {
		return p, nil, nil, fmt.Errorf("password hash: bad parameters %q", parts[3])
	}
	var vals [3]uint64
	for i, name := range []string{"m", "t", "p"} {
		v, ok := strings.CutPrefix(kvs[i], name+"=")
		n, err := strconv.ParseUint(v, 10, 32)
		if !ok || err != nil {
			return p, nil, nil, fmt.Errorf("password hash: bad parameter %q", kvs[i])
		}
		vals[i] = n
	}
	m, t, th := vals[0], vals[1], vals[2]
	if th == 0 || th > maxThreads || t == 0 || t > maxTime || m < 8*th || m > maxMemoryKiB {
		return p, nil, nil, fmt.Errorf("password hash: parameters %q out of bounds", parts[3])
	}
	salt, err1 := b64.DecodeString(parts[4])
	key, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(salt) < 8 || len(salt) > 64 || len(key) < 16 || len(key) > 64 {
		return p, nil, nil, fmt.Errorf("password hash: bad salt or key")
	}
	return argonParams{Memory: uint32(m), Time: uint32(t), Threads: uint8(th)}, salt, key, nil
}

// verifyHook, set only by tests, sees the costs of every password check.
var verifyHook func(argonParams)

// verifyPassword reports whether password matches hash, comparing in
// constant time, and whether the hash should be redone with current costs.
func verifyPassword(hash, password string, current argonParams) (ok, rehash bool, err error) {
	p, salt, key, err := parsePHC(hash)
	if err != nil {
		return false, false, err
	}
	if verifyHook != nil {
		verifyHook(p)
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, uint32(len(key)))
	ok = subtle.ConstantTimeCompare(got, key) == 1
	return ok, ok && (p != current || len(salt) != saltLen || len(key) != keyLen), nil
}

// dummyHash is a hash of a random password with the current costs: checking
// a password against it for an unknown username costs what a real check
// costs, so that response times do not reveal which usernames exist.
var dummyHash = sync.OnceValue(func() string {
	b := make([]byte, 18)
	_, _ = rand.Read(b)
	h, err := hashPassword(b64.EncodeToString(b), passwordParams)
	if err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return h
})

// commonPasswords are long-enough passwords that lists of leaked passwords
// put near the top, with Italian favourites.
var commonPasswords = []string{
	"123456789012", "1234567890123", "12345678901234", "123456789123", "111111111111", "000000000000",
	"1q2w3e4r5t6y", "1qaz2wsx3edc", "qwertyuiopas", "qwertyuiop12", "qwerty123456", "asdfghjkl123",
	"abcdefghijkl", "abc123456789", "zaq12wsxcde3", "iloveyou1234", "passwordpassword", "qazwsxedcrfv",
}

// weakWords are words that, with digits and symbols around them, make
// predictable passwords ("Password2026!").
var weakWords = []string{
	"password", "passw", "qwerty", "admin", "administrator", "amministratore", "welcome", "letmein",
	"iloveyou", "sportello", "comune", "ciao", "amore", "benvenuto", "segreto", "changeme", "cambiami",
}

// CheckPasswordPolicy says whether password may be set for username: long
// enough, not absurdly long, not on the deny list, not one repeated
// character, and not just the username or a common word decorated with
// digits and symbols. It follows NIST SP 800-63B: length and a deny list,
// no composition rules.
func CheckPasswordPolicy(password, username string) error {
	n := utf8.RuneCountInString(password)
	if n < MinPasswordLength || n > MaxPasswordLength {
		return apperr.Errorf(apperr.Invalid, "password: %d characters, want %d to %d", n, MinPasswordLength, MaxPasswordLength)
	}
	lower := strings.ToLower(password)
	if slices.Contains(commonPasswords, lower) {
		return apperr.Errorf(apperr.Invalid, "password: too common")
	}
	if first := string([]rune(password)[:1]); strings.Count(password, first)*len(first) == len(password) {
		return apperr.Errorf(apperr.Invalid, "password: one repeated character")
	}
	core := letters(lower)
	if u := letters(strings.ToLower(username)); len(u) >= 3 && (core == u || core == u+u) {
		return apperr.Errorf(apperr.Invalid, "password: the username with digits or symbols around it")
	}
	if slices.Contains(weakWords, core) {
		return apperr.Errorf(apperr.Invalid, "password: a common word with digits or symbols around it")
	}
	return nil
}

// letters keeps only the letters of s: what is left of "Mario.Rossi-2026!"
// once the predictable decorations are gone.
func letters(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) {
			return r
		}
		return -1
	}, s)
}
