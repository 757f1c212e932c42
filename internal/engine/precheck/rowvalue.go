package precheck

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/go-sql-driver/mysql"
)

// rowImageCheck is the binlog_row_image item: binlog_row_image must be FULL
// (sourceVariableCheck), and binlog_row_value_options (MySQL 8.0.3+) empty: with
// PARTIAL_JSON an UPDATE of a JSON document is logged as the changed part only, which
// incremental migration cannot apply. MariaDB and MySQL 5.7 have no such variable and
// never log partial updates. Both settings can also be changed per session: incremental
// migration then fails on the event, naming the setting.
type rowImageCheck struct{ sourceVariableCheck }

func (c rowImageCheck) Check(ctx context.Context) Result {
	r := c.sourceVariableCheck.Check(ctx)
	if r.State != Passed {
		return r
	}
	s := c.e.src
	v, err := readVariable(ctx, s.db, "binlog_row_value_options")
	var myErr *mysql.MySQLError
	if errors.As(err, &myErr) && myErr.Number == errUnknownSystemVariable {
		return r
	}
	if err != nil {
		return queryFailed(s, "read binlog_row_value_options", err)
	}
	return judgeRowValueOptions(r, v)
}

// errUnknownSystemVariable is ER_UNKNOWN_SYSTEM_VARIABLE: the server has no such variable.
const errUnknownSystemVariable = 1193

// judgeRowValueOptions turns the passed binlog_row_image result r into the item's result
// for binlog_row_value_options = v.
func judgeRowValueOptions(r Result, v string) Result {
	if strings.TrimSpace(v) == "" {
		r.Message += ", and binlog_row_value_options is empty (JSON updates are logged whole)"
		return r
	}
	return Result{
		State: Failed,
		Message: fmt.Sprintf("binlog_row_value_options is %s on the source: an UPDATE of a JSON column is then logged as a partial JSON update (only the changed part of the document), which incremental migration cannot apply and fails on (binlog_row_value_options=PARTIAL_JSON)",
			v),
		Remedy: variableSetting("binlog_row_value_options", "''"),
	}
}
