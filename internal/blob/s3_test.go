package blob_test

import (
	"context"
	"crypto/rand"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/sportello/sportello/internal/blob"
	"github.com/sportello/sportello/internal/blob/blobtest"
)

// s3Env names the variable that points the S3 tests at a server, as
// http://ACCESS:SECRET@127.0.0.1:7070/bucket (https for TLS, and an
// optional ?region=); .ci/s3-server.sh start prints it.
const s3Env = "SPORTELLO_TEST_S3"

// s3Config reads s3Env, skipping the test when it is unset.
func s3Config(t *testing.T) blob.S3Config {
	t.Helper()
	raw := os.Getenv(s3Env)
	if raw == "" {
		t.Skipf("%s is unset: run `eval \"$(bash .ci/s3-server.sh start)\"` to test the S3 store against a local versitygw", s3Env)
	}
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("%s: %v", s3Env, err)
	}
	secret, _ := u.User.Password()
	cfg := blob.S3Config{
		Endpoint:  u.Host,
		Region:    u.Query().Get("region"),
		Bucket:    strings.Trim(u.Path, "/"),
		AccessKey: u.User.Username(),
		SecretKey: secret,
		UseSSL:    u.Scheme == "https",
	}
	if (u.Scheme != "http" && u.Scheme != "https") || cfg.Endpoint == "" || cfg.Bucket == "" || cfg.AccessKey == "" {
		t.Fatalf("%s = %q, want http://ACCESS:SECRET@HOST:PORT/BUCKET", s3Env, u.Redacted())
	}
	return cfg
}

// testPrefix returns a fresh top-level prefix. It shares no parent with the
// other tests' prefixes: versitygw's posix backend removes a deleted
// object's empty parent directories, and a parent shared with a test that
// is cleaning up could vanish between a Put's mkdir and its link, failing
// the Put with "Existing Object is a directory".
func testPrefix() string {
	return "blobtest-" + rand.Text() + "/"
}

// newS3 returns a store under a prefix of its own, so that tests and runs
// sharing a bucket never see each other's objects, and empties it at the end.
func newS3(t *testing.T, cfg blob.S3Config) *blob.S3 {
	t.Helper()
	cfg.Prefix = testPrefix()
	s, err := blob.NewS3(t.Context(), cfg)
	if err != nil {
		t.Fatalf("NewS3(%v): %v", cfg, err)
	}
	t.Cleanup(func() { removePrefix(t, cfg) })
	return s
}

// rawClient talks to the test bucket directly, around the store.
func rawClient(t *testing.T, cfg blob.S3Config) *minio.Client {
	t.Helper()
	c, err := minio.New(cfg.Endpoint, &minio.Options{
		Creds:  credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure: cfg.UseSSL,
		Region: cfg.Region,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func removePrefix(t *testing.T, cfg blob.S3Config) {
	ctx := context.Background() // t.Context is already canceled in Cleanup
	c := rawClient(t, cfg)
	for obj := range c.ListObjects(ctx, cfg.Bucket, minio.ListObjectsOptions{Prefix: cfg.Prefix, Recursive: true}) {
		if obj.Err != nil {
			t.Errorf("list %s: %v", cfg.Prefix, obj.Err)
			return
		}
		if err := c.RemoveObject(ctx, cfg.Bucket, obj.Key, minio.RemoveObjectOptions{}); err != nil {
			t.Errorf("remove %s: %v", obj.Key, err)
		}
	}
}

// TestS3 runs everything that needs an S3 server, so that an unset s3Env
// makes one skip.
func TestS3(t *testing.T) {
	cfg := s3Config(t)
	t.Run("Suite", func(t *testing.T) {
		blobtest.RunSuite(t, func(t *testing.T) blob.Store { return newS3(t, cfg) })
	})
	t.Run("Layout", func(t *testing.T) { testS3Layout(t, cfg) })
	t.Run("CreatesBucket", func(t *testing.T) { testS3CreatesBucket(t, cfg) })
}

// testS3Layout pins the object names, which lifecycle rules and operators
// rely on.
func testS3Layout(t *testing.T, cfg blob.S3Config) {
	cfg.Prefix = testPrefix()
	s, err := blob.NewS3(t.Context(), cfg)
	if err != nil {
		t.Fatalf("NewS3: %v", err)
	}
	t.Cleanup(func() { removePrefix(t, cfg) })
	k, err := blob.PutBytes(t.Context(), s, []byte("hello"))
	if err != nil {
		t.Fatalf("PutBytes: %v", err)
	}
	name := cfg.Prefix + "sha256/2c/" + string(k)
	info, err := rawClient(t, cfg).StatObject(t.Context(), cfg.Bucket, name, minio.StatObjectOptions{})
	if err != nil {
		t.Fatalf("object %s: %v", name, err)
	}
	if info.Size != 5 {
		t.Errorf("object %s has %d bytes, want 5", name, info.Size)
	}
}

// testS3CreatesBucket checks that NewS3 makes a missing bucket and then
// finds it.
func testS3CreatesBucket(t *testing.T, cfg blob.S3Config) {
	cfg.Bucket = "sportello-blobtest-" + strings.ToLower(rand.Text())
	created := false
	t.Cleanup(func() {
		if !created {
			return
		}
		if err := rawClient(t, cfg).RemoveBucket(context.Background(), cfg.Bucket); err != nil {
			t.Errorf("remove bucket %s: %v", cfg.Bucket, err)
		}
	})
	for i := range 2 {
		if _, err := blob.NewS3(t.Context(), cfg); err != nil {
			t.Fatalf("NewS3 %d on bucket %s: %v", i+1, cfg.Bucket, err)
		}
		created = true
	}
}

func TestS3ConfigMasksSecret(t *testing.T) {
	cfg := blob.S3Config{Endpoint: "127.0.0.1:7070", Bucket: "b", AccessKey: "id", SecretKey: "hunter2"}
	if got := cfg.String(); strings.Contains(got, "hunter2") {
		t.Errorf("S3Config.String() = %s, shows the secret", got)
	}
}
