package precheck

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/dbconn"
	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/dialect"
)

// minRetention is the shortest binlog retention that passes: a task suspended for more than
// a day risks binlog expiry (seed).
const minRetention = 24 * time.Hour

// readVariable reads one system variable of the source as text.
func readVariable(ctx context.Context, db *sql.DB, name string) (string, error) {
	var v sql.NullString
	if err := db.QueryRowContext(ctx, "SELECT @@"+name).Scan(&v); err != nil {
		return "", fmt.Errorf("reading @@%s: %w", name, err)
	}
	return v.String, nil
}

// variableSetting says how to set a variable for good: now, and in the configuration.
func variableSetting(name, value string) string {
	return fmt.Sprintf("run SET GLOBAL %s = %s on the source and set %s = %s in its server configuration (my.cnf), so that it survives a restart; sessions already open keep the old value, so restart writers or the server",
		name, value, name, strings.Trim(value, "'"))
}

type binlogEnabledCheck struct{ e *env }

func (binlogEnabledCheck) Name() string { return BinlogEnabled }

func (c binlogEnabledCheck) Check(ctx context.Context) Result {
	s := c.e.src
	if err := s.reach(ctx); err != nil {
		return s.unreachable(err)
	}
	v, err := readVariable(ctx, s.db, "log_bin")
	if err != nil {
		return queryFailed(s, "read log_bin", err)
	}
	if v == "1" || strings.EqualFold(v, "ON") {
		return passed("the source writes a binlog (log_bin = ON)")
	}
	return Result{
		State:   Failed,
		Message: fmt.Sprintf("the source does not write a binlog (log_bin = %s), which incremental migration reads", onOff(v)),
		Remedy:  "enable the binary log in the source's server configuration (for example log_bin = mysql-bin, with server_id set and binlog_format = ROW) and restart the server",
	}
}

// sourceVariableCheck requires a source variable to hold one value (binlog_format ROW,
// binlog_row_image FULL).
type sourceVariableCheck struct {
	e        *env
	name     string // the item's name
	variable string
	want     string
	// why completes "<variable> is <value> on the source; incremental migration needs ...".
	why string
}

func (c sourceVariableCheck) Name() string { return c.name }

func (c sourceVariableCheck) Check(ctx context.Context) Result {
	s := c.e.src
	if err := s.reach(ctx); err != nil {
		return s.unreachable(err)
	}
	v, err := readVariable(ctx, s.db, c.variable)
	if err != nil {
		return queryFailed(s, "read "+c.variable, err)
	}
	if strings.EqualFold(v, c.want) {
		return passed("%s is %s", c.variable, c.want)
	}
	return Result{
		State:   Failed,
		Message: fmt.Sprintf("%s is %s on the source; incremental migration needs %s", c.variable, v, c.why),
		Remedy:  variableSetting(c.variable, "'"+c.want+"'"),
	}
}

type serverIDCheck struct{ e *env }

func (serverIDCheck) Name() string { return ServerID }

func (c serverIDCheck) Check(ctx context.Context) Result {
	s := c.e.src
	if err := s.reach(ctx); err != nil {
		return s.unreachable(err)
	}
	v, err := readVariable(ctx, s.db, "server_id")
	if err != nil {
		return queryFailed(s, "read server_id", err)
	}
	if v != "0" && v != "" {
		return passed("server_id is %s", v)
	}
	return Result{
		State:   Failed,
		Message: "server_id is 0 on the source: a server without an id cannot serve its binlog to a replica",
		Remedy:  variableSetting("server_id", "<a non-zero id unique among your servers>"),
	}
}

type retentionCheck struct{ e *env }

func (retentionCheck) Name() string { return BinlogRetention }

func (c retentionCheck) Check(ctx context.Context) Result {
	s := c.e.src
	if err := s.reach(ctx); err != nil {
		return s.unreachable(err)
	}
	retention, setting, err := readRetention(ctx, s.db)
	if err != nil {
		return queryFailed(s, "read the binlog retention", err)
	}
	return judgeRetention(retention, setting, c.e.in.RetryWindow, s.typ)
}

// readRetention returns how long the source keeps binlogs (0: forever) and the setting that
// says so.
func readRetention(ctx context.Context, db *sql.DB) (time.Duration, string, error) {
	// MySQL 8.0.29+: automatic purging may be off altogether.
	if v, err := readVariable(ctx, db, "binlog_expire_logs_auto_purge"); err == nil && (v == "0" || strings.EqualFold(v, "OFF")) {
		return 0, "binlog_expire_logs_auto_purge = OFF", nil
	}
	seconds, errS := readVariable(ctx, db, "binlog_expire_logs_seconds") // MySQL 8, MariaDB 10.6+
	days, errD := readVariable(ctx, db, "expire_logs_days")              // MariaDB, MySQL 5.7 and 8.0
	if errS != nil && errD != nil {
		return 0, "", errS
	}
	if errS == nil {
		if n, err := strconv.ParseUint(seconds, 10, 64); err == nil && n > 0 {
			return time.Duration(n) * time.Second, "binlog_expire_logs_seconds = " + seconds, nil
		}
	}
	if errD == nil {
		if f, err := strconv.ParseFloat(days, 64); err == nil && f > 0 {
			return time.Duration(f * float64(24*time.Hour)), "expire_logs_days = " + days, nil
		}
	}
	if errS == nil {
		return 0, "binlog_expire_logs_seconds = " + seconds, nil
	}
	return 0, "expire_logs_days = " + days, nil
}

// judgeRetention alerts when binlogs expire sooner than a day or the retry window: a task
// that is down longer than that cannot resume.
func judgeRetention(retention time.Duration, setting string, retryWindow time.Duration, sourceType dialect.DatabaseType) Result {
	if retention == 0 {
		return passed("binlogs never expire on the source (%s)", setting)
	}
	need := max(minRetention, retryWindow)
	if retention >= need {
		return passed("binlogs are kept for %s (%s), at least a day and the %s retry window", duration(retention), setting, duration(retryWindow))
	}
	var remedy string
	if sourceType == dbconn.TypeMariaDB && strings.HasPrefix(setting, "expire_logs_days") {
		remedy = variableSetting("expire_logs_days", strconv.Itoa(int(math.Ceil(need.Hours()/24))))
	} else {
		remedy = variableSetting("binlog_expire_logs_seconds", strconv.Itoa(int(need.Seconds())))
	}
	return Result{
		State: Alert,
		Message: fmt.Sprintf("the source keeps binlogs for %s only (%s), less than %s (a day, or retry_time_for_failed_connections if longer): a task stopped or retrying longer than that cannot resume",
			duration(retention), setting, duration(need)),
		Remedy: remedy + fmt.Sprintf("; or add %s to ignore_precheck_alerts", BinlogRetention),
	}
}

// duration formats a duration in days, hours and minutes.
func duration(d time.Duration) string {
	if d <= 0 {
		return "0m"
	}
	d = d.Round(time.Minute)
	days, h, m := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour), int(d%time.Hour/time.Minute)
	var b strings.Builder
	if days > 0 {
		fmt.Fprintf(&b, "%dd", days)
	}
	if h > 0 {
		fmt.Fprintf(&b, "%dh", h)
	}
	if m > 0 || b.Len() == 0 {
		fmt.Fprintf(&b, "%dm", m)
	}
	return b.String()
}

func onOff(v string) string {
	switch v {
	case "0":
		return "OFF"
	case "1":
		return "ON"
	}
	return v
}

// On an adb_mysql3 source the binlog is a table option: BINLOG=true, kept for binlog_ttl.
var (
	adbBinlogOn  = regexp.MustCompile(`(?i)\bBINLOG\s*=\s*['"]?true\b`)
	adbBinlogTTL = regexp.MustCompile(`(?i)\bbinlog_ttl\s*=\s*['"]?([^'"\s,)]*)`)
	ttlValue     = regexp.MustCompile(`(?i)^(\d+)\s*(ms|s|m|h|d)$`)
)

// adbDefaultTTL is binlog_ttl when a table does not set it.
const adbDefaultTTL = 6 * time.Hour

// parseTTL reads a binlog_ttl value such as '1d', '12h' or '30m', or a bare number, which
// AnalyticDB reads as milliseconds ("Use DTS to subscribe to AnalyticDB for MySQL binary
// logs").
func parseTTL(v string) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if n, err := strconv.ParseInt(v, 10, 64); err == nil && n > 0 && !strings.HasPrefix(v, "+") {
		return time.Duration(n) * time.Millisecond, true
	}
	m := ttlValue.FindStringSubmatch(v)
	if m == nil {
		return 0, false
	}
	n, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil {
		return 0, false
	}
	unit := map[string]time.Duration{"ms": time.Millisecond, "s": time.Second, "m": time.Minute, "h": time.Hour, "d": 24 * time.Hour}[strings.ToLower(m[2])]
	return time.Duration(n) * unit, true
}

type adbBinlogCheck struct{ e *env }

func (adbBinlogCheck) Name() string { return BinlogEnabled }

func (c adbBinlogCheck) Check(ctx context.Context) Result {
	s := c.e.src
	if err := s.reach(ctx); err != nil {
		return s.unreachable(err)
	}
	ddls, err := c.e.sourceDDL(ctx)
	if err != nil {
		return queryFailed(s, "read the source table definitions", err)
	}
	var off, remedies []string
	for _, t := range c.e.in.Tables {
		ddl, ok := ddls[tableRef{t.SourceDatabase, t.SourceTable}]
		if !ok || adbBinlogOn.MatchString(ddl) {
			continue
		}
		off = append(off, t.Name())
		remedies = append(remedies, fmt.Sprintf("ALTER TABLE %s BINLOG=true", quoteTable(t.SourceDatabase, t.SourceTable)))
	}
	if len(off) == 0 {
		return passed("binlog is on (BINLOG=true) for every selected table")
	}
	return Result{
		State:   Failed,
		Message: "binlog is not enabled on source table(s) " + listNames(off) + " (SHOW CREATE TABLE has no BINLOG=true)",
		Remedy:  "run " + strings.Join(remedies, "; ") + "; Change Data Capture must also be enabled on the cluster, which only Alibaba Cloud support can do",
	}
}

type adbRetentionCheck struct{ e *env }

func (adbRetentionCheck) Name() string { return BinlogRetention }

func (c adbRetentionCheck) Check(ctx context.Context) Result {
	s := c.e.src
	if err := s.reach(ctx); err != nil {
		return s.unreachable(err)
	}
	ddls, err := c.e.sourceDDL(ctx)
	if err != nil {
		return queryFailed(s, "read the source table definitions", err)
	}
	need := max(minRetention, c.e.in.RetryWindow)
	needDays := int(math.Ceil(need.Hours() / 24))
	var short, unknown, remedies []string
	for _, t := range c.e.in.Tables {
		ddl, ok := ddls[tableRef{t.SourceDatabase, t.SourceTable}]
		if !ok {
			continue
		}
		ttl, setting := adbDefaultTTL, "binlog_ttl not set, default 6h"
		if m := adbBinlogTTL.FindStringSubmatch(ddl); m != nil {
			d, ok := parseTTL(m[1])
			if !ok {
				unknown = append(unknown, fmt.Sprintf("%s (binlog_ttl=%q)", t.Name(), m[1]))
				continue
			}
			ttl, setting = d, "binlog_ttl="+m[1]
		}
		if ttl < need {
			short = append(short, fmt.Sprintf("%s (%s)", t.Name(), setting))
			remedies = append(remedies, fmt.Sprintf("ALTER TABLE %s binlog_ttl='%dd'", quoteTable(t.SourceDatabase, t.SourceTable), needDays))
		}
	}
	switch {
	case len(short) > 0:
		return Result{
			State: Alert,
			Message: fmt.Sprintf("source table(s) %s keep their binlog for less than %s (a day, or retry_time_for_failed_connections if longer): a task stopped or retrying longer than that cannot resume",
				listNames(short), duration(need)),
			Remedy: "run " + strings.Join(remedies, "; ") + "; or add " + BinlogRetention + " to ignore_precheck_alerts",
		}
	case len(unknown) > 0:
		return Result{
			State:   Alert,
			Message: "cannot read the binlog retention of source table(s) " + listNames(unknown),
			Remedy:  fmt.Sprintf("set binlog_ttl='%dd' on these tables (ALTER TABLE ... binlog_ttl='%dd'), or add %s to ignore_precheck_alerts", needDays, needDays, BinlogRetention),
		}
	}
	return passed("every selected table keeps its binlog for at least %s", duration(need))
}
