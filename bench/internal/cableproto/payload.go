package cableproto

import "strconv"

// AppendBenchData appends the `data` JSON text of a benchmark perform, in
// the shape websocket-bench uses:
//
//	{"action":"broadcast","payload":{"sendTime":"<unix ns>","padding":"..."}}
//
// padding is left out when empty.
func AppendBenchData(dst []byte, action string, sendTime int64, padding string) []byte {
	dst = append(dst, `{"action":`...)
	dst = appendJSONString(dst, action)
	dst = append(dst, `,"payload":{"sendTime":"`...)
	dst = strconv.AppendInt(dst, sendTime, 10)
	dst = append(dst, '"')
	if padding != "" {
		dst = append(dst, `,"padding":`...)
		dst = appendJSONString(dst, padding)
	}
	return append(dst, "}}"...)
}

// appendJSONString appends s as a JSON string literal.
func appendJSONString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
		}
		start = i + 1
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
