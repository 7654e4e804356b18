package longpoll

import (
	"encoding/base64"

	"github.com/densecable/densecable/frames"
)

// jsonlFramer frames each message as one JSONL line. Binary codecs are
// base64-encoded so a line never holds a raw newline (the text protocols
// are what long-polling clients speak).
type jsonlFramer struct{}

// framer is a pointer: framers are compared once per broadcast subscriber.
var framer = &jsonlFramer{}

func (*jsonlFramer) AppendFrame(dst, p []byte, binary bool) []byte {
	if binary {
		dst = base64.StdEncoding.AppendEncode(dst, p)
	} else {
		dst = append(dst, p...)
	}
	return append(dst, '\n')
}

func (*jsonlFramer) FrameSize(n int) int { return base64.StdEncoding.EncodedLen(n) + 1 }

var _ frames.Framer = framer
