package benchapp

import (
	"crypto/subtle"
	"encoding/json"
	"io"
	"net/http"

	"github.com/densecable/densecable/rpcclient/rpcpb"
)

// maxRPCBody bounds an HTTP RPC request body.
const maxRPCBody = 1 << 20

// HTTPHandler serves the HTTP RPC contract (POST /connect, /command,
// /disconnect with the protobuf messages as snake_case JSON). When secret is
// not empty, requests must carry "Authorization: Bearer <secret>".
func (a *App) HTTPHandler(secret string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /connect", rpcHandler(secret, func(r *http.Request, req *rpcpb.ConnectionRequest) any {
		return a.Connect(r.Context(), req)
	}))
	mux.HandleFunc("POST /command", rpcHandler(secret, func(r *http.Request, req *rpcpb.CommandMessage) any {
		return a.Command(r.Context(), req)
	}))
	mux.HandleFunc("POST /disconnect", rpcHandler(secret, func(r *http.Request, req *rpcpb.DisconnectRequest) any {
		return a.Disconnect(r.Context(), req)
	}))
	return mux
}

func rpcHandler[Req any](secret string, call func(*http.Request, *Req) any) http.HandlerFunc {
	want := []byte("Bearer " + secret)
	return func(w http.ResponseWriter, r *http.Request) {
		if secret != "" && subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1 {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, maxRPCBody+1))
		if err != nil || len(body) > maxRPCBody {
			http.Error(w, "body too large or unreadable", http.StatusBadRequest)
			return
		}
		var req Req
		if err := json.Unmarshal(body, &req); err != nil {
			http.Error(w, "bad JSON: "+err.Error(), http.StatusUnprocessableEntity)
			return
		}
		out, err := json.Marshal(call(r, &req))
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(out)
	}
}
