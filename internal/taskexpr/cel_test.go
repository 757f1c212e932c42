package taskexpr

import (
	"strings"
	"testing"
)

func TestCELSyntax(t *testing.T) {
	if err := CELSyntax(`row.a == "x"`); err != nil {
		t.Fatal(err)
	}
	err := CELSyntax(`row.a == && 1`)
	if err == nil || !strings.Contains(err.Error(), "at 1:") {
		t.Fatalf("error %v, want the position", err)
	}
}

// A library macro is part of the syntax: math.greatest() with no argument does not parse,
// with numbers it does.
func TestCELSyntaxMacros(t *testing.T) {
	if err := CELSyntax("math.greatest(row.a, 1)"); err != nil {
		t.Fatal(err)
	}
	if err := CELSyntax("math.greatest()"); err == nil || !strings.Contains(err.Error(), "requires at least one argument") {
		t.Fatalf("error %v, want the macro's", err)
	}
	if err := CELSyntax("  "); err == nil || err.Error() != "the expression is empty" {
		t.Fatalf("error %v, want the expression is empty", err)
	}
}
