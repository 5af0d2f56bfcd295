package hypervisor

import (
	"context"
	"sync"
	"time"
)

var (
	sharedMu      sync.Mutex
	sharedClients = map[string]*Client{}
)

// Shared returns the process-wide client for uri, opening it when there is
// none or when the previous one no longer answers. Every resource and data
// source of one provider process uses the same connection.
func Shared(ctx context.Context, uri string, timeout time.Duration) (*Client, error) {
	sharedMu.Lock()
	defer sharedMu.Unlock()
	if c, ok := sharedClients[uri]; ok {
		if c.Alive() {
			return c, nil
		}
		_ = c.Close()
		delete(sharedClients, uri)
	}
	c, err := Open(ctx, uri, timeout)
	if err != nil {
		return nil, err
	}
	sharedClients[uri] = c
	return c, nil
}
