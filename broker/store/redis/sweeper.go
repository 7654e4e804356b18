package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/rueidis"

	"github.com/densecable/densecable/broker"
)

// maxSweepRounds bounds one Sweep when many streams are due at once; the
// rest waits for the next tick.
const maxSweepRounds = 8

// sweepTick is one round of the sweeper, bounded in time; a failure is
// logged when it starts and when it ends, not at every round.
func (b *Broker) sweepTick() {
	ctx, cancel := context.WithTimeout(context.Background(), max(b.interval, time.Second)*5)
	err := b.Sweep(ctx)
	cancel()
	switch {
	case err != nil && !b.sweepFailing.Swap(true):
		b.log.Warn("presence sweep failed", "error", err)
	case err == nil && b.sweepFailing.Swap(false):
		b.log.Info("presence sweep works again")
	}
}

// Sweep removes the presence that expired (no join or touch within
// presence_ttl, by Redis's clock) and hands the leave events to onExpire.
// Every node runs it; each expired session is popped by one of them.
// History and sessions expire by Redis key TTLs.
func (b *Broker) Sweep(ctx context.Context) error {
	for range maxSweepRounds {
		n, err := b.sweepRound(ctx)
		if err != nil || n < b.batch {
			return err
		}
	}
	return nil
}

// sweepRound handles up to batch due streams and says how many were due.
func (b *Broker) sweepRound(ctx context.Context) (int, error) {
	c := b.client
	now, err := redisNowMillis(ctx, c)
	if err != nil {
		return 0, err
	}
	streams, err := c.Do(ctx, c.B().Zrangebyscore().Key(b.keys.due()).Min("-inf").
		Max(strconv.FormatInt(now, 10)).Limit(0, int64(b.batch)).Build()).AsStrSlice()
	if err != nil {
		return 0, fmt.Errorf("read due presence: %w", err)
	}
	if len(streams) == 0 {
		return 0, nil
	}
	batch := strconv.Itoa(b.batch)
	runs := make([]rueidis.LuaExec, len(streams))
	for i, s := range streams {
		runs[i] = rueidis.LuaExec{Keys: b.keys.presence(s), Args: []string{batch}}
	}
	var (
		errs    []error
		cleanup rueidis.Commands
		unindex []rueidis.LuaExec
	)
	for i, r := range presenceExpireScript.execMulti(ctx, c, runs) {
		left, sids, next, err := parseExpired(r)
		if err != nil {
			errs = append(errs, fmt.Errorf("expire presence of %q: %w", streams[i], err))
			continue
		}
		if len(left) > 0 && b.onExpire != nil {
			events := make([]broker.PresenceEvent, len(left))
			for j, id := range left {
				events[j] = broker.PresenceEvent{Type: "leave", ID: id}
			}
			b.onExpire(streams[i], events)
		}
		for _, sid := range sids {
			cleanup = append(cleanup, c.B().Srem().Key(b.keys.memberStreams(sid)).Member(streams[i]).Build())
		}
		if next < 0 {
			unindex = append(unindex, rueidis.LuaExec{Keys: []string{b.keys.due()}, Args: []string{streams[i]}})
		} else {
			cleanup = append(cleanup, c.B().Zadd().Key(b.keys.due()).ScoreMember().ScoreMember(float64(next), streams[i]).Build())
		}
	}
	if len(cleanup) > 0 {
		for _, r := range c.DoMulti(ctx, cleanup...) {
			errs = append(errs, r.Error())
		}
	}
	if len(unindex) > 0 {
		for _, r := range presenceUnindex.execMulti(ctx, c, unindex) {
			errs = append(errs, r.Error())
		}
	}
	return len(streams), errors.Join(errs...)
}

// parseExpired reads presence_expire.lua's {left ids, popped sids, next}.
func parseExpired(r rueidis.RedisResult) (left, sids []string, next int64, err error) {
	arr, err := r.ToArray()
	if err != nil {
		return nil, nil, 0, err
	}
	if len(arr) != 3 {
		return nil, nil, 0, errBadReply
	}
	if left, err = arr[0].AsStrSlice(); err != nil {
		return nil, nil, 0, err
	}
	if sids, err = arr[1].AsStrSlice(); err != nil {
		return nil, nil, 0, err
	}
	next, err = arr[2].AsInt64()
	return left, sids, next, err
}

// redisNowMillis reads Redis's clock, the one presence expiry uses, so that
// nodes with skewed clocks agree on what is due.
func redisNowMillis(ctx context.Context, c rueidis.Client) (int64, error) {
	parts, err := c.Do(ctx, c.B().Time().Build()).AsStrSlice()
	if err != nil || len(parts) != 2 {
		return 0, fmt.Errorf("read Redis time: %w", replyErr(err))
	}
	sec, err1 := strconv.ParseInt(parts[0], 10, 64)
	usec, err2 := strconv.ParseInt(parts[1], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, fmt.Errorf("read Redis time: %w", err)
	}
	return sec*1000 + usec/1000, nil
}
