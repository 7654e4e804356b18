package pusher

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"

	"github.com/densecable/densecable/broker"
	"github.com/densecable/densecable/encoders"
	"github.com/densecable/densecable/encoders/jsonkit"
	"github.com/densecable/densecable/frames"
	"github.com/densecable/densecable/rpcclient/rpcpb"
	"github.com/densecable/densecable/sessions/protocol"
)

// AuthorizeConnect accepts a client of this app's key that speaks a
// supported protocol version, without RPC (Pusher connections never call
// the application). The identifiers name the socket, so that nothing else
// (a remote disconnect for "") matches it.
func (p *Protocol) AuthorizeConnect(sid string, req *frames.Request) protocol.AuthResult {
	key := strings.TrimPrefix(req.Path(), Path+"/")
	if key != p.opts.AppKey {
		return protocol.AuthResult{Outcome: protocol.AuthReject, Reason: reasonAppNotFound, Code: CodeAppNotFound}
	}
	// A client that names no version is taken to speak the current one.
	if v := req.Query().Get("protocol"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return protocol.AuthResult{Outcome: protocol.AuthReject, Reason: reasonInvalidVersion, Code: CodeInvalidVersion}
		}
		if n < minVersion || n > maxVersion {
			return protocol.AuthResult{Outcome: protocol.AuthReject, Reason: reasonUnsupportedVersion, Code: CodeUnsupportedVersion}
		}
	}
	return protocol.AuthResult{Outcome: protocol.AuthOK, Identifiers: `{"socket_id":"` + sid + `"}`}
}

// Channel state keys: the core's whisper ($w) and presence ($p) streams,
// and the member's user id (client events on presence channels carry it).
const (
	stateWhisper  = "$w"
	statePresence = "$p"
	stateUserID   = "user_id"
)

// AuthorizeSubscribe decides every Pusher subscription itself: public
// channels are open; private- and presence- channels need the signature
// of "socket_id:channel" (":channel_data" added for presence) with the
// app secret, as "KEY:hex". A refusal is pusher:subscription_error.
func (p *Protocol) AuthorizeSubscribe(sid, _, channel string, m *protocol.Command) *rpcpb.CommandResponse {
	private := strings.HasPrefix(channel, "private-")
	presence := strings.HasPrefix(channel, "presence-")
	if strings.HasPrefix(channel, "private-encrypted-") {
		return refuse(channel, "UnsupportedFeature", "Encrypted channels are not supported", 400)
	}
	res := &rpcpb.CommandResponse{Status: rpcpb.Status_SUCCESS, Streams: []string{channel}}
	if !private && !presence {
		res.Transmissions = []string{succeeded(channel, nil)}
		return res
	}
	signed := sid + ":" + channel
	if presence {
		signed += ":" + string(m.RawData)
	}
	if !p.validAuth(m.Data, signed) {
		return refuse(channel, "AuthError", "Invalid signature", 401)
	}
	state := map[string]string{stateWhisper: channel}
	if presence {
		if m.Presence == nil {
			return refuse(channel, "AuthError", "channel_data with a user_id is required", 400)
		}
		state[statePresence] = channel
		state[stateUserID] = m.Presence.ID
		res.Transmissions = []string{succeeded(channel, p.members(channel, m.Presence))}
	} else {
		res.Transmissions = []string{succeeded(channel, nil)}
	}
	res.Env = &rpcpb.EnvResponse{Istate: state}
	return res
}

// validAuth checks "KEY:hex(HMAC-SHA256(secret, signed))" in constant time.
func (p *Protocol) validAuth(auth, signed string) bool {
	key, sig, ok := strings.Cut(auth, ":")
	if !ok || key != p.opts.AppKey {
		return false
	}
	got, err := hex.DecodeString(sig)
	if err != nil {
		return false
	}
	return hmac.Equal(got, Sign(p.opts.Secret, signed))
}

// Sign is HMAC-SHA256 of msg with the secret (Pusher's channel
// authorization; what a backend's /broadcasting/auth computes).
func Sign(secret, msg string) []byte {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte(msg))
	return h.Sum(nil)
}

// members lists the channel's presence with the joining member added: the
// core joins it after this list is read (and before the confirmation goes
// out), and Pusher's subscription_succeeded includes the subscriber.
func (p *Protocol) members(channel string, me *encoders.PresenceRequest) *broker.PresenceInfo {
	var info broker.PresenceInfo
	if p.opts.Presence != nil {
		if got, err := p.opts.Presence.PresenceInfo(context.Background(), channel); err == nil && got != nil {
			info = *got
		}
	}
	for _, r := range info.Records {
		if r.ID == me.ID {
			return &info
		}
	}
	info.Records = append(info.Records[:len(info.Records):len(info.Records)], broker.PresenceRecord{ID: me.ID, Info: me.Info})
	info.Total = len(info.Records)
	return &info
}

// succeeded renders pusher_internal:subscription_succeeded; for presence
// channels its data is the JSON string {"presence":{"ids","hash","count"}}.
func succeeded(channel string, members *broker.PresenceInfo) string {
	b := []byte(`{"event":"pusher_internal:subscription_succeeded"`)
	b = appendChannel(b, channel)
	b = append(b, `,"data":`...)
	if members == nil {
		return string(append(b, `"{}"}`...))
	}
	inner := []byte(`{"presence":{"ids":[`)
	for i, r := range members.Records {
		if i > 0 {
			inner = append(inner, ',')
		}
		inner = jsonkit.AppendString(inner, r.ID)
	}
	inner = append(inner, `],"hash":{`...)
	for i, r := range members.Records {
		if i > 0 {
			inner = append(inner, ',')
		}
		inner = jsonkit.AppendString(inner, r.ID)
		inner = append(inner, ':')
		if len(r.Info) == 0 {
			inner = append(inner, "null"...)
		} else {
			inner = append(inner, r.Info...)
		}
	}
	inner = append(inner, `},"count":`...)
	inner = strconv.AppendInt(inner, int64(len(members.Records)), 10)
	inner = append(inner, "}}"...)
	b = appendJSONString(b, inner)
	return string(append(b, '}'))
}

func refuse(channel, typ, msg string, status int) *rpcpb.CommandResponse {
	return &rpcpb.CommandResponse{Status: rpcpb.Status_FAILURE,
		Transmissions: []string{string(appendSubscriptionError(nil, channel, typ, msg, status))}}
}
