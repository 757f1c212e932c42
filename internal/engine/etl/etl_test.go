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

func nullableTable() *schema.Table {
	return &schema.Table{Database: "shop", Name: "people", Key: []string{"id"}, Columns: []schema.Column{
		{Name: "id", DataType: "bigint"},
		{Name: "s", DataType: "varchar", Nullable: true},
		{Name: "b", DataType: "varbinary", Nullable: true},
		{Name: "i", DataType: "int", Nullable: true},
		{Name: "u", DataType: "int", Unsigned: true, Nullable: true},
		{Name: "f", DataType: "double", Nullable: true},
		{Name: "d", DataType: "decimal", Nullable: true},
		{Name: "ts", DataType: "datetime", Nullable: true},
	}}
}

// TestNullBranches: a conditional with a null branch and a value branch type-checks for
// every type a column maps to, has the value's column kind, and gives NULL or the value.
func TestNullBranches(t *testing.T) {
	values := []any{[]byte("1"), []byte("Ab@X.org"), []byte{1, 2}, []byte("-4"), []byte("5"), []byte("1.5"), []byte("2.50"), []byte("2024-05-01 10:20:30.5")}
	nulls := []any{[]byte("2"), nil, nil, nil, nil, nil, nil, nil}
	for _, tc := range []struct {
		col, f, kind string
		want         any
	}{
		{"s", "row.s.lowerAscii()", KindString, "ab@x.org"},
		{"b", `row.b + b"\x03"`, KindBytes, "\x01\x02\x03"},
		{"i", "row.i * 2", KindInt, int64(-8)},
		{"u", "row.u + 1u", KindUint, uint64(6)},
		{"f", "row.f * 2.0", KindDouble, "3"},
		{"d", "row.d * 2", KindDecimal, "5"},
		{"ts", "row.ts.substring(0, 10)", KindString, "2024-05-01"},
		{"ts", `timestamp(row.ts.replace(" ", "T") + "Z")`, KindTimestamp, "2024-05-01 10:20:30.5"},
		{"s", `row.s.contains("@")`, KindBool, int64(1)},
		{"i", "row.i > 0 ? row.i : -row.i", KindInt, int64(4)},
	} {
		for _, expr := range []string{
			"row." + tc.col + " == null ? null : " + tc.f,
			"has(row." + tc.col + ") ? (" + tc.f + ") : null",
			"row." + tc.col + " != null ? (" + tc.f + ") : null",
			"!has(row." + tc.col + ") ? null : (row.id > 100 ? null : " + tc.f + ")",
		} {
			p, err := Compile(nullableTable(), Spec{Set: map[string]string{"x": expr}})
			if err != nil {
				t.Errorf("%s: %v", expr, err)
				continue
			}
			if k := p.Outputs()[0].Kind; k != tc.kind {
				t.Errorf("%s: kind %q, want %q", expr, k, tc.kind)
			}
			r := p.NewRow()
			r.Reset(values)
			got, err := p.Value(r, 0)
			if b, ok := got.([]byte); ok {
				got = string(b)
			}
			if err != nil || got != tc.want {
				t.Errorf("%s = %#v, %v; want %#v", expr, got, err, tc.want)
			}
			r.Reset(nulls)
			if got, err := p.Value(r, 0); err != nil || got != nil {
				t.Errorf("%s on NULL = %#v, %v; want nil", expr, got, err)
			}
		}
	}
}

// TestNullFilter: a filter that gives null keeps no row.
func TestNullFilter(t *testing.T) {
	p, err := Compile(nullableTable(), Spec{Filter: `row.s == null ? null : row.s.endsWith(".org")`})
	if err != nil {
		t.Fatal(err)
	}
	r := p.NewRow()
	for _, tc := range []struct {
		s    any
		want bool
	}{{[]byte("a@x.org"), true}, {[]byte("a@x.com"), false}, {nil, false}} {
		r.Reset([]any{[]byte("1"), tc.s, nil, nil, nil, nil, nil, nil})
		if got, err := p.Keep(r); err != nil || got != tc.want {
			t.Errorf("s=%v: keep = %v, %v; want %v", tc.s, got, err, tc.want)
		}
	}
	if _, err := Compile(nullableTable(), Spec{Filter: `row.s == null ? null : row.s`}); err == nil || !strings.Contains(err.Error(), "not a bool") {
		t.Errorf("string filter: error %v, want one saying it is not a bool", err)
	}
}

// TestNullTypeErrorHint: a type error involving null names the table, the key and the
// expression and says how to guard a NULL; other type errors get no such hint.
func TestNullTypeErrorHint(t *testing.T) {
	for expr, hint := range map[string]bool{
		`row.i + null`:                true,
		`null.lowerAscii()`:           true,
		`row.s == null ? "" : row.i`:  false,
		`row.s == null ? null : null`: false,
		`row.s.lowerAscii() + row.i`:  false,
	} {
		_, err := Compile(nullableTable(), Spec{Set: map[string]string{"x": expr}})
		if err == nil {
			t.Errorf("%s compiled", expr)
			continue
		}
		for _, want := range []string{"shop.people", "set.x", expr} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s: error %v, want %q in it", expr, err, want)
			}
		}
		if got := strings.Contains(err.Error(), "row.c == null ? null :"); got != hint {
			t.Errorf("%s: hint %v, want %v: %v", expr, got, hint, err)
		}
	}
}

// The etl block of make bench-full on a sysbench row: the filter and one computed column.
func BenchmarkSysbenchRow(b *testing.B) {
	table := &schema.Table{Database: "sbtest", Name: "sbtest1", Key: []string{"id"}, Columns: []schema.Column{
		{Name: "id", DataType: "int"}, {Name: "k", DataType: "int"},
		{Name: "c", DataType: "char", Charset: "utf8mb4"}, {Name: "pad", DataType: "char", Charset: "utf8mb4"},
	}}
	p, err := Compile(table, Spec{Filter: "row.id > 0 && row.k >= 0", Set: map[string]string{"c": "row.c.upperAscii()"}})
	if err != nil {
		b.Fatal(err)
	}
	raw := []any{[]byte("123456"), []byte("498765"),
		[]byte("83293143260-01576437976-32510788427-31213281936-12345236793-11239847283-09283746512-19283746501-12093847561-11223344"),
		[]byte("13953267383-81975928218-87715936024-70609190229-71339245772")}
	r := p.NewRow()
	for b.Loop() {
		r.Reset(raw)
		if keep, err := p.Keep(r); err != nil || !keep {
			b.Fatal(keep, err)
		}
		if _, err := p.Value(r, 0); err != nil {
			b.Fatal(err)
		}
	}
}

// upperAscii and lowerAscii change ASCII letters only, whatever else the text holds.
func TestASCIICase(t *testing.T) {
	table := &schema.Table{Database: "d", Name: "t", Columns: []schema.Column{{Name: "name", DataType: "varchar", Charset: "utf8mb4"}}}
	p, err := Compile(table, Spec{Set: map[string]string{"upper": "row.name.upperAscii()", "lower": "row.name.lowerAscii()", "same": `"123 ÀÉ".upperAscii()`}})
	if err != nil {
		t.Fatal(err)
	}
	r := p.NewRow()
	r.Reset([]any{[]byte("Ça va, Straße ÀÉ xY-09")})
	want := map[string]string{"upper": "ÇA VA, STRAßE ÀÉ XY-09", "lower": "Ça va, straße ÀÉ xy-09", "same": "123 ÀÉ"}
	for i, o := range p.Outputs() {
		v, err := p.Value(r, i)
		if err != nil {
			t.Fatal(err)
		}
		if v != want[o.Name] {
			t.Errorf("%s = %q, want %q", o.Name, v, want[o.Name])
		}
	}
}
