package webhooks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/densecable/densecable/api/pusher"
)

// Options configure the sender (defaults in DefaultOptions).
type Options struct {
	URLs []string
	// Key and Secret are the app's: X-Pusher-Key, and the HMAC key of
	// X-Pusher-Signature.
	Key, Secret string
	// Events are the names to send (nil: all).
	Events []string
	// QueueSize bounds the events waiting to be sent; the oldest go first.
	QueueSize int
	// BatchSize bounds the events of one request.
	BatchSize int
	// Timeout bounds one request.
	Timeout time.Duration
	// Retries after a failed request, waiting RetryDelay, doubling.
	Retries    int
	RetryDelay time.Duration
}

// DefaultOptions: 10,000 queued events, 100 per request, 5 s per request,
// 3 retries from 1 s.
func DefaultOptions() Options {
	return Options{QueueSize: 10000, BatchSize: 100, Timeout: 5 * time.Second, Retries: 3, RetryDelay: time.Second}
}

// Stats count the sender's work.
type Stats struct {
	Sent    atomic.Uint64 // events delivered (a 2xx from every URL)
	Failed  atomic.Uint64 // events given up on after the retries
	Dropped atomic.Uint64 // events dropped from a full queue
}

// Sender queues events and posts them from one goroutine.
type Sender struct {
	opts   Options
	want   map[string]bool
	q      *queue
	client *http.Client
	log    *slog.Logger
	stats  Stats

	stop    chan struct{}
	done    chan struct{}
	started atomic.Bool
}

// New returns a sender; Start runs it.
func New(opts Options, log *slog.Logger) *Sender {
	d := DefaultOptions()
	if opts.QueueSize <= 0 {
		opts.QueueSize = d.QueueSize
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = d.BatchSize
	}
	if opts.Timeout <= 0 {
		opts.Timeout = d.Timeout
	}
	if opts.RetryDelay <= 0 {
		opts.RetryDelay = d.RetryDelay
	}
	s := &Sender{opts: opts, q: newQueue(opts.QueueSize), client: &http.Client{Timeout: opts.Timeout}, log: log,
		stop: make(chan struct{}), done: make(chan struct{})}
	if opts.Events != nil {
		s.want = make(map[string]bool, len(opts.Events))
		for _, e := range opts.Events {
			s.want[e] = true
		}
	}
	return s
}

// Stats exposes the counters.
func (s *Sender) Stats() *Stats { return &s.stats }

// Wants reports whether events named name are sent.
func (s *Sender) Wants(name string) bool { return s.want == nil || s.want[name] }

// Add queues e (never blocks); unwanted events are ignored.
func (s *Sender) Add(e Event) {
	if !s.Wants(e.Name) {
		return
	}
	if s.q.push(e) {
		s.stats.Dropped.Add(1)
		// One line per thousand drops: a dead receiver must not flood the log.
		if n := s.stats.Dropped.Load(); n%1000 == 1 {
			s.log.Warn("Pusher webhook queue is full; dropping the oldest events", "dropped_total", n, "queue_size", s.opts.QueueSize)
		}
	}
}

// Start runs the sending goroutine.
func (s *Sender) Start() {
	s.started.Store(true)
	go s.run()
}

// Shutdown sends what is queued until ctx is done, then stops (nothing to
// do if Start did not run).
func (s *Sender) Shutdown(ctx context.Context) error {
	if !s.started.Load() {
		return nil
	}
	for s.q.len() > 0 {
		select {
		case <-ctx.Done():
			close(s.stop)
			<-s.done
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
	close(s.stop)
	<-s.done
	return nil
}

func (s *Sender) run() {
	defer close(s.done)
	for {
		select {
		case <-s.stop:
			return
		case <-s.q.wake:
		}
		for {
			batch := s.q.pop(s.opts.BatchSize)
			if len(batch) == 0 {
				break
			}
			body := Body(time.Now().UnixMilli(), batch)
			ok := true
			for _, u := range s.opts.URLs {
				if err := s.post(u, body); err != nil {
					ok = false
					s.log.Warn("Pusher webhook not delivered", "url", u, "events", len(batch), "error", err)
				}
			}
			if ok {
				s.stats.Sent.Add(uint64(len(batch)))
			} else {
				s.stats.Failed.Add(uint64(len(batch)))
			}
		}
	}
}

// post sends body to url, retrying with a doubling delay; Shutdown cuts
// the waits short.
func (s *Sender) post(url string, body []byte) error {
	sig := pusher.Sign(s.opts.Secret, body)
	delay := s.opts.RetryDelay
	var err error
	for attempt := 0; ; attempt++ {
		if err = s.postOnce(url, body, sig); err == nil {
			return nil
		}
		if attempt == s.opts.Retries {
			return err
		}
		select {
		case <-s.stop:
			return errors.Join(err, errors.New("shutting down"))
		case <-time.After(delay):
		}
		delay *= 2
	}
}

func (s *Sender) postOnce(url string, body []byte, sig string) error {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Pusher-Key", s.opts.Key)
	req.Header.Set("X-Pusher-Signature", sig)
	resp, err := s.client.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return nil
}
