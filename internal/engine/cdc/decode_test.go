package cdc

import (
	"reflect"
	"strings"
	"testing"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/dialect"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/etl"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/schema"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/tablemap"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/vocab"
)

func mariadb(t *testing.T) dialect.Dialect {
	t.Helper()
	d, err := dialect.For(dialect.MariaDB)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// ordersTable is shop.orders: id (key), status renamed to state, qty, note (not migrated)
// and label (generated).
func ordersTable() *Table {
	return &Table{
		Table: tablemap.Table{SourceDatabase: "shop", SourceTable: "orders", DestDatabase: "dw", DestTable: "orders"},
		Columns: []schema.Column{
			{Name: "id", DataType: "int"},
			{Name: "status", DataType: "varchar", Charset: "utf8mb4"},
			{Name: "qty", DataType: "int", Unsigned: true},
			{Name: "note", DataType: "varchar", Charset: "utf8mb4", Nullable: true},
			{Name: "label", DataType: "varchar", Charset: "utf8mb4", Generated: true},
		},
		Dest: map[string]string{"id": "id", "status": "state", "qty": "qty", "label": "label"},
		Key:  []string{"id"},
	}
}

// row is a row image as go-mysql decodes it.
func row(id int32, status string, qty int32) []any {
	return []any{id, status, qty, nil, "#" + status}
}

func decoded(t *testing.T, tb *Table, kind rowsKind, rows ...[]any) []change {
	t.Helper()
	if tb.plan == nil {
		if err := tb.replan(mariadb(t)); err != nil {
			t.Fatal(err)
		}
	}
	changes, err := decode(tb, kind, rows)
	if err != nil {
		t.Fatal(err)
	}
	return changes
}

// summary is a change as the tests compare it.
type summary struct {
	Delete   bool
	Key      string
	Values   []any
	Filter   bool
	OrDelete bool
}

func summarize(changes []change) []summary {
	var out []summary
	for _, c := range changes {
		out = append(out, summary{c.delete, c.key, c.values, c.image != nil, c.orDelete})
	}
	return out
}

func key(id int64) string { return encodeKey([]any{id}) }

func TestDecodeWritesTheMigratedColumns(t *testing.T) {
	tb := ordersTable()
	got := summarize(decoded(t, tb, rowsInsert, row(1, "open", -1)))
	// qty is unsigned: the binlog's -1 is 4294967295. note is not migrated, label generated.
	want := []summary{{Key: key(1), Values: []any{int64(1), []byte("open"), uint64(4294967295)}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("insert decoded to %+v, want %+v", got, want)
	}
	if cols := tb.plan.columns; !reflect.DeepEqual(cols, []string{"id", "state", "qty"}) {
		t.Errorf("the plan writes columns %v", cols)
	}
	got = summarize(decoded(t, tb, rowsDelete, row(2, "x", 1)))
	if want := []summary{{Delete: true, Key: key(2), Values: []any{int64(2)}}}; !reflect.DeepEqual(got, want) {
		t.Errorf("delete decoded to %+v, want %+v", got, want)
	}
}

func TestDecodeUpdates(t *testing.T) {
	tb := ordersTable()
	got := summarize(decoded(t, tb, rowsUpdate, row(1, "open", 1), row(1, "paid", 1), row(2, "open", 1), row(3, "open", 1)))
	want := []summary{
		{Key: key(1), Values: []any{int64(1), []byte("paid"), uint64(1)}},
		// A changed key is a delete and an insert.
		{Delete: true, Key: key(2), Values: []any{int64(2)}},
		{Key: key(3), Values: []any{int64(3), []byte("open"), uint64(1)}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("updates decoded to\n%+v\nwant\n%+v", got, want)
	}
}

func TestDecodeHonoursOperations(t *testing.T) {
	tb := ordersTable()
	tb.Ops = []vocab.Operation{vocab.DMLInsert}
	if got := decoded(t, tb, rowsUpdate, row(1, "a", 1), row(1, "b", 1)); len(got) != 0 {
		t.Errorf("update of a table without the update operation gave %+v", summarize(got))
	}
	if got := decoded(t, tb, rowsDelete, row(1, "a", 1)); len(got) != 0 {
		t.Errorf("delete of a table without the delete operation gave %+v", summarize(got))
	}
	if got := decoded(t, tb, rowsInsert, row(1, "a", 1)); len(got) != 1 {
		t.Errorf("insert gave %d changes, want 1", len(got))
	}
}

// TestDecodeLeavesTheWhereFilterToTheBatch: rows of a table with a where filter carry their
// image; an update that keeps its key becomes a delete if the filter rejects it.
func TestDecodeLeavesTheWhereFilterToTheBatch(t *testing.T) {
	tb := ordersTable()
	tb.Where = "qty > 0"
	changes := decoded(t, tb, rowsUpdate, row(1, "a", 1), row(1, "b", 1), row(2, "a", 1), row(3, "a", 1))
	changes = append(changes, decoded(t, tb, rowsInsert, row(4, "a", 1))...)
	got := summarize(changes)
	want := []summary{
		{Key: key(1), Values: []any{int64(1), []byte("b"), uint64(1)}, Filter: true, OrDelete: true},
		{Delete: true, Key: key(2), Values: []any{int64(2)}},
		{Key: key(3), Values: []any{int64(3), []byte("a"), uint64(1)}, Filter: true},
		{Key: key(4), Values: []any{int64(4), []byte("a"), uint64(1)}, Filter: true},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("decoded\n%+v\nwant\n%+v", got, want)
	}
	// The image has the columns the filter reads, as written.
	if img := changes[0].image; len(img) != 1 || img[0] != uint64(1) {
		t.Errorf("image of row 1 is %v, want qty only", img)
	}
}

func TestDecodeAppliesTheETLBlock(t *testing.T) {
	tb := ordersTable()
	tb.ETLSpec = etl.Spec{Filter: `row.status != "gone"`, Set: map[string]string{"double": "row.qty * 2u"}}
	got := summarize(decoded(t, tb, rowsInsert, row(1, "open", 2), row(2, "gone", 2)))
	want := []summary{{Key: key(1), Values: []any{int64(1), []byte("open"), uint64(2), uint64(4)}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("insert decoded to %+v, want %+v", got, want)
	}
	// An update that takes the row out of the etl filter deletes it.
	got = summarize(decoded(t, tb, rowsUpdate, row(1, "open", 2), row(1, "gone", 2)))
	if want := []summary{{Delete: true, Key: key(1), Values: []any{int64(1)}}}; !reflect.DeepEqual(got, want) {
		t.Errorf("update out of the filter decoded to %+v, want %+v", got, want)
	}
	// With a where filter too, the outputs wait for its verdict.
	tb.Where = "qty > 0"
	if err := tb.replan(mariadb(t)); err != nil {
		t.Fatal(err)
	}
	changes := decoded(t, tb, rowsInsert, row(3, "open", 5))
	if len(changes) != 1 || len(changes[0].values) != 3 || changes[0].etlIn == nil {
		t.Fatalf("a row waiting for the where filter decoded to %+v", summarize(changes))
	}
	kept, err := filtered(changes, []bool{true})
	if err != nil {
		t.Fatal(err)
	}
	if v := kept[0].values; len(v) != 4 || v[3] != uint64(10) {
		t.Errorf("after the where filter kept it, the row's values are %v, want the computed 10 last", v)
	}
}

func TestDecodeRefusesRowsOfAnotherShape(t *testing.T) {
	tb := ordersTable()
	if err := tb.replan(mariadb(t)); err != nil {
		t.Fatal(err)
	}
	_, err := decode(tb, rowsInsert, [][]any{{int32(1), "a"}})
	if err == nil || !strings.Contains(err.Error(), "have 2 columns, but the table had 5") {
		t.Errorf("decoding a row of 2 columns: %v", err)
	}
}

// TestPlanIsMadeOncePerSchema: decoding and rendering reuse the table's plan; only a
// schema change makes a new one.
func TestPlanIsMadeOncePerSchema(t *testing.T) {
	tb := ordersTable()
	changes := decoded(t, tb, rowsInsert, row(1, "a", 1))
	p := tb.plan
	more := decoded(t, tb, rowsInsert, row(2, "b", 1))
	if tb.plan != p || changes[0].plan != p || more[0].plan != p {
		t.Fatal("decoding made a new plan")
	}
	run := make([]change, maxRun)
	for i := range run {
		run[i] = changes[0]
	}
	if stmt, args := p.statement(run); stmt != p.upsertRun || len(args) != 3*maxRun {
		t.Errorf("a full run did not use the planned statement (%d args)", len(args))
	}
	stmt, _ := p.statement(changes)
	if want := "REPLACE INTO `dw`.`orders` (`id`, `state`, `qty`) VALUES (?,?,?)"; stmt != want {
		t.Errorf("statement = %s, want %s", stmt, want)
	}
	// ADD COLUMN: the table is planned again, and writes the new column.
	tb.Columns = append(tb.Columns, schema.Column{Name: "extra", DataType: "int"})
	tb.Dest["extra"] = "extra"
	if err := tb.replan(mariadb(t)); err != nil {
		t.Fatal(err)
	}
	if tb.plan == p || !reflect.DeepEqual(tb.plan.columns, []string{"id", "state", "qty", "extra"}) {
		t.Errorf("after ADD COLUMN the plan writes %v", tb.plan.columns)
	}
	if p.columns[len(p.columns)-1] != "qty" {
		t.Error("planning again changed the old plan, which changes decoded before still use")
	}
}
