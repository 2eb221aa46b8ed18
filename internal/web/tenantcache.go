package web

import (
	"context"
	"sync"
	"time"

	"github.com/sportello/sportello/internal/db"
	"github.com/sportello/sportello/internal/tenant"
)

// tenantCache keeps the ente found for each host for a few seconds, so that
// a page view does not cost four queries before any work. It holds nothing
// another instance needs: every instance rebuilds it from the database, and
// a change made through another instance shows within the TTL.
type tenantCache struct {
	ttl     time.Duration
	now     func() time.Time
	mu      sync.Mutex
	entries map[string]tenantEntry
}

type tenantEntry struct {
	ente    *tenant.Ente
	expires time.Time
}

// maxCachedHosts bounds the cache, so that requests with made-up Host
// headers cannot grow it without limit.
const maxCachedHosts = 10000

func newTenantCache(ttl time.Duration, now func() time.Time) *tenantCache {
	return &tenantCache{ttl: ttl, now: now, entries: map[string]tenantEntry{}}
}

// get returns the ente answering on host, from the cache or the database.
// Unknown hosts are not cached (a typo must not push real hosts out).
func (c *tenantCache) get(ctx context.Context, q db.Querier, host string) (*tenant.Ente, error) {
	host = tenant.NormalizeHost(host)
	if c.ttl < 0 {
		return tenant.ByHost(ctx, q, host)
	}
	now := c.now()
	c.mu.Lock()
	e, ok := c.entries[host]
	c.mu.Unlock()
	if ok && now.Before(e.expires) {
		return e.ente, nil
	}
	ente, err := tenant.ByHost(ctx, q, host)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if len(c.entries) >= maxCachedHosts {
		clear(c.entries)
	}
	c.entries[host] = tenantEntry{ente: ente, expires: now.Add(c.ttl)}
	c.mu.Unlock()
	return ente, nil
}
