// Package benchapp is the benchmark RPC application: websocket-bench's
// BenchmarkChannel plus a tiny chat-style demo for any other channel. The
// transports (gRPC, HTTP RPC) in this package only adapt requests to App.
//
// BenchmarkChannel behaves like the Ruby one AnyCable's benchmarks use:
//
//	subscribed:        stream_from "all#{params[:id]}"
//	echo(data):        transmit data
//	broadcast(data):   broadcast "all#{id}", data; transmit data.merge(action: "broadcastResult")
//
// Any other channel streams from its "stream" param, "<channel>:<room>" when
// it has a "room" param, or else the channel name; "echo" transmits the data
// back and every other action broadcasts the data to that stream.
package benchapp

import (
	"context"
	"encoding/hex"
	"log/slog"
	"math/rand/v2"

	"github.com/densecable/densecable/rpcclient/rpcpb"
)

// Publisher delivers a broadcast to the real-time server.
type Publisher interface {
	// Publish broadcasts data (JSON text) to stream.
	Publish(ctx context.Context, stream, data string) error
}

// BenchmarkChannel is the channel name websocket-bench subscribes to.
const BenchmarkChannel = "BenchmarkChannel"

const welcome = `{"type":"welcome"}`

// App answers RPC calls. It is safe for concurrent use.
type App struct {
	pub   Publisher
	log   *slog.Logger
	subs  subscriptionCache
	greet []string // shared, read-only transmissions of Connect
}

// New returns an App that broadcasts through pub.
func New(pub Publisher, log *slog.Logger) *App {
	return &App{pub: pub, log: log, greet: []string{welcome}}
}

// Connect accepts every connection with a random id.
func (a *App) Connect(_ context.Context, req *rpcpb.ConnectionRequest) *rpcpb.ConnectionResponse {
	if res := graphqlConnect(req); res != nil {
		return res
	}
	var raw [8]byte
	v := rand.Uint64()
	for i := range raw {
		raw[i] = byte(v >> (8 * i))
	}
	ids := make([]byte, 0, 26)
	ids = append(ids, `{"id":"`...)
	ids = hex.AppendEncode(ids, raw[:])
	ids = append(ids, `"}`...)
	return &rpcpb.ConnectionResponse{
		Status:        rpcpb.Status_SUCCESS,
		Identifiers:   string(ids),
		Transmissions: a.greet,
	}
}

// Disconnect has nothing to clean up.
func (a *App) Disconnect(_ context.Context, _ *rpcpb.DisconnectRequest) *rpcpb.DisconnectResponse {
	return &rpcpb.DisconnectResponse{Status: rpcpb.Status_SUCCESS}
}

// Command handles subscribe, unsubscribe and message (perform).
func (a *App) Command(ctx context.Context, req *rpcpb.CommandMessage) *rpcpb.CommandResponse {
	if res, ok := a.ocppCommand(ctx, req); ok {
		return res
	}
	if res := graphqlCommand(req); res != nil {
		return res
	}
	switch req.GetCommand() {
	case "subscribe":
		return a.subscribe(req.GetIdentifier())
	case "unsubscribe":
		return &rpcpb.CommandResponse{Status: rpcpb.Status_SUCCESS, StopStreams: true}
	case "message":
		return a.perform(ctx, req.GetIdentifier(), req.GetData())
	}
	return errorResponse("unknown command " + req.GetCommand())
}

func (a *App) subscribe(identifier string) *rpcpb.CommandResponse {
	sub, ok := a.subs.lookup(identifier)
	if !ok {
		return &rpcpb.CommandResponse{
			Status:        rpcpb.Status_FAILURE,
			Transmissions: []string{replyType("reject_subscription", identifier)},
		}
	}
	return &rpcpb.CommandResponse{
		Status:        rpcpb.Status_SUCCESS,
		Streams:       sub.streams,
		Transmissions: sub.confirm,
	}
}

func (a *App) perform(ctx context.Context, identifier, data string) *rpcpb.CommandResponse {
	sub, ok := a.subs.lookup(identifier)
	if !ok {
		return errorResponse("bad identifier")
	}
	action, err := actionOf(data)
	if err != nil {
		return errorResponse(err.Error())
	}
	switch {
	case action == "echo":
		return transmit(dataMessage(identifier, data))
	case action == "broadcast" && sub.benchmark:
		if err := a.pub.Publish(ctx, sub.streams[0], data); err != nil {
			a.log.Warn("broadcast failed", "stream", sub.streams[0], "err", err)
			return errorResponse("broadcast failed: " + err.Error())
		}
		result, err := withAction(data, "broadcastResult")
		if err != nil {
			return errorResponse(err.Error())
		}
		return transmit(dataMessage(identifier, result))
	case sub.benchmark:
		return errorResponse("BenchmarkChannel has no action " + action)
	default: // demo channels: everything else is said to the room
		if err := a.pub.Publish(ctx, sub.streams[0], data); err != nil {
			a.log.Warn("broadcast failed", "stream", sub.streams[0], "err", err)
			return errorResponse("broadcast failed: " + err.Error())
		}
		return &rpcpb.CommandResponse{Status: rpcpb.Status_SUCCESS}
	}
}

func transmit(msg string) *rpcpb.CommandResponse {
	return &rpcpb.CommandResponse{Status: rpcpb.Status_SUCCESS, Transmissions: []string{msg}}
}

func errorResponse(msg string) *rpcpb.CommandResponse {
	return &rpcpb.CommandResponse{Status: rpcpb.Status_ERROR, ErrorMsg: msg}
}
