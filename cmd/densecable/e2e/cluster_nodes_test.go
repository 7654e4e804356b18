package e2e

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// clusterSecret is the application secret of the multi-node tests; the
// REST API key is derived from it.
const clusterSecret = "e2e-cluster-secret"

// clusterNode is one densecable of a multi-node test, broadcasting over
// HTTP on its own port.
type clusterNode struct {
	*server
	broadcastPort int
}

// startNodes starts count densecables at once (an embedded NATS cluster
// only becomes ready when its peers run) and waits until each is healthy.
// Every node gets flags, then perNode(i) when it is not nil. The nodes are
// public (no RPC, public streams, unauthenticated HTTP broadcasts) with
// the REST API keyed from clusterSecret.
func startNodes(t *testing.T, count int, perNode func(i int) []string, flags ...string) []*clusterNode {
	t.Helper()
	return startNodesWithin(t, startTimeout, count, perNode, flags...)
}

// startNodesWithin is startNodes with its own bound on the time to become
// healthy.
func startNodesWithin(t *testing.T, timeout time.Duration, count int, perNode func(i int) []string, flags ...string) []*clusterNode {
	t.Helper()
	nodes := make([]*clusterNode, count)
	ports := freePorts(t, 2*count)
	for i := range nodes {
		nodes[i] = launchNode(t, ports[2*i], ports[2*i+1], perNodeFlags(perNode, i, flags)...)
	}
	// Registered last, so it runs before each process's own cleanup: the
	// nodes shut down in parallel (a graceful stop may wait for a blocked
	// Redis Streams read).
	t.Cleanup(func() { stopAll(t, nodes...) })
	deadline := time.Now().Add(timeout)
	for _, n := range nodes {
		waitHealthyUntil(t, n.proc, n.httpURL("/health"), deadline)
	}
	return nodes
}

// stopAll stops the nodes at the same time (SIGTERM, then SIGKILL after
// stopGrace) rather than one after the other, and fails the test if one
// exits with an error.
func stopAll(t *testing.T, nodes ...*clusterNode) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make([]error, len(nodes))
	for i, n := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = n.stop()
		}()
	}
	wg.Wait()
	for i, err := range errs {
		// A node stopped while still starting (after a failure) may die
		// of the signal itself: only report errors of a test going well.
		if err != nil && !t.Failed() {
			t.Errorf("%s exited with %v after SIGTERM", nodes[i].name, err)
		}
	}
}

// waitHealthyUntil waits until GET url answers 200, failing the test if
// p exits first or the deadline passes.
func waitHealthyUntil(t *testing.T, p *proc, url string, deadline time.Time) {
	t.Helper()
	client := &http.Client{Timeout: 500 * time.Millisecond}
	for {
		res, err := client.Get(url)
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		if p.exited() {
			t.Fatalf("%s exited (%v) before GET %s = 200", p.name, p.err, url)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: no GET %s = 200 in time", p.name, url)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func perNodeFlags(perNode func(int) []string, i int, flags []string) []string {
	all := append([]string{}, flags...)
	if perNode != nil {
		all = append(all, perNode(i)...)
	}
	return all
}

// launchNode starts one node without waiting for it.
func launchNode(t *testing.T, port, broadcastPort int, flags ...string) *clusterNode {
	t.Helper()
	all := append([]string{"--public", "--secret=" + clusterSecret, "--http_broadcast_port=" + strconv.Itoa(broadcastPort)}, flags...)
	s := &server{port: port, flags: all}
	s.proc = startProc(t, fmt.Sprintf("densecable :%d", port), binaries.densecable, append(baseFlags(port), all...)...)
	return &clusterNode{server: s, broadcastPort: broadcastPort}
}

// restartNode starts a node again on the same ports with the same flags
// (after it was stopped) and waits until it is healthy.
func (n *clusterNode) restartNode(t *testing.T) *clusterNode {
	t.Helper()
	s := &server{port: n.port, flags: n.flags}
	s.proc = startProc(t, fmt.Sprintf("densecable :%d", n.port), binaries.densecable, append(baseFlags(n.port), n.flags...)...)
	waitHealthy(t, s.proc, s.httpURL("/health"))
	return &clusterNode{server: s, broadcastPort: n.broadcastPort}
}

func (n *clusterNode) broadcastURL() string {
	return "http://" + hostPort(n.broadcastPort) + "/_broadcast"
}

// httpTimeout bounds one HTTP request to a node.
const httpTimeout = 5 * time.Second

var httpClient = &http.Client{Timeout: httpTimeout}

// request sends one HTTP request and returns the status and body.
func request(t *testing.T, method, url, bearer, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	res, err := httpClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// broadcastBody is an HTTP broadcast / REST publish payload: data is sent
// JSON-encoded, as applications do.
func broadcastBody(stream string, data any) string {
	return jsonOf(map[string]string{"stream": stream, "data": jsonOf(data)})
}

// publish POSTs to the node's HTTP broadcast endpoint and wants 201.
func (n *clusterNode) publish(t *testing.T, stream string, data any) {
	t.Helper()
	if code, body := request(t, "POST", n.broadcastURL(), "", broadcastBody(stream, data)); code != http.StatusCreated {
		t.Fatalf("POST %s: %d %s", n.broadcastURL(), code, body)
	}
}

// apiKey is the REST API key densecable derives from --secret.
var apiKey = derivedKey(clusterSecret, "api-cable")

// apiPublish publishes through the REST API (POST /api/publish) and wants
// 201.
func (n *clusterNode) apiPublish(t *testing.T, stream string, data any) {
	t.Helper()
	url := n.httpURL("/api/publish")
	if code, body := request(t, "POST", url, apiKey, broadcastBody(stream, data)); code != http.StatusCreated {
		t.Fatalf("POST %s: %d %s", url, code, body)
	}
}

// presenceUsers asks the REST API who is present in stream.
func (n *clusterNode) presenceUsers(t *testing.T, stream, key string) (int, string) {
	t.Helper()
	return request(t, "GET", n.httpURL("/api/presence/"+stream+"/users"), key, "")
}

// freePorts returns n distinct TCP ports on 127.0.0.1 that were free a
// moment ago (all held open together, so none is handed out twice).
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	ports := make([]int, n)
	for i := range ports {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("free port: %v", err)
		}
		defer ln.Close()
		ports[i] = ln.Addr().(*net.TCPAddr).Port
	}
	return ports
}

// uniqueName makes a stream (or key) name no other test or run uses.
func uniqueName(prefix string) string {
	return fmt.Sprintf("%s_%d", prefix, time.Now().UnixNano())
}
