package ocpp

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/densecable/densecable/sessions/protocol"
)

// station is a fake protocol.Session: it records what the protocol sends
// and performs, and answers performs with reply.
type station struct {
	connectOK, subscribeOK bool
	url                    string
	subscribed             []string
	performs               []map[string]any
	sent                   []string
	debug                  []string
	reply                  func(data map[string]any) ([]string, bool)
}

func newStation() *station {
	return &station{connectOK: true, subscribeOK: true, url: "http://localhost/ocpp/CP-7?x=1"}
}

func (s *station) Connect() bool { return s.connectOK }
func (s *station) Subscribe(id string) bool {
	s.subscribed = append(s.subscribed, id)
	return s.subscribeOK
}
func (s *station) Perform(_, data string) ([]string, bool) {
	var d map[string]any
	if err := json.Unmarshal([]byte(data), &d); err != nil {
		panic(fmt.Sprintf("perform data is not JSON: %s", data))
	}
	s.performs = append(s.performs, d)
	if s.reply != nil {
		return s.reply(d)
	}
	return nil, true
}
func (s *station) Send(p []byte)                 { s.sent = append(s.sent, string(p)) }
func (s *station) URL() string                   { return s.url }
func (s *station) Debug(msg string, args ...any) { s.debug = append(s.debug, msg) }

func (s *station) last() string {
	if len(s.sent) == 0 {
		return ""
	}
	return s.sent[len(s.sent)-1]
}

var clock = time.Date(2026, 1, 2, 3, 4, 5, 600e6, time.UTC)

func newProto(granular bool) (*Protocol, *time.Time) {
	now := clock
	p := New(Options{Path: "/ocpp", GranularActions: granular, Now: func() time.Time { return now }})
	return p, &now
}

func handle(p *Protocol, st any, s protocol.Session, frame string) {
	m := &protocol.Command{}
	_ = p.Decode([]byte(frame), m)
	p.Handle(st, m, s)
}

const bootFrame = `[2,"b1","BootNotification",{"chargePointVendor":"v","chargePointModel":"m","meterSerialNumber":"SN 1"}]`

func booted(t *testing.T, p *Protocol, s *station) any {
	t.Helper()
	st := p.NewState()
	handle(p, st, s, bootFrame)
	if want := `[3,"b1",{"status":"Accepted","interval":30,"currentTime":"2026-01-02T03:04:05.600Z"}]`; s.last() != want {
		t.Fatalf("boot answer %s, want %s", s.last(), want)
	}
	return st
}

func TestBoot(t *testing.T) {
	p, _ := newProto(true)
	s := newStation()
	booted(t, p, s)
	if want := `{"channel":"OCPPChannel","sn":"SN 1"}`; len(s.subscribed) != 1 || s.subscribed[0] != want {
		t.Fatalf("subscribed %q, want %s", s.subscribed, want)
	}
	got, _ := json.Marshal(s.performs[0])
	if want := `{"action":"boot_notification","command":"BootNotification","id":"b1","payload":{"chargePointModel":"m","chargePointVendor":"v","meterSerialNumber":"SN 1"}}`; string(got) != want {
		t.Fatalf("perform %s, want %s", got, want)
	}

	// No meterSerialNumber: the station id from the path.
	s = newStation()
	handle(p, p.NewState(), s, `[2,"b2","BootNotification",{"chargePointVendor":"v","chargePointModel":"m"}]`)
	if want := `{"channel":"OCPPChannel","sn":"CP-7"}`; s.subscribed[0] != want {
		t.Fatalf("subscribed %q, want %s", s.subscribed, want)
	}

	// A refused Connect: nothing more (the core closes the connection).
	s = newStation()
	s.connectOK = false
	handle(p, p.NewState(), s, bootFrame)
	if len(s.sent)+len(s.subscribed)+len(s.performs) != 0 {
		t.Fatalf("after a refused connect: sent %q, subscribed %q", s.sent, s.subscribed)
	}

	// A rejected subscription: a Rejected boot, and calls still refused.
	s = newStation()
	s.subscribeOK = false
	st := p.NewState()
	handle(p, st, s, bootFrame)
	if !strings.HasPrefix(s.last(), `[3,"b1",{"status":"Rejected","interval":30,`) {
		t.Fatalf("rejected boot answer %s", s.last())
	}
	handle(p, st, s, `[2,"a1","Authorize",{"idTag":"t"}]`)
	if !strings.HasPrefix(s.last(), `[4,"a1","SecurityError",`) {
		t.Fatalf("call after a rejected boot: %s", s.last())
	}
}

func TestCallsAndAcks(t *testing.T) {
	p, _ := newProto(true)
	s := newStation()
	s.reply = func(d map[string]any) ([]string, bool) {
		switch d["action"] {
		case "authorize":
			return []string{`{"identifier":"x","type":"confirm_subscription"}`, `{"command":"Ack","id":"` + d["id"].(string) + `","payload":{"idTagInfo":{"status":"Accepted"}}}`}, true
		case "stop_transaction":
			return []string{`{"command":"Ack","id":"another","payload":{}}`}, true
		case "meter_values":
			return nil, false
		}
		return nil, true
	}
	st := booted(t, p, s)

	// The application's Ack went out through AppendTransmission: no
	// default one.
	n := len(s.sent)
	handle(p, st, s, `[2,"a1","Authorize",{"idTag":"t"}]`)
	if len(s.sent) != n {
		t.Fatalf("default ack after the application's: %q", s.sent[n:])
	}
	// An Ack for another id does not count.
	handle(p, st, s, `[2,"s1","StopTransaction",{}]`)
	if s.last() != `[3,"s1",{"status":"Accepted"}]` {
		t.Fatalf("stop transaction answer %s", s.last())
	}
	handle(p, st, s, `[2,"n1","StatusNotification",{"status":"Available"}]`)
	if s.last() != `[3,"n1",{"status":"Accepted"}]` {
		t.Fatalf("default ack %s", s.last())
	}
	if got := s.performs[len(s.performs)-1]["action"]; got != "status_notification" {
		t.Fatalf("action %v", got)
	}
	handle(p, st, s, `[2,"m1","MeterValues",{}]`)
	if !strings.HasPrefix(s.last(), `[4,"m1","InternalError",`) {
		t.Fatalf("failed perform answer %s", s.last())
	}
	performs := len(s.performs)
	handle(p, st, s, `[2,"h1","Heartbeat",{}]`)
	if s.last() != `[3,"h1",{"currentTime":"2026-01-02T03:04:05.600Z"}]` || len(s.performs) != performs {
		t.Fatalf("heartbeat: %s, %d performs", s.last(), len(s.performs)-performs)
	}
}

func TestSingleAction(t *testing.T) {
	p, _ := newProto(false)
	s := newStation()
	st := booted(t, p, s)
	handle(p, st, s, `[2,"a1","Authorize",{"idTag":"t"}]`)
	if d := s.performs[len(s.performs)-1]; d["action"] != "receive" || d["command"] != "Authorize" || d["id"] != "a1" {
		t.Fatalf("perform %v", d)
	}
	if s.performs[0]["action"] != "receive" {
		t.Fatalf("boot perform %v", s.performs[0])
	}
}

func TestBeforeBootAndBadInput(t *testing.T) {
	p, _ := newProto(true)
	s := newStation()
	st := p.NewState()
	for frame, want := range map[string]string{
		`[2,"a1","Authorize",{}]`:                      `[4,"a1","SecurityError",`,
		`[2,"h1","Heartbeat",{}]`:                      `[4,"h1","SecurityError",`,
		`[2,"x1","Do-It",{}]`:                          `[4,"x1","NotImplemented",`,
		`[9,"u1"]`:                                     `[4,"u1","ProtocolError",`,
		`nope`:                                         `[4,"-1","FormationViolation",`,
		`[2,"a2","Authorize",{}] trailing`:             `[4,"a2","FormationViolation",`,
		`[2,"a3","Authorize",{},{}]`:                   `[4,"a3","FormationViolation",`,
		`[2,"a4","Authorize"]`:                         `[4,"a4","ProtocolError",`,
		`[2,1,"Authorize",{}]`:                         `[4,"-1","FormationViolation",`,
		`[2,"` + strings.Repeat("i", 37) + `","A",{}]`: `[4,"-1","FormationViolation",`,
	} {
		n := len(s.sent)
		handle(p, st, s, frame)
		if len(s.sent) != n+1 || !strings.HasPrefix(s.last(), want) {
			t.Errorf("%s: answered %q, want %s...", frame, s.sent[n:], want)
		}
	}
	if len(s.performs) != 0 || len(s.subscribed) != 0 {
		t.Fatalf("bad input reached the application: %v", s.performs)
	}
	if len(s.debug) == 0 {
		t.Fatal("bad input was not logged")
	}
	// Broken answers (CALLRESULT / CALLERROR) are not answered.
	n := len(s.sent)
	handle(p, st, s, `[3,"r1"]`)
	handle(p, st, s, `[4,"r2","GenericError"]`)
	if len(s.sent) != n {
		t.Fatalf("a broken answer was answered: %q", s.sent[n:])
	}
}

// Server calls go out one at a time; answers reach ack / error and release
// the next one; the queue is bounded; calls time out into error.
func TestServerCalls(t *testing.T) {
	p, now := newProto(true)
	s := newStation()
	st := booted(t, p, s)
	s.performs = nil
	n := len(s.sent)

	p.Deliver(st, []byte(`{"command":"TriggerMessage","id":"c1","payload":{"requestedMessage":"Heartbeat"}}`), s)
	p.Deliver(st, []byte(`{"command":"Reset","payload":{"type":"Soft"}}`), s)
	if len(s.sent) != n+1 || s.last() != `[2,"c1","TriggerMessage",{"requestedMessage":"Heartbeat"}]` {
		t.Fatalf("sent %q, want the first call only", s.sent[n:])
	}
	handle(p, st, s, `[3,"c1",{"status":"Accepted"}]`)
	if got, _ := json.Marshal(s.performs[0]); string(got) != `{"action":"ack","command":"TriggerMessage","id":"c1","payload":{"status":"Accepted"}}` {
		t.Fatalf("ack perform %s", got)
	}
	var f Frame
	f, ferr := ParseFrame([]byte(s.last()))
	if ferr != nil || f.Type != Call || f.Action != "Reset" || len(f.ID) != 16 {
		t.Fatalf("second call %s (%v)", s.last(), ferr)
	}
	// An answer to nothing in flight is dropped.
	handle(p, st, s, `[3,"zzz",{}]`)
	if len(s.performs) != 1 {
		t.Fatal("an answer to no call reached the application")
	}
	handle(p, st, s, `[4,"`+f.ID+`","NotSupported","no",{"a":1}]`)
	if got, _ := json.Marshal(s.performs[1]); string(got) != `{"action":"error","code":"NotSupported","command":"Reset","id":"`+f.ID+`","message":"no","payload":{"a":1}}` {
		t.Fatalf("error perform %s", got)
	}

	// One in flight, MaxPendingCalls queued, the next overflows.
	s.performs = nil
	for i := 0; i < MaxPendingCalls+2; i++ {
		p.Deliver(st, []byte(fmt.Sprintf(`{"command":"GetConfiguration","id":"q%d"}`, i)), s)
	}
	if len(s.performs) != 1 || s.performs[0]["code"] != "Overflow" || s.performs[0]["id"] != fmt.Sprintf("q%d", MaxPendingCalls+1) {
		t.Fatalf("overflow: %v", s.performs)
	}

	// Time-outs: nothing due before CallTimeout, then everything.
	if p.Due(st, now.Add(CallTimeout-time.Millisecond).UnixNano()) {
		t.Fatal("due before the time-out")
	}
	*now = now.Add(CallTimeout)
	if !p.Due(st, now.UnixNano()) {
		t.Fatal("not due at the time-out")
	}
	s.performs = nil
	n = len(s.sent)
	p.Tick(st, now.UnixNano(), s)
	if len(s.performs) != MaxPendingCalls+1 {
		t.Fatalf("%d timed out, want %d", len(s.performs), MaxPendingCalls+1)
	}
	for _, d := range s.performs {
		if d["code"] != "Timeout" || d["action"] != "error" {
			t.Fatalf("time-out perform %v", d)
		}
	}
	if len(s.sent) != n || p.Due(st, now.Add(time.Hour).UnixNano()) {
		t.Fatalf("after the time-outs: sent %q, still due", s.sent[n:])
	}

	// A call in flight times out; the next queued one goes out with a
	// fresh deadline.
	p.Deliver(st, []byte(`{"command":"A","id":"t1"}`), s)
	*now = now.Add(CallTimeout / 2)
	p.Deliver(st, []byte(`{"command":"B","id":"t2"}`), s)
	*now = now.Add(CallTimeout / 2)
	s.performs = nil
	p.Tick(st, now.UnixNano(), s)
	if len(s.performs) != 1 || s.performs[0]["id"] != "t1" || s.last() != `[2,"t2","B",{}]` {
		t.Fatalf("in-flight time-out: performs %v, last sent %s", s.performs, s.last())
	}
	if p.Due(st, now.Add(CallTimeout-time.Millisecond).UnixNano()) {
		t.Fatal("the next call kept its queued deadline")
	}

	// Not commands: dropped.
	n = len(s.sent)
	for _, b := range []string{`"text"`, `{"command":"Ack","id":"x"}`, `{"id":"x"}`, `{"command":"bad name"}`} {
		p.Deliver(st, []byte(b), s)
	}
	if len(s.sent) != n {
		t.Fatalf("non-commands sent: %q", s.sent[n:])
	}
}

func TestAppendTransmission(t *testing.T) {
	p, _ := newProto(true)
	for msg, want := range map[string]string{
		`{"command":"Ack","id":"a1","payload":{"x":1}}`:    `[3,"a1",{"x":1}]`,
		`{"command":"Ack","id":"a2"}`:                      `[3,"a2",{}]`,
		`{"command":"Ack"}`:                                ``,
		`{"identifier":"i","type":"confirm_subscription"}`: ``,
		`{"command":"TriggerMessage","payload":{}}`:        ``,
		`not json`: ``,
	} {
		got, err := p.AppendTransmission(nil, "i", msg)
		if err != nil || string(got) != want {
			t.Errorf("%s: got %q, %v; want %q", msg, got, err, want)
		}
	}
}

func TestSnake(t *testing.T) {
	for in, want := range map[string]string{
		"BootNotification":              "boot_notification",
		"Authorize":                     "authorize",
		"DiagnosticsStatusNotification": "diagnostics_status_notification",
		"GetCompositeSchedule":          "get_composite_schedule",
		"DataTransfer":                  "data_transfer",
		"SignCSR":                       "sign_csr",
		"Get15118EVCertificate":         "get15118_ev_certificate",
	} {
		if got := snake(in); got != want {
			t.Errorf("snake(%s) = %s, want %s", in, got, want)
		}
	}
}

func TestStationID(t *testing.T) {
	p, _ := newProto(true)
	for u, want := range map[string]string{
		"http://h/ocpp/CP-1":       "CP-1",
		"http://h/ocpp/CP%201?a=b": "CP 1",
		"http://h/ocpp/CP-1/extra": "CP-1",
		"http://h/ocpp":            "",
	} {
		if got := p.stationID(u); got != want {
			t.Errorf("stationID(%s) = %q, want %q", u, got, want)
		}
	}
}
