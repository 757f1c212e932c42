package engine_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/dbconn"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/mariadbtest"
)

// narrowing is one kind of value a destination column cannot hold as the source has it:
// the source column, the narrower destination column, and a source value that fits only
// the former.
type narrowing struct {
	kind, column, source, dest, value string
}

var narrowings = []narrowing{
	{"longer string", "v", "VARCHAR(100)", "VARCHAR(10)", "REPEAT('x', 50)"},
	{"out-of-range number", "n", "INT", "SMALLINT", "100000"},
	{"out-of-range decimal", "amount", "DECIMAL(12,4)", "DECIMAL(8,2)", "12345678.1234"},
	{"more decimal places", "price", "DECIMAL(8,4)", "DECIMAL(8,2)", "1.2345"},
	{"wider ENUM", "e", "ENUM('a','b','c')", "ENUM('a','b')", "'c'"},
	{"wider SET", "st", "SET('x','y','z')", "SET('x','y')", "'x,z'"},
}

// valueError checks that err is the value error for column at the row with key id, and that
// the destination holds no such row: nothing clipped was written.
func valueError(t *testing.T, err error, dst *mariadbtest.Server, table, column, id string) {
	t.Helper()
	ve, ok := errors.AsType[*dbconn.ValueError](err)
	if !ok {
		t.Fatalf("Run = %v, want a *dbconn.ValueError", err)
	}
	if k := engine.Classify(err); k != engine.KindPermanent {
		t.Errorf("Classify = %s, want permanent: no retry makes the value fit", k)
	}
	if ve.Column != column || ve.Key != "id="+id || !strings.Contains(ve.Table, table) {
		t.Fatalf("value error names table %q column %q key %q, want %s, %s, id=%s: %v", ve.Table, ve.Column, ve.Key, table, column, id, err)
	}
	for _, want := range []string{"cannot hold the value of column " + column, "id=" + id, "widen the destination column"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	var n int
	if err := dst.DB(t, "").QueryRow("SELECT COUNT(*) FROM " + table + " WHERE id = " + id).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("the destination holds row id=%s of %s: a clipped value was written", id, table)
	}
}

// A value the destination column cannot hold fails the full load at once, naming the
// table, key and column, with both writers; nothing of the chunk is kept.
func TestFullLoadRefusesValuesThatDoNotFit(t *testing.T) {
	src, dst := mariadbtest.StartSource(t), mariadbtest.StartDestination(t)
	src.Exec(t, "CREATE DATABASE s")
	dst.Exec(t, "CREATE DATABASE s")
	for i, nw := range narrowings {
		table := "t" + string(rune('0'+i))
		src.Exec(t,
			"CREATE TABLE s."+table+" (id INT PRIMARY KEY, "+nw.column+" "+nw.source+")",
			"INSERT INTO s."+table+" (id) SELECT seq FROM s.seq_1_to_300",
			"UPDATE s."+table+" SET "+nw.column+" = "+nw.value+" WHERE id = 177")
		dst.Exec(t, "CREATE TABLE s."+table+" (id INT PRIMARY KEY, "+nw.column+" "+nw.dest+")")
	}
	for _, writer := range []string{"bulk load", "insert"} {
		if writer == "insert" {
			dst.Exec(t, "SET GLOBAL local_infile = 0")
		}
		for i, nw := range narrowings {
			table := "t" + string(rune('0'+i))
			t.Run(writer+"/"+nw.kind, func(t *testing.T) {
				task := fullTask("task-narrow-"+table+strings.ReplaceAll(writer, " ", ""), src, dst,
					engine.Object{Database: "s", Tables: []engine.Table{{Name: table}}})
				task.MigrationTypes = []engine.MigrationType{engine.MigrationFull}
				task.ChunkRows = 1000
				err := engine.Run(context.Background(), task, func(engine.Progress) {})
				valueError(t, err, dst, "s."+table, nw.column, "177")
			})
		}
	}
}

// During incremental migration the source widens its columns (the destination keeps the
// narrower ones), then writes values only the wider ones hold: each fails the task at once
// naming the column and the key, nothing clipped reaches the destination, and once the
// destination column is widened the task resumes and applies the row as it is.
func TestIncrementalRefusesValuesThatDoNotFit(t *testing.T) {
	src, dst := mariadbtest.SharedPair(t)
	src.Exec(t, "CREATE DATABASE s",
		"CREATE TABLE s.t (id INT PRIMARY KEY, v VARCHAR(10), n SMALLINT, amount DECIMAL(8,2), price DECIMAL(8,2), e ENUM('a','b'), st SET('x','y'))",
		"INSERT INTO s.t (id, v, n, amount, price, e, st) SELECT seq, 'ok', seq, seq / 4, seq / 8, 'a', 'x,y' FROM s.seq_1_to_100")
	task := fullTask("task-narrow-cdc", src, dst, engine.Object{Database: "s"})
	task.MigrationTypes = append(task.MigrationTypes, engine.MigrationIncremental)
	run := func() (*progressWatch, chan error, context.CancelFunc) {
		ctx, cancel := context.WithCancel(context.Background())
		w, done := newWatch(), make(chan error, 1)
		go func() { done <- engine.Run(ctx, task, w.report) }()
		return w, done, cancel
	}
	w, done, cancel := run()
	w.wait(t, "incremental migration", done, func(p engine.Progress) bool { return p.Phase == engine.PhaseIncremental && p.CaughtUp })
	src.Exec(t, "ALTER TABLE s.t MODIFY v VARCHAR(100), MODIFY n INT, MODIFY amount DECIMAL(12,4), MODIFY price DECIMAL(8,4), MODIFY e ENUM('a','b','c'), MODIFY st SET('x','y','z')")
	for i, nw := range narrowings {
		id := strconv.Itoa(1001 + i)
		src.Exec(t, "INSERT INTO s.t (id, "+nw.column+") VALUES ("+id+", "+nw.value+")")
		select {
		case err := <-done:
			cancel()
			valueError(t, err, dst, "s.t", nw.column, id)
		case <-time.After(60 * time.Second):
			cancel()
			t.Fatalf("%s: the task did not fail within 60 s", nw.kind)
		}
		dst.Exec(t, "ALTER TABLE s.t MODIFY "+nw.column+" "+nw.source)
		w, done, cancel = run()
		w.wait(t, "resuming after "+nw.kind, done, func(p engine.Progress) bool { return p.Phase == engine.PhaseIncremental && p.CaughtUp })
	}
	cancel()
	<-done
	mariadbtest.AssertSameRows(t, src.DB(t, ""), dst.DB(t, ""), "SELECT * FROM s.t ORDER BY id", "SELECT * FROM s.t ORDER BY id")
}
