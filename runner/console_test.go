package main

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/mariadbtest"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/runnertest"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/api"
)

// The web console in a real headless Chromium, during a running full load: without the
// token it shows the login form and no data; a wrong token is refused; with the token it
// shows the task with a progress bar per table and the lag and rows/s charts. A screenshot
// is saved in the test's artifact directory (go test -artifacts). The session cookie is
// HttpOnly, SameSite=Strict, scoped to /ui, and opens neither /v1 nor /metrics.
func TestWebConsoleInChromium(t *testing.T) {
	chromium := lookPath(t, "chromium")
	src, dst := mariadbtest.SharedPair(t)
	src.Exec(t, "CREATE DATABASE shop", "CREATE TABLE shop.big (id INT PRIMARY KEY, v VARCHAR(40))",
		// About a minute at 1000 rows/s, committed in chunks of some thousand rows.
		"INSERT INTO shop.big SELECT seq, REPEAT('x', 40) FROM shop.seq_1_to_60000",
		"CREATE TABLE shop.small (id INT PRIMARY KEY)", "INSERT INTO shop.small VALUES (1), (2), (3)")
	r := runnertest.StartWith(t, runnertest.Options{Args: []string{"--console-sample-interval", "250ms"}})
	task, err := r.Client.CreateTask(context.Background(), api.TaskSpec{
		Name: "console-watched", SourceConnectionID: r.Connect(t, "src", src), DestinationConnectionID: r.Connect(t, "dst", dst),
		MigrationTypes: []api.MigrationType{api.MigrationSchema, api.MigrationFull, api.MigrationIncremental}, Objects: []api.Object{{Database: "shop"}},
		FullThrottling: &api.Throttling{RPS: 1000}, InstanceClass: "small",
	})
	if err != nil {
		t.Fatal(err)
	}
	// Wait for the first chunks to commit, so that the page can show a bar part way.
	deadline := time.Now().Add(time.Minute)
	for {
		st, err := r.Client.TaskStatus(context.Background(), task.ID)
		if err != nil {
			t.Fatal(err)
		}
		if st.Status != api.StatusFullMigrating && st.Status != api.StatusNotStarted && st.Status != api.StatusPrechecking && st.Status != api.StatusSchemaMigrating {
			t.Fatalf("the task is %s before the console test could watch its full load", st.Status)
		}
		if st.RowsMigrated > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no row copied within a minute: %+v", st)
		}
		time.Sleep(200 * time.Millisecond)
	}

	// Over plain HTTP first: the login page and the state without the cookie.
	noRedirect := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	status, body := fetch(t, noRedirect, "GET", r.Endpoint+"/ui/", nil, "")
	if status != http.StatusUnauthorized || !strings.Contains(body, `id="login"`) || strings.Contains(body, task.ID) || strings.Contains(body, "console-watched") {
		t.Errorf("GET /ui/ without the cookie: %d, want 401 with the login form and no task data:\n%s", status, body)
	}
	if status, body := fetch(t, noRedirect, "GET", r.Endpoint+"/ui/state", nil, ""); status != http.StatusUnauthorized || strings.Contains(body, task.ID) {
		t.Errorf("GET /ui/state without the cookie: %d %s", status, body)
	}
	resp := post(t, noRedirect, r.Endpoint+"/ui/login", url.Values{"token": {r.Token}})
	var session *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "adbmigrate_console" {
			session = c
		}
	}
	if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteStrictMode || session.Path != "/ui" || session.Domain != "" {
		t.Fatalf("sign-in cookie %+v: want HttpOnly, SameSite=Strict, Path=/ui, host-only", session)
	}
	if strings.Contains(session.Value, r.Token) {
		t.Error("the session cookie holds the token itself")
	}
	for _, path := range []string{"/v1/tasks", "/metrics"} {
		if status, _ := fetch(t, noRedirect, "GET", r.Endpoint+path, nil, session.Name+"="+session.Value); status != http.StatusUnauthorized {
			t.Errorf("GET %s with the console cookie and no bearer token: %d, want 401", path, status)
		}
	}

	// In Chromium.
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 900),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(allocCtx)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(r.Endpoint+"/ui")); err != nil {
		t.Fatalf("chromium could not open the console: %v", err)
	}
	js := func(expr string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
		if err != nil {
			return "error: " + err.Error()
		}
		return v
	}
	waitJS := func(what, expr string, timeout time.Duration) {
		t.Helper()
		deadline := time.Now().Add(timeout)
		for js(expr) != "true" {
			if time.Now().After(deadline) {
				t.Fatalf("%s within %s; the page shows:\n%s", what, timeout, js("document.body ? document.body.innerText : 'no body'"))
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	waitJS("the login form did not show", `String(!!document.getElementById("login") && !!document.getElementById("token"))`, 20*time.Second)
	if text := js("document.body.innerText"); strings.Contains(text, "console-watched") || strings.Contains(text, task.ID) || js(`String(!!document.getElementById("tasks"))`) != "false" {
		t.Errorf("the login page shows task data:\n%s", text)
	}

	// A wrong token: the login again, with the error.
	signIn := func(token string) {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.SetValue(chromedp.ID("token"), token), chromedp.Evaluate[chromedp.Void](`document.getElementById("login").submit()`)); err != nil {
			t.Fatalf("submitting the login form: %v", err)
		}
	}
	signIn("not-the-token")
	waitJS("a wrong token did not show the error", `String(!!document.getElementById("login-error"))`, 20*time.Second)

	signIn(r.Token)
	waitJS("the console did not load the task", `String(document.getElementById("tasks") !== null && document.getElementById("tasks").dataset.state === "loaded" && document.querySelector('[data-task-id="`+task.ID+`"]') !== null)`, 20*time.Second)
	if c := js("document.cookie"); c != "" {
		t.Errorf("page scripts can read cookies %q: the session cookie must be HttpOnly", c)
	}
	// A bar for the table being copied, filled part way, and one for each other table.
	waitJS("no partly filled progress bar for shop.big", `(() => {
		const row = document.querySelector('tr.table-progress[data-table="shop.big"]');
		if (!row) return "false";
		const fill = row.querySelector(".bar .fill");
		const p = parseFloat(row.dataset.percent);
		return String(p > 0 && p < 100 && fill.getBoundingClientRect().width > 0 && fill.getBoundingClientRect().width < row.querySelector(".bar").getBoundingClientRect().width);
	})()`, 30*time.Second)
	if js(`String(!!document.querySelector('tr.table-progress[data-table="shop.small"] .bar .fill'))`) != "true" {
		t.Errorf("no progress bar for shop.small")
	}
	// Every precheck item is listed with its status; the events list the status changes.
	st, err := r.Client.TaskStatus(context.Background(), task.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got := js(`String(document.querySelectorAll("tr.precheck-item").length)`); got != strconv.Itoa(len(st.Precheck)) || len(st.Precheck) == 0 {
		t.Errorf("the page lists %s precheck items, the task has %d", got, len(st.Precheck))
	}
	if got := js(`String(document.querySelectorAll(".recent-events li").length > 0)`); got != "true" {
		t.Errorf("the page lists no recent events")
	}
	// The charts draw lines from several samples.
	waitJS("the lag and rows/s charts have no lines", `String(["lag", "rows_per_second"].every(s => {
		const line = document.querySelector('svg.chart[data-series="' + s + '"] polyline');
		return line && parseInt(line.dataset.points) >= 2 && line.getBBox().width > 0;
	}))`, 20*time.Second)
	if rate := js(`document.querySelector(".rows-per-second").textContent`); rate == "-" || rate == "0" || strings.HasPrefix(rate, "error") {
		t.Errorf("rows/s shows %q during the full load", rate)
	}

	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if len(shot) < 5000 {
		t.Errorf("the screenshot has only %d bytes", len(shot))
	}
	path := filepath.Join(t.ArtifactDir(), "console-full-load.png")
	if err := os.WriteFile(path, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot of the console during the full load: %s", path)

	// Signing out forgets the session: the login again.
	if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`document.querySelector('form[action="/ui/logout"]').submit()`)); err != nil {
		t.Fatal(err)
	}
	waitJS("signing out did not show the login form", `String(!!document.getElementById("login"))`, 20*time.Second)
}

func fetch(t *testing.T, hc *http.Client, method, u string, body io.Reader, cookie string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	if cookie != "" {
		req.Header.Set("Cookie", cookie)
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func post(t *testing.T, hc *http.Client, u string, form url.Values) *http.Response {
	t.Helper()
	resp, err := hc.PostForm(u, form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("POST %s: %d, want 303", u, resp.StatusCode)
	}
	return resp
}
