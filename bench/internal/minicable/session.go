package minicable

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/gobwas/ws/wsutil"

	"github.com/densecable/densecable/rpcclient/rpcpb"
)

type session struct {
	srv   *Server
	conn  net.Conn
	codec codec

	wmu         sync.Mutex
	identifiers string
	subs        map[string][]string // identifier → streams (read/written by serve only)
}

func (ss *session) serve(r *http.Request) {
	defer ss.srv.forget(ss)
	defer ss.conn.Close()
	ctx := context.Background()
	resp := ss.srv.rpc.Connect(ctx, &rpcpb.ConnectionRequest{Env: &rpcpb.Env{Url: "http://" + r.Host + r.URL.RequestURI()}})
	if resp.Status != rpcpb.Status_SUCCESS {
		ss.transmit(resp.Transmissions)
		return
	}
	ss.identifiers = resp.Identifiers
	ss.transmit(resp.Transmissions)
	if ss.srv.pingInterval > 0 {
		stop := make(chan struct{})
		defer close(stop)
		go ss.pinger(stop)
	}
	defer func() {
		ids := make([]string, 0, len(ss.subs))
		for id := range ss.subs {
			ids = append(ids, id)
		}
		ss.srv.rpc.Disconnect(ctx, &rpcpb.DisconnectRequest{Identifiers: ss.identifiers, Subscriptions: ids})
	}()
	for {
		data, _, err := wsutil.ReadClientData(ss.conn)
		if err != nil {
			return
		}
		cmd, err := ss.codec.decode(data)
		if err != nil {
			continue // ignored, like the reference
		}
		if cmd.Command == "subscribe" {
			if _, dup := ss.subs[cmd.Identifier]; dup {
				continue
			}
		}
		r := ss.srv.rpc.Command(ctx, &rpcpb.CommandMessage{
			Command: cmd.Command, Identifier: cmd.Identifier, Data: cmd.Data, ConnectionIdentifiers: ss.identifiers,
		})
		if r.Status == rpcpb.Status_ERROR {
			continue
		}
		if r.Status == rpcpb.Status_SUCCESS && cmd.Command == "subscribe" {
			ss.subs[cmd.Identifier] = r.Streams
			for _, st := range r.Streams {
				ss.srv.subscribe(ss, st, cmd.Identifier)
			}
		}
		ss.transmit(r.Transmissions)
	}
}

func (ss *session) pinger(stop <-chan struct{}) {
	t := time.NewTicker(ss.srv.pingInterval)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case now := <-t.C:
			ss.send(map[string]any{"type": "ping", "message": now.Unix()})
		}
	}
}

// transmit sends RPC transmissions (JSON text).
func (ss *session) transmit(msgs []string) {
	for _, m := range msgs {
		var v map[string]any
		if err := json.Unmarshal([]byte(m), &v); err != nil {
			continue
		}
		ss.send(v)
	}
}

func (ss *session) send(msg map[string]any) {
	b, op, err := ss.codec.encode(msg)
	if err != nil {
		ss.srv.log.Warn("encode failed", "err", err)
		return
	}
	ss.wmu.Lock()
	defer ss.wmu.Unlock()
	_ = ss.conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if err := wsutil.WriteServerMessage(ss.conn, op, b); err != nil {
		_ = ss.conn.Close()
	}
}
