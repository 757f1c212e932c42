package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
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
	const task = `"source_connection_id":"conn-a","destination_connection_id":"conn-b","migration_types":["schema","full"],"objects":[{"database":"app"}]`
	big := `{"name":"` + strings.Repeat("x", 1<<20) + `"}`
	for _, c := range []struct {
		path, body, field string
		status            int
	}{
		{"/v1/connections", `{"name":"a","database_type":"mariadb","host":"h","port":3306,"username":"u","colour":"red"}`, "colour", 400},
		{"/v1/connections", `{"name":"a","database_type":"oracle","host":"h","port":3306,"username":"u"}`, "database_type", 400},
		{"/v1/connections", `{"name":"a","database_type":"mariadb","host":"h","port":70000,"username":"u"}`, "port", 400},
		{"/v1/connections", `{"name":"a","database_type":"mariadb","host":"h","port":"x","username":"u"}`, "port", 400},
		{"/v1/connections", `{"name":`, "", 400},
		{"/v1/connections", `{"database_type":"mariadb","host":"h","port":3306,"username":"u"}`, "name", 400},
		{"/v1/connections", `{"name":"a","database_type":"mariadb","port":3306,"username":"u"}`, "host", 400},
		{"/v1/connections", `{"name":"a","database_type":"mariadb","host":"h","port":3306}`, "username", 400},
		{"/v1/connections", `{"name":"a","database_type":"mariadb","host":"h","port":3306,"username":"u","tls":{"mode":"always"}}`, "tls.mode", 400},
		{"/v1/connections", `{"name":"a","database_type":"mariadb","host":"h","port":3306,"username":"u","tls":{"mode":"required","ca":"x"}}`, "ca", 400},
		{"/v1/connections", `{"name":"a"} {"name":"b"}`, "", 400},
		{"/v1/connections", big, "", 413},
		{"/v1/tasks", `{` + task + `,"colour":"red"}`, "colour", 400},
		{"/v1/tasks", `{` + task + `,"objects":[{"database":"app","tables":[{"name":"t","where":1}]}]}`, "objects.tables.where", 400},
		{"/v1/tasks", `{` + task + `,"instance_class":7}`, "instance_class", 400},
		{"/v1/tasks", `{"destination_connection_id":"conn-b","migration_types":["full"],"objects":[{"database":"app"}]}`, "source_connection_id", 400},
		{"/v1/tasks", `{` + task + `}`, "source_connection_id", 422},
		{"/v1/tasks", `{"source_connection_id":`, "", 400},
		{"/v1/tasks", ``, "", 400},
		{"/v1/tasks", big, "", 413},
	} {
		req, _ := http.NewRequest("POST", r.Endpoint+c.path, strings.NewReader(c.body))
		req.Header.Set("Authorization", "Bearer "+r.Token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var eb api.ErrorBody
		_ = json.NewDecoder(resp.Body).Decode(&eb)
		resp.Body.Close()
		if resp.StatusCode != c.status || eb.Field != c.field || eb.Error == "" {
			t.Errorf("POST %s %.200s: status %d field %q (%s), want %d field %q", c.path, c.body, resp.StatusCode, eb.Field, eb.Error, c.status, c.field)
		}
		if c.field != "" && !strings.Contains(eb.Error, c.field[strings.LastIndex(c.field, ".")+1:]) {
			t.Errorf("POST %s %s: message %q does not name the field %s", c.path, c.body, eb.Error, c.field)
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
		MigrationTypes: []api.MigrationType{"schema", "full"}, Objects: []api.Object{{Database: "app"}},
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
	const fromEnv = "from-env-0123456789abcdef0123456789"
	t.Setenv("ADBMIGRATE_TOKEN", fromEnv)
	if got, _ := loadToken(dir, "", log); got != fromEnv {
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
	task, err := r.Client.CreateTask(ctx, api.TaskSpec{
		SourceConnectionID: r.Connect(t, "src", src), DestinationConnectionID: r.Connect(t, "dst", dst),
		MigrationTypes: []api.MigrationType{"schema", "full"}, Objects: []api.Object{{Database: "big"}},
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

// A full copy into an empty destination table drops its plain secondary indexes before the
// first row and adds them back after the last; runner kills in between lose neither a row
// nor an index. Unique keys stay during the copy: they decide conflicts.
func TestFullLoadBuildsIndexesAfterTheRows(t *testing.T) {
	src, dst := mariadbtest.StartSource(t), mariadbtest.StartDestination(t)
	src.Exec(t, "CREATE DATABASE ix",
		"CREATE TABLE ix.events (id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, k INT NOT NULL, s VARCHAR(40) NOT NULL, "+
			"KEY by_k (k), KEY by_s_k (s(10), k DESC) COMMENT 'two parts', UNIQUE KEY u (s))",
		"INSERT INTO ix.events SELECT seq, seq * 7919 % 1000, CONCAT('event-', seq) FROM ix.seq_1_to_60000",
		"ANALYZE TABLE ix.events")
	r := runnertest.Start(t)
	ctx := context.Background()
	task, err := r.Client.CreateTask(ctx, api.TaskSpec{
		SourceConnectionID: r.Connect(t, "src", src), DestinationConnectionID: r.Connect(t, "dst", dst),
		MigrationTypes: []api.MigrationType{"schema", "full"}, Objects: []api.Object{{Database: "ix"}},
		InstanceClass: "small",
		// Slow enough that the kills land mid-copy: 60,000 rows at 12,000 rows/s.
		FullThrottling: &api.Throttling{RPS: 12000},
	})
	if err != nil {
		t.Fatal(err)
	}
	dstDB := dst.DB(t, "")
	indexes := "SELECT INDEX_NAME, NON_UNIQUE, SEQ_IN_INDEX, COLUMN_NAME, SUB_PART, COLLATION, INDEX_COMMENT FROM information_schema.STATISTICS " +
		"WHERE TABLE_SCHEMA = 'ix' AND TABLE_NAME = 'events' ORDER BY INDEX_NAME, SEQ_IN_INDEX"
	kills := 0
	deadline := time.Now().Add(2 * time.Minute)
	for kills < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("the copy did not reach %d rows within 2 minutes", (kills+1)*15000)
		}
		st, err := r.Client.GetTask(ctx, task.ID)
		if err != nil {
			t.Fatal(err)
		}
		switch st.State.Status {
		case api.StatusCompleted:
			t.Fatalf("the copy finished after %d kills, before the test could kill it twice: the test proves nothing", kills)
		case api.StatusFailed:
			t.Fatalf("task failed: %s", st.State.ErrorMessage)
		}
		if st.State.Status != api.StatusFullMigrating || st.State.RowsMigrated <= int64(kills+1)*15000 {
			time.Sleep(20 * time.Millisecond)
			continue
		}
		// Mid-copy, the destination has the primary key and the unique key only.
		var names []string
		rows, err := dstDB.QueryContext(ctx, "SELECT DISTINCT INDEX_NAME FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = 'ix' AND TABLE_NAME = 'events' ORDER BY 1")
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var n string
			if err := rows.Scan(&n); err != nil {
				t.Fatal(err)
			}
			names = append(names, n)
		}
		rows.Close()
		if got := strings.Join(names, ","); got != "PRIMARY,u" {
			t.Fatalf("destination indexes at %d rows copied: %s, want PRIMARY,u (by_k and by_s_k built after the rows)", st.State.RowsMigrated, got)
		}
		r.Kill(t)
		kills++
		t.Logf("killed the runner at %d rows copied", st.State.RowsMigrated)
		r.Start(t)
	}
	done := r.WaitStatus(t, task.ID, 2*time.Minute, api.StatusCompleted)
	if done.State.RowsMigrated != 60000 {
		t.Errorf("rows_migrated = %d after %d kills, want 60000", done.State.RowsMigrated, kills)
	}
	srcDB := src.DB(t, "")
	mariadbtest.AssertSameRows(t, srcDB, dstDB, indexes, indexes)
	mariadbtest.AssertSameRows(t, srcDB, dstDB, "SELECT * FROM ix.events ORDER BY id", "SELECT * FROM ix.events ORDER BY id")
}

// The API over HTTPS with a self-signed certificate: trusted clients get in, plain HTTP and
// clients that do not trust the certificate do not, and TLS allows a non-loopback listen.
func TestTLSListener(t *testing.T) {
	cert := runnertest.SelfSignedTLS(t, t.TempDir())
	r := runnertest.StartWith(t, runnertest.Options{TLS: cert, ListenHost: "0.0.0.0"})
	if !strings.HasPrefix(r.Endpoint, "https://") {
		t.Fatalf("endpoint %s is not https", r.Endpoint)
	}
	ctx := context.Background()
	if _, err := r.Client.Health(ctx); err != nil {
		t.Fatalf("health over HTTPS: %v", err)
	}
	if body := getWith(t, r.HTTPClient, r, "/metrics"); !strings.Contains(body, "adbmigrate_runner_info") {
		t.Errorf("metrics over HTTPS lack adbmigrate_runner_info: %.300s", body)
	}

	// A client that does not trust the certificate fails the handshake.
	untrusting, _ := api.NewClient(r.Endpoint, r.Token, &http.Client{Timeout: 10 * time.Second})
	if _, err := untrusting.Health(ctx); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("health without trusting the certificate: %v, want a certificate error", err)
	}
	// Plain HTTP on the TLS port gets no API answer.
	resp, err := http.Get("http://" + r.Addr + "/v1/health")
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("plain HTTP to the HTTPS port: %d, want 400", resp.StatusCode)
		}
	}

	// The status command trusts the certificate through --ca-file.
	out, err := statusCmd(t, []string{"ADBMIGRATE_TOKEN=" + r.Token}, "--endpoint", r.Endpoint, "--ca-file", cert.CertFile)
	if err != nil || !strings.HasPrefix(out, "ID ") {
		t.Errorf("status over HTTPS: %v\n%s", err, out)
	}
	// The failed handshake above went to the log as JSON like everything else.
	assertJSONLogs(t, r.Logs())
	if !strings.Contains(r.Logs(), `"scheme":"https"`) {
		t.Errorf("the runner did not log that it serves HTTPS:\n%s", r.Logs())
	}
}

func TestNonLoopbackListenNeedsTLSOrInsecure(t *testing.T) {
	for _, listen := range []string{"0.0.0.0:0", ":0", "[::]:0"} {
		dataDir := filepath.Join(t.TempDir(), "data")
		cmd := exec.Command(runnertest.Binary(t), "--listen", listen, "--data-dir", dataDir)
		cmd.Env = append(os.Environ(), "ADBMIGRATE_TOKEN=0123456789abcdef0123456789abcdef")
		out, err := cmd.CombinedOutput()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() == 0 {
			t.Errorf("--listen %s without TLS: %v, want a non-zero exit\n%s", listen, err, out)
			continue
		}
		for _, want := range []string{"refusing to serve plain HTTP on non-loopback address " + listen, "--tls-cert FILE --tls-key FILE", "--insecure"} {
			if !strings.Contains(string(out), want) {
				t.Errorf("--listen %s: message lacks %q:\n%s", listen, want, out)
			}
		}
		if _, err := os.Stat(dataDir); !os.IsNotExist(err) {
			t.Errorf("--listen %s: the refused runner created its data dir (%v)", listen, err)
		}
	}

	r := runnertest.StartWith(t, runnertest.Options{ListenHost: "0.0.0.0", Args: []string{"--insecure"}})
	if _, err := r.Client.Health(context.Background()); err != nil {
		t.Fatalf("health of an --insecure runner on 0.0.0.0: %v", err)
	}
	if !strings.Contains(r.Logs(), "because of --insecure") {
		t.Errorf("the runner did not warn about --insecure:\n%s", r.Logs())
	}
}

func TestServerTLSFlags(t *testing.T) {
	cert := runnertest.SelfSignedTLS(t, t.TempDir())
	for _, c := range []struct {
		listen, cert, key string
		insecure          bool
		wantTLS           bool
		wantErr           string
	}{
		{listen: "127.0.0.1:8765"},
		{listen: "127.9.9.9:8765"},
		{listen: "[::1]:8765"},
		{listen: "localhost:8765"},
		{listen: "0.0.0.0:8765", insecure: true},
		{listen: "0.0.0.0:8765", wantErr: "refusing to serve plain HTTP"},
		{listen: "10.1.2.3:8765", wantErr: "refusing to serve plain HTTP"},
		{listen: "runner.internal:8765", wantErr: "refusing to serve plain HTTP"},
		{listen: "0.0.0.0:8765", cert: cert.CertFile, key: cert.KeyFile, wantTLS: true},
		{listen: "127.0.0.1:8765", cert: cert.CertFile, key: cert.KeyFile, wantTLS: true},
		{listen: "0.0.0.0:8765", cert: cert.CertFile, wantErr: "--tls-cert and --tls-key go together"},
		{listen: "0.0.0.0:8765", key: cert.KeyFile, wantErr: "--tls-cert and --tls-key go together"},
		{listen: "0.0.0.0:8765", cert: cert.KeyFile, key: cert.CertFile, wantErr: "loading --tls-cert"},
		{listen: "0.0.0.0:8765", cert: "/nonexistent.pem", key: cert.KeyFile, wantErr: "/nonexistent.pem"},
	} {
		cfg, err := serverTLS(c.listen, c.cert, c.key, c.insecure)
		switch {
		case c.wantErr != "":
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("%+v: error %v, want %q", c, err, c.wantErr)
			}
		case err != nil:
			t.Errorf("%+v: %v", c, err)
		case (cfg != nil) != c.wantTLS:
			t.Errorf("%+v: TLS config %v, want TLS %v", c, cfg != nil, c.wantTLS)
		}
	}
}

func TestPrintTasks(t *testing.T) {
	var out bytes.Buffer
	err := printTasks(&out, []api.Task{
		{ID: "task-1", TaskSpec: api.TaskSpec{Name: "orders"}, State: api.TaskState{Status: api.StatusFullMigrating, Phase: "full",
			ProgressPercent: 42.25, RowsMigrated: 1200, LatencySeconds: 0, Position: api.Position{File: "mysql-bin.000003", Pos: 4711}}},
		{ID: "task-2", TaskSpec: api.TaskSpec{Name: "two\twords"}, State: api.TaskState{Status: api.StatusRunning,
			ProgressPercent: 100, RowsMigrated: 5, LatencySeconds: 2.5, Position: api.Position{File: "b.000001", Pos: 9, GTIDSet: "0-1-100,\n1-2-3"}}},
		{ID: "task-3", State: api.TaskState{Status: api.StatusNotStarted}},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := `ID      NAME       STATUS         PHASE  PROGRESS %  ROWS  LAG s  POSITION
task-1  orders     FullMigrating  full   42.2        1200  0.0    mysql-bin.000003:4711
task-2  two words  Running        -      100.0       5     2.5    b.000001:9 / 0-1-100,1-2-3
task-3  -          NotStarted     -      0.0         0     0.0    -
`
	if out.String() != want {
		t.Errorf("table:\n%s\nwant:\n%s", out.String(), want)
	}
}

// In a cluster the table gains OWNER and EPOCH; the nodes view lists the runners.
func TestPrintTasksAndNodesOfACluster(t *testing.T) {
	var out bytes.Buffer
	err := printTasks(&out, []api.Task{
		{ID: "task-1", State: api.TaskState{Status: api.StatusRunning, Owner: "r2", Epoch: 42}},
		{ID: "task-2", State: api.TaskState{Status: api.StatusCompleted}},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := `ID      NAME  STATUS     PHASE  PROGRESS %  ROWS  LAG s  POSITION  OWNER  EPOCH
task-1  -     Running    -      0.0         0     0.0    -         r2     42
task-2  -     Completed  -      0.0         0     0.0    -         -      0
`
	if out.String() != want {
		t.Errorf("table:\n%s\nwant:\n%s", out.String(), want)
	}
	out.Reset()
	started := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := printNodes(&out, []api.Node{{NodeID: "r1", Leader: true, Tasks: 3, AdvertiseURL: "http://h1:8765", StartedAt: started}, {NodeID: "r2", MaxTasks: 10, StartedAt: started, Draining: true}}); err != nil {
		t.Fatal(err)
	}
	want = `NODE  LEADER  DRAINING  TASKS  MAX TASKS  URL             STARTED
r1    yes     -         3      -          http://h1:8765  2026-01-02T03:04:05Z
r2    -       yes       0      10         -               2026-01-02T03:04:05Z
`
	if out.String() != want {
		t.Errorf("nodes:\n%s\nwant:\n%s", out.String(), want)
	}
}

func TestStatusTokenAndEndpointSources(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "token"), []byte("from-data-dir\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "other")
	if err := os.WriteFile(file, []byte(" from-file \n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("ADBMIGRATE_TOKEN", "")
	if _, err := clientToken("", ""); err == nil || !strings.Contains(err.Error(), "ADBMIGRATE_TOKEN") {
		t.Errorf("no token anywhere: %v, want an error saying where to put one", err)
	}
	if got, _ := clientToken("", dir); got != "from-data-dir" {
		t.Errorf("--data-dir: token %q", got)
	}
	t.Setenv("ADBMIGRATE_TOKEN", "from-env")
	if got, _ := clientToken("", dir); got != "from-env" {
		t.Errorf("ADBMIGRATE_TOKEN over --data-dir: token %q", got)
	}
	if got, _ := clientToken(file, dir); got != "from-file" {
		t.Errorf("--token-file over ADBMIGRATE_TOKEN: token %q", got)
	}
	if _, err := clientToken(filepath.Join(dir, "missing"), ""); err == nil {
		t.Error("a missing --token-file is no error")
	}
}

// One completed task against real MariaDB, then what an operator sees of it: Prometheus
// metrics, the status command's table, and logs that are JSON, carry task_id and hold no
// password, not even a wrong one.
func TestMetricsStatusAndLogsOfACompletedTask(t *testing.T) {
	src, dst := mariadbtest.SharedPair(t)
	src.Exec(t, "CREATE DATABASE shop", "CREATE TABLE shop.items (id INT PRIMARY KEY, v VARCHAR(10))", "INSERT INTO shop.items VALUES (1,'a'),(2,'b'),(3,'c'),(4,NULL)")
	r := runnertest.Start(t)
	ctx := context.Background()
	const wrongPassword = "Wr0ng-Passw0rd-for-the-log-test"
	_, err := r.Client.CreateConnection(ctx, api.ConnectionSpec{Name: "bad", DatabaseType: "mariadb", Host: src.Host, Port: src.Port, Username: src.User, Password: wrongPassword})
	var apiErr *api.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("connection with a wrong password: %v, want 422", err)
	}
	conn := func(name string, s *mariadbtest.Server) api.Connection {
		c, err := r.Client.CreateConnection(ctx, api.ConnectionSpec{Name: name, DatabaseType: "mariadb", Host: s.Host, Port: s.Port, Username: s.User, Password: s.Password})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	sc, dc := conn("src", src), conn("dst", dst)
	if _, err := r.Client.UpdateConnection(ctx, sc.ID, api.ConnectionSpec{Name: "src", DatabaseType: "mariadb", Host: src.Host, Port: src.Port, Username: src.User, Password: src.Password}); err != nil {
		t.Fatal(err)
	}
	task, err := r.Client.CreateTask(ctx, api.TaskSpec{
		Name: "shop-copy", SourceConnectionID: sc.ID, DestinationConnectionID: dc.ID,
		MigrationTypes: []api.MigrationType{"schema", "full"}, Objects: []api.Object{{Database: "shop"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	done := r.WaitStatus(t, task.ID, time.Minute, api.StatusCompleted)
	if done.State.BytesMigrated <= 0 {
		t.Errorf("bytes_migrated = %d after copying 4 rows", done.State.BytesMigrated)
	}

	t.Run("metrics", func(t *testing.T) {
		req, _ := http.NewRequest("GET", r.Endpoint+"/metrics", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("GET /metrics without token: %d, want 401", resp.StatusCode)
		}
		body := get(t, r, "/metrics")
		labels := `{name="shop-copy",task_id="` + task.ID + `"}`
		for _, want := range []string{
			"adbmigrate_task_rows_migrated" + labels + " 4",
			"adbmigrate_task_progress_percent" + labels + " 100",
			"adbmigrate_task_retries_total" + labels + " 0",
			fmt.Sprintf("adbmigrate_task_bytes_migrated%s %d", labels, done.State.BytesMigrated),
			`adbmigrate_task_status{name="shop-copy",status="Completed",task_id="` + task.ID + `"} 1`,
			`adbmigrate_task_status{name="shop-copy",status="Failed",task_id="` + task.ID + `"} 0`,
		} {
			if !strings.Contains(body, "\n"+want+"\n") {
				t.Errorf("metrics lack the line %s", want)
			}
		}
		for _, name := range []string{"adbmigrate_task_latency_seconds", "adbmigrate_task_info", "go_goroutines", "process_open_fds"} {
			if !strings.Contains(body, "\n"+name) {
				t.Errorf("metrics lack %s", name)
			}
		}
	})

	t.Run("status command", func(t *testing.T) {
		// Token and endpoint from the environment, as the provider takes them.
		out, err := statusCmd(t, []string{"ADBMIGRATE_TOKEN=" + r.Token, "ADBMIGRATE_ENDPOINT=" + r.Endpoint})
		if err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if len(lines) != 2 || !strings.HasPrefix(lines[0], "ID ") || !strings.Contains(lines[0], "POSITION") {
			t.Fatalf("status printed:\n%s", out)
		}
		fields := strings.Fields(lines[1])
		want := []string{task.ID, "shop-copy", "Completed"}
		if len(fields) < 8 || !slices.Equal(fields[:3], want) || fields[4] != "100.0" || fields[5] != "4" {
			t.Errorf("status row %q, want %v ... 100.0 4 ...", lines[1], want)
		}
		if p := done.State.Position; p.File != "" && !strings.Contains(lines[1], fmt.Sprintf("%s:%d", p.File, p.Pos)) {
			t.Errorf("status row %q lacks the position %s:%d", lines[1], p.File, p.Pos)
		}

		// Token from --token-file, endpoint from --endpoint.
		tokenFile := filepath.Join(t.TempDir(), "token")
		if err := os.WriteFile(tokenFile, []byte(r.Token+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if out2, err := statusCmd(t, nil, "--endpoint", r.Endpoint, "--token-file", tokenFile); err != nil || out2 != out {
			t.Errorf("with --token-file: %v\n%s\nwant\n%s", err, out2, out)
		}
		// A wrong token is an error that says what the runner answered.
		out3, err := statusCmd(t, []string{"ADBMIGRATE_TOKEN=wrong"}, "--endpoint", r.Endpoint)
		if err == nil || !strings.Contains(out3, "401") {
			t.Errorf("with a wrong token: %v\n%s", err, out3)
		}
	})

	t.Run("logs", func(t *testing.T) {
		logs := r.Logs()
		for _, pw := range []string{src.Password, dst.Password, wrongPassword} {
			if strings.Contains(logs, pw) {
				t.Errorf("the runner logged a password")
			}
		}
		records := assertJSONLogs(t, logs)
		var completed bool
		for _, rec := range records {
			if rec["msg"] == "task completed" {
				completed = rec["task_id"] == task.ID
			}
			if m, _ := rec["msg"].(string); strings.HasPrefix(m, "task ") && rec["task_id"] == nil {
				t.Errorf("task log line without task_id: %v", rec)
			}
		}
		if !completed {
			t.Errorf("no \"task completed\" line with task_id %s in:\n%s", task.ID, logs)
		}
	})
}

// assertJSONLogs fails the test unless every line of logs is a JSON object with time, level
// and msg, and returns the objects.
func assertJSONLogs(t *testing.T, logs string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for i, line := range strings.Split(strings.TrimRight(logs, "\n"), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Errorf("log line %d is not JSON (%v): %s", i+1, err, line)
			continue
		}
		for _, k := range []string{"time", "level", "msg"} {
			if _, ok := rec[k]; !ok {
				t.Errorf("log line %d has no %q: %s", i+1, k, line)
			}
		}
		out = append(out, rec)
	}
	return out
}

// statusCmd runs `adbmigrate-runner status args...` with env as its only ADBMIGRATE_*
// variables and returns its combined output.
func statusCmd(t *testing.T, env []string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(runnertest.Binary(t), append([]string{"status"}, args...)...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ADBMIGRATE_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func getWith(t *testing.T, hc *http.Client, r *runnertest.Runner, path string) string {
	t.Helper()
	req, _ := http.NewRequest("GET", r.Endpoint+path, nil)
	req.Header.Set("Authorization", "Bearer "+r.Token)
	resp, err := hc.Do(req)
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

// A create resent with its idempotency key (the client does so after a broken connection)
// answers with what the first create made: one task, one connection. The same key with
// another spec is refused.
func TestCreatesAreIdempotentByKey(t *testing.T) {
	r := runnertest.Start(t)
	src := mariadbtest.StartSource(t)
	post := func(path, key, body string) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest("POST", r.Endpoint+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+r.Token)
		req.Header.Set(api.IdempotencyKey, key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		b, _ := io.ReadAll(resp.Body)
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatalf("POST %s answered %d %s", path, resp.StatusCode, b)
		}
		return resp.StatusCode, out
	}
	conn := fmt.Sprintf(`{"name":"src","database_type":"mariadb","host":"127.0.0.1","port":%d,"username":%q,"password":%q}`, src.Port, src.User, src.Password)
	s1, c1 := post("/v1/connections", "conn-key-1", conn)
	s2, c2 := post("/v1/connections", "conn-key-1", conn)
	if s1 != 201 || s2 != 201 || c1["id"] == nil || c1["id"] != c2["id"] {
		t.Fatalf("connection create resent: %d %v then %d %v, want one id", s1, c1["id"], s2, c2["id"])
	}
	spec := fmt.Sprintf(`{"source_connection_id":%q,"destination_connection_id":%q,"migration_types":["schema","full"],"objects":[{"database":"app"}],"desired_status":"stopped"}`, c1["id"], c1["id"])
	s1, t1 := post("/v1/tasks", "task-key-1", spec)
	s2, t2 := post("/v1/tasks", "task-key-1", spec)
	if s1 != 201 || s2 != 200 || t1["id"] == nil || t1["id"] != t2["id"] {
		t.Fatalf("task create resent: %d %v then %d %v, want 201 then 200 with one id", s1, t1["id"], s2, t2["id"])
	}
	s3, t3 := post("/v1/tasks", "task-key-1", strings.Replace(spec, `"full"`, `"full","incremental"`, 1))
	if s3 != 409 || !strings.Contains(fmt.Sprint(t3["error"]), "another spec") {
		t.Errorf("same key, another spec: %d %v, want 409", s3, t3)
	}
	list, err := r.Client.ListTasks(context.Background())
	if err != nil || len(list) != 1 {
		t.Errorf("tasks after a resent create: %d (%v), want 1", len(list), err)
	}
	conns, err := r.Client.ListConnections(context.Background())
	if err != nil || len(conns) != 1 {
		t.Errorf("connections after a resent create: %d (%v), want 1", len(conns), err)
	}
}
