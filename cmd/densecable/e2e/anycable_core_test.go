package e2e

import (
	"testing"
	"time"
)

// TestAnyCableCoreStandalone: the official @anycable/core client against a
// densecable without RPC: JWT through the sub-protocol (good, forged,
// expired, alg=none and missing tokens), streamFrom on a public stream,
// streamFromSigned (and a tampered signed name), whispers between two
// clients on a signed stream. Once per JSON protocol flavour.
func TestAnyCableCoreStandalone(t *testing.T) {
	requireNode(t)
	const secret = "e2e-application-secret"
	srv := startServer(t, "--norpc", "--secret="+secret, "--enforce_jwt",
		"--public_streams", "--streams_whisper", "--broadcast_adapter=http")
	broadcastKey := derivedKey(secret, "broadcast-cable")

	now := time.Now()
	tokens := jsonOf(map[string]string{
		"alice":   jwtHS256(t, secret, map[string]string{"user": "alice"}, now.Add(time.Hour)),
		"bob":     jwtHS256(t, secret, map[string]string{"user": "bob"}, now.Add(time.Hour)),
		"forged":  jwtHS256(t, "not-the-secret", map[string]string{"user": "mallory"}, now.Add(time.Hour)),
		"expired": jwtHS256(t, secret, map[string]string{"user": "alice"}, now.Add(-time.Minute)),
		"none":    jwtNone(t, map[string]string{"user": "mallory"}),
	})

	for _, protocol := range []string{"actioncable-v1-json", "actioncable-v1-ext-json"} {
		t.Run(protocol, func(t *testing.T) {
			stream := "chat/" + protocol
			signed := signedStream(t, secret, stream)
			done := runNode(t, 30*time.Second, "anycable_core_client.mjs",
				"--url="+srv.wsURL(),
				"--broadcast="+srv.httpURL("/_broadcast"),
				"--key="+broadcastKey,
				"--protocol="+protocol,
				"--tokens="+tokens,
				"--public=public/"+protocol,
				"--stream="+stream,
				"--signed="+signed,
				"--tampered="+tamper(signed),
			)
			if done["negotiated"] != protocol {
				t.Errorf("negotiated sub-protocol %v, want %s", done["negotiated"], protocol)
			}
			want := `{"expired":"token_expired","forged":"unauthorized","missing":"unauthorized","none":"unauthorized"}`
			if got := jsonOf(done["reasons"]); got != want {
				t.Errorf("refusal reasons %s, want %s", got, want)
			}
			if done["tampered"] != "rejected" {
				t.Errorf("tampered signed stream: %v, want rejected", done["tampered"])
			}
			if got := jsonOf(done["whisper"]); got != `{"event":"typing","name":"alice"}` {
				t.Errorf("whisper %s", got)
			}
		})
	}
}
