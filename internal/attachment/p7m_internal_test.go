package attachment

import (
	"bytes"
	"testing"
)

// tlvOf encodes one DER value, for building envelopes by hand.
func tlvOf(tag byte, parts ...[]byte) []byte {
	content := bytes.Join(parts, nil)
	n := len(content)
	var hdr []byte
	switch {
	case n < 0x80:
		hdr = []byte{tag, byte(n)}
	case n < 0x100:
		hdr = []byte{tag, 0x81, byte(n)}
	default:
		hdr = []byte{tag, 0x82, byte(n >> 8), byte(n)}
	}
	return append(hdr, content...)
}

// envelope wraps content in a minimal DER SignedData.
func envelope(content []byte) []byte {
	data := []byte{0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x01}
	return tlvOf(0x30,
		tlvOf(0x06, oidSignedData),
		tlvOf(0xA0, tlvOf(0x30,
			tlvOf(0x02, []byte{1}),
			tlvOf(0x31),
			tlvOf(0x30, tlvOf(0x06, data), tlvOf(0xA0, tlvOf(0x04, content))),
			tlvOf(0x31),
		)))
}

func TestUnwrapP7M(t *testing.T) {
	pdf := []byte("%PDF-1.7\n")
	tests := []struct {
		name    string
		in      []byte
		want    []byte
		wantErr error
	}{
		{"der", envelope(pdf), pdf, nil},
		{"nested returns the inner envelope", envelope(envelope(pdf)), envelope(pdf), nil},
		{"cut inside the content", envelope(pdf)[:len(envelope(pdf))-4], pdf[:len(pdf)-2], nil}, // 2 of the 4 were the signer infos
		{"cut before the content", envelope(pdf)[:20], nil, errTrunc},
		{"not cms", []byte{0x30, 0x03, 0x02, 0x01, 0x01}, nil, errNotP7M},
		{"huge length", []byte{0x30, 0x84, 0xFF, 0xFF, 0xFF, 0xFF}, nil, errNotP7M},
		{"empty", nil, nil, errTrunc},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := unwrapP7M(tc.in)
			if err != tc.wantErr {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if !bytes.Equal(got, tc.want) {
				t.Errorf("content = %q, want %q", got, tc.want)
			}
		})
	}
}

// FuzzUnwrapP7M runs the envelope parser on arbitrary bytes, bare and
// wrapped: no panic, never more content than input, a chain no longer
// than maxEnvelopes+1, and wrapped bytes come back out.
func FuzzUnwrapP7M(f *testing.F) {
	for _, seed := range [][]byte{
		envelope([]byte("%PDF-1.7")), envelope(envelope([]byte("\x89PNG\r\n\x1A\n"))), envelope(nil),
		{0x30, 0x80, 0x06, 0x09}, {0x30, 0x80, 0x30, 0x80, 0x30, 0x80, 0x00, 0x00}, []byte("MIAGCSqGSIb3DQEHAqCA"),
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, err := unwrapP7M(b); err == nil && len(got) > len(b) {
			t.Fatalf("unwrapP7M(%q) = %d bytes from %d", b, len(got), len(b))
		}
		if chain := sniffChain(b); len(chain) == 0 || len(chain) > maxEnvelopes+1 {
			t.Fatalf("sniffChain(%q) = %v", b, chain)
		}
		if len(b) < 60000 {
			got, err := unwrapP7M(envelope(b))
			if err != nil || !bytes.Equal(got, b) {
				t.Fatalf("unwrapP7M(envelope(%q)) = %q, %v", b, got, err)
			}
		}
	})
}
