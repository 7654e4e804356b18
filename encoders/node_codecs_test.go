package encoders

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

// The e2e tests talk to the server through cmd/densecable/e2e/js/codecs.js
// (@msgpack/msgpack and protobufjs). This test checks that library and the Go
// encoders agree in both directions: Node decodes frames Go wrote, and Go
// decodes commands Node wrote. It needs node and `npm ci` in that folder
// (`make test` runs it); without them the test fails, it never skips.

const nodeScript = `
const { createCodecs } = require(process.argv[1])
const codecs = createCodecs({ protoPath: process.argv[2] })
let input = ''
process.stdin.on('data', (c) => { input += c })
process.stdin.on('end', () => {
  const { frames, commands } = JSON.parse(input)
  const decoded = frames.map((f) => codecs.forProtocol(f.protocol).decode(Buffer.from(f.b64, 'base64')))
  const encoded = commands.map((c) => Buffer.from(codecs.forProtocol(c.protocol).encode(c.command)).toString('base64'))
  process.stdout.write(JSON.stringify({ decoded, encoded }))
})
`

type nodeFrame struct {
	Protocol string `json:"protocol"`
	B64      []byte `json:"b64"`
	expect   string
}

type nodeCommand struct {
	Protocol string          `json:"protocol"`
	Command  json.RawMessage `json:"command"`
}

func TestNodeCodecsAgreeWithGo(t *testing.T) {
	unavailable := func(why string) {
		t.Helper()
		t.Fatalf("%s: install Node.js 20 and run `make node-deps` (npm ci in cmd/densecable/e2e/js)", why)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		unavailable("node is not installed")
	}
	jsDir, _ := filepath.Abs(filepath.Join("..", "cmd", "densecable", "e2e", "js"))
	for _, mod := range []string{"protobufjs", "@msgpack/msgpack"} {
		if _, err := os.Stat(filepath.Join(jsDir, "node_modules", mod)); err != nil {
			unavailable("node_modules/" + mod + " is missing in " + jsDir)
		}
	}
	protoPath, _ := filepath.Abs(filepath.Join("acpb", "action_cable.proto"))

	frames := goFrames(t)
	commands := clientCommands()
	var nodeCmds []nodeCommand
	protocols := []string{"actioncable-v1-json", "actioncable-v1-msgpack", "actioncable-v1-protobuf", "actioncable-v1-ext-protobuf"}
	for _, p := range protocols {
		for _, c := range commands {
			nodeCmds = append(nodeCmds, nodeCommand{Protocol: p, Command: json.RawMessage(c)})
		}
	}
	input, _ := json.Marshal(map[string]any{"frames": frames, "commands": nodeCmds})

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "-e", nodeScript, filepath.Join(jsDir, "codecs.js"), protoPath)
	cmd.Stdin = bytes.NewReader(input)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, stderr.String())
	}
	var res struct {
		Decoded []json.RawMessage `json:"decoded"`
		Encoded [][]byte          `json:"encoded"`
	}
	if err := json.Unmarshal(out, &res); err != nil || len(res.Decoded) != len(frames) || len(res.Encoded) != len(nodeCmds) {
		t.Fatalf("node output %.300s: %v", out, err)
	}

	for i, f := range frames {
		var got, want any
		_ = json.Unmarshal(res.Decoded[i], &got)
		_ = json.Unmarshal([]byte(f.expect), &want)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s frame: node decoded %s, want %s", f.Protocol, res.Decoded[i], f.expect)
		}
	}
	for i, c := range nodeCmds {
		enc, _, _ := ForSubprotocol(c.Protocol)
		var got, want Message
		if err := enc.Decode(res.Encoded[i], &got); err != nil {
			t.Errorf("%s: Go cannot decode node's %s: %v", c.Protocol, c.Command, err)
			continue
		}
		if err := NewJSON().Decode(c.Command, &want); err != nil {
			t.Fatal(err)
		}
		if err := sameMessage(&got, &want); err != nil {
			t.Errorf("%s %s: %v", c.Protocol, c.Command, err)
		}
	}
}

// goFrames encodes server messages with every Go encoder, each with the
// object the JSON protocol would carry (Protobuf v1 has fewer fields).
func goFrames(t *testing.T) []nodeFrame {
	t.Helper()
	replies := []Reply{
		{Type: "welcome", Sid: "abc"},
		{Type: "welcome", Sid: "s2", Restored: true, RestoredIDs: []string{"a", "b"}},
		{Type: "confirm_subscription", Identifier: `{"channel":"ChatChannel"}`},
		{Type: "reject_history", Identifier: "x"},
		{Type: "pong"},
		{Identifier: "x", Message: []byte(`{"a":1,"b":[1.5,-2,"s",null,true,false,{}],"c":"<é>"}`)},
		{Identifier: "x", Message: []byte(`"hello"`), StreamID: "s", Epoch: "e", Offset: 1 << 40},
		{Identifier: "x", Message: []byte(`12345678901234567000`)},
		{Type: "presence", Identifier: "x", Message: []byte(`{"id":"u1","info":{"name":"J"},"type":"join"}`)},
	}
	var frames []nodeFrame
	for _, proto := range []string{"actioncable-v1-json", "actioncable-v1-msgpack", "actioncable-v1-protobuf", "actioncable-v1-ext-protobuf"} {
		enc, _, _ := ForSubprotocol(proto)
		add := func(b []byte, err error, r *Reply) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
			if proto == "actioncable-v1-protobuf" {
				r = &Reply{Type: r.Type, Identifier: r.Identifier, Message: r.Message, Reason: r.Reason, Reconnect: r.Reconnect}
			}
			expect, _ := NewJSON().AppendReply(nil, r)
			if r.Type == "disconnect" {
				expect, _ = NewJSON().AppendDisconnect(nil, r.Reason, r.Reconnect)
			}
			frames = append(frames, nodeFrame{Protocol: proto, B64: b, expect: string(expect)})
		}
		for i := range replies {
			b, err := enc.AppendReply(nil, &replies[i])
			add(b, err, &replies[i])
		}
		b, err := enc.AppendDisconnect(nil, "server_restart", true)
		add(b, err, &Reply{Type: "disconnect", Reason: "server_restart", Reconnect: true})
		b, err = enc.AppendDisconnect(nil, "unauthorized", false)
		add(b, err, &Reply{Type: "disconnect", Reason: "unauthorized"})
		b, err = enc.AppendPing(nil, 1700000000)
		add(b, err, &Reply{Type: "ping", Message: []byte("1700000000")})
		b, err = enc.AppendTransmission(nil, `{"type":"confirm_subscription","identifier":"{\"channel\":\"C\"}"}`)
		add(b, err, &Reply{Type: "confirm_subscription", Identifier: `{"channel":"C"}`})
	}
	return frames
}

// clientCommands are commands every codec can carry.
func clientCommands() []string {
	return []string{
		`{"command":"subscribe","identifier":"{\"channel\":\"ChatChannel\",\"id\":1}"}`,
		`{"command":"message","identifier":"{\"channel\":\"C\"}","data":"{\"action\":\"speak\",\"text\":\"hi <b>\"}"}`,
		`{"command":"unsubscribe","identifier":"x"}`,
		`{"command":"history","identifier":"x","history":{"since":1700000000,"streams":{"s1":{"epoch":"e","offset":42}}}}`,
		`{"command":"whisper","identifier":"x","data":{"event":"typing","n":[1,2.5,null,true]}}`,
		`{"command":"join","identifier":"x","presence":{"id":"u1","info":{"name":"Jack"}}}`,
		`{"command":"leave","identifier":"x"}`,
		`{"command":"presence","identifier":"x","data":{"return_records":true}}`,
		`{"command":"pong"}`,
		`{"command":"ping"}`,
	}
}
