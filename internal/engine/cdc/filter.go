package cdc

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/dialect"
)

// filter evaluates the where filters of a batch's changes with the destination's SQL
// engine, so that a filter means exactly what it means in the full migration's SELECT, and
// returns the changes with every filter decided (see filtered).
func (a *applier) filter(ctx context.Context, changes []change) ([]change, error) {
	var verdicts []bool
	for _, c := range changes {
		if c.image == nil {
			continue
		}
		ok, err := a.matches(ctx, c.table(), c.image)
		if err != nil {
			return nil, err
		}
		verdicts = append(verdicts, ok)
	}
	if len(verdicts) == 0 {
		return changes, nil
	}
	return filtered(changes, verdicts)
}

// matches evaluates the table's where filter on one row image.
func (a *applier) matches(ctx context.Context, t *Table, image []any) (bool, error) {
	cols := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		cols[i] = "? AS " + dialect.QuoteIdent(c.Name)
	}
	var ok sql.NullBool
	q := "SELECT (" + t.Where + ") FROM (SELECT " + strings.Join(cols, ", ") + ") AS r"
	if err := a.dst.QueryRowContext(ctx, q, image...).Scan(&ok); err != nil {
		return false, fmt.Errorf("evaluating the where filter of %s.%s: %w", t.SourceDB, t.SourceTable, err)
	}
	return ok.Valid && ok.Bool, nil
}
