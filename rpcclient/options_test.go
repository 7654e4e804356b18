package rpcclient

import (
	"strings"
	"testing"
	"time"
)

func TestResolvedImpl(t *testing.T) {
	cases := []struct {
		host, impl, want string
	}{
		{"localhost:50051", "", ImplGRPC},
		{"dns:///rpc:50051", "", ImplGRPC},
		{"grpc-list://a:1,b:2", "", ImplGRPC},
		{"http://localhost:3000/_anycable", "", ImplHTTP},
		{"https://app.example.com/_anycable", "", ImplHTTP},
		{"http://localhost:3000", ImplGRPC, ImplGRPC},
		{"localhost:50051", ImplNone, ImplNone},
	}
	for _, tc := range cases {
		o := Options{Host: tc.host, Impl: tc.impl}
		if got := o.ResolvedImpl(); got != tc.want {
			t.Errorf("ResolvedImpl(%q, %q) = %q, want %q", tc.host, tc.impl, got, tc.want)
		}
	}
}

func TestDefaultOptions(t *testing.T) {
	o := DefaultOptions()
	if o.Host != "localhost:50051" || o.Concurrency != 28 || !o.TLSVerify || o.CommandTimeout != 3000 {
		t.Fatalf("unexpected defaults: %+v", o)
	}
	if o.Adaptive() || o.TLSEnabled() {
		t.Fatalf("defaults must be fixed concurrency without TLS: %+v", o)
	}
	if got := o.requestTimeout(); got != 0 {
		t.Fatalf("gRPC request timeout default = %v, want none", got)
	}
}

func TestTimeoutsPerImpl(t *testing.T) {
	o := DefaultOptions()
	o.Host = "http://localhost:3000"
	if got := o.requestTimeout(); got != 3*time.Second {
		t.Fatalf("http default timeout = %v, want 3s", got)
	}
	o.RequestTimeout = 1500
	if got := o.requestTimeout(); got != 1500*time.Millisecond {
		t.Fatalf("http timeout from rpc_request_timeout = %v", got)
	}
	o.HTTPTimeout = 700
	if got := o.requestTimeout(); got != 700*time.Millisecond {
		t.Fatalf("http_rpc_timeout must win, got %v", got)
	}
	o.Host = "localhost:50051"
	if got := o.requestTimeout(); got != 1500*time.Millisecond {
		t.Fatalf("gRPC ignores http_rpc_timeout, got %v", got)
	}
}

func TestTLSEnabled(t *testing.T) {
	if !(Options{EnableTLS: true}).TLSEnabled() || !(Options{TLSRootCA: "ca.pem"}).TLSEnabled() {
		t.Fatal("rpc_enable_tls or rpc_tls_root_ca must turn TLS on")
	}
}

func TestConcurrencySettings(t *testing.T) {
	if n := (Options{Concurrency: -3}).fixedConcurrency(); n != 28 {
		t.Fatalf("negative concurrency falls back to 28, got %d", n)
	}
	if n := (Options{Concurrency: 7}).fixedConcurrency(); n != 7 {
		t.Fatalf("got %d", n)
	}
	i, lo, hi := Options{}.adaptiveBounds()
	if i != 25 || lo != 5 || hi != 100 {
		t.Fatalf("adaptive defaults = %d/%d/%d", i, lo, hi)
	}
	i, lo, hi = Options{ConcurrencyInitial: 500, ConcurrencyMin: 10, ConcurrencyMax: 50}.adaptiveBounds()
	if i != 50 || lo != 10 || hi != 50 {
		t.Fatalf("initial must be clamped into [min,max]: %d/%d/%d", i, lo, hi)
	}
	i, lo, hi = Options{ConcurrencyInitial: 3, ConcurrencyMin: 20, ConcurrencyMax: 10}.adaptiveBounds()
	if i != 20 || lo != 20 || hi != 20 {
		t.Fatalf("inconsistent bounds must collapse to min: %d/%d/%d", i, lo, hi)
	}
}

func TestDeriveHTTPSecret(t *testing.T) {
	// Reference value from WIRE-FACTS §6, checked with
	// `echo -n rpc-cable | openssl dgst -sha256 -hmac s3cr3t`.
	const want = "4b7da2749fe2a4534cec0d2acbd16277a800cf2acd31158ac4edae4a62a8f18d"
	if got := DeriveHTTPSecret("s3cr3t"); got != want {
		t.Fatalf("DeriveHTTPSecret = %s, want %s", got, want)
	}
	if got := DeriveHTTPSecret(""); got != "" {
		t.Fatalf("empty app secret must give no token, got %q", got)
	}
}

func TestTLSConfigRootCA(t *testing.T) {
	_, certPEM := selfSignedCert(t)

	cfg, err := Options{TLSVerify: true, TLSRootCA: string(certPEM)}.tlsConfig()
	if err != nil || cfg.RootCAs == nil || cfg.InsecureSkipVerify || cfg.MinVersion != 0x0303 {
		t.Fatalf("inline PEM: cfg=%+v err=%v", cfg, err)
	}
	path := writeTemp(t, "ca.pem", certPEM)
	if cfg, err = (Options{TLSVerify: true, TLSRootCA: path}).tlsConfig(); err != nil || cfg.RootCAs == nil {
		t.Fatalf("PEM file: err=%v", err)
	}
	if _, err = (Options{TLSRootCA: "/nonexistent/ca.pem"}).tlsConfig(); err == nil {
		t.Fatal("missing CA file must fail")
	}
	if _, err = (Options{TLSRootCA: "-----BEGIN CERTIFICATE-----\ngarbage\n"}).tlsConfig(); err == nil || !strings.Contains(err.Error(), "PEM") {
		t.Fatalf("bad PEM must fail clearly, got %v", err)
	}
	if cfg, _ = (Options{TLSVerify: false}).tlsConfig(); !cfg.InsecureSkipVerify {
		t.Fatal("rpc_tls_verify=false must skip verification")
	}
}
