package dbconn

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"

	"github.com/go-sql-driver/mysql"
)

// ValueError is a source value the destination column cannot hold as it is: writing it
// would clip, round or truncate it. The writer kept nothing of the statement; no retry
// fixes it.
type ValueError struct {
	// Table is the destination "db.table".
	Table string
	// Key is the row's source key, "column=value, ..."; "" when it could not be found.
	Key string
	// Column is the destination column the server named.
	Column string
	// Size is the length in bytes of the value as the source holds it (its text form for
	// numbers and dates); -1 when unknown.
	Size int
	// Row is the row of the statement the server named, from 1; writers use it to find Key.
	Row int
	// Code and Message are the server's.
	Code    int
	Message string
}

func (e *ValueError) Error() string {
	where := "a row"
	if e.Key != "" {
		where = "the row with key " + e.Key
	}
	size := ""
	if e.Size >= 0 {
		size = fmt.Sprintf(" (a value of %d bytes)", e.Size)
	}
	return fmt.Sprintf("destination table %s cannot hold the value of column %s of %s%s as the source has it: the server said %q (%d). "+
		"Nothing of it was written, and no value is ever clipped or rounded to fit: widen the destination column %s of %s (modify it to the source column's type) "+
		"so it holds every source value, then start the task again; it resumes from its checkpoints",
		e.Table, e.Column, where, size, e.Message, e.Code, e.Column, e.Table)
}

// Server errors and warnings of a value that does not fit its column.
var valueCodes = map[int]bool{
	1264: true, // ER_WARN_DATA_OUT_OF_RANGE
	1265: true, // WARN_DATA_TRUNCATED (also a Note for rounded decimals)
	1292: true, // ER_TRUNCATED_WRONG_VALUE (dates, times)
	1366: true, // ER_TRUNCATED_WRONG_VALUE_FOR_FIELD (strings, numbers)
	1406: true, // ER_DATA_TOO_LONG
}

// "... column 'v' at row 3", "... for column `db`.`t`.`v` at row 3"
var columnAtRow = regexp.MustCompile("column (?:`[^`]*`\\.)*[`']([^`']*)[`'] at row ([0-9]+)")

// AsValueError returns the ValueError that a server error or warning (code, message) of a
// write into table means, or nil when it means something else.
func AsValueError(table string, code int, message string) *ValueError {
	if !valueCodes[code] {
		return nil
	}
	e := &ValueError{Table: table, Code: code, Message: message, Size: -1}
	if m := columnAtRow.FindStringSubmatch(message); m != nil {
		e.Column = m[1]
		e.Row, _ = strconv.Atoi(m[2])
	}
	return e
}

// ValueErrorOf is AsValueError for an error returned by a statement; nil when err is not
// such a server error.
func ValueErrorOf(table string, err error) *ValueError {
	var myErr *mysql.MySQLError
	if !errors.As(err, &myErr) {
		return nil
	}
	return AsValueError(table, int(myErr.Number), myErr.Message)
}
