package server

import (
	"io"
	"log/slog"
	"strings"
	"testing"
)

// An unknown --pusher_webhook_events name stops the server at start,
// naming it; the known names are taken.
func TestPusherWebhookEventsChecked(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg := parseConfig(t, "--broadcast_adapter=redis", "--pusher_app_id=a", "--pusher_app_key=k", "--pusher_secret=s",
		"--pusher_webhook_url=http://127.0.0.1:1/hook", "--pusher_webhook_events=channel_occupied,member_joined")
	if _, err := newApp(cfg, log); err == nil || !strings.Contains(err.Error(), `"member_joined"`) {
		t.Fatalf("newApp: %v, want an error naming member_joined", err)
	}
	cfg = parseConfig(t, "--broadcast_adapter=redis", "--pusher_app_id=a", "--pusher_app_key=k", "--pusher_secret=s",
		"--pusher_webhook_url=http://127.0.0.1:1/hook", "--pusher_webhook_events=CHANNEL_OCCUPIED,client_event")
	a, err := newApp(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	if a.pusher == nil || a.pusher.sender == nil || !a.pusher.sender.Wants("channel_occupied") || a.pusher.sender.Wants("member_added") {
		t.Fatal("webhook events not applied")
	}
}
