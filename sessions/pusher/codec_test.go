package pusher

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/densecable/densecable/encoders"
	"github.com/densecable/densecable/sessions/protocol"
)

func TestDecode(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want encoders.Message
	}{
		{`{"event":"pusher:ping","data":{}}`, encoders.Message{Command: "ping"}},
		{`{"event":"pusher:pong"}`, encoders.Message{Command: "pong"}},
		{`{"event":"pusher:subscribe","data":{"channel":"news"}}`, encoders.Message{Command: "subscribe", Identifier: "news"}},
		{`{"event":"pusher:subscribe","data":{"channel":"private-a","auth":"k:ab"}}`,
			encoders.Message{Command: "subscribe", Identifier: "private-a", Data: "k:ab", DataIsString: true}},
		{`{"event":"pusher:unsubscribe","data":{"channel":"private-a","auth":"k:ab"}}`,
			encoders.Message{Command: "unsubscribe", Identifier: "private-a"}},
		{`{"data":{"x":[1,2]},"channel":"private-a","event":"client-typing"}`,
			encoders.Message{Command: "whisper", Identifier: "private-a", Data: "client-typing", RawData: []byte(`{"x":[1,2]}`)}},
		{`{"event":"client-x","channel":"private-a"}`,
			encoders.Message{Command: "whisper", Identifier: "private-a", Data: "client-x", RawData: []byte(`null`)}},
		{` {"event":"pusher:\u0070ing", "event2": 1} `, encoders.Message{Command: "ping"}},
	} {
		var m encoders.Message
		if err := (codec{}).Decode([]byte(tc.in), &m); err != nil {
			t.Errorf("%s: %v", tc.in, err)
			continue
		}
		got, _ := json.Marshal(m)
		want, _ := json.Marshal(tc.want)
		if string(got) != string(want) {
			t.Errorf("%s:\n got %s\nwant %s", tc.in, got, want)
		}
	}
}

func TestDecodePresenceMember(t *testing.T) {
	var m encoders.Message
	cd := `{"user_id":12,"user_info":{"name":"Ann"}}`
	in, _ := json.Marshal(map[string]any{"event": "pusher:subscribe", "data": map[string]string{"channel": "presence-r", "auth": "k:s", "channel_data": cd}})
	if err := (codec{}).Decode(in, &m); err != nil {
		t.Fatal(err)
	}
	if string(m.RawData) != cd || m.Presence == nil || m.Presence.ID != "12" || string(m.Presence.Info) != `{"name":"Ann"}` {
		t.Fatalf("got %+v %+v", m, m.Presence)
	}
	// channel_data on a private channel is not a presence.
	in, _ = json.Marshal(map[string]any{"event": "pusher:subscribe", "data": map[string]string{"channel": "private-r", "auth": "k:s", "channel_data": cd}})
	if err := (codec{}).Decode(in, &m); err != nil || m.Presence != nil {
		t.Fatalf("private channel: %v %+v", err, m.Presence)
	}
}

// Bad input is an error with a pusher:error reply for the client.
func TestDecodeRejects(t *testing.T) {
	long := make([]byte, maxChannelName+1)
	for i := range long {
		long[i] = 'a'
	}
	big := make([]byte, maxClientEventData)
	for i := range big {
		big[i] = '1'
	}
	for _, in := range []string{
		``, `[]`, `"x"`, `{`, `{"event":"pusher:ping"} x`, `{"event":1}`, `{}`,
		`{"event":"pusher:signin","data":{}}`,
		`{"event":"pusher:subscribe"}`, `{"event":"pusher:subscribe","data":"x"}`,
		`{"event":"pusher:subscribe","data":{"channel":"a b"}}`,
		`{"event":"pusher:subscribe","data":{"channel":""}}`,
		`{"event":"pusher:subscribe","data":{"channel":"` + string(long) + `"}}`,
		`{"event":"client-x","data":{}}`,
		`{"event":"client-x","channel":"private-a","data":[` + string(big) + `]}`,
	} {
		var m encoders.Message
		err := (codec{}).Decode([]byte(in), &m)
		var er protocol.ErrorReply
		if !errors.As(err, &er) {
			t.Errorf("%q: err %v has no reply", in, err)
			continue
		}
		var reply struct {
			Event string `json:"event"`
			Data  struct {
				Code    *int   `json:"code"`
				Message string `json:"message"`
			} `json:"data"`
		}
		if err := json.Unmarshal(er.AppendErrorReply(nil), &reply); err != nil || reply.Event != "pusher:error" || reply.Data.Message == "" {
			t.Errorf("%q: reply %s (%v)", in, er.AppendErrorReply(nil), err)
		}
	}
}

func TestAppendReply(t *testing.T) {
	for _, tc := range []struct {
		r    encoders.Reply
		want string
	}{
		{encoders.Reply{Type: "pong"}, `{"event":"pusher:pong","data":{}}`},
		{encoders.Reply{Identifier: "c", Message: []byte(`{"data":"{\"a\":1}","event":"ev"}`)},
			`{"event":"ev","channel":"c","data":"{\"a\":1}"}`},
		{encoders.Reply{Identifier: "c", Message: []byte(`{"event":"client-x","data":{"a":1},"user_id":"u"}`)},
			`{"event":"client-x","channel":"c","data":{"a":1},"user_id":"u"}`},
		{encoders.Reply{Identifier: "c", Message: []byte(`{"event":"ev"}`)}, `{"event":"ev","channel":"c","data":"{}"}`},
		{encoders.Reply{Identifier: "c", Message: []byte(`[1,"<"]`)}, `{"event":"message","channel":"c","data":"[1,\"\u003c\"]"}`},
		{encoders.Reply{Identifier: "c", Message: []byte(`"text"`)}, `{"event":"message","channel":"c","data":"\"text\""}`},
		{encoders.Reply{Type: "presence", Identifier: "presence-r", Message: []byte(`{"id":"u1","info":{"n":1},"type":"join"}`)},
			`{"event":"pusher_internal:member_added","channel":"presence-r","data":"{\"user_id\":\"u1\",\"user_info\":{\"n\":1}}"}`},
		{encoders.Reply{Type: "presence", Identifier: "presence-r", Message: []byte(`{"id":"u1","type":"leave"}`)},
			`{"event":"pusher_internal:member_removed","channel":"presence-r","data":"{\"user_id\":\"u1\"}"}`},
		{encoders.Reply{Type: "presence", Identifier: "presence-r", Message: []byte(`{"type":"info","total":0}`)}, ``},
		{encoders.Reply{Type: "confirm_history", Identifier: "x"}, ``},
	} {
		got, err := (codec{}).AppendReply(nil, &tc.r)
		if err != nil || string(got) != tc.want {
			t.Errorf("%+v:\n got %s (%v)\nwant %s", tc.r, got, err, tc.want)
		}
	}
}

func TestAppendDisconnect(t *testing.T) {
	for _, tc := range []struct {
		reason    string
		reconnect bool
		want      string
	}{
		{"too_many_requests", true, `{"event":"pusher:error","data":{"code":4301,"message":"too_many_requests"}}`},
		{"server_restart", true, `{"event":"pusher:error","data":{"code":4200,"message":"server_restart"}}`},
		{"remote", false, `{"event":"pusher:error","data":{"code":4009,"message":"remote"}}`},
		{"remote", true, `{"event":"pusher:error","data":{"code":4200,"message":"remote"}}`},
		{reasonAppNotFound, false, `{"event":"pusher:error","data":{"code":4001,"message":"Application does not exist"}}`},
	} {
		got, _ := (codec{}).AppendDisconnect(nil, tc.reason, tc.reconnect)
		if string(got) != tc.want {
			t.Errorf("%s: got %s", tc.reason, got)
		}
	}
}
