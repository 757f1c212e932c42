package precheck

import (
	"strings"
	"testing"
)

// A source with binlog_row_value_options=PARTIAL_JSON (MySQL 8.0.3+) fails the
// binlog_row_image item, naming the setting and how to clear it; an empty value passes.
func TestJudgeRowValueOptions(t *testing.T) {
	image := passed("binlog_row_image is FULL")
	for _, tc := range []struct {
		value        string
		state        State
		message, fix string
	}{
		{"", Passed, "binlog_row_value_options is empty", ""},
		{"PARTIAL_JSON", Failed, "binlog_row_value_options is PARTIAL_JSON", "SET GLOBAL binlog_row_value_options = ''"},
	} {
		r := judgeRowValueOptions(image, tc.value)
		if r.State != tc.state || !strings.Contains(r.Message, tc.message) || !strings.Contains(r.Remedy, tc.fix) {
			t.Errorf("binlog_row_value_options %q: %v %q, remedy %q", tc.value, r.State, r.Message, r.Remedy)
		}
	}
}
