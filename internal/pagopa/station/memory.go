package station

import (
	"context"
	"slices"
	"sync"

	"github.com/sportello/sportello/internal/apperr"
	"github.com/sportello/sportello/internal/pagopa"
)

// Memory is an in-memory Positions, for tests and for the simulator's
// stand-alone mode: positions are put in by hand, receipts are kept in the
// order they arrived and mark their notice paid.
type Memory struct {
	mu        sync.Mutex
	positions map[noticeKey]Position
	receipts  map[receiptKey]Receipt
	order     []receiptKey
	// Fail, if set, is called before every operation; an error it returns
	// is returned as the store's, to test how the station copes.
	Fail func(op string) error
}

type noticeKey struct{ ente, nav string }

type receiptKey struct{ ente, iuv, receiptID string }

// NewMemory returns an empty store.
func NewMemory() *Memory {
	return &Memory{positions: map[noticeKey]Position{}, receipts: map[receiptKey]Receipt{}}
}

// Put sets the position behind a notice of an ente.
func (m *Memory) Put(ente string, nav pagopa.NAV, p Position) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.positions[noticeKey{ente, nav.String()}] = p
}

// Verify implements Positions.
func (m *Memory) Verify(ctx context.Context, ente string, nav pagopa.NAV) (Position, error) {
	return m.find("verify", ente, nav)
}

// Get implements Positions.
func (m *Memory) Get(ctx context.Context, ente string, nav pagopa.NAV) (Position, error) {
	return m.find("get", ente, nav)
}

func (m *Memory) find(op, ente string, nav pagopa.NAV) (Position, error) {
	if m.Fail != nil {
		if err := m.Fail(op); err != nil {
			return Position{}, err
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	p, ok := m.positions[noticeKey{ente, nav.String()}]
	if !ok {
		return Position{}, apperr.Errorf(apperr.NotFound, "station: memory: notice %s of %s not found", nav, ente)
	}
	p.Transfers = slices.Clone(p.Transfers)
	return p, nil
}

// StoreReceipt implements Positions: the first receipt for (ente, IUV,
// receiptId) is kept and marks the notice paid; a replay returns
// ErrDuplicateReceipt.
func (m *Memory) StoreReceipt(ctx context.Context, r Receipt) error {
	if m.Fail != nil {
		if err := m.Fail("store"); err != nil {
			return err
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	k := receiptKey{r.FiscalCode, r.IUV, r.ReceiptID}
	if _, dup := m.receipts[k]; dup {
		return ErrDuplicateReceipt
	}
	m.receipts[k] = r
	m.order = append(m.order, k)
	if p, ok := m.positions[noticeKey{r.FiscalCode, r.NoticeNumber.String()}]; ok {
		p.Paid = true
		p.Status = StatusPaid
		m.positions[noticeKey{r.FiscalCode, r.NoticeNumber.String()}] = p
	}
	return nil
}

// Receipts returns the stored receipts in the order they arrived.
func (m *Memory) Receipts() []Receipt {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Receipt, len(m.order))
	for i, k := range m.order {
		out[i] = m.receipts[k]
	}
	return out
}
