package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestClusterOnRedis: three densecable processes sharing the machine's
// Redis (Redis broker, Redis pub/sub, HTTP and Redis Streams broadcasters);
// see clusterScenario.
func TestClusterOnRedis(t *testing.T) {
	requireNode(t)
	requireRedis(t, sharedRedis)
	key := uniqueName("e2e_redisx")
	t.Cleanup(func() { _, _ = redisDo(sharedRedis, "DEL", key) })
	nodes := startNodes(t, 3, nil,
		"--broker=redis", "--pubsub=redis", "--broadcast_adapter=http,redisx",
		"--redis_url="+sharedRedisURL, "--redisx_stream="+key)
	clusterScenario(t, nodes, func(stream string, data any) { xadd(t, sharedRedis, key, stream, data) })
}

// TestClusterOnNATS: three densecable processes on the machine's NATS
// server (JetStream broker, NATS pub/sub); see clusterScenario.
func TestClusterOnNATS(t *testing.T) {
	requireNode(t)
	requireNATS(t, sharedNATS)
	nodes := startNodes(t, 3, nil,
		"--broker=nats", "--pubsub=nats", "--broadcast_adapter=http", "--nats_servers="+sharedNATSURL)
	clusterScenario(t, nodes, nil)
}

// TestClusterOnEmbeddedNATS: three densecable processes, each running an
// embedded NATS server; the servers form a cluster through routes and
// JetStream on it holds the broker's state (each its own store in a
// temporary directory); see clusterScenario.
func TestClusterOnEmbeddedNATS(t *testing.T) {
	requireNode(t)
	const count = 3
	ports := freePorts(t, 2*count)
	clientPorts, routePorts := ports[:count], ports[count:]
	clusterName := uniqueName("e2e")
	// A node waits for the JetStream cluster to form (up to
	// jetstream_ready_timeout, 30 s) before it serves.
	nodes := startNodesWithin(t, 40*time.Second, count, func(i int) []string {
		var routes []string
		for j := range count {
			if j != i {
				routes = append(routes, "nats://"+hostPort(routePorts[j]))
			}
		}
		return []string{
			"--enats_addr=nats://" + hostPort(clientPorts[i]),
			"--enats_cluster=nats://" + hostPort(routePorts[i]),
			"--enats_cluster_routes=" + strings.Join(routes, ","),
			"--enats_cluster_name=" + clusterName,
			"--enats_server_name=" + fmt.Sprintf("%s-%d", clusterName, i),
			"--enats_store_dir=" + t.TempDir(),
		}
	}, "--embed_nats", "--broker=nats", "--pubsub=nats", "--broadcast_adapter=http")
	clusterScenario(t, nodes, nil)
}
