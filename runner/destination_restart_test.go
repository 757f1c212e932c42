package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/adbfront"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/mariadbtest"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/runnertest"
	"github.com/adbmigrate/terraform-provider-adbmigrate/runner/api"
)

// TestDestinationRestartUnderWrites: the destination server stops and starts again while
// incremental migration applies a steady write load. The task retries through the outage
// (a transient failure) and, after the cut-over drain, the destination equals the source:
// no change lost, none applied twice. Against MariaDB (transactions) and through the
// emulated AnalyticDB with BEGIN refused and ignored (direct writes: a batch cut off by the
// stop is written again from the checkpoint).
func TestDestinationRestartUnderWrites(t *testing.T) {
	cases := []struct {
		name    string
		connect func(t *testing.T, r *runnertest.Runner, dst *mariadbtest.Server) string
	}{
		{"mariadb", func(t *testing.T, r *runnertest.Runner, dst *mariadbtest.Server) string {
			return r.Connect(t, "dst", dst)
		}},
	}
	for _, begin := range []string{"error", "noop"} {
		cases = append(cases, struct {
			name    string
			connect func(t *testing.T, r *runnertest.Runner, dst *mariadbtest.Server) string
		}{"adb begin=" + begin, func(t *testing.T, r *runnertest.Runner, dst *mariadbtest.Server) string {
			return r.ConnectADB(t, "dst", dst, adbfront.Switches{Transactions: begin})
		}})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src, dst := mariadbtest.StartSource(t), mariadbtest.StartDestination(t)
			createLedgers(t, src, "bank")
			r := runnertest.Start(t)
			ctx := context.Background()
			task := createCDCTask(t, r, r.Connect(t, "src", src), c.connect(t, r, dst), "bank")
			stopWriting := writeUntilStopped(src.DB(t, ""), 29, func(i int, rng *rand.Rand) []string {
				time.Sleep(2 * time.Millisecond)
				return []string{
					fmt.Sprintf("UPDATE bank.ledger SET amount = amount + 1, version = version + 1 WHERE id = %d", 1+rng.IntN(2000)),
					fmt.Sprintf("INSERT INTO bank.ledger (id, amount) VALUES (%d, %d)", 100000+i, i),
					fmt.Sprintf("DELETE FROM bank.ledger WHERE id = %d", 1+rng.IntN(2000)),
				}
			})
			time.Sleep(time.Second)
			dst.Stop(t)
			t.Log("destination stopped under the write load")
			time.Sleep(2 * time.Second)
			dst.Start(t)
			t.Log("destination started again")
			time.Sleep(time.Second)
			if err := stopWriting(); err != nil {
				t.Fatal(err)
			}
			r.WaitStatus(t, task.ID, 2*time.Minute, api.StatusRunning)
			if _, err := r.Client.StopTask(ctx, task.ID); err != nil {
				t.Fatal(err)
			}
			final := r.WaitStatus(t, task.ID, 2*time.Minute, api.StatusStopped)
			t.Logf("task stopped at %+v after %d rows", final.State.Position, final.State.RowsMigrated)
			q := "SELECT id, amount, version FROM bank.ledger ORDER BY id"
			mariadbtest.AssertSameRows(t, src.DB(t, ""), dst.DB(t, ""), q, q)
		})
	}
}
