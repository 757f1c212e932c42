package verify

import (
	"database/sql"
	"testing"
)

// The stored form of a value computed in Go equals the text the destination column gives
// back for it, for each family of column types.
func TestStoredForm(t *testing.T) {
	n := func(v int64) sql.NullInt64 { return sql.NullInt64{Int64: v, Valid: true} }
	for _, tc := range []struct {
		col      destColumn
		in, want string
	}{
		{destColumn{dataType: "int"}, "0042", "42"},
		{destColumn{dataType: "bigint"}, "-9223372036854775808", "-9223372036854775808"},
		{destColumn{dataType: "bigint"}, "1e3", "1000"},
		{destColumn{dataType: "bit"}, "18446744073709551615", "18446744073709551615"},
		{destColumn{dataType: "boolean"}, "true", "1"},
		{destColumn{dataType: "decimal", scale: n(3)}, "1.5", "1.500"},
		{destColumn{dataType: "decimal", scale: n(0)}, "-0", "0"},
		{destColumn{dataType: "double"}, "3.000", "3"},
		{destColumn{dataType: "double"}, "1e22", "1e+22"},
		{destColumn{dataType: "float"}, "0.1", "0.10000000149011612"},
		{destColumn{dataType: "datetime", precision: n(6)}, "2024-05-01 10:20:30.5", "2024-05-01 10:20:30.500000"},
		{destColumn{dataType: "datetime", precision: n(0)}, "2024-5-1", "2024-05-01 00:00:00"},
		{destColumn{dataType: "timestamp", precision: n(3)}, "2024-05-01T10:20:30.123456", "2024-05-01 10:20:30.123"},
		{destColumn{dataType: "date"}, "0000-00-00", "0000-00-00"},
		{destColumn{dataType: "time", precision: n(0)}, "-1:02:03", "-01:02:03"},
		{destColumn{dataType: "time", precision: n(6)}, "838:59:59.5", "838:59:59.500000"},
		{destColumn{dataType: "char"}, "padded  ", "padded"},
		{destColumn{dataType: "varchar"}, "kept  ", "kept  "},
		{destColumn{dataType: "binary", octets: n(4)}, "ab", "ab\x00\x00"},
		{destColumn{dataType: "enum", columnType: "enum('Small','Large')"}, "large", "Large"},
		{destColumn{dataType: "set", columnType: "set('a','b','c')"}, "c,A,c", "a,c"},
		{destColumn{dataType: "set", columnType: "set('a','b','c')"}, "", ""},
	} {
		f, reason := formFor("x", tc.col)
		if reason != "" {
			t.Fatalf("%+v: %s", tc.col, reason)
		}
		if got := string(f.canon([]byte(tc.in))); got != tc.want {
			t.Errorf("%s %q: %q, want %q", tc.col.dataType, tc.in, got, tc.want)
		}
		if got := string(f.canon([]byte(tc.want))); got != tc.want {
			t.Errorf("%s: the stored text %q reads as %q", tc.col.dataType, tc.want, got)
		}
	}
	if f, _ := formFor("x", destColumn{dataType: "int"}); f.canon(nil) != nil {
		t.Error("NULL has a stored form")
	}
	if _, reason := formFor("geo", destColumn{dataType: "point", columnType: "point"}); reason == "" {
		t.Error("a POINT column has a stored form")
	}
}
