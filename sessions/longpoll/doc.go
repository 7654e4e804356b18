// Package longpoll is the long-polling transport (--poll, AnyCable Pro's
// /lp endpoint): a client POSTs JSONL commands and receives the JSONL
// messages the server had for it; the X-Anycable-Poll-ID header ties the
// requests of one session together.
//
// A poll session is a sessions.Session whose Transport is a bounded
// buffer (Poll). A request with no output waiting is held open (by the
// HTTP layer, through a Responder) until output arrives — then answered
// after --poll_flush_interval, so a burst leaves in one response — or until
// --poll_interval passes (an empty 200). A session with no request held
// expires --poll_keepalive_timeout after its last response: the core runs
// Disconnect once and later requests with its id get 401.
//
// Every deadline of every session (flush, hold, keep-alive) lives in one
// deadline.Queue: a session costs a heap slot, never a timer or a
// goroutine. Sessions are local to the process: behind several processes
// (SO_REUSEPORT, a cluster), a client's polls must reach the same process
// (sticky routing).
package longpoll
