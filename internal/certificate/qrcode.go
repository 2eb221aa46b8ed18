package certificate

import (
	"errors"
	"sync"

	"rsc.io/qr/coding"
)

// qrLevel is the contrassegno's error correction: M recovers about 15 %
// of the modules, enough for a printed and scanned page.
const qrLevel = coding.M

// qrPlans are the QR layouts, one per version, computed once: working out
// where every module of a version goes costs several times more than
// encoding the text, and a plan is only read when encoding.
var qrPlans [coding.MaxVersion + 1]struct {
	once sync.Once
	plan *coding.Plan
	err  error
}

// encodeQR encodes text as the smallest QR code of level M that holds it,
// in byte mode unless the text is all digits or all of the alphanumeric
// set, with mask 0: what rsc.io/qr's Encode does, with the plans kept.
func encodeQR(text string) (*coding.Code, error) {
	var enc coding.Encoding = coding.String(text)
	if coding.Num(text).Check() == nil {
		enc = coding.Num(text)
	} else if coding.Alpha(text).Check() == nil {
		enc = coding.Alpha(text)
	}
	for v := coding.Version(coding.MinVersion); v <= coding.MaxVersion; v++ {
		if enc.Bits(v) > v.DataBytes(qrLevel)*8 {
			continue
		}
		p := &qrPlans[v]
		p.once.Do(func() { p.plan, p.err = coding.NewPlan(v, qrLevel, 0) })
		if p.err != nil {
			return nil, p.err
		}
		return p.plan.Encode(enc)
	}
	return nil, errors.New("text too long for a QR code")
}
