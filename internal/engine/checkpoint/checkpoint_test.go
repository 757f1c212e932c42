package checkpoint

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/dialect"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// TestCheckpointTablesGolden renders the checkpoint tables as each destination creates them.
func TestCheckpointTablesGolden(t *testing.T) {
	for _, name := range []dialect.DatabaseType{dialect.MySQL, dialect.MariaDB, dialect.ADBMySQL} {
		t.Run(string(name), func(t *testing.T) {
			d, err := dialect.For(name)
			if err != nil {
				t.Fatal(err)
			}
			stmts := []string{d.CreateDatabase(MetaDatabase)}
			for _, tb := range tables {
				stmts = append(stmts, d.CreateMetaTable(tb))
			}
			for _, c := range addedColumns {
				stmts = append(stmts, d.AddMetaColumn(MetaDatabase, c.table, c.column))
			}
			got := strings.Join(stmts, ";\n") + ";\n"
			path := filepath.Join("testdata", "tables."+string(name)+".sql")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("checkpoint tables differ from %s (run go test -update if the change is intended):\n%s", path, got)
			}
		})
	}
}

// TestEveryTableIsKeyedByTask keeps AnalyticDB's rule: the primary key includes the
// distribution key, which is the task id.
func TestEveryTableIsKeyedByTask(t *testing.T) {
	for _, tb := range tables {
		if len(tb.PrimaryKey) == 0 || tb.PrimaryKey[0] != "task_id" {
			t.Errorf("checkpoint table %s has primary key %v, want task_id first", tb.Name, tb.PrimaryKey)
		}
	}
}
