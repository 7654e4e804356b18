package cableproto

import (
	"strconv"

	"github.com/densecable/densecable/encoders/jsonkit"
)

// AppendBenchData appends the `data` JSON text of a benchmark perform, in
// the shape websocket-bench uses:
//
//	{"action":"broadcast","payload":{"sendTime":"<unix ns>","padding":"..."}}
//
// padding is left out when empty.
func AppendBenchData(dst []byte, action string, sendTime int64, padding string) []byte {
	dst = append(dst, `{"action":`...)
	dst = jsonkit.AppendString(dst, action)
	dst = append(dst, `,"payload":{"sendTime":"`...)
	dst = strconv.AppendInt(dst, sendTime, 10)
	dst = append(dst, '"')
	if padding != "" {
		dst = append(dst, `,"padding":`...)
		dst = jsonkit.AppendString(dst, padding)
	}
	return append(dst, "}}"...)
}
