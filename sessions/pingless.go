package sessions

// Pingless is an optional Transport method: a transport whose client
// learns that the server is alive otherwise (every long-poll request gets
// an answer within --poll_interval) gets no pings, so that an idle session
// produces no output.
type Pingless interface {
	Pingless() bool
}
