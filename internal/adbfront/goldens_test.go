package adbfront

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"
)

// goldenDirs hold the adb_mysql3 golden files: every statement the engine renders for an
// AnalyticDB destination, as its tests fix them.
var goldenDirs = []string{"../engine/dialect/testdata", "../engine/cdc/testdata", "../engine/checkpoint/testdata"}

// createdTable finds the table a CREATE TABLE creates.
var createdTable = regexp.MustCompile("^CREATE TABLE (?:IF NOT EXISTS )?(`[^`]+`\\.`[^`]+`)")

// qualified finds the databases a statement names.
var qualified = regexp.MustCompile("`((?:[^`]|``)+)`\\.`")

// TestGoldenFilesPassTheFront runs every statement of every adb_mysql3 golden file through
// the front with its default switches: a statement without placeholders is executed (the
// CREATE TABLEs must then succeed on MariaDB behind it), one with placeholders is prepared.
// It fails on any refusal by the front, and on a syntax error, which is MariaDB refusing
// what the front let through; other errors (a table an ALTER names that no golden creates)
// mean the front accepted the statement.
func TestGoldenFilesPassTheFront(t *testing.T) {
	var files []string
	for _, dir := range goldenDirs {
		m, err := filepath.Glob(filepath.Join(dir, "*.adb_mysql3.sql"))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) < 10 {
		t.Fatalf("found %d adb_mysql3 golden files in %v, want the dialect's and cdc's", len(files), goldenDirs)
	}
	e := newEnv(t)
	db := e.client(t, e.front(t, Switches{}), "", false)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			text, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range qualified.FindAllStringSubmatch(string(text), -1) {
				e.srv.Exec(t, "CREATE DATABASE IF NOT EXISTS `"+m[1]+"`")
			}
			for _, stmt := range strings.Split(string(text), ";\n") {
				stmt = strings.TrimSpace(stmt)
				if stmt == "" {
					continue
				}
				// A CREATE TABLE must succeed, but for LIKE, whose table no golden creates.
				create := strings.HasPrefix(stmt, "CREATE TABLE") && !strings.Contains(stmt, " LIKE ")
				if create {
					// A golden may create the table another one did: start from none.
					if m := createdTable.FindStringSubmatch(stmt); m != nil {
						e.srv.Exec(t, "DROP TABLE IF EXISTS "+m[1])
					}
				}
				if strings.Contains(stmt, "?") {
					var ps interface{ Close() error }
					ps, err = db.Prepare(stmt)
					if err == nil {
						_ = ps.Close()
					}
				} else {
					_, err = db.Exec(stmt)
				}
				var me *mysql.MySQLError
				refused := errors.As(err, &me) && (me.Number == codeNotSupported || me.Number == codeSyntax)
				if err != nil && (refused || create) {
					t.Errorf("%s:\n%s\n-> %v", filepath.Base(f), stmt, err)
				}
			}
		})
	}
}
