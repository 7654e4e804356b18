package brokertest

import (
	"testing"
	"time"
)

// Eventually polls cond until it holds, failing the test after timeout (a
// bound for a loaded machine, not a timing assertion).
func Eventually(t testing.TB, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
