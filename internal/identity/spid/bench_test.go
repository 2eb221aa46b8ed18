package spid

import (
	"testing"
)

// BenchmarkParseResponse measures the ACS's cost per login: a realistic
// SPID L2 response (six attributes, Assertion signed with RSA-2048 and
// SHA-256, Response unsigned as most IdPs send it), and the same with the
// Response signed too. The target is 2,000 responses a second on two
// cores, about 1 ms per response on one.
func BenchmarkParseResponse(b *testing.B) {
	for _, bc := range []struct {
		name string
		opts []func(*inBuild)
	}{
		{"assertion-signed", nil},
		{"both-signed", mOne(inSignedResponse)},
	} {
		enc := inResponse(b, bc.opts...)
		sp, idp, p := inSP(), inIdP(b), inPending()
		if _, err := sp.ParseResponse(enc, p, idp, inNow); err != nil {
			b.Fatal(err)
		}
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(enc)))
			for b.Loop() {
				if _, err := sp.ParseResponse(enc, p, idp, inNow); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(bc.name+"/parallel", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(enc)))
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := sp.ParseResponse(enc, p, idp, inNow); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
