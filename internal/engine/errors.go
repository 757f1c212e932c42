package engine

import (
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-sql-driver/mysql"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/cdc"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/checkpoint"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/dbconn"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/etl"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/fullload"
)

// Kind is what a failed run means for whoever retries it. Classify decides it; it is the
// one place that does.
type Kind int

const (
	// KindOther is a failure that may go away by itself (a lock conflict, a server
	// restarting a statement, an unknown error): retry it for the task's
	// retry_time_for_other_issues.
	KindOther Kind = iota
	// KindConnection means a database could not be reached or the connection broke: retry
	// it for the task's retry_time_for_failed_connections.
	KindConnection
	// KindPermanent is a failure no retry can fix (the SQL or the data is wrong for the
	// destination, the binlog was purged, an etl expression fails on a row): fail at once.
	KindPermanent
	// KindPrecheck is a *PrecheckError: the precheck blocks the task until its items are
	// fixed or ignored.
	KindPrecheck
	// KindFenced means a runner of the cluster with a later epoch has taken the task over
	// on the destination (checkpoint.FencedError): this runner must stop the run and let
	// go of the task without recording anything, not retry it nor mark it failed.
	KindFenced
)

// String names the kind for logs and messages.
func (k Kind) String() string {
	switch k {
	case KindConnection:
		return "connection"
	case KindPermanent:
		return "permanent"
	case KindPrecheck:
		return "precheck"
	case KindFenced:
		return "fenced"
	}
	return "other"
}

// Classify says what kind of failure err is, looking through its whole chain (so errors
// must be wrapped with %w to be classified by their cause). In order:
//
//  1. the engine's own verdicts: checkpoint.ErrFenced is KindFenced, whatever it wraps or
//     wraps it; *PrecheckError is KindPrecheck; cdc.ErrBinlogPurged,
//     cdc.ErrSchemaChange (a DDL incremental migration must not step over),
//     cdc.ErrSourceSetting (binlog events a source setting made unusable),
//     fullload.ErrDefinitionChanged (a DDL during the copy), etl.ErrEvaluation, *ETLError
//     and *dbconn.ValueError (a value the destination cannot hold, also when only a warning
//     said so) are KindPermanent, whatever they wrap;
//  2. the MySQL error number, from go-sql-driver (*mysql.MySQLError) or go-mysql's binlog
//     reader (*mysql.MyError): see permanentErrors and connectionErrors (a number in
//     neither goes on to the next steps);
//  3. network-level failures (net.Error, driver.ErrBadConn, the driver's ErrInvalidConn,
//     io.EOF, ECONNREFUSED) are KindConnection;
//  4. as a last resort, the text of errors that lost their type on the way (go-mysql's
//     binlog reader formats some): connectionPhrases;
//
// and anything else is KindOther. A nil error is KindOther too; callers test for nil first.
func Classify(err error) Kind {
	if err == nil {
		return KindOther
	}
	if errors.Is(err, checkpoint.ErrFenced) {
		return KindFenced
	}
	if errors.As(err, new(*PrecheckError)) {
		return KindPrecheck
	}
	if errors.Is(err, cdc.ErrBinlogPurged) || errors.Is(err, cdc.ErrSchemaChange) || errors.Is(err, cdc.ErrSourceSetting) || errors.Is(err, fullload.ErrDefinitionChanged) ||
		errors.Is(err, etl.ErrEvaluation) || errors.As(err, new(*ETLError)) || errors.As(err, new(*dbconn.ValueError)) {
		return KindPermanent
	}
	if n, ok := errorNumber(err); ok {
		switch {
		case permanentErrors[n]:
			return KindPermanent
		case connectionErrors[n]:
			return KindConnection
		}
	}
	var netErr net.Error
	if errors.As(err, &netErr) || errors.Is(err, driver.ErrBadConn) || errors.Is(err, mysql.ErrInvalidConn) ||
		errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNREFUSED) {
		return KindConnection
	}
	msg := err.Error()
	for _, p := range connectionPhrases {
		if strings.Contains(msg, p) {
			return KindConnection
		}
	}
	return KindOther
}

// errorNumber is the MySQL error number in err's chain, from either client library.
func errorNumber(err error) (uint16, bool) {
	var myErr *mysql.MySQLError
	if errors.As(err, &myErr) {
		return myErr.Number, true
	}
	var binlogErr *gomysql.MyError
	if errors.As(err, &binlogErr) {
		return binlogErr.Code, true
	}
	return 0, false
}

// permanentErrors are the server errors that running the same statements again cannot
// fix: the statement does not parse or names what does not exist, or the data does not fit
// the destination. (Vitess's vreplication stops a stream on the same kind of list.)
//
// Deliberately not here: privilege errors (1044, 1045, 1142, 1227), since a GRANT during
// the retry window fixes them; duplicate keys (1062), which conflict_handling decides; lock
// wait timeouts and deadlocks (1205, 1213), which are KindOther.
var permanentErrors = map[uint16]bool{
	1048: true, // ER_BAD_NULL_ERROR: column cannot be null
	1049: true, // ER_BAD_DB_ERROR: unknown database
	1051: true, // ER_BAD_TABLE_ERROR: unknown table
	1054: true, // ER_BAD_FIELD_ERROR: unknown column
	1060: true, // ER_DUP_FIELDNAME: duplicate column name
	1061: true, // ER_DUP_KEYNAME: duplicate key name
	1064: true, // ER_PARSE_ERROR: SQL syntax
	1091: true, // ER_CANT_DROP_FIELD_OR_KEY
	1118: true, // ER_TOO_BIG_ROWSIZE
	1136: true, // ER_WRONG_VALUE_COUNT_ON_ROW
	1146: true, // ER_NO_SUCH_TABLE
	1149: true, // ER_SYNTAX_ERROR
	1235: true, // ER_NOT_SUPPORTED_YET
	1236: true, // ER_MASTER_FATAL_ERROR_READING_BINLOG: the binlog position is gone
	1264: true, // ER_WARN_DATA_OUT_OF_RANGE
	1265: true, // WARN_DATA_TRUNCATED
	1273: true, // ER_UNKNOWN_COLLATION
	1289: true, // ER_FEATURE_DISABLED
	1292: true, // ER_TRUNCATED_WRONG_VALUE
	1364: true, // ER_NO_DEFAULT_FOR_FIELD
	1366: true, // ER_TRUNCATED_WRONG_VALUE_FOR_FIELD: incorrect value for the column
	1406: true, // ER_DATA_TOO_LONG
	1416: true, // ER_CANT_CREATE_GEOMETRY_OBJECT
	1690: true, // ER_DATA_OUT_OF_RANGE
	3140: true, // ER_INVALID_JSON_TEXT (MySQL)
}

// connectionErrors are the server and client errors that mean the connection could not be
// made or broke.
var connectionErrors = map[uint16]bool{
	1040: true, // ER_CON_COUNT_ERROR: too many connections
	1053: true, // ER_SERVER_SHUTDOWN
	1129: true, // ER_HOST_IS_BLOCKED
	1152: true, // ER_ABORTING_CONNECTION
	1158: true, // ER_NET_READ_ERROR
	1159: true, // ER_NET_READ_INTERRUPTED
	1160: true, // ER_NET_ERROR_ON_WRITE
	1161: true, // ER_NET_WRITE_INTERRUPTED
	2002: true, // CR_CONNECTION_ERROR
	2003: true, // CR_CONN_HOST_ERROR
	2006: true, // CR_SERVER_GONE_ERROR
	2013: true, // CR_SERVER_LOST
}

// connectionPhrases are the texts of connection failures that reach Classify without their
// type. This is the only place the engine matches error text for classification.
var connectionPhrases = []string{
	"connection refused", "broken pipe", "connection reset", "invalid connection", "i/o timeout", "cannot connect",
}
