package etl

import (
	"strings"
	"testing"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/schema"
)

func testTable() *schema.Table {
	return &schema.Table{Database: "shop", Name: "orders", Key: []string{"id"}, Columns: []schema.Column{
		{Name: "id", DataType: "bigint"},
		{Name: "email", DataType: "varchar", Nullable: true},
		{Name: "status", DataType: "enum", Members: []string{"new", "paid", "deleted"}},
		{Name: "amount", DataType: "decimal", Nullable: true},
		{Name: "qty", DataType: "int", Unsigned: true},
		{Name: "ratio", DataType: "double", Nullable: true},
		{Name: "blob", DataType: "blob", Nullable: true},
		{Name: "tags", DataType: "set", Members: []string{"a", "b", "c"}},
		{Name: "flags", DataType: "bit"},
		{Name: "created", DataType: "datetime"},
	}}
}

func TestCompileAndEvaluate(t *testing.T) {
	p, err := Compile(testTable(), Spec{
		Filter: `row.status != "deleted" && row.amount > 0`,
		Set: map[string]string{
			"email":   `has(row.email) ? row.email.lowerAscii() : row.email`,
			"total":   `row.amount * row.qty`,
			"tagtext": `row.tags + "/" + string(row.flags)`,
			"day":     `row.created.substring(0, 10)`,
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	r := p.NewRow()
	r.Reset([]any{[]byte("7"), []byte("A@B.C"), []byte("2"), []byte("10.25"), []byte("3"), nil, nil, []byte("5"), []byte{1, 2}, []byte("2024-05-01 10:00:00")})
	keep, err := p.Keep(r)
	if err != nil || !keep {
		t.Fatalf("keep = %v, %v", keep, err)
	}
	got := map[string]any{}
	for i, o := range p.Outputs() {
		v, err := p.Value(r, i)
		if err != nil {
			t.Fatal(err)
		}
		got[o.Name] = v
	}
	want := map[string]any{"email": "a@b.c", "total": "30.75", "tagtext": "a,c/258", "day": "2024-05-01"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %#v, want %#v", k, got[k], v)
		}
	}
	r.Reset([]any{int64(8), nil, uint64(3), "1", uint64(1), nil, nil, uint64(0), uint64(0), "2024-05-01 10:00:00"})
	if keep, err := p.Keep(r); err != nil || keep {
		t.Fatalf("deleted row: keep = %v, %v", keep, err)
	}
	if v, err := p.Value(r, 1); err != nil || v != nil {
		t.Fatalf("email of NULL = %#v, %v", v, err)
	}
}

func TestCompileErrors(t *testing.T) {
	for _, tc := range []struct {
		spec Spec
		want string
	}{
		{Spec{Filter: "row.nope > 1"}, "undefined field 'nope'"},
		{Spec{Filter: `row.qty > "x"`}, "no matching overload"},
		{Spec{Filter: "row.qty + 1u"}, "not a bool"},
		{Spec{Set: map[string]string{"id": "row.id + 1"}}, "key column"},
		{Spec{DropColumns: []string{"id"}}, "key column"},
		{Spec{DropColumns: []string{"zz"}}, "does not have"},
		{Spec{Set: map[string]string{"x": "row.qty +"}}, "Syntax error"},
	} {
		_, err := Compile(testTable(), tc.spec)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "shop.orders") {
			t.Errorf("%+v: error %v, want one naming the table and %q", tc.spec, err, tc.want)
		}
	}
}

func TestRuntimeError(t *testing.T) {
	p, err := Compile(testTable(), Spec{Set: map[string]string{"big": "row.id * 9223372036854775807"}})
	if err != nil {
		t.Fatal(err)
	}
	r := p.NewRow()
	r.Reset([]any{[]byte("42"), nil, []byte("1"), nil, []byte("1"), nil, nil, []byte("0"), []byte{0}, []byte("2024-01-01 00:00:00")})
	_, err = p.Value(r, 0)
	for _, want := range []string{"shop.orders", "id=42", "row.id * 9223372036854775807", "overflow"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v, want %q in it", err, want)
		}
	}
}

func TestFilters(t *testing.T) {
	raw := []any{[]byte("7"), nil, []byte("1"), []byte("0.10"), []byte("3"), nil, []byte{0xff}, []byte("0"), []byte{0}, []byte("0000-00-00 00:00:00")}
	for expr, want := range map[string]bool{
		`row.email == null`:                      true,
		`!has(row.email)`:                        true,
		`has(row.amount) && row.amount > 0.05`:   true,
		`row.amount >= decimal("0.1")`:           true,
		`row.amount == decimal("0.1")`:           true,
		`row.amount * 10 == decimal(1)`:          true,
		`row.amount < 0`:                         false,
		`row.amount != null`:                     true,
		`row.ratio == null`:                      true,
		`row.blob == b"\xff"`:                    true,
		`row.status == "new"`:                    true,
		`row.tags == ""`:                         true,
		`row.created.startsWith("0000")`:         true,
		`row.qty > 2`:                            true,
		`row.id + 1 == 8`:                        true,
		`string(row.amount) == "0.1"`:            true,
		`double(row.amount) == 0.1`:              true,
		`round(row.amount * 5, 0) == decimal(1)`: true,
	} {
		p, err := Compile(testTable(), Spec{Filter: expr})
		if err != nil {
			t.Errorf("%s: %v", expr, err)
			continue
		}
		r := p.NewRow()
		r.Reset(raw)
		got, err := p.Keep(r)
		if err != nil || got != want {
			t.Errorf("%s = %v, %v; want %v", expr, got, err, want)
		}
	}
}
