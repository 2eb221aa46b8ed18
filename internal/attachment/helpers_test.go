package attachment_test

import (
	"archive/zip"
	"bytes"
	"encoding/asn1"
	"encoding/base64"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sportello/sportello/internal/blob"
)

// Sample contents: the smallest bytes each type is recognised by, plus a
// little body so that they are not all alike.
var (
	pdfBytes  = []byte("%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n")
	jpegBytes = append([]byte("\xFF\xD8\xFF\xE0\x00\x10JFIF\x00"), bytes.Repeat([]byte{0x42}, 64)...)
	pngBytes  = append([]byte("\x89PNG\r\n\x1A\n\x00\x00\x00\rIHDR"), bytes.Repeat([]byte{0x17}, 64)...)
	exeBytes  = append([]byte("MZ\x90\x00\x03\x00\x00\x00"), bytes.Repeat([]byte{0}, 120)...)
)

// zipBomb is a small ZIP whose one entry inflates to 100 MB of zeros: it
// must be refused by its magic bytes, whatever its name, and never opened.
func zipBomb(t testing.TB) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	w, err := zw.Create("documento.pdf")
	if err != nil {
		t.Fatal(err)
	}
	zeros := make([]byte, 1<<20)
	for range 100 {
		if _, err := w.Write(zeros); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

var (
	oidSignedData = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	oidData       = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}
	oidSHA256     = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
)

type algorithm struct {
	Algorithm asn1.ObjectIdentifier
	Params    asn1.RawValue `asn1:"optional"`
}

type encapContent struct {
	Type    asn1.ObjectIdentifier
	Content []byte `asn1:"explicit,optional,tag:0"`
}

type signedData struct {
	Version          int
	DigestAlgorithms []algorithm `asn1:"set"`
	Encap            encapContent
	Certificates     asn1.RawValue   `asn1:"optional,tag:0"`
	SignerInfos      []asn1.RawValue `asn1:"set"`
}

type contentInfo struct {
	Type    asn1.ObjectIdentifier
	Content signedData `asn1:"explicit,tag:0"`
}

// derP7M wraps content in a DER CMS SignedData as a signing tool would
// (the signer infos are left empty: only the envelope matters here), or
// makes a detached one when content is nil.
func derP7M(t testing.TB, content []byte) []byte {
	t.Helper()
	sd := signedData{
		Version:          1,
		DigestAlgorithms: []algorithm{{Algorithm: oidSHA256, Params: asn1.NullRawValue}},
		Encap:            encapContent{Type: oidData, Content: content},
		// A certificate-sized blob after the content, as in real files.
		Certificates: asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: bytes.Repeat([]byte{0x05, 0x00}, 100)},
		SignerInfos:  []asn1.RawValue{},
	}
	b, err := asn1.Marshal(contentInfo{Type: oidSignedData, Content: sd})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// berP7M wraps content as some Italian signing tools do: indefinite
// lengths and the content as a constructed OCTET STRING of small chunks.
func berP7M(content []byte, chunk int) []byte {
	oid := func(o []byte) []byte { return append([]byte{0x06, byte(len(o))}, o...) }
	signed := []byte{0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x02}
	data := []byte{0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x01}
	var b []byte
	b = append(b, 0x30, 0x80)
	b = append(b, oid(signed)...)
	b = append(b, 0xA0, 0x80, 0x30, 0x80)
	b = append(b, 0x02, 0x01, 0x01)                   // version
	b = append(b, 0x31, 0x80, 0x30, 0x80, 0x06, 0x09) // digestAlgorithms, indefinite too
	b = append(b, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00)
	b = append(b, 0x30, 0x80)
	b = append(b, oid(data)...)
	b = append(b, 0xA0, 0x80, 0x24, 0x80)
	for len(content) > 0 {
		n := min(chunk, len(content))
		b = append(b, 0x04, 0x81, byte(n))
		b = append(b, content[:n]...)
		content = content[n:]
	}
	b = append(b, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00) // octets, [0], encapContentInfo
	b = append(b, 0x31, 0x00)                         // signerInfos
	b = append(b, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00) // SignedData, [0], ContentInfo
	return b
}

// base64P7M is a p7m saved as PEM-armoured Base64 text, as some tools do.
func base64P7M(der []byte) []byte {
	enc := base64.StdEncoding.EncodeToString(der)
	var b strings.Builder
	b.WriteString("-----BEGIN PKCS7-----\n")
	for len(enc) > 64 {
		b.WriteString(enc[:64] + "\n")
		enc = enc[64:]
	}
	b.WriteString(enc + "\n-----END PKCS7-----\n")
	return []byte(b.String())
}

// newStore returns an FS blob store in a temporary directory and a func
// listing the files it holds, to prove a refusal stored nothing.
func newStore(t testing.TB) (*blob.FS, func() []string) {
	t.Helper()
	root := t.TempDir()
	s, err := blob.NewFS(root)
	if err != nil {
		t.Fatal(err)
	}
	list := func() []string {
		var keys []string
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() { // the store's own tmp/ included: nothing half-written either
				keys = append(keys, d.Name())
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return keys
	}
	return s, list
}

// spoolDir points the temporary files of Store at a fresh directory and
// returns a func that lists what was left there.
func spoolDir(t *testing.T) func() []string {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("TMPDIR", dir)
	return func() []string {
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		return names
	}
}
