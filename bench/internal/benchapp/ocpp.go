package benchapp

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/densecable/densecable/rpcclient/rpcpb"
)

// OCPPChannel behaves like the OCPPChannel of docs/ocpp.md, for the OCPP
// end-to-end tests:
//
//	subscribed:             stream_for "ev/#{params[:sn]}"
//	authorize:              transmit_ack(id:, idTagInfo: {status: "Accepted"})
//	start_transaction:      transmit_ack(id:, transactionId: 42, idTagInfo: {status: "Accepted"})
//	data_transfer:          transmit({command: "GetConfiguration", payload: {}}) (a server call)
//	everything else:        nothing (the server's default Ack)
//
// Every action (ack and error too) is also broadcast, as the data it got,
// to "ocpp_log/#{sn}", so that a test can see what the application heard.
const OCPPChannel = "OCPPChannel"

// ocppCommand handles OCPPChannel's commands; ok is false for any other
// channel.
func (a *App) ocppCommand(ctx context.Context, req *rpcpb.CommandMessage) (res *rpcpb.CommandResponse, ok bool) {
	identifier := req.GetIdentifier()
	if !strings.Contains(identifier, `"`+OCPPChannel+`"`) {
		return nil, false
	}
	var id struct {
		Channel string `json:"channel"`
		SN      string `json:"sn"`
	}
	if json.Unmarshal([]byte(identifier), &id) != nil || id.Channel != OCPPChannel {
		return nil, false
	}
	switch req.GetCommand() {
	case "subscribe":
		return &rpcpb.CommandResponse{Status: rpcpb.Status_SUCCESS, Streams: []string{"ev/" + id.SN},
			Transmissions: []string{replyType("confirm_subscription", identifier)}}, true
	case "unsubscribe":
		return &rpcpb.CommandResponse{Status: rpcpb.Status_SUCCESS, StopStreams: true}, true
	case "message":
		return a.ocppPerform(ctx, id.SN, req.GetData()), true
	}
	return errorResponse("unknown command " + req.GetCommand()), true
}

func (a *App) ocppPerform(ctx context.Context, sn, data string) *rpcpb.CommandResponse {
	var d struct {
		Action string `json:"action"`
		ID     string `json:"id"`
	}
	if err := json.Unmarshal([]byte(data), &d); err != nil {
		return errorResponse("bad data: " + err.Error())
	}
	if err := a.pub.Publish(ctx, "ocpp_log/"+sn, data); err != nil {
		return errorResponse("broadcast failed: " + err.Error())
	}
	var tx string
	switch d.Action {
	case "authorize":
		tx = ocppAck(d.ID, `{"idTagInfo":{"status":"Accepted"}}`)
	case "start_transaction":
		tx = ocppAck(d.ID, `{"transactionId":42,"idTagInfo":{"status":"Accepted"}}`)
	case "data_transfer":
		tx = `{"command":"GetConfiguration","payload":{}}`
	default:
		return &rpcpb.CommandResponse{Status: rpcpb.Status_SUCCESS}
	}
	return transmit(tx)
}

// ocppAck is transmit({command: "Ack", id:, payload:}).
func ocppAck(id, payload string) string {
	b, _ := json.Marshal(struct {
		Command string          `json:"command"`
		ID      string          `json:"id"`
		Payload json.RawMessage `json:"payload"`
	}{"Ack", id, json.RawMessage(payload)})
	return string(b)
}
