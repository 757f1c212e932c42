package adbfront

import (
	"fmt"
	"slices"
	"strings"
)

// The MySQL-behaviour mode of the front: MySQL's statement behaviour, as its reference
// manual documents it, over MariaDB. It is the documented behaviour, not MySQL. In this
// mode the front runs MySQLRules instead of Rules (the AnalyticDB table), keeps nothing in
// adbfront_meta, and reports the mode's MySQL version in the server greeting. Replication
// commands (COM_REGISTER_SLAVE, COM_BINLOG_DUMP) are relayed unchanged: the binlog a client
// streams through the front is MariaDB's, sent as MariaDB sends it to a client that does
// not say it understands MariaDB's events (go-mysql's flavor "mysql").

// Modes of the front: "" (or "adb") is AnalyticDB; the others are MySQL versions.
const (
	ModeADB     = "adb"
	ModeMySQL84 = "mysql84"
	ModeMySQL80 = "mysql80"
	ModeMySQL57 = "mysql57"
)

// mysqlVersions is the version each MySQL mode reports.
var mysqlVersions = map[string]mysqlVersion{
	ModeMySQL84: {8, 4, 3},
	ModeMySQL80: {8, 0, 36},
	ModeMySQL57: {5, 7, 44},
}

// MySQL reference manual pages the MySQL rules come from.
const (
	pageInfoFunctions  = "MySQL 8.4 Reference Manual, 14.15 Information Functions (VERSION())"
	pageSysVarVersion  = "MySQL 8.4 Reference Manual, 7.1.8 Server System Variables (version)"
	pageNew84          = "MySQL 8.4 Reference Manual, 1.4 What Is New in MySQL 8.4 since MySQL 8.0 (SHOW MASTER STATUS removed)"
	pageShowBinlog     = "MySQL 8.4 Reference Manual, 15.7.7.1 SHOW BINARY LOG STATUS (added in 8.2.0)"
	pageCastFunctions  = "MySQL 8.0 Reference Manual, 14.10 Cast Functions and Operators (DOUBLE, FLOAT, REAL from 8.0.17)"
	pageGTIDVariables  = "MySQL 8.4 Reference Manual, 19.1.6.5 Global Transaction ID System Variables (gtid_mode, gtid_executed)"
	pageRowValueOption = "MySQL 8.4 Reference Manual, 19.1.6.4 Binary Logging Options and Variables (binlog_row_value_options, 8.0.3+)"
)

// MySQLSwitches settle, for the MySQL modes, what is a server setting rather than a
// version's behaviour.
type MySQLSwitches struct {
	// GTIDMode is what @@gtid_mode reads: "OFF" (the default, as in MySQL), "OFF_PERMISSIVE",
	// "ON_PERMISSIVE" or "ON". With ON, @@gtid_executed reads as a MySQL GTID set made up
	// from MariaDB's @@gtid_binlog_pos ("<fixed server uuid>:1-<sequence number>"): the
	// binlog MariaDB streams carries no such GTIDs, so a client cannot stream by it. With
	// the others it reads as the empty set.
	GTIDMode string
}

func (sw *MySQLSwitches) validate() error {
	if sw.GTIDMode == "" {
		sw.GTIDMode = "OFF"
	}
	if ok := []string{"OFF", "OFF_PERMISSIVE", "ON_PERMISSIVE", "ON"}; !slices.Contains(ok, sw.GTIDMode) {
		return fmt.Errorf("adbfront: MySQL switch gtid_mode is %q; use one of %s", sw.GTIDMode, strings.Join(ok, ", "))
	}
	return nil
}

// mysqlVersion is a MySQL server version.
type mysqlVersion struct{ major, minor, patch int }

func (v mysqlVersion) String() string { return fmt.Sprintf("%d.%d.%d", v.major, v.minor, v.patch) }

// atLeast reports whether v is major.minor.patch or later.
func (v mysqlVersion) atLeast(major, minor, patch int) bool {
	return cmpVersion(v, mysqlVersion{major, minor, patch}) >= 0
}

func cmpVersion(a, b mysqlVersion) int {
	for _, d := range [][2]int{{a.major, b.major}, {a.minor, b.minor}, {a.patch, b.patch}} {
		if d[0] != d[1] {
			return d[0] - d[1]
		}
	}
	return 0
}

// mysqlMode is what a MySQL rule reads: the version the mode reports and its switches.
type mysqlMode struct {
	version  mysqlVersion
	switches MySQLSwitches
}

// MySQLRule is one behaviour of MySQL from its reference manual. The rules run in table
// order on every COM_QUERY and COM_STMT_PREPARE statement in a MySQL mode; the first
// refusal ends the statement.
type MySQLRule struct {
	Name string // stable identifier, used in logs, Front.Hits and docs/mysql.md
	Page string // the MySQL reference manual page it comes from
	Says string // what the page says, in one line
	// apply refuses the statement (returns *Error), or rewrites it, or does nothing; it
	// reports whether it did anything.
	apply func(st *statement, m mysqlMode) (bool, error)
}

// MySQLRules is the rule table of the MySQL modes.
var MySQLRules = []MySQLRule{
	{"version", pageInfoFunctions + "; " + pageSysVarVersion, "VERSION() and @@version return the server version (8.4.3, 8.0.36, 5.7.44 here)", ruleMySQLVersion},
	{"show-master-status-removed", pageNew84, "8.4 removed SHOW MASTER STATUS: it is a syntax error (1064)", ruleShowMasterStatus},
	{"show-binary-log-status", pageShowBinlog, "SHOW BINARY LOG STATUS (8.2+) shows File, Position, Binlog_Do_DB, Binlog_Ignore_DB; before 8.2 it is a syntax error (1064)", ruleShowBinaryLogStatus},
	{"cast-as-double", pageCastFunctions, "CAST(x AS DOUBLE|FLOAT|REAL) exists from 8.0.17; before, it is a syntax error (1064)", ruleCastAsDouble},
	{"gtid-mode", pageGTIDVariables, "@@gtid_mode is OFF, OFF_PERMISSIVE, ON_PERMISSIVE or ON (the switch)", ruleGTIDMode},
	{"gtid-executed", pageGTIDVariables, "@@gtid_executed is the set of GTIDs in the binlog; empty when no GTID was ever written", ruleGTIDExecuted},
	{"binlog-row-value-options", pageRowValueOption, "@@binlog_row_value_options exists from 8.0.3 and is empty by default", ruleRowValueOptions},
}

// mysqlSyntaxError is MySQL's answer to a statement its parser refuses: error 1064 with
// the text from near where it stopped, and where the front's rule says it comes from.
func mysqlSyntaxError(rule, page, near string) *Error {
	if len(near) > 80 {
		near = near[:80]
	}
	return &Error{Code: codeSyntax, State: "42000", Message: fmt.Sprintf(
		"You have an error in your SQL syntax; check the manual that corresponds to your MySQL server version for the right syntax to use near '%s' at line 1 [adbfront MySQL mode, rule %s: %s]",
		near, rule, page)}
}

// replaceTokens rewrites the statement: at each token where match returns ok, the tokens
// up to (not including) index end are replaced by repl. It reports whether it replaced any.
func replaceTokens(st *statement, match func(i int) (end int, repl string, ok bool)) bool {
	var b strings.Builder
	last, changed := 0, false
	for i := 0; i < len(st.toks); i++ {
		end, repl, ok := match(i)
		if !ok {
			continue
		}
		b.WriteString(st.text[last:st.toks[i].pos])
		b.WriteString(repl)
		last = st.toks[end-1].end
		changed = true
		i = end - 1
	}
	if !changed {
		return false
	}
	b.WriteString(st.text[last:])
	st.setText(b.String())
	return true
}

// variableAt matches a read of the system variable name at toks[i]: @@name,
// @@global.name or @@session.name. It returns the index after it.
func variableAt(toks []token, i int, name string) (int, bool) {
	t := toks[i]
	if t.is("@@" + name) {
		return i + 1, true
	}
	if (t.is("@@global") || t.is("@@session")) && i+2 < len(toks) && toks[i+1].text == "." && toks[i+2].is(name) {
		return i + 3, true
	}
	return 0, false
}

// replaceVariable replaces every read of the system variable name by the SQL expression
// value, and reports whether there was one.
func replaceVariable(st *statement, name, value string) bool {
	return replaceTokens(st, func(i int) (int, string, bool) {
		end, ok := variableAt(st.toks, i, name)
		return end, value, ok
	})
}

// sqlString quotes s as an SQL string literal.
func sqlString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func ruleMySQLVersion(st *statement, m mysqlMode) (bool, error) {
	v := sqlString(m.version.String())
	return replaceTokens(st, func(i int) (int, string, bool) {
		if st.toks[i].is("VERSION") && i+2 < len(st.toks) && st.toks[i+1].text == "(" && st.toks[i+2].text == ")" &&
			(i == 0 || st.toks[i-1].text != ".") {
			return i + 3, v, true
		}
		if end, ok := variableAt(st.toks, i, "version"); ok {
			return end, v, true
		}
		return 0, "", false
	}), nil
}

func ruleShowMasterStatus(st *statement, m mysqlMode) (bool, error) {
	if !st.first("SHOW", "MASTER", "STATUS") || !m.version.atLeast(8, 4, 0) {
		return false, nil
	}
	return true, mysqlSyntaxError("show-master-status-removed", pageNew84, st.text[st.toks[1].pos:])
}

func ruleShowBinaryLogStatus(st *statement, m mysqlMode) (bool, error) {
	if !st.first("SHOW", "BINARY", "LOG", "STATUS") {
		return false, nil
	}
	if !m.version.atLeast(8, 2, 0) {
		return true, mysqlSyntaxError("show-binary-log-status", pageShowBinlog, st.text[st.toks[2].pos:])
	}
	st.setText("SHOW MASTER STATUS" + st.text[st.toks[3].end:])
	return true, nil
}

func ruleCastAsDouble(st *statement, m mysqlMode) (bool, error) {
	if m.version.atLeast(8, 0, 17) {
		return false, nil
	}
	for i := 0; i+1 < len(st.toks); i++ {
		if !st.toks[i].is("CAST") || st.toks[i+1].text != "(" {
			continue
		}
		end := closing(st.toks, i+1)
		if end < 0 {
			end = len(st.toks)
		}
		inner := st.toks[i+1].depth + 1
		for j := i + 2; j+1 < end; j++ {
			if st.toks[j].depth == inner && st.toks[j].is("AS") {
				if k := st.toks[j+1]; k.is("DOUBLE") || k.is("FLOAT") || k.is("REAL") {
					return true, mysqlSyntaxError("cast-as-double", pageCastFunctions, st.text[k.pos:])
				}
			}
		}
	}
	return false, nil
}

func ruleGTIDMode(st *statement, m mysqlMode) (bool, error) {
	return replaceVariable(st, "gtid_mode", sqlString(m.switches.GTIDMode)), nil
}

// fakeServerUUID is the server_uuid of the GTID set the front makes up under gtid_mode=ON.
const fakeServerUUID = "3e11fa47-71ca-11e1-9e33-c80aa9429562"

func ruleGTIDExecuted(st *statement, m mysqlMode) (bool, error) {
	v := "''"
	if m.switches.GTIDMode == "ON" {
		v = "IF(@@global.gtid_binlog_pos = '', '', CONCAT('" + fakeServerUUID + ":1-', SUBSTRING_INDEX(@@global.gtid_binlog_pos, '-', -1)))"
	}
	return replaceVariable(st, "gtid_executed", v), nil
}

func ruleRowValueOptions(st *statement, m mysqlMode) (bool, error) {
	if !m.version.atLeast(8, 0, 3) {
		return false, nil // MariaDB's 1193, unknown system variable, is 5.7's answer too
	}
	return replaceVariable(st, "binlog_row_value_options", "''"), nil
}

// greetingVersion returns the server greeting p (HandshakeV10) with its server version
// replaced by version.
func greetingVersion(p []byte, version string) ([]byte, error) {
	if len(p) < 1 || p[0] != 10 {
		return nil, fmt.Errorf("server greeting is not protocol version 10")
	}
	i := indexByte(p[1:], 0)
	if i < 0 {
		return nil, fmt.Errorf("server greeting without a version")
	}
	out := append([]byte{10}, version...)
	return append(out, p[1+i:]...), nil
}
