package authlimit

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/internal/clock/clocktesting"
)

func from(addr string) *http.Request {
	r := httptest.NewRequest("POST", "/ui/login", nil)
	r.RemoteAddr = addr
	return r
}

// The Free-th wrong token from an address starts a refusal that doubles with every further
// failure up to Max; other addresses are not refused meanwhile; a success forgets the
// failures; and a failure older than Window no longer counts.
func TestLimiterBacksOffPerAddress(t *testing.T) {
	clk := clocktesting.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	var logs bytes.Buffer
	l := New(clk, slog.New(slog.NewJSONHandler(&logs, nil)), Options{Free: 3, Window: time.Minute, Base: time.Second, Max: 4 * time.Second})
	attacker, other := from("192.0.2.7:40000"), from("198.51.100.9:40001")

	for i := 1; i <= 2; i++ {
		if w := l.Fail(attacker, "api"); w != 0 {
			t.Fatalf("failure %d of 3 free: wait %s, want none", i, w)
		}
		if w := l.Wait(attacker); w != 0 {
			t.Fatalf("after failure %d of 3 free: refused for %s", i, w)
		}
	}
	// The third failure starts the refusal; each further one doubles it, up to Max.
	for i, want := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 4 * time.Second} {
		if w := l.Fail(from("192.0.2.7:40002"), "console"); w != want {
			t.Fatalf("failure %d: wait %s, want %s", 3+i, w, want)
		}
		if w := l.Wait(attacker); w != want {
			t.Fatalf("after failure %d: Wait %s, want %s", 3+i, w, want)
		}
		if w := l.Wait(other); w != 0 {
			t.Fatalf("another address is refused for %s while %s is", w, attacker.RemoteAddr)
		}
		clk.Advance(want - time.Millisecond)
		if w := l.Wait(attacker); w != time.Millisecond {
			t.Fatalf("a millisecond before the end of the refusal: Wait %s", w)
		}
		clk.Advance(time.Millisecond)
		if w := l.Wait(attacker); w != 0 {
			t.Fatalf("at the end of the refusal: Wait %s, want 0", w)
		}
	}

	// The right token forgets the failures: the next wrong one is free again.
	l.Succeed(attacker)
	if w := l.Fail(attacker, "api"); w != 0 {
		t.Errorf("first failure after a success: wait %s, want none", w)
	}
	// So does a window without failures.
	l.Fail(attacker, "api")
	clk.Advance(time.Minute + time.Second)
	if w := l.Fail(attacker, "api"); w != 0 {
		t.Errorf("failure after a quiet window: wait %s, want none", w)
	}

	// Every failure is logged with the address and the way in; never with a token.
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 2+4+3 {
		t.Errorf("%d log lines for 9 failures:\n%s", len(lines), logs.String())
	}
	for _, want := range []string{`"client":"192.0.2.7"`, `"via":"console"`, `"via":"api"`, `"retry_after":"4s"`, `"failures":6`} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("logs lack %s:\n%s", want, logs.String())
		}
	}
}

// IPv6 clients are counted by /64; an IPv4-mapped address is its IPv4 address.
func TestClientKey(t *testing.T) {
	for addr, want := range map[string]string{
		"192.0.2.7:1234":             "192.0.2.7",
		"[::ffff:192.0.2.7]:1234":    "192.0.2.7",
		"[2001:db8:1:2:3:4:5:6]:443": "2001:db8:1:2::/64",
		"[2001:db8:1:2:ffff::1]:443": "2001:db8:1:2::/64",
		"[fe80::1%eth0]:80":          "fe80::/64",
		"@":                          "@",
	} {
		if got := clientKey(addr); got != want {
			t.Errorf("clientKey(%q) = %q, want %q", addr, got, want)
		}
	}
}

// Memory stays bounded: beyond MaxClients the address with the oldest failure goes, and
// addresses whose failures left the window go first.
func TestLimiterForgetsOldestBeyondMaxClients(t *testing.T) {
	clk := clocktesting.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	l := New(clk, slog.New(slog.DiscardHandler), Options{Free: 1, Window: time.Minute, Base: 10 * time.Second, Max: 10 * time.Second, MaxClients: 3})
	for i := range 4 {
		l.Fail(from(fmt.Sprintf("192.0.2.%d:1", i)), "api")
		clk.Advance(time.Second)
	}
	if n := len(l.clients); n != 3 || l.order.Len() != 3 {
		t.Fatalf("%d clients remembered (%d in order), want MaxClients 3", n, l.order.Len())
	}
	if w := l.Wait(from("192.0.2.0:1")); w != 0 {
		t.Errorf("the oldest address is still refused for %s after being forgotten", w)
	}
	if w := l.Wait(from("192.0.2.3:1")); w == 0 {
		t.Error("the newest address is not refused")
	}
	clk.Advance(2 * time.Minute)
	l.Fail(from("198.51.100.1:1"), "api")
	if n := len(l.clients); n != 1 {
		t.Errorf("%d clients remembered after their window passed, want only the new one", n)
	}
}

func TestSeconds(t *testing.T) {
	for d, want := range map[time.Duration]int{time.Millisecond: 1, time.Second: 1, 1001 * time.Millisecond: 2, 30 * time.Second: 30} {
		if got := Seconds(d); got != want {
			t.Errorf("Seconds(%s) = %d, want %d", d, got, want)
		}
	}
}
