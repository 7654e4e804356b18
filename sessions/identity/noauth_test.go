package identity

import (
	"encoding/json"
	"testing"

	"github.com/densecable/densecable/sessions"
)

func TestNoAuth(t *testing.T) {
	for _, sid := range []string{"abc123", `we"ird<&>`, ""} {
		res := NoAuth().Authenticate(sid, nil)
		if res.Outcome != sessions.AuthOK {
			t.Fatalf("%q: outcome %v", sid, res.Outcome)
		}
		want, _ := json.Marshal(map[string]string{"sid": sid})
		if res.Identifiers != string(want) {
			t.Errorf("%q: got %s, want %s", sid, res.Identifiers, want)
		}
	}
	if got := NoAuth().Authenticate("x1", nil).Identifiers; got != `{"sid":"x1"}` {
		t.Fatalf("got %s", got)
	}
}
