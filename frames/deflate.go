package frames

import (
	"bytes"

	"github.com/gobwas/httphead"
	"github.com/gobwas/ws/wsflate"
)

// permessage-deflate (RFC 7692) negotiation. By default densecable agrees
// to no context takeover in both directions: every message is deflated and
// inflated on its own, so a connection holds no compression window between
// messages (its idle cost does not grow) and a broadcast is compressed once
// for every compressed subscriber (see DeflateFramer). With takeover
// allowed (--ws_compression_context_takeover) the response keeps what the
// client offered: a client that compresses with context takeover gets a
// per-connection inflate window (deflate_window.go), while the server still
// deflates each message on its own: takeover lets an endpoint refer to
// earlier messages, it never obliges it to (docs/compression.md says why).

// deflateOffer accepts the first acceptable permessage-deflate offer and
// declines the others (RFC 7692 §5: the server picks one). takeover allows
// context takeover; windowBits is then the client's window (0: the client
// agreed not to take over context).
type deflateOffer struct {
	takeover   bool
	accepted   bool
	windowBits int
}

// negotiate is gobwas/ws's Upgrader.Negotiate callback, called for each
// offered extension in the client's order. A zero option declines it.
func (d *deflateOffer) negotiate(opt httphead.Option) (httphead.Option, error) {
	if d.accepted || !bytes.Equal(opt.Name, wsflate.ExtensionNameBytes) {
		return httphead.Option{}, nil
	}
	resp, bits, ok := acceptDeflate(opt, d.takeover)
	if ok {
		d.accepted = true
		d.windowBits = bits
	}
	return resp, nil
}

// acceptDeflate answers one offer, or declines it (ok=false) when it is
// malformed (unknown, duplicate or invalid parameters, §7.1) or asks for
// what we cannot honour. windowBits is the client's LZ77 window when it
// may take over context (takeover allowed and not refused in the offer),
// else 0.
func acceptDeflate(opt httphead.Option, takeover bool) (resp httphead.Option, windowBits int, ok bool) {
	var offer wsflate.Parameters
	if err := offer.Parse(opt); err != nil {
		return resp, 0, false
	}
	// §7.1.2.1: with server_max_window_bits=N the server must compress
	// with a window of at most 2^N bytes. The deflate encoder always may
	// refer back 32 KB, so only 15 can be honoured.
	if offer.ServerMaxWindowBits.Defined() && offer.ServerMaxWindowBits != 15 {
		return resp, 0, false
	}
	if takeover {
		return acceptTakeover(offer)
	}
	// We inflate with a 32 KB window, which reads whatever window the client
	// uses: client_max_window_bits needs no answer (§7.1.2.2: the server
	// may leave it out). Both no_context_takeover parameters may be sent
	// whether or not they were offered (§7.1.1).
	p := wsflate.Parameters{
		ServerNoContextTakeover: true,
		ClientNoContextTakeover: true,
		ServerMaxWindowBits:     offer.ServerMaxWindowBits,
	}
	return p.Option(), 0, true
}

// acceptTakeover answers an acceptable offer when context takeover is
// allowed: the no_context_takeover parameters only when the client asked
// for them (§7.1.1.1: a requested server_no_context_takeover must be
// echoed; §7.1.1.2: client_no_context_takeover may be). The server keeps no
// window in either case: it deflates each message on its own, which a
// client keeping its window decodes the same (a message that refers to no
// earlier one is valid under takeover).
func acceptTakeover(offer wsflate.Parameters) (httphead.Option, int, bool) {
	p := wsflate.Parameters{
		ServerNoContextTakeover: offer.ServerNoContextTakeover,
		ClientNoContextTakeover: offer.ClientNoContextTakeover,
		ServerMaxWindowBits:     offer.ServerMaxWindowBits,
	}
	bits := 0
	if !offer.ClientNoContextTakeover {
		// §7.1.2.2: a client_max_window_bits value in the offer is the
		// most the client will use; without one (or with none offered)
		// the client may use the full 32 KB. No answer is needed: we read
		// whatever the client uses, up to 32 KB.
		bits = 15
		if offer.ClientMaxWindowBits > 1 {
			bits = int(offer.ClientMaxWindowBits)
		}
	}
	return p.Option(), bits, true
}
