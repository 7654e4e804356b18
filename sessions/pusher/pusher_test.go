package pusher

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/densecable/densecable/broker"
	"github.com/densecable/densecable/encoders"
	"github.com/densecable/densecable/frames"
	"github.com/densecable/densecable/rpcclient/rpcpb"
	"github.com/densecable/densecable/sessions/protocol"
)

func auth(key, secret string, parts ...string) string {
	return key + ":" + hex.EncodeToString(Sign(secret, strings.Join(parts, ":")))
}

// Known answer from Pusher's channel authorization documentation.
func TestSignKnownAnswer(t *testing.T) {
	got := hex.EncodeToString(Sign("7ad3773142a6692b25b8", "1234.1234:private-foobar"))
	if got != "58df8b0c36d6982b82c3ecf6b4662e34fe8c25bba48f5369f135bf843651c3a4" {
		t.Fatalf("got %s", got)
	}
}

func TestAuthorizeConnect(t *testing.T) {
	p := New(Options{AppKey: "k"})
	for uri, want := range map[string]protocol.AuthOutcome{
		"/app/k?protocol=7": protocol.AuthOK, "/app/k": protocol.AuthOK, "/app/k?protocol=5": protocol.AuthOK,
		"/app/x?protocol=7": protocol.AuthReject, "/app/k/x": protocol.AuthReject, "/app/k?protocol=9": protocol.AuthReject,
	} {
		if got := p.AuthorizeConnect("1.1", &frames.Request{URI: uri}); got.Outcome != want {
			t.Errorf("%s: %+v", uri, got)
		}
	}
}

type fakePresence struct{ info broker.PresenceInfo }

func (f *fakePresence) PresenceInfo(context.Context, string) (*broker.PresenceInfo, error) {
	return &f.info, nil
}

func TestAuthorizeSubscribe(t *testing.T) {
	pres := &fakePresence{info: broker.PresenceInfo{Total: 1, Records: []broker.PresenceRecord{{ID: "u1", Info: []byte(`{"n":1}`)}}}}
	p := New(Options{AppKey: "k", Secret: "s", Presence: pres})
	sub := func(channel, a, cd string) *rpcpb.CommandResponse {
		m := &encoders.Message{Command: "subscribe", Identifier: channel, Data: a, RawData: []byte(cd)}
		if cd != "" {
			m.Presence = readMember([]byte(cd))
		}
		return p.AuthorizeSubscribe("1.2", "", channel, m)
	}
	ok := func(r *rpcpb.CommandResponse) bool { return r.GetStatus() == rpcpb.Status_SUCCESS }
	if r := sub("news", "", ""); !ok(r) || r.Streams[0] != "news" || r.GetEnv() != nil {
		t.Errorf("public: %v", r)
	}
	if r := sub("private-a", auth("k", "s", "1.2", "private-a"), ""); !ok(r) || r.GetEnv().GetIstate()["$w"] != "private-a" {
		t.Errorf("private: %v", r)
	}
	for _, bad := range []string{"", "k:", "k:zz", auth("k", "s", "1.3", "private-a"), auth("x", "s", "1.2", "private-a"),
		auth("k", "t", "1.2", "private-a"), auth("k", "s", "1.2", "private-a") + "00"} {
		if r := sub("private-a", bad, ""); ok(r) || !strings.Contains(r.Transmissions[0], `"pusher:subscription_error"`) {
			t.Errorf("auth %q: %v", bad, r)
		}
	}
	cd := `{"user_id":"u2","user_info":{"n":2}}`
	r := sub("presence-r", auth("k", "s", "1.2", "presence-r", cd), cd)
	if !ok(r) || r.GetEnv().GetIstate()["$p"] != "presence-r" || r.GetEnv().GetIstate()["user_id"] != "u2" {
		t.Fatalf("presence: %v", r)
	}
	var msg struct{ Data string }
	if err := json.Unmarshal([]byte(r.Transmissions[0]), &msg); err != nil {
		t.Fatal(err)
	}
	var data struct {
		Presence struct {
			IDs   []string                   `json:"ids"`
			Hash  map[string]json.RawMessage `json:"hash"`
			Count int                        `json:"count"`
		} `json:"presence"`
	}
	if err := json.Unmarshal([]byte(msg.Data), &data); err != nil || data.Presence.Count != 2 ||
		strings.Join(data.Presence.IDs, ",") != "u1,u2" || string(data.Presence.Hash["u2"]) != `{"n":2}` {
		t.Fatalf("members %s (%v)", msg.Data, err)
	}
	// Signed over other channel data: refused.
	if r := sub("presence-r", auth("k", "s", "1.2", "presence-r", cd), `{"user_id":"admin"}`); ok(r) {
		t.Error("channel_data not covered by the signature was accepted")
	}
	if r := sub("presence-r", auth("k", "s", "1.2", "presence-r", "{}"), "{}"); ok(r) {
		t.Error("presence without a user_id was accepted")
	}
}

func TestClientEventRate(t *testing.T) {
	p := New(Options{ClientEventRate: 5})
	st := p.NewState()
	m := &encoders.Message{Command: "whisper"}
	n := 0
	for p.Allow(st, m) {
		n++
		if n > 100 {
			t.Fatal("no limit")
		}
	}
	if n != 5 {
		t.Fatalf("burst of %d, want 5", n)
	}
	if !p.Allow(st, &encoders.Message{Command: "ping"}) {
		t.Fatal("only client events are limited")
	}
	st.(*bucket).last -= int64(time.Second) // a second later: refilled
	if !p.Allow(st, m) {
		t.Fatal("not refilled")
	}
	if New(Options{}).NewState() != nil {
		t.Fatal("no limit needs no state")
	}
}

func TestSocketIDs(t *testing.T) {
	p := New(Options{})
	seen := map[string]bool{}
	for i := 0; i < 100; i++ {
		id := p.NewSID()
		if !p.ValidSID(id) || seen[id] {
			t.Fatalf("id %q", id)
		}
		seen[id] = true
	}
	for _, bad := range []string{"", "1", "1.", ".1", "1.2.3", "a.1", "1.2 ", strings.Repeat("1", 40) + ".1"} {
		if p.ValidSID(bad) {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestWelcome(t *testing.T) {
	b, _ := New(Options{ActivityTimeout: 120 * time.Second}).AppendWelcome(nil, "1.2", false, nil)
	if string(b) != `{"event":"pusher:connection_established","data":"{\"socket_id\":\"1.2\",\"activity_timeout\":120}"}` {
		t.Fatalf("got %s", b)
	}
}
