package engine_test

import (
	"context"
	"database/sql"
	"regexp"
	"strings"
	"testing"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/mariadbtest"
)

// zooSchema is a small sample schema with the kinds of objects Sakila has: views (one
// reading another, one joining two tables), a function and a procedure that a view and a
// trigger use, triggers that write another table, and an event.
var zooSchema = []string{
	"CREATE DATABASE zoo",
	"CREATE TABLE zoo.animals (id INT PRIMARY KEY, name VARCHAR(40) NOT NULL, kind VARCHAR(20) NOT NULL, keeper_id INT)",
	"CREATE TABLE zoo.keepers (id INT PRIMARY KEY, name VARCHAR(40) NOT NULL, animals_added INT NOT NULL DEFAULT 0)",
	"INSERT INTO zoo.keepers (id, name) VALUES (1, 'ann'), (2, 'bob')",
	"INSERT INTO zoo.animals SELECT seq, CONCAT('animal ', seq), ELT(1 + seq % 3, 'cat', 'dog', 'owl'), 1 + seq % 2 FROM zoo.seq_1_to_200",
	"CREATE FUNCTION zoo.legs(kind VARCHAR(20)) RETURNS INT DETERMINISTIC RETURN IF(kind = 'owl', 2, 4)",
	"CREATE PROCEDURE zoo.add_animal(IN p_id INT, IN p_name VARCHAR(40)) MODIFIES SQL DATA INSERT INTO zoo.animals (id, name, kind, keeper_id) VALUES (p_id, p_name, 'cat', 1)",
	"CREATE VIEW zoo.animal_legs AS SELECT id, name, kind, zoo.legs(kind) AS legs FROM zoo.animals",
	"CREATE VIEW zoo.legs_by_kind AS SELECT kind, SUM(legs) AS legs, COUNT(*) AS n FROM zoo.animal_legs GROUP BY kind",
	"CREATE VIEW zoo.keeper_animals AS SELECT k.name AS keeper, GROUP_CONCAT(a.name ORDER BY a.id) AS animals FROM zoo.keepers k JOIN zoo.animals a ON a.keeper_id = k.id GROUP BY k.name",
	// Were this trigger on the destination while rows replicate, keepers.animals_added
	// would count each replicated animal twice.
	"CREATE TRIGGER zoo.count_added AFTER INSERT ON zoo.animals FOR EACH ROW UPDATE zoo.keepers SET animals_added = animals_added + 1 WHERE id = NEW.keeper_id",
	"CREATE TRIGGER zoo.tidy_name BEFORE INSERT ON zoo.animals FOR EACH ROW SET NEW.name = TRIM(NEW.name)",
	"CREATE EVENT zoo.forget_owls ON SCHEDULE EVERY 1 DAY STARTS '2030-01-01 00:00:00' DISABLE DO DELETE FROM zoo.animals WHERE kind = 'owl'",
}

// definition is an object's SHOW CREATE text with the definer left out and the database
// name normalised, for comparing source and destination.
func definition(t *testing.T, db *sql.DB, what, database, name string) string {
	t.Helper()
	rows, err := db.Query("SHOW CREATE " + what + " `" + database + "`.`" + name + "`")
	if err != nil {
		t.Fatalf("SHOW CREATE %s %s.%s: %v", what, database, name, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	if !rows.Next() {
		t.Fatalf("SHOW CREATE %s %s.%s: no row", what, database, name)
	}
	vals := make([]sql.NullString, len(cols))
	dest := make([]any, len(cols))
	for i := range vals {
		dest[i] = &vals[i]
	}
	if err := rows.Scan(dest...); err != nil {
		t.Fatal(err)
	}
	for i, c := range cols {
		if strings.HasPrefix(c, "Create ") || c == "SQL Original Statement" {
			text := regexp.MustCompile("DEFINER=`[^`]*`@`[^`]*` ").ReplaceAllString(vals[i].String, "")
			text = strings.ReplaceAll(text, "`"+database+"`.", "`DB`.")
			return regexp.MustCompile(`(^|[^\w`+"`"+`])`+database+`\.`).ReplaceAllString(text, "${1}`DB`.")
		}
	}
	t.Fatalf("SHOW CREATE %s: no definition column in %v", what, cols)
	return ""
}

func objectNames(t *testing.T, db *sql.DB, query, database string) []string {
	t.Helper()
	rows, err := db.Query(query, database)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

const (
	listViews    = "SELECT TABLE_NAME FROM information_schema.VIEWS WHERE TABLE_SCHEMA = ? ORDER BY 1"
	listRoutines = "SELECT CONCAT(ROUTINE_TYPE, ' ', ROUTINE_NAME) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ? ORDER BY 1"
	listTriggers = "SELECT TRIGGER_NAME FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ? ORDER BY 1"
	listEvents   = "SELECT EVENT_NAME FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ? ORDER BY 1"
)

// Views and routines arrive with the schema, triggers and events only at cut-over: while
// rows replicate under a writer whose inserts fire a trigger on the source, the destination
// has no trigger to fire a second time. After the cut-over every object exists on the
// destination with the source's definition (definer aside), in the renamed database.
func TestSchemaObjectsViewsRoutinesThenTriggersAtCutOver(t *testing.T) {
	src, dst := mariadbtest.SharedPair(t)
	src.Exec(t, zooSchema...)
	drain := make(chan struct{})
	task := fullTask("task-objects", src, dst, engine.Object{Database: "zoo", RenameTo: "zoo_copy"})
	task.MigrationTypes = append(task.MigrationTypes, engine.MigrationIncremental)
	task.SchemaObjects = []engine.SchemaObject{engine.ObjectViews, engine.ObjectRoutines, engine.ObjectTriggers, engine.ObjectEvents}
	task.Drain = drain
	w, done := newWatch(), make(chan error, 1)
	go func() { done <- engine.Run(context.Background(), task, w.report) }()
	w.wait(t, "incremental migration", done, func(p engine.Progress) bool { return p.Phase == engine.PhaseIncremental && p.CaughtUp })

	srcDB, dstDB := src.DB(t, ""), dst.DB(t, "")
	for _, q := range []string{listViews, listRoutines} {
		if got, want := objectNames(t, dstDB, q, "zoo_copy"), objectNames(t, srcDB, q, "zoo"); strings.Join(got, ",") != strings.Join(want, ",") {
			t.Fatalf("while replicating, the destination has %v, want %v", got, want)
		}
	}
	for _, q := range []string{listTriggers, listEvents} {
		if got := objectNames(t, dstDB, q, "zoo_copy"); len(got) > 0 {
			t.Fatalf("while rows replicate the destination already has %v: they would fire on replicated rows", got)
		}
	}
	// A writer whose inserts fire the source's triggers, through the procedure too.
	src.Exec(t,
		"INSERT INTO zoo.animals VALUES (1001, '  spaced  ', 'owl', 2), (1002, 'cat', 'cat', 1)",
		"CALL zoo.add_animal(1003, 'by procedure')",
		"UPDATE zoo.animals SET kind = 'owl' WHERE id % 10 = 0",
		"DELETE FROM zoo.animals WHERE id BETWEEN 50 AND 60")
	drainRun(t, drain, done)
	mariadbtest.AssertSameRows(t, srcDB, dstDB, "SELECT * FROM zoo.animals ORDER BY id", "SELECT * FROM zoo_copy.animals ORDER BY id")
	mariadbtest.AssertSameRows(t, srcDB, dstDB, "SELECT * FROM zoo.keepers ORDER BY id", "SELECT * FROM zoo_copy.keepers ORDER BY id")
	mariadbtest.AssertSameRows(t, srcDB, dstDB, "SELECT * FROM zoo.legs_by_kind ORDER BY kind", "SELECT * FROM zoo_copy.legs_by_kind ORDER BY kind")
	mariadbtest.AssertSameRows(t, srcDB, dstDB, "SELECT * FROM zoo.keeper_animals ORDER BY keeper", "SELECT * FROM zoo_copy.keeper_animals ORDER BY keeper")

	kinds := map[string]string{listViews: "VIEW", listTriggers: "TRIGGER", listEvents: "EVENT"}
	for q, what := range kinds {
		names := objectNames(t, srcDB, q, "zoo")
		if got := objectNames(t, dstDB, q, "zoo_copy"); strings.Join(got, ",") != strings.Join(names, ",") {
			t.Fatalf("after the cut-over the destination has %s %v, want %v", what, got, names)
		}
		for _, n := range names {
			if s, d := definition(t, srcDB, what, "zoo", n), definition(t, dstDB, what, "zoo_copy", n); s != d {
				t.Errorf("%s %s differs:\nsource      %s\ndestination %s", what, n, s, d)
			}
		}
	}
	for _, r := range objectNames(t, srcDB, listRoutines, "zoo") {
		what, name, _ := strings.Cut(r, " ")
		if s, d := definition(t, srcDB, what, "zoo", name), definition(t, dstDB, what, "zoo_copy", name); s != d {
			t.Errorf("%s %s differs:\nsource      %s\ndestination %s", what, name, s, d)
		}
	}
	// The triggers work on the destination now that it is the one written to.
	dst.Exec(t, "INSERT INTO zoo_copy.animals VALUES (2001, '  new  ', 'dog', 1)")
	var name string
	var added int
	if err := dstDB.QueryRow("SELECT a.name, k.animals_added FROM zoo_copy.animals a JOIN zoo_copy.keepers k ON k.id = a.keeper_id WHERE a.id = 2001").Scan(&name, &added); err != nil {
		t.Fatal(err)
	}
	var before int
	if err := srcDB.QueryRow("SELECT animals_added FROM zoo.keepers WHERE id = 1").Scan(&before); err != nil {
		t.Fatal(err)
	}
	if name != "new" || added != before+1 {
		t.Errorf("after the cut-over the destination's triggers made name %q and animals_added %d, want \"new\" and %d", name, added, before+1)
	}
}
