package tablemap

import (
	"strings"
	"testing"

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
