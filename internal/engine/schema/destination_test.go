package schema

import (
	"slices"
	"testing"
)

// An index or CHECK clause names its columns in backticks; a backtick inside a string
// literal names nothing.
func TestQuotedNames(t *testing.T) {
	got := quotedNames("CONSTRAINT `c` CHECK (`a``b` > 0 AND `x` <> 'q`uote' AND /* `no` */ `y` = \"`z`\")")
	want := []string{"c", "a`b", "x", "y"}
	if !slices.Equal(got, want) {
		t.Fatalf("quotedNames = %q, want %q", got, want)
	}
}
