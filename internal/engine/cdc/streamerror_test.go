package cdc

import (
	"errors"
	"strings"
	"testing"

	"github.com/go-mysql-org/go-mysql/mysql"
)

// Error 1236 is told apart by its message: a purged binlog, an event over
// max_allowed_packet and anonymous transactions each get their own cause and remedy.
func TestExplainStreamError(t *testing.T) {
	for _, c := range []struct {
		msg  string
		is   error
		says string
	}{
		{"Could not find first log file name in binary log index file", ErrBinlogPurged, "create a new task"},
		{"Cannot replicate because the master purged required binary logs. Replicate the missing transactions from elsewhere", ErrBinlogPurged, "keep binlogs longer"},
		{"Error: connecting slave requested to start from GTID 0-1-100, which is not in the master's binlog", ErrBinlogPurged, "no longer has the binlog"},
		{"log event entry exceeded max_allowed_packet; Increase max_allowed_packet on master", ErrSourceSetting, "raise max_allowed_packet"},
		{"Cannot replicate anonymous transaction when AUTO_POSITION = 1, at file binlog.000003", ErrSourceSetting, "gtid_mode = ON"},
		{"binlog truncated in the middle of event; consider out of disk space on master", nil, "other than an expired binlog"},
	} {
		err := explainStreamError(Config{}, &mysql.MyError{Code: 1236, Message: c.msg})
		if c.is != nil && !errors.Is(err, c.is) || c.is == nil && (errors.Is(err, ErrBinlogPurged) || errors.Is(err, ErrSourceSetting)) {
			t.Errorf("%q: got %v, want it to wrap %v", c.msg, err, c.is)
		}
		if !strings.Contains(err.Error(), c.says) {
			t.Errorf("%q: %v does not say %q", c.msg, err, c.says)
		}
	}
}
