// Package durablestreams serves the read side of the Durable Streams
// protocol (--ds, /ds/<stream>): catch-up reads of a stream's history by
// offset, live=long-poll (the next publication, or 204 after
// --ds_poll_interval) and live=sse (data and control events until
// --ds_sse_ttl). History comes from the configured broker; live
// publications from the hub, like any subscriber's.
//
// Authorization: the request is authenticated as a connection would be
// (JWT, RPC Connect) unless --ds_skip_auth, then the stream is authorized:
// a signed stream token opens only the stream it was signed for (the
// reference accepts any valid token for any stream; not here), and unsigned
// names only with --public_streams.
//
// Requests are held by the event loop: a waiting reader costs a hub entry
// and a deadline slot, no goroutine. Authentication and history reads may
// block (RPC, Redis, NATS), so they run on a goroutine per request in
// progress, at most Options.MaxReads at once (503 beyond).
package durablestreams
