package poller

import "testing"

// isUpgrade reads the head with frames.HeaderLine: the first Upgrade field
// decides, in any case, after a bare LF too (as gobwas/ws reads it).
func TestIsUpgrade(t *testing.T) {
	for head, want := range map[string]bool{
		"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n\r\n":               true,
		"GET /ws HTTP/1.1\r\nUPGRADE: WebSocket\r\n\r\n":                          true,
		"GET /ws HTTP/1.1\r\nX: a\nUpgrade: websocket\r\n\r\n":                    true,
		"GET /ws HTTP/1.1\r\nUpgrade: h2c\r\nUpgrade: websocket\r\n\r\n":          false,
		"GET /ws HTTP/1.1\r\nUpgrade : websocket\r\n\r\n":                         false,
		"GET /ws HTTP/1.1\r\nHost: x\r\n\r\nUpgrade: websocket\r\n\r\n":           false,
		"GET /ws HTTP/1.1\r\nX-Upgrade: websocket\r\nConnection: Upgrade\r\n\r\n": false,
	} {
		if got := isUpgrade([]byte(head)); got != want {
			t.Errorf("isUpgrade(%q) = %v, want %v", head, got, want)
		}
	}
}
