// Package opener opens a benchmark tool's clients: n connections, at most
// parallel handshakes in flight, each made by the tool's own dial function
// (which also starts whatever reads the connection afterwards). The tools
// differ in their handshakes, not in this loop.
package opener

import (
	"net"
	"sync"
)

// Result is what Open made: the connections that completed their
// handshake, how many did not, and the first of their errors.
type Result struct {
	Conns    []net.Conn
	Failed   int
	FirstErr error
}

// Close closes every open connection.
func (r *Result) Close() {
	for _, c := range r.Conns {
		_ = c.Close()
	}
}

// Open calls dial(i) for i in [0, n), parallel at a time, and returns once
// every call has returned. With stopOnError no new dial starts after the
// first failure (the tools that need every client to count).
func Open(n, parallel int, stopOnError bool, dial func(i int) (net.Conn, error)) *Result {
	if parallel < 1 {
		parallel = 1
	}
	r := &Result{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, parallel)
	for i := 0; i < n; i++ {
		sem <- struct{}{}
		mu.Lock()
		stop := stopOnError && r.FirstErr != nil
		mu.Unlock()
		if stop {
			<-sem
			break
		}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			c, err := dial(i)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				r.Failed++
				if r.FirstErr == nil {
					r.FirstErr = err
				}
				return
			}
			r.Conns = append(r.Conns, c)
		}(i)
	}
	wg.Wait()
	return r
}
