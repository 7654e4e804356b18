package server

import (
	"fmt"
	"github.com/densecable/densecable/api"
	"net"
	"strconv"
	"strings"

	"github.com/densecable/densecable/api/rest"
	"github.com/densecable/densecable/sessions"
)

// setupAPI mounts the REST API (on the main port, or --api_port). It is on
// when it is protected (a secret) or explicitly public, as in anycable-go.
func (a *app) setupAPI() {
	if !a.cfg.APIEnabled() {
		return
	}
	opts := rest.Options{
		Path:           strings.TrimSuffix(a.cfg.API.Path, "/"),
		Secret:         a.cfg.API.Secret,
		CORS:           a.cfg.API.CORSHeaders,
		AllowedOrigins: strings.Join(a.cfg.Server.AllowedOrigins, ","),
		Stats:          a.bstats,
		RenderPresence: sessions.PresenceInfoJSON,
	}
	var presence rest.PresenceReader
	if a.broker != nil {
		presence = a.broker
	}
	h := rest.New(opts, a.pub, presence, a.log.With("context", "api"))
	if a.cfg.API.Port == 0 || a.cfg.API.Port == a.cfg.Server.Port {
		a.router.HandlePrefix(opts.Path+"/", h)
		a.apiOnMain = true
		return
	}
	a.apiSrv = api.NewHTTPServer(h, api.DefaultHTTPTimeouts)
}

func (a *app) startAPI() error {
	if a.apiSrv == nil {
		if a.apiOnMain {
			a.log.Info(fmt.Sprintf("Handle API requests at http://%s%s", a.ws.Addr(), a.cfg.API.Path))
		}
		return nil
	}
	host := a.cfg.API.Host
	if host == "" {
		host = a.cfg.Server.Host
	}
	ln, err := a.listen(socketAPI, net.JoinHostPort(host, strconv.Itoa(a.cfg.API.Port)))
	if err != nil {
		return fmt.Errorf("api listener: %w", err)
	}
	go func() { _ = a.apiSrv.Serve(&api.RetryListener{Listener: ln, Log: a.log}) }()
	a.log.Info(fmt.Sprintf("Handle API requests at http://%s%s", ln.Addr(), a.cfg.API.Path))
	return nil
}
