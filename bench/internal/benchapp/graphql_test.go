package benchapp

import (
	"context"
	"testing"

	"github.com/densecable/densecable/encoders/jsonkit"
	"github.com/densecable/densecable/rpcclient/rpcpb"
)

func TestGraphQLChannel(t *testing.T) {
	a := New(nil, nil)
	ctx := context.Background()
	conn := func(params string) *rpcpb.ConnectionResponse {
		return a.Connect(ctx, &rpcpb.ConnectionRequest{Env: &rpcpb.Env{Headers: map[string]string{"x-apollo-connection": params}}})
	}
	if res := conn(`{"token":"reject"}`); res.GetStatus() != rpcpb.Status_FAILURE || len(res.GetTransmissions()) != 1 {
		t.Fatalf("reject: %v", res)
	}
	if res := conn(`{"token":"al\"ice"}`); res.GetStatus() != rpcpb.Status_SUCCESS || res.GetIdentifiers() != `{"user":"al\"ice"}` {
		t.Fatalf("accept: %v", res)
	}
	id := `{"channel":"GraphqlChannel","channelId":"7"}`
	cmd := func(command, data string) *rpcpb.CommandResponse {
		return a.Command(ctx, &rpcpb.CommandMessage{Command: command, Identifier: id, Data: data})
	}
	if res := cmd("subscribe", ""); res.GetTransmissions()[0] != `{"type":"confirm_subscription","identifier":`+quote(id)+`}` || len(res.GetStreams()) != 0 {
		t.Fatalf("subscribe: %v", res)
	}
	res := cmd("message", `{"query":"query($name: String) { hello(name: $name) }","variables":{"name":"x"},"operationName":null,"action":"execute"}`)
	if want := `{"identifier":` + quote(id) + `,"message":{"more":false,"result":{"data":{"hello":"Hello, x"}}}}`; res.GetTransmissions()[0] != want {
		t.Fatalf("query: %v\nwant %s", res.GetTransmissions(), want)
	}
	res = cmd("message", `{"query":"subscription { postCreated { title } }","variables":null,"operationName":null,"action":"execute"}`)
	if len(res.GetStreams()) != 1 || res.GetStreams()[0] != GraphQLStream("7") ||
		res.GetTransmissions()[0] != `{"identifier":`+quote(id)+`,"message":{"more":true,"result":{}}}` {
		t.Fatalf("subscription: %v", res)
	}
	if res := cmd("unsubscribe", ""); !res.GetStopStreams() {
		t.Fatalf("unsubscribe: %v", res)
	}
	// Other channels are not the GraphQL channel's.
	if graphqlCommand(&rpcpb.CommandMessage{Identifier: `{"channel":"BenchmarkChannel"}`}) != nil {
		t.Fatal("took a BenchmarkChannel command")
	}
}

func quote(s string) string { return string(jsonkit.AppendString(nil, s)) }
