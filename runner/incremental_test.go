package main

import (
	"context"
	"testing"
	"time"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/mariadbtest"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/runnertest"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/api"
)

// An incremental task keeps the destination in step until it is stopped; stopping drains to
// the source's position (the cut-over), and starting it again resumes from its checkpoint,
// also across a SIGKILL of the runner.
func TestIncrementalCutOverAndRestart(t *testing.T) {
	src, dst := mariadbtest.StartSource(t), mariadbtest.StartDestination(t)
	src.Exec(t, "CREATE DATABASE app",
		"CREATE TABLE app.accounts (id INT PRIMARY KEY, owner VARCHAR(40), balance DECIMAL(14,2))",
		"INSERT INTO app.accounts SELECT seq, CONCAT('owner ', seq), seq * 10 FROM app.seq_1_to_2000")
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
		MigrationTypes: []string{"schema", "full", "incremental"}, Objects: []api.Object{{Database: "app"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	r.WaitStatus(t, task.ID, time.Minute, api.StatusRunning)
	srcDB, dstDB := src.DB(t, ""), dst.DB(t, "")
	same := func() {
		t.Helper()
		mariadbtest.AssertSameRows(t, srcDB, dstDB, "SELECT * FROM app.accounts ORDER BY id", "SELECT * FROM app.accounts ORDER BY id")
	}

	src.Exec(t, "UPDATE app.accounts SET balance = balance + 1 WHERE id % 3 = 0",
		"INSERT INTO app.accounts VALUES (5000, 'late', 1.5)", "DELETE FROM app.accounts WHERE id < 50")
	stopped, err := r.Client.StopTask(ctx, task.ID)
	if err != nil {
		t.Fatal(err)
	}
	if stopped.State.Status != api.StatusStopped {
		t.Fatalf("after stop the task is %s (%s), want Stopped", stopped.State.Status, stopped.State.ErrorMessage)
	}
	same()

	// Changes while stopped are applied after a start, even across a SIGKILL.
	src.Exec(t, "UPDATE app.accounts SET owner = 'while stopped' WHERE id BETWEEN 100 AND 300")
	if _, err := r.Client.StartTask(ctx, task.ID); err != nil {
		t.Fatal(err)
	}
	r.WaitStatus(t, task.ID, time.Minute, api.StatusRunning)
	src.Exec(t, "INSERT INTO app.accounts SELECT 6000 + seq, 'burst', seq FROM app.seq_1_to_500")
	r.Kill(t)
	src.Exec(t, "UPDATE app.accounts SET balance = 0 WHERE id > 6400")
	r.Start(t)
	r.WaitStatus(t, task.ID, time.Minute, api.StatusRunning)
	if _, err := r.Client.StopTask(ctx, task.ID); err != nil {
		t.Fatal(err)
	}
	final := r.WaitStatus(t, task.ID, time.Minute, api.StatusStopped)
	if final.State.Position.GTIDSet == "" || final.State.Position.File == "" {
		t.Errorf("stopped task reports no applied position: %+v", final.State.Position)
	}
	same()
}
