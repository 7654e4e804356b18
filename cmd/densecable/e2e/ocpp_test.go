package e2e

import (
	"strconv"
	"testing"
	"time"
)

// startOCPP starts the bench RPC application (gRPC or HTTP RPC) and a
// densecable serving OCPP at /ocpp with it; it returns the server and its
// HTTP broadcast URL.
func startOCPP(t *testing.T, rpc string, flags ...string) (*server, string) {
	t.Helper()
	flags = append([]string{"--ocpp_path=/ocpp"}, flags...)
	if rpc == "grpc" {
		return startWithBenchApp(t, flags...)
	}
	bport, hport := freePort(t), freePort(t)
	broadcastURL := "http://" + hostPort(bport) + "/_broadcast"
	app := startProc(t, "benchapp", binaries.benchapp,
		"--grpc=", "--http="+hostPort(hport), "--broadcast_url="+broadcastURL, "--broadcast_mode=sync")
	waitListening(t, app, hport)
	s := startServer(t, append([]string{
		"--rpc_host=http://" + hostPort(hport),
		"--broadcast_adapter=http",
		"--http_broadcast_port=" + strconv.Itoa(bport),
	}, flags...)...)
	return s, broadcastURL
}

func (s *server) ocppURL() string { return "ws://" + hostPort(s.port) + "/ocpp" }

// ocpp-rpc as a charge point, over gRPC and HTTP RPC: boot, heartbeat,
// default and application-provided acks, server calls from broadcasts and
// from the application, their CALLRESULT / CALLERROR in the ack / error
// actions.
func TestOCPPChargePoint(t *testing.T) {
	requireNode(t)
	for _, rpc := range []string{"grpc", "http"} {
		t.Run(rpc, func(t *testing.T) {
			s, bURL := startOCPP(t, rpc)
			id := uniqueName("CP")
			done := runNode(t, 90*time.Second, "ocpp_station.js", "--ocpp="+s.ocppURL(), "--cable="+s.wsURL(),
				"--broadcast="+bURL, "--identity="+id, "--granular=true")
			checkOCPPBoot(t, done, id, "boot_notification")
			expect(t, done, "authorize", map[string]any{"idTagInfo": map[string]any{"status": "Accepted"}})
			expect(t, done, "authorizeHeard.action", "authorize")
			expect(t, done, "start", map[string]any{"transactionId": 42.0, "idTagInfo": map[string]any{"status": "Accepted"}})
			expect(t, done, "status", map[string]any{"status": "Accepted"})
			expect(t, done, "statusHeard.action", "status_notification")
			expect(t, done, "trigger.params", map[string]any{"requestedMessage": "Heartbeat"})
			expect(t, done, "trigger.messageId", "trigger-1")
			expect(t, done, "triggerAck", map[string]any{"action": "ack", "id": "trigger-1", "command": "TriggerMessage", "payload": map[string]any{"status": "Accepted"}})
			resetID, _ := done.field("reset.messageId").(string)
			if resetID == "" {
				t.Errorf("a command without an id got none: %v", done["reset"])
			}
			expect(t, done, "resetError", map[string]any{"action": "error", "id": resetID, "command": "Reset",
				"code": "NotSupported", "message": "no resets today", "payload": map[string]any{"why": "test"}})
			expect(t, done, "dataTransfer", map[string]any{"status": "Accepted"})
			expect(t, done, "getConfigurationAck.command", "GetConfiguration")
			expect(t, done, "getConfigurationAck.payload", map[string]any{"configurationKey": []any{}})
		})
	}
}

// With --ocpp_granular_actions=false every call goes to receive.
func TestOCPPSingleAction(t *testing.T) {
	requireNode(t)
	s, bURL := startOCPP(t, "grpc", "--ocpp_granular_actions=false")
	id := uniqueName("CP")
	done := runNode(t, 60*time.Second, "ocpp_station.js", "--ocpp="+s.ocppURL(), "--cable="+s.wsURL(),
		"--broadcast="+bURL, "--identity="+id, "--granular=false")
	checkOCPPBoot(t, done, id, "receive")
	expect(t, done, "authorize", map[string]any{"status": "Accepted"}) // receive sends no Ack: the default one
	expect(t, done, "authorizeHeard.action", "receive")
}

func checkOCPPBoot(t *testing.T, done event, id, action string) {
	t.Helper()
	expect(t, done, "protocol", "ocpp1.6")
	expect(t, done, "boot.status", "Accepted")
	expect(t, done, "boot.interval", 30.0)
	for _, f := range []string{"boot.currentTime", "heartbeat.currentTime"} {
		if s, _ := done.field(f).(string); !isOCPPTime(s) {
			t.Errorf("%s = %v, want an OCPP dateTime", f, done.field(f))
		}
	}
	expect(t, done, "bootHeard.action", action)
	expect(t, done, "bootHeard.payload", map[string]any{"chargePointVendor": "densecable", "chargePointModel": "e2e"})
}

func isOCPPTime(s string) bool {
	_, err := time.Parse(time.RFC3339Nano, s)
	return err == nil
}

// expect compares one field of a script's result (as JSON).
func expect(t *testing.T, done event, path string, want any) {
	t.Helper()
	if got := done.field(path); jsonOf(got) != jsonOf(want) {
		t.Errorf("%s = %s, want %s", path, jsonOf(got), jsonOf(want))
	}
}

// Bad input with raw frames: refused upgrades (400) and CALLERRORs, and the
// connection still boots.
func TestOCPPBadInput(t *testing.T) {
	requireNode(t)
	s, _ := startOCPP(t, "grpc")
	done := runNode(t, 60*time.Second, "ocpp_bad_input.js", "--ocpp="+s.ocppURL()+"/"+uniqueName("CP"))
	expect(t, done, "noProtocol", 400.0)
	expect(t, done, "wrongProtocol", 400.0)
	expect(t, done, "protocol", "ocpp1.6")
	for field, code := range map[string]string{
		"notJSON": "FormationViolation", "notArray": "FormationViolation", "unknownType": "ProtocolError",
		"incomplete": "ProtocolError", "payloadNotObject": "FormationViolation", "badAction": "NotImplemented",
		"beforeBoot": "SecurityError",
	} {
		f, _ := done[field].([]any)
		if len(f) != 5 || f[0] != 4.0 || f[2] != code {
			t.Errorf("%s: got %s, want a CALLERROR %s", field, jsonOf(done[field]), code)
		}
	}
	boot, _ := done["boot"].([]any)
	if len(boot) != 3 || boot[0] != 3.0 || jsonOf(boot[2].(map[string]any)["status"]) != `"Accepted"` {
		t.Errorf("boot after bad input: %s", jsonOf(done["boot"]))
	}
	hb, _ := done["afterBoot"].([]any)
	if len(hb) != 3 || hb[0] != 3.0 {
		t.Errorf("heartbeat after boot: %s", jsonOf(done["afterBoot"]))
	}
	expect(t, done, "closed", false)
}

// Two nodes over Redis: commands broadcast on node B reach the charge
// point connected to node A, and its answers reach the application.
func TestOCPPTwoNodes(t *testing.T) {
	requireNode(t)
	requireRedis(t, sharedRedis)
	ports := freePorts(t, 2)
	urlA := "http://" + hostPort(ports[0]) + "/_broadcast"
	urlB := "http://" + hostPort(ports[1]) + "/_broadcast"
	app := startBenchApp(t, urlA)
	node := func(bport int) *server {
		return startServer(t, "--ocpp_path=/ocpp", "--rpc_host="+hostPort(app.grpcPort),
			"--broadcast_adapter=http", "--http_broadcast_port="+strconv.Itoa(bport),
			"--pubsub=redis", "--redis_url="+sharedRedisURL)
	}
	a, _ := node(ports[0]), node(ports[1])
	id := uniqueName("CP")
	done := runNode(t, 90*time.Second, "ocpp_station.js", "--ocpp="+a.ocppURL(), "--cable="+a.wsURL(),
		"--broadcast="+urlB, "--identity="+id, "--granular=true")
	expect(t, done, "trigger.messageId", "trigger-1")
	expect(t, done, "triggerAck.payload", map[string]any{"status": "Accepted"})
	expect(t, done, "resetError.code", "NotSupported")
}
