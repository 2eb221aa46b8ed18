package blob

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseS3URL(t *testing.T) {
	tests := []struct {
		in      string
		want    S3Config
		wantErr bool
	}{
		{in: "s3://AK:SK@minio:9000/docs", want: S3Config{Endpoint: "minio:9000", Bucket: "docs", AccessKey: "AK", SecretKey: "SK"}},
		{in: "s3://AK:SK@s3.example/docs?ssl=true&region=eu-south-1&prefix=ala/", want: S3Config{
			Endpoint: "s3.example", Bucket: "docs", AccessKey: "AK", SecretKey: "SK", UseSSL: true, Region: "eu-south-1", Prefix: "ala/"}},
		{in: "s3://AK:SK@minio:9000/", wantErr: true},
		{in: "s3://AK:SK@minio:9000/a/b", wantErr: true},
		{in: "s3://AK:SK@minio:9000/docs?ssl=maybe", wantErr: true},
		{in: "http://minio/docs", wantErr: true},
	}
	for _, tc := range tests {
		got, err := ParseS3URL(tc.in)
		if (err != nil) != tc.wantErr {
			t.Errorf("ParseS3URL(%q) err = %v, wantErr %v", tc.in, err, tc.wantErr)
			continue
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("ParseS3URL(%q) mismatch (-want +got):\n%s", tc.in, diff)
		}
	}
}

func FuzzParseS3URL(f *testing.F) {
	for _, s := range []string{"s3://a:b@h:1/x?ssl=true", "s3://h/x", "s3://%zz", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		cfg, err := ParseS3URL(s)
		if err == nil && (cfg.Endpoint == "" || cfg.Bucket == "") {
			t.Fatalf("ParseS3URL(%q) accepted a config without endpoint or bucket: %v", s, cfg)
		}
	})
}

func TestOpenFileURL(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(context.Background(), "file://"+dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := s.(*FS); !ok {
		t.Errorf("Open(file://) = %T, want *FS", s)
	}
	if _, err := Open(context.Background(), "ftp://x"); err == nil {
		t.Error("Open(ftp://) succeeded")
	}
}
