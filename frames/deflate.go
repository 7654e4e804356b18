package frames

import (
	"bytes"

	"github.com/gobwas/httphead"
	"github.com/gobwas/ws/wsflate"
)

// permessage-deflate (RFC 7692) negotiation. densecable compresses without
// context takeover in both directions: every message is deflated and
// inflated on its own, so a connection holds no compression window between
// messages (its idle cost does not grow) and a broadcast is compressed once
// for every compressed subscriber (see DeflateFramer).

// deflateOffer accepts the first acceptable permessage-deflate offer and
// declines the others (RFC 7692 §5: the server picks one).
type deflateOffer struct{ accepted bool }

// negotiate is gobwas/ws's Upgrader.Negotiate callback, called for each
// offered extension in the client's order. A zero option declines it.
func (d *deflateOffer) negotiate(opt httphead.Option) (httphead.Option, error) {
	if d.accepted || !bytes.Equal(opt.Name, wsflate.ExtensionNameBytes) {
		return httphead.Option{}, nil
	}
	resp, ok := acceptDeflate(opt)
	if ok {
		d.accepted = true
	}
	return resp, nil
}

// acceptDeflate answers one offer, or declines it (ok=false) when it is
// malformed (unknown, duplicate or invalid parameters, §7.1) or asks for
// what we cannot honour.
func acceptDeflate(opt httphead.Option) (resp httphead.Option, ok bool) {
	var offer wsflate.Parameters
	if err := offer.Parse(opt); err != nil {
		return resp, false
	}
	// §7.1.2.1: with server_max_window_bits=N the server must compress
	// with a window of at most 2^N bytes. The deflate encoder always may
	// refer back 32 KB, so only 15 can be honoured.
	if offer.ServerMaxWindowBits.Defined() && offer.ServerMaxWindowBits != 15 {
		return resp, false
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
	return p.Option(), true
}
