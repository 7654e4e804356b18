// Package server is densecable, the AnyCable-compatible WebSocket server,
// as a Go package: the densecable command is one call to [Main], and
// another Go program can embed the server and serve its connections from
// its own net/http server.
//
// # Embedding
//
// [New] builds a [Server] from a [config.Config] (the command's
// configuration: [LoadConfig] reads the usual ANYCABLE_* variables and
// TOML file, [config.Default] gives the defaults to change in code).
// [Server.Start] (or [Server.Run], which also waits for its context and
// shuts down) starts every component except the main listener: RPC
// client, broker and pub/sub, broadcasters, and the listeners that have
// their own port (HTTP broadcasts on --http_broadcast_port, the API,
// metrics). The program mounts the handlers where it wants:
//
//	cfg, err := server.LoadConfig()
//	if err != nil { ... }
//	cable, err := server.New(cfg)
//	if err != nil { ... }
//	if err := cable.Start(); err != nil { ... }
//	mux := http.NewServeMux()
//	mux.HandleFunc("/", home)                // the program's own routes
//	mux.Handle("/cable", cable.WebSocketHandler())
//	srv := &http.Server{Addr: ":8080", Handler: mux}
//	go srv.ListenAndServe()
//	...
//	cable.Shutdown(ctx) // clients get Action Cable's server_restart
//	srv.Shutdown(ctx)
//
// [Server.WebSocketHandler] serves WebSocket clients, [Server.SSEHandler]
// Server-Sent Events (with --sse) and [Server.Handler] every path the
// command serves on its main port, by the request's own path.
//
// # Connections move to the event loop
//
// The handlers do not serve the request on net/http's goroutine: they
// hijack the connection and hand it, with the request head and anything
// net/http had read after it, to densecable's poller. A plain HTTP/1.1
// connection (a *net.TCPConn) moves to an epoll loop, where an idle
// client costs its connection state and no goroutine, exactly as on the
// command's own listener: embedding keeps the density. A connection that
// is not a plain TCP socket (a *tls.Conn when the program serves HTTPS,
// or any wrapped net.Conn) cannot be read by an epoll loop; it is served
// on a goroutine of its own by the path densecable uses for
// --ssl_cert/--ssl_key, with the same protocol and limits. HTTP/2 and
// HTTP/3 requests share their connection with other streams and cannot be
// hijacked: a WebSocket request gets 400 Bad Request (what anycable-go
// answers a request that is not an upgrade); an SSE request (a browser's
// EventSource negotiates h2 with an HTTPS server) is served on the
// request's own goroutine through the ResponseWriter, its output bounded
// by --ws_max_pending_size and --ws_write_timeout; any other gets 505.
// Serve WebSockets over HTTP/1.1 (an HTTPS server negotiates HTTP/1.1
// with WebSocket clients, which do not offer h2).
//
// The --poller=netpoll engine cannot adopt connections; embedding uses
// epoll. The main listener's settings (--host, --port, --ssl_cert,
// --ssl_key) do not apply to an embedded server: the program's
// http.Server owns its socket and TLS.
package server
