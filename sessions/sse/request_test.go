package sse

import (
	"encoding/json"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"github.com/densecable/densecable/encoders"
	"github.com/densecable/densecable/frames"
)

func TestGetCommand(t *testing.T) {
	for _, tc := range []struct {
		query, lastID string
		want          string // identifier
		history       string // fmt of History, "" for none
	}{
		{"identifier=%7B%22channel%22%3A%22A%22%7D&channel=B", "", `{"channel":"A"}`, ""},
		{"channel=Chat&stream=x", "", `{"channel":"Chat"}`, ""},
		{"stream=a%22b&signed_stream=s", "", `{"channel":"$pubsub","stream_name":"a\"b"}`, ""},
		{"signed_stream=s&turbo_signed_stream_name=t", "", `{"channel":"$pubsub","signed_stream_name":"s"}`, ""},
		{"turbo_signed_stream_name=t", "", `{"channel":"Turbo::StreamsChannel","signed_stream_name":"t"}`, ""},
		{"stream=x", "3/ep/chat/room/1", `{"channel":"$pubsub","stream_name":"x"}`, "since=0 chat/room/1=ep@3"},
		{"stream=x", "no-slashes", `{"channel":"$pubsub","stream_name":"x"}`, ""},
		{"stream=x&history_since=1700000000", "", `{"channel":"$pubsub","stream_name":"x"}`, "since=1700000000"},
	} {
		q, _ := url.ParseQuery(tc.query)
		m, err := getCommand(q, tc.lastID)
		if err != nil {
			t.Errorf("%s: %v", tc.query, err)
			continue
		}
		if m.Command != "subscribe" || m.Identifier != tc.want || historyString(m.History) != tc.history {
			t.Errorf("%s %q: %s %s %q", tc.query, tc.lastID, m.Command, m.Identifier, historyString(m.History))
		}
	}
	for _, bad := range []struct{ query, lastID string }{
		{"", ""}, {"other=1", ""}, {"stream=x", "x/ep/s"}, {"stream=x&history_since=soon", ""},
	} {
		q, _ := url.ParseQuery(bad.query)
		if _, err := getCommand(q, bad.lastID); err == nil {
			t.Errorf("%q %q accepted", bad.query, bad.lastID)
		}
	}
}

func historyString(h *encoders.HistoryRequest) string {
	if h == nil {
		return ""
	}
	out := "since=" + strconv.FormatInt(h.Since, 10)
	for s, p := range h.Streams {
		out += " " + s + "=" + p.Epoch + "@" + strconv.FormatUint(p.Offset, 10)
	}
	return out
}

func TestPostCommands(t *testing.T) {
	cmds, err := postCommands([]byte("{\"command\":\"subscribe\",\"identifier\":\"{\\\"channel\\\":\\\"A\\\"}\"}\n\n  \r\n{\"command\":\"message\",\"identifier\":\"B\",\"history\":{\"since\":5}}\r\n"))
	if err != nil || len(cmds) != 2 {
		t.Fatalf("%v %v", cmds, err)
	}
	if cmds[0].Identifier != `{"channel":"A"}` || cmds[1].Command != "subscribe" || cmds[1].History == nil || cmds[1].History.Since != 5 {
		t.Fatalf("%+v %+v", cmds[0], cmds[1])
	}
	if cmds, err := postCommands(nil); err != nil || len(cmds) != 0 {
		t.Fatalf("empty body: %v %v", cmds, err)
	}
	if _, err := postCommands([]byte("{\"identifier\":\"A\"}\nnot json\n")); err == nil {
		t.Fatal("garbage line accepted")
	}
	if _, err := postCommands([]byte(strings.Repeat("{\"identifier\":\"A\"}\n", MaxCommands+1))); err == nil {
		t.Fatal("more than MaxCommands accepted")
	}
	if cmds, err := postCommands([]byte(strings.Repeat("{\"identifier\":\"A\"}\n", MaxCommands))); err != nil || len(cmds) != MaxCommands {
		t.Fatalf("MaxCommands lines: %d %v", len(cmds), err)
	}
}

// FuzzPostCommands: an accepted body gives one subscribe command per
// non-blank line (at most MaxCommands), whose identifier is what
// encoding/json reads from that line.
func FuzzPostCommands(f *testing.F) {
	f.Add([]byte("{\"command\":\"subscribe\",\"identifier\":\"{\\\"channel\\\":\\\"A\\\"}\"}\n"))
	f.Add([]byte("{\"identifier\":\"x\",\"history\":{\"streams\":{\"s\":{\"epoch\":\"e\",\"offset\":2}}}}\n\n{}\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		cmds, err := postCommands(body)
		if err != nil {
			return
		}
		var lines []string
		for _, l := range strings.Split(string(body), "\n") {
			if strings.TrimSpace(l) != "" {
				lines = append(lines, l)
			}
		}
		if len(cmds) != len(lines) || len(cmds) > MaxCommands {
			t.Fatalf("%d commands from %d lines", len(cmds), len(lines))
		}
		for i, m := range cmds {
			var ref struct {
				Identifier string `json:"identifier"`
			}
			if err := json.Unmarshal([]byte(lines[i]), &ref); err != nil {
				continue // encoding/json is stricter on some field types
			}
			if m.Command != "subscribe" || m.Identifier != ref.Identifier {
				t.Fatalf("line %q: %s %q, encoding/json %q", lines[i], m.Command, m.Identifier, ref.Identifier)
			}
		}
	})
}

// FuzzGetCommand: the identifier built from a query is JSON that decodes
// to the parameter's value, and an accepted Last-Event-ID comes back from
// the position it became.
func FuzzGetCommand(f *testing.F) {
	f.Add("stream", "chat\"1", "12/ep/s/t")
	f.Add("channel", "Chat", "")
	f.Add("turbo_signed_stream_name", "x--y", "x/y/z")
	f.Fuzz(func(t *testing.T, param, value, lastID string) {
		q := url.Values{param: {value}}
		m, err := getCommand(q, lastID)
		// The handler reads the request line in place: the same command.
		inPlace, err2 := getCommand(requestQuery{&frames.Request{URI: "/events?" + q.Encode()}}, lastID)
		if (err == nil) != (err2 == nil) || err == nil && (inPlace.Identifier != m.Identifier || !reflect.DeepEqual(inPlace.History, m.History)) {
			t.Fatalf("in place %+v %v, from url.Values %+v %v", inPlace, err2, m, err)
		}
		if err != nil {
			return
		}
		var id map[string]string
		if param != paramIdentifier {
			if err := json.Unmarshal([]byte(m.Identifier), &id); err != nil {
				t.Fatalf("identifier %q is not JSON: %v", m.Identifier, err)
			}
			var want string
			b, _ := json.Marshal(value) // invalid UTF-8 becomes U+FFFD, as in the reference
			_ = json.Unmarshal(b, &want)
			if got := id["channel"] + id["stream_name"] + id["signed_stream_name"]; !strings.HasSuffix(got, want) {
				t.Fatalf("identifier %q lost the value %q", m.Identifier, value)
			}
		}
		if m.History != nil {
			for stream, pos := range m.History.Streams {
				if back := strconv.FormatUint(pos.Offset, 10) + "/" + pos.Epoch + "/" + stream; !sameOffset(back, lastID) {
					t.Fatalf("Last-Event-ID %q became %q", lastID, back)
				}
			}
		}
	})
}

// sameOffset compares ids up to the offset's spelling (leading zeros, +).
func sameOffset(a, b string) bool {
	_, ra, _ := strings.Cut(a, "/")
	_, rb, _ := strings.Cut(b, "/")
	return ra == rb
}

func TestShareIdentifier(t *testing.T) {
	q := url.Values{"stream": {"chat"}}
	a, _ := getCommand(q, "")
	b, _ := getCommand(q, "")
	x, y := shareIdentifier(a.Identifier), shareIdentifier(b.Identifier)
	if x != a.Identifier || unsafe.StringData(x) != unsafe.StringData(y) {
		t.Fatal("two streams on one channel keep two copies of its identifier")
	}
}
