package certificate

import "testing"

// SetSettleBatch makes SettleFiles read n copies a round for the rest of
// the test.
func SetSettleBatch(t *testing.T, n int) {
	old := settleBatch
	settleBatch = n
	t.Cleanup(func() { settleBatch = old })
}
