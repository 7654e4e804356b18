package longpoll

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/densecable/densecable/frames"
)

// FuzzJSONL: an accepted body hands out exactly its non-blank lines, each a
// valid JSON object (encoding/json agrees); a body whose lines are all
// valid shallow objects is accepted.
func FuzzJSONL(f *testing.F) {
	for _, s := range []string{"", "\n", sub, sub + sub, "{}\r\n\n{}", "{\"a\":[1,2]}", "garbage", "{}x", "[1]", " {} \n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var lines [][]byte
		err := splitJSONL(body, func(l []byte) { lines = append(lines, append([]byte(nil), l...)) })
		var want [][]byte
		allValid := true
		for _, l := range bytes.Split(body, []byte("\n")) {
			l = bytes.Trim(l, " \t\r") // JSON whitespace only
			if len(l) == 0 {
				continue
			}
			want = append(want, l)
			if l[0] != '{' || !json.Valid(l) {
				allValid = false
			}
		}
		if err != nil {
			if lines != nil {
				t.Fatalf("rejected body %q ran %d lines", body, len(lines))
			}
			if allValid && bytes.Count(body, []byte("{"))+bytes.Count(body, []byte("[")) < 32 {
				t.Fatalf("valid JSONL %q rejected: %v", body, err)
			}
			return
		}
		if len(lines) != len(want) {
			t.Fatalf("%q: %d lines, want %d", body, len(lines), len(want))
		}
		for i := range lines {
			if lines[i][0] != '{' || !json.Valid(lines[i]) || !bytes.Equal(lines[i], want[i]) {
				t.Fatalf("%q: line %d %q, want the valid object %q", body, i, lines[i], want[i])
			}
		}
	})
}

// FuzzPollRequest: any poll id with any body is answered (once, with a
// 4xx) and creates no session: only a request without an id opens one.
func FuzzPollRequest(f *testing.F) {
	f.Add("x", []byte(sub))
	f.Add("", []byte("garbage"))
	f.Add("abc\x00", []byte{})
	e := newEnv(&testing.T{}, Options{MaxRequestSize: 1024})
	f.Fuzz(func(t *testing.T, id string, body []byte) {
		if id == "" {
			id = "-"
		}
		r := newResponse()
		req := &frames.Request{URI: "/lp", Headers: []frames.Header{{Key: "x-anycable-poll-id", Value: id}}}
		e.srv.Serve(&Request{Method: http.MethodPost, Req: req, Body: body}, r)
		if !r.answered() || r.status < 400 || r.status >= 500 {
			t.Fatalf("id %q body %q: answered %v status %d", id, body, r.answered(), r.status)
		}
		if e.srv.Clients() != 0 {
			t.Fatalf("id %q opened a session", id)
		}
	})
}
