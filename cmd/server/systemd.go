package server

import (
	"fmt"
	"net"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/densecable/densecable/internal/heartbeat"
	"github.com/densecable/densecable/internal/systemd"
	"github.com/densecable/densecable/poller"
)

// statusEvery is how often STATUS= is refreshed (only sent when the
// connection count changed): cheap enough for systemd, fresh enough for
// `systemctl status`.
const statusEvery = 2 * time.Second

// Socket names (FileDescriptorName= in densecable.socket) that select a
// listener; a socket with any other name is the main WebSocket/HTTP port.
const (
	socketBroadcast = "broadcast" // --http_broadcast_port
	socketAPI       = "api"       // --api_port
	socketMetrics   = "metrics"   // --metrics_port
	socketMain      = "main"      // the role of every other name ("http", the unit's name, …)
)

// sdHooks is densecable under systemd: the sockets it passed, the notify
// socket, the status refresher and the watchdog. Outside systemd all of it
// is inert.
type sdHooks struct {
	sockets map[string]net.Listener // by role, until taken
	notify  *systemd.Notifier

	watchdog   *systemd.Watchdog
	stopStatus chan struct{}
	statusDone chan struct{}
	stopOnce   sync.Once
}

// setupSystemd reads the activation and notify variables: before the
// listeners are created, since the main one may be a passed socket.
func (a *app) setupSystemd() error {
	h := &a.sd
	ls, err := systemd.Listeners(os.Getenv, os.Getpid())
	if err != nil {
		return err
	}
	h.sockets = map[string]net.Listener{}
	for _, l := range ls {
		role := l.Name
		switch role {
		case socketBroadcast, socketAPI, socketMetrics:
		default:
			role = socketMain
		}
		if _, dup := h.sockets[role]; dup {
			closeAll(ls)
			return fmt.Errorf("socket activation: two sockets for the %s listener (name the others %q, %q or %q with FileDescriptorName=)", role, socketBroadcast, socketAPI, socketMetrics)
		}
		h.sockets[role] = l.Listener
	}
	if len(ls) > 0 {
		names := make([]string, 0, len(ls))
		for _, l := range ls {
			names = append(names, fmt.Sprintf("%s=%s", l.Name, l.Addr()))
		}
		a.log.Info("Using sockets passed by systemd: " + strings.Join(names, ", "))
	}
	h.notify, err = systemd.NewNotifier(os.Getenv)
	return err
}

func closeAll(ls []systemd.Listener) {
	for _, l := range ls {
		_ = l.Close()
	}
}

// socket takes the passed socket for role (nil when systemd passed none).
func (a *app) socket(role string) net.Listener {
	ln := a.sd.sockets[role]
	delete(a.sd.sockets, role)
	return ln
}

// listen binds addr for role, or takes the socket systemd passed for it.
func (a *app) listen(role, addr string) (net.Listener, error) {
	return a.listenShared(role, addr, false)
}

// listenShared is listen with SO_REUSEPORT when reusePort is set
// (--reuse_port on the broadcast listener: whichever process receives a
// broadcast publishes it through pub/sub to the others).
func (a *app) listenShared(role, addr string, reusePort bool) (net.Listener, error) {
	if ln := a.socket(role); ln != nil {
		return ln, nil
	}
	return poller.ListenTCP(addr, reusePort)
}

// notifyReady runs once every listener accepts: READY=1 with the first
// status, then the status refresher and the watchdog. A passed socket that
// no listener took means the unit and the configuration disagree.
func (a *app) notifyReady() error {
	h := &a.sd
	if len(h.sockets) > 0 {
		var left []string
		for role, ln := range h.sockets {
			left = append(left, role)
			_ = ln.Close()
		}
		sort.Strings(left)
		return fmt.Errorf("socket activation: no listener for the passed socket(s) %s: set the matching port (--http_broadcast_port, --api_port, --metrics_port) apart from --port", strings.Join(left, ", "))
	}
	if !h.notify.Enabled() {
		return nil
	}
	every, err := systemd.WatchdogInterval(os.Getenv, os.Getpid())
	if err != nil {
		return err
	}
	if err := h.notify.Ready(a.status()); err != nil {
		a.log.Warn("systemd notify failed", "error", err)
	}
	h.stopStatus, h.statusDone = make(chan struct{}), make(chan struct{})
	go a.refreshStatus(h.stopStatus, h.statusDone)
	if every > 0 {
		beats := append(append([]*heartbeat.Beat(nil), a.ws.Heartbeats()...), a.node.Heartbeats()...)
		h.watchdog = systemd.StartWatchdog(h.notify, every, beats, a.log)
		a.log.Info(fmt.Sprintf("systemd watchdog: pinging every %s while %d loops make progress", every, len(beats)))
	}
	return nil
}

// notifyStopping says that shutdown began (STOPPING=1: systemd stops
// watching the watchdog) and ends the status refresher and the pings.
func (a *app) notifyStopping() {
	h := &a.sd
	h.stopOnce.Do(func() {
		h.watchdog.Stop()
		if h.stopStatus != nil {
			close(h.stopStatus)
			<-h.statusDone
		}
		if err := h.notify.Stopping("Shutting down"); err != nil {
			a.log.Warn("systemd notify failed", "error", err)
		}
	})
}

func (a *app) status() string {
	n := a.node.Stats().Clients.Load()
	if n == 1 {
		return "1 connection"
	}
	return fmt.Sprintf("%d connections", n)
}

// refreshStatus sends STATUS= when the connection count changed.
func (a *app) refreshStatus(stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(statusEvery)
	defer t.Stop()
	last := a.status()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			if s := a.status(); s != last {
				last = s
				_ = a.sd.notify.Status(s)
			}
		}
	}
}
