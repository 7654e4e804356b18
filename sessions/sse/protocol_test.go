package sse

import (
	"testing"

	"github.com/densecable/densecable/sessions/protocol"
)

// Both SSE protocols tell the core their clients only listen, so that
// their pub/sub subscriptions keep no whisper or presence state.
func TestProtocolsAreListenOnly(t *testing.T) {
	for _, p := range []protocol.Protocol{getProtocol, postProtocol} {
		sp, ok := p.(protocol.SessionPolicy)
		if !ok || !sp.Policy().ListenOnly {
			t.Errorf("%s: not listen-only", p.Name())
		}
	}
}
