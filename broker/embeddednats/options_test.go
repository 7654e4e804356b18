package embeddednats

import (
	"strings"
	"testing"
)

func TestServerOptionsDefaults(t *testing.T) {
	so, err := Options{}.serverOptions()
	if err != nil {
		t.Fatal(err)
	}
	if so.Host != "127.0.0.1" || so.Port != 4222 || so.MaxPayload != DefaultMaxPayload || !so.NoSigs {
		t.Fatalf("host %s port %d payload %d nosigs %v", so.Host, so.Port, so.MaxPayload, so.NoSigs)
	}
	if !strings.HasPrefix(so.ServerName, "densecable-") || so.Cluster.Port != 0 || so.Gateway.Port != 0 || so.JetStream {
		t.Fatalf("unexpected options %+v", so)
	}
	other, _ := Options{}.serverOptions()
	if other.ServerName == so.ServerName {
		t.Fatal("generated server names repeat")
	}
}

func TestServerOptionsCluster(t *testing.T) {
	so, err := Options{
		ServiceAddr: "nats://0.0.0.0:4242", ClusterAddr: "nats://0.0.0.0:4243", ClusterName: "c1",
		Routes:      []string{"nats://10.0.0.1:4243, nats://10.0.0.2:4243", "10.0.0.3:4243"},
		GatewayAddr: "nats://0.0.0.0:7222", GatewayAdvertise: "nats://gw.example:7222",
		Gateways:   []string{"c2:nats://10.1.0.1:7222,nats://10.1.0.2:7222;c3:10.2.0.1:7222"},
		ServerName: "n1", MaxPayload: 2048, JetStream: true, StoreDir: "/data",
	}.serverOptions()
	if err != nil {
		t.Fatal(err)
	}
	if so.Host != "0.0.0.0" || so.Port != 4242 || so.ServerName != "n1" || so.MaxPayload != 2048 {
		t.Fatalf("client options %+v", so)
	}
	if so.Cluster.Name != "c1" || so.Cluster.Host != "0.0.0.0" || so.Cluster.Port != 4243 {
		t.Fatalf("cluster %+v", so.Cluster)
	}
	var routes []string
	for _, r := range so.Routes {
		routes = append(routes, r.String())
	}
	if strings.Join(routes, " ") != "nats://10.0.0.1:4243 nats://10.0.0.2:4243 nats://10.0.0.3:4243" {
		t.Fatalf("routes %v", routes)
	}
	g := so.Gateway
	if g.Name != "c1" || g.Port != 7222 || g.Advertise != "gw.example:7222" || len(g.Gateways) != 2 {
		t.Fatalf("gateway %+v", g)
	}
	if g.Gateways[0].Name != "c2" || len(g.Gateways[0].URLs) != 2 || g.Gateways[1].Name != "c3" ||
		g.Gateways[1].URLs[0].String() != "nats://10.2.0.1:7222" {
		t.Fatalf("remote gateways %+v %+v", g.Gateways[0], g.Gateways[1])
	}
	if !so.JetStream || so.StoreDir != "/data" {
		t.Fatalf("jetstream %v %q", so.JetStream, so.StoreDir)
	}
}

func TestServerOptionsErrors(t *testing.T) {
	cases := map[string]Options{
		"bad port":             {ServiceAddr: "nats://127.0.0.1:99999"},
		"cluster without port": {ClusterAddr: "nats://0.0.0.0"},
		"routes, no cluster":   {Routes: []string{"nats://a:1"}},
		"route without port":   {ClusterAddr: ":4243", Routes: []string{"nats://a"}},
		"gateways, no gateway": {Gateways: []string{"c2:nats://a:1"}},
		"gateway without url":  {GatewayAddr: ":7222", Gateways: []string{"c2:"}},
		"gateway without name": {GatewayAddr: ":7222", Gateways: []string{"nats://a:1"}},
		"payload too big":      {MaxPayload: 1 << 30},
		"negative payload":     {MaxPayload: -1},
	}
	for name, o := range cases {
		if _, err := o.serverOptions(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestClientURL(t *testing.T) {
	for host, want := range map[string]string{
		"0.0.0.0": "nats://127.0.0.1:4242", "": "nats://127.0.0.1:4242", "::": "nats://127.0.0.1:4242",
		"10.1.2.3": "nats://10.1.2.3:4242", "::1": "nats://[::1]:4242",
	} {
		if got := clientURL(host, 4242); got != want {
			t.Errorf("clientURL(%q) = %s, want %s", host, got, want)
		}
	}
}

// FuzzServerOptions feeds arbitrary enats settings (they come from flags,
// env vars and TOML): no panic, and accepted settings are consistent.
func FuzzServerOptions(f *testing.F) {
	f.Add("nats://0.0.0.0:4242", "nats://0.0.0.0:4243", "nats://127.0.0.1:4343", ":7222", "c2:nats://a:1,b:2;c3:c:3")
	f.Add("", "", "", "", "")
	f.Add("nats://[::1", "x:y", ",,", "nats://:0", "a:b:c;;:")
	f.Fuzz(func(t *testing.T, addr, cluster, routes, gateway, gateways string) {
		so, err := Options{ServiceAddr: addr, ClusterAddr: cluster, Routes: []string{routes},
			GatewayAddr: gateway, Gateways: []string{gateways}}.serverOptions()
		if err != nil {
			return
		}
		if so.Port < 1 || so.Port > 65535 {
			t.Fatalf("port %d", so.Port)
		}
		if len(so.Routes) > 0 && so.Cluster.Port == 0 {
			t.Fatal("routes without a cluster port")
		}
		for _, gw := range so.Gateway.Gateways {
			if gw.Name == "" || len(gw.URLs) == 0 {
				t.Fatalf("gateway %+v", gw)
			}
		}
	})
}
