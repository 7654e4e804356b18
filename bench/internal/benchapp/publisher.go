package benchapp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/densecable/densecable/encoders/jsonkit"
)

// HTTPPublisher posts broadcasts to the server's HTTP broadcast endpoint
// (POST /_broadcast {"stream":..,"data":..}) over keep-alive connections.
//
// In sync mode Publish returns once the server accepted the broadcast, so a
// broadcastResult transmitted after it reaches the sender after the server
// started fanning out — the order websocket-bench's numbers assume. In
// async mode Publish only enqueues (blocking when the bounded queue is full,
// never dropping) and workers post batches (JSON arrays), which keeps the
// RPC handlers fast when broadcasts are frequent.
type HTTPPublisher struct {
	url    string
	key    string
	client *http.Client
	log    *slog.Logger

	queue   chan publication // nil in sync mode
	wg      sync.WaitGroup
	mu      sync.RWMutex // held for reading while enqueuing, so Close never closes queue under a sender
	closing atomic.Bool
	failed  atomic.Int64
	sent    atomic.Int64
}

type publication struct{ stream, data string }

// PublisherConfig configures NewHTTPPublisher.
type PublisherConfig struct {
	URL       string // e.g. http://127.0.0.1:8090/_broadcast
	Key       string // broadcast key; empty = no Authorization header
	Async     bool
	Workers   int // async workers (and idle keep-alive connections)
	QueueSize int // async queue bound
	Timeout   time.Duration
}

// NewHTTPPublisher starts the publisher (and its workers in async mode).
func NewHTTPPublisher(cfg PublisherConfig, log *slog.Logger) *HTTPPublisher {
	cfg.Workers = max(cfg.Workers, 1)
	cfg.QueueSize = max(cfg.QueueSize, 1)
	if cfg.Timeout <= 0 {
		cfg.Timeout = 5 * time.Second
	}
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: cfg.Timeout, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        cfg.Workers * 4,
		MaxIdleConnsPerHost: cfg.Workers * 4,
		IdleConnTimeout:     90 * time.Second,
	}
	p := &HTTPPublisher{
		url:    cfg.URL,
		key:    cfg.Key,
		client: &http.Client{Transport: tr, Timeout: cfg.Timeout},
		log:    log,
	}
	if cfg.Async {
		p.queue = make(chan publication, cfg.QueueSize)
		for range cfg.Workers {
			p.wg.Add(1)
			go p.worker()
		}
	}
	return p
}

// ErrClosed is returned by Publish after Close.
var ErrClosed = errors.New("benchapp: publisher closed")

// Publish broadcasts data to stream (see the type comment for the modes).
func (p *HTTPPublisher) Publish(ctx context.Context, stream, data string) error {
	if p.closing.Load() {
		return ErrClosed
	}
	if p.queue == nil {
		return p.post(ctx, appendPublication(nil, stream, data))
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.closing.Load() {
		return ErrClosed
	}
	select {
	case p.queue <- publication{stream, data}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// maxBatch bounds how many queued publications one POST carries.
const maxBatch = 64

func (p *HTTPPublisher) worker() {
	defer p.wg.Done()
	var body []byte
	for pub := range p.queue {
		body = append(body[:0], '[')
		body = appendPublication(body, pub.stream, pub.data)
	drain:
		for n := 1; n < maxBatch; n++ {
			select {
			case next, ok := <-p.queue:
				if !ok {
					break drain
				}
				body = append(body, ',')
				body = appendPublication(body, next.stream, next.data)
			default:
				break drain
			}
		}
		body = append(body, ']')
		if err := p.post(context.Background(), body); err != nil {
			p.log.Warn("async broadcast failed", "err", err)
		}
	}
}

func appendPublication(dst []byte, stream, data string) []byte {
	dst = append(dst, `{"stream":`...)
	dst = jsonkit.AppendString(dst, stream)
	dst = append(dst, `,"data":`...)
	dst = jsonkit.AppendString(dst, data)
	return append(dst, '}')
}

func (p *HTTPPublisher) post(ctx context.Context, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("broadcast request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if p.key != "" {
		req.Header.Set("Authorization", "Bearer "+p.key)
	}
	resp, err := p.client.Do(req)
	if err != nil {
		p.failed.Add(1)
		return fmt.Errorf("broadcast POST %s: %w", p.url, err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // keep the connection reusable
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		p.failed.Add(1)
		return fmt.Errorf("broadcast POST %s: status %d", p.url, resp.StatusCode)
	}
	p.sent.Add(1)
	return nil
}

// Stats reports successful and failed POSTs.
func (p *HTTPPublisher) Stats() (sent, failed int64) { return p.sent.Load(), p.failed.Load() }

// Close stops accepting broadcasts and, in async mode, flushes the queue.
func (p *HTTPPublisher) Close() {
	if p.closing.Swap(true) {
		return
	}
	if p.queue != nil {
		p.mu.Lock()
		close(p.queue)
		p.mu.Unlock()
		p.wg.Wait()
	}
	p.client.CloseIdleConnections()
}
