package poller

import (
	"sync"

	"github.com/cloudwego/netpoll"
)

var tuneOnce sync.Once

// tuneNetpoll sizes netpoll's per-connection read buffer. netpoll's defaults
// (an 8 KiB first node, 4 KiB minimum) cost more than everything else an idle
// WebSocket holds; Action Cable frames are small, and netpoll grows a
// connection's buffer by itself when a burst needs more. netpoll keeps these
// knobs as process-wide settings, so they are applied once, before the first
// listener (--read_buffer_size, default 1024).
func tuneNetpoll(readBuffer int) {
	tuneOnce.Do(func() {
		if readBuffer <= 0 {
			return
		}
		netpoll.LinkBufferCap = readBuffer
		_ = netpoll.Configure(netpoll.Config{BufferSize: readBuffer})
	})
}
