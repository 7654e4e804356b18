package pusher

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/densecable/densecable/broker"
)

var testCreds = Credentials{Key: "app-key", Secret: "app-secret"}

// recorder keeps what the API publishes.
type recorder struct {
	mu   sync.Mutex
	pubs []broker.Publication
}

func (r *recorder) HandleBroadcast(p *broker.Publication) {
	r.mu.Lock()
	r.pubs = append(r.pubs, *p)
	r.mu.Unlock()
}
func (r *recorder) HandleCommand(*broker.RemoteCommand) {}

// fakeChannels answers from fixed tables.
type fakeChannels struct {
	occupied []string
	subs     map[string]int
	err      error
}

func (f *fakeChannels) OccupiedChannels(_ context.Context, prefix string, limit int) ([]string, error) {
	var out []string
	for _, c := range f.occupied {
		if strings.HasPrefix(c, prefix) && len(out) < limit {
			out = append(out, c)
		}
	}
	return out, f.err
}
func (f *fakeChannels) IsOccupied(_ context.Context, c string) (bool, error) {
	return slices.Contains(f.occupied, c), f.err
}
func (f *fakeChannels) SubscriptionCount(_ context.Context, c string) (int, error) {
	return f.subs[c], f.err
}

type fakePresence map[string][]string

func (f fakePresence) PresenceInfo(_ context.Context, stream string) (*broker.PresenceInfo, error) {
	info := &broker.PresenceInfo{Total: len(f[stream])}
	for _, id := range f[stream] {
		info.Records = append(info.Records, broker.PresenceRecord{ID: id})
	}
	return info, nil
}

var testNow = time.Unix(1700000000, 0)

func newTestAPI() (fasthttp.RequestHandler, *recorder, *fakeChannels) {
	rec := &recorder{}
	ch := &fakeChannels{
		occupied: []string{"presence-room", "private-a", "public"},
		subs:     map[string]int{"public": 3, "presence-room": 2},
	}
	pres := fakePresence{"presence-room": {"u1", "u2"}}
	h := New(Options{AppID: "42", Credentials: testCreds, Now: func() time.Time { return testNow }},
		rec, ch, pres, slog.New(slog.NewTextHandler(io.Discard, nil)))
	return h, rec, ch
}

// signedURL builds a request URI as the server SDKs do.
func signedURL(method, path string, query map[string]string, body string, creds Credentials, ts time.Time) string {
	params := []Param{{"auth_key", creds.Key}, {"auth_timestamp", strconv.FormatInt(ts.Unix(), 10)}, {"auth_version", "1.0"}}
	if body != "" {
		sum := md5.Sum([]byte(body))
		params = append(params, Param{"body_md5", hex.EncodeToString(sum[:])})
	}
	for k, v := range query {
		params = append(params, Param{k, v})
	}
	sig := Sign(creds.Secret, []byte(StringToSign(method, path, params)))
	v := url.Values{}
	for _, p := range params {
		v.Add(p.Key, p.Value)
	}
	v.Add("auth_signature", sig)
	return path + "?" + v.Encode()
}

func do(h fasthttp.RequestHandler, method, uri, body string) (int, string) {
	var ctx fasthttp.RequestCtx
	ctx.Request.Header.SetMethod(method)
	ctx.Request.SetRequestURI(uri)
	if body != "" {
		ctx.Request.SetBodyString(body)
	}
	h(&ctx)
	return ctx.Response.StatusCode(), string(ctx.Response.Body())
}

func call(h fasthttp.RequestHandler, method, path string, query map[string]string, body string) (int, string) {
	return do(h, method, signedURL(method, path, query, body, testCreds, testNow), body)
}

func TestTriggerPublishesToEveryChannel(t *testing.T) {
	h, rec, _ := newTestAPI()
	body := `{"name":"my-event","channels":["a","private-b"],"data":"{\"x\":\"<1>\"}","socket_id":"123.456"}`
	if code, resp := call(h, "POST", "/apps/42/events", nil, body); code != 200 || resp != "{}" {
		t.Fatalf("trigger: %d %q", code, resp)
	}
	want := `{"event":"my-event","data":"{\"x\":\"\u003c1\u003e\"}"}`
	if len(rec.pubs) != 2 || rec.pubs[0].Stream != "a" || rec.pubs[1].Stream != "private-b" {
		t.Fatalf("publications: %+v", rec.pubs)
	}
	for _, p := range rec.pubs {
		if p.Data != want || p.Meta.ExcludeSocket != "123.456" {
			t.Fatalf("publication: %+v, want data %s", p, want)
		}
	}
}

func TestBatchEvents(t *testing.T) {
	h, rec, _ := newTestAPI()
	body := `{"batch":[{"name":"e1","channel":"c1","data":"1"},{"name":"e2","channel":"c2","data":"2","socket_id":"1.2"}]}`
	if code, resp := call(h, "POST", "/apps/42/batch_events", nil, body); code != 200 || resp != "{}" {
		t.Fatalf("batch: %d %q", code, resp)
	}
	if len(rec.pubs) != 2 || rec.pubs[0].Data != `{"event":"e1","data":"1"}` || rec.pubs[1].Meta.ExcludeSocket != "1.2" {
		t.Fatalf("publications: %+v", rec.pubs)
	}
}

// Bad input gets Pusher's status and publishes nothing.
func TestRejectsBadRequests(t *testing.T) {
	h, rec, _ := newTestAPI()
	big := strings.Repeat("x", MaxDataSize+1)
	many := make([]string, MaxChannels+1)
	for i := range many {
		many[i] = `"c` + strconv.Itoa(i) + `"`
	}
	batch11 := `{"batch":[` + strings.Repeat(`{"name":"e","channel":"c","data":"1"},`, MaxBatch) + `{"name":"e","channel":"c","data":"1"}]}`
	ok := `{"name":"e","channel":"c","data":"1"}`
	cases := []struct {
		name, method, uri, body string
		want                    int
	}{
		{"unknown app", "POST", signedURL("POST", "/apps/7/events", nil, ok, testCreds, testNow), ok, 404},
		{"unsigned", "POST", "/apps/42/events", ok, 401},
		{"stale", "POST", signedURL("POST", "/apps/42/events", nil, ok, testCreds, testNow.Add(-MaxSkew-time.Minute)), ok, 401},
		{"forged", "POST", signedURL("POST", "/apps/42/events", nil, ok, Credentials{Key: testCreds.Key, Secret: "guess"}, testNow), ok, 401},
		{"wrong key", "POST", signedURL("POST", "/apps/42/events", nil, ok, Credentials{Key: "k2", Secret: testCreds.Secret}, testNow), ok, 401},
		{"body swapped", "POST", signedURL("POST", "/apps/42/events", nil, ok, testCreds, testNow), `{"name":"x","channel":"c","data":"1"}`, 401},
		{"malformed JSON", "POST", signedURL("POST", "/apps/42/events", nil, `{"name":`, testCreds, testNow), `{"name":`, 400},
		{"oversized data", "POST", "", `{"name":"e","channel":"c","data":"` + big + `"}`, 413},
		{"too many channels", "POST", "", `{"name":"e","channels":[` + strings.Join(many, ",") + `],"data":"1"}`, 400},
		{"bad channel", "POST", "", `{"name":"e","channel":"a b","data":"1"}`, 400},
		{"no channel", "POST", "", `{"name":"e","data":"1"}`, 400},
		{"no name", "POST", "", `{"channel":"c","data":"1"}`, 400},
		{"bad socket id", "POST", "", `{"name":"e","channel":"c","data":"1","socket_id":"abc"}`, 400},
		{"batch too big", "POST", "batch", batch11, 413},
		{"batch bad event", "POST", "batch", `{"batch":[{"name":"e","channel":"c","data":"1"},{"name":"e","data":"1"}]}`, 400},
		{"GET events", "GET", signedURL("GET", "/apps/42/events", nil, "", testCreds, testNow), "", 405},
		{"unknown route", "GET", signedURL("GET", "/apps/42/nope", nil, "", testCreds, testNow), "", 404},
	}
	for _, tc := range cases {
		uri := tc.uri
		switch uri {
		case "":
			uri = signedURL(tc.method, "/apps/42/events", nil, tc.body, testCreds, testNow)
		case "batch":
			uri = signedURL(tc.method, "/apps/42/batch_events", nil, tc.body, testCreds, testNow)
		}
		if code, resp := do(h, tc.method, uri, tc.body); code != tc.want {
			t.Errorf("%s: %d %q, want %d", tc.name, code, resp, tc.want)
		}
	}
	if len(rec.pubs) != 0 {
		t.Fatalf("rejected requests published %+v", rec.pubs)
	}
}

func TestChannelsInfo(t *testing.T) {
	h, _, ch := newTestAPI()
	cases := []struct {
		path  string
		query map[string]string
		code  int
		body  string
	}{
		{"/apps/42/channels", nil, 200, `{"channels":{"presence-room":{},"private-a":{},"public":{}}}`},
		{"/apps/42/channels", map[string]string{"filter_by_prefix": "pr"}, 200, `{"channels":{"presence-room":{},"private-a":{}}}`},
		{"/apps/42/channels", map[string]string{"filter_by_prefix": "presence-", "info": "user_count"}, 200, `{"channels":{"presence-room":{"user_count":2}}}`},
		{"/apps/42/channels", map[string]string{"info": "user_count"}, 400, ""},
		{"/apps/42/channels/public", nil, 200, `{"occupied":true}`},
		{"/apps/42/channels/public", map[string]string{"info": "subscription_count"}, 200, `{"occupied":true,"subscription_count":3}`},
		{"/apps/42/channels/public", map[string]string{"info": "user_count"}, 400, ""},
		{"/apps/42/channels/presence-room", map[string]string{"info": "user_count,subscription_count"}, 200, `{"occupied":true,"user_count":2,"subscription_count":2}`},
		{"/apps/42/channels/nobody", nil, 200, `{"occupied":false}`},
		{"/apps/42/channels/presence-room/users", nil, 200, `{"users":[{"id":"u1"},{"id":"u2"}]}`},
		{"/apps/42/channels/presence-unknown/users", nil, 200, `{"users":[]}`},
		{"/apps/42/channels/private-a/users", nil, 400, ""},
	}
	for _, tc := range cases {
		code, body := call(h, "GET", tc.path, tc.query, "")
		if code != tc.code || (tc.body != "" && body != tc.body) {
			t.Errorf("GET %s %v: %d %s, want %d %s", tc.path, tc.query, code, body, tc.code, tc.body)
		}
	}
	ch.err = errors.New("store down")
	if code, _ := call(h, "GET", "/apps/42/channels", nil, ""); code != 503 {
		t.Fatalf("store down: %d, want 503", code)
	}
}
