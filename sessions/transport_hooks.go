package sessions

// Pingless is an optional Transport method: a transport whose client
// learns that the server is alive otherwise (every long-poll request gets
// an answer within --poll_interval) gets no pings, so that an idle session
// produces no output.
type Pingless interface {
	Pingless() bool
}

// Authenticated is an optional Transport method, called once when the
// session passed authentication (its welcome already written). Long
// polling holds a new session's output until then, so that a rejection's
// message is answered together with its status, never alone with a 200.
type Authenticated interface {
	Authenticated()
}
