package cdc

import (
	"strings"
	"testing"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/format"
)

// TestParseDDLWithLiterals needs the parser's literal driver, which cdc imports itself: this
// test binary links no other package of the engine that could.
func TestParseDDLWithLiterals(t *testing.T) {
	stmt, err := parseDDL("ALTER TABLE shop.orders ADD COLUMN note VARCHAR(20) NOT NULL DEFAULT 'n/a' COMMENT 'x', ADD COLUMN qty INT DEFAULT 0 AFTER id")
	if err != nil {
		t.Fatal(err)
	}
	alter, ok := stmt.(*ast.AlterTableStmt)
	if !ok || len(alter.Specs) != 2 {
		t.Fatalf("parsed %T with %d specs", stmt, len(alter.Specs))
	}
	var b strings.Builder
	if err := alter.Specs[0].NewColumns[0].Restore(format.NewRestoreCtx(format.DefaultRestoreFlags, &b)); err != nil {
		t.Fatal(err)
	}
	if want := "`note` VARCHAR(20) NOT NULL DEFAULT _UTF8MB4'n/a' COMMENT 'x'"; b.String() != want {
		t.Errorf("restored %s, want %s", b.String(), want)
	}
}
