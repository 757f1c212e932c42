package tablemap

import (
	"strings"
	"testing"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/dialect"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/schema"
)

// A FLOAT is read widened to DOUBLE without CAST(... AS DOUBLE), which MySQL 5.7 refuses
// (it has the cast only from 8.0.17).
func TestFloatReadWithout57Refusal(t *testing.T) {
	got := SelectExpr(schema.Column{Name: "f", DataType: "float"})
	if got != "(`f` + 0e0)" || strings.Contains(got, "AS DOUBLE") {
		t.Errorf("SelectExpr(float) = %q, want (`f` + 0e0)", got)
	}
}

// For an AnalyticDB destination a copied BIT column is read as its unsigned number and
// travels as text; the key and etl view (Source) keeps its bits, and other destinations
// read the bytes as before.
func TestForDestinationReadsBitAsNumber(t *testing.T) {
	b := schema.Column{Name: "b", DataType: "bit"}
	tb := Table{Source: &schema.Table{Columns: []schema.Column{b}, Key: []string{"b"}}, Columns: []ColumnMap{{Source: b, Dest: "b"}}}
	adb := tb.ForDestination(dialect.ADBMySQL)
	if got := SelectExpr(adb.Columns[0].Source); got != "(`b` + 0)" || adb.Columns[0].Source.Binary() {
		t.Errorf("BIT to adb_mysql3: read as %q, binary %v; want (`b` + 0), not binary", got, adb.Columns[0].Source.Binary())
	}
	if adb.Source.Columns[0].AsNumber || tb.Columns[0].Source.AsNumber {
		t.Errorf("ForDestination changed the key view or the plan itself: %+v, %+v", adb.Source.Columns[0], tb.Columns[0].Source)
	}
	if got := SelectExpr(tb.ForDestination(dialect.MariaDB).Columns[0].Source); got != "`b`" {
		t.Errorf("BIT to mariadb: read as %q, want its bytes (`b`)", got)
	}
}
