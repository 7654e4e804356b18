package redisconn

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/densecable/densecable/broker/testservers"
)

func TestClientOptionFromURL(t *testing.T) {
	cases := []struct {
		name              string
		opts              RedisOptions
		addrs             []string
		user, pass        string
		db                int
		tls, skipVerify   bool
		shuffle, disCache bool
	}{
		{name: "default", opts: RedisOptions{}, addrs: []string{"localhost:6379"}},
		{name: "db and credentials", opts: RedisOptions{URL: "redis://bob:s3cret@10.0.0.1:6380/5"},
			addrs: []string{"10.0.0.1:6380"}, user: "bob", pass: "s3cret", db: 5},
		{name: "password only", opts: RedisOptions{URL: "redis://:pw@host"}, addrs: []string{"host:6379"}, pass: "pw"},
		{name: "trailing slash", opts: RedisOptions{URL: "redis://host:1234/"}, addrs: []string{"host:1234"}},
		{name: "no scheme", opts: RedisOptions{URL: "host:1234"}, addrs: []string{"host:1234"}},
		{name: "tls unverified by default", opts: RedisOptions{URL: "rediss://host:6380"}, addrs: []string{"host:6380"}, tls: true, skipVerify: true},
		{name: "tls verified", opts: RedisOptions{URL: "rediss://host:6380", TLSVerify: true}, addrs: []string{"host:6380"}, tls: true},
		{name: "cluster list", opts: RedisOptions{URL: "redis://:pw@a:7000,redis://b:7001, c:7002"},
			addrs: []string{"a:7000", "b:7001", "c:7002"}, pass: "pw", shuffle: true},
		{name: "disable cache", opts: RedisOptions{URL: "redis://h", DisableCache: true}, addrs: []string{"h:6379"}, disCache: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			co, err := tc.opts.ClientOption()
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(co.InitAddress, tc.addrs) {
				t.Fatalf("addresses = %v, want %v", co.InitAddress, tc.addrs)
			}
			if co.Username != tc.user || co.Password != tc.pass || co.SelectDB != tc.db {
				t.Fatalf("user=%q pass=%q db=%d", co.Username, co.Password, co.SelectDB)
			}
			if (co.TLSConfig != nil) != tc.tls {
				t.Fatalf("TLS = %v, want %v", co.TLSConfig != nil, tc.tls)
			}
			if tc.tls && co.TLSConfig.InsecureSkipVerify != tc.skipVerify {
				t.Fatalf("InsecureSkipVerify = %v", co.TLSConfig.InsecureSkipVerify)
			}
			if co.ShuffleInit != tc.shuffle || co.DisableCache != tc.disCache {
				t.Fatalf("shuffle=%v disableCache=%v", co.ShuffleInit, co.DisableCache)
			}
			if co.Sentinel.MasterSet != "" {
				t.Fatalf("unexpected sentinel master %q", co.Sentinel.MasterSet)
			}
		})
	}
}

func TestClientOptionKeepalive(t *testing.T) {
	co, err := RedisOptions{URL: "redis://h", KeepaliveInterval: 7 * time.Second}.ClientOption()
	if err != nil {
		t.Fatal(err)
	}
	if co.Dialer.KeepAlive != 7*time.Second {
		t.Fatalf("keepalive = %s", co.Dialer.KeepAlive)
	}
}

func TestClientOptionErrors(t *testing.T) {
	for _, opts := range []RedisOptions{
		{URL: "http://host"},
		{URL: "redis://host/notadb"},
		{URL: "redis://mymaster", Sentinels: "http://s1"},
		{URL: "rediss://h", TLSCACertPath: "/nonexistent/ca.pem"},
		{URL: "rediss://h", TLSClientCertPath: "/tmp/only-cert.pem"},
	} {
		if _, err := opts.ClientOption(); err == nil {
			t.Errorf("%+v: no error", opts)
		}
	}
}

func TestClientOptionSentinels(t *testing.T) {
	opts := RedisOptions{
		URL:                       "redis://mymaster/2",
		Sentinels:                 ":sentpw@s1:26380, s2:26381",
		SentinelDiscoveryInterval: 30 * time.Second,
	}
	co, err := opts.ClientOption()
	if err != nil {
		t.Fatal(err)
	}
	if co.Sentinel.MasterSet != "mymaster" || co.SelectDB != 2 {
		t.Fatalf("master=%q db=%d", co.Sentinel.MasterSet, co.SelectDB)
	}
	if !reflect.DeepEqual(co.InitAddress, []string{"s1:26380", "s2:26381"}) {
		t.Fatalf("sentinel addresses = %v", co.InitAddress)
	}
	if co.Sentinel.Password != "sentpw" || co.Password != "sentpw" {
		t.Fatalf("sentinel password %q, master password %q", co.Sentinel.Password, co.Password)
	}
	if co.Sentinel.TopologyRefreshInterval != 30*time.Second {
		t.Fatalf("refresh = %s", co.Sentinel.TopologyRefreshInterval)
	}

	// The master keeps its own credentials when the URL has them.
	co, err = RedisOptions{URL: "redis://:masterpw@mymaster", Sentinels: ":sentpw@s1:26380"}.ClientOption()
	if err != nil {
		t.Fatal(err)
	}
	if co.Password != "masterpw" || co.Sentinel.Password != "sentpw" {
		t.Fatalf("master password %q, sentinel password %q", co.Password, co.Sentinel.Password)
	}
	if d := (RedisOptions{URL: "redis://:masterpw@mymaster", Sentinels: ":sentpw@s1:26380"}).Describe(); strings.Contains(d, "pw") {
		t.Fatalf("Describe leaks a password: %s", d)
	}
}

func TestClientOptionTLSFiles(t *testing.T) {
	dir := t.TempDir()
	caPath, certPath, keyPath := writeTestCert(t, dir)
	co, err := RedisOptions{
		URL: "rediss://h", TLSVerify: true,
		TLSCACertPath: caPath, TLSClientCertPath: certPath, TLSClientKeyPath: keyPath,
	}.ClientOption()
	if err != nil {
		t.Fatal(err)
	}
	if co.TLSConfig.RootCAs == nil || len(co.TLSConfig.Certificates) != 1 || co.TLSConfig.InsecureSkipVerify {
		t.Fatalf("TLS config not applied: %+v", co.TLSConfig)
	}
	if co.TLSConfig.ServerName != "h" {
		t.Fatalf("ServerName = %q", co.TLSConfig.ServerName)
	}

	if err := os.WriteFile(filepath.Join(dir, "empty.pem"), []byte("nothing"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := (RedisOptions{URL: "rediss://h", TLSCACertPath: filepath.Join(dir, "empty.pem")}).ClientOption(); err == nil {
		t.Fatal("a CA file without certificates was accepted")
	}
}

// NewRedisClient talks to the real server and selects the DB from the URL.
func TestNewRedisClientSelectsDB(t *testing.T) {
	testservers.RequireShared(t, testservers.SharedRedisAddr, "Redis")
	key := testservers.UniqueName("redisconn")
	db5, err := NewRedisClient(RedisOptions{URL: "redis://" + testservers.SharedRedisAddr + "/5"})
	if err != nil {
		t.Fatal(err)
	}
	defer db5.Close()
	db0, err := NewRedisClient(RedisOptions{URL: "redis://" + testservers.SharedRedisAddr})
	if err != nil {
		t.Fatal(err)
	}
	defer db0.Close()
	ctx := context.Background()
	if err := db5.Do(ctx, db5.B().Set().Key(key).Value("v").Ex(time.Minute).Build()).Error(); err != nil {
		t.Fatal(err)
	}
	defer db5.Do(ctx, db5.B().Del().Key(key).Build())
	if n, err := db0.Do(ctx, db0.B().Exists().Key(key).Build()).AsInt64(); err != nil || n != 0 {
		t.Fatalf("key visible in DB 0: n=%d err=%v", n, err)
	}
	if v, err := db5.Do(ctx, db5.B().Get().Key(key).Build()).ToString(); err != nil || v != "v" {
		t.Fatalf("GET in DB 5 = %q, %v", v, err)
	}
}

func TestNewRedisClientUnreachable(t *testing.T) {
	srv := testservers.NewRedis(t) // not started
	if _, err := NewRedisClient(RedisOptions{URL: srv.RedisURL()}); err == nil {
		t.Fatal("connected to a server that is not running")
	}
}

// writeTestCert writes a self-signed CA and a client certificate it signed.
func writeTestCert(t *testing.T, dir string) (caPath, certPath, keyPath string) {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	clientKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	clientTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "client"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	clientDER, err := x509.CreateCertificate(rand.Reader, clientTmpl, caTmpl, &clientKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(clientKey)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name, typ string, der []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	return write("ca.pem", "CERTIFICATE", caDER), write("client.pem", "CERTIFICATE", clientDER), write("client.key", "EC PRIVATE KEY", keyDER)
}
