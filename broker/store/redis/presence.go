package redisstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/redis/rueidis"

	"github.com/densecable/densecable/broker"
)

var errEmptyPresenceID = errors.New("presence id is empty")

func (b *Broker) presenceTTLMillis() string {
	return strconv.FormatInt(int64(b.opts.PresenceTTL)*1000, 10)
}

// presenceKeepMillis is the keys' safety TTL: if no node is left to sweep,
// Redis still drops the presence keys eventually.
func (b *Broker) presenceKeepMillis() string {
	return strconv.FormatInt(int64(b.opts.PresenceTTL)*1000*10, 10)
}

// PresenceAdd records sid as present in stream as id, then files the
// stream in the due index and the stream under the session (for touches).
func (b *Broker) PresenceAdd(ctx context.Context, stream, sid, id string, info []byte) (*broker.PresenceEvent, error) {
	if id == "" {
		return nil, errEmptyPresenceID
	}
	res := presenceAddScript.exec(ctx, b.client, b.keys.presence(stream),
		[]string{sid, id, string(info), b.presenceTTLMillis(), b.presenceKeepMillis()})
	arr, err := res.ToArray()
	if err != nil || len(arr) < 2 {
		return nil, fmt.Errorf("redis broker: presence add to %q: %w", stream, replyErr(err))
	}
	status, err := arr[0].AsInt64()
	if err != nil {
		return nil, fmt.Errorf("redis broker: presence add to %q: %w", stream, err)
	}
	if status < 0 {
		current, _ := arr[1].ToString()
		return nil, fmt.Errorf("%w: session is present as %q, not %q", broker.ErrPresenceIDMismatch, current, id)
	}
	if len(arr) != 3 {
		return nil, fmt.Errorf("redis broker: presence add to %q: %w", stream, replyErr(nil))
	}
	wasEmpty, err1 := arr[1].AsInt64()
	expiry, err2 := arr[2].AsInt64()
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("redis broker: presence add to %q: %w", stream, err)
	}

	// A join into an empty set raises the index entry past now, so that a
	// sweeper that just found the set empty does not drop it (see
	// presence_unindex.lua); otherwise the entry is kept as it is (it is
	// at most the set's earliest expiry), or restored if missing.
	due := b.client.B().Zadd().Key(b.keys.due())
	var index rueidis.Completed
	if wasEmpty == 1 {
		index = due.Gt().ScoreMember().ScoreMember(float64(expiry), stream).Build()
	} else {
		index = due.Nx().ScoreMember().ScoreMember(float64(expiry), stream).Build()
	}
	mk := b.keys.memberStreams(sid)
	for _, r := range b.client.DoMulti(ctx, index,
		b.client.B().Sadd().Key(mk).Member(stream).Build(),
		b.client.B().Pexpire().Key(mk).Milliseconds(int64(b.opts.PresenceTTL)*1000*10).Build()) {
		if err := r.Error(); err != nil {
			return nil, fmt.Errorf("redis broker: presence index for %q: %w", stream, err)
		}
	}
	if status == 0 {
		return nil, nil
	}
	return &broker.PresenceEvent{Type: "join", ID: id, Info: slices.Clone(info)}, nil
}

// PresenceRemove removes sid from stream.
func (b *Broker) PresenceRemove(ctx context.Context, stream, sid string) (*broker.PresenceEvent, error) {
	id, err := presenceRemoveScript.exec(ctx, b.client, b.keys.presence(stream), []string{sid}).ToString()
	if err != nil && !rueidis.IsRedisNil(err) {
		return nil, fmt.Errorf("redis broker: presence remove from %q: %w", stream, err)
	}
	if err := b.client.Do(ctx, b.client.B().Srem().Key(b.keys.memberStreams(sid)).Member(stream).Build()).Error(); err != nil {
		b.log.Debug("presence index cleanup failed", "stream", stream, "error", err)
	}
	if rueidis.IsRedisNil(err) || id == "" {
		return nil, nil
	}
	return &broker.PresenceEvent{Type: "leave", ID: id}, nil
}

// PresenceInfo returns the stream's ids, sorted, with their info.
func (b *Broker) PresenceInfo(ctx context.Context, stream string) (*broker.PresenceInfo, error) {
	records, err := b.client.Do(ctx, b.client.B().Hgetall().Key(b.keys.presence(stream)[2]).Build()).AsStrMap()
	if err != nil {
		return nil, fmt.Errorf("redis broker: presence of %q: %w", stream, err)
	}
	info := &broker.PresenceInfo{Total: len(records), Records: make([]broker.PresenceRecord, 0, len(records))}
	for id, data := range records {
		r := broker.PresenceRecord{ID: id}
		if data != "" { // joined without info: nil, as the memory broker has it
			r.Info = []byte(data)
		}
		info.Records = append(info.Records, r)
	}
	slices.SortFunc(info.Records, func(a, b broker.PresenceRecord) int { return strings.Compare(a.ID, b.ID) })
	return info, nil
}

// TouchPresence moves sid's expiry in every stream it is present in.
func (b *Broker) TouchPresence(ctx context.Context, sid string) error {
	mk := b.keys.memberStreams(sid)
	streams, err := b.client.Do(ctx, b.client.B().Smembers().Key(mk).Build()).AsStrSlice()
	if err != nil {
		return fmt.Errorf("redis broker: touch presence: %w", err)
	}
	if len(streams) == 0 {
		return nil
	}
	ttl, keep := b.presenceTTLMillis(), b.presenceKeepMillis()
	runs := make([]rueidis.LuaExec, len(streams))
	for i, s := range streams {
		runs[i] = rueidis.LuaExec{Keys: b.keys.presence(s), Args: []string{sid, ttl, keep}}
	}
	var gone []string
	var errs []error
	for i, r := range presenceTouchScript.execMulti(ctx, b.client, runs) {
		n, err := r.AsInt64()
		switch {
		case err != nil:
			errs = append(errs, err)
		case n == 0:
			gone = append(gone, streams[i])
		}
	}
	cmds := rueidis.Commands{b.client.B().Pexpire().Key(mk).Milliseconds(int64(b.opts.PresenceTTL) * 1000 * 10).Build()}
	if len(gone) > 0 {
		cmds = append(cmds, b.client.B().Srem().Key(mk).Member(gone...).Build())
	}
	for _, r := range b.client.DoMulti(ctx, cmds...) {
		errs = append(errs, r.Error())
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("redis broker: touch presence: %w", err)
	}
	return nil
}
