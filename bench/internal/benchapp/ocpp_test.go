package benchapp

import (
	"context"
	"strings"
	"testing"

	"github.com/densecable/densecable/rpcclient/rpcpb"
)

// OCPPChannel: the station's stream, the Acks of docs/ocpp.md's example,
// a server call from data_transfer, and every action in the log stream.
func TestOCPPChannel(t *testing.T) {
	app, pub := newTestApp()
	id := `{"channel":"OCPPChannel","sn":"CP-1"}`
	res := app.Command(context.Background(), cmd("subscribe", id, ""))
	if res.GetStatus() != rpcpb.Status_SUCCESS || len(res.GetStreams()) != 1 || res.GetStreams()[0] != "ev/CP-1" {
		t.Fatalf("subscribe: %v", res)
	}
	for action, want := range map[string]string{
		"authorize":           `{"command":"Ack","id":"m1","payload":{"idTagInfo":{"status":"Accepted"}}}`,
		"start_transaction":   `{"command":"Ack","id":"m1","payload":{"transactionId":42,"idTagInfo":{"status":"Accepted"}}}`,
		"data_transfer":       `{"command":"GetConfiguration","payload":{}}`,
		"status_notification": "",
	} {
		data := `{"action":"` + action + `","id":"m1","command":"X","payload":{}}`
		res := app.Command(context.Background(), cmd("message", id, data))
		if res.GetStatus() != rpcpb.Status_SUCCESS || strings.Join(res.GetTransmissions(), "") != want {
			t.Errorf("%s: %v", action, res)
		}
		pub.mu.Lock()
		last := pub.got[len(pub.got)-1]
		pub.mu.Unlock()
		if last.stream != "ocpp_log/CP-1" || last.data != data {
			t.Errorf("%s: logged %+v", action, last)
		}
	}
	// Other channels are not OCPPChannel's.
	if res := app.Command(context.Background(), cmd("subscribe", `{"channel":"Chat","note":"OCPPChannel"}`, "")); len(res.GetStreams()) != 1 || res.GetStreams()[0] != "Chat" {
		t.Fatalf("another channel: %v", res)
	}
}
