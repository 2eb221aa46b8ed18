package pagopasim

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/sportello/sportello/internal/pagopa"
	"github.com/sportello/sportello/internal/pagopa/station"
)

// SetStation switches the payer at a counter to the ente's own station
// (the synchronous mode): POST /test/pay then plays the Node against the
// station at url — paVerifyPaymentNotice, paGetPaymentV2, paSendRTV2,
// retried as the Node retries — instead of paying on the simulated GPD
// alone. Empty switches back.
func (s *Sim) SetStation(url string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stationURL = url
}

func (s *Sim) station() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stationURL
}

// stationFaults are the station's faults a payer at a counter is told, as
// the errors Pay returns.
var stationFaults = map[string]error{
	station.FaultUnknown: ErrUnknown, station.FaultExpired: ErrExpired,
	station.FaultCancelled: ErrCancelled, station.FaultDuplicate: ErrDuplicate,
}

// PayAtStation pays the notice nav of ente ec as payer would at a counter,
// through the ente's own station at url: verify, getPayment (twice, as
// after an expired token), then the receipt, retried on timeouts, errors
// and KO. The simulated GPD records the same receipt, so that an ente that
// also polls the receipts service finds a duplicate, not a second payment.
// It returns the receipt id.
func (s *Sim) PayAtStation(ctx context.Context, url, ec, nav string, payer Payer) (string, error) {
	n, err := pagopa.ParseNAV(nav)
	if err != nil {
		return "", ErrUnknown
	}
	id := randomID()
	p := &station.Payer{URL: url, Client: &http.Client{Timeout: 10 * time.Second},
		BrokerID: s.opt.BrokerID, StationID: s.opt.StationID,
		PSP: station.PSP{ID: payer.PSP, CompanyName: payer.PSPName, Channel: payer.Channel,
			ChannelDescription: "simulated", PaymentMethod: payer.Method},
		Backoff:   func(n int) time.Duration { return time.Duration(n) * 200 * time.Millisecond },
		Now:       s.Now,
		ReceiptID: func() string { return id },
		RepeatGet: true,
	}
	if _, err := p.Pay(ctx, ec, n); err != nil {
		var f *station.Fault
		if errors.As(err, &f) && stationFaults[f.Code] != nil {
			return "", stationFaults[f.Code]
		}
		return "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.pay(ec, nav, payer, id); err != nil && !errors.Is(err, ErrUnknown) {
		s.opt.Logger.Warn("pagopa sim: paid at the station, not on GPD", "ec", ec, "err", err)
	}
	s.opt.Logger.Info("pagopa sim: notice paid at the ente's station", "ec", ec, "psp", payer.PSP)
	return id, nil
}
