package main

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/sportello/sportello/internal/config"
)

// secretKey makes sure cfg has the key that seals secrets in the database.
// Production must be given one; the demo creates its own once and keeps it
// in the data folder (mode 0600), so that a restarted demo can still open
// what it sealed before.
func secretKey(cfg *config.Config) error {
	if cfg.SecretKey != nil || cfg.Mode != config.Demo {
		return cfg.RequireSecretKey()
	}
	path := filepath.Join(cfg.DataDir, "secret.key")
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		key := make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return fmt.Errorf("demo secret key: %w", err)
		}
		if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
			return fmt.Errorf("demo secret key: %w", err)
		}
		enc := base64.StdEncoding.EncodeToString(key) + "\n"
		// O_EXCL: of two demos started at once on one folder, one key wins.
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err == nil {
			_, err = f.WriteString(enc)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return fmt.Errorf("demo secret key: %w", err)
			}
			cfg.SecretKey = key
			return nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("demo secret key: %w", err)
		}
		// Another demo created it first: read theirs.
		b, err = os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("demo secret key: %w", err)
		}
	} else if err != nil {
		return fmt.Errorf("demo secret key: %w", err)
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(key) != 32 {
		return fmt.Errorf("demo secret key: %s does not hold 32 bytes in base64", path)
	}
	cfg.SecretKey = key
	return nil
}
