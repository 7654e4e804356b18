package poller

import (
	"errors"
	"net"
	"sync"
	"syscall"

	"github.com/cloudwego/netpoll"
	"golang.org/x/sys/unix"

	"github.com/densecable/densecable/frames"
)

// ErrTooSlow is returned by Write when the connection's pending output would
// exceed its limit: the client does not read fast enough.
var ErrTooSlow error = tooSlowError{}

type tooSlowError struct{}

func (tooSlowError) Error() string { return "poller: client too slow" }

// TooSlow lets other packages recognise the error without importing poller.
func (tooSlowError) TooSlow() bool { return true }

// ErrClosed is returned by Write after the connection is closed.
var ErrClosed = errors.New("poller: connection closed")

const (
	stateHTTP uint8 = iota
	stateWS
)

// Conn is one client connection. Its write side never blocks the caller:
// a write goes straight to the socket, and what the socket does not take is
// queued (up to maxPending bytes) for a flusher goroutine that exists only
// while the queue is non-empty.
type Conn struct {
	nc netpoll.Connection
	fd int

	// Read side: touched only by the connection's onRequest goroutine.
	state uint8
	asm   frames.Assembler
	recv  Receiver

	mu           sync.Mutex
	pending      [][]byte // frames (shared, immutable) waiting for the socket
	pendingBytes int
	maxPending   int
	flushing     bool
	closeAfter   bool // close the socket once pending output is flushed
	closed       bool
	srv          *Server
}

// RemoteAddr is the peer's address.
func (c *Conn) RemoteAddr() net.Addr { return c.nc.RemoteAddr() }

// RemoteIP is the peer's IP without the port.
func (c *Conn) RemoteIP() string {
	if a, ok := c.nc.RemoteAddr().(*net.TCPAddr); ok {
		return a.IP.String()
	}
	host, _, err := net.SplitHostPort(c.nc.RemoteAddr().String())
	if err != nil {
		return c.nc.RemoteAddr().String()
	}
	return host
}

// Write queues a complete frame. The caller must not modify frame afterwards
// (broadcast frames are shared between connections).
func (c *Conn) Write(frame []byte) error {
	c.mu.Lock()
	if c.closed || c.closeAfter {
		c.mu.Unlock()
		return ErrClosed
	}
	if !c.flushing {
		n, err := unix.Write(c.fd, frame)
		if n == len(frame) {
			c.mu.Unlock()
			c.srv.stats.bytesSent.Add(uint64(n))
			return nil
		}
		if err != nil && err != syscall.EAGAIN {
			c.mu.Unlock()
			c.srv.stats.writeErrors.Add(1)
			c.closeNow()
			return err
		}
		if n > 0 {
			c.srv.stats.bytesSent.Add(uint64(n))
			frame = frame[n:]
		}
		c.flushing = true
		c.pending = append(c.pending, frame)
		c.pendingBytes += len(frame)
		c.mu.Unlock()
		go c.flushLoop()
		return nil
	}
	if c.maxPending > 0 && c.pendingBytes+len(frame) > c.maxPending {
		c.mu.Unlock()
		return ErrTooSlow
	}
	c.pending = append(c.pending, frame)
	c.pendingBytes += len(frame)
	c.mu.Unlock()
	return nil
}

// flushLoop drains the queue through netpoll's writer, which waits for the
// socket to become writable (up to the write timeout).
func (c *Conn) flushLoop() {
	w := c.nc.Writer()
	for {
		c.mu.Lock()
		bufs := c.pending
		c.pending = nil
		c.pendingBytes = 0
		if len(bufs) == 0 || c.closed {
			c.flushing = false
			closeNow := c.closeAfter && !c.closed
			c.mu.Unlock()
			if closeNow {
				c.closeNow()
			}
			return
		}
		c.mu.Unlock()
		size := 0
		for _, b := range bufs {
			size += len(b)
			if _, err := w.WriteBinary(b); err != nil {
				c.failWrite()
				return
			}
		}
		if err := w.Flush(); err != nil {
			c.failWrite()
			return
		}
		c.srv.stats.bytesSent.Add(uint64(size))
	}
}

func (c *Conn) failWrite() {
	c.srv.stats.writeErrors.Add(1)
	c.mu.Lock()
	c.flushing = false
	c.mu.Unlock()
	c.closeNow()
}

// Close sends a close frame with code and reason, then closes the socket once
// everything queued before it is written.
func (c *Conn) Close(code uint16, reason string) {
	var buf [frames.MaxHeaderSize + 125]byte
	frame := frames.AppendClose(buf[:0], code, reason)
	frame = append([]byte(nil), frame...)
	_ = c.Write(frame)
	c.mu.Lock()
	if c.closed || c.closeAfter {
		c.mu.Unlock()
		return
	}
	c.closeAfter = true
	flushing := c.flushing
	c.mu.Unlock()
	if !flushing {
		c.closeNow()
	}
}

// CloseSilently closes the socket without a close frame.
func (c *Conn) CloseSilently() { c.closeNow() }

func (c *Conn) closeNow() {
	_ = c.nc.Close()
}

// markClosed runs as netpoll's close callback, before the fd is released, so
// that no direct write can hit a reused descriptor.
func (c *Conn) markClosed() {
	c.mu.Lock()
	c.closed = true
	c.pending = nil
	c.pendingBytes = 0
	c.mu.Unlock()
}
