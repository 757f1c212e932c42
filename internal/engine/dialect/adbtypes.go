// AnalyticDB's column types: a MySQL or MariaDB column definition mapped to the types
// AnalyticDB for MySQL 3.0 has.

package dialect

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/adbmigrate/terraform-provider-adbmigrate/internal/engine/sqltext"
)

// The pages the mapping follows: AnalyticDB for MySQL's "Basic data types" (BOOLEAN,
// TINYINT, SMALLINT, INT, BIGINT, FLOAT, DOUBLE, DECIMAL with a precision of at most 38,
// VARCHAR, BINARY, DATE, TIME, DATETIME, TIMESTAMP, POINT, JSON, ARRAY, MAP; no ENUM, SET,
// BIT, YEAR or UNSIGNED; fractional seconds to the millisecond), and DTS's "Data type
// mappings for initial schema synchronization", MySQL to AnalyticDB for MySQL 3.0, which
// widens unsigned integers to the next signed type and an AUTO_INCREMENT INT to BIGINT.
const (
	pageADBTypes = `AnalyticDB for MySQL "Basic data types"`
	pageDTSTypes = `DTS "Data type mappings for initial schema synchronization" (MySQL to AnalyticDB for MySQL 3.0)`
)

// adbTypeHead matches the type at the start of a column definition: its name, its
// arguments and the integer attributes after them.
var adbTypeHead = regexp.MustCompile(`(?i)^\s*([a-z]+)(\s*\([^)]*\))?((?:\s+(?:unsigned|signed|zerofill)\b)*)`)

// adbMaxDecimal is AnalyticDB's largest DECIMAL precision, and adbMaxFraction the most
// fractional-second digits it keeps (milliseconds).
const (
	adbMaxDecimal  = 38
	adbMaxFraction = 3
)

// adbColumnType maps a MySQL or MariaDB column definition, as SHOW CREATE TABLE prints it
// without its name, to the definition of an AnalyticDB column that keeps every value the
// source column can hold unchanged. The attributes after the type (NOT NULL, DEFAULT,
// AUTO_INCREMENT, COMMENT) stay as written.
//
// A type some of whose values AnalyticDB cannot keep (a DECIMAL over 38 digits, fractional
// seconds beyond milliseconds) is mapped to the nearest type, and loss says so: the
// precheck names it as an alert (destination_value_range), which the user accepts when the
// values fit; one that does not stops the copy at its row, since the writes never round. ENUM and SET
// hold their member text in a VARCHAR (adbMembersType), and BIT(n) its unsigned number in
// BIGINT (n up to 63) or DECIMAL(20,0) (BIT(64)), with a DEFAULT b'...' written as that
// number. A type AnalyticDB has no place for is an error naming the type, the page and the
// way out.
func adbColumnType(def string) (mapped, loss string, err error) {
	if text, ok, err := adbMembersType(def); ok || err != nil {
		return text, "", err
	}
	m := adbTypeHead.FindStringSubmatchIndex(def)
	if m == nil {
		return "", "", fmt.Errorf("its definition %q does not start with a type", def)
	}
	name := strings.ToLower(def[m[2]:m[3]])
	var args string
	if m[4] >= 0 {
		args = strings.TrimSpace(def[m[4]:m[5]])
	}
	attrs := strings.ToLower(def[m[6]:m[7]])
	unsigned := strings.Contains(attrs, "unsigned") || strings.Contains(attrs, "zerofill") // ZEROFILL implies UNSIGNED
	rest := strings.TrimSpace(def[m[1]:])
	autoIncrement := strings.Contains(strings.ToUpper(rest), "AUTO_INCREMENT")

	var head string
	switch name {
	case "bool", "boolean":
		head = "boolean"
	case "tinyint":
		head = pick(unsigned, "smallint", "tinyint")
	case "smallint":
		head = pick(unsigned, "int", "smallint")
	case "mediumint":
		head = "int"
	case "int", "integer":
		head = pick(unsigned || autoIncrement, "bigint", "int")
	case "bigint":
		// An AUTO_INCREMENT counter stays BIGINT, which AnalyticDB's AUTO_INCREMENT needs: a
		// value over 2^63-1 then fails its write, loudly, rather than change.
		head = pick(unsigned && !autoIncrement, "decimal(20,0)", "bigint")
	case "float":
		head = "float"
	case "double", "real":
		head = "double"
	case "decimal", "numeric", "dec", "fixed":
		p, sc, err := decimalArgs(args)
		if err != nil {
			return "", "", err
		}
		if p > adbMaxDecimal {
			// Integer digits are kept before fractional ones. The writes are strict: a value
			// that does not fit exactly fails, naming its row.
			ns := max(0, sc-(p-adbMaxDecimal))
			loss = fmt.Sprintf("%s holds %d digits and AnalyticDB's DECIMAL at most %d (%s): it becomes DECIMAL(%d,%d), and a value that does not fit it exactly stops the copy at its row (no value is rounded)",
				strings.ToUpper(strings.TrimSpace(def[:m[1]])), p, adbMaxDecimal, pageADBTypes, adbMaxDecimal, ns)
			p, sc = adbMaxDecimal, ns
		}
		head = fmt.Sprintf("decimal(%d,%d)", p, sc)
	case "char", "varchar":
		head = "varchar" + args
	case "tinytext", "text", "mediumtext", "longtext":
		// The length is only syntax on AnalyticDB (values up to 16 MB); it says what the
		// source column holds.
		head = fmt.Sprintf("varchar(%d)", lobLengths[name[:len(name)-4]])
	case "binary", "varbinary":
		head = "binary" + args
	case "tinyblob", "blob", "mediumblob", "longblob":
		head = fmt.Sprintf("binary(%d)", lobLengths[name[:len(name)-4]])
	case "year":
		head = "smallint"
	case "date", "json", "point":
		head = name
	case "time", "datetime", "timestamp":
		if fsp, _ := strconv.Atoi(strings.Trim(args, "() ")); fsp > adbMaxFraction {
			loss = fmt.Sprintf("%s keeps fractional seconds to %d digits and AnalyticDB to %d (%s): it becomes %s(%d), and a value with digits after the millisecond stops the copy at its row (no value is cut)",
				strings.ToUpper(strings.TrimSpace(def[:m[1]])), fsp, adbMaxFraction, pageADBTypes, strings.ToUpper(name), adbMaxFraction)
			args = fmt.Sprintf("(%d)", adbMaxFraction)
		}
		head = name + args
	case "bit":
		// AnalyticDB has no BIT and no UNSIGNED: the column holds the bits' unsigned number,
		// in BIGINT while it fits (up to 63 bits), else in DECIMAL(20,0). The copy, the
		// binlog and verification carry that number (BitsAsNumber).
		n, err := bitWidth(args)
		if err != nil {
			return "", "", err
		}
		head = pick(n < 64, "bigint", "decimal(20,0)")
		if rest, err = bitDefault(rest); err != nil {
			return "", "", err
		}
	default:
		return "", "", fmt.Errorf("type %s is not one AnalyticDB has (%s): leave the column out of the table's columns, or change its type on the source", strings.ToUpper(name), pageADBTypes)
	}
	if rest != "" {
		head += " " + rest
	}
	return head, loss, nil
}

// bitDefaultValue matches a BIT column's default as MySQL and MariaDB print it: b'101'.
var bitDefaultValue = regexp.MustCompile(`(?i)\bDEFAULT\s+b'([01]*)'`)

// bitWidth reads BIT's "(n)", or "" (one bit).
func bitWidth(args string) (int, error) {
	inner := strings.Trim(args, "() ")
	if inner == "" {
		return 1, nil
	}
	n, err := strconv.Atoi(inner)
	if err != nil || n < 1 || n > 64 {
		return 0, fmt.Errorf("BIT arguments %q are not a width from 1 to 64", args)
	}
	return n, nil
}

// bitDefault rewrites a BIT column's attributes so that a default written as bits
// (DEFAULT b'101') is the number the column holds on AnalyticDB (DEFAULT 5).
func bitDefault(attrs string) (string, error) {
	m := bitDefaultValue.FindStringSubmatchIndex(attrs)
	if m == nil {
		return attrs, nil
	}
	var n uint64
	if bits := attrs[m[2]:m[3]]; bits != "" {
		var err error
		if n, err = strconv.ParseUint(bits, 2, 64); err != nil {
			return "", fmt.Errorf("default b'%s' is not a BIT value: %w", bits, err)
		}
	}
	return attrs[:m[0]] + "DEFAULT " + strconv.FormatUint(n, 10) + attrs[m[1]:], nil
}

// BitsAsNumber reports whether a column's BIT values are written to a destination of flavor
// dest as their unsigned number rather than their bytes, and compared as that number: to
// AnalyticDB, whose BIGINT or DECIMAL(20,0) holds them (adbColumnType).
func BitsAsNumber(dest DatabaseType, dataType string) bool {
	return dest == ADBMySQL && dataType == "bit"
}

// lobLengths are the lengths a TEXT or BLOB kind's VARCHAR or BINARY is written with, by
// the kind's prefix: the source kind's largest value, AnalyticDB's 16 MB for LONG.
var lobLengths = map[string]int{"tiny": 255, "": 65535, "medium": 16777215, "long": 16 << 20}

// membersHead matches an ENUM or SET type at the start of a column definition.
var membersHead = regexp.MustCompile(`(?i)^\s*(enum|set)\s*\(`)

// adbMembersType maps an ENUM or SET column to a VARCHAR holding its member text, as DTS
// does, long enough for the longest member (ENUM) or all of them (SET); ok is false for
// other types. The copy and incremental migration write the member text, not the index
// or bit mask MySQL stores (MembersAsText).
func adbMembersType(def string) (mapped string, ok bool, err error) {
	m := membersHead.FindStringSubmatchIndex(def)
	if m == nil {
		return "", false, nil
	}
	open := m[1] - 1
	end := sqltext.MatchParen(def, open)
	if end < 0 {
		return "", true, fmt.Errorf("its member list in %q does not end", def)
	}
	set := strings.EqualFold(def[m[2]:m[3]], "set")
	var longest, total int
	parts := sqltext.SplitTopLevel(def[open+1 : end])
	for _, p := range parts {
		p = strings.TrimSpace(p)
		if len(p) < 2 || p[0] != '\'' || p[len(p)-1] != '\'' {
			return "", true, fmt.Errorf("member %s in %q is not a quoted string", p, def)
		}
		n := utf8.RuneCountInString(strings.ReplaceAll(p[1:len(p)-1], "''", "'"))
		longest, total = max(longest, n), total+n
	}
	size := max(longest, 1)
	if set {
		size = max(total+len(parts)-1, 1)
	}
	head := fmt.Sprintf("varchar(%d)", size)
	if rest := strings.TrimSpace(def[end+1:]); rest != "" {
		head += " " + rest
	}
	return head, true, nil
}

// MembersAsText reports whether a column's ENUM or SET values are written to a destination
// of flavor dest as their member text rather than their index or bit mask: to AnalyticDB,
// whose VARCHAR holds them (adbMembersType).
func MembersAsText(dest DatabaseType, dataType string) bool {
	return dest == ADBMySQL && (dataType == "enum" || dataType == "set")
}

// pick is a if cond, else b.
func pick(cond bool, a, b string) string {
	if cond {
		return a
	}
	return b
}

// decimalArgs reads DECIMAL's "(p,s)", "(p)" or "" (MySQL's default, 10 and 0).
func decimalArgs(args string) (p, s int, err error) {
	inner := strings.Trim(args, "() ")
	if inner == "" {
		return 10, 0, nil
	}
	ps, ss, _ := strings.Cut(inner, ",")
	if p, err = strconv.Atoi(strings.TrimSpace(ps)); err != nil {
		return 0, 0, fmt.Errorf("DECIMAL arguments %q: %w", args, err)
	}
	if ss != "" {
		if s, err = strconv.Atoi(strings.TrimSpace(ss)); err != nil {
			return 0, 0, fmt.Errorf("DECIMAL arguments %q: %w", args, err)
		}
	}
	return p, s, nil
}

// ADBSecondaryIndexes turns the secondary indexes of a table from MySQL or MariaDB into what
// AnalyticDB has: a secondary index covers one column, and there is no multi-column,
// unique, prefix, descending, expression or spatial secondary index (AnalyticDB for MySQL
// "CREATE TABLE" and "DDL differences"; uniqueness comes from the primary key alone). Each
// column a source index covers gets one single-column index, named after the first source
// index that covers it (with the column's name after it when that index covers several);
// FULLTEXT indexes of one column stay. It returns the indexes and a note for each source
// index that did not carry over as it was. An AnalyticDB source's indexes are AnalyticDB's
// already and come back unchanged.
func ADBSecondaryIndexes(t Table) ([]Index, []string) {
	if t.SourceFlavor == ADBMySQL {
		return t.Indexes, nil
	}
	label := QuoteTable(t.Database, t.Name)
	var out []Index
	var notes []string
	covered := map[string]bool{}
	for _, c := range t.PrimaryKey {
		covered[strings.ToLower(c)] = true // the primary key is indexed already
	}
	for _, ix := range t.Indexes {
		switch {
		case ix.Kind == "CHECK":
			out = append(out, ix)
			continue
		case ix.Columns == nil:
			notes = append(notes, fmt.Sprintf("%s: %s is on an expression, which AnalyticDB's indexes cannot be; it is not created", label, indexLabel(ix)))
			continue
		case ix.Kind == "SPATIAL":
			notes = append(notes, fmt.Sprintf("%s: %s is not created: AnalyticDB has no spatial secondary index", label, indexLabel(ix)))
			continue
		case ix.Kind == "FULLTEXT" && len(ix.Columns) == 1:
			out = append(out, Index{Kind: ix.Kind, Name: ix.Name, Columns: ix.Columns, Raw: commentOnly(ix.Raw)})
			continue
		}
		var made []string
		for _, c := range ix.Columns {
			if covered[strings.ToLower(c)] {
				continue
			}
			covered[strings.ToLower(c)] = true
			name := ix.Name
			if len(ix.Columns) > 1 || name == "" {
				name = strings.Trim(ix.Name+"_"+c, "_")
			}
			out = append(out, Index{Kind: "KEY", Name: name, Columns: []string{c}, Raw: commentOnly(ix.Raw)})
			made = append(made, QuoteIdent(c))
		}
		kp, ok := parseKeyParts(ix.Raw)
		shaped := ok && strings.TrimSpace(strings.Join(kp.suffix, "")) != "" // a prefix length or a direction
		switch {
		case ix.Kind == "UNIQUE" || ix.Kind == "FULLTEXT" || len(ix.Columns) > 1 || shaped || len(made) == 0:
			what := "single-column indexes on " + strings.Join(made, ", ")
			if len(made) == 0 {
				what = "nothing: its columns are indexed already"
			}
			why := ""
			if ix.Kind == "UNIQUE" {
				why = "; uniqueness is not enforced on the destination, only the primary key is"
			}
			notes = append(notes, fmt.Sprintf("%s: %s (%s) becomes %s%s", label, indexLabel(ix), strings.Join(quoteEach(ix.Columns), ", "), what, why))
		}
	}
	return out, notes
}

// commentOnly keeps, of an index's source line, only what both families read the same: the
// part list and a COMMENT (see renderIndex). A part list of one column has its prefix and
// direction dropped by rendering from Columns.
func commentOnly(raw string) string {
	kp, ok := parseKeyParts(raw)
	if !ok {
		return ""
	}
	if c := commentOption(kp.trailer); c != "" {
		return "KEY (x) " + c
	}
	return ""
}

// quoteEach quotes each name.
func quoteEach(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = QuoteIdent(n)
	}
	return out
}

// DestinationColumn is a source column's definition (its type and attributes, without its
// name) as a destination of flavor dest creates it: the one mapping of column types that
// both a created table (CreateTable) and a column added or changed during incremental
// migration go through. An AnalyticDB destination of a MySQL or MariaDB source maps types
// (adbColumnType): loss says what a lossy mapping changes. Between MySQL and MariaDB the
// collations and MySQL's invisible column map (crossFamilyColumn). The error names what the
// destination has no place for and the way out.
func DestinationColumn(definition string, source, dest DatabaseType) (mapped, loss string, err error) {
	switch {
	case dest == ADBMySQL && source != ADBMySQL:
		return adbColumnType(definition)
	case source == MySQL && dest == MariaDB, source == MariaDB && dest == MySQL:
		mapped, errs := crossFamilyColumn(definition, source, dest)
		if len(errs) > 0 {
			return "", "", errors.New("the column " + strings.Join(errs, "; it "))
		}
		return mapped, "", nil
	}
	return definition, "", nil
}

// ValueLoss names, for each column of t whose values the destination of flavor dest keeps
// only in part (DestinationColumn's loss), the column and what changes. The precheck shows
// them as an alert, so that no value changes silently.
func ValueLoss(t Table, dest DatabaseType) []string {
	var out []string
	for _, c := range t.Columns {
		if _, loss, err := DestinationColumn(c.Definition, t.SourceFlavor, dest); err == nil && loss != "" {
			out = append(out, fmt.Sprintf("%s.%s: %s", QuoteTable(t.Database, t.Name), QuoteIdent(c.Name), loss))
		}
	}
	return out
}

// IndexNotes names, for a table t created on a destination of flavor dest, each source
// index that is not created as it was (ADBSecondaryIndexes' notes: a multi-column, unique,
// prefix, descending, expression or spatial index on AnalyticDB), with the table and the
// index; nil for other destinations. The precheck shows them, so that a user sees the
// change before the task runs.
func IndexNotes(t Table, dest DatabaseType) []string {
	if dest != ADBMySQL {
		return nil
	}
	_, notes := ADBSecondaryIndexes(t)
	return notes
}
