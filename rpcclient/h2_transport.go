package rpcclient

import (
	"context"
	"encoding/binary"
	"errors"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/densecable/densecable/rpcclient/rpcpb"
)

// The anycable.RPC methods' HTTP/2 paths.
const (
	pathConnect    = "/anycable.RPC/Connect"
	pathCommand    = "/anycable.RPC/Command"
	pathDisconnect = "/anycable.RPC/Disconnect"
)

// h2DialTimeout bounds one connection attempt (grpc-go's MinConnectTimeout
// in the client it replaces).
const h2DialTimeout = 5 * time.Second

// H2Transport calls anycable.RPC over one plaintext HTTP/2 connection with
// the unary gRPC client of h2conn. New uses it for a plain host:port
// rpc_host without TLS (the default); TLS, dns:///, unix: and grpc-list
// targets keep grpc-go's client (GRPCTransport), as does GRPCGo.
//
// Like GRPCTransport it connects lazily on the first call; a broken or
// GOAWAY'd connection is replaced on the next call (one dial at a time,
// every waiting call gets that dial's result).
type H2Transport struct {
	addr    string
	maxRecv int
	maxSend int
	log     *slog.Logger

	active atomic.Int64 // open connections, for grpc_active_conn_num

	mu     sync.Mutex
	cur    *h2conn
	dial   *h2dial
	conns  map[*h2conn]struct{}
	closed bool
}

// h2dial is one connection attempt shared by every call waiting for it.
type h2dial struct {
	done chan struct{}
	conn *h2conn
	err  error
}

var _ Transport = (*H2Transport)(nil)

// useH2Transport reports whether opts can be served by H2Transport.
func useH2Transport(opts Options) bool {
	if opts.GRPCGo || opts.TLSEnabled() {
		return false
	}
	h := opts.Host
	if strings.Contains(h, "://") || strings.Contains(h, ",") || strings.HasPrefix(h, "unix:") ||
		strings.HasPrefix(h, "dns:") || strings.HasPrefix(h, "passthrough:") {
		return false
	}
	host, port, err := net.SplitHostPort(h)
	return err == nil && host != "" && port != ""
}

// NewH2Transport prepares the client for opts.Host (host:port) without dialing.
func NewH2Transport(opts Options, logger *slog.Logger) *H2Transport {
	return &H2Transport{
		addr: opts.Host, maxRecv: opts.MaxRecvSize, maxSend: opts.MaxSendSize,
		log: logger, conns: make(map[*h2conn]struct{}),
	}
}

// Connect calls anycable.RPC/Connect.
func (t *H2Transport) Connect(ctx context.Context, sid string, req *rpcpb.ConnectionRequest) (*rpcpb.ConnectionResponse, error) {
	return t.connectBy(ctx, time.Time{}, sid, req)
}

// Command calls anycable.RPC/Command.
func (t *H2Transport) Command(ctx context.Context, sid string, req *rpcpb.CommandMessage) (*rpcpb.CommandResponse, error) {
	return t.commandBy(ctx, time.Time{}, sid, req)
}

// Disconnect calls anycable.RPC/Disconnect.
func (t *H2Transport) Disconnect(ctx context.Context, sid string, req *rpcpb.DisconnectRequest) (*rpcpb.DisconnectResponse, error) {
	return t.disconnectBy(ctx, time.Time{}, sid, req)
}

var _ deadlineTransport = (*H2Transport)(nil)

// The By variants end the call with DeadlineExceeded at deadline (zero:
// only ctx ends it), expired by the connection's shared timer.

func (t *H2Transport) connectBy(ctx context.Context, deadline time.Time, sid string, req *rpcpb.ConnectionRequest) (*rpcpb.ConnectionResponse, error) {
	res := &rpcpb.ConnectionResponse{}
	if err := t.call(ctx, deadline, pathConnect, sid, req, res); err != nil {
		return nil, err
	}
	return res, nil
}

func (t *H2Transport) commandBy(ctx context.Context, deadline time.Time, sid string, req *rpcpb.CommandMessage) (*rpcpb.CommandResponse, error) {
	res := &rpcpb.CommandResponse{}
	if err := t.call(ctx, deadline, pathCommand, sid, req, res); err != nil {
		return nil, err
	}
	return res, nil
}

func (t *H2Transport) disconnectBy(ctx context.Context, deadline time.Time, sid string, req *rpcpb.DisconnectRequest) (*rpcpb.DisconnectResponse, error) {
	res := &rpcpb.DisconnectResponse{}
	if err := t.call(ctx, deadline, pathDisconnect, sid, req, res); err != nil {
		return nil, err
	}
	return res, nil
}

// ActiveConns is the number of open connections to the RPC server.
func (t *H2Transport) ActiveConns() int64 { return t.active.Load() }

// Close tears every connection down; calls in flight fail with Unavailable.
func (t *H2Transport) Close() error {
	t.mu.Lock()
	t.closed = true
	conns := make([]*h2conn, 0, len(t.conns))
	for c := range t.conns {
		conns = append(conns, c)
	}
	t.mu.Unlock()
	for _, c := range conns {
		c.close()
	}
	return nil
}

// msgBufPool holds request encoding buffers: the framer copies the bytes
// into the connection's write buffer, so a buffer is free again as soon as
// start returns.
var msgBufPool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// errDeadline is what a call that ran out of time returns, as grpc-go
// reports an expired context.
var errDeadline = status.Error(codes.DeadlineExceeded, context.DeadlineExceeded.Error())

// call makes one call. deadline (zero: none) is the client's budget,
// enforced by the connection's expiry timer without a timer of the call's
// own; a deadline of ctx is enforced through ctx.Done as usual. The
// earlier of the two reaches the server as grpc-timeout.
func (t *H2Transport) call(ctx context.Context, deadline time.Time, path, sid string, req, res proto.Message) error {
	var timeout time.Duration
	sent := deadline
	if dl, ok := ctx.Deadline(); ok {
		sent = earlier(sent, dl)
	}
	if !sent.IsZero() {
		if timeout = time.Until(sent); timeout <= 0 {
			return errDeadline
		}
	}

	bp := msgBufPool.Get().(*[]byte)
	msg := append((*bp)[:0], 0, 0, 0, 0, 0) // uncompressed flag, length
	var err error
	if out, ok := appendRequest(msg, req); ok {
		msg = out
	} else if msg, err = (proto.MarshalOptions{}).MarshalAppend(msg, req); err != nil {
		msgBufPool.Put(bp)
		return status.Error(codes.Internal, "grpc: error while marshaling: "+err.Error())
	}
	if t.maxSend > 0 && len(msg)-5 > t.maxSend {
		msgBufPool.Put(bp)
		return status.Errorf(codes.ResourceExhausted, "grpc: trying to send message larger than max (%d vs. %d)", len(msg)-5, t.maxSend)
	}
	binary.BigEndian.PutUint32(msg[1:5], uint32(len(msg)-5))

	s := getH2Call()
	var (
		c       *h2conn
		connErr error
	)
	for range 3 {
		if c, connErr = t.conn(ctx, deadline); connErr != nil {
			break
		}
		err = c.start(s, path, sid, deadline, timeout, msg, ctx.Done())
		if s.id != 0 || !errors.Is(err, errConnClosed) {
			break
		}
		// The connection stopped taking calls (GOAWAY, spent stream ids)
		// between conn and start; nothing was sent: take the next one.
	}
	if cap(msg) <= 64<<10 {
		*bp = msg[:0]
		msgBufPool.Put(bp)
	}
	if connErr != nil {
		putH2Call(s) // never registered
		return connErr
	}
	if err != nil {
		t.release(c, s)
		if errors.Is(err, errCallCanceled) {
			return contextStatus(ctx)
		}
		if errors.Is(err, errCallExpired) {
			return errDeadline
		}
		return status.Error(codes.Unavailable, "connection error: "+err.Error())
	}

	select {
	case <-s.done:
	case <-ctx.Done():
		t.release(c, s)
		return contextStatus(ctx)
	}
	data, err := s.result()
	if err == nil {
		if uerr := proto.Unmarshal(data, res); uerr != nil {
			err = status.Error(codes.Internal, "grpc: failed to unmarshal the received message: "+uerr.Error())
		}
	}
	putH2Call(s)
	return err
}

// release returns an unfinished call to the pool once nothing can touch it:
// at once if it left the stream table here, after the reader's completion
// signal otherwise.
func (t *H2Transport) release(c *h2conn, s *h2call) {
	if !c.abandon(s) {
		<-s.done
	}
	putH2Call(s)
}

func contextStatus(ctx context.Context) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return status.Error(codes.DeadlineExceeded, ctx.Err().Error())
	}
	return status.Error(codes.Canceled, context.Cause(ctx).Error())
}

// conn returns a connection taking new calls, dialing one if needed; the
// wait for a dial ends at deadline too.
func (t *H2Transport) conn(ctx context.Context, deadline time.Time) (*h2conn, error) {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return nil, status.Error(codes.Canceled, "grpc: the client connection is closing")
	}
	if c := t.cur; c != nil && c.usable() {
		t.mu.Unlock()
		return c, nil
	}
	d := t.dial
	if d == nil {
		d = &h2dial{done: make(chan struct{})}
		t.dial = d
		go t.connect(d)
	}
	t.mu.Unlock()

	expired, stop := deadlineTimer(deadline)
	defer stop()
	select {
	case <-d.done:
	case <-ctx.Done():
		return nil, contextStatus(ctx)
	case <-expired:
		return nil, errDeadline
	}
	if d.err != nil {
		return nil, status.Error(codes.Unavailable, "connection error: "+d.err.Error())
	}
	return d.conn, nil
}

func (t *H2Transport) connect(d *h2dial) {
	ctx, cancel := context.WithTimeout(context.Background(), h2DialTimeout)
	defer cancel()
	var dialer net.Dialer
	nc, err := dialer.DialContext(ctx, "tcp", t.addr)
	var c *h2conn
	if err == nil {
		if tc, ok := nc.(*net.TCPConn); ok {
			_ = tc.SetNoDelay(true)
		}
		c, err = newH2Conn(nc, t.addr, t.maxRecv, t.retire)
	}
	t.mu.Lock()
	d.conn, d.err = c, err
	t.dial = nil
	if err == nil {
		c.smu.Lock()
		dead, cerr := c.closed, c.closeErr // gone before it was registered: retire already ran
		c.smu.Unlock()
		if dead {
			d.conn, d.err = nil, cerr
			if d.err == nil {
				d.err = errConnClosed
			}
		}
	}
	if err == nil && d.err == nil {
		if t.closed {
			t.mu.Unlock()
			c.close()
			close(d.done)
			return
		}
		t.cur = c
		t.conns[c] = struct{}{}
		t.active.Add(1)
		t.log.Debug("RPC connection opened", "addr", t.addr)
	} else {
		t.log.Debug("RPC connection failed", "addr", t.addr, "error", d.err)
	}
	t.mu.Unlock()
	close(d.done)
}

// retire forgets c as the connection for new calls, and counts it closed
// once it is gone.
func (t *H2Transport) retire(c *h2conn, closed bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.cur == c {
		t.cur = nil
	}
	if _, ok := t.conns[c]; ok && closed {
		delete(t.conns, c)
		t.active.Add(-1)
		t.log.Debug("RPC connection closed", "addr", t.addr)
	}
}
