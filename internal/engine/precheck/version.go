package precheck

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// minADBVersion is the minimum AnalyticDB kernel (minor) version whose tables have a
// binlog ("Use DTS to subscribe to AnalyticDB for MySQL binary logs", Prerequisites).
const minADBVersion = "3.2.1.0"

var (
	versionRe  = regexp.MustCompile(`\d+(?:\.\d+)+`)
	xuanwuV2Re = regexp.MustCompile(`(?i)\bENGINE\s*=\s*['"]?XUANWU_V2\b`)
)

// findVersion returns the first dotted number in s ("3.2.1.0" in "AnalyticDB 3.2.1.0-x").
func findVersion(s string) (string, bool) {
	v := versionRe.FindString(s)
	return v, v != ""
}

// compareVersions compares dotted version numbers component by component, a missing
// component counting as 0: -1 when a < b, 0 when equal, +1 when a > b. Text around the
// first dotted number is ignored; an error says when either has none.
func compareVersions(a, b string) (int, error) {
	pa, err := versionParts(a)
	if err != nil {
		return 0, err
	}
	pb, err := versionParts(b)
	if err != nil {
		return 0, err
	}
	for i := range max(len(pa), len(pb)) {
		var x, y uint64
		if i < len(pa) {
			x = pa[i]
		}
		if i < len(pb) {
			y = pb[i]
		}
		switch {
		case x < y:
			return -1, nil
		case x > y:
			return 1, nil
		}
	}
	return 0, nil
}

func versionParts(v string) ([]uint64, error) {
	s := versionRe.FindString(v)
	if s == "" {
		if n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64); err == nil {
			return []uint64{n}, nil
		}
		return nil, fmt.Errorf("%q is not a version number", v)
	}
	var out []uint64
	for _, p := range strings.Split(s, ".") {
		n, err := strconv.ParseUint(p, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not a version number: %w", v, err)
		}
		out = append(out, n)
	}
	return out, nil
}

// readADBVersion reads the kernel version with adb_version(), which is not documented as
// such: only a 3.x version is believed.
func readADBVersion(ctx context.Context, db *sql.DB) (string, error) {
	var raw sql.NullString
	if err := db.QueryRowContext(ctx, "SELECT adb_version()").Scan(&raw); err != nil {
		return "", fmt.Errorf("SELECT adb_version(): %w", err)
	}
	v, ok := findVersion(raw.String)
	if !ok || !strings.HasPrefix(v, "3.") {
		return "", fmt.Errorf("SELECT adb_version() returned %q, not an AnalyticDB 3.x kernel version", raw.String)
	}
	return v, nil
}

type engineVersionCheck struct{ e *env }

func (engineVersionCheck) Name() string { return SourceEngineVersion }

func (c engineVersionCheck) Check(ctx context.Context) Result {
	s := c.e.src
	if err := s.reach(ctx); err != nil {
		return s.unreachable(err)
	}
	need, why := minADBVersion, "incremental migration from AnalyticDB"
	ddls, err := c.e.sourceDDL(ctx)
	if err != nil {
		return queryFailed(s, "read the source table definitions", err)
	}
	var v2 []string
	for _, t := range c.e.in.Tables {
		if xuanwuV2Re.MatchString(ddls[tableRef{t.SourceDatabase, t.SourceTable}]) {
			v2 = append(v2, t.Name())
		}
	}
	// "Binary logging is not supported for XUANWU_V2 tables" (the page above, Limitations),
	// whatever the kernel version.
	if len(v2) > 0 {
		return Result{
			State: Failed,
			Message: fmt.Sprintf("source table(s) %s use the XUANWU_V2 engine, which has no binlog in AnalyticDB for MySQL: incremental migration cannot read their changes",
				listNames(v2)),
			Remedy: "migrate these tables in a task without incremental migration (schema and full only), or move them to XUANWU tables on the source (CREATE TABLE ... ENGINE='XUANWU' and copy the rows) and enable BINLOG=true",
		}
	}
	// No setting gives the version: adb_version() is the only source, and when it cannot
	// be read the user checks the version and accepts the alert.
	version, err := readADBVersion(ctx, s.db)
	var cmp int
	if err == nil {
		cmp, err = compareVersions(version, need)
	}
	if err != nil {
		return Result{
			State:   Alert,
			Message: fmt.Sprintf("cannot read the AnalyticDB kernel version of the source (%v); %s needs %s or later", err, why, need),
			Remedy: fmt.Sprintf("run SELECT adb_version() on the source cluster, or look up its minor version in the AnalyticDB console (Cluster Information, Configuration Information): "+
				"if it is %s or later, add %s to ignore_precheck_alerts; if it is older, update the cluster's minor version or migrate without incremental migration",
				need, SourceEngineVersion),
		}
	}
	if cmp < 0 {
		return Result{
			State:   Failed,
			Message: fmt.Sprintf("the source AnalyticDB kernel is %s (from adb_version()); %s needs %s or later", version, why, need),
			Remedy:  fmt.Sprintf("update the source cluster's minor version to %s or later in the AnalyticDB console, or migrate without incremental migration", need),
		}
	}
	return passed("the source AnalyticDB kernel is %s (from adb_version()), at least %s", version, need)
}

// adbIncrementalCheck alerts on every task that reads an adb_mysql3 source's binlog: the
// documentation names the binlog's prerequisites (the items above check them) but not its
// protocol, and no test here reads it, so the path is unverified until a user runs it
// against a real cluster.
type adbIncrementalCheck struct{}

func (adbIncrementalCheck) Name() string { return ADBSourceIncremental }

func (adbIncrementalCheck) Check(context.Context) Result {
	return Result{
		State: Alert,
		Message: "incremental migration from AnalyticDB for MySQL is unverified: AnalyticDB's binlog protocol is not public, and this product has not read a real " +
			"AnalyticDB binlog; schema and full migration from AnalyticDB are tested against the emulated documented behaviour (docs/adb.md)",
		Remedy: fmt.Sprintf("run the task first against a copy of the source with data_verification set, and check its result before relying on it; add %s to ignore_precheck_alerts to go ahead, "+
			"or leave incremental out of migration_types", ADBSourceIncremental),
	}
}
