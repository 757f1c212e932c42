package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/api"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/internal/authlimit"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/internal/clock"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/internal/clock/clocktesting"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/internal/secret"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/internal/store"
)

const testToken = "test-token"

// newTestServer returns a server on a fresh store holding two connections, conn-src and
// conn-dst, whose probe succeeds without a database. It has no scheduler: requests that
// pass validation and would start a task must not be sent to it. Its Limiter reads the
// real clock.
func newTestServer(t testing.TB, logs io.Writer) (*Server, store.Store) {
	t.Helper()
	return newLimitedTestServer(t, logs, nil)
}

// newLimitedTestServer is newTestServer with the Limiter limit, whose log should be logs;
// nil is one with the real clock and default options.
func newLimitedTestServer(t testing.TB, logs io.Writer, limit *authlimit.Limiter) (*Server, store.Store) {
	t.Helper()
	dir := t.TempDir()
	st, err := store.Open(store.Path(dir))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	key, err := st.SealingKey()
	if err != nil {
		t.Fatal(err)
	}
	box, err := secret.New(key)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"conn-src", "conn-dst"} {
		c := store.Connection{Connection: api.Connection{ID: id, ConnectionSpec: api.ConnectionSpec{
			Name: id, DatabaseType: api.DatabaseMariaDB, Host: "127.0.0.1", Port: 3306, Username: "u"}}}
		if err := st.PutConnection(c); err != nil {
			t.Fatal(err)
		}
	}
	if logs == nil {
		logs = io.Discard
	}
	log := slog.New(slog.NewJSONHandler(logs, nil))
	if limit == nil {
		limit = authlimit.New(clock.Real(), log, authlimit.Options{})
	}
	s := New(st, box, nil, log, testToken, limit, "test")
	s.probe = func(context.Context, engine.Endpoint) (engine.Facts, error) {
		return engine.Facts{ServerVersion: "11.4.0-MariaDB", Flavor: "mariadb"}, nil
	}
	return s, st
}

// call sends one request through the full handler (authentication included).
func call(t testing.TB, h http.Handler, method, path, token string, body io.Reader) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, path, body)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

const validTask = `{"source_connection_id":"conn-src","destination_connection_id":"conn-dst","migration_types":["schema","full"],"objects":[{"database":"app"}]}`

// withTask returns validTask with the top-level fields of extra merged over it.
func withTask(t testing.TB, extra string) string {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(validTask), &m); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(extra), &m); err != nil {
		t.Fatalf("%s: %v", extra, err)
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestBadTaskInputNamesTheField(t *testing.T) {
	s, _ := newTestServer(t, nil)
	h := s.Handler()
	table := func(extra string) string {
		return withTask(t, `{"objects":[{"database":"app","tables":[`+extra+`]}]}`)
	}
	for _, c := range []struct {
		name, body, field string
		status            int
	}{
		{"malformed", `{"name":`, "", 400},
		{"empty body", ``, "", 400},
		{"two values", validTask + validTask, "", 400},
		{"unknown top-level field", withTask(t, `{"colour":"red"}`), "colour", 400},
		{"unknown nested field", table(`{"name":"t","colr":1}`), "colr", 400},
		{"wrong type", withTask(t, `{"migration_types":"full"}`), "migration_types", 400},
		{"wrong nested type", withTask(t, `{"objects":[{"database":5}]}`), "objects.database", 400},
		{"number too large", withTask(t, `{"objects":[{"database":"a","tables":[{"name":"t","partition_lifecycle":1e400}]}]}`), "objects.tables.partition_lifecycle", 400},
		{"no source", withTask(t, `{"source_connection_id":""}`), "source_connection_id", 400},
		{"unknown source", withTask(t, `{"source_connection_id":"conn-nope"}`), "source_connection_id", 422},
		{"unknown destination", withTask(t, `{"destination_connection_id":"conn-nope"}`), "destination_connection_id", 422},
		{"no migration types", withTask(t, `{"migration_types":[]}`), "migration_types", 400},
		{"bad migration type", withTask(t, `{"migration_types":["schema","copy"]}`), "migration_types", 400},
		{"migration type twice", withTask(t, `{"migration_types":["full","full"]}`), "migration_types", 400},
		{"no objects", withTask(t, `{"objects":[]}`), "objects", 400},
		{"object without database", withTask(t, `{"objects":[{"database":"a"},{"rename_to":"b"}]}`), "objects[1].database", 400},
		{"meta database", withTask(t, `{"objects":[{"database":"adbmigrate_meta"}]}`), "objects[0].database", 400},
		{"database twice", withTask(t, `{"objects":[{"database":"a"},{"database":"a"}]}`), "objects[1].database", 400},
		{"table without name", table(`{"name":"t"},{"rename_to":"x"}`), "objects[0].tables[1].name", 400},
		{"table twice", table(`{"name":"t"},{"name":"t"}`), "objects[0].tables[1].name", 400},
		{"table type", table(`{"name":"t","table_type":"cube"}`), "objects[0].tables[0].table_type", 400},
		{"partition rule", table(`{"name":"t","partition_rule":"week"}`), "objects[0].tables[0].partition_rule", 400},
		{"partition lifecycle", table(`{"name":"t","partition_lifecycle":-1}`), "objects[0].tables[0].partition_lifecycle", 400},
		{"column twice", table(`{"name":"t","columns":["a","a"]}`), "objects[0].tables[0].columns[1]", 400},
		{"column rename", table(`{"name":"t","column_renames":[{"name":"a"}]}`), "objects[0].tables[0].column_renames[0]", 400},
		{"etl filter syntax", table(`{"name":"t","etl":{"filter":"row.a ==="}}`), "objects[0].tables[0].etl.filter", 400},
		{"etl set syntax", table(`{"name":"t","etl":{"set":{"b":"row.a +"}}}`), "objects[0].tables[0].etl.set.b", 400},
		{"etl drop twice", table(`{"name":"t","etl":{"drop_columns":["a","a"]}}`), "objects[0].tables[0].etl.drop_columns[1]", 400},
		{"desired status", withTask(t, `{"desired_status":"paused"}`), "desired_status", 400},
		{"conflict handling", withTask(t, `{"conflict_handling":"overwrite"}`), "conflict_handling", 400},
		{"instance class", withTask(t, `{"instance_class":"huge"}`), "instance_class", 400},
		{"negative throttling", withTask(t, `{"full_throttling":{"rps":-1}}`), "full_throttling", 400},
	} {
		t.Run(c.name, func(t *testing.T) {
			rec := call(t, h, "POST", "/v1/tasks", testToken, strings.NewReader(c.body))
			var eb api.ErrorBody
			if err := json.Unmarshal(rec.Body.Bytes(), &eb); err != nil {
				t.Fatalf("answer is not an ErrorBody: %v: %s", err, rec.Body)
			}
			if rec.Code != c.status || eb.Field != c.field || eb.Error == "" {
				t.Errorf("POST %s: status %d field %q (%s), want %d field %q", c.body, rec.Code, eb.Field, eb.Error, c.status, c.field)
			}
		})
	}
}

func TestOversizedBodiesGet413(t *testing.T) {
	s, _ := newTestServer(t, nil)
	h := s.Handler()
	// Valid JSON throughout, so only the size can be to blame.
	big := `{"name":"` + strings.Repeat("a", maxBody) + `"}`
	for _, path := range []string{"/v1/connections", "/v1/tasks"} {
		rec := call(t, h, "POST", path, testToken, strings.NewReader(big))
		var eb api.ErrorBody
		_ = json.Unmarshal(rec.Body.Bytes(), &eb)
		if rec.Code != http.StatusRequestEntityTooLarge || !strings.Contains(eb.Error, "larger than") {
			t.Errorf("POST %s with %d bytes: %d %s, want 413", path, len(big), rec.Code, rec.Body)
		}
	}
}

func TestUpdatesOfMissingObjectsAre404(t *testing.T) {
	s, _ := newTestServer(t, nil)
	h := s.Handler()
	for _, c := range []struct{ method, path, body string }{
		{"PUT", "/v1/tasks/task-nope", validTask},
		{"PUT", "/v1/connections/conn-nope", `{}`},
		{"GET", "/v1/tasks/task-nope/status", ``},
		{"DELETE", "/v1/connections/conn-nope", ``},
	} {
		rec := call(t, h, c.method, c.path, testToken, strings.NewReader(c.body))
		if rec.Code != http.StatusNotFound || !strings.Contains(rec.Body.String(), "not found") {
			t.Errorf("%s %s: %d %s, want 404", c.method, c.path, rec.Code, rec.Body)
		}
	}
}

// Connections need no database here: the probe is stubbed, so the whole create path runs.
func TestConnectionAnswersAndLogsHoldNoPassword(t *testing.T) {
	var logs bytes.Buffer
	s, st := newTestServer(t, &logs)
	h := s.Handler()
	const pw = "s3cret-Pa55word"
	rec := call(t, h, "POST", "/v1/connections", testToken, strings.NewReader(
		`{"name":"a","database_type":"mariadb","host":"db.example","port":3306,"username":"u","password":"`+pw+`"}`))
	if rec.Code != http.StatusCreated {
		t.Fatalf("create: %d %s", rec.Code, rec.Body)
	}
	var c api.Connection
	if err := json.Unmarshal(rec.Body.Bytes(), &c); err != nil {
		t.Fatal(err)
	}
	stored, err := st.GetConnection(c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(stored.SealedPassword) == 0 || stored.Password != "" || bytes.Contains(stored.SealedPassword, []byte(pw)) {
		t.Errorf("stored connection: password %q, sealed %d bytes", stored.Password, len(stored.SealedPassword))
	}
	for _, path := range []string{"/v1/connections", "/v1/connections/" + c.ID} {
		if rec := call(t, h, "GET", path, testToken, nil); rec.Code != 200 || strings.Contains(rec.Body.String(), pw) {
			t.Errorf("GET %s: %d %s", path, rec.Code, rec.Body)
		}
	}
	if strings.Contains(logs.String(), pw) {
		t.Errorf("logs hold the password: %s", logs.String())
	}
	assertJSONLines(t, logs.String())
}

// assertJSONLines fails unless every line of logs is a JSON object with time, level and msg.
func assertJSONLines(t testing.TB, logs string) {
	t.Helper()
	for i, line := range strings.Split(strings.TrimRight(logs, "\n"), "\n") {
		if line == "" {
			continue
		}
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Errorf("log line %d is not JSON: %v: %s", i+1, err, line)
			continue
		}
		for _, k := range []string{"time", "level", "msg"} {
			if _, ok := rec[k]; !ok {
				t.Errorf("log line %d has no %q: %s", i+1, k, line)
			}
		}
	}
}

func TestMetricsReadTasksFromTheStore(t *testing.T) {
	var logs bytes.Buffer
	s, st := newTestServer(t, &logs)
	h := s.Handler()
	now := time.Now().UTC()
	for _, task := range []api.Task{
		{ID: "task-a", TaskSpec: api.TaskSpec{Name: "orders", SourceConnectionID: "conn-src", DestinationConnectionID: "conn-dst",
			MigrationTypes: []api.MigrationType{"schema", "full"}, DesiredStatus: api.DesiredRunning},
			State: api.TaskState{Status: api.StatusFullMigrating, Phase: "full", ProgressPercent: 42.5, RowsMigrated: 12345, LatencySeconds: 1.5, UpdatedAt: now}},
		{ID: "task-b", TaskSpec: api.TaskSpec{Name: `we"ird\name`, SourceConnectionID: "conn-src", DestinationConnectionID: "conn-dst",
			MigrationTypes: []api.MigrationType{"full"}, DesiredStatus: api.DesiredStopped},
			State: api.TaskState{Status: api.StatusCompleted, ProgressPercent: 100, RowsMigrated: 7, UpdatedAt: now}},
	} {
		if err := st.PutTask(task); err != nil {
			t.Fatal(err)
		}
	}

	if rec := call(t, h, "GET", "/metrics", "", nil); rec.Code != http.StatusUnauthorized {
		t.Errorf("GET /metrics without token: %d, want 401", rec.Code)
	}
	if rec := call(t, h, "GET", "/metrics", "wrong", nil); rec.Code != http.StatusUnauthorized {
		t.Errorf("GET /metrics with a wrong token: %d, want 401", rec.Code)
	}
	rec := call(t, h, "GET", "/metrics", testToken, nil)
	if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/plain") {
		t.Fatalf("GET /metrics: %d %s %s", rec.Code, rec.Header().Get("Content-Type"), rec.Body)
	}
	body := rec.Body.String()
	for _, want := range []string{
		"# TYPE adbmigrate_task_rows_migrated gauge",
		`adbmigrate_task_rows_migrated{name="orders",task_id="task-a"} 12345`,
		`adbmigrate_task_rows_migrated{name="we\"ird\\name",task_id="task-b"} 7`,
		`adbmigrate_task_progress_percent{name="orders",task_id="task-a"} 42.5`,
		`adbmigrate_task_latency_seconds{name="orders",task_id="task-a"} 1.5`,
		`adbmigrate_task_status{name="orders",status="FullMigrating",task_id="task-a"} 1`,
		`adbmigrate_task_status{name="orders",status="Completed",task_id="task-a"} 0`,
		`adbmigrate_task_status{name="we\"ird\\name",status="Completed",task_id="task-b"} 1`,
		`adbmigrate_task_info{desired_status="running",destination_connection_id="conn-dst",migration_types="schema,full",name="orders",phase="full",source_connection_id="conn-src",task_id="task-a"} 1`,
		`adbmigrate_runner_info{version="test"} 1`,
	} {
		if !strings.Contains(body, want+"\n") {
			t.Errorf("metrics lack the line %s", want)
		}
	}
	for _, name := range []string{"go_goroutines", "process_resident_memory_bytes"} {
		if !strings.Contains(body, "\n"+name+" ") {
			t.Errorf("metrics lack %s", name)
		}
	}
	if n := strings.Count(body, "\nadbmigrate_task_status{"); n != 2*len(statuses) {
		t.Errorf("%d adbmigrate_task_status series, want one per status and task (%d)", n, 2*len(statuses))
	}

	// A store that cannot be read fails the scrape instead of reporting no tasks.
	st.Close()
	if rec := call(t, h, "GET", "/metrics", testToken, nil); rec.Code != http.StatusInternalServerError {
		t.Errorf("scrape of a closed store: %d, want 500", rec.Code)
	}
	if !strings.Contains(logs.String(), "reading tasks from the store") {
		t.Errorf("the failed scrape was not logged: %s", logs.String())
	}
	assertJSONLines(t, logs.String())
}

// Wrong bearer tokens from one address: the first five are 401, then that address gets 429
// with Retry-After, even with the right token, until the wait has passed, while the right
// token from another address is served at once. A missing token is no guess and does not
// count. Every wrong token is logged with the client address, never the token.
func TestWrongTokensAreThrottledPerAddress(t *testing.T) {
	clk := clocktesting.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	var logs bytes.Buffer
	limit := authlimit.New(clk, slog.New(slog.NewJSONHandler(&logs, nil)), authlimit.Options{Free: 5, Base: time.Second, Max: 8 * time.Second})
	s, _ := newLimitedTestServer(t, &logs, limit)
	h := s.Handler()
	send := func(addr, token string) *httptest.ResponseRecorder {
		t.Helper()
		req := httptest.NewRequest("POST", "/v1/tasks", strings.NewReader("{}"))
		req.RemoteAddr = addr
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	const attacker, friend = "203.0.113.5:51000", "203.0.113.6:51000"
	for i := range 3 {
		if rec := send(attacker, ""); rec.Code != http.StatusUnauthorized {
			t.Fatalf("request %d without a token: %d, want 401", i+1, rec.Code)
		}
	}
	for i := range 5 {
		if rec := send(attacker, "guess-"+string(rune('a'+i))); rec.Code != http.StatusUnauthorized {
			t.Fatalf("wrong token %d: %d, want 401: %s", i+1, rec.Code, rec.Body)
		}
	}
	for _, token := range []string{"guess-f", testToken} {
		rec := send(attacker, token)
		if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") != "1" || !strings.Contains(rec.Body.String(), "too many wrong tokens") {
			t.Fatalf("token %q after five wrong ones: %d Retry-After %q %s, want 429 with Retry-After 1", token, rec.Code, rec.Header().Get("Retry-After"), rec.Body)
		}
	}
	if rec := send(friend, testToken); rec.Code == http.StatusTooManyRequests || rec.Code == http.StatusUnauthorized {
		t.Fatalf("the right token from another address while one is refused: %d %s", rec.Code, rec.Body)
	}
	// The wait doubles with the next wrong token.
	clk.Advance(time.Second)
	if rec := send(attacker, "guess-g"); rec.Code != http.StatusUnauthorized {
		t.Fatalf("wrong token after the wait: %d, want 401", rec.Code)
	}
	if rec := send(attacker, testToken); rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") != "2" {
		t.Fatalf("after a sixth wrong token: %d Retry-After %q, want 429 with 2", rec.Code, rec.Header().Get("Retry-After"))
	}
	// The right token after the wait is served and resets the count.
	clk.Advance(2 * time.Second)
	if rec := send(attacker, testToken); rec.Code == http.StatusTooManyRequests || rec.Code == http.StatusUnauthorized {
		t.Fatalf("the right token after the wait: %d %s", rec.Code, rec.Body)
	}
	if rec := send(attacker, "guess-h"); rec.Code != http.StatusUnauthorized {
		t.Fatalf("a wrong token after a success: %d, want 401", rec.Code)
	}
	if rec := send(attacker, testToken); rec.Code == http.StatusTooManyRequests {
		t.Fatalf("one wrong token after a success is refused: %d", rec.Code)
	}

	failures := 0
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		if strings.Contains(line, "guess-") || strings.Contains(line, testToken) {
			t.Errorf("a log line holds a token: %s", line)
		}
		if strings.Contains(line, `"msg":"authentication failed`) {
			failures++
			if !strings.Contains(line, `"client":"203.0.113.5"`) || !strings.Contains(line, `"via":"api"`) {
				t.Errorf("failure logged without the client address: %s", line)
			}
		}
	}
	if failures != 7 {
		t.Errorf("%d failures logged, want the 7 wrong tokens:\n%s", failures, logs.String())
	}
}
