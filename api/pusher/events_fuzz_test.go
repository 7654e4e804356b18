package pusher

import (
	"encoding/json"
	"testing"
)

// Any body: an accepted one becomes one publication per channel, each on
// a valid channel, whose data is JSON that decodes to exactly
// {"event": the name, "data": a string within MaxDataSize}; a refused one
// publishes nothing.
func FuzzParseEvents(f *testing.F) {
	f.Add([]byte(`{"name":"e","channels":["a","b"],"data":"{\"x\":1}","socket_id":"1.2"}`), false)
	f.Add([]byte(`{"batch":[{"name":"e","channel":"c","data":"1"},{"name":"f","channel":"d","data":{"y":[1]}}]}`), true)
	f.Add([]byte(`{"name":"\u003c","channel":"x","data":"\ud83d\ude00"}`), false)
	f.Add([]byte(`{"name":"e","channel":"a b","data":"1"}`), false)
	f.Fuzz(func(t *testing.T, body []byte, batch bool) {
		pubs, err := parseEvents(body, batch)
		if err != nil {
			if pubs != nil {
				t.Fatal("refused body produced publications")
			}
			return
		}
		if len(pubs) == 0 {
			t.Fatal("accepted body published nothing")
		}
		for _, p := range pubs {
			if !ValidChannel(p.Stream) {
				t.Fatalf("publication on invalid channel %q", p.Stream)
			}
			if p.Meta.ExcludeSocket != "" && !ValidSocketID(p.Meta.ExcludeSocket) {
				t.Fatalf("invalid socket id %q passed", p.Meta.ExcludeSocket)
			}
			var ev map[string]any
			if err := json.Unmarshal([]byte(p.Data), &ev); err != nil {
				t.Fatalf("publication data is not JSON: %v: %s", err, p.Data)
			}
			name, ok1 := ev["event"].(string)
			data, ok2 := ev["data"].(string)
			if len(ev) != 2 || !ok1 || !ok2 || name == "" || len(name) > MaxNameLen {
				t.Fatalf("publication data %s is not {event, data}", p.Data)
			}
			if len(data) > MaxDataSize {
				t.Fatalf("data of %d bytes passed the limit", len(data))
			}
		}
	})
}
