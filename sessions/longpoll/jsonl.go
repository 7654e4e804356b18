package longpoll

import (
	"bytes"
	"errors"

	"github.com/densecable/densecable/encoders/jsonkit"
)

var errNotObject = errors.New("a JSONL line is not a JSON object")

// splitJSONL checks that body is JSON Lines (one JSON object per line;
// blank lines, "\r\n" endings and a missing final newline are tolerated)
// and calls fn with each object, in order. It checks the whole body before
// the first call: a body with one bad line runs no command at all.
func splitJSONL(body []byte, fn func(line []byte)) error {
	if err := eachLine(body, nil); err != nil {
		return err
	}
	return eachLine(body, fn)
}

func eachLine(body []byte, fn func([]byte)) error {
	for len(body) > 0 {
		line := body
		if i := bytes.IndexByte(body, '\n'); i >= 0 {
			line, body = body[:i], body[i+1:]
		} else {
			body = nil
		}
		line = bytes.TrimRight(line, " \t\r")
		start := jsonkit.SkipSpace(line, 0)
		if start == len(line) {
			continue
		}
		line = line[start:]
		if fn != nil {
			fn(line)
			continue
		}
		if line[0] != '{' {
			return errNotObject
		}
		end, err := jsonkit.SkipValue(line, 0, 0) // jsonkit.MaxDepth bounds nesting
		if err != nil {
			return err
		}
		if end != len(line) {
			return jsonkit.SyntaxErrAt(end)
		}
	}
	return nil
}
