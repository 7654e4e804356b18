package rpcclient

import (
	"encoding/json"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/densecable/densecable/rpcclient/rpcpb"
)

// FuzzDecodeHTTPResponse feeds arbitrary HTTP RPC response bodies to the
// decoder: no panics, and whatever decodes survives a JSON round trip.
func FuzzDecodeHTTPResponse(f *testing.F) {
	for _, s := range []string{
		`{"status":1,"identifiers":"{\"user_id\":42}","transmissions":["{\"type\":\"welcome\"}"],"env":{"cstate":{"feature_flags":"[1, 2]"}}}`,
		`{"status":2,"transmissions":["{\"type\":\"reject_subscription\"}"]}`,
		`{"status":1,"stop_streams":true,"streams":["chat/42"],"stopped_streams":["x"],"env":{"istate":{"room_id":"42"}},"presence":{"type":"join","id":"1","info":"{}","ttl":5}}`,
		`{"status":0,"error_msg":"Internal server error"}`,
		`{}`, `null`, `{"status":"SUCCESS"}`, `{"status":99}`, `[`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var cmd rpcpb.CommandResponse
		if err := decodeHTTPResponse(body, &cmd); err != nil {
			if !strings.HasPrefix(err.Error(), "decode http rpc response") {
				t.Fatalf("error without context: %v", err)
			}
			return
		}
		again, err := json.Marshal(&cmd)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		var back rpcpb.CommandResponse
		if err := decodeHTTPResponse(again, &back); err != nil {
			t.Fatalf("round trip of %s: %v", again, err)
		}
		if back.Status != cmd.Status || back.ErrorMsg != cmd.ErrorMsg || len(back.Streams) != len(cmd.Streams) {
			t.Fatalf("round trip changed the response: %+v vs %+v", &back, &cmd)
		}
		var conn rpcpb.ConnectionResponse
		_ = decodeHTTPResponse(body, &conn)
		var disc rpcpb.DisconnectResponse
		_ = decodeHTTPResponse(body, &disc)
	})
}

// FuzzHTTPStatusError checks that any error response becomes a bounded,
// well-formed gRPC status.
func FuzzHTTPStatusError(f *testing.F) {
	f.Add(401, []byte("nope"))
	f.Add(422, []byte("bad\n"))
	f.Add(500, []byte(strings.Repeat("x", 1000)))
	f.Add(404, []byte(""))
	f.Fuzz(func(t *testing.T, code int, body []byte) {
		st, ok := status.FromError(httpStatusError(code, body))
		if !ok {
			t.Fatal("not a gRPC status")
		}
		switch st.Code() {
		case codes.Unauthenticated, codes.InvalidArgument, codes.Unknown:
		default:
			t.Fatalf("unexpected code %v for HTTP %d", st.Code(), code)
		}
		if n := len(st.Message()); n == 0 || n > maxErrorBody+len("...") {
			t.Fatalf("message length %d out of bounds", n)
		}
	})
}
