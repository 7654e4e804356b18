package sessions

import (
	"testing"

	"github.com/densecable/densecable/fanout"
	"github.com/densecable/densecable/frames"
	"github.com/densecable/densecable/sessions/actioncable"
)

// nullTransport accepts every frame and keeps nothing.
type nullTransport struct{ n int }

func (t *nullTransport) Write([]byte) error               { t.n++; return nil }
func (t *nullTransport) Close(uint16, string)             {}
func (t *nullTransport) CloseWith([]byte, uint16, string) {}
func (t *nullTransport) Queue([]byte) (bool, error)       { t.n++; return t.n%2 == 0, nil }
func (t *nullTransport) Flush() error                     { return nil }
func (t *nullTransport) RemoteIP() string                 { return "127.0.0.1" }
func (t *nullTransport) Framer() frames.Framer            { return frames.WebSocketFramer() }

// BenchmarkSessionDeliver is what fanout does per subscriber of a
// broadcast, on real sessions: ask the format (encode-once cache key),
// gather the shared frame, flush the dirty ones.
func BenchmarkSessionDeliver(b *testing.B) {
	ss := make([]*Session, 1000)
	for i := range ss {
		ss[i] = newBenchSession()
	}
	frame := []byte("\x81\x05hello")
	var f *fanout.Format
	b.ReportAllocs()
	for b.Loop() {
		for _, s := range ss {
			f = s.Format()
			if s.Queue(frame) {
				s.Flush()
			}
		}
	}
	_ = f
}

func newBenchSession() *Session {
	p := actioncable.Default()
	return &Session{conn: &nullTransport{}, wire: &wire{proto: p, format: &fanout.Format{Encoder: p.Encoder(), Framer: frames.WebSocketFramer()}}}
}
