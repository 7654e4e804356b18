package encoders

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/vmihailenco/msgpack/v5"
	"google.golang.org/protobuf/proto"

	"github.com/densecable/densecable/encoders/acpb"
)

// Benchmarks for the payloads of docs/anycable-go/binary_formats.md
// ("Formats comparison"):
//
//	go test -run '^$' -bench . -benchmem ./encoders/
//
// Decode parses the client frame of each payload. Encode writes the server
// frame carrying the same data: a data message with the payload's identifier
// and, as message, "hello world" (base) or the base command object (long).

const benchBaseIdentifier = `{"channel":"test_channel","channelId":"23"}`

var benchLongIdentifier = `{"channel":"` + strings.Repeat("test_channel", 10) + `","channelId":"` + strings.Repeat("123", 10) + `"}`

const benchBaseObject = `{"command":"message","identifier":"{\"channel\":\"test_channel\",\"channelId\":\"23\"}","data":"hello world"}`

type benchPayload struct {
	name       string
	identifier string
	data       string // client data string (base)
	message    string // JSON object (long)
	reply      string // JSON text of the server message
}

func benchPayloads() []benchPayload {
	return []benchPayload{
		{name: "base", identifier: benchBaseIdentifier, data: "hello world", reply: `"hello world"`},
		{name: "long", identifier: benchLongIdentifier, message: benchBaseObject, reply: benchBaseObject},
	}
}

// clientFrame encodes the payload as a client would send it.
func clientFrame(b *testing.B, format string, p benchPayload) []byte {
	b.Helper()
	var msgObj any
	if p.message != "" {
		_ = json.Unmarshal([]byte(p.message), &msgObj)
	}
	switch format {
	case "json":
		m := map[string]any{"command": "message", "identifier": p.identifier}
		if p.data != "" {
			m["data"] = p.data
		} else {
			m["message"] = msgObj
		}
		out, _ := json.Marshal(m)
		return out
	case "msgpack":
		m := map[string]any{"command": "message", "identifier": p.identifier}
		if p.data != "" {
			m["data"] = p.data
		} else {
			m["message"] = msgObj
		}
		out, _ := msgpack.Marshal(m)
		return out
	}
	m := &acpb.Message{Command: acpb.Command_message, Identifier: p.identifier, Data: p.data}
	if p.message != "" {
		m.Message, _ = msgpack.Marshal(msgObj)
	}
	out, _ := proto.Marshal(m)
	return out
}

func BenchmarkDecode(b *testing.B) {
	for _, enc := range []Encoder{NewProtobuf(), NewMsgpack(), NewJSON()} {
		for _, p := range benchPayloads() {
			frame := clientFrame(b, enc.ID(), p)
			b.Run(enc.ID()+"/"+p.name, func(b *testing.B) {
				var m Message
				b.ReportAllocs()
				b.SetBytes(int64(len(frame)))
				for b.Loop() {
					if err := enc.Decode(frame, &m); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkEncode writes each reply into a fresh buffer (the cost a
// per-session reply pays).
func BenchmarkEncode(b *testing.B) {
	for _, enc := range []Encoder{NewProtobuf(), NewProtobufExt(), NewMsgpack(), NewJSON()} {
		for _, p := range benchPayloads() {
			r := &Reply{Identifier: p.identifier, Message: []byte(p.reply)}
			b.Run(enc.ID()+"/"+p.name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, err := enc.AppendReply(nil, r); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkBroadcastEncode is the fanout path: a data message with stream
// position encoded into a reused buffer. It must not allocate.
func BenchmarkBroadcastEncode(b *testing.B) {
	for _, enc := range []Encoder{NewProtobuf(), NewProtobufExt(), NewMsgpack(), NewJSON()} {
		for _, p := range benchPayloads() {
			r := &Reply{Identifier: p.identifier, Message: []byte(p.reply), StreamID: "chat_23", Epoch: "xK3p", Offset: 1234}
			b.Run(enc.ID()+"/"+p.name, func(b *testing.B) {
				dst := make([]byte, 0, 4096)
				b.ReportAllocs()
				for b.Loop() {
					var err error
					if dst, err = enc.AppendReply(dst[:0], r); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

func BenchmarkBroadcastPayload(b *testing.B) {
	cases := map[string]string{
		"string":   `"<turbo-stream action=\"append\" target=\"messages\"><template>hello</template></turbo-stream>"`,
		"sorted":   `{"message":"hello world","sent_at":1700000000,"user":{"id":42,"name":"Jack"}}`,
		"unsorted": `{"user":{"name":"Jack","id":42},"message":"hello world","sent_at":1700000000}`,
		"invalid":  `hello world`,
	}
	for name, data := range cases {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				BroadcastPayload(data)
			}
		})
	}
}

// The broadcast path allocation guarantee, checked in a plain test too.
func TestBroadcastEncodeDoesNotAllocate(t *testing.T) {
	for _, enc := range []Encoder{NewProtobuf(), NewProtobufExt(), NewMsgpack(), NewJSON()} {
		for _, p := range []string{`"hello world"`, benchBaseObject, `{"a":[1,2.5,"` + strings.Repeat("é", 300) + `"]}`} {
			r := &Reply{Identifier: benchLongIdentifier, Message: []byte(p), StreamID: "s", Epoch: "e", Offset: 7}
			dst := make([]byte, 0, 4096)
			allocs := testing.AllocsPerRun(100, func() {
				dst, _ = enc.AppendReply(dst[:0], r)
			})
			if allocs != 0 {
				t.Errorf("%s %.20s: %v allocs per reply", enc.ID(), p, allocs)
			}
		}
	}
}

// BenchmarkLibraryBaseline does the same work with the general-purpose
// libraries (encoding/json, vmihailenco/msgpack, proto.Marshal/Unmarshal into
// acpb), the way a straightforward implementation would. It puts the numbers
// above in proportion on the machine at hand.
func BenchmarkLibraryBaseline(b *testing.B) {
	type command struct {
		Command    string       `json:"command" msgpack:"command"`
		Identifier string       `json:"identifier" msgpack:"identifier"`
		Data       any          `json:"data,omitempty" msgpack:"data,omitempty"`
		Message    any          `json:"message,omitempty" msgpack:"message,omitempty"`
		History    *refHistory  `json:"history,omitempty" msgpack:"history,omitempty"`
		Presence   *refPresence `json:"presence,omitempty" msgpack:"presence,omitempty"`
	}
	type reply struct {
		Type       string `json:"type,omitempty" msgpack:"type,omitempty"`
		Identifier string `json:"identifier,omitempty" msgpack:"identifier,omitempty"`
		Message    any    `json:"message,omitempty" msgpack:"message,omitempty"`
	}
	for _, p := range benchPayloads() {
		jsonFrame, mpFrame, pbFrame := clientFrame(b, "json", p), clientFrame(b, "msgpack", p), clientFrame(b, "protobuf", p)
		b.Run("decode/protobuf/"+p.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var m acpb.Message
				if err := proto.Unmarshal(pbFrame, &m); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("decode/msgpack/"+p.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var m command
				if err := msgpack.Unmarshal(mpFrame, &m); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("decode/json/"+p.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var m command
				if err := json.Unmarshal(jsonFrame, &m); err != nil {
					b.Fatal(err)
				}
			}
		})
		var payload any
		_ = json.Unmarshal([]byte(p.reply), &payload)
		r := reply{Identifier: p.identifier, Message: payload}
		b.Run("encode/protobuf/"+p.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				mp, _ := msgpack.Marshal(r.Message)
				if _, err := proto.Marshal(&acpb.Reply{Identifier: r.Identifier, Message: mp}); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("encode/msgpack/"+p.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := msgpack.Marshal(&r); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("encode/json/"+p.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := json.Marshal(&r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
