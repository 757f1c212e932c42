package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/mariadbtest"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/runnertest"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/api"
)

func TestAPIRefusesRequestsWithoutToken(t *testing.T) {
	r := runnertest.Start(t)
	for _, c := range []struct{ method, path, auth string }{
		{"GET", "/v1/health", ""},
		{"GET", "/v1/connections", ""},
		{"POST", "/v1/connections", ""},
		{"GET", "/v1/tasks", "Bearer wrong-token"},
		{"DELETE", "/v1/tasks/task-x", "Bearer "},
		{"GET", "/v1/no-such-path", ""},
		{"GET", "/v1/tasks", r.Token}, // no "Bearer " scheme
	} {
		req, _ := http.NewRequest(c.method, r.Endpoint+c.path, strings.NewReader("{}"))
		if c.auth != "" {
			req.Header.Set("Authorization", c.auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s %s with Authorization %q: status %d, want 401", c.method, c.path, c.auth, resp.StatusCode)
		}
	}
	if _, err := r.Client.Health(context.Background()); err != nil {
		t.Errorf("health with the token: %v", err)
	}
}

func TestAPIRejectsBadInputNamingTheField(t *testing.T) {
	r := runnertest.Start(t)
	for _, c := range []struct {
		body, field string
		status      int
	}{
		{`{"name":"a","database_type":"mariadb","host":"h","port":3306,"username":"u","colour":"red"}`, "colour", 400},
		{`{"name":"a","database_type":"oracle","host":"h","port":3306,"username":"u"}`, "database_type", 400},
		{`{"name":"a","database_type":"mariadb","host":"h","port":70000,"username":"u"}`, "port", 400},
		{`{"name":"a","database_type":"mariadb","host":"h","port":"x","username":"u"}`, "port", 400},
		{`{"name":`, "", 400},
	} {
		req, _ := http.NewRequest("POST", r.Endpoint+"/v1/connections", strings.NewReader(c.body))
		req.Header.Set("Authorization", "Bearer "+r.Token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var eb api.ErrorBody
		_ = json.NewDecoder(resp.Body).Decode(&eb)
		resp.Body.Close()
		if resp.StatusCode != c.status || eb.Field != c.field || eb.Error == "" {
			t.Errorf("POST %s: status %d field %q (%s), want %d field %q", c.body, resp.StatusCode, eb.Field, eb.Error, c.status, c.field)
		}
	}
}

func TestStatePersistsAndPasswordsStaySecret(t *testing.T) {
	src, dst := mariadbtest.StartSource(t), mariadbtest.StartDestination(t)
	src.Exec(t, "CREATE DATABASE app", "CREATE TABLE app.t (id INT PRIMARY KEY, v VARCHAR(10))", "INSERT INTO app.t VALUES (1,'a'),(2,'b'),(3,NULL)")
	r := runnertest.Start(t)
	ctx := context.Background()
	conn := func(name string, s *mariadbtest.Server) api.Connection {
		c, err := r.Client.CreateConnection(ctx, api.ConnectionSpec{Name: name, DatabaseType: "mariadb", Host: s.Host, Port: s.Port, Username: s.User, Password: s.Password})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	sc, dc := conn("src", src), conn("dst", dst)
	task, err := r.Client.CreateTask(ctx, api.TaskSpec{
		SourceConnectionID: sc.ID, DestinationConnectionID: dc.ID,
		MigrationTypes: []string{"schema", "full"}, Objects: []api.Object{{Database: "app"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	done := r.WaitStatus(t, task.ID, time.Minute, api.StatusCompleted)
	if done.State.RowsMigrated != 3 {
		t.Errorf("rows_migrated = %d, want 3", done.State.RowsMigrated)
	}
	mariadbtest.AssertSameRows(t, src.DB(t, ""), dst.DB(t, ""), "SELECT * FROM app.t ORDER BY id", "SELECT * FROM app.t ORDER BY id")

	// No response carries a password.
	for _, path := range []string{"/v1/connections", "/v1/connections/" + sc.ID, "/v1/tasks", "/v1/tasks/" + task.ID} {
		body := get(t, r, path)
		if strings.Contains(body, src.Password) || strings.Contains(body, dst.Password) {
			t.Errorf("GET %s returned a password: %s", path, body)
		}
	}

	// SIGKILL, restart on the same data dir: everything is still there.
	r.Kill(t)
	r.Start(t)
	again, err := r.Client.GetTask(ctx, task.ID)
	if err != nil {
		t.Fatal(err)
	}
	if again.State.Status != api.StatusCompleted || again.State.RowsMigrated != 3 || again.Name != task.Name {
		t.Errorf("after restart the task is %+v", again)
	}
	if _, err := r.Client.GetConnection(ctx, sc.ID); err != nil {
		t.Errorf("after restart: %v", err)
	}
	r.Stop(t)

	// The data dir's files are private and the store holds no password.
	entries, err := os.ReadDir(r.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		info, _ := e.Info()
		if info.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s has mode %v, want no group or other access", e.Name(), info.Mode().Perm())
		}
	}
	store, err := os.ReadFile(filepath.Join(r.DataDir, "runner.db"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(store, []byte(src.Password)) || bytes.Contains(store, []byte(dst.Password)) {
		t.Error("the store file holds a password in clear")
	}
	if strings.Contains(r.Logs(), src.Password) || strings.Contains(r.Logs(), dst.Password) {
		t.Error("the runner logged a password")
	}
}

func get(t *testing.T, r *runnertest.Runner, path string) string {
	req, _ := http.NewRequest("GET", r.Endpoint+path, nil)
	req.Header.Set("Authorization", "Bearer "+r.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
	}
	return string(b)
}

func TestGeneratedTokenIsPrivateAndNotLogged(t *testing.T) {
	t.Setenv("ADBMIGRATE_TOKEN", "")
	dir := t.TempDir()
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	tok, err := loadToken(dir, "", log)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "token")
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("token file mode %v, want 0600", info.Mode().Perm())
	}
	if len(tok) < 32 || strings.Contains(logs.String(), tok) || !strings.Contains(logs.String(), path) {
		t.Errorf("token %d chars; logs must name %s and not hold the token: %s", len(tok), path, logs.String())
	}
	again, err := loadToken(dir, "", log)
	if err != nil || again != tok {
		t.Errorf("second start read token %q, %v; want the generated one", again, err)
	}
	t.Setenv("ADBMIGRATE_TOKEN", "from-env")
	if got, _ := loadToken(dir, "", log); got != "from-env" {
		t.Errorf("with ADBMIGRATE_TOKEN set got %q", got)
	}
}

// SIGKILL the runner in the middle of a full copy, repeatedly; every restart resumes the task
// from the destination's checkpoints, and the destination ends equal to the source with no
// row lost or written twice.
func TestFullLoadSurvivesRunnerKills(t *testing.T) {
	src, dst := mariadbtest.StartSource(t), mariadbtest.StartDestination(t)
	src.Exec(t, "CREATE DATABASE big",
		"CREATE TABLE big.events (id BIGINT PRIMARY KEY, kind VARCHAR(16), payload VARBINARY(64), at DATETIME(6))",
		"CREATE TABLE big.tags (name VARCHAR(40) NOT NULL, n INT, UNIQUE KEY (name))",
		"INSERT INTO big.events SELECT seq, ELT(1 + seq % 4, 'a', 'b', 'c', 'd'), UNHEX(SHA2(seq, 256)), '2025-01-01' + INTERVAL seq * 7 MICROSECOND FROM big.seq_1_to_30000",
		"INSERT INTO big.tags SELECT CONCAT('tag-', seq), seq FROM big.seq_1_to_3000")
	r := runnertest.Start(t)
	ctx := context.Background()
	mk := func(name string, s *mariadbtest.Server) string {
		c, err := r.Client.CreateConnection(ctx, api.ConnectionSpec{Name: name, DatabaseType: "mariadb", Host: s.Host, Port: s.Port, Username: s.User, Password: s.Password})
		if err != nil {
			t.Fatal(err)
		}
		return c.ID
	}
	task, err := r.Client.CreateTask(ctx, api.TaskSpec{
		SourceConnectionID: mk("src", src), DestinationConnectionID: mk("dst", dst),
		MigrationTypes: []string{"schema", "full"}, Objects: []api.Object{{Database: "big"}},
		InstanceClass: "small",
		// Slow enough that the kills land mid-copy: 33,000 rows at 6,000 rows/s.
		FullThrottling: &api.Throttling{RPS: 6000},
	})
	if err != nil {
		t.Fatal(err)
	}
	kills := 0
	for kills < 3 {
		st, err := r.Client.GetTask(ctx, task.ID)
		if err != nil {
			t.Fatal(err)
		}
		if st.State.Status == api.StatusCompleted {
			break
		}
		if st.State.Status == api.StatusFullMigrating && st.State.RowsMigrated > int64(kills+1)*4000 {
			r.Kill(t)
			kills++
			t.Logf("killed the runner at %d rows copied", st.State.RowsMigrated)
			r.Start(t)
			continue
		}
		if st.State.Status == api.StatusFailed {
			t.Fatalf("task failed: %s", st.State.ErrorMessage)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if kills == 0 {
		t.Fatal("the copy finished before the runner could be killed: the test proves nothing")
	}
	done := r.WaitStatus(t, task.ID, 2*time.Minute, api.StatusCompleted)
	if done.State.RowsMigrated != 33000 {
		t.Errorf("rows_migrated = %d after %d kills, want 33000", done.State.RowsMigrated, kills)
	}
	srcDB, dstDB := src.DB(t, ""), dst.DB(t, "")
	mariadbtest.AssertSameRows(t, srcDB, dstDB, "SELECT * FROM big.events ORDER BY id", "SELECT * FROM big.events ORDER BY id")
	mariadbtest.AssertSameRows(t, srcDB, dstDB, "SELECT * FROM big.tags ORDER BY name", "SELECT * FROM big.tags ORDER BY name")
}
