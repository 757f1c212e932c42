// The destination_value_range precheck item: values an AnalyticDB destination keeps only in
// part, named per column.

package engine

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/dialect"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/precheck"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/tablemap"
)

// valueScanTimeout bounds each source query that looks for values AnalyticDB changes: a
// column whose scan runs out is named as not measured, never as clear.
const valueScanTimeout = 30 * time.Second

// valueRangeItem judges, for a MySQL or MariaDB source and an AnalyticDB destination, the
// values the destination keeps only in part ("Basic data types"): by type, a DECIMAL over
// 38 digits and fractional seconds beyond milliseconds (dialect.ValueLoss); by value, read
// on the source, a TIME outside 00:00:00 to 23:59:59 and a zero date or date part, which
// AnalyticDB stores as NULL. Any such column makes the item an alert, so the task goes on
// only when the user names destination_value_range in ignore_precheck_alerts: a value
// never changes without anyone agreeing to it.
func valueRangeItem(ctx context.Context, src *sql.DB, task Task, maps []tablemap.Table) precheck.Result {
	var found []string
	for _, m := range maps {
		if t, err := destinationTable(m, task.Source.Type, task.Destination.Type); err == nil {
			found = append(found, dialect.ValueLoss(t, task.Destination.Type)...)
		} // an unreadable definition is destination_table_fields' to report
		for _, cm := range m.Columns {
			c := cm.Source
			var pred, what string
			switch c.DataType {
			case "time":
				pred, what = "%s < '00:00:00' OR %s > '23:59:59'", "TIME values outside 00:00:00 to 23:59:59, which AnalyticDB's TIME cannot hold"
			case "date", "datetime", "timestamp":
				pred, what = "YEAR(%s) = 0 OR MONTH(%s) = 0 OR DAYOFMONTH(%s) = 0", "zero dates or date parts, which AnalyticDB stores as NULL"
			default:
				continue
			}
			col := dialect.QuoteIdent(c.Name)
			q := "SELECT 1 FROM " + dialect.QuoteTable(m.SourceDatabase, m.SourceTable) + " WHERE " + strings.ReplaceAll(pred, "%s", col) + " LIMIT 1"
			qctx, cancel := context.WithTimeout(ctx, valueScanTimeout)
			var one int
			err := src.QueryRowContext(qctx, q).Scan(&one)
			cancel()
			label := fmt.Sprintf("%s.%s", dialect.QuoteTable(m.SourceDatabase, m.SourceTable), col)
			switch {
			case err == nil:
				found = append(found, label+": the source holds "+what)
			case errors.Is(err, sql.ErrNoRows):
			default:
				found = append(found, fmt.Sprintf("%s: could not look for %s (%v)", label, what, err))
			}
		}
	}
	if len(found) == 0 {
		return precheck.Result{Name: ItemDestinationValueRange, State: precheck.Passed, Message: "AnalyticDB keeps every value of the selected columns as it is"}
	}
	return precheck.Result{
		Name:    ItemDestinationValueRange,
		State:   precheck.Alert,
		Message: "AnalyticDB keeps some values only in part: " + strings.Join(found, "; "),
		Remedy: "change the columns named on the source (or leave them out of the table's columns) so that their values fit, or accept the change by adding " +
			ItemDestinationValueRange + " to ignore_precheck_alerts",
	}
}
