package pubsub

import (
	"encoding/json"
	"testing"

	"github.com/densecable/densecable/broker"
)

func TestAppendPublication(t *testing.T) {
	cases := []struct {
		name string
		p    broker.Publication
		want string
	}{
		{"minimal", broker.Publication{Stream: "chat_1", Data: `{"text":"hi"}`},
			`{"stream":"chat_1","data":"{\"text\":\"hi\"}"}`},
		{"offset and epoch", broker.Publication{Stream: "s", Data: "d", Epoch: "gIHb", Offset: 42},
			`{"stream":"s","data":"d","epoch":"gIHb","offset":42}`},
		{"full meta", broker.Publication{Stream: "s", Data: "d", Meta: broker.Meta{ExcludeSocket: "sid", BroadcastType: "t", Transient: true}},
			`{"stream":"s","data":"d","meta":{"exclude_socket":"sid","broadcast_type":"t","transient":true}}`},
		{"transient only", broker.Publication{Stream: "s", Data: "d", Meta: broker.Meta{Transient: true}},
			`{"stream":"s","data":"d","meta":{"transient":true}}`},
		{"broadcast type only", broker.Publication{Stream: "s", Data: "d", Meta: broker.Meta{BroadcastType: "x"}},
			`{"stream":"s","data":"d","meta":{"broadcast_type":"x"}}`},
		{"escapes", broker.Publication{Stream: "a\"b\\c", Data: "\n\r\t\x01\x1f<é>\xff"},
			`{"stream":"a\"b\\c","data":"\n\r\t\u0001\u001f<é>\ufffd"}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(AppendPublication(nil, &tc.p)); got != tc.want {
				t.Fatalf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestAppendCommand(t *testing.T) {
	c := broker.RemoteCommand{Command: "disconnect", Identifier: `{"user":"1"}`, Reconnect: true}
	want := `{"command":"disconnect","payload":{"identifier":"{\"user\":\"1\"}","reconnect":true}}`
	got := AppendCommand(nil, &c)
	if string(got) != want {
		t.Fatalf("got %s", got)
	}
	_, cmd, err := broker.Parse(got)
	if err != nil || cmd == nil || *cmd != c {
		t.Fatalf("Parse = %+v, %v", cmd, err)
	}
}

// FuzzAppendPublication checks that every publication survives the trip
// through the wire format: broker.Parse (what receiving nodes use) and
// encoding/json both read back what was written, with invalid UTF-8
// replaced the way encoding/json replaces it.
func FuzzAppendPublication(f *testing.F) {
	f.Add("chat_1", `{"text":"hi"}`, "", "", false, "", uint64(0))
	f.Add("s\"\\", "\x00\xff\u2028", "sid", "type", true, "gIHb", uint64(1<<63))
	f.Add("é", "", "", "", true, "e", uint64(7))
	f.Fuzz(func(t *testing.T, stream, data, exclude, btype string, transient bool, epoch string, offset uint64) {
		if stream == "" {
			return // not a publication (Parse requires a stream)
		}
		p := broker.Publication{Stream: stream, Data: data, Epoch: epoch, Offset: offset,
			Meta: broker.Meta{ExcludeSocket: exclude, BroadcastType: btype, Transient: transient}}
		b := AppendPublication(nil, &p)
		want := normalize(t, p)
		if want.Stream == "" {
			return
		}
		pubs, cmd, err := broker.Parse(b)
		if err != nil || cmd != nil || len(pubs) != 1 {
			t.Fatalf("Parse(%s) = %v, %v, %v", b, pubs, cmd, err)
		}
		if pubs[0] != want {
			t.Fatalf("Parse(%s) = %+v, want %+v", b, pubs[0], want)
		}
	})
}

// normalize is what encoding/json makes of p's strings after a round trip.
func normalize(t *testing.T, p broker.Publication) broker.Publication {
	t.Helper()
	for _, s := range []*string{&p.Stream, &p.Data, &p.Epoch, &p.Meta.ExcludeSocket, &p.Meta.BroadcastType} {
		b, err := json.Marshal(*s)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, s); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

func BenchmarkAppendPublication(b *testing.B) {
	p := broker.Publication{Stream: "chat_42", Data: `{"text":"Hello, world! How are you doing today?","user":{"id":42}}`, Epoch: "gIHb", Offset: 1234}
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendPublication(buf[:0], &p)
	}
}
