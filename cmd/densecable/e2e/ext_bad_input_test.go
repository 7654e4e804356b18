package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestExtendedProtocolBadInput: bad history and presence commands on the
// extended protocol (js/ext_bad_input.js) get the reference's answers and
// cost nothing else, once per broker engine:
//
//   - malformed history requests (no history, neither since nor streams,
//     wrong types, not JSON, no or an unsubscribed identifier): no reply;
//   - unknown epochs and offsets beyond the latest: reject_history;
//   - since in the future: confirm_history and nothing else;
//   - a subscribe carrying a history request with an unknown epoch:
//     confirm_subscription, then reject_history;
//   - presence joins without an id, with info over 16 KiB, or for an
//     unsubscribed identifier: no reply, no join event, nobody present.
//
// Afterwards the connection still answers ping, joins, broadcasts and
// history, the other client on the stream saw nothing of it, and the
// server is healthy.
func TestExtendedProtocolBadInput(t *testing.T) {
	requireNode(t)
	for _, broker := range []struct {
		name  string
		flags []string
		check func(*testing.T)
	}{
		{"memory", []string{"--broker=memory"}, nil},
		{"redis", []string{"--broker=redis", "--redis_url=" + sharedRedisURL}, func(t *testing.T) { requireRedis(t, sharedRedis) }},
		{"nats", []string{"--broker=nats", "--nats_servers=" + sharedNATSURL}, func(t *testing.T) { requireNATS(t, sharedNATS) }},
	} {
		t.Run(broker.name, func(t *testing.T) {
			if broker.check != nil {
				broker.check(t)
			}
			node := startNodes(t, 1, nil, append([]string{"--broadcast_adapter=http"}, broker.flags...)...)[0]
			testExtendedProtocolBadInput(t, node)
		})
	}
}

func testExtendedProtocolBadInput(t *testing.T, node *clusterNode) {
	stream := uniqueName("e2e_bad_input")
	id := jsonOf(map[string]string{"channel": "$pubsub", "stream_name": stream})
	second := jsonOf(map[string]string{"channel": "$pubsub", "stream_name": stream + "-second"})
	done := runNode(t, 60*time.Second, "ext_bad_input.js",
		"--url="+node.wsURL(), "--broadcast="+node.broadcastURL(), "--stream="+stream)

	if done["negotiated"] != "actioncable-v1-ext-json" {
		t.Errorf("negotiated %v", done["negotiated"])
	}
	reply := func(typ string) string { return jsonOf([]any{map[string]any{"type": typ, "identifier": id}}) }
	want := map[string]string{
		"historyMissing":       `[]`,
		"historyEmpty":         `[]`,
		"historyNotObject":     `[]`,
		"historyBadOffsetType": `[]`,
		"historyUnsubscribed":  `[]`,
		"historyNoIdentifier":  `[]`,
		"notJSON":              `[]`,
		"negativeOffset":       `[]`,
		"unknownEpoch":         reply("reject_history"),
		"unknownEpochZero":     reply("reject_history"),
		"futureOffset":         reply("reject_history"),
		"hugeOffset":           reply("reject_history"),
		"futureSince":          reply("confirm_history"),
		"joinMissingPresence":  `[]`,
		"joinWithoutId":        `[]`,
		"joinEmptyId":          `[]`,
		"joinBigInfo":          `[]`,
		"joinUnsubscribed":     `[]`,
		"subscribeWithUnknownEpoch": jsonOf([]any{
			map[string]any{"type": "confirm_subscription", "identifier": second},
			map[string]any{"type": "reject_history", "identifier": second},
		}),
		"presenceAfterBadJoins": jsonOf([]any{map[string]any{"type": "presence", "identifier": id, "message": map[string]any{"type": "info", "total": 0}}}),
	}
	replies, _ := done["replies"].(map[string]any)
	for name, w := range want {
		if got := jsonOf(replies[name]); got != w {
			t.Errorf("%s: answered %s, want %s", name, got, w)
		}
	}
	if len(replies) != len(want) {
		t.Errorf("the script ran %d cases, the test knows %d", len(replies), len(want))
	}

	if got, w := jsonOf(done["presence"]), jsonOf([]any{map[string]any{"type": "presence", "identifier": id,
		"message": map[string]any{"type": "info", "total": 1, "records": []any{map[string]any{"id": "ok", "info": map[string]any{"name": "ok"}}}}}}); got != w {
		t.Errorf("presence after a valid join: %s, want %s", got, w)
	}
	epoch, offset := done["epoch"], done["offset"].(float64)
	if got, w := jsonOf(done["history"]), jsonOf([]any{
		map[string]any{"identifier": id, "message": map[string]any{"n": 3}, "stream_id": stream, "epoch": epoch, "offset": offset + 1},
		map[string]any{"type": "confirm_history", "identifier": id},
	}); got != w {
		t.Errorf("history after the bad input: %s, want %s", got, w)
	}
	if got := jsonOf(done["observer"]); got != `[]` {
		t.Errorf("the other client received more than the broadcasts and the valid join: %s", got)
	}
	if got := jsonOf(done["closes"]); got != `[1000,1000]` {
		t.Errorf("close codes %s, want [1000,1000]", got)
	}

	if node.exited() {
		t.Fatalf("densecable exited: %v", node.err)
	}
	if code, _ := request(t, "GET", node.httpURL("/health"), "", ""); code != http.StatusOK {
		t.Errorf("health after the bad input: %d", code)
	}
	if out := node.out.String(); strings.Contains(out, "panic") {
		t.Errorf("densecable logged a panic")
	}
}
