package console

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/api"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/internal/authlimit"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/internal/clock/clocktesting"
)

const testToken = "0123456789abcdef0123456789abcdef"

type noTasks struct{}

func (noTasks) ListTasks() ([]api.Task, error)                { return nil, nil }
func (noTasks) Events(string, int64) ([]api.TaskEvent, error) { return nil, nil }

// signIn posts token to target's /ui/login from addr through h.
func signIn(h http.Handler, target, addr, token string) *httptest.ResponseRecorder {
	req := httptest.NewRequest("POST", target+"/ui/login", strings.NewReader(url.Values{"token": {token}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.RemoteAddr = addr
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func sessionCookie(rec *httptest.ResponseRecorder) *http.Cookie {
	for _, c := range rec.Result().Cookies() {
		if c.Name == CookieName {
			return c
		}
	}
	return nil
}

// Wrong tokens at the login from one address: the first five redirect to the form with
// the error, then that address gets the form with 429 and Retry-After, even with the right
// token, while the right token from another address signs in. Failures recorded elsewhere
// in the shared Limiter (the API) count too, and a success resets the count.
func TestLoginIsThrottledPerAddress(t *testing.T) {
	clk := clocktesting.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	limit := authlimit.New(clk, log, authlimit.Options{Free: 5, Base: time.Second, Max: 8 * time.Second})
	h := New(noTasks{}, log, testToken, limit, "test", Options{}).Handler()
	const attacker, friend = "203.0.113.5:51000", "203.0.113.6:51000"

	if rec := signIn(h, "http://runner", attacker, ""); rec.Code != http.StatusSeeOther {
		t.Fatalf("empty token: %d, want 303", rec.Code)
	}
	for i := range 5 {
		rec := signIn(h, "http://runner", attacker, "wrong-guess")
		if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/ui/?error=token" || sessionCookie(rec) != nil {
			t.Fatalf("wrong token %d: %d to %q, want 303 to /ui/?error=token and no cookie", i+1, rec.Code, rec.Header().Get("Location"))
		}
	}
	for _, token := range []string{"wrong-guess", testToken} {
		rec := signIn(h, "http://runner", attacker, token)
		if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") != "1" || sessionCookie(rec) != nil ||
			!strings.Contains(rec.Body.String(), `id="login-throttled"`) || !strings.Contains(rec.Body.String(), "try again in 1 s") {
			t.Fatalf("token %q after five wrong ones: %d Retry-After %q cookie %v, want 429 with Retry-After 1, the form and no cookie:\n%s",
				token, rec.Code, rec.Header().Get("Retry-After"), sessionCookie(rec), rec.Body)
		}
	}
	if rec := signIn(h, "http://runner", friend, testToken); rec.Code != http.StatusSeeOther || sessionCookie(rec) == nil {
		t.Fatalf("the right token from another address: %d, cookie %v; want 303 with the cookie", rec.Code, sessionCookie(rec))
	}
	clk.Advance(time.Second)
	if rec := signIn(h, "http://runner", attacker, testToken); rec.Code != http.StatusSeeOther || sessionCookie(rec) == nil {
		t.Fatalf("the right token after the wait: %d, cookie %v", rec.Code, sessionCookie(rec))
	}
	// The count starts again after the success; a failure through the API counts as well.
	for range 4 {
		signIn(h, "http://runner", attacker, "wrong-guess")
	}
	if rec := signIn(h, "http://runner", attacker, "wrong-guess"); rec.Code != http.StatusSeeOther {
		t.Fatalf("fifth wrong token after a success: %d, want 303", rec.Code)
	}
	apiFailure := httptest.NewRequest("GET", "/v1/tasks", nil)
	apiFailure.RemoteAddr = attacker
	limit.Fail(apiFailure, "api")
	if rec := signIn(h, "http://runner", attacker, testToken); rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") != "2" {
		t.Fatalf("after a sixth wrong token, through the API: %d Retry-After %q, want 429 with 2", rec.Code, rec.Header().Get("Retry-After"))
	}
	if strings.Contains(logs.String(), "wrong-guess") || strings.Contains(logs.String(), testToken) {
		t.Errorf("the log holds a token:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), `"via":"console","client":"203.0.113.5"`) {
		t.Errorf("failures are not logged with the client address:\n%s", logs.String())
	}
}

// The session cookie is Secure when the request came over TLS and not otherwise; HttpOnly,
// SameSite=Strict and Path=/ui either way. So is the cookie that signing out clears.
func TestSessionCookieIsSecureOverTLS(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	h := New(noTasks{}, log, testToken, authlimit.New(clocktesting.New(time.Now()), log, authlimit.Options{}), "test", Options{}).Handler()
	for _, target := range []string{"https://runner", "http://runner"} {
		tls := strings.HasPrefix(target, "https:") // httptest.NewRequest sets Request.TLS for https targets
		c := sessionCookie(signIn(h, target, "192.0.2.1:1", testToken))
		if c == nil {
			t.Fatalf("%s: no session cookie", target)
		}
		if c.Secure != tls || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/ui" {
			t.Errorf("%s: cookie Secure=%v HttpOnly=%v SameSite=%v Path=%q, want Secure=%v, HttpOnly, Strict, /ui", target, c.Secure, c.HttpOnly, c.SameSite, c.Path, tls)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("POST", target+"/ui/logout", nil))
		if c := sessionCookie(rec); c == nil || c.Secure != tls || c.MaxAge >= 0 {
			t.Errorf("%s: sign-out cookie %+v, want one that clears the session with Secure=%v", target, c, tls)
		}
	}
}
