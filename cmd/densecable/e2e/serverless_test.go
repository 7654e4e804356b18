package e2e

import (
	"strconv"
	"testing"
	"time"
)

// TestServerlessJSOverHTTPRPC: densecable with HTTP RPC (Bearer token
// derived from --secret) in front of an application built with
// @anycable/serverless-js; an @anycable/core client connects, is refused
// without identity, subscribes, keeps channel state across performs,
// survives an action whose RPC answer is HTTP 500, and receives the
// application's broadcast. Disconnect reaches the application with the
// identifiers and subscriptions.
func TestServerlessJSOverHTTPRPC(t *testing.T) {
	requireNode(t)
	const secret = "e2e-serverless-secret"
	srv, app := startWithServerlessApp(t, secret)

	done := runNode(t, 30*time.Second, "serverless_client.mjs", "--url="+srv.wsURL())
	if done["refused"] != "unauthorized" {
		t.Errorf("connection without user: %v, want unauthorized", done["refused"])
	}
	if done["rejected"] != "rejected" {
		t.Errorf("subscription without room: %v, want rejected", done["rejected"])
	}
	if got := jsonOf(done["first"]); got != `{"performs":1,"text":"before","user":"alice"}` {
		t.Errorf("first echo %s", got)
	}
	// explode failed before touching the state, so the count goes on from 1.
	if got := jsonOf(done["second"]); got != `{"performs":2,"text":"after","user":"alice"}` {
		t.Errorf("echo after the failing action %s (channel state lost?)", got)
	}

	// Every call carried the right token (a wrong one gets 401 and an
	// "rpc" event with http 401), the failing action got its 500, and the
	// client's disconnect reached the application.
	var saw500 bool
	for {
		e := app.await("rpc")
		switch {
		case e["http"] == float64(401):
			t.Fatalf("HTTP RPC call without the derived token: %s", jsonOf(e))
		case e["http"] == float64(500):
			saw500 = true
		case e["method"] == "disconnect" && jsonOf(e["identifiers"]) == `"{\"user\":\"alice\"}"`:
			if got := jsonOf(e["subscriptions"]); got != `["{\"channel\":\"chat\",\"room\":\"lobby\"}"]` {
				t.Errorf("disconnect subscriptions %s", got)
			}
			if !saw500 {
				t.Error("the explode action never reached the application")
			}
			return
		}
	}
}

// startWithServerlessApp starts js/serverless_app.mjs and a densecable
// using it over HTTP RPC with the Bearer token derived from secret, HTTP
// broadcasts on the main port, and extra flags.
func startWithServerlessApp(t *testing.T, secret string, flags ...string) (*server, *nodeScript) {
	t.Helper()
	port, appPort := freePort(t), freePort(t)
	app := startNode(t, 60*time.Second, "serverless_app.mjs",
		"--port="+strconv.Itoa(appPort), "--secret="+secret,
		"--broadcast=http://"+hostPort(port)+"/_broadcast")
	app.await("listening")
	srv := startServerOn(t, port, append([]string{"--rpc_host=http://" + hostPort(appPort) + "/api/anycable",
		"--secret=" + secret, "--broadcast_adapter=http"}, flags...)...)
	return srv, app
}
