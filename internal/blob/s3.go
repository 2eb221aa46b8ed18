package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// maxS3Size is the most that one S3 PUT takes; S3.Put sends a single PUT so
// that the server checks the body against the key, and refuses more.
const maxS3Size = 5 << 30

// S3Config says where an S3 store lives; it is filled from the service's
// configuration and SecretKey is masked when the config is printed.
type S3Config struct {
	Endpoint  string // host[:port], without a scheme
	Region    string // empty for the server's default
	Bucket    string // created by NewS3 if absent
	AccessKey string // the S3 access key id
	SecretKey string // never printed: String masks it
	UseSSL    bool   // true for https
	Prefix    string // put before every object name, e.g. "prod/"; empty for none
}

// String prints the config with the secret key masked, so it can be logged.
func (c S3Config) String() string {
	secret := ""
	if c.SecretKey != "" {
		secret = "********"
	}
	return fmt.Sprintf("{Endpoint:%s Region:%s Bucket:%s AccessKey:%s SecretKey:%s UseSSL:%t Prefix:%s}",
		c.Endpoint, c.Region, c.Bucket, c.AccessKey, secret, c.UseSSL, c.Prefix)
}

// S3 is a Store on an S3-compatible bucket; the content under k is the object
// <prefix>sha256/k[0:2]/k, so a bucket can be listed or sharded by prefix.
type S3 struct {
	client *minio.Client
	bucket string
	prefix string
}

var _ Store = (*S3)(nil)

// NewS3 connects to the bucket that cfg names and creates it if it is absent,
// so a fresh deployment or test server needs no manual step.
func NewS3(ctx context.Context, cfg S3Config) (*S3, error) {
	if cfg.Endpoint == "" || cfg.Bucket == "" {
		return nil, errors.New("blob: new s3: endpoint and bucket are required")
	}
	client, err := minio.New(cfg.Endpoint, &minio.Options{
		Creds:  credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure: cfg.UseSSL,
		Region: cfg.Region,
	})
	if err != nil {
		return nil, fmt.Errorf("blob: new s3: %w", err)
	}
	s := &S3{client: client, bucket: cfg.Bucket, prefix: cfg.Prefix}
	if err := s.ensureBucket(ctx, cfg.Region); err != nil {
		return nil, fmt.Errorf("blob: new s3: bucket %s: %w", cfg.Bucket, err)
	}
	return s, nil
}

func (s *S3) ensureBucket(ctx context.Context, region string) error {
	ok, err := s.client.BucketExists(ctx, s.bucket)
	if err != nil || ok {
		return err
	}
	err = s.client.MakeBucket(ctx, s.bucket, minio.MakeBucketOptions{Region: region})
	if minio.ToErrorResponse(err).Code == minio.BucketAlreadyOwnedByYou {
		return nil // another process created it in the meantime
	}
	return err
}

// object returns the object name of a well-formed key.
func (s *S3) object(k Key) string {
	return s.prefix + "sha256/" + string(k[0:2]) + "/" + string(k)
}

// Put spools r to a temporary file to learn its key, then uploads it in one
// PUT signed with that SHA-256, which the server checks against the body.
func (s *S3) Put(ctx context.Context, r io.Reader) (Key, int64, error) {
	k, n, err := s.put(ctx, r)
	if err != nil {
		return "", 0, fmt.Errorf("blob put: %w", err)
	}
	return k, n, nil
}

func (s *S3) put(ctx context.Context, r io.Reader) (Key, int64, error) {
	spool, err := os.CreateTemp("", "sportello-blob-*")
	if err != nil {
		return "", 0, err
	}
	defer os.Remove(spool.Name())
	defer spool.Close()

	k, n, err := copyHashed(ctx, spool, r)
	if err != nil {
		return "", 0, err
	}
	if n > maxS3Size {
		return "", 0, fmt.Errorf("%d bytes is more than the %d that one S3 PUT takes", n, maxS3Size)
	}
	info, err := s.client.StatObject(ctx, s.bucket, s.object(k), minio.StatObjectOptions{})
	if err == nil && info.Size == n {
		return k, n, nil // already stored: the bytes are the same
	}
	if err != nil && !isNoSuchKey(err) {
		return "", 0, err
	}
	if _, err := spool.Seek(0, io.SeekStart); err != nil {
		return "", 0, err
	}
	// Core.PutObject sends one PUT whose x-amz-content-sha256 is the key:
	// the signature covers it, and the server refuses a body that differs.
	core := minio.Core{Client: s.client}
	opts := minio.PutObjectOptions{ContentType: "application/octet-stream", DisableContentSha256: true}
	if _, err := core.PutObject(ctx, s.bucket, s.object(k), spool, n, "", string(k), opts); err != nil {
		return "", 0, err
	}
	return k, n, nil
}

// Open returns the object under k, checked against k as it is read.
func (s *S3) Open(ctx context.Context, k Key) (io.ReadCloser, error) {
	if err := k.check(); err != nil {
		return nil, fmt.Errorf("blob open: %w", err)
	}
	core := minio.Core{Client: s.client}
	body, _, _, err := core.GetObject(ctx, s.bucket, s.object(k), minio.GetObjectOptions{})
	if err != nil {
		return nil, fmt.Errorf("blob open %s: %w", k, noSuchKey(err))
	}
	return newVerifyReader(body, k), nil
}

// Stat returns the size of the object under k.
func (s *S3) Stat(ctx context.Context, k Key) (int64, error) {
	if err := k.check(); err != nil {
		return 0, fmt.Errorf("blob stat: %w", err)
	}
	info, err := s.client.StatObject(ctx, s.bucket, s.object(k), minio.StatObjectOptions{})
	if err != nil {
		return 0, fmt.Errorf("blob stat %s: %w", k, noSuchKey(err))
	}
	return info.Size, nil
}

// Delete removes the object under k. S3 deletes succeed for missing objects,
// so Delete asks first to report ErrNotFound as FS does; a concurrent Delete
// of the same key may therefore both succeed.
func (s *S3) Delete(ctx context.Context, k Key) error {
	if err := k.check(); err != nil {
		return fmt.Errorf("blob delete: %w", err)
	}
	if _, err := s.client.StatObject(ctx, s.bucket, s.object(k), minio.StatObjectOptions{}); err != nil {
		return fmt.Errorf("blob delete %s: %w", k, noSuchKey(err))
	}
	if err := s.client.RemoveObject(ctx, s.bucket, s.object(k), minio.RemoveObjectOptions{}); err != nil {
		return fmt.Errorf("blob delete %s: %w", k, err)
	}
	return nil
}

// isNoSuchKey reports whether err is S3's answer for a missing object.
func isNoSuchKey(err error) bool {
	var resp minio.ErrorResponse
	return errors.As(err, &resp) && resp.Code == minio.NoSuchKey
}

// noSuchKey turns S3's missing object into ErrNotFound and leaves other
// errors be.
func noSuchKey(err error) error {
	if isNoSuchKey(err) {
		return ErrNotFound
	}
	return err
}
