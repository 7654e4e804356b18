package rpcclient

import (
	"context"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"

	"github.com/densecable/densecable/rpcclient/rpcpb"
)

func TestGRPCCallsCarryMetadataAndPayload(t *testing.T) {
	srv := &testRPC{}
	var gotCommand *rpcpb.CommandMessage
	srv.command = func(_ context.Context, req *rpcpb.CommandMessage) (*rpcpb.CommandResponse, error) {
		gotCommand = req
		return &rpcpb.CommandResponse{
			Status: rpcpb.Status_SUCCESS, Streams: []string{"chat/42"},
			Transmissions: []string{`{"type":"confirm_subscription"}`},
			Env:           &rpcpb.EnvResponse{Istate: map[string]string{"room": "42"}},
		}, nil
	}
	addr := startGRPC(t, srv, "")
	c := newTestClient(t, testOptions(addr))

	res, err := c.Command(context.Background(), "sid-123", &rpcpb.CommandMessage{
		Command: "subscribe", Identifier: `{"channel":"ChatChannel"}`, ConnectionIdentifiers: `{"user_id":42}`,
		Env: &rpcpb.Env{Url: "http://localhost/cable", Headers: map[string]string{"cookie": "a=1"}},
	})
	if err != nil {
		t.Fatalf("Command: %v", err)
	}
	if res.Status != rpcpb.Status_SUCCESS || res.Streams[0] != "chat/42" || res.Env.Istate["room"] != "42" {
		t.Fatalf("response not passed through: %+v", res)
	}
	if gotCommand.Identifier != `{"channel":"ChatChannel"}` || gotCommand.Env.Headers["cookie"] != "a=1" {
		t.Fatalf("request not passed through: %+v", gotCommand)
	}
	md := srv.lastMetadata()
	if got := md.Get("sid"); len(got) != 1 || got[0] != "sid-123" {
		t.Fatalf("sid metadata = %v", got)
	}
	if got := md.Get("protov"); len(got) != 1 || got[0] != "v1" {
		t.Fatalf("protov metadata = %v", got)
	}

	for _, call := range []func() error{
		func() error { _, err := c.Connect(context.Background(), "s1", &rpcpb.ConnectionRequest{}); return err },
		func() error {
			_, err := c.Disconnect(context.Background(), "s2", &rpcpb.DisconnectRequest{})
			return err
		},
	} {
		if err := call(); err != nil {
			t.Fatal(err)
		}
	}
	if got := srv.lastMetadata().Get("sid"); got[0] != "s2" {
		t.Fatalf("disconnect sid = %v", got)
	}
	st := c.Stats()
	if st.CallTotal != 3 || st.ErrorTotal != 0 || !st.HasActiveConns || st.GRPCActiveConnNum != 1 {
		t.Fatalf("stats %+v", st)
	}
}

func TestGRPCLazyConnect(t *testing.T) {
	addr := freeAddr(t)
	opts := testOptions(addr)
	opts.CommandTimeout = 1000
	c := newTestClient(t, opts) // nothing listens yet: must still construct

	_, err := c.Connect(context.Background(), "s", &rpcpb.ConnectionRequest{})
	if code := status.Code(err); code != codes.Unavailable && code != codes.DeadlineExceeded {
		t.Fatalf("no server: err = %v, want Unavailable", err)
	}
	if c.Stats().RetriesTotal == 0 {
		t.Fatal("Unavailable must be retried within the command budget")
	}

	srv := &testRPC{}
	startGRPC(t, srv, addr)
	opts.CommandTimeout = 10000
	c2 := NewWithTransport(c.transport, opts, discardLogger())
	if _, err := c2.Connect(context.Background(), "s", &rpcpb.ConnectionRequest{}); err != nil {
		t.Fatalf("after the app came up: %v", err)
	}
	if srv.calls.Load() != 1 {
		t.Fatalf("server calls = %d", srv.calls.Load())
	}
}

func TestGRPCList(t *testing.T) {
	var a, b testRPC
	addrA := startGRPC(t, &a, "")
	addrB := startGRPC(t, &b, "")
	c := newTestClient(t, testOptions("grpc-list://"+addrA+","+addrB))

	// Round robin only uses ready connections, so the first few calls may
	// all hit one server; keep going (bounded) until both have been used.
	for i := 0; i < 2000 && (a.calls.Load() == 0 || b.calls.Load() == 0); i++ {
		if _, err := c.Connect(context.Background(), "s", &rpcpb.ConnectionRequest{}); err != nil {
			t.Fatal(err)
		}
	}
	if a.calls.Load() == 0 || b.calls.Load() == 0 {
		t.Fatalf("traffic not spread: a=%d b=%d", a.calls.Load(), b.calls.Load())
	}
	// Once both are ready, round robin alternates.
	before := a.calls.Load()
	for range 20 {
		if _, err := c.Connect(context.Background(), "s", &rpcpb.ConnectionRequest{}); err != nil {
			t.Fatal(err)
		}
	}
	if got := a.calls.Load() - before; got != 10 {
		t.Fatalf("round robin sent %d of 20 calls to one of two servers", got)
	}
}

func TestGRPCTLS(t *testing.T) {
	cert, certPEM := selfSignedCert(t)
	srv := &testRPC{}
	addr := startGRPC(t, srv, "", grpc.Creds(credentials.NewServerTLSFromCert(&cert)))

	t.Run("root CA inline", func(t *testing.T) {
		opts := testOptions(addr)
		opts.TLSRootCA = string(certPEM)
		c := newTestClient(t, opts)
		if _, err := c.Connect(context.Background(), "s", &rpcpb.ConnectionRequest{}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("root CA file", func(t *testing.T) {
		opts := testOptions(addr)
		opts.TLSRootCA = writeTemp(t, "ca.pem", certPEM)
		c := newTestClient(t, opts)
		if _, err := c.Connect(context.Background(), "s", &rpcpb.ConnectionRequest{}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("verify off", func(t *testing.T) {
		opts := testOptions(addr)
		opts.EnableTLS = true
		opts.TLSVerify = false
		c := newTestClient(t, opts)
		if _, err := c.Connect(context.Background(), "s", &rpcpb.ConnectionRequest{}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("untrusted certificate", func(t *testing.T) {
		before := srv.calls.Load()
		opts := testOptions(addr)
		opts.EnableTLS = true
		tr, err := NewGRPCTransport(opts, discardLogger())
		if err != nil {
			t.Fatal(err)
		}
		defer tr.Close()
		_, err = tr.Connect(context.Background(), "s", &rpcpb.ConnectionRequest{})
		if status.Code(err) != codes.Unavailable || !strings.Contains(err.Error(), "certificate") {
			t.Fatalf("err = %v, want Unavailable about the certificate", err)
		}
		if srv.calls.Load() != before {
			t.Fatal("call reached the server over an unverified connection")
		}
	})
	t.Run("plaintext client to TLS server fails", func(t *testing.T) {
		opts := testOptions(addr)
		opts.CommandTimeout = 300
		c := newTestClient(t, opts)
		if _, err := c.Connect(context.Background(), "s", &rpcpb.ConnectionRequest{}); err == nil {
			t.Fatal("plaintext call to a TLS server succeeded")
		}
	})
}

func TestGRPCMaxRecvSize(t *testing.T) {
	srv := &testRPC{connect: func(context.Context, *rpcpb.ConnectionRequest) (*rpcpb.ConnectionResponse, error) {
		return &rpcpb.ConnectionResponse{Status: rpcpb.Status_SUCCESS, Identifiers: strings.Repeat("x", 4096)}, nil
	}}
	addr := startGRPC(t, srv, "")
	opts := testOptions(addr)
	opts.MaxRecvSize = 1024
	tr, err := NewGRPCTransport(opts, discardLogger())
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	_, err = tr.Connect(context.Background(), "s", &rpcpb.ConnectionRequest{})
	if status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("oversized response: err = %v, want ResourceExhausted", err)
	}
}

func TestNewRejectsNoneAndUnknownImpl(t *testing.T) {
	if _, err := New(Options{Impl: ImplNone}, discardLogger()); err != ErrNoRPC {
		t.Fatalf("impl none: err = %v", err)
	}
	if _, err := New(Options{Impl: "carrier-pigeon"}, discardLogger()); err == nil {
		t.Fatal("unknown impl must fail")
	}
	if _, err := New(Options{Host: "http://%zz"}, discardLogger()); err == nil {
		t.Fatal("bad http host must fail")
	}
}

func TestStartupLogLine(t *testing.T) {
	log, buf := bufferLogger()
	c, err := New(DefaultOptions(), log)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	want := "RPC controller initialized: localhost:50051 (concurrency: 28, impl: grpc, enable_tls: false, proto_versions: v1, proxy_headers: <none>, proxy_cookies: <all>)"
	if !strings.Contains(buf.String(), want) {
		t.Fatalf("log %q does not contain %q", buf.String(), want)
	}

	opts := DefaultOptions()
	opts.Concurrency = 0
	opts.Host = "http://localhost:3000/_anycable"
	opts.ProxyHeaders = []string{"cookie", "x-api-token"}
	log, buf = bufferLogger()
	c2, err := New(opts, log)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	want = "RPC controller initialized: http://localhost:3000/_anycable (concurrency: auto (initial=25, min=5, max=100), impl: http, enable_tls: false, proto_versions: v1, proxy_headers: cookie,x-api-token, proxy_cookies: <all>)"
	if !strings.Contains(buf.String(), want) {
		t.Fatalf("log %q does not contain %q", buf.String(), want)
	}
	if st := c2.Stats(); !st.Adaptive || st.CapacityNum != 25 || st.HasActiveConns {
		t.Fatalf("adaptive http stats: %+v", st)
	}
}
