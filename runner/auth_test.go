package main

import (
	"errors"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/runnertest"
)

// A given token shorter than 32 characters stops the runner at start with a message that
// names where the token came from and how to fix it, whether it came from ADBMIGRATE_TOKEN,
// --token-file or DATA_DIR/token. (A 32-character token starts: runnertest gives one.)
func TestShortTokenIsRefusedAtStart(t *testing.T) {
	short := "0123456789abcdef0123456789abcde" // 31 characters
	for _, c := range []struct {
		name  string
		setup func(dataDir string) (env, args []string)
		want  []string
	}{
		{"ADBMIGRATE_TOKEN", func(string) ([]string, []string) {
			return []string{"ADBMIGRATE_TOKEN=" + short}, nil
		}, []string{"the API token in ADBMIGRATE_TOKEN has 31 characters, fewer than the 32", "openssl rand -hex 32", "unset ADBMIGRATE_TOKEN"}},
		{"--token-file", func(dataDir string) ([]string, []string) {
			file := filepath.Join(t.TempDir(), "token")
			if err := os.WriteFile(file, []byte("secret\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			return nil, []string{"--token-file", file}
		}, []string{"the API token in --token-file ", " has 6 characters", "openssl rand -hex 32", "drop --token-file"}},
		{"DATA_DIR/token", func(dataDir string) ([]string, []string) {
			if err := os.MkdirAll(dataDir, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dataDir, "token"), []byte(short), 0o600); err != nil {
				t.Fatal(err)
			}
			return nil, nil
		}, []string{"the API token in token file " + filepath.Join("DATA", "token") + " has 31 characters", "openssl rand -hex 32", "remove the file"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dataDir := filepath.Join(t.TempDir(), "data")
			env, args := c.setup(dataDir)
			cmd := exec.Command(runnertest.Binary(t), append([]string{"--listen", "127.0.0.1:0", "--data-dir", dataDir}, args...)...)
			for _, kv := range os.Environ() {
				if !strings.HasPrefix(kv, "ADBMIGRATE_") {
					cmd.Env = append(cmd.Env, kv)
				}
			}
			cmd.Env = append(cmd.Env, env...)
			done := make(chan struct{})
			var out []byte
			var err error
			go func() { out, err = cmd.CombinedOutput(); close(done) }()
			select {
			case <-done:
			case <-time.After(30 * time.Second):
				_ = cmd.Process.Kill()
				<-done
				t.Fatalf("the runner with a short token still runs after 30 s:\n%s", out)
			}
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != 1 {
				t.Fatalf("runner with a short token from %s: %v, want exit status 1\n%s", c.name, err, out)
			}
			msg := strings.ReplaceAll(string(out), dataDir, "DATA")
			for _, want := range c.want {
				if !strings.Contains(msg, want) {
					t.Errorf("message lacks %q:\n%s", want, out)
				}
			}
			if strings.Contains(string(out), short) || strings.Contains(string(out), "secret") {
				t.Errorf("the message shows the token:\n%s", out)
			}
		})
	}
}

// The reproduction against a real runner: wrong tokens from 127.0.0.1 to the API
// and then the console get 401 (or the login's 303) five times, then 429 with Retry-After
// at both, even with the right token; the right token from 127.0.0.2 is served at once.
// Each wrong token is logged as JSON with the client address and without the token. The
// console's cookie over plain HTTP is not Secure.
func TestWrongTokensAreThrottledAcrossAPIAndConsole(t *testing.T) {
	r := runnertest.Start(t)
	noRedirect := func(local string) *http.Client {
		d := &net.Dialer{Timeout: 10 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}}
		return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DialContext: d.DialContext},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	first, second := noRedirect("127.0.0.1"), noRedirect("127.0.0.2")
	apiCall := func(hc *http.Client, token string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest("POST", r.Endpoint+"/v1/tasks", strings.NewReader("{}"))
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	login := func(hc *http.Client, token string) *http.Response {
		t.Helper()
		resp, _ := consoleLogin(t, hc, r.Endpoint, token)
		return resp
	}
	for i := range 3 {
		if resp := apiCall(first, "wrong-api-token"); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("wrong token %d to the API: %d, want 401", i+1, resp.StatusCode)
		}
	}
	for i := range 2 {
		if resp := login(first, "wrong-console-token"); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/ui/?error=token" {
			t.Fatalf("wrong token %d to the console: %d to %q, want 303 to the error", i+1, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	if resp := apiCall(first, r.Token); resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Errorf("the right token to the API after five wrong ones: %d Retry-After %q, want 429 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if resp := login(first, r.Token); resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Errorf("the right token to the console after five wrong ones: %d Retry-After %q, want 429 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if resp := apiCall(second, r.Token); resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusUnauthorized {
		t.Errorf("the right token to the API from 127.0.0.2: %d", resp.StatusCode)
	}
	resp, session := consoleLogin(t, second, r.Endpoint, r.Token)
	if resp.StatusCode != http.StatusSeeOther || session == nil {
		t.Fatalf("the right token to the console from 127.0.0.2: %d, cookie %v", resp.StatusCode, session)
	}
	if session.Secure || !session.HttpOnly || session.SameSite != http.SameSiteStrictMode {
		t.Errorf("console cookie over plain HTTP: Secure=%v HttpOnly=%v SameSite=%v, want not Secure, HttpOnly, Strict", session.Secure, session.HttpOnly, session.SameSite)
	}

	logs := r.Logs()
	failures := map[string]int{}
	for _, rec := range assertJSONLogs(t, logs) {
		if msg, _ := rec["msg"].(string); strings.HasPrefix(msg, "authentication failed") {
			if rec["client"] != "127.0.0.1" {
				t.Errorf("failure logged with client %v, want 127.0.0.1: %v", rec["client"], rec)
			}
			failures[rec["via"].(string)]++
		}
	}
	if failures["api"] != 3 || failures["console"] != 2 {
		t.Errorf("failures logged: %v, want api 3 and console 2", failures)
	}
	if strings.Contains(logs, "wrong-api-token") || strings.Contains(logs, "wrong-console-token") || strings.Contains(logs, r.Token) {
		t.Error("the runner logged a token")
	}
}

// Over HTTPS (--tls-cert, --tls-key) the console's session cookie is Secure, and still
// HttpOnly and SameSite=Strict.
func TestConsoleCookieIsSecureOverTLS(t *testing.T) {
	cert := runnertest.SelfSignedTLS(t, t.TempDir())
	r := runnertest.StartWith(t, runnertest.Options{TLS: cert})
	hc := &http.Client{Timeout: 10 * time.Second, Transport: r.HTTPClient.Transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, session := consoleLogin(t, hc, r.Endpoint, r.Token)
	if resp.StatusCode != http.StatusSeeOther || session == nil {
		t.Fatalf("sign-in over HTTPS: %d, cookie %v", resp.StatusCode, session)
	}
	if !session.Secure || !session.HttpOnly || session.SameSite != http.SameSiteStrictMode || session.Path != "/ui" {
		t.Errorf("console cookie over HTTPS: Secure=%v HttpOnly=%v SameSite=%v Path=%q, want Secure, HttpOnly, Strict, /ui", session.Secure, session.HttpOnly, session.SameSite, session.Path)
	}
}

// consoleLogin posts token to the console's sign-in at endpoint and returns the answer
// (its body closed) and the session cookie it set, nil if none.
func consoleLogin(t *testing.T, hc *http.Client, endpoint, token string) (*http.Response, *http.Cookie) {
	t.Helper()
	resp, err := hc.PostForm(endpoint+"/ui/login", url.Values{"token": {token}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for _, c := range resp.Cookies() {
		if c.Name == "adbmigrate_console" {
			return resp, c
		}
	}
	return resp, nil
}
