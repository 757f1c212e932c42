// Package authlimit throttles token guessing: it counts the failed authentications of each
// client address and, after a few within a window, refuses that address's attempts for a
// backoff that doubles with every further failure up to a cap. The API (/v1, /metrics) and
// the web console's sign-in share one Limiter, so failures at either count for both.
//
// A client address is the IP of the connection (http.Request.RemoteAddr): IPv4 addresses
// one by one, IPv6 addresses by their /64 prefix, which one host usually holds whole.
// Forwarding headers (X-Forwarded-For) are not trusted: behind a proxy every client has the
// proxy's address.
package authlimit

import (
	"container/list"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/internal/clock"
)

// Options tune a Limiter. Zero fields take the defaults.
type Options struct {
	// Free is how many failures an address may have within Window before its attempts are
	// refused (default 5).
	Free int
	// Window is how long a failure is remembered: an address whose last failure is older
	// starts again from zero (default 15 minutes).
	Window time.Duration
	// Base is the first refusal period, after the Free-th failure; each further failure
	// doubles it (default 1 s).
	Base time.Duration
	// Max caps the refusal period (default 30 s).
	Max time.Duration
	// MaxClients bounds how many addresses are remembered; beyond it the address whose last
	// failure is oldest is forgotten (default 10000).
	MaxClients int
}

// Limiter counts failed authentications per client address. It is safe for concurrent use.
// Its methods take the request only to read its client address and, for the log, its path.
type Limiter struct {
	clock clock.Clock
	log   *slog.Logger
	opts  Options

	mu      sync.Mutex
	clients map[string]*list.Element // of *client
	order   *list.List               // *client, most recent failure first
}

type client struct {
	key      string
	failures int       // within Window of last
	last     time.Time // of the latest failure
	until    time.Time // attempts before it are refused
}

// New returns a Limiter on clk that logs failures to log.
func New(clk clock.Clock, log *slog.Logger, opts Options) *Limiter {
	if opts.Free <= 0 {
		opts.Free = 5
	}
	if opts.Window <= 0 {
		opts.Window = 15 * time.Minute
	}
	if opts.Base <= 0 {
		opts.Base = time.Second
	}
	if opts.Max <= 0 {
		opts.Max = 30 * time.Second
	}
	if opts.MaxClients <= 0 {
		opts.MaxClients = 10000
	}
	return &Limiter{clock: clk, log: log, opts: opts, clients: map[string]*list.Element{}, order: list.New()}
}

// Wait returns how long r's client address must wait before it may present a token again;
// 0 means it may now. A refused request must be answered without looking at its token
// (429 with SetRetryAfter), so that guesses sent meanwhile learn nothing. Refusals are
// logged at debug level only: a client can send them as fast as it likes.
func (l *Limiter) Wait(r *http.Request) time.Duration {
	key := clientKey(r.RemoteAddr)
	l.mu.Lock()
	defer l.mu.Unlock()
	e, ok := l.clients[key]
	if !ok {
		return 0
	}
	wait := e.Value.(*client).until.Sub(l.clock.Now())
	if wait <= 0 {
		return 0
	}
	l.log.Debug("authentication attempt refused: too many wrong tokens", "client", key, "path", r.URL.Path, "retry_after", wait.String())
	return wait
}

// Fail records that r presented a wrong token, through via ("api" or "console"), and
// logs it with the client address (never the token). It returns how long the address
// must now wait (0 while it has failures to spare).
func (l *Limiter) Fail(r *http.Request, via string) time.Duration {
	key := clientKey(r.RemoteAddr)
	l.mu.Lock()
	now := l.clock.Now()
	l.forgetExpired(now)
	var c *client
	if e, ok := l.clients[key]; ok {
		c = e.Value.(*client)
		l.order.MoveToFront(e)
	} else {
		if l.order.Len() >= l.opts.MaxClients {
			l.remove(l.order.Back())
		}
		c = &client{key: key}
		l.clients[key] = l.order.PushFront(c)
	}
	if now.Sub(c.last) > l.opts.Window {
		c.failures = 0
	}
	c.failures++
	c.last = now
	var wait time.Duration
	if over := c.failures - l.opts.Free; over >= 0 {
		wait = l.opts.Max
		if over < 32 && l.opts.Base<<over > 0 && l.opts.Base<<over < l.opts.Max {
			wait = l.opts.Base << over
		}
		c.until = now.Add(wait)
	}
	failures := c.failures
	l.mu.Unlock()
	if wait > 0 {
		l.log.Warn("authentication failed: wrong token; refusing the client's attempts for a while", "via", via, "client", key, "path", r.URL.Path,
			"failures", failures, "retry_after", wait.String())
	} else {
		l.log.Warn("authentication failed: wrong token", "via", via, "client", key, "path", r.URL.Path, "failures", failures)
	}
	return wait
}

// Succeed forgets the failures of r's client address: it presented the right token.
func (l *Limiter) Succeed(r *http.Request) {
	key := clientKey(r.RemoteAddr)
	l.mu.Lock()
	defer l.mu.Unlock()
	if e, ok := l.clients[key]; ok {
		l.remove(e)
	}
}

// forgetExpired drops, oldest first, the addresses whose failures have left the window and
// whose refusal has ended. Called with l.mu held.
func (l *Limiter) forgetExpired(now time.Time) {
	for e := l.order.Back(); e != nil; e = l.order.Back() {
		c := e.Value.(*client)
		if now.Sub(c.last) <= l.opts.Window || now.Before(c.until) {
			return
		}
		l.remove(e)
	}
}

func (l *Limiter) remove(e *list.Element) {
	delete(l.clients, e.Value.(*client).key)
	l.order.Remove(e)
}

// SetRetryAfter sets the Retry-After header to wait in whole seconds, rounded up.
func SetRetryAfter(w http.ResponseWriter, wait time.Duration) {
	w.Header().Set("Retry-After", strconv.Itoa(Seconds(wait)))
}

// Seconds is wait in whole seconds, rounded up, at least 1: what a client is told to wait.
func Seconds(wait time.Duration) int {
	return max(1, int((wait+time.Second-1)/time.Second))
}

// clientKey is the address a request's failures are counted under: the IP of remoteAddr
// ("host:port"), an IPv6 one as its /64 prefix; remoteAddr itself when it holds no IP.
func clientKey(remoteAddr string) string {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	ip = ip.Unmap().WithZone("")
	if ip.Is4() {
		return ip.String()
	}
	p, _ := ip.Prefix(64)
	return p.String()
}
