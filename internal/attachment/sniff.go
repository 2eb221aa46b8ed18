package attachment

import (
	"bytes"
	"path"
	"strings"
)

// The MIME types Store recognises and may accept.
const (
	PDF  = "application/pdf"
	JPEG = "image/jpeg"
	PNG  = "image/png"
	TIFF = "image/tiff"
	// P7M is a CAdES-signed file (PKCS#7 / CMS SignedData with the content
	// attached), DER or Base64, as Italian signing tools produce.
	P7M = "application/pkcs7-mime"
	// Unknown is a content Sniff does not recognise.
	Unknown = "application/octet-stream"
)

// magics are the signatures Sniff knows. Besides the accepted types, it
// names the common ones a citizen might upload by mistake or an attacker on
// purpose, so that logs say what was refused.
var magics = []struct {
	prefix string
	mime   string
}{
	{"%PDF-", PDF},
	{"\xFF\xD8\xFF", JPEG},
	{"\x89PNG\r\n\x1A\n", PNG},
	{"II*\x00", TIFF},
	{"MM\x00*", TIFF},
	{"PK\x03\x04", "application/zip"},
	{"PK\x05\x06", "application/zip"},
	{"PK\x07\x08", "application/zip"},
	{"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", "application/x-ole-storage"},
	{"MZ", "application/x-msdownload"},
	{"\x7FELF", "application/x-executable"},
	{"#!", "text/x-shellscript"},
	{"\x1F\x8B", "application/gzip"},
	{"BZh", "application/x-bzip2"},
	{"\xFD7zXZ\x00", "application/x-xz"},
	{"Rar!\x1A\x07", "application/vnd.rar"},
	{"7z\xBC\xAF\x27\x1C", "application/x-7z-compressed"},
	{"GIF87a", "image/gif"},
	{"GIF89a", "image/gif"},
	{"<?xml", "application/xml"},
	{"<!DOCTYPE", "text/html"},
	{"<html", "text/html"},
	{"<svg", "image/svg+xml"},
}

// Sniff names the type of a content from its first bytes, the only
// evidence that a client cannot choose freely the way it chooses a name
// or a Content-Type header.
func Sniff(head []byte) string {
	for _, m := range magics {
		if bytes.HasPrefix(head, []byte(m.prefix)) {
			return m.mime
		}
	}
	if len(head) >= 12 && string(head[:4]) == "RIFF" && string(head[8:12]) == "WEBP" {
		return "image/webp"
	}
	if isP7M(head) {
		return P7M
	}
	return Unknown
}

// maxEnvelopes is how many p7m envelopes sniffChain opens: a document
// signed by two or three people in turn is nested that deep, and no
// honest one deeper.
const maxEnvelopes = 3

// sniffChain returns the type of head and, while it is a p7m, the type of
// the content inside: [P7M, P7M, PDF] for a PDF signed twice. An envelope
// that cannot be opened ends the chain with P7M; one past maxEnvelopes
// with Unknown.
func sniffChain(head []byte) []string {
	chain := []string{Sniff(head)}
	for chain[len(chain)-1] == P7M {
		if len(chain) > maxEnvelopes {
			chain[len(chain)-1] = Unknown
			break
		}
		inner, err := unwrapP7M(head)
		if err != nil || len(inner) == 0 {
			break
		}
		head = inner
		chain = append(chain, Sniff(head))
	}
	return chain
}

// extTypes maps the extensions of the recognised types, lower case.
var extTypes = map[string]string{
	".pdf":  PDF,
	".jpg":  JPEG,
	".jpeg": JPEG,
	".png":  PNG,
	".tif":  TIFF,
	".tiff": TIFF,
	".p7m":  P7M,
}

// extension returns name's extension in lower case, ".pdf".
func extension(name string) string {
	return strings.ToLower(path.Ext(name))
}

// declaredTypes returns the types a name announces, outermost first:
// [P7M, PDF] for "domanda.pdf.p7m", [P7M] for "domanda.p7m", nil for an
// unknown extension.
func declaredTypes(name string) []string {
	var out []string
	for {
		t, ok := extTypes[extension(name)]
		if !ok {
			return out
		}
		out = append(out, t)
		if t != P7M {
			return out
		}
		name = strings.TrimSuffix(name, path.Ext(name))
	}
}
