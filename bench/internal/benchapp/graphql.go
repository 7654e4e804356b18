package benchapp

import (
	"encoding/json"
	"strings"

	"github.com/densecable/densecable/encoders/jsonkit"
	"github.com/densecable/densecable/rpcclient/rpcpb"
)

// GraphQLChannel behaves like graphql-ruby's GraphqlChannel with the
// graphql-anycable plugin, over a fixed schema (a query hello(name) and a
// subscription postCreated), so that densecable's Apollo translator can be
// tested against the shapes the Ruby side produces:
//
//	subscribed:    confirm, no streams
//	execute(data): run data.query; transmit {result, more}; a subscription
//	               streams from graphql-subscription:postCreated:<channelId>
//	               and transmits {result: {}, more: true} first
//
// Connect reads the x-apollo-connection header: params with token
// "reject" are refused (unauthorized), others are identified by token.
const GraphQLChannel = "GraphqlChannel"

// GraphQLStream is the stream a postCreated subscription of operation id
// listens to (graphql-anycable uses one stream per subscription).
func GraphQLStream(id string) string { return "graphql-subscription:postCreated:" + id }

// graphqlConnect decides connections that carry Apollo connection params;
// nil means not an Apollo connection.
func graphqlConnect(req *rpcpb.ConnectionRequest) *rpcpb.ConnectionResponse {
	raw, ok := req.GetEnv().GetHeaders()["x-apollo-connection"]
	if !ok {
		return nil
	}
	var params struct {
		Token string `json:"token"`
	}
	if json.Unmarshal([]byte(raw), &params) != nil || params.Token == "reject" {
		return &rpcpb.ConnectionResponse{
			Status:        rpcpb.Status_FAILURE,
			Transmissions: []string{`{"type":"disconnect","reason":"unauthorized","reconnect":false}`},
		}
	}
	ids := jsonkit.AppendString([]byte(`{"user":`), params.Token)
	return &rpcpb.ConnectionResponse{
		Status:        rpcpb.Status_SUCCESS,
		Identifiers:   string(append(ids, '}')),
		Transmissions: []string{welcome},
	}
}

// graphqlCommand handles GraphqlChannel's commands; nil means another
// channel's identifier.
func graphqlCommand(req *rpcpb.CommandMessage) *rpcpb.CommandResponse {
	if !strings.Contains(req.GetIdentifier(), GraphQLChannel) {
		return nil // the benchmark's commands pay no JSON decoding here
	}
	var id struct {
		Channel   string `json:"channel"`
		ChannelID string `json:"channelId"`
	}
	if json.Unmarshal([]byte(req.GetIdentifier()), &id) != nil || id.Channel != GraphQLChannel {
		return nil
	}
	switch req.GetCommand() {
	case "subscribe":
		return transmit(replyType("confirm_subscription", req.GetIdentifier()))
	case "unsubscribe":
		return &rpcpb.CommandResponse{Status: rpcpb.Status_SUCCESS, StopStreams: true}
	case "message":
		return graphqlExecute(req.GetIdentifier(), id.ChannelID, req.GetData())
	}
	return errorResponse("unknown command " + req.GetCommand())
}

// graphqlExecute runs the fixed schema: enough of a GraphQL executor to
// tell a query from a subscription and use variables.
func graphqlExecute(identifier, opID, data string) *rpcpb.CommandResponse {
	var op struct {
		Action    string         `json:"action"`
		Query     string         `json:"query"`
		Variables map[string]any `json:"variables"`
	}
	if err := json.Unmarshal([]byte(data), &op); err != nil || op.Action != "execute" {
		return errorResponse("bad GraphQL perform")
	}
	var payload any
	var streams []string
	switch {
	case strings.Contains(op.Query, "subscription") && strings.Contains(op.Query, "postCreated"):
		streams = []string{GraphQLStream(opID)}
		payload = map[string]any{"result": map[string]any{}, "more": true}
	case strings.Contains(op.Query, "hello"):
		name, _ := op.Variables["name"].(string)
		if name == "" {
			name = "world"
		}
		payload = map[string]any{"result": map[string]any{"data": map[string]any{"hello": "Hello, " + name}}, "more": false}
	default:
		payload = map[string]any{"result": map[string]any{"errors": []any{map[string]any{"message": "Field is not defined on Query"}}}, "more": false}
	}
	b, err := json.Marshal(payload)
	if err != nil {
		return errorResponse(err.Error())
	}
	return &rpcpb.CommandResponse{Status: rpcpb.Status_SUCCESS, Streams: streams, Transmissions: []string{dataMessage(identifier, string(b))}}
}
