package rpcclient

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/http2"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// h2conn is one HTTP/2 connection to the RPC server carrying unary gRPC
// calls. It exists because grpc-go spends about 100 µs of CPU per call on a
// loaded server (a stream object, a retry buffer, the loopyWriter hop,
// ~190 allocations); a connect + subscribe makes two calls. Here a call is a
// pooled h2call, one append of its frames to the shared write buffer
// (written at once when the call is alone, by the flusher goroutine with the
// frames of the calls that join it under load: see queueFlushLocked), one
// reader goroutine that hands each reply to its waiting caller, and one
// shared timer that expires calls past their deadline.
type h2conn struct {
	nc        net.Conn
	authority string
	maxRecv   int
	// onClose is told when the connection takes no new calls (GOAWAY,
	// closed=false) and when it is gone (closed=true).
	onClose func(c *h2conn, closed bool)

	// wmu guards everything written: the framer's write side, the HPACK
	// encoder (its table must see headers in send order), stream ids and
	// the send windows.
	wmu       sync.Mutex
	wbuf      appendBuffer
	spare     []byte
	flushing  bool // a write is in progress; its writer loops until wbuf is empty
	queued    bool // the flusher was woken and has not taken wbuf yet
	flushCh   chan struct{}
	fr        *http2.Framer
	hdrs      *h2reqHeaders
	nextID    uint32
	sendWin   int64 // connection-level send window
	initWin   int64 // peer's SETTINGS_INITIAL_WINDOW_SIZE
	maxFrame  int
	maxStream uint32        // peer's SETTINGS_MAX_CONCURRENT_STREAMS
	winCh     chan struct{} // closed when window or a stream slot frees up, if winWait
	winWait   bool          // someone waits on winCh
	werr      error

	// smu guards the stream table and every h2call while it is in it.
	smu      sync.Mutex
	streams  map[uint32]*h2call
	goaway   bool
	closed   bool
	closeErr error
	unacked  int64 // received DATA bytes not yet returned to the peer's window
	// expiry fires at expiryAt, the earliest deadline of a call in the
	// table when it was armed (zero: not armed); see armExpiry.
	expiry   *time.Timer
	expiryAt time.Time

	hdr     *h2headers    // the reader's header block decoder
	frames  atomic.Uint64 // frames read so far: keepalive sees whether any came (no clock read per frame)
	pingAck chan struct{}
	done    chan struct{}
}

// appendBuffer is an io.Writer that appends, so the framer writes into the
// shared buffer without a copy of its own.
type appendBuffer struct{ b []byte }

func (w *appendBuffer) Write(p []byte) (int, error) { w.b = append(w.b, p...); return len(p), nil }

const (
	h2RecvWindow     = 1 << 30 // announced per stream and for the connection
	h2WindowRefresh  = 1 << 20 // return consumed connection window in steps of this
	h2MaxHeaderBytes = 16 << 10
	h2KeepaliveTime  = 10 * time.Second
	h2KeepaliveWait  = 20 * time.Second
	h2DefaultMaxRecv = 4 << 20 // grpc-go's default receive limit
	h2MaxStreamID    = 1<<31 - 1
)

// errConnClosed marks a connection that cannot take calls any more.
var errConnClosed = errors.New("rpc connection closed")

func newH2Conn(nc net.Conn, authority string, maxRecv int, onClose func(*h2conn, bool)) (*h2conn, error) {
	if maxRecv <= 0 {
		maxRecv = h2DefaultMaxRecv
	}
	c := &h2conn{
		nc: nc, authority: authority, maxRecv: maxRecv, onClose: onClose,
		nextID: 1, sendWin: 65535, initWin: 65535, maxFrame: 16384, maxStream: ^uint32(0),
		winCh:   make(chan struct{}),
		flushCh: make(chan struct{}, 1),
		streams: make(map[uint32]*h2call),
		pingAck: make(chan struct{}, 1),
		done:    make(chan struct{}),
	}
	// Buffered: the framer reads a 9-byte header and then the payload, two
	// system calls per frame without it; under load one read takes many.
	c.fr = http2.NewFramer(&c.wbuf, bufio.NewReaderSize(nc, 32<<10))
	// Header blocks are decoded by h2headers, not into MetaHeadersFrames;
	// the framer still checks that CONTINUATIONs follow their HEADERS.
	c.hdr = newH2Headers(h2MaxHeaderBytes)
	c.fr.SetMaxReadFrameSize(1 << 20)
	c.fr.SetReuseFrames() // handle copies what it keeps of a frame
	c.hdrs = newH2ReqHeaders(authority)

	c.wmu.Lock()
	c.wbuf.b = append(c.wbuf.b, http2.ClientPreface...)
	_ = c.fr.WriteSettings(
		http2.Setting{ID: http2.SettingEnablePush, Val: 0},
		http2.Setting{ID: http2.SettingInitialWindowSize, Val: h2RecvWindow},
		http2.Setting{ID: http2.SettingMaxHeaderListSize, Val: h2MaxHeaderBytes},
	)
	_ = c.fr.WriteWindowUpdate(0, h2RecvWindow-65535)
	err := c.flushLocked()
	c.wmu.Unlock()
	if err != nil {
		_ = nc.Close()
		return nil, err
	}
	go c.readLoop()
	go c.keepalive()
	go c.flusher()
	return c, nil
}

// h2call is one unary call in flight. Pooled: it returns to the pool only
// when neither the reader (it left the stream table) nor a pending done
// signal can touch it any more.
type h2call struct {
	id   uint32
	done chan struct{} // cap 1: the reader's single completion signal
	buf  []byte        // the response's DATA payloads
	// set by the reader before done:
	httpStatus string
	grpcStatus string
	grpcMsg    string
	gotStatus  bool
	err        error
	sendWin    int64     // guarded by wmu
	deadline   time.Time // zero: none; guarded by smu while in the table
}

var h2callPool = sync.Pool{New: func() any { return &h2call{done: make(chan struct{}, 1)} }}

func getH2Call() *h2call { return h2callPool.Get().(*h2call) }

func putH2Call(s *h2call) {
	if cap(s.buf) > 64<<10 { // keep the pool from pinning large replies
		s.buf = nil
	}
	*s = h2call{done: s.done, buf: s.buf[:0]}
	h2callPool.Put(s)
}

// usable reports whether new calls may start on this connection.
func (c *h2conn) usable() bool {
	c.smu.Lock()
	defer c.smu.Unlock()
	return !c.closed && !c.goaway
}

// start sends the request (HEADERS + DATA with the gRPC message prefix
// already in msg[:5]) and registers s, to be expired at deadline (zero:
// never). timeout > 0 is sent as grpc-timeout. It fails with
// errCallCanceled when cancel fires and errCallExpired at deadline while
// it waits for a stream slot or send window.
func (c *h2conn) start(s *h2call, path, sid string, deadline time.Time, timeout time.Duration, msg []byte, cancel <-chan struct{}) error {
	c.wmu.Lock()
	if c.werr != nil {
		c.wmu.Unlock()
		return c.werr
	}
	c.smu.Lock()
	if c.closed || c.goaway {
		c.smu.Unlock()
		c.wmu.Unlock()
		return errConnClosed
	}
	// Unary calls are short and the limiter bounds them; only a peer that
	// announced a small stream limit makes calls wait here.
	for uint32(len(c.streams)) >= c.maxStream {
		c.smu.Unlock()
		ch := c.waitCh()
		c.wmu.Unlock()
		if err := c.wait(ch, cancel, deadline); err != nil {
			return err
		}
		c.wmu.Lock()
		c.smu.Lock()
		if c.closed || c.goaway {
			c.smu.Unlock()
			c.wmu.Unlock()
			return errConnClosed
		}
	}
	s.id = c.nextID
	c.nextID += 2
	s.sendWin = c.initWin
	s.deadline = deadline
	c.streams[s.id] = s
	if !deadline.IsZero() {
		c.armExpiry(deadline)
	}
	// Another call in flight means load: this call's frames may wait for
	// the flusher so that calls arriving close together share a write.
	busy := len(c.streams) > 1
	lastID := c.nextID > h2MaxStreamID
	if lastID {
		// Stream ids are spent (2^30 calls): this connection drains and
		// the next call dials a new one.
		c.goaway = true
	}
	c.smu.Unlock()
	if lastID {
		go c.onClose(c, false)
	}

	c.writeHeaderBlock(s.id, c.hdrs.block(path, sid, timeout))

	for len(msg) > 0 {
		n := min(len(msg), c.maxFrame, int(min(c.sendWin, s.sendWin)))
		if n <= 0 {
			// Out of send window: let what is buffered go, wait for a
			// WINDOW_UPDATE without holding the lock.
			if err := c.flushLocked(); err != nil {
				c.wmu.Unlock()
				return err
			}
			ch := c.waitCh()
			c.wmu.Unlock()
			// On errCallCanceled or errCallExpired the caller's abandon
			// resets the stream.
			if err := c.wait(ch, cancel, deadline); err != nil {
				return err
			}
			c.wmu.Lock()
			if c.werr != nil {
				c.wmu.Unlock()
				return c.werr
			}
			continue
		}
		_ = c.fr.WriteData(s.id, n == len(msg), msg[:n])
		c.sendWin -= int64(n)
		s.sendWin -= int64(n)
		msg = msg[n:]
	}
	var err error
	if busy {
		c.queueFlushLocked()
	} else {
		err = c.flushLocked() // alone: no reason to wait
	}
	c.wmu.Unlock()
	return err
}

var (
	errCallCanceled = errors.New("call canceled")
	errCallExpired  = errors.New("call deadline exceeded")
)

// wait blocks until ch is closed (window or stream slot), cancel fires,
// the deadline passes or the connection is gone.
func (c *h2conn) wait(ch, cancel <-chan struct{}, deadline time.Time) error {
	expired, stop := deadlineTimer(deadline)
	defer stop()
	select {
	case <-ch:
		return nil
	case <-cancel:
		return errCallCanceled
	case <-expired:
		return errCallExpired
	case <-c.done:
		return errConnClosed
	}
}

// writeHeaderBlock splits a header block over HEADERS and CONTINUATION
// frames of the peer's maximum size. Called with wmu held.
func (c *h2conn) writeHeaderBlock(id uint32, block []byte) {
	first := true
	for first || len(block) > 0 {
		n := min(len(block), c.maxFrame)
		end := n == len(block)
		if first {
			_ = c.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: block[:n], EndHeaders: end})
			first = false
		} else {
			_ = c.fr.WriteContinuation(id, end, block[:n])
		}
		block = block[n:]
	}
}

// flushLocked writes the buffered frames. Called with wmu held; it returns
// with wmu held. If another goroutine is already writing, it leaves the
// frames to that one (a writer loops until the buffer is empty). Frames
// left for the flusher go with this write: a lone call does not wait for
// the flusher's yield.
func (c *h2conn) flushLocked() error {
	if c.werr != nil {
		return c.werr
	}
	if c.flushing || len(c.wbuf.b) == 0 {
		return nil
	}
	c.queued = false // the flusher, when it runs, finds nothing or a write in progress
	c.flushing = true
	for len(c.wbuf.b) > 0 && c.werr == nil {
		b := c.wbuf.b
		c.wbuf.b = c.spare[:0]
		c.wmu.Unlock()
		_, err := c.nc.Write(b)
		c.wmu.Lock()
		c.spare = b[:0]
		if err != nil {
			c.werr = err
			_ = c.nc.Close() // the reader fails the calls in flight and retires c
		}
	}
	c.flushing = false
	return c.werr
}

// queueFlushLocked leaves the buffered frames to the flusher goroutine
// (or to the write in progress). Called with wmu held.
func (c *h2conn) queueFlushLocked() {
	if c.flushing || c.queued || c.werr != nil {
		return
	}
	c.queued = true
	select {
	case c.flushCh <- struct{}{}:
	default:
	}
}

// flusher writes what queueFlushLocked left. It first yields once: the
// goroutines already runnable (under load, sessions the reader just woke,
// which make their next calls) append their frames before it runs, and
// the write takes them all. A connect storm's calls then cost about one
// write per batch instead of one each; when nothing else is runnable the
// yield returns at once, so an idle connection adds no latency.
func (c *h2conn) flusher() {
	for {
		select {
		case <-c.flushCh:
		case <-c.done:
			return
		}
		runtime.Gosched()
		c.wmu.Lock()
		c.queued = false
		_ = c.flushLocked()
		c.wmu.Unlock()
	}
}

// control queues a frame from the reader for the flusher: the reader must
// never block on a write (the peer may be blocked writing to us).
func (c *h2conn) control(write func()) {
	c.wmu.Lock()
	write()
	c.queueFlushLocked()
	c.wmu.Unlock()
}

// waitCh is the channel to wait on for window or a stream slot. Called
// with wmu held.
func (c *h2conn) waitCh() <-chan struct{} {
	c.winWait = true
	return c.winCh
}

// wakeWriters wakes callers waiting for send window or a stream slot.
// Called with wmu held.
func (c *h2conn) wakeWriters() {
	if !c.winWait {
		return // no channel per WINDOW_UPDATE while nobody waits
	}
	c.winWait = false
	close(c.winCh)
	c.winCh = make(chan struct{})
}

// abandon removes s after its caller gave up. It reports whether s may be
// reused at once; when false the reader has already completed it and its
// done signal must be drained first.
func (c *h2conn) abandon(s *h2call) bool {
	if s.id == 0 {
		return true // never registered
	}
	c.smu.Lock()
	cur, ok := c.streams[s.id]
	if ok && cur == s {
		delete(c.streams, s.id)
	}
	c.smu.Unlock()
	if !ok || cur != s {
		return false
	}
	c.reset(s.id)
	c.maybeDrained()
	return true
}

// reset cancels stream id at the server, as grpc-go's client does for a
// call its caller gave up or whose deadline passed.
func (c *h2conn) reset(id uint32) {
	c.control(func() { _ = c.fr.WriteRSTStream(id, http2.ErrCodeCancel) })
}

// armExpiry makes the expiry timer fire by deadline. Called with smu held.
// The timer is re-armed only for a deadline earlier than the armed one: in
// a stream of calls with the same budget it stays armed for the oldest,
// and fires about once per budget (expire then re-arms it for the oldest
// call still in flight), not once per call.
func (c *h2conn) armExpiry(deadline time.Time) {
	if !c.expiryAt.IsZero() && !deadline.Before(c.expiryAt) {
		return
	}
	c.expiryAt = deadline
	if c.expiry == nil {
		c.expiry = time.AfterFunc(time.Until(deadline), c.expire)
	} else {
		c.expiry.Reset(time.Until(deadline))
	}
}

// expire fails the calls past their deadline with DeadlineExceeded and
// resets their streams, then re-arms the timer for the next deadline. The
// scan is bounded by the calls in flight, which the limiter bounds.
func (c *h2conn) expire() {
	now := time.Now()
	var late []uint32
	c.smu.Lock()
	c.expiryAt = time.Time{}
	if c.closed {
		c.smu.Unlock()
		return
	}
	var next time.Time
	for id, s := range c.streams {
		switch {
		case s.deadline.IsZero():
		case !s.deadline.After(now):
			late = append(late, id)
		default:
			next = earlier(next, s.deadline)
		}
	}
	if !next.IsZero() {
		c.armExpiry(next)
	}
	c.smu.Unlock()
	for _, id := range late {
		if c.finish(id, errDeadline) {
			c.reset(id)
		}
	}
}

func (c *h2conn) readLoop() {
	var err error
	for {
		var f http2.Frame
		f, err = c.fr.ReadFrame()
		if err != nil {
			break
		}
		c.frames.Add(1)
		if err = c.handle(f); err != nil {
			break
		}
	}
	c.shutdown(err)
}

func (c *h2conn) handle(f http2.Frame) error {
	switch f := f.(type) {
	case *http2.HeadersFrame:
		c.hdr.begin(f.StreamID, f.StreamEnded())
		return c.onHeaderFragment(f.HeaderBlockFragment(), f.HeadersEnded())
	case *http2.ContinuationFrame:
		return c.onHeaderFragment(f.HeaderBlockFragment(), f.HeadersEnded())
	case *http2.DataFrame:
		return c.onData(f)
	case *http2.RSTStreamFrame:
		c.finish(f.StreamID, status.Error(rstCode(f.ErrCode), "stream terminated by RST_STREAM with error code: "+f.ErrCode.String()))
	case *http2.SettingsFrame:
		if f.IsAck() {
			return nil
		}
		c.wmu.Lock()
		err := f.ForeachSetting(func(s http2.Setting) error {
			switch s.ID {
			case http2.SettingInitialWindowSize:
				delta := int64(s.Val) - c.initWin
				c.initWin = int64(s.Val)
				c.smu.Lock()
				for _, st := range c.streams {
					st.sendWin += delta
				}
				c.smu.Unlock()
			case http2.SettingMaxFrameSize:
				c.maxFrame = int(s.Val)
			case http2.SettingMaxConcurrentStreams:
				c.maxStream = s.Val
			case http2.SettingHeaderTableSize:
				c.hdrs.setMaxTableSize(s.Val)
			}
			return nil
		})
		c.wakeWriters()
		c.wmu.Unlock()
		if err != nil {
			return err
		}
		c.control(func() { _ = c.fr.WriteSettingsAck() })
	case *http2.WindowUpdateFrame:
		c.wmu.Lock()
		if f.StreamID == 0 {
			c.sendWin += int64(f.Increment)
		} else {
			c.smu.Lock()
			if s := c.streams[f.StreamID]; s != nil {
				s.sendWin += int64(f.Increment)
			}
			c.smu.Unlock()
		}
		c.wakeWriters()
		c.wmu.Unlock()
	case *http2.PingFrame:
		if f.IsAck() {
			select {
			case c.pingAck <- struct{}{}:
			default:
			}
			return nil
		}
		data := f.Data
		c.control(func() { _ = c.fr.WritePing(true, data) })
	case *http2.GoAwayFrame:
		c.onGoAway(f)
	}
	return nil
}

// onHeaderFragment decodes a fragment of the current header block and,
// at its end, hands what it said to the call (finished if the block ended
// the stream). A decoding error is fatal to the connection.
func (c *h2conn) onHeaderFragment(frag []byte, ended bool) error {
	h := c.hdr
	if err := h.write(frag); err != nil {
		return http2.ConnectionError(http2.ErrCodeCompression)
	}
	if !ended {
		return nil
	}
	if err := h.end(); err != nil {
		return http2.ConnectionError(http2.ErrCodeCompression)
	}
	c.smu.Lock()
	s := c.streams[h.id]
	if s != nil {
		h.fields.apply(s)
	}
	c.smu.Unlock()
	if s != nil && h.endStream {
		c.finish(h.id, nil)
	}
	return nil
}

func (c *h2conn) onData(f *http2.DataFrame) error {
	n := int64(f.Length) // padding counts against the window too
	c.smu.Lock()
	c.unacked += n
	refresh := c.unacked >= h2WindowRefresh
	if refresh {
		n, c.unacked = c.unacked, 0
	}
	s := c.streams[f.StreamID]
	tooBig := false
	if s != nil {
		if len(s.buf)+len(f.Data()) > c.maxRecv+5 {
			tooBig = true
		} else {
			s.buf = append(s.buf, f.Data()...)
		}
	}
	c.smu.Unlock()
	if refresh {
		c.control(func() { _ = c.fr.WriteWindowUpdate(0, uint32(n)) })
	}
	if tooBig {
		c.finish(f.StreamID, status.Errorf(codes.ResourceExhausted,
			"grpc: received message larger than max (%d vs. %d)", len(s.buf)+len(f.Data())-5, c.maxRecv))
		c.control(func() { _ = c.fr.WriteRSTStream(f.StreamID, http2.ErrCodeCancel) })
		return nil
	}
	if f.StreamEnded() {
		c.finish(f.StreamID, nil)
	}
	return nil
}

// finish completes stream id (if its caller still waits) with err, or with
// what its headers and data say when err is nil. It reports whether it did.
func (c *h2conn) finish(id uint32, err error) bool {
	c.smu.Lock()
	s := c.streams[id]
	if s == nil {
		c.smu.Unlock()
		return false
	}
	delete(c.streams, id)
	s.err = err
	c.smu.Unlock()
	s.done <- struct{}{}
	c.maybeDrained()
	return true
}

func (c *h2conn) onGoAway(f *http2.GoAwayFrame) {
	c.smu.Lock()
	c.goaway = true
	var refused []uint32
	for id := range c.streams {
		if id > f.LastStreamID {
			refused = append(refused, id)
		}
	}
	c.smu.Unlock()
	c.onClose(c, false) // no new calls here; the transport dials a new connection
	for _, id := range refused {
		c.finish(id, status.Error(codes.Unavailable, "the connection is draining due to a GOAWAY ("+f.ErrCode.String()+")"))
	}
	c.maybeDrained()
}

// maybeDrained closes a connection that got GOAWAY once its last call ended.
func (c *h2conn) maybeDrained() {
	c.smu.Lock()
	drained := c.goaway && !c.closed && len(c.streams) == 0
	c.smu.Unlock()
	if drained {
		_ = c.nc.Close() // the reader then shuts down
	}
}

// shutdown fails every call still waiting and releases the connection.
func (c *h2conn) shutdown(err error) {
	c.smu.Lock()
	if c.closed {
		c.smu.Unlock()
		return
	}
	c.closed = true
	c.closeErr = err
	if c.expiry != nil {
		c.expiry.Stop()
	}
	pending := c.streams
	c.streams = make(map[uint32]*h2call)
	c.smu.Unlock()
	_ = c.nc.Close()
	close(c.done)
	c.wmu.Lock()
	if c.werr == nil {
		c.werr = errConnClosed
	}
	c.wakeWriters()
	c.wmu.Unlock()
	msg := "connection closed"
	if err != nil {
		msg = "connection error: " + err.Error()
	}
	for _, s := range pending {
		s.err = status.Error(codes.Unavailable, msg)
		s.done <- struct{}{}
	}
	c.onClose(c, true)
}

// close tears the connection down; calls in flight fail with Unavailable.
func (c *h2conn) close() { _ = c.nc.Close() }

// keepalive pings after h2KeepaliveTime without a frame from the server
// and closes the connection when no answer comes within h2KeepaliveWait,
// like the grpc-go client's keepalive settings it replaces.
func (c *h2conn) keepalive() {
	t := time.NewTicker(h2KeepaliveTime)
	defer t.Stop()
	seen := c.frames.Load()
	for {
		select {
		case <-c.done:
			return
		case <-t.C:
		}
		if n := c.frames.Load(); n != seen {
			seen = n // something arrived during the last period
			continue
		}
		select {
		case <-c.pingAck:
		default:
		}
		c.control(func() { _ = c.fr.WritePing(false, [8]byte{'k', 'e', 'e', 'p'}) })
		wait := time.NewTimer(h2KeepaliveWait)
		select {
		case <-c.done:
			wait.Stop()
			return
		case <-c.pingAck:
			wait.Stop()
		case <-wait.C:
			c.close()
			return
		}
	}
}

// result turns a completed call into its message bytes or a status error.
func (s *h2call) result() ([]byte, error) {
	if s.err != nil {
		return nil, s.err
	}
	if s.httpStatus != "200" {
		return nil, status.Error(httpStatusCode(s.httpStatus), "unexpected HTTP status code received from server: "+s.httpStatus)
	}
	if !s.gotStatus {
		return nil, status.Error(codes.Internal, "server closed the stream without sending trailers")
	}
	code, err := strconv.ParseUint(s.grpcStatus, 10, 32)
	if err != nil {
		return nil, status.Error(codes.Internal, "malformed grpc-status: "+s.grpcStatus)
	}
	if code != 0 {
		return nil, status.Error(codes.Code(code), decodeGRPCMessage(s.grpcMsg))
	}
	b := s.buf
	if len(b) < 5 {
		return nil, status.Error(codes.Internal, "grpc: no response message")
	}
	if b[0] != 0 {
		return nil, status.Error(codes.Internal, "grpc: compressed response without an agreed encoding")
	}
	if n := binary.BigEndian.Uint32(b[1:5]); int(n) != len(b)-5 {
		return nil, status.Error(codes.Internal, fmt.Sprintf("grpc: response of %d bytes announced %d", len(b)-5, n))
	}
	return b[5:], nil
}

// grpcTimeout encodes d as a grpc-timeout value (at most 8 digits).
func grpcTimeout(d time.Duration) string {
	if d <= 0 {
		return "1n"
	}
	units := []struct {
		d time.Duration
		u byte
	}{{time.Nanosecond, 'n'}, {time.Microsecond, 'u'}, {time.Millisecond, 'm'}, {time.Second, 'S'}, {time.Minute, 'M'}, {time.Hour, 'H'}}
	for _, u := range units {
		// Round up so the server never sees a shorter budget than ours.
		v := (d + u.d - 1) / u.d
		if v < 100000000 {
			return strconv.FormatInt(int64(v), 10) + string(u.u)
		}
	}
	return "99999999H"
}

// decodeGRPCMessage undoes grpc-message's percent-encoding.
func decodeGRPCMessage(m string) string {
	if !containsByte(m, '%') {
		return m
	}
	out := make([]byte, 0, len(m))
	for i := 0; i < len(m); i++ {
		if m[i] == '%' && i+2 < len(m) {
			if v, err := strconv.ParseUint(m[i+1:i+3], 16, 8); err == nil {
				out = append(out, byte(v))
				i += 2
				continue
			}
		}
		out = append(out, m[i])
	}
	return string(out)
}

func containsByte(s string, b byte) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == b {
			return true
		}
	}
	return false
}

// rstCode maps an RST_STREAM error code to a gRPC code as grpc-go does.
func rstCode(e http2.ErrCode) codes.Code {
	switch e {
	case http2.ErrCodeRefusedStream:
		return codes.Unavailable
	case http2.ErrCodeCancel:
		return codes.Canceled
	case http2.ErrCodeEnhanceYourCalm, http2.ErrCodeFlowControl:
		return codes.ResourceExhausted
	case http2.ErrCodeInadequateSecurity:
		return codes.PermissionDenied
	default:
		return codes.Internal
	}
}

// httpStatusCode maps a non-200 HTTP status to a gRPC code (gRPC's
// http-grpc-status-mapping).
func httpStatusCode(s string) codes.Code {
	switch s {
	case "400":
		return codes.Internal
	case "401":
		return codes.Unauthenticated
	case "403":
		return codes.PermissionDenied
	case "404":
		return codes.Unimplemented
	case "429", "502", "503", "504":
		return codes.Unavailable
	default:
		return codes.Unknown
	}
}
