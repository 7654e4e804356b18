package e2e

import (
	"strconv"
	"testing"
	"time"

	"github.com/densecable/densecable/sessions/graphql"
)

// graphqlTimeout bounds one GraphQL client script.
const graphqlTimeout = 60 * time.Second

// startWithGraphQLApp starts the bench app (its GraphqlChannel) and a
// densecable serving --graphql_path=/graphql over rpc ("grpc" or "http").
func startWithGraphQLApp(t *testing.T, rpc string, flags ...string) (wsURL, broadcastURL string) {
	t.Helper()
	bport := freePort(t)
	broadcastURL = "http://" + hostPort(bport) + "/_broadcast"
	rpcFlag := ""
	switch rpc {
	case "grpc":
		app := startBenchApp(t, broadcastURL)
		rpcFlag = "--rpc_host=" + hostPort(app.grpcPort)
	case "http":
		port := freePort(t)
		p := startProc(t, "benchapp (HTTP RPC)", binaries.benchapp,
			"--grpc=", "--http="+hostPort(port), "--broadcast_url="+broadcastURL, "--broadcast_mode=sync")
		waitListening(t, p, port)
		rpcFlag = "--rpc_host=http://" + hostPort(port)
	}
	s := startServer(t, append([]string{rpcFlag, "--broadcast_adapter=http",
		"--http_broadcast_port=" + strconv.Itoa(bport), "--graphql_path=/graphql"}, flags...)...)
	return "ws://" + hostPort(s.port) + "/graphql", broadcastURL
}

// graphqlClients runs graphql_clients.mjs's modes (comma-separated) in
// one Node process and returns its done event.
func graphqlClients(t *testing.T, modes, wsURL, broadcastURL string) event {
	t.Helper()
	return runNode(t, graphqlTimeout, "graphql_clients.mjs", "--modes="+modes, "--url="+wsURL, "--broadcast="+broadcastURL)
}

func wantField(t *testing.T, e event, path, want string) {
	t.Helper()
	if got := jsonOf(e.field(path)); got != want {
		t.Errorf("%s = %s, want %s", path, got, want)
	}
}

// The official clients (graphql-ws, Apollo's GraphQLWsLink,
// subscriptions-transport-ws) against the bench app over gRPC: a query
// with variables, a subscription receiving a broadcast, a server-side
// complete, keep-alives (ping / ka), and rejected connection params (4403;
// legacy: connection_error first). HTTP RPC runs graphql-ws and the
// legacy rejection: the RPC transport is below the protocol.
func TestGraphQLClients(t *testing.T) {
	requireNode(t)
	wsURL, bURL := startWithGraphQLApp(t, "grpc")
	e := graphqlClients(t, "graphql-ws,apollo,legacy,rejected,legacy-rejected", wsURL, bURL)
	for path, want := range map[string]string{
		"graphql-ws.result":     `{"data":{"hello":"Hello, graphql-ws"}}`,
		"graphql-ws.got":        `{"data":{"postCreated":{"__typename":"Post","title":"first"}}}`,
		"graphql-ws.end":        `{"complete":true}`,
		"apollo.result":         `{"data":{"hello":"Hello, apollo"}}`,
		"apollo.got":            `{"data":{"postCreated":{"__typename":"Post","title":"apollo post"}}}`,
		"legacy.result":         `{"data":{"hello":"Hello, legacy"}}`,
		"legacy.got":            `{"data":{"postCreated":{"__typename":"Post","title":"legacy post"}}}`,
		"legacy.end":            `{"complete":true}`,
		"rejected.close":        `{"code":4403,"reason":"Forbidden"}`,
		"rejected.done":         `{"error":4403}`,
		"legacy-rejected.error": `{"message":"unauthorized"}`,
		"legacy-rejected.close": `{"code":4403,"reason":"Forbidden"}`,
	} {
		wantField(t, e, "observed."+path, want)
	}

	wsURL, bURL = startWithGraphQLApp(t, "http")
	e = graphqlClients(t, "graphql-ws,legacy-rejected", wsURL, bURL)
	wantField(t, e, "observed.graphql-ws.result", `{"data":{"hello":"Hello, graphql-ws"}}`)
	wantField(t, e, "observed.graphql-ws.got", `{"data":{"postCreated":{"__typename":"Post","title":"first"}}}`)
	wantField(t, e, "observed.legacy-rejected.error", `{"message":"unauthorized"}`)
}

// Bad input gets graphql-ws's close codes (legacy: error messages), while
// a healthy client on the same server goes on.
func TestGraphQLBadInput(t *testing.T) {
	requireNode(t)
	wsURL, _ := startWithGraphQLApp(t, "grpc")
	e := runNode(t, graphqlTimeout, "graphql_bad_input.js", "--url="+wsURL, "--max_ops="+strconv.Itoa(graphql.MaxOperations))
	for path, want := range map[string]string{
		"malformed":        `{"code":4400,"reason":"Invalid message received: invalid JSON at offset 1"}`,
		"unknownType":      `{"code":4400,"reason":"Unexpected message of type shout received"}`,
		"beforeInit":       `{"code":4401,"reason":"Unauthorized"}`,
		"initTwice":        `{"code":4429,"reason":"Too many initialisation requests"}`,
		"duplicate":        `{"code":4409,"reason":"Subscriber for dup already exists"}`,
		"tooMany":          `{"code":4400,"reason":"Too many operations"}`,
		"noInit":           `{"code":4408,"reason":"Connection initialisation timeout"}`,
		"noSubprotocol":    `{"http":400}`,
		"legacyMalformed":  `{"payload":{"message":"Invalid message received: invalid JSON at offset 1"},"type":"error"}`,
		"legacyUnknown":    `{"id":"9","payload":{"message":"Invalid message type!"},"type":"error"}`,
		"legacyStillWorks": `{"id":"1","payload":{"data":{"hello":"Hello, world"}},"type":"data"}`,
		"legacyTerminate":  `{"code":1000,"reason":"connection_terminate"}`,
		"pong":             `{"type":"pong"}`,
		"healthy":          `{"id":"after","payload":{"data":{"hello":"Hello, world"}},"type":"next"}`,
	} {
		wantField(t, e, path, want)
	}
	// The init deadline is 3 s, checked at the pinger's 100 ms ticks.
	if ms, _ := e.field("noInitAfterMs").(float64); ms < 2900 || ms > 10000 {
		t.Errorf("closed %v ms after the upgrade without connection_init, want about 3000", ms)
	}
}

// Two nodes over Redis: a broadcast published on node A reaches a GraphQL
// subscriber on node B.
func TestGraphQLTwoNodesRedis(t *testing.T) {
	requireNode(t)
	requireRedis(t, sharedRedis)
	app := startBenchApp(t, "http://127.0.0.1:9/_broadcast") // GraphqlChannel never broadcasts itself
	nodes := startNodes(t, 2, nil, "--pubsub=redis", "--redis_url="+sharedRedisURL, "--broadcast_adapter=http",
		"--rpc_host="+hostPort(app.grpcPort), "--graphql_path=/graphql")
	A, B := nodes[0], nodes[1]
	e := graphqlClients(t, "graphql-ws,legacy", "ws://"+hostPort(B.port)+"/graphql", A.broadcastURL())
	wantField(t, e, "observed.graphql-ws.got", `{"data":{"postCreated":{"__typename":"Post","title":"first"}}}`)
	wantField(t, e, "observed.graphql-ws.end", `{"complete":true}`)
	wantField(t, e, "observed.legacy.got", `{"data":{"postCreated":{"__typename":"Post","title":"legacy post"}}}`)
}

// JWT identification from the connection params' jid (as the Apollo docs
// show), with --enforce_jwt: a valid token is accepted (without one the
// connection would be refused), a bad one is refused with 4403.
func TestGraphQLJWTFromParams(t *testing.T) {
	requireNode(t)
	const secret = "graphql-jwt-secret"
	wsURL, bURL := startWithGraphQLApp(t, "grpc", "--jwt_secret="+secret, "--enforce_jwt")
	good := jwtHS256(t, secret, map[string]string{"user": "jwt-user"}, time.Now().Add(time.Hour))
	e := runNode(t, graphqlTimeout, "graphql_clients.mjs", "--modes=jwt", "--url="+wsURL, "--broadcast="+bURL, "--jid="+good)
	wantField(t, e, "observed.jwt.answer", `{"data":{"hello":"Hello, world"}}`)
	e = runNode(t, graphqlTimeout, "graphql_clients.mjs", "--modes=jwt", "--url="+wsURL, "--broadcast="+bURL, "--jid=not-a-token")
	wantField(t, e, "observed.jwt.answer", `{"error":4403}`)
}
