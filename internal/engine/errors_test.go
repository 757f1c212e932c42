package engine_test

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"testing"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-sql-driver/mysql"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/cdc"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/etl"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/fullload"
)

// Classify decides by the engine's own verdicts, then the MySQL error number of either
// client library, then the network error, then (last) the text; wrapping with %w keeps the
// decision.
func TestClassify(t *testing.T) {
	my := func(n uint16) error { return &mysql.MySQLError{Number: n, Message: "server says no"} }
	wrap := func(err error) error {
		return fmt.Errorf("applying changes to shop.orders: %w", fmt.Errorf("batch 3: %w", err))
	}
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	for _, tc := range []struct {
		name string
		err  error
		want engine.Kind
	}{
		{"precheck", &engine.PrecheckError{}, engine.KindPrecheck},
		{"precheck wrapped", wrap(&engine.PrecheckError{}), engine.KindPrecheck},
		{"binlog purged", wrap(fmt.Errorf("%w: create a new task", cdc.ErrBinlogPurged)), engine.KindPermanent},
		{"binlog purged over a broken connection", fmt.Errorf("%w: %w", cdc.ErrBinlogPurged, io.EOF), engine.KindPermanent},
		{"etl evaluation", wrap(fmt.Errorf("%w: division by zero", etl.ErrEvaluation)), engine.KindPermanent},
		{"schema change not followed", wrap(fmt.Errorf("%w: DROP PRIMARY KEY", cdc.ErrSchemaChange)), engine.KindPermanent},
		{"source setting", wrap(fmt.Errorf("%w: binlog_row_image=MINIMAL", cdc.ErrSourceSetting)), engine.KindPermanent},
		{"DDL during the copy", wrap(fmt.Errorf("%w: DDL changed source table", fullload.ErrDefinitionChanged)), engine.KindPermanent},
		{"etl type check", wrap(&engine.ETLError{Err: errors.New("no such column")}), engine.KindPermanent},
		{"syntax", my(1064), engine.KindPermanent},
		{"unknown column wrapped", wrap(my(1054)), engine.KindPermanent},
		{"no such table", wrap(my(1146)), engine.KindPermanent},
		{"data too long", wrap(my(1406)), engine.KindPermanent},
		{"out of range", my(1264), engine.KindPermanent},
		{"truncated", my(1265), engine.KindPermanent},
		{"incorrect value", wrap(my(1366)), engine.KindPermanent},
		{"binlog reader 1236", wrap(&gomysql.MyError{Code: 1236, Message: "Could not find first log file"}), engine.KindPermanent},
		{"too many connections", my(1040), engine.KindConnection},
		{"server shutdown", wrap(my(1053)), engine.KindConnection},
		{"net read error", my(1158), engine.KindConnection},
		{"net write interrupted", my(1161), engine.KindConnection},
		{"cannot connect 2003", wrap(my(2003)), engine.KindConnection},
		{"server gone", my(2006), engine.KindConnection},
		{"server lost", wrap(my(2013)), engine.KindConnection},
		{"binlog reader lost", wrap(&gomysql.MyError{Code: 2013}), engine.KindConnection},
		{"lock wait timeout", wrap(my(1205)), engine.KindOther},
		{"deadlock", my(1213), engine.KindOther},
		{"access denied is retried", my(1045), engine.KindOther},
		{"duplicate key is retried", my(1062), engine.KindOther},
		{"net.OpError refused", wrap(refused), engine.KindConnection},
		{"ECONNREFUSED alone", wrap(syscall.ECONNREFUSED), engine.KindConnection},
		{"bad conn", wrap(driver.ErrBadConn), engine.KindConnection},
		{"invalid conn", wrap(mysql.ErrInvalidConn), engine.KindConnection},
		{"eof", wrap(io.EOF), engine.KindConnection},
		{"unexpected eof is not eof", wrap(io.ErrUnexpectedEOF), engine.KindOther},
		{"timeout", wrap(&net.DNSError{Err: "i/o timeout", IsTimeout: true}), engine.KindConnection},
		{"text only: reset", errors.New("read tcp 127.0.0.1:1->127.0.0.1:2: connection reset by peer"), engine.KindConnection},
		{"text only: broken pipe", wrap(errors.New("write: broken pipe")), engine.KindConnection},
		{"number wins over text", fmt.Errorf("connection reset while: %w", my(1064)), engine.KindPermanent},
		{"unknown server error with connection text", fmt.Errorf("%w: connection reset", my(1105)), engine.KindConnection},
		{"plain", errors.New("source database \"x\" does not exist"), engine.KindOther},
		{"cancelled", wrap(context.Canceled), engine.KindOther},
		{"chain cut by %v", fmt.Errorf("applying: %v", my(2013)), engine.KindOther},
		{"nil", nil, engine.KindOther},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := engine.Classify(tc.err); got != tc.want {
				t.Errorf("Classify(%v) = %s, want %s", tc.err, got, tc.want)
			}
		})
	}
}
