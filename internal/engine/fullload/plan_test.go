package fullload

import (
	"database/sql"
	"slices"
	"testing"
)

func TestIntegerBounds(t *testing.T) {
	ns := func(s string) sql.NullString { return sql.NullString{String: s, Valid: true} }
	cases := []struct {
		name         string
		lo, hi       sql.NullString
		estimate, by int64
		want         []string
	}{
		{"empty table", sql.NullString{}, sql.NullString{}, 0, 10, nil},
		{"one chunk", ns("1"), ns("100"), 100, 1000, nil},
		{"even split", ns("1"), ns("100"), 100, 25, []string{"25", "50", "75"}},
		{"negative keys", ns("-50"), ns("49"), 100, 50, []string{"-1"}},
		{"more chunks than keys", ns("5"), ns("7"), 1000, 1, []string{"5", "6"}},
		{"unsigned bigint edge", ns("18446744073709551600"), ns("18446744073709551615"), 16, 8, []string{"18446744073709551607"}},
		{"stale estimate", ns("1"), ns("10"), 0, 5, nil},
	}
	for _, c := range cases {
		got, err := integerBounds(c.lo, c.hi, c.estimate, c.by)
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("%s: integerBounds = %v, %v; want %v", c.name, got, err, c.want)
		}
	}
}
