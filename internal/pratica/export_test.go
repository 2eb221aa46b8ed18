package pratica

import "github.com/sportello/sportello/internal/tenant"

// QueueQueryForTest exposes the queue's SQL, for the benchmark's plans.
func QueueQueryForTest(ente tenant.ID, f QueueFilter) (string, []any, error) {
	q, args, _, err := queueQuery(ente, f)
	return q, args, err
}
