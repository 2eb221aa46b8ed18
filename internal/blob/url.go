package blob

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// Open returns the store that rawURL names, as the configuration gives it:
// file:///abs/folder, file://relative/folder, or
// s3://ACCESS:SECRET@host:port/bucket?ssl=true&region=eu-south-1&prefix=prod/.
func Open(ctx context.Context, rawURL string) (Store, error) {
	switch {
	case strings.HasPrefix(rawURL, "file://"):
		return NewFS(strings.TrimPrefix(rawURL, "file://"))
	case strings.HasPrefix(rawURL, "s3://"):
		cfg, err := ParseS3URL(rawURL)
		if err != nil {
			return nil, err
		}
		return NewS3(ctx, cfg)
	}
	return nil, fmt.Errorf("blob: open: unsupported URL (want file:// or s3://)")
}

// ParseS3URL reads an s3:// URL into an S3Config.
func ParseS3URL(rawURL string) (S3Config, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme != "s3" || u.Host == "" {
		return S3Config{}, fmt.Errorf("blob: s3 URL: want s3://ACCESS:SECRET@host:port/bucket")
	}
	cfg := S3Config{Endpoint: u.Host, Bucket: strings.Trim(u.Path, "/")}
	if u.User != nil {
		cfg.AccessKey = u.User.Username()
		cfg.SecretKey, _ = u.User.Password()
	}
	if cfg.Bucket == "" || strings.Contains(cfg.Bucket, "/") {
		return S3Config{}, fmt.Errorf("blob: s3 URL: the path must be exactly one bucket name")
	}
	q := u.Query()
	if v := q.Get("ssl"); v != "" {
		if cfg.UseSSL, err = strconv.ParseBool(v); err != nil {
			return S3Config{}, fmt.Errorf("blob: s3 URL: ssl=%q: want true or false", v)
		}
	}
	cfg.Region = q.Get("region")
	cfg.Prefix = q.Get("prefix")
	return cfg, nil
}
