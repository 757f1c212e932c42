package precheck

import (
	"context"
	"fmt"
	"strings"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/taskexpr"
)

// whereCheck is the where_filter item: every WHERE filter parses (taskexpr.ParseWhere) and
// names only columns its table has.
type whereCheck struct{ e *env }

func (whereCheck) Name() string { return WhereFilter }

func (c whereCheck) Check(ctx context.Context) Result {
	s := c.e.src
	// The filters are checked for syntax even when the source is down.
	var problems []string
	var cat catalog
	catErr := s.reach(ctx)
	if catErr == nil {
		cat, catErr = c.e.sourceCatalog(ctx)
	}
	for _, t := range c.e.in.Tables {
		if strings.TrimSpace(t.Where) == "" {
			continue
		}
		cols, err := taskexpr.ParseWhere(t.Where)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %q: %v", t.Name(), t.Where, err))
			continue
		}
		info := cat.lookup(t.SourceDatabase, t.SourceTable)
		if info == nil {
			continue // source_tables reports it, or the source is down
		}
		var unknown []string
		for _, col := range cols {
			if !info.hasColumn(col) {
				unknown = append(unknown, col)
			}
		}
		if len(unknown) > 0 {
			problems = append(problems, fmt.Sprintf("%s: %q names column(s) %s, which the table does not have", t.Name(), t.Where, strings.Join(unknown, ", ")))
		}
	}
	if len(problems) > 0 {
		return Result{
			State:   Failed,
			Message: "invalid WHERE filter(s): " + strings.Join(problems, "; "),
			Remedy:  "write each filter as one condition on the table's own columns, such as id > 100 AND status = 'active'",
		}
	}
	if catErr != nil {
		return Result{
			State:   Failed,
			Message: fmt.Sprintf("the WHERE filters parse, but their columns were not checked: %v", catErr),
			Remedy:  "fix the source connection, then run the precheck again",
		}
	}
	return passed("every WHERE filter is a valid condition on its table's columns")
}
