package rpcclient

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/densecable/densecable/rpcclient/rpcpb"
)

// HTTP RPC request headers.
const (
	headerSid       = "X-Anycable-Meta-Sid"
	headerProtov    = "X-Anycable-Meta-Protov"
	httpContentType = "application/json"
	// httpUserAgent matches what anycable-go sends, so RPC endpoints that
	// look at it see no difference.
	httpUserAgent = "Go-http-client/1.1"
	// httpMinConns keeps a generous keep-alive pool; the limiter bounds the
	// real concurrency.
	httpMinConns = 512
)

// HTTPTransport calls the RPC contract over HTTP: POST JSON to
// <base>/connect, /command and /disconnect.
type HTTPTransport struct {
	client  *fasthttp.Client
	timeout time.Duration
	auth    string // "Bearer <secret>" or ""
	breaker *breaker

	connectURL, commandURL, disconnectURL string
}

var _ Transport = (*HTTPTransport)(nil)

// NewHTTPTransport prepares an HTTP RPC client for opts.Host (http:// or
// https://). The base path is kept: http://app/_anycable → /_anycable/connect.
func NewHTTPTransport(opts Options, logger *slog.Logger) (*HTTPTransport, error) {
	base, err := url.Parse(opts.Host)
	if err != nil {
		return nil, fmt.Errorf("http rpc host %q: %w", opts.Host, err)
	}
	if (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("http rpc host %q: want http://host[:port][/path] or https://…", opts.Host)
	}

	client := &fasthttp.Client{
		NoDefaultUserAgentHeader: true,
		DisablePathNormalizing:   true,
		MaxConnsPerHost:          max(httpMinConns, opts.fixedConcurrency(), opts.ConcurrencyMax),
		MaxConnWaitTimeout:       opts.httpTimeout(),
	}
	if base.Scheme == "https" {
		cfg, err := opts.tlsConfig()
		if err != nil {
			return nil, err
		}
		client.TLSConfig = cfg
	}

	t := &HTTPTransport{
		client:        client,
		timeout:       opts.httpTimeout(),
		connectURL:    base.JoinPath("connect").String(),
		commandURL:    base.JoinPath("command").String(),
		disconnectURL: base.JoinPath("disconnect").String(),
		breaker: newBreaker(time.Now, func(from, to breakerState) {
			logger.Warn("HTTP RPC circuit breaker state changed", "from", from.String(), "to", to.String())
		}),
	}
	if opts.HTTPSecret != "" {
		t.auth = "Bearer " + opts.HTTPSecret
	}
	return t, nil
}

// Connect posts to /connect.
func (t *HTTPTransport) Connect(ctx context.Context, sid string, req *rpcpb.ConnectionRequest) (*rpcpb.ConnectionResponse, error) {
	res := &rpcpb.ConnectionResponse{}
	if err := t.perform(ctx, t.connectURL, sid, req, res); err != nil {
		return nil, err
	}
	return res, nil
}

// Command posts to /command.
func (t *HTTPTransport) Command(ctx context.Context, sid string, req *rpcpb.CommandMessage) (*rpcpb.CommandResponse, error) {
	res := &rpcpb.CommandResponse{}
	if err := t.perform(ctx, t.commandURL, sid, req, res); err != nil {
		return nil, err
	}
	return res, nil
}

// Disconnect posts to /disconnect.
func (t *HTTPTransport) Disconnect(ctx context.Context, sid string, req *rpcpb.DisconnectRequest) (*rpcpb.DisconnectResponse, error) {
	res := &rpcpb.DisconnectResponse{}
	if err := t.perform(ctx, t.disconnectURL, sid, req, res); err != nil {
		return nil, err
	}
	return res, nil
}

// Close drops idle keep-alive connections.
func (t *HTTPTransport) Close() error {
	t.client.CloseIdleConnections()
	return nil
}

// perform sends one request. The deadline is the earlier of the HTTP
// timeout and ctx's deadline; a canceled ctx is only noticed before sending
// (fasthttp has no mid-request cancellation), the deadline bounds the rest.
func (t *HTTPTransport) perform(ctx context.Context, target, sid string, payload, out any) error {
	if err := ctx.Err(); err != nil {
		return httpNetworkError(err, true)
	}
	body, err := json.Marshal(payload)
	if err != nil {
		return fmt.Errorf("encode http rpc request: %w", err)
	}

	gen, err := t.breaker.allow()
	if err != nil {
		return err
	}

	req := fasthttp.AcquireRequest()
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)

	req.SetRequestURI(target)
	req.Header.SetMethod(fasthttp.MethodPost)
	req.Header.SetContentType(httpContentType)
	req.Header.SetUserAgent(httpUserAgent)
	if t.auth != "" {
		req.Header.Set(fasthttp.HeaderAuthorization, t.auth)
	}
	req.Header.Set(headerSid, sid)
	req.Header.Set(headerProtov, ProtoVersions)
	req.SetBodyRaw(body)

	deadline := time.Now().Add(t.timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}

	if err := t.client.DoDeadline(req, resp, deadline); err != nil {
		t.breaker.done(gen, false)
		return httpNetworkError(err, !time.Now().Before(deadline))
	}
	// Any HTTP answer proves the endpoint is reachable.
	t.breaker.done(gen, true)

	if code := resp.StatusCode(); code != fasthttp.StatusOK {
		return httpStatusError(code, resp.Body())
	}
	return decodeHTTPResponse(resp.Body(), out)
}

// decodeHTTPResponse parses a 200 response body (numeric status, snake_case
// fields) into the rpcpb struct.
func decodeHTTPResponse(body []byte, out any) error {
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("decode http rpc response: %w", err)
	}
	return nil
}
