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
		// No estimate: the key range is cut as if dense, not copied in one chunk.
		{"stale estimate", ns("1"), ns("10"), 0, 5, []string{"5"}},
	}
	for _, c := range cases {
		got, err := integerBounds(c.lo, c.hi, c.estimate, c.by)
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("%s: integerBounds = %v, %v; want %v", c.name, got, err, c.want)
		}
	}
	// A big table whose statistics say 0 rows gets chunks of at most chunkRows keys, up to
	// maxUnknownChunks.
	if got, _ := integerBounds(ns("1"), ns("1000000"), 0, 1000); len(got) != 999 || got[0] != "1000" {
		t.Errorf("stale estimate of a dense million keys: %d bounds, first %q; want 999 from 1000", len(got), got)
	}
	if got, _ := integerBounds(ns("1"), ns("1000000000000"), 0, 1000); len(got) != maxUnknownChunks-1 {
		t.Errorf("stale estimate of a sparse range: %d bounds, want %d", len(got), maxUnknownChunks-1)
	}
}
