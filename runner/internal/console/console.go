// Package console is the runner's read-only web console at /ui: the tasks with status,
// phase, per-table progress, lag and rows/s over the last hour, precheck items with their
// remedies, verification results and recent events. Its assets are embedded; there is no
// build step.
//
// It authenticates with the runner's API token, entered once in a login form and kept as a
// session cookie (HttpOnly, SameSite=Strict, path /ui, host-only, Secure over TLS). The
// cookie holds an HMAC of the token, not the token, so changing the token ends every
// session. Wrong tokens count against the client address in the Limiter the API shares:
// an address that sent too many gets 429 with Retry-After from the login. Without the
// cookie every page is the login form and no data is served. The console only reads the
// store; the /v1 API and its bearer token are untouched.
package console

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/hex"
	"encoding/json"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/api"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/internal/authlimit"
)

//go:embed assets
var assets embed.FS

// CookieName is the name of the console's session cookie.
const CookieName = "adbmigrate_console"

// Options tune the console. The zero value polls every 5 s and keeps an hour of samples.
type Options struct {
	// SampleEvery is how often the store is read for the charts.
	SampleEvery time.Duration
	// Window is how far back the charts go.
	Window time.Duration
}

// Reader is what the console reads from the runner's store.
type Reader interface {
	ListTasks() ([]api.Task, error)
	Events(taskID string, after int64) ([]api.TaskEvent, error)
}

// Console serves /ui and samples the tasks for its charts.
type Console struct {
	store   Reader
	log     *slog.Logger
	token   []byte
	limit   *authlimit.Limiter
	session []byte // the cookie value that proves the token
	version string
	opts    Options
	pages   *template.Template

	mu      sync.Mutex
	samples map[string]*ring
}

// New returns a console over st that accepts token. limit (not nil) counts wrong tokens
// per client address; pass the API's, so that both count toward one refusal.
func New(st Reader, log *slog.Logger, token string, limit *authlimit.Limiter, version string, opts Options) *Console {
	if opts.SampleEvery <= 0 {
		opts.SampleEvery = 5 * time.Second
	}
	if opts.Window <= 0 {
		opts.Window = time.Hour
	}
	mac := hmac.New(sha256.New, []byte(token))
	mac.Write([]byte("adbmigrate console session v1"))
	return &Console{
		store: st, log: log, version: version, opts: opts,
		session: []byte(hex.EncodeToString(mac.Sum(nil))),
		pages:   template.Must(template.ParseFS(assets, "assets/*.html")),
		samples: map[string]*ring{},
		token:   []byte(token),
		limit:   limit,
	}
}

// Run samples every task's rows and lag until ctx ends.
func (c *Console) Run(ctx context.Context) {
	t := time.NewTicker(c.opts.SampleEvery)
	defer t.Stop()
	for {
		c.sample(time.Now())
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// sample reads every task once and appends a sample to its ring; rings of deleted tasks go.
func (c *Console) sample(now time.Time) {
	tasks, err := c.store.ListTasks()
	if err != nil {
		c.log.Warn("console: reading tasks for the charts", "error", err)
		return
	}
	size := int(c.opts.Window/c.opts.SampleEvery) + 1
	c.mu.Lock()
	defer c.mu.Unlock()
	seen := map[string]bool{}
	for _, t := range tasks {
		seen[t.ID] = true
		r := c.samples[t.ID]
		if r == nil {
			r = newRing(size)
			c.samples[t.ID] = r
		}
		r.add(Sample{Time: now, Rows: t.State.RowsMigrated, Lag: t.State.LatencySeconds})
	}
	for id := range c.samples {
		if !seen[id] {
			delete(c.samples, id)
		}
	}
}

// Handler serves GET /ui/ (the console or the login form), POST /ui/login, POST
// /ui/logout, GET /ui/state (JSON for the page) and the static assets under /ui/static/.
func (c *Console) Handler() http.Handler {
	mux := http.NewServeMux()
	static, _ := fs.Sub(assets, "assets/static")
	mux.Handle("GET /ui/static/", http.StripPrefix("/ui/static/", http.FileServerFS(static)))
	mux.HandleFunc("GET /ui", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/ui/", http.StatusFound) })
	mux.HandleFunc("GET /ui/{$}", c.page)
	mux.HandleFunc("POST /ui/login", c.login)
	mux.HandleFunc("POST /ui/logout", c.logout)
	mux.HandleFunc("GET /ui/state", c.state)
	return securityHeaders(mux)
}

func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

// authenticated reports whether the request carries the session cookie.
func (c *Console) authenticated(r *http.Request) bool {
	ck, err := r.Cookie(CookieName)
	return err == nil && subtle.ConstantTimeCompare([]byte(ck.Value), c.session) == 1
}

type pageData struct {
	Version string
	Error   string
	// RetryAfter is, with Error "throttled", how many seconds the client must wait.
	RetryAfter int
}

// page is the console for a signed-in browser, else the login form.
func (c *Console) page(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	name := "console.html"
	status := http.StatusOK
	if !c.authenticated(r) {
		name, status = "login.html", http.StatusUnauthorized
	}
	w.WriteHeader(status)
	if err := c.pages.ExecuteTemplate(w, name, pageData{Version: c.version, Error: r.URL.Query().Get("error")}); err != nil {
		c.log.Warn("console: rendering page", "page", name, "error", err)
	}
}

// login checks the token from the form and sets the session cookie. A client address that
// sent too many wrong tokens gets the login form with 429 and Retry-After, its token
// unread; a wrong token counts toward that, an empty one does not.
func (c *Console) login(w http.ResponseWriter, r *http.Request) {
	if wait := c.limit.Wait(r); wait > 0 {
		authlimit.SetRetryAfter(w, wait)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusTooManyRequests)
		data := pageData{Version: c.version, Error: "throttled", RetryAfter: authlimit.Seconds(wait)}
		if err := c.pages.ExecuteTemplate(w, "login.html", data); err != nil {
			c.log.Warn("console: rendering page", "page", "login.html", "error", err)
		}
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 4096)
	if err := r.ParseForm(); err != nil {
		http.Redirect(w, r, "/ui/?error=form", http.StatusSeeOther)
		return
	}
	if got := r.PostForm.Get("token"); subtle.ConstantTimeCompare([]byte(got), c.token) != 1 {
		if got != "" {
			c.limit.Fail(r, "console")
		}
		http.Redirect(w, r, "/ui/?error=token", http.StatusSeeOther)
		return
	}
	c.limit.Succeed(r)
	http.SetCookie(w, &http.Cookie{
		Name: CookieName, Value: string(c.session), Path: "/ui",
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil,
	})
	http.Redirect(w, r, "/ui/", http.StatusSeeOther)
}

func (c *Console) logout(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: "", Path: "/ui", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
	http.Redirect(w, r, "/ui/", http.StatusSeeOther)
}

// TaskView is one task as the page shows it.
type TaskView struct {
	api.Task
	Samples []Sample        `json:"samples"`
	Events  []api.TaskEvent `json:"events"`
}

// State is the answer of GET /ui/state.
type State struct {
	Version string     `json:"version"`
	Time    time.Time  `json:"time"`
	Window  float64    `json:"window_seconds"`
	Tasks   []TaskView `json:"tasks"`
}

// recentEvents is how many of a task's last events the page lists.
const recentEvents = 20

func (c *Console) state(w http.ResponseWriter, r *http.Request) {
	if !c.authenticated(r) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		_ = json.NewEncoder(w).Encode(api.ErrorBody{Error: "sign in to the console with the runner's API token"})
		return
	}
	tasks, err := c.store.ListTasks()
	if err != nil {
		c.log.Error("console: reading tasks", "error", err)
		http.Error(w, "reading tasks from the store failed; see the runner's log", http.StatusInternalServerError)
		return
	}
	st := State{Version: c.version, Time: time.Now().UTC(), Window: c.opts.Window.Seconds(), Tasks: []TaskView{}}
	c.mu.Lock()
	for _, t := range tasks {
		tv := TaskView{Task: t, Samples: []Sample{}}
		if rg := c.samples[t.ID]; rg != nil {
			tv.Samples = rg.list()
		}
		st.Tasks = append(st.Tasks, tv)
	}
	c.mu.Unlock()
	for i := range st.Tasks {
		evs, err := c.store.Events(st.Tasks[i].ID, 0)
		if err != nil {
			c.log.Warn("console: reading events", "task_id", st.Tasks[i].ID, "error", err)
		}
		if len(evs) > recentEvents {
			evs = evs[len(evs)-recentEvents:]
		}
		st.Tasks[i].Events = append([]api.TaskEvent{}, evs...)
	}
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	_ = enc.Encode(st)
}
