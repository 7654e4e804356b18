package server

import (
	"fmt"

	"github.com/densecable/densecable/broker"
	"github.com/densecable/densecable/cmd/config"
	"github.com/densecable/densecable/sessions/pusher"
)

// pusherProtocol is the Pusher WebSocket protocol for the configured app;
// presence channels list their members from the broker (none: only the
// joining member); client events go to onClientEvent (webhooks; may be nil).
func pusherProtocol(cfg *config.Config, b broker.Broker, onClientEvent func(channel, event string, data []byte, socketID, userID string)) *pusher.Protocol {
	opts := pusher.Options{
		AppKey:          cfg.Pusher.AppKey,
		Secret:          cfg.Pusher.Secret,
		ClientEventRate: cfg.Pusher.ClientEventRate,
		OnClientEvent:   onClientEvent,
	}
	if b != nil {
		opts.Presence = b
	}
	return pusher.New(opts)
}

// logPusherEndpoint prints where Pusher clients connect, as anycable-go
// does.
func (a *app) logPusherEndpoint() {
	if a.cfg.PusherEnabled() {
		a.log.Info(fmt.Sprintf("Handle Pusher WebSocket connections at http://%s%s/%s", a.ws.Addr(), pusher.Path, a.cfg.Pusher.AppKey))
	}
}
