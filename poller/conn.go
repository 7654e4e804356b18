package poller

import (
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"github.com/gobwas/ws"
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
	stateHTTP       uint8 = iota // reading the request head
	stateWS                      // upgraded
	stateHTTPServed              // handed to fasthttp, which times it out
	stateBody                    // reading a held request's body (held.go)
	stateHeld                    // a held request's response is open
)

// connIO is what differs between the two engines for one connection.
type connIO interface {
	// startFlush gets pending output written once the socket can take it
	// (called with flushing just set).
	startFlush(c *Conn)
	// closeSocket closes the socket now; idempotent.
	closeSocket(c *Conn)
	// holdRead and resumeRead bracket a held response (called with c.mu
	// held, state already changed): the engine stops reading the client's
	// next request until the response is finished, but still notices the
	// client leaving.
	holdRead(c *Conn)
	resumeRead(c *Conn)
}

// Conn is one client connection. Its write side never blocks the caller:
// a write goes straight to the socket, and what the socket does not take is
// queued (up to maxPending bytes) until the socket is writable again.
type Conn struct {
	// The first 64 bytes are what a write that the socket takes at once
	// reads and writes (write, Queue, Flush): one cache line per delivery
	// instead of three (docs/benchmarks.md, the one-write floor). A Conn
	// is 256 bytes, an allocation size class whose objects start on a
	// 64-byte boundary (TestConnWritePathLine checks both).
	mu          sync.Mutex
	fd          int
	stats       *Stats
	corked      [][]byte // under mu: frames gathered by Queue for the next Flush
	corkedBytes int      // under mu

	// The one-byte fields sit together (a Conn's size is idle memory per
	// connection; TestConnSize). state and dataOp belong to the read side,
	// the flags under mu to the write side.
	state uint8
	// dataOp, when set, is the opcode every data message is delivered with
	// (SetDataOpCode).
	dataOp     ws.OpCode
	flushing   bool // under mu
	closeAfter bool // under mu: close the socket once pending output is flushed
	closed     bool // under mu
	// A held request's (held.go), under mu: in the padding here rather
	// than in heldState, which an idle SSE stream or long poll keeps.
	heldKeepAlive  bool // the client did not ask to close
	heldCloseAtEnd bool // bytes came behind the held request

	// Output waiting for the socket (under mu): the write path's second
	// line, touched only when the socket did not take everything.
	pending      [][]byte // frames (shared, immutable) waiting for the socket
	pendingBytes int
	maxPending   int
	flushSince   int64 // when output started waiting for the socket (Unix ns)
	io           connIO

	remote net.Addr

	// Read side: touched only by the goroutine reading this connection.
	asm frames.Assembler
	// recv is whoever the connection serves, one at a time (written under
	// mu): the WebSocket Receiver (stateWS: set once after Open, then read
	// by the read side without the lock), or a held request's
	// *HTTPRequest while its body is read (stateBody, read side only), then
	// the HTTPReceiver of its held response (stateHeld, nil once finished).
	// One field, so an idle SSE stream or long poll costs no allocation of
	// the engine's beside its Conn (held.go).
	recv any
	in   []byte // epoll engine: bytes of an incomplete head or frame
	// partialSince is, before the connection is a WebSocket, when its
	// request began (accepted, or the last held response finished: the
	// handshake timeout); after, when the input became an unfinished frame
	// or fragmented message (0 when none: the frame timeout). Unix ns; the
	// sweeper reads it. One word for both: they are never needed at once.
	partialSince atomic.Int64
	// held is a word for whoever answers a held request (HeldWord): an SSE
	// stream keeps its phase here rather than in an allocation of its own.
	held unsafe.Pointer

	// resumed (netpoll, TLS; under mu) is closed when a held response
	// finishes or the socket closes: a reader that got bytes while the
	// response was held waits for it (held.go). Nil on the epoll engine.
	resumed chan struct{}
}

// readState is the read side's view of the connection, taken under mu
// because Finish (on another goroutine) moves a held connection back to
// reading heads.
func (c *Conn) readState() (state uint8, closed bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state, c.closed
}

// pipelined records that the client sent bytes behind a held request: they
// are dropped, and the connection closes when the response finishes.
func (c *Conn) pipelined() {
	c.mu.Lock()
	c.heldCloseAtEnd = true
	c.mu.Unlock()
}

// signalResumed wakes a reader waiting on resumed (called with mu held).
func (c *Conn) signalResumed() {
	if c.resumed != nil {
		close(c.resumed)
		c.resumed = nil
	}
}

// SetDataOpCode makes the connection deliver every data message, text or
// binary, with op: the protocol decides how a payload is read, not the frame
// type (anycable-go reads the payload whatever the frame type). Call it from
// Handler.Open.
func (c *Conn) SetDataOpCode(op ws.OpCode) { c.dataOp = op }

// Framer implements sessions.Transport: messages travel as WebSocket frames.
// A connection that agreed on permessage-deflate gets the compressing one.
// (Held HTTP responses frame in their own transport: sse, longpoll.)
func (c *Conn) Framer() frames.Framer {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.asm.Deflate {
		return frames.DeflateFramer()
	}
	return frames.WebSocketFramer()
}

// NativePing implements sessions.NativePinger: a WebSocket ping frame, for
// --enable_ws_native_pings.
func (c *Conn) NativePing() error { return c.Write(nativePing) }

// nativePing is an empty WebSocket ping frame; written, never modified.
var nativePing = frames.AppendFrame(nil, ws.OpPing, nil)

// HeldWord is a pointer-sized word the answer to a held request may keep
// in the connection (read and written atomically by its owner; nil at
// first). It lets an SSE stream's transport be the Conn itself, with no
// allocation of its own for the stream's life.
func (c *Conn) HeldWord() *unsafe.Pointer { return &c.held }

// notePartial records, after reading, whether input is left unfinished: a
// partial frame in the buffer or a fragmented message in the assembler.
// The clock starts when the input first becomes unfinished and stops when
// nothing is.
func (c *Conn) notePartial(partial bool) {
	if !partial && !c.asm.Active() {
		if c.partialSince.Load() != 0 {
			c.partialSince.Store(0)
		}
		return
	}
	if c.partialSince.Load() == 0 {
		c.partialSince.Store(time.Now().UnixNano())
	}
}

// RemoteAddr is the peer's address.
func (c *Conn) RemoteAddr() net.Addr { return c.remote }

// RemoteIP is the peer's IP without the port.
func (c *Conn) RemoteIP() string {
	if a, ok := c.remote.(*net.TCPAddr); ok {
		return a.IP.String()
	}
	host, _, err := net.SplitHostPort(c.remote.String())
	if err != nil {
		return c.remote.String()
	}
	return host
}

// UpgradeCorked reports, during Handler.Open, that the 101 response is
// still corked: a receiver may then hold it (UpgradeHolder) and send it
// with its first message.
func (c *Conn) UpgradeCorked() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state == stateWS && len(c.corked) > 0 && !c.closed
}

// Write queues a complete frame. The caller must not modify frame afterwards
// (broadcast frames are shared between connections).
func (c *Conn) Write(frame []byte) error {
	_, err := c.write(frame, false)
	return err
}

// write queues frame; force ignores the pending limit (the last words to a
// client being cut off: a disconnect message and the close frame). sent
// says the socket took all of frame at once: nothing keeps it, the caller
// may reuse it (Respond's pooled buffers).
func (c *Conn) write(frame []byte, force bool) (sent bool, err error) {
	c.mu.Lock()
	if c.closed || c.closeAfter {
		c.mu.Unlock()
		return false, ErrClosed
	}
	if len(c.corked) > 0 && !c.flushing {
		// Keep order behind what a broadcast batch gathered.
		c.corked = append(c.corked, frame)
		c.corkedBytes += len(frame)
		return false, c.flushLocked()
	}
	if !c.flushing && c.fd < 0 {
		// No raw descriptor (TLS): everything goes through the flusher.
		c.flushing = true
		c.flushSince = time.Now().UnixNano()
		c.pending = append(c.pending, frame)
		c.pendingBytes += len(frame)
		c.mu.Unlock()
		c.io.startFlush(c)
		return false, nil
	}
	if !c.flushing {
		n, err := unix.Write(c.fd, frame)
		if n == len(frame) {
			c.mu.Unlock()
			c.stats.bytesSent.Add(uint64(n))
			return true, nil
		}
		if err != nil && err != syscall.EAGAIN {
			c.mu.Unlock()
			c.stats.writeErrors.Add(1)
			c.closeNow()
			return false, err
		}
		if n > 0 {
			c.stats.bytesSent.Add(uint64(n))
			frame = frame[n:]
		}
		c.flushing = true
		c.flushSince = time.Now().UnixNano()
		c.pending = append(c.pending, frame)
		c.pendingBytes += len(frame)
		c.mu.Unlock()
		c.io.startFlush(c)
		return false, nil
	}
	if !force && c.maxPending > 0 && c.pendingBytes+len(frame) > c.maxPending {
		c.mu.Unlock()
		return false, ErrTooSlow
	}
	c.pending = append(c.pending, frame)
	c.pendingBytes += len(frame)
	c.mu.Unlock()
	return false, nil
}

// maxIovecs keeps writev under the kernel's IOV_MAX.
const maxIovecs = 512

// Queue gathers a frame for the next Flush, so that a burst of broadcasts
// costs one writev per socket instead of one write per message. It reports
// whether nothing was gathered before (the caller must then Flush).
func (c *Conn) Queue(frame []byte) (first bool, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	first, behind, err := c.reserveLocked(len(frame))
	switch {
	case err != nil:
	case behind:
		c.pending = append(c.pending, frame)
	default:
		c.corked = append(c.corked, frame)
	}
	return first, err
}

// QueueFrames is Queue for several frames at once. The Conn keeps fs
// itself (the caller must not touch it again), so gathering them costs no
// allocation: an SSE stream's start hands over its head and the events it
// kept in one slice.
func (c *Conn) QueueFrames(fs [][]byte) (first bool, err error) {
	n := 0
	for _, f := range fs {
		n += len(f)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	first, behind, err := c.reserveLocked(n)
	switch {
	case err != nil:
	case behind:
		c.pending = append(c.pending, fs...)
	case first:
		c.corked = fs
	default:
		c.corked = append(c.corked, fs...)
	}
	return first, err
}

// reserveLocked counts n bytes about to be queued (mu held): behind
// output already waiting for the socket (behind), or gathered for the
// next Flush (first: nothing was before). Past the pending limit it
// refuses with ErrTooSlow and counts nothing.
func (c *Conn) reserveLocked(n int) (first, behind bool, err error) {
	if c.closed || c.closeAfter {
		return false, false, ErrClosed
	}
	if c.flushing {
		// Output already waits for the socket: queue behind it.
		if c.maxPending > 0 && c.pendingBytes+n > c.maxPending {
			return false, true, ErrTooSlow
		}
		c.pendingBytes += n
		return false, true, nil
	}
	first = len(c.corked) == 0
	if c.maxPending > 0 && c.corkedBytes+n > c.maxPending {
		return first, false, ErrTooSlow
	}
	c.corkedBytes += n
	return first, false, nil
}

// Flush writes what Queue gathered.
func (c *Conn) Flush() error {
	c.mu.Lock()
	if len(c.corked) == 0 || c.closed {
		c.mu.Unlock()
		return nil
	}
	return c.flushLocked()
}

// flushLocked writes the gathered frames with one writev; what the socket
// does not take becomes pending output. It unlocks c.mu.
func (c *Conn) flushLocked() error {
	bufs, total := c.corked, c.corkedBytes
	c.corked, c.corkedBytes = nil, 0
	if c.flushing || c.fd < 0 {
		c.pending = append(c.pending, bufs...)
		c.pendingBytes += total
		start := !c.flushing
		if start {
			c.flushing = true
			c.flushSince = time.Now().UnixNano()
		}
		c.mu.Unlock()
		if start {
			c.io.startFlush(c)
		}
		return nil
	}
	iov := bufs
	if len(iov) > maxIovecs {
		// writev takes at most IOV_MAX (1024) buffers; the rest waits for
		// the socket like any other pending output.
		iov = iov[:maxIovecs]
	}
	n, err := unix.Writev(c.fd, iov)
	if n > 0 {
		c.stats.bytesSent.Add(uint64(n))
	}
	if n == total {
		c.mu.Unlock()
		return nil
	}
	if err != nil && err != syscall.EAGAIN {
		c.mu.Unlock()
		c.stats.writeErrors.Add(1)
		c.closeNow()
		return err
	}
	if n < 0 {
		n = 0
	}
	for len(bufs) > 0 && n >= len(bufs[0]) {
		n -= len(bufs[0])
		bufs = bufs[1:]
	}
	if len(bufs) > 0 {
		bufs[0] = bufs[0][n:]
	}
	for _, b := range bufs {
		c.pending = append(c.pending, b)
		c.pendingBytes += len(b)
	}
	c.flushing = true
	c.flushSince = time.Now().UnixNano()
	c.mu.Unlock()
	c.io.startFlush(c)
	return nil
}

// drainWith is the flusher goroutine of the engines that write through a
// blocking writer (netpoll, TLS): it hands the queue to write until the
// queue is empty, then closes the socket if a close was waiting for it.
func (c *Conn) drainWith(write func(bufs [][]byte) (int64, error)) {
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
		n, err := write(bufs)
		c.stats.bytesSent.Add(uint64(n))
		if err != nil {
			c.failWrite()
			return
		}
	}
}

func (c *Conn) failWrite() {
	c.stats.writeErrors.Add(1)
	c.mu.Lock()
	c.flushing = false
	c.mu.Unlock()
	c.closeNow()
}

// Close sends a close frame with code and reason, then closes the socket once
// everything queued before it is written.
func (c *Conn) Close(code uint16, reason string) { c.CloseWith(nil, code, reason) }

// CloseWith sends last (a complete frame, may be nil) and a close frame,
// even past the pending limit, then closes once they are written. A
// connection that is not a WebSocket (a held HTTP response, a request
// being refused) gets no close frame: its response just ends.
func (c *Conn) CloseWith(last []byte, code uint16, reason string) {
	if last != nil {
		_, _ = c.write(last, true)
	}
	c.mu.Lock()
	isWS := c.state == stateWS
	c.mu.Unlock()
	if isWS {
		frame := frames.AppendClose(make([]byte, 0, frames.MaxHeaderSize+len(reason)), code, reason)
		_, _ = c.write(frame, true)
	}
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
	c.io.closeSocket(c)
}

// closer is whoever hears that a connection closed.
type closer interface{ OnClose() }

// markClosed runs as netpoll's close callback, before the fd is released, so
// that no direct write can hit a reused descriptor. It returns who must
// hear about the close (nil: no one).
func (c *Conn) markClosed() closer {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	c.pending = nil
	c.pendingBytes = 0
	c.signalResumed()
	return c.listenerLocked()
}

// listenerLocked is the WebSocket receiver or the held response's
// receiver, the latter taken once (called with mu held, as the socket
// closes). The WebSocket receiver stays: the read side reads it without
// the lock. A request whose body is being read has no one to tell.
func (c *Conn) listenerLocked() closer {
	switch c.state {
	case stateWS:
		if r, ok := c.recv.(Receiver); ok {
			return r
		}
	case stateHeld:
		if r, ok := c.recv.(HTTPReceiver); ok {
			c.recv = nil
			return r
		}
	}
	return nil
}

// wsReceiver is the WebSocket receiver (read side, stateWS, once Open
// returned).
func (c *Conn) wsReceiver() Receiver { return c.recv.(Receiver) }

func (c *Conn) isClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

// expiry is the timeout a connection broke.
type expiry uint8

const (
	notExpired expiry = iota
	expiredHandshake
	expiredWrite
	expiredFrame
)

// expired reports which timeout the connection broke, if any: an
// unfinished handshake older than the handshake timeout, a frame or
// fragmented message unfinished for longer than the frame timeout, or
// output stuck for longer than the write timeout.
func (c *Conn) expired(now time.Time, o Options) expiry {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return notExpired
	}
	if c.flushing && o.WriteTimeout > 0 && now.UnixNano()-c.flushSince > int64(o.WriteTimeout) {
		return expiredWrite
	}
	if c.state == stateHTTPServed || c.state == stateHeld {
		return notExpired
	}
	if c.state != stateWS {
		if now.UnixNano()-c.partialSince.Load() > int64(o.HandshakeTimeout) {
			return expiredHandshake
		}
		return notExpired
	}
	if p := c.partialSince.Load(); p != 0 && o.FrameTimeout > 0 && now.UnixNano()-p > int64(o.FrameTimeout) {
		return expiredFrame
	}
	return notExpired
}
