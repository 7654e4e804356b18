package redisconn

import (
	"errors"
	"sync"

	"github.com/redis/rueidis"
)

// ErrClosed is Lazy.Get's error after Close.
var ErrClosed = errors.New("broadcaster is shut down")

// Lazy is a client made on first use, for the components that own their
// connection (the Redis broadcasters): rueidis.NewClient dials at once, so it
// fails while Redis is down and the component's reconnect loop calls Get
// again. Safe for concurrent use.
type Lazy struct {
	mu     sync.Mutex
	client rueidis.Client
	closed bool // set by Close: no new client after it
}

// Get returns the client, making it with co when there is none yet.
func (l *Lazy) Get(co rueidis.ClientOption) (rueidis.Client, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, ErrClosed
	}
	if l.client != nil {
		return l.client, nil
	}
	c, err := rueidis.NewClient(co)
	if err != nil {
		return nil, err
	}
	l.client = c
	return c, nil
}

// Close closes the client, if one was made, after last (when not nil) has
// used it, and refuses to make another. A second Close does nothing.
func (l *Lazy) Close(last func(rueidis.Client)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	if l.client == nil {
		return
	}
	if last != nil {
		last(l.client)
	}
	l.client.Close()
	l.client = nil
}
