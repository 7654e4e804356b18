package redisstore

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/redis/rueidis"

	"github.com/densecable/densecable/broker"
)

// backdate makes sid's presence in stream look expired long ago.
func backdate(t *testing.T, c rueidis.Client, n *node, stream, sid string) {
	t.Helper()
	ctx := context.Background()
	z := n.keys.presence(stream)[0]
	if err := c.Do(ctx, c.B().Zadd().Key(z).Xx().ScoreMember().ScoreMember(1, sid).Build()).Error(); err != nil {
		t.Fatal(err)
	}
	if err := c.Do(ctx, c.B().Zadd().Key(n.keys.due()).ScoreMember().ScoreMember(1, stream).Build()).Error(); err != nil {
		t.Fatal(err)
	}
}

func score(t *testing.T, c rueidis.Client, key, member string) int64 {
	t.Helper()
	s, err := c.Do(context.Background(), c.B().Zscore().Key(key).Member(member).Build()).AsFloat64()
	if rueidis.IsRedisNil(err) {
		return -1
	}
	if err != nil {
		t.Fatal(err)
	}
	return int64(s)
}

// A touch moves a session's expiry in every stream it is in; an untouched
// session expires while the touched one stays (no waiting: expiries are
// backdated by hand).
func TestTouchKeepsPresence(t *testing.T) {
	t.Parallel()
	c := newClient(t, sharedURL)
	n := startNode(t, c, testPrefix(t, c), nodeOpts{opts: broker.DefaultOptions()})
	ctx := context.Background()
	for _, m := range [][3]string{{"room", "s1", "u1"}, {"room", "s2", "u2"}, {"lobby", "s2", "u2"}} {
		if _, err := n.PresenceAdd(ctx, m[0], m[1], m[2], nil); err != nil {
			t.Fatal(err)
		}
	}
	for _, m := range [][2]string{{"room", "s1"}, {"room", "s2"}, {"lobby", "s2"}} {
		backdate(t, c, n, m[0], m[1])
	}
	before := time.Now().UnixMilli()
	if err := n.TouchPresence(ctx, "s2"); err != nil {
		t.Fatal(err)
	}
	for _, stream := range []string{"room", "lobby"} {
		if s := score(t, c, n.keys.presence(stream)[0], "s2"); s < before+14_000 {
			t.Fatalf("touched expiry in %s is %d, want ≥ now+presence_ttl (%d)", stream, s, before+15_000)
		}
	}
	if err := n.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if got := n.expired.all(); !slices.Equal(got, []string{"room/leave/u1"}) {
		t.Fatalf("expired %v, want only u1 in room", got)
	}
	// s1's bookkeeping is gone with it.
	if ok, _ := c.Do(ctx, c.B().Exists().Key(n.keys.memberStreams("s1")).Build()).AsBool(); ok {
		t.Fatal("the expired session's stream set is still there")
	}
}

// Touching a session that left does not bring it back, and drops the
// stream from the session's set.
func TestTouchAfterRemove(t *testing.T) {
	t.Parallel()
	c := newClient(t, sharedURL)
	n := startNode(t, c, testPrefix(t, c), nodeOpts{opts: broker.DefaultOptions()})
	ctx := context.Background()
	if _, err := n.PresenceAdd(ctx, "room", "s1", "u1", nil); err != nil {
		t.Fatal(err)
	}
	// Remove it behind the member set's back, as a sweep on a node that
	// died before its cleanup would.
	if _, err := presenceRemoveScript.exec(ctx, c, n.keys.presence("room"), []string{"s1"}).ToString(); err != nil {
		t.Fatal(err)
	}
	if err := n.TouchPresence(ctx, "s1"); err != nil {
		t.Fatal(err)
	}
	if s := score(t, c, n.keys.presence("room")[0], "s1"); s != -1 {
		t.Fatalf("touch revived a removed session (score %d)", s)
	}
	members, _ := c.Do(ctx, c.B().Smembers().Key(n.keys.memberStreams("s1")).Build()).AsStrSlice()
	if len(members) != 0 {
		t.Fatalf("session still lists %v", members)
	}
}

// A join into a stream whose set a sweeper has just emptied survives the
// sweeper's index cleanup (which runs as a separate step).
func TestJoinBetweenSweepSteps(t *testing.T) {
	t.Parallel()
	c := newClient(t, sharedURL)
	n := startNode(t, c, testPrefix(t, c), nodeOpts{opts: broker.DefaultOptions()})
	ctx := context.Background()
	if _, err := n.PresenceAdd(ctx, "room", "s1", "u1", nil); err != nil {
		t.Fatal(err)
	}
	backdate(t, c, n, "room", "s1")
	// Sweeper step 1: pop the expired session; the set is now empty.
	left, _, next, err := parseExpired(presenceExpireScript.exec(ctx, c, n.keys.presence("room"), []string{"10"}))
	if err != nil || !slices.Equal(left, []string{"u1"}) || next != -1 {
		t.Fatalf("expire: %v %d %v", left, next, err)
	}
	// A join comes in before step 2.
	if _, err := n.PresenceAdd(ctx, "room", "s2", "u2", nil); err != nil {
		t.Fatal(err)
	}
	// Step 2: drop the index entry if still due. It is not.
	if removed, err := presenceUnindex.exec(ctx, c, []string{n.keys.due()}, []string{"room"}).AsInt64(); err != nil || removed != 0 {
		t.Fatalf("unindex removed the entry of a live set: %d, %v", removed, err)
	}
	if s := score(t, c, n.keys.due(), "room"); s < time.Now().UnixMilli() {
		t.Fatalf("index score %d is not the new member's expiry", s)
	}
}

// Presence keys carry a safety TTL, so a cluster with no node left to
// sweep does not leave them forever.
func TestPresenceKeysExpire(t *testing.T) {
	t.Parallel()
	c := newClient(t, sharedURL)
	n := startNode(t, c, testPrefix(t, c), nodeOpts{opts: broker.DefaultOptions()})
	ctx := context.Background()
	if _, err := n.PresenceAdd(ctx, "room", "s1", "u1", []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	for _, k := range append(n.keys.presence("room"), n.keys.memberStreams("s1")) {
		ttl, err := c.Do(ctx, c.B().Pttl().Key(k).Build()).AsInt64()
		if err != nil || ttl <= 0 || ttl > 150_000 {
			t.Fatalf("%s: PTTL %d (%v), want (0, 10×presence_ttl]", k, ttl, err)
		}
	}
}
