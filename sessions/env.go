package sessions

import (
	"strings"

	"github.com/densecable/densecable/broker"
	"github.com/densecable/densecable/frames"
	"github.com/densecable/densecable/rpcclient/rpcpb"
)

// requestURL rebuilds the absolute request URL the way the reference passes
// it to RPC: http(s)://<Host><RequestURI>, never ws://.
// A session keeps its copy from the node's urlCache.
func requestURL(req *frames.Request, tls bool) string { return urlScheme(tls) + req.Host + req.URI }

func urlScheme(tls bool) string {
	if tls {
		return "https://"
	}
	return "http://"
}

// envHeaders selects the headers passed to RPC: the configured names (first
// value, empty ones left out), the Cookie header filtered by --proxy-cookies,
// and always REMOTE_ADDR.
func envHeaders(req *frames.Request, remoteIP string, names, cookies []string) []frames.Header {
	out := make([]frames.Header, 0, len(names)+1)
	for _, name := range names {
		v := req.Get(name)
		if name == "cookie" && len(cookies) > 0 && v != "" {
			v = filterCookies(v, cookies)
		}
		if v != "" {
			out = append(out, frames.Header{Key: name, Value: v})
		}
	}
	return append(out, frames.Header{Key: "REMOTE_ADDR", Value: remoteIP})
}

// filterCookies reproduces the reference's filter byte for byte: split on
// ';' without trimming, keep pieces that split into exactly two parts on '='
// and whose name is allowed, each followed by ';'.
func filterCookies(header string, allowed []string) string {
	var b strings.Builder
	for _, piece := range strings.Split(header, ";") {
		parts := strings.Split(piece, "=")
		if len(parts) != 2 {
			continue
		}
		for _, a := range allowed {
			if parts[0] == a {
				b.WriteString(piece)
				b.WriteByte(';')
				break
			}
		}
	}
	return b.String()
}

// env builds the RPC env for a call; istate is the channel's state or nil.
func (s *Session) env(istate map[string]string) *rpcpb.Env {
	h := make(map[string]string, len(s.headers))
	for _, kv := range s.headers {
		h[kv.Key] = kv.Value
	}
	return &rpcpb.Env{Url: s.url, Headers: h, Cstate: s.cstate, Istate: istate}
}

// newSID makes a 21-character nanoid-style id.
func newSID() string { return broker.NanoID(21) }

// mergeState applies an RPC state update: "" deletes a key.
func mergeState(dst map[string]string, upd map[string]string) map[string]string {
	if len(upd) == 0 {
		return dst
	}
	if dst == nil {
		dst = make(map[string]string, len(upd))
	}
	for k, v := range upd {
		if v == "" {
			delete(dst, k)
		} else {
			dst[k] = v
		}
	}
	if len(dst) == 0 {
		return nil
	}
	return dst
}
